"""Sending to other people's chats, where a failure must not break the sender's request."""

from __future__ import annotations

import logging

from telegram import Bot, InlineKeyboardMarkup, Message
from telegram.error import BadRequest, TelegramError

log = logging.getLogger(__name__)


async def send(
    bot: Bot, chat_id: int, text: str, markup: InlineKeyboardMarkup | None = None
) -> Message | None:
    """Send a message; on failure log the chat id and give None."""
    try:
        return await bot.send_message(chat_id, text, reply_markup=markup)
    except TelegramError as exc:
        log.warning("message to chat %s not delivered: %s", chat_id, exc.__class__.__name__)
        return None


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
