"""The outbox as the domain sees it (§3): messages queued once by key, people who blocked the bot.

Claiming and settling rows for delivery belong to the delivery worker (`scheduler.claims`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, func, update
from sqlmodel import Session, col, select

from models import Employee, OutboxKind, OutboxMessage, OutboxStatus
from models.db import insert_ignoring_duplicates


@dataclass(frozen=True)
class Draft:
    """A message to put in the outbox."""

    key: str
    kind: OutboxKind
    chat_id: int
    text: str
    not_before: datetime
    expires_at: datetime | None = None
    reply_markup: str | None = None  # JSON of an InlineKeyboardMarkup
    employee_id: int | None = None
    work_code_id: int | None = None


Done = TypeVar("Done")
# Drafts the messages an action owes other people, from what it did. The action calls it in its own
# transaction, before it commits, and queues the drafts there: they are sent if and only if the
# action is kept, whatever becomes of the answer to whoever acted.
Tell = Callable[[Done], Sequence[Draft | None]]


def tell(session: Session, drafting: Tell[Done] | None, done: Done, *, now: datetime) -> int:
    """Queue what `drafting` says `done` owes others (no commit); the number added."""
    if drafting is None:
        return 0
    return enqueue(session, [draft for draft in drafting(done) if draft is not None], now=now)


def enqueue(session: Session, drafts: Sequence[Draft], *, now: datetime) -> int:
    """Add messages unless their key is already there (no commit); the number added."""
    rows = [{**draft.__dict__, "created_at": now} for draft in drafts]
    return insert_ignoring_duplicates(session, OutboxMessage, rows)


def mark_unreachable(session: Session, employee_id: int, now: datetime) -> None:
    """Remember that this employee blocked the bot (no commit)."""
    session.execute(
        update(Employee)
        .where(col(Employee.id) == employee_id, col(Employee.unreachable_since).is_(None))
        .values(unreachable_since=now)
    )


def recover(session: Session, employee_id: int, now: datetime) -> int:
    """The employee is back: their held messages go out again; commits. The number re-queued."""
    session.execute(
        update(Employee).where(col(Employee.id) == employee_id).values(unreachable_since=None)
    )
    requeued = session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.employee_id) == employee_id,
            col(OutboxMessage.status) == OutboxStatus.BLOCKED,
        )
        .values(status=OutboxStatus.PENDING, not_before=now)
    )
    session.commit()
    return int(cast(CursorResult[Any], requeued).rowcount)


def post(session: Session, drafts: Sequence[Draft], *, now: datetime) -> int:
    """Queue messages for delivery and commit; the number new."""
    added = enqueue(session, drafts, now=now)
    session.commit()
    return added


def depth(session: Session, now: datetime) -> tuple[dict[str, int], datetime | None]:
    """How many messages stand in each status, and since when the oldest due one has waited."""
    counts = session.exec(
        select(OutboxMessage.status, func.count()).group_by(col(OutboxMessage.status))
    ).all()
    oldest = session.exec(
        select(func.min(OutboxMessage.not_before)).where(
            OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.not_before <= now
        )
    ).one()
    return dict(counts), oldest


def restyle(session: Session, key: str, reply_markup: str) -> bool:
    """Give a message not yet sent new buttons; commits. Whether one was waiting."""
    changed = session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.key) == key,
            col(OutboxMessage.status).in_([OutboxStatus.PENDING, OutboxStatus.BLOCKED]),
        )
        .values(reply_markup=reply_markup)
    )
    session.commit()
    return bool(cast(CursorResult[Any], changed).rowcount)
