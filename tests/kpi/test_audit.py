"""The audit trail: one event per call, committed by the caller's unit of work, never too long."""

from __future__ import annotations

from sqlmodel import Session, select

from kpi.audit import record
from models import AuditEvent
from tests.factories import local

AT = local("2026-11-02")


def test_an_event_waits_for_the_caller_s_commit(session: Session) -> None:
    record(session, at=AT, actor_id=None, action="invite.create", subject="invite")
    session.rollback()
    assert session.exec(select(AuditEvent)).all() == []
    record(session, at=AT, actor_id=None, action="invite.create", subject="invite", details="n=1")
    session.commit()
    [event] = session.exec(select(AuditEvent)).all()
    assert (event.at, event.action, event.subject, event.details) == (
        AT,
        "invite.create",
        "invite",
        "n=1",
    )


def test_details_are_cut_to_what_the_column_holds(session: Session) -> None:
    record(session, at=AT, actor_id=None, action="x", subject="y", details="é" * 2500)
    session.commit()  # PostgreSQL would refuse the whole unit of work for a longer text
    [event] = session.exec(select(AuditEvent)).all()
    assert event.details == "é" * 2000
