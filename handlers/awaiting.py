"""The question the bot asked a user and awaits a plain-text answer to (a ForceReply)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from telegram.ext import ContextTypes

from models import WorkCodeAction

_KEY = "awaiting"


@dataclass(frozen=True)
class Awaiting:
    """The text the bot asked this user for: a title, or a reason or opinion on a code."""

    action: WorkCodeAction
    code_id: int | None = None
    cycle: int | None = None
    pressed: tuple[int, int] | None = None  # (chat id, message id) of the pressed button


@dataclass(frozen=True)
class AwaitingExcuse:
    """The objective cause the bot asked for, to excuse the fault `key` of a task."""

    task_id: int
    key: str
    pressed: tuple[int, int, str] | None = None  # chat id, message id and text of the notice


def expect(context: ContextTypes.DEFAULT_TYPE, awaiting: Awaiting | AwaitingExcuse) -> None:
    """Remember the question asked (it replaces any other); the user's next plain text answers
    it."""
    cast(dict[str, object], context.user_data)[_KEY] = awaiting


def take(context: ContextTypes.DEFAULT_TYPE) -> Awaiting | AwaitingExcuse | None:
    """The question the user's text answers, now no longer awaited; None if none was asked."""
    awaiting = cast(dict[str, object], context.user_data).pop(_KEY, None)
    return awaiting if isinstance(awaiting, Awaiting | AwaitingExcuse) else None


def awaited(context: ContextTypes.DEFAULT_TYPE) -> Awaiting | None:
    """The question asked about a code, still awaited; None if none was asked."""
    awaiting = cast(dict[str, object], context.user_data).get(_KEY)
    return awaiting if isinstance(awaiting, Awaiting) else None
