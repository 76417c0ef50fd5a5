"""Assigned tasks: who may assign, report, cancel and excuse; faults from the work-code trail."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from kpi.policy import Policy
from kpi.tasks import (
    TaskOutcome,
    assign,
    cancel,
    check_excuse,
    excuse,
    fault_key,
    faults_of,
    is_done,
    open_task,
    open_tasks,
    report_by_code,
)
from kpi.workcodes import give_opinion, open_work_code, withdraw
from models import AuditEvent, Employee, FaultKind, Task
from tests.concurrency import race
from tests.factories import HANOI, Org, local
from tests.kpi.task_steps import CALENDAR, DAYS, new_task, report, respond


def refusal(session: Session, policy: Policy, assigner: Employee, employee: Employee, **kw) -> str:
    assert employee.id is not None
    values = {"title": "Soạn báo cáo", "due_on": date(2026, 11, 20), "type_code": "bao_cao", **kw}
    result = assign(
        session=session,
        assigner=assigner,
        employee_id=employee.id,
        policy=policy,
        now=local("2026-11-02"),
        **values,
    )
    return result.outcome


def test_a_leader_assigns_to_a_direct_report_and_it_is_audited(session, org, policy):
    task = new_task(session, policy, org.leader, org.staff, type_code="bao_cao")
    assert (task.employee_id, task.assigner_id, task.type) == (
        org.staff.id,
        org.leader.id,
        "bao_cao",
    )
    audit = session.exec(select(AuditEvent).where(col(AuditEvent.subject) == f"task:{task.id}"))
    assert [event.action for event in audit] == ["task.assign"]
    assert [t.id for t in open_tasks(session=session, employee_id=org.staff.id)] == [_id(task)]


@pytest.mark.parametrize(
    ("assigner", "employee", "changes", "expected"),
    [
        ("leader", "outsider", {}, TaskOutcome.NOT_ALLOWED),  # not their report
        ("director", "staff", {}, TaskOutcome.NOT_ALLOWED),  # a report's report
        ("staff", "clerk", {}, TaskOutcome.NOT_ALLOWED),
        ("leader", "staff", {"type_code": "poem"}, TaskOutcome.UNKNOWN_TYPE),
        ("leader", "staff", {"title": "   "}, TaskOutcome.EMPTY_TITLE),
        ("leader", "staff", {"title": "/start"}, TaskOutcome.COMMAND_AS_TITLE),
        ("admin", "outsider", {}, TaskOutcome.OK),  # HR assigns to anyone
    ],
)
def test_who_may_assign_what(session, org, policy, assigner, employee, changes, expected):
    assert refusal(session, policy, org[assigner], org[employee], **changes) == expected


def test_reporting_links_an_open_code_of_the_assignee_once(session, org, policy):
    task = new_task(session, policy, org.leader, org.staff)
    code = report(session, task, org.staff)
    assert code.task_id == task.id
    other = new_task(session, policy, org.leader, org.staff, title="Khác")
    again = report_by_code(
        session=session, task_id=other.id, code_id=code.id, actor=org.staff, now=local("2026-11-11")
    )
    assert again.outcome is TaskOutcome.ALREADY_HANDLED  # the code already reports a task
    stranger = report_by_code(
        session=session, task_id=task.id, code_id=code.id, actor=org.clerk, now=local("2026-11-11")
    )
    assert stranger.outcome is TaskOutcome.NOT_FOUND


def test_done_when_a_code_is_approved(session, org, policy):
    task = new_task(session, policy, org.leader, org.staff)
    code = report(session, task, org.staff)
    assert not is_done(session, task.id)
    respond(session, code, org.leader, org.staff, "a")
    assert is_done(session, task.id)
    assert open_tasks(session=session, employee_id=org.staff.id) == []


def reportable(session: Session, org: Org) -> list[int | None]:
    listed = [task.id for task in open_tasks(session=session, employee_id=org.staff.id)]
    for task_id in listed:  # what /open offers is what its button accepts
        assert task_id is not None
        assert open_task(session=session, task_id=task_id, employee=org.staff) is not None
    return listed


def test_open_offers_only_tasks_that_can_still_be_reported(session, org, policy):
    awaiting = new_task(session, policy, org.leader, org.staff, title="Chờ duyệt")
    returned = new_task(session, policy, org.leader, org.staff, title="Bị trả lại")
    rejected = new_task(session, policy, org.leader, org.staff, title="Bị từ chối")
    withdrawn = new_task(session, policy, org.leader, org.staff, title="Đã rút")
    untouched = new_task(session, policy, org.leader, org.staff, title="Chưa làm")
    report(session, awaiting, org.staff)
    back = report(session, returned, org.staff)
    at = local("2026-11-10", 11)
    assert (
        give_opinion(session=session, code_id=back.id, actor=org.leader, text="Sửa", now=at).outcome
        == "ok"
    )
    respond(session, report(session, rejected, org.staff), org.leader, org.staff, "r")
    gone = report(session, withdrawn, org.staff)
    assert withdraw(session=session, code_id=gone.id, actor=org.staff, now=at).outcome == "ok"
    # Awaiting approval, or returned to be resubmitted: reported already. Rejected or withdrawn:
    # a new code may report it again.
    assert reportable(session, org) == [rejected.id, withdrawn.id, untouched.id]
    for task in (awaiting, returned):
        assert open_task(session=session, task_id=_id(task), employee=org.staff) is None


def test_faults_are_each_return_and_rejection_and_each_code_opened_late(session, org, policy):
    task = new_task(session, policy, org.leader, org.staff, due_on="2026-11-10")
    first = report(session, task, org.staff, on="2026-11-10")  # on the due day: in time
    respond(session, first, org.leader, org.staff, "or", on="2026-11-10")
    second = report(session, task, org.staff, on="2026-11-12")  # after the due day: a delay
    respond(session, second, org.leader, org.staff, "a", on="2026-11-12")
    faults = faults_of(session, _id(task), HANOI)
    kinds = [(fault.kind, fault.work_code_id) for fault in faults]
    assert kinds == [
        (FaultKind.ERROR, first.id),
        (FaultKind.ERROR, first.id),
        (FaultKind.DELAY, second.id),
    ]
    assert not any(fault.excused for fault in faults)


def test_a_day_late_is_the_local_day(session, org, policy):
    task = new_task(session, policy, org.leader, org.staff, due_on="2026-11-10")
    # Opened at 23:30 on the due day, local time: in time, whatever the day in UTC.
    opened = open_work_code(
        session=session,
        author=org.staff,
        title="Công văn",
        now=local("2026-11-10", 23, 30),
        calendar=CALENDAR,
        days=DAYS,
    )
    report_by_code(
        session=session,
        task_id=task.id,
        code_id=opened.code.id,
        actor=org.staff,
        now=local("2026-11-10", 23, 30),
    )
    assert faults_of(session, _id(task), HANOI) == ()


def late_task(session: Session, org: Org, policy: Policy) -> tuple[Task, str]:
    task = new_task(session, policy, org.leader, org.staff, due_on="2026-11-10")
    code = report(session, task, org.staff, on="2026-11-13")
    return task, fault_key(FaultKind.DELAY, code.id)


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("director", TaskOutcome.OK),  # the leader's superior
        ("admin", TaskOutcome.OK),
        ("leader", TaskOutcome.NOT_ALLOWED),  # the leader cannot excuse their own return
        ("staff", TaskOutcome.NOT_ALLOWED),
    ],
)
def test_who_may_excuse(session, org, policy, who, expected):
    task, key = late_task(session, org, policy)
    result = excuse(
        session=session,
        task_id=task.id,
        key=key,
        actor=org[who],
        reason="Chờ ý kiến của Bộ",
        now=local("2026-11-16"),
        tz=HANOI,
    )
    assert result.outcome is expected
    assert faults_of(session, _id(task), HANOI)[0].excused is (expected is TaskOutcome.OK)


def test_an_admin_may_not_excuse_a_fault_of_their_own_task(session, org, policy):
    task = new_task(session, policy, org.director, org.admin, due_on="2026-11-10")
    code = report(session, task, org.admin, on="2026-11-13")
    key = fault_key(FaultKind.DELAY, code.id)

    def check(who: str) -> TaskOutcome:
        return check_excuse(
            session=session, task_id=task.id, key=key, actor=org[who], tz=HANOI
        ).outcome

    assert [check("admin"), check("top_admin")] == [TaskOutcome.NOT_ALLOWED, TaskOutcome.OK]


def test_an_excuse_needs_a_reason_and_a_real_fault(session, org, policy):
    task, key = late_task(session, org, policy)
    common = {
        "session": session,
        "task_id": task.id,
        "actor": org.director,
        "now": local("2026-11-16"),
        "tz": HANOI,
    }
    assert excuse(key=key, reason="  ", **common).outcome is TaskOutcome.TEXT_REQUIRED
    assert excuse(key="error:999", reason="x", **common).outcome is TaskOutcome.NOT_FOUND
    assert excuse(key=key, reason="Lý do khách quan", **common).outcome is TaskOutcome.OK
    assert excuse(key=key, reason="Lần nữa", **common).outcome is TaskOutcome.ALREADY_HANDLED
    audit = session.exec(
        select(AuditEvent.action).where(col(AuditEvent.subject) == f"task:{task.id}")
    )
    assert list(audit).count("task.excuse") == 1


def test_a_button_checks_before_the_reason_is_asked_as_the_excuse_would(session, org, policy):
    task, key = late_task(session, org, policy)

    def check(who: str, fault: str = key) -> TaskOutcome:
        checked = check_excuse(
            session=session, task_id=task.id, key=fault, actor=org[who], tz=HANOI
        )
        return checked.outcome

    assert [check("director"), check("admin"), check("leader"), check("staff")] == [
        TaskOutcome.OK,
        TaskOutcome.OK,
        TaskOutcome.NOT_ALLOWED,
        TaskOutcome.NOT_ALLOWED,
    ]
    assert check("director", "error:999") is TaskOutcome.NOT_FOUND
    common = {"session": session, "task_id": task.id, "now": local("2026-11-16"), "tz": HANOI}
    assert excuse(key=key, actor=org.director, reason="Khách quan", **common).outcome == "ok"
    assert check("director") is TaskOutcome.ALREADY_HANDLED


def test_racing_excuses_record_one(db: sessionmaker[Session], session, org, policy):
    task, key = late_task(session, org, policy)

    def call(s: Session) -> str:
        actor = s.get(Employee, org.director.id)
        return excuse(
            session=s,
            task_id=task.id,
            key=key,
            actor=actor,
            reason="Khách quan",
            now=local("2026-11-16"),
            tz=HANOI,
        ).outcome

    assert sorted(race(db, call, call)) == [TaskOutcome.ALREADY_HANDLED, TaskOutcome.OK]


def test_only_the_assigner_or_an_admin_cancels_once(
    db: sessionmaker[Session], session, org, policy
):
    task = new_task(session, policy, org.leader, org.staff)
    mine = cancel(session=session, task_id=task.id, actor=org.staff, now=local("2026-11-03"))
    assert mine.outcome is TaskOutcome.NOT_ALLOWED
    assert (
        cancel(
            session=session, task_id=task.id, actor=org.outsider, now=local("2026-11-03")
        ).outcome
        is TaskOutcome.NOT_FOUND
    )

    def call(s: Session) -> str:
        actor = s.get(Employee, org.leader.id)
        return cancel(session=s, task_id=task.id, actor=actor, now=local("2026-11-03")).outcome

    assert sorted(race(db, call, call)) == [TaskOutcome.ALREADY_HANDLED, TaskOutcome.OK]
    assert open_tasks(session=session, employee_id=org.staff.id) == []


def _id(task: Task) -> int:
    assert task.id is not None
    return task.id
