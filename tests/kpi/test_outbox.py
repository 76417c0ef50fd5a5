"""The outbox as the domain sees it: each key queued once; who blocked the bot gets it later."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, select

from kpi.outbox import enqueue, mark_unreachable, post, recover
from models import Employee, OutboxMessage, OutboxStatus
from tests.factories import make_drafts, make_employee

NOW = datetime(2026, 11, 9, 3, 0, tzinfo=UTC)


def test_a_key_is_queued_once(session: Session) -> None:
    assert enqueue(session, make_drafts(1, 3, NOW), now=NOW) == 3
    assert enqueue(session, make_drafts(1, 3, NOW), now=NOW) == 0
    assert post(session, make_drafts(1, 4, NOW), now=NOW) == 1


def test_who_blocked_the_bot_gets_the_held_messages_when_back(session: Session) -> None:
    person = make_employee(session, "CV01", telegram_id=701)
    post(session, make_drafts(701, 2, NOW, person.id), now=NOW)
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
