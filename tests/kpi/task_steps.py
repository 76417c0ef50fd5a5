"""Steps shared by the task tests: assign a task, report it by a work code, respond, excuse."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlmodel import Session

from kpi.calendar import WorkCalendar
from kpi.policy import Policy
from kpi.tasks import TaskOutcome, assign, report_by_code
from kpi.workcodes import WorkCodeOutcome, approve, give_opinion, open_work_code, reject, resubmit
from models import Employee, Task, WorkCode
from tests.factories import local

CALENDAR = WorkCalendar()
DAYS = 5


def new_task(
    session: Session,
    policy: Policy,
    assigner: Employee | None,
    employee: Employee,
    due_on: str = "2026-11-20",
    type_code: str = "van_ban",
    title: str = "Soạn công văn",
    now: datetime | None = None,
) -> Task:
    """A task assigned (committed)."""
    assert employee.id is not None
    result = assign(
        session=session,
        assigner=assigner,
        employee_id=employee.id,
        title=title,
        due_on=date.fromisoformat(due_on),
        type_code=type_code,
        policy=policy,
        now=now or local("2026-11-02"),
    )
    assert result.outcome is TaskOutcome.OK and result.task is not None
    return result.task


def report(session: Session, task: Task, employee: Employee, on: str = "2026-11-10") -> WorkCode:
    """The employee opens a work code for the task on a day (09:00 local)."""
    opened = open_work_code(
        session=session,
        author=employee,
        title=task.title,
        now=local(on),
        calendar=CALENDAR,
        days=DAYS,
    )
    assert opened.code is not None and opened.code.id is not None and task.id is not None
    linked = report_by_code(
        session=session, task_id=task.id, code_id=opened.code.id, actor=employee, now=local(on)
    )
    assert linked.outcome is TaskOutcome.OK
    return opened.code


def respond(
    session: Session,
    code: WorkCode,
    leader: Employee,
    employee: Employee,
    steps: str,
    on: str = "2026-11-10",
) -> None:
    """Play the leader's responses on a code: "o" returns it (opinion), then the employee sends
    it back; "a" approves; "r" rejects. Each step an hour after the previous one."""
    assert code.id is not None
    at = local(on, 10)
    for step in steps:
        at += timedelta(hours=1)
        if step == "o":
            result = give_opinion(
                session=session, code_id=code.id, actor=leader, text="Sửa", now=at
            )
            assert result.outcome is WorkCodeOutcome.OK
            at += timedelta(minutes=30)
            back = resubmit(
                session=session,
                code_id=code.id,
                actor=employee,
                now=at,
                calendar=CALENDAR,
                days=DAYS,
            )
            assert back.outcome is WorkCodeOutcome.OK
        elif step == "a":
            assert approve(session=session, code_id=code.id, actor=leader, now=at).outcome == "ok"
        else:
            done = reject(session=session, code_id=code.id, actor=leader, reason="Sai", now=at)
            assert done.outcome is WorkCodeOutcome.OK
