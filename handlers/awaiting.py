"""The question the bot asked a user and awaits the answer to: one at a time, the latest wins.

A question is a plain-text answer asked with ForceReply (`Awaiting`, `RejectionReason`,
`AwaitingExcuse`) or a dialog in steps (/assign, /deduct, /delegate) whose draft remembers the
choices so far. Asking a new one forgets the earlier, so a text never lands in a dialog the user
has left; a button of a forgotten dialog is answered "no longer valid". The questions live in
memory: after a restart the user starts again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar, cast

from telegram.ext import ContextTypes

from models import WorkCodeAction

_KEY = "awaiting"
Question = TypeVar("Question")


@dataclass(frozen=True)
class Awaiting:
    """The text the bot asked this user for: a title, or a reason or opinion on a code."""

    action: WorkCodeAction
    code_id: int | None = None
    cycle: int | None = None
    pressed: tuple[int, int] | None = None  # (chat id, message id) of the pressed button


@dataclass(frozen=True)
class RejectionReason:
    """The reason the decider of an appeal was asked for, to reject it."""

    appeal_id: int
    pressed: tuple[int, int] | None = None  # the appeal's own message, to show the decision


@dataclass(frozen=True)
class AwaitingExcuse:
    """The objective cause the bot asked for, to excuse the fault `key` of a task."""

    task_id: int
    key: str
    pressed: tuple[int, int, str] | None = None  # chat id, message id and text of the notice


def expect(context: ContextTypes.DEFAULT_TYPE, question: object) -> None:
    """Remember the question asked, instead of any earlier one; the user's next text answers it."""
    cast(dict[str, object], context.user_data)[_KEY] = question


def awaited(context: ContextTypes.DEFAULT_TYPE, kind: type[Question]) -> Question | None:
    """The question asked, still awaited, when it is of this kind; else None."""
    question = cast(dict[str, object], context.user_data).get(_KEY)
    return question if isinstance(question, kind) else None


def take(context: ContextTypes.DEFAULT_TYPE, kind: type[Question]) -> Question | None:
    """The question the user's text answers, no longer awaited, when it is of this kind."""
    question = awaited(context, kind)
    if question is not None:
        drop(context)
    return question


def drop(context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Forget the question asked, whatever it was; whether there was one."""
    return cast(dict[str, object], context.user_data).pop(_KEY, None) is not None
