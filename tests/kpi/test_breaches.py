"""The sweep's domain work: due codes, the breach deduction once and on its deadline day."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from alembic import command
from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from kpi import breaches
from kpi.breaches import advance, due_batches, due_codes, record_breach
from kpi.calendar import WorkCalendar
from kpi.policy import Policy
from kpi.reminders import Step
from kpi.scoring import Quarter
from kpi.workcodes import WorkCodeOutcome, approve, open_work_code
from models import AuditEvent, Deduction, DeductionSource, WorkCode
from models.db import alembic_config, upgrade
from tests.factories import HANOI, Org, local, make_deduction, make_employee

CALENDAR = WorkCalendar(tz=HANOI)
MONDAY = local("2026-11-02", 9)


def opened(session: Session, org: Org, title: str = "Báo cáo", author=None) -> WorkCode:
    result = open_work_code(
        session=session,
        author=author or org.staff,
        title=title,
        now=MONDAY,
        calendar=CALENDAR,
        days=5,
    )
    assert result.code is not None
    return result.code


def set_next_event(session: Session, code: WorkCode, at) -> None:
    session.execute(update(WorkCode).where(col(WorkCode.id) == code.id).values(next_event_at=at))
    session.commit()


def test_only_open_codes_whose_next_event_has_come_are_due(session: Session, org: Org) -> None:
    due = [opened(session, org, f"Việc {n}") for n in range(3)]
    later = opened(session, org, "Sau")
    set_next_event(session, later, local("2026-11-05", 8))
    handled = opened(session, org, "Đã duyệt")
    approve(session=session, code_id=handled.id, actor=org.leader, now=MONDAY)
    now = local("2026-11-04", 10)
    [batch] = due_batches(session, now)
    assert [c.id for c in due_codes(session, batch, now)] == [c.id for c in due]


def test_batches_keep_an_approvers_codes_together(
    session: Session, org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(breaches, "BATCH", 2)
    first = [opened(session, org, f"Việc {n}") for n in range(3)]  # all for the leader
    other = opened(session, org, "Của giám đốc", author=org.leader)  # for the director
    assert due_batches(session, local("2026-11-04", 10)) == [
        [c.id for c in first],  # over BATCH, yet one batch: one reminder lists them all
        [other.id],
    ]


def test_a_breach_is_deducted_from_the_approver_once(
    session: Session, org: Org, policy: Policy
) -> None:
    code = opened(session, org)
    now = local("2026-11-10", 0, 5)
    assert record_breach(session, code, policy, now) is True
    assert record_breach(session, code, policy, now) is False
    session.commit()
    [deduction] = session.exec(select(Deduction)).all()
    assert (deduction.employee_id, deduction.criterion, deduction.points) == (
        org.leader.id,
        policy.breach_criterion,
        Decimal(policy.breach_points),
    )
    assert (deduction.occurred_at, deduction.source) == (
        code.deadline_at - timedelta(microseconds=1),  # the last moment of the deadline day
        DeductionSource.DEADLINE_BREACH,
    )
    assert (deduction.key, deduction.work_code_id) == (f"breach:{code.id}:1", code.id)
    [audit] = session.exec(select(AuditEvent).where(AuditEvent.action == "deduction.breach"))
    assert (audit.subject, audit.details) == (
        f"workcode:{code.id}",
        f"cycle=1 approver={org.leader.id}",
    )


def test_the_ladder_is_stored_unless_a_response_came_meanwhile(session: Session, org: Org) -> None:
    code, answered = opened(session, org, "Chờ"), opened(session, org, "Đã trả lời")
    # The approver responded, the author resubmitted: a new cycle the sweep's copy does not know.
    resubmitted = update(WorkCode).where(col(WorkCode.id) == answered.id).values(cycle=2)
    session.execute(resubmitted.execution_options(synchronize_session=False))
    session.commit()
    breach = Step(reminder=None, breach=True, reminded_slots=3, next_event_at=None)
    advance(session, code, breach)
    advance(session, answered, breach)  # read in cycle 1: its step no longer applies
    session.commit()
    session.expire_all()
    stored = session.get_one(WorkCode, code.id)
    assert (stored.reminded_slots, stored.next_event_at, stored.breached_cycle) == (3, None, 1)
    other = session.get_one(WorkCode, answered.id)
    assert (other.reminded_slots, other.next_event_at, other.breached_cycle) == (0, MONDAY, 0)


@pytest.mark.parametrize(
    ("opened", "due_day", "quarter"),
    [
        ("2026-12-24", "2026-12-31", "2026Q4"),  # by the end of 31/12/2026: Q4, not 2027Q1
        ("2026-09-23", "2026-09-30", "2026Q3"),
        ("2026-03-24", "2026-03-31", "2026Q1"),
    ],
)
def test_the_breach_counts_in_the_deadline_day_s_quarter(
    session: Session, policy: Policy, opened, due_day, quarter
):
    leader = make_employee(session, "TP", "Trưởng phòng", position="lanh_dao")
    author = make_employee(session, "NV", "Nguyễn Văn An", leader=leader)
    result = open_work_code(
        session=session,
        author=author,
        title="Báo cáo",
        now=local(opened),
        calendar=CALENDAR,
        days=5,
    )
    assert result.outcome is WorkCodeOutcome.OK and result.code is not None
    code = result.code
    assert code.due_day.isoformat() == due_day
    assert record_breach(session, code, policy, code.deadline_at + timedelta(hours=8))
    session.commit()
    [deduction] = session.exec(select(Deduction)).all()
    assert deduction.occurred_at.astimezone(HANOI).date() == code.due_day
    assert deduction.occurred_at == code.deadline_at - timedelta(microseconds=1)
    assert str(Quarter.of(deduction.occurred_at, HANOI)) == quarter
    assert deduction.work_code_id == code.id


def test_the_migration_re_dates_earlier_breaches_to_their_deadline_day(
    engine: Engine, session: Session
):
    leader = make_employee(session, "TP", "Trưởng phòng", position="lanh_dao")
    midnight = local("2027-01-01", 0)  # the deadline of 31/12/2026, as breaches were dated
    breach = make_deduction(
        session,
        leader,
        "approval_timeliness",
        "5",
        occurred_at=midnight,
        source=DeductionSource.DEADLINE_BREACH.value,
        key="breach:1:1",
    )
    manual = make_deduction(session, leader, "discipline_ethics", occurred_at=midnight)
    session.close()
    config = alembic_config(engine)
    command.downgrade(config, "4f6f3d73bc3c")
    upgrade(engine)
    rows = {row.id: row.occurred_at for row in session.exec(select(Deduction))}
    assert rows[breach.id] == midnight - timedelta(microseconds=1)
    assert rows[manual.id] == midnight
    audit = session.exec(select(AuditEvent).where(AuditEvent.action == "deduction.redate")).all()
    assert [a.subject for a in audit] == [f"deduction:{breach.id}"]
    upgrade(engine)  # again: nothing moves twice
    assert (
        session.get_one(Deduction, breach.id, populate_existing=True).occurred_at == rows[breach.id]
    )
    assert str(Quarter.of(rows[breach.id], HANOI)) == "2026Q4"
