"""Files on work codes: the author sends documents and photos, the approver has them sent back.

A file reaches a code in one of three ways, as a Telegram user would try them: sent with the
caption `/open TITLE` (or, while the bot asks for a title, with the title as its caption), which
opens the code with the file; sent as a reply to a message of the bot about the code; or sent
within a few minutes of opening a code, so an album sent right after /open lands on it.
"""

from __future__ import annotations

import logging
import re
from itertools import groupby
from typing import cast

from telegram import InputMediaDocument, InputMediaPhoto, Message
from telegram.error import TelegramError

from handlers.approvals import recount_card
from handlers.arguments import number, rest
from handlers.attachment_replies import attached, how_to_attach, sent_file, title_first
from handlers.awaiting import Awaiting, awaited, take
from handlers.caller import LinkedCaller, linked
from handlers.workcodes import open_code
from kpi import attachments
from kpi.attachments import AttachOutcome, SentFile
from models import Attachment, AttachmentKind, WorkCode, WorkCodeAction
from notices.callbacks import AttachmentsButton
from notices.workcodes import short_title

log = logging.getLogger(__name__)
_OPEN = re.compile(r"/open(@\w+)?(\s|$)", re.IGNORECASE)
_CODE_NUMBER = re.compile(r"#([0-9]+)")


@linked
async def on_file(caller: LinkedCaller) -> None:
    """A document or photo: it opens a code, or is attached to the code it is meant for."""
    message, sent = caller.message, cast(SentFile, sent_file(caller.message))
    caption, asked = (message.caption or "").strip(), awaited(caller.context, Awaiting)
    asks_title = asked is not None and asked.action is WorkCodeAction.OPEN
    if _OPEN.match(caption) or (asks_title and caption):
        take(caller.context, Awaiting)
        await open_code(caller, rest(message) if _OPEN.match(caption) else caption, sent)
    elif asks_title:
        await caller.reply(title_first(caller.tr))
    elif (code_id := _code_replied_to(message) or _just_opened(caller)) is not None:
        await attach_to(caller, code_id, sent)
    else:
        await caller.reply(how_to_attach(caller.tr))


async def attach_to(caller: LinkedCaller, code_id: int, sent: SentFile) -> None:
    """Attach the file, show the count on the approver's card, and tell the author."""
    result = attachments.attach(
        session=caller.session, code_id=code_id, author=caller.employee, sent=sent, now=caller.now
    )
    if result.outcome is AttachOutcome.OK and result.code is not None:
        await recount_card(caller, result.code)
    await caller.reply(attached(caller.tr, result, code_id))


@linked
async def on_files_button(caller: LinkedCaller) -> None:
    """The approver asked for a code's files: they come as documents and photos."""
    button = await caller.button(AttachmentsButton)
    if button is None:
        return
    code = caller.session.get(WorkCode, button.code_id)
    if code is None or code.approver_id != caller.employee.id:
        await caller.refuse_button()
        return
    files = attachments.attachments_of(session=caller.session, code_id=button.code_id)
    await caller.query.answer()
    caption = caller.tr._("📎 Work code #{id}: {title}", id=code.id, title=short_title(code.title))
    for kind, group in groupby(files, key=lambda file: file.kind):
        await _send(caller.message, AttachmentKind(kind), list(group), caption)


async def _send(
    message: Message, kind: AttachmentKind, files: list[Attachment], caption: str
) -> None:
    """Files of one kind: alone, or as one album (Telegram groups documents or photos)."""
    try:
        if len(files) > 1:
            media_type = InputMediaPhoto if kind is AttachmentKind.PHOTO else InputMediaDocument
            media = [media_type(file.file_id) for file in files]
            media[0] = media_type(files[0].file_id, caption=caption)
            await message.reply_media_group(media)
        elif kind is AttachmentKind.PHOTO:
            await message.reply_photo(files[0].file_id, caption=caption)
        else:
            await message.reply_document(files[0].file_id, caption=caption)
    except TelegramError as exc:  # a file Telegram no longer holds
        log.warning("files of kind %s not sent: %s", kind, exc)


def _code_replied_to(message: Message) -> int | None:
    """The code named (`#12`) in the bot's message this one replies to."""
    replied = message.reply_to_message
    if replied is None or replied.from_user is None or not replied.from_user.is_bot:
        return None
    found = _CODE_NUMBER.search(replied.text or replied.caption or "")
    digits = number(found[1]) if found else None
    return int(digits) if digits else None


def _just_opened(caller: LinkedCaller) -> int | None:
    code = attachments.just_opened(
        session=caller.session, author_id=cast(int, caller.employee.id), now=caller.now
    )
    return code.id if code is not None else None
