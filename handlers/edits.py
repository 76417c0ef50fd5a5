"""Edits of messages already sent, such as a card whose code was handled: they may fail."""

from __future__ import annotations

import logging

from telegram import Bot, InlineKeyboardMarkup
from telegram.error import BadRequest, TelegramError

log = logging.getLogger(__name__)


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
