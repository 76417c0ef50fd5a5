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


def expect(context: ContextTypes.DEFAULT_TYPE, awaiting: Awaiting) -> None:
    """Remember the question asked; the user's next plain text answers it."""
    cast(dict[str, object], context.user_data)[_KEY] = awaiting


def take(context: ContextTypes.DEFAULT_TYPE) -> Awaiting | None:
    """The question the user's text answers, now no longer awaited; None if none was asked."""
    awaiting = cast(dict[str, object], context.user_data).pop(_KEY, None)
    return awaiting if isinstance(awaiting, Awaiting) else None


def awaited(context: ContextTypes.DEFAULT_TYPE) -> Awaiting | None:
    """The question asked, still awaited; None if none was asked."""
    awaiting = cast(dict[str, object], context.user_data).get(_KEY)
    return awaiting if isinstance(awaiting, Awaiting) else None
