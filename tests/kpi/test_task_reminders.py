"""Which tasks the morning digest names: due soon to the assignee, overdue to the assigner; and
which the due day's reminder names: the assignee's own due that day, not yet reported."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time

import pytest

from kpi.policy import ReminderSlot
from kpi.task_reminders import (
    DueReminder,
    due_horizon,
    reminder_due,
    task_mentions,
    tasks_to_remind,
)
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


def test_the_reminder_falls_due_at_the_ladders_last_slot_until_quiet_hours(policy):
    assert reminder_due(CALENDAR, policy, local("2026-11-03", 15)) == DueReminder(
        at=local("2026-11-03", 15),
        first=date(2026, 11, 3),
        last=date(2026, 11, 3),
        expires_at=local("2026-11-03", 21),
    )
    assert reminder_due(CALENDAR, policy, local("2026-11-03", 20, 59)) is not None  # late
    for early_or_quiet in (local("2026-11-03", 14, 59), local("2026-11-03", 21)):
        assert reminder_due(CALENDAR, policy, early_or_quiet) is None
    assert reminder_due(CALENDAR, policy, local("2026-11-07", 15)) is None  # a Saturday


def test_on_the_eve_of_days_off_the_reminder_covers_the_tasks_due_on_them(policy):
    due = reminder_due(CALENDAR, policy, local("2026-08-28", 16))
    assert due is not None and (due.first, due.last) == (date(2026, 8, 28), date(2026, 9, 2))


def test_no_reminder_when_the_ladder_ends_at_digest_time_or_is_empty(policy):
    morning = replace(policy, reminder_slots=(ReminderSlot(0, time(8)),))
    assert reminder_due(CALENDAR, morning, local("2026-11-03", 15)) is None  # the digest has it
    assert (
        reminder_due(CALENDAR, replace(policy, reminder_slots=()), local("2026-11-03", 15)) is None
    )


def test_the_reminder_names_ones_own_tasks_due_left_to_do(session, org, policy):
    early = local("2026-08-03")

    def task(title: str, due: str, employee=org.staff):
        return new_task(session, policy, org.leader, employee, due_on=due, title=title, now=early)

    task("Hôm nay", "2026-08-28")
    task("Thứ bảy", "2026-08-29")  # a day off before the next working day: its last chance
    task("Sau kỳ nghỉ", "2026-09-03")  # the next working day: tomorrow's
    task("Hôm qua", "2026-08-27")  # overdue: the digest's
    task("Của văn thư", "2026-08-28", employee=org.clerk)
    awaiting = task("Đã trình", "2026-08-28")
    report(session, awaiting, org.staff, on="2026-08-27")
    returned = task("Bị trả lại", "2026-08-28")
    back = report(session, returned, org.staff, on="2026-08-26")
    give_opinion(
        session=session, code_id=back.id, actor=org.leader, text="Sửa", now=local("2026-08-27")
    )
    done = task("Đã xong", "2026-08-28")
    respond(session, report(session, done, org.staff, on="2026-08-26"), org.leader, org.staff, "a")
    dropped = task("Đã hủy", "2026-08-28")
    cancel(session=session, task_id=dropped.id, actor=org.leader, now=early)
    due = reminder_due(CALENDAR, policy, local("2026-08-28", 15))
    assert due is not None
    found = {
        person_id: [(line.task.title, line.state) for line in lines]
        for person_id, lines in tasks_to_remind(session, due).items()
    }
    assert found == {
        org.staff.id: [
            ("Hôm nay", TaskState.TO_DO),
            ("Bị trả lại", TaskState.TO_DO),
            ("Thứ bảy", TaskState.TO_DO),
        ],
        org.clerk.id: [("Của văn thư", TaskState.TO_DO)],
    }
