"""Messages to other people's chats: queued in the outbox, or edits that may fail harmlessly."""

from __future__ import annotations

import logging
from dataclasses import replace

from sqlmodel import Session
from telegram import Bot, InlineKeyboardMarkup
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

from handlers.caller import services
from kpi import outbox, reminders
from kpi.outbox import Draft
from scheduler.jobs import wake

log = logging.getLogger(__name__)


def queue(context: ContextTypes.DEFAULT_TYPE, session: Session, drafts: list[Draft]) -> None:
    """Put proactive messages in the outbox (held through quiet hours) and wake the worker."""
    svc = services(context)
    now = svc.clock()
    allowed = reminders.allowed_at(svc.calendar(session), svc.policy, now)
    outbox.post(
        session, [replace(d, not_before=max(d.not_before, allowed)) for d in drafts], now=now
    )
    wake(context)


async def edit(
    bot: Bot, chat_id: int, message_id: int, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Replace a message's text and buttons; an unchanged or vanished message is fine."""
    try:
        await bot.edit_message_text(text, chat_id, message_id, reply_markup=markup)
    except BadRequest as exc:
        log.info("message %s in chat %s not edited: %s", message_id, chat_id, exc.message)
    except TelegramError as exc:
        log.warning("message %s in chat %s not edited: %s", message_id, chat_id, exc)
