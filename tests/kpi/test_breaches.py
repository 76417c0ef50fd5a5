"""A breach belongs to its deadline day: its month, quarter and year."""

from __future__ import annotations

from datetime import timedelta

import pytest
from alembic import command
from sqlalchemy import Engine
from sqlmodel import Session, select

from kpi.breaches import record_breach
from kpi.calendar import WorkCalendar
from kpi.policy import Policy
from kpi.scoring import Quarter
from kpi.workcodes import Outcome, open_work_code
from models import AuditEvent, Deduction, DeductionSource
from models.db import alembic_config, upgrade
from tests.factories import HANOI, local, make_deduction, make_employee

CALENDAR = WorkCalendar()


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
    assert result.outcome is Outcome.OK and result.code is not None
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
