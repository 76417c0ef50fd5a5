"""What the bot answers about attached files: the file read from a message, and each outcome."""

from __future__ import annotations

from telegram import Message

from handlers.workcode_replies import refusal
from kpi.attachments import MAX_BYTES, MAX_FILES, WINDOW, AttachOutcome, AttachResult, SentFile
from kpi.workcodes import WorkCodeOutcome
from locales.i18n import N_, Translator
from models import AttachmentKind
from notices.workcodes import status

OUTCOMES = {
    AttachOutcome.OK: N_("📎 The file is attached to work code #{id} ({count}/{most} files)."),
    AttachOutcome.CLOSED: N_(
        "Work code #{id} is {status}: files may be attached only while a code is pending "
        "approval or returned with an opinion."
    ),
    AttachOutcome.TOO_LARGE: N_(
        "The file is larger than {megabytes} MB and was not attached. Please send a smaller one."
    ),
    AttachOutcome.TOO_MANY: N_(
        "Work code #{id} already has {most} files, the most allowed; this one was not attached."
    ),
    AttachOutcome.DUPLICATE: N_("This file is already attached to work code #{id}."),
}
HOW_TO_ATTACH = N_(
    "To attach a file to a work code, reply with it to the code's message, or send it within "
    "{minutes} minutes of opening the code. A file sent with the caption /open TITLE opens a new "
    "code with the file attached."
)
TITLE_FIRST = N_(
    "Please send the title of the new work code first (or write it as the file's caption). "
    "Files sent within {minutes} minutes of opening the code are attached to it."
)


def sent_file(message: Message) -> SentFile | None:
    """The document or photo (its largest size) in the message, if any."""
    if message.document is not None:
        document = message.document
        return SentFile(
            AttachmentKind.DOCUMENT,
            document.file_id,
            document.file_unique_id,
            document.file_name or "",
            document.file_size,
        )
    if message.photo:
        photo = message.photo[-1]
        return SentFile(
            AttachmentKind.PHOTO, photo.file_id, photo.file_unique_id, "", photo.file_size
        )
    return None


def attached(tr: Translator, result: AttachResult, code_id: int) -> str:
    """What became of a file sent for work code `code_id`."""
    if result.outcome is AttachOutcome.NOT_FOUND:
        return refusal(tr, WorkCodeOutcome.NOT_FOUND, code_id)
    code_status = status(tr, result.code) if result.code is not None else ""
    return tr._(
        OUTCOMES[result.outcome],
        id=code_id,
        count=result.count,
        most=MAX_FILES,
        megabytes=MAX_BYTES // (1024 * 1024),
        status=code_status,
    )


def how_to_attach(tr: Translator) -> str:
    """The ways a file reaches a work code."""
    return tr._(HOW_TO_ATTACH, minutes=_minutes())


def title_first(tr: Translator) -> str:
    """A file without a caption came while the bot asked for a new code's title."""
    return tr._(TITLE_FIRST, minutes=_minutes())


def _minutes() -> int:
    return int(WINDOW.total_seconds() // 60)
