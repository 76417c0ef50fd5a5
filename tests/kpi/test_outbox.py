"""The outbox as the domain sees it: each key queued once; who blocked the bot gets it later."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, select

from kpi.outbox import Draft, enqueue, mark_unreachable, post, recover
from models import Employee, OutboxKind, OutboxMessage, OutboxStatus
from tests.factories import make_employee

NOW = datetime(2026, 11, 9, 3, 0, tzinfo=UTC)


def drafts(chat_id: int, count: int, employee_id: int | None = None) -> list[Draft]:
    return [
        Draft(
            key=f"m:{chat_id}:{i}",
            kind=OutboxKind.DIGEST,
            chat_id=chat_id,
            text=f"{i}",
            not_before=NOW,
            employee_id=employee_id,
        )
        for i in range(count)
    ]


def test_a_key_is_queued_once(session: Session) -> None:
    assert enqueue(session, drafts(1, 3), now=NOW) == 3
    assert enqueue(session, drafts(1, 3), now=NOW) == 0
    assert post(session, drafts(1, 4), now=NOW) == 1


def test_who_blocked_the_bot_gets_the_held_messages_when_back(session: Session) -> None:
    person = make_employee(session, "CV01", telegram_id=701)
    post(session, drafts(701, 2, person.id), now=NOW)
    session.execute(update(OutboxMessage).values(status=OutboxStatus.BLOCKED))
    mark_unreachable(session, person.id, NOW)
    mark_unreachable(session, person.id, NOW + timedelta(hours=1))  # the first time is kept
    session.commit()
    assert session.get_one(Employee, person.id).unreachable_since == NOW

    later = NOW + timedelta(days=1)
    assert recover(session, person.id, later) == 2
    session.expire_all()
    assert session.get_one(Employee, person.id).unreachable_since is None
    rows = session.exec(select(OutboxMessage)).all()
    assert {(row.status, row.not_before) for row in rows} == {(OutboxStatus.PENDING, later)}
