"""Which tasks the morning digest names: due soon to the assignee, overdue to the assigner."""

from __future__ import annotations

from datetime import date

import pytest

from kpi.task_reminders import due_horizon, task_mentions
from kpi.tasks import TaskState, cancel
from kpi.workcodes import give_opinion
from tests.factories import local
from tests.kpi.task_steps import CALENDAR, new_task, report, respond

TODAY = date(2026, 8, 28)  # a Friday; 31/8 (bridge), 1/9 and 2/9 (National Day) are off


@pytest.mark.parametrize(
    ("today", "horizon"),
    [
        (date(2026, 8, 28), date(2026, 9, 4)),  # across the weekend and National Day
        (date(2026, 11, 2), date(2026, 11, 4)),  # an ordinary Monday
        (date(2026, 11, 6), date(2026, 11, 10)),  # Friday: over the weekend
    ],
)
def test_due_soon_is_within_two_working_days(today, horizon):
    assert due_horizon(CALENDAR, today) == horizon


def mentioned(session, org) -> dict[str, list[tuple[str, TaskState]]]:
    found = task_mentions(session, calendar=CALENDAR, today=TODAY)
    names = {org.staff.id: "staff", org.leader.id: "leader", org.clerk.id: "clerk"}
    shown: dict[str, list[tuple[str, TaskState]]] = {}
    for person_id, mentions in found.items():
        for role, lines in (("own", mentions.own), ("assigned", mentions.assigned)):
            for line in lines:
                key = f"{names[person_id]}:{role}"
                shown.setdefault(key, []).append((line.task.title, line.state))
    return shown


def test_each_task_is_named_to_whom_it_concerns(session, org, policy):
    early = local("2026-08-03")

    def task(title: str, due: str, assigner=org.leader, employee=org.staff):
        return new_task(session, policy, assigner, employee, due_on=due, title=title, now=early)

    task("Sau kỳ nghỉ", "2026-09-04")  # the 2nd working day from Friday 28/8: due soon
    task("Tuần sau nữa", "2026-09-07")  # past the horizon: not yet
    task("Quá hạn", "2026-08-27")
    awaiting = task("Đã trình", "2026-08-26")
    report(session, awaiting, org.staff, on="2026-08-27")
    returned = task("Bị trả lại", "2026-08-25")
    back = report(session, returned, org.staff, on="2026-08-25")
    give_opinion(
        session=session, code_id=back.id, actor=org.leader, text="Sửa", now=local("2026-08-26")
    )
    done = task("Đã xong", "2026-08-20")
    respond(session, report(session, done, org.staff, on="2026-08-20"), org.leader, org.staff, "a")
    dropped = task("Đã hủy", "2026-08-21")
    cancel(session=session, task_id=dropped.id, actor=org.leader, now=early)
    task("Của HR", "2026-08-24", assigner=None)  # imported: its overdue goes to the leader
    assert mentioned(session, org) == {
        "staff:own": [
            ("Của HR", TaskState.OVERDUE),
            ("Bị trả lại", TaskState.OVERDUE),
            ("Quá hạn", TaskState.OVERDUE),
            ("Sau kỳ nghỉ", TaskState.TO_DO),
        ],
        "leader:assigned": [
            ("Của HR", TaskState.OVERDUE),
            ("Bị trả lại", TaskState.OVERDUE),
            ("Đã trình", TaskState.REPORTED),
            ("Quá hạn", TaskState.OVERDUE),
        ],
    }


def test_nobody_is_named_without_tasks(session, org):  # noqa: ARG001 (the org, no task)
    assert task_mentions(session, calendar=CALENDAR, today=TODAY) == {}
