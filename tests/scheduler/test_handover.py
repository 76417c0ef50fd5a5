"""The sweep's hand-overs to acting approvers: a breach belongs to whoever held the code when its
deadline passed, and a second sweep sends nothing again."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, func, select

from kpi import delegation
from kpi.calendar import WorkCalendar
from kpi.policy import Policy
from kpi.workcodes import open_work_code
from models import Deduction, OutboxMessage, WorkCode
from scheduler.sweep import run_sweep
from tests.factories import HANOI, Org, local


def sweep(db: sessionmaker[Session], policy: Policy, day: str, hh: int, mm: int) -> None:
    run_sweep(db=db, policy=policy, tz=HANOI, now=local(day, hh, mm), default_locale="vi")


def test_a_deadline_missed_before_the_period_is_the_leader_s_and_the_code_moves_after(
    db: sessionmaker[Session], session: Session, org: Org, policy: Policy
) -> None:
    opened = open_work_code(
        session=session,
        author=org.staff,
        title="Báo cáo",
        now=local("2026-11-02"),
        calendar=WorkCalendar(tz=HANOI),
        days=5,
    )  # due at the end of Monday 09/11
    assert opened.code is not None
    made = delegation.create(
        session=session,
        actor=org.leader,
        leader_id=org.leader.id,
        deputy_id=org.other_leader.id,
        starts_on=date(2026, 11, 10),
        ends_on=date(2026, 11, 12),
        today=date(2026, 11, 2),
        now=local("2026-11-02"),
    )
    assert made.outcome is delegation.DelegationOutcome.OK
    # The service was down overnight: its first sweep in the period finds the missed deadline.
    sweep(db, policy, "2026-11-10", 0, 1)
    with db() as fresh:
        [owner] = fresh.exec(select(Deduction.employee_id)).all()
        assert owner == org.leader.id
        assert fresh.get_one(WorkCode, opened.code.id).approver_id == org.leader.id
    sweep(db, policy, "2026-11-10", 0, 2)
    with db() as fresh:
        assert fresh.get_one(WorkCode, opened.code.id).approver_id == org.other_leader.id
        queued = fresh.exec(select(func.count()).select_from(OutboxMessage)).one()
    sweep(db, policy, "2026-11-10", 0, 2)
    sweep(db, policy, "2026-11-10", 0, 3)
    with db() as fresh:
        assert fresh.exec(select(func.count()).select_from(OutboxMessage)).one() == queued
        assert fresh.exec(select(func.count()).select_from(Deduction)).one() == 1
