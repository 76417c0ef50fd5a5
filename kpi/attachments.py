"""Files an author attaches to their work code: Telegram keeps them, we keep their file_ids."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from kpi.audit import record
from models import Attachment, AttachmentKind, Employee, WorkCode, WorkCodeStatus

MAX_FILES = 10  # files per work code
MAX_BYTES = 20 * 1024 * 1024  # per file: the most a bot may download from Telegram (getFile)
WINDOW = timedelta(minutes=10)  # files sent this soon after opening a code go to it
_ATTACHABLE = (WorkCodeStatus.OPEN.value, WorkCodeStatus.RETURNED.value)


class AttachOutcome(StrEnum):
    """What became of a file sent for a work code."""

    OK = "ok"
    NOT_FOUND = "not_found"  # no such code, or not the sender's own
    CLOSED = "closed"  # approved, rejected or withdrawn
    TOO_LARGE = "too_large"
    TOO_MANY = "too_many"
    DUPLICATE = "duplicate"  # this very file is attached already


@dataclass(frozen=True)
class SentFile:
    """A file as Telegram described it in the sender's message."""

    kind: AttachmentKind
    file_id: str
    file_unique_id: str
    file_name: str = ""
    file_size: int | None = None


@dataclass(frozen=True)
class AttachResult:
    """The outcome, the code and how many files it has now."""

    outcome: AttachOutcome
    code: WorkCode | None = None
    count: int = 0


def attach(
    *, session: Session, code_id: int, author: Employee, sent: SentFile, now: datetime
) -> AttachResult:
    """Attach a file to the author's open or returned code, within the limits; commits."""
    query = select(WorkCode).where(col(WorkCode.id) == code_id).with_for_update()
    code = session.exec(query).first()  # locked: two files at once cannot pass the count
    if code is None or code.employee_id != author.id:
        return AttachResult(AttachOutcome.NOT_FOUND)
    count = count_of(session=session, code_id=code_id)
    outcome = _refusal(session, code, sent, count)
    if outcome is not None:
        session.rollback()
        return AttachResult(outcome, code, count)
    session.add(_row(code_id, author.id, sent, now))
    record(
        session,
        at=now,
        actor_id=author.id,
        action="workcode.attach",
        subject=f"workcode:{code_id}",
        details=f"{sent.kind} {sent.file_unique_id} {sent.file_size or 0} bytes",
    )
    try:
        session.commit()
    except IntegrityError:  # the same file, sent twice at once
        session.rollback()
        return AttachResult(AttachOutcome.DUPLICATE, code, count)
    return AttachResult(AttachOutcome.OK, code, count + 1)


def _refusal(session: Session, code: WorkCode, sent: SentFile, count: int) -> AttachOutcome | None:
    if code.status not in _ATTACHABLE:
        return AttachOutcome.CLOSED
    if sent.file_size is not None and sent.file_size > MAX_BYTES:
        return AttachOutcome.TOO_LARGE
    held = {row.file_unique_id for row in attachments_of(session=session, code_id=code.id or 0)}
    if sent.file_unique_id in held:
        return AttachOutcome.DUPLICATE
    return AttachOutcome.TOO_MANY if count >= MAX_FILES else None


def _row(code_id: int, author_id: int, sent: SentFile, now: datetime) -> Attachment:
    return Attachment(
        work_code_id=code_id,
        kind=sent.kind.value,
        file_id=sent.file_id,
        file_unique_id=sent.file_unique_id,
        file_name=sent.file_name[:255],
        file_size=sent.file_size,
        added_by=author_id,
        added_at=now,
    )


def attachments_of(*, session: Session, code_id: int) -> list[Attachment]:
    """The code's files, in the order they came."""
    query = select(Attachment).where(col(Attachment.work_code_id) == code_id)
    return list(session.exec(query.order_by(col(Attachment.id))))


def count_of(*, session: Session, code_id: int) -> int:
    """How many files the code has."""
    query = select(func.count()).select_from(Attachment)
    return session.exec(query.where(col(Attachment.work_code_id) == code_id)).one()


def just_opened(*, session: Session, author_id: int, now: datetime) -> WorkCode | None:
    """The author's code opened (or resubmitted) within the last WINDOW, still open, if any."""
    query = (
        select(WorkCode)
        .where(col(WorkCode.employee_id) == author_id)
        .where(col(WorkCode.status) == WorkCodeStatus.OPEN.value)
        .where(col(WorkCode.cycle_started_at) >= now - WINDOW)
        .order_by(col(WorkCode.cycle_started_at).desc(), col(WorkCode.id).desc())
    )
    return session.exec(query.limit(1)).first()
