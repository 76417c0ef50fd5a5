"""Which tasks the working morning's digest and the due day's reminder name (§3, §7), and to whom.

Each assignee is told of their tasks due within 2 working days and those overdue, unless a work
code reporting the task awaits the leader (nothing is left for them to do then). Each assigner
is told of the overdue tasks they assigned; a task HR imported without an assigner goes to the
assignee's current leader. A task done or cancelled is named to no one.

The digest carries the reminder ladder's slots at digest time; the ladder's last slot on the due
day (15:00 by default) reminds each assignee of their tasks due that day and not yet reported.
A task due on a day off is reminded on the working day before it, as the digest names it then.

One pass a day for each: a few queries whatever the number of tasks.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import cast

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from kpi import reminders
from kpi.calendar import WorkCalendar
from kpi.policy import Policy
from kpi.tasks import TaskLine, TaskState
from models import Employee, Task, WorkCode, WorkCodeStatus

SOON = 2  # working days ahead within which a task is "due soon"


@dataclass
class TaskMentions:
    """What one person's task digest names."""

    own: list[TaskLine] = field(default_factory=list)  # theirs, due soon or overdue
    assigned: list[TaskLine] = field(default_factory=list)  # overdue, assigned by them


def due_horizon(calendar: WorkCalendar, today: date) -> date:
    """The last day a task may be due on to count as due within `SOON` working days of today."""
    return calendar.add_working_days(today, SOON)


def task_mentions(
    session: Session, *, calendar: WorkCalendar, today: date
) -> dict[int, TaskMentions]:
    """Per employee id, the tasks their digest names today; people with none are left out."""
    named = _not_done(due_by=due_horizon(calendar, today))
    tasks = list(
        session.scalars(sa.select(Task).where(*named).order_by(col(Task.due_on), col(Task.id)))
    )
    awaiting = _awaiting(session, named)
    leaders = {
        employee_id: cast(int, leader_id)
        for employee_id, leader_id in session.execute(
            sa.select(col(Employee.id), col(Employee.leader_id))
            .join(Task, col(Task.employee_id) == col(Employee.id))
            .where(col(Task.assigner_id).is_(None), col(Employee.leader_id).is_not(None), *named)
            .distinct()
        )
    }
    mentions: dict[int, TaskMentions] = defaultdict(TaskMentions)
    for task in tasks:
        overdue = task.due_on < today
        if task.id in awaiting:
            line = TaskLine(task, TaskState.REPORTED)
        else:
            line = TaskLine(task, TaskState.OVERDUE if overdue else TaskState.TO_DO)
            mentions[task.employee_id].own.append(line)
        assigner = task.assigner_id or leaders.get(task.employee_id)
        if overdue and assigner is not None:
            mentions[assigner].assigned.append(line)
    return dict(mentions)


@dataclass(frozen=True)
class DueReminder:
    """The tasks' reminder due at some instant: its slot, and the due days it covers."""

    at: datetime  # the ladder's last slot, today
    first: date  # tasks due from this day (the slot's due day)...
    last: date  # ...to this one: the days off after it, before the next working day
    expires_at: datetime  # quiet hours today: later the reminder is not worth sending


def reminder_due(calendar: WorkCalendar, policy: Policy, now: datetime) -> DueReminder | None:
    """The tasks' reminder at the ladder's last slot, if due at `now`: a working day, past the
    slot, before quiet hours, and not a slot the morning's digest carries."""
    if not policy.reminder_slots:
        return None
    today = calendar.local_day(now)
    if not calendar.is_working_day(today):
        return None
    before = policy.reminder_slots[-1].days_before  # the ladder's last slot, latest first
    first = calendar.add_working_days(today, before) if before else today
    at = reminders.slots(calendar, policy, first)[-1]
    expires_at = reminders.quiet_from(calendar, policy, today)
    if reminders.carried_by_digest(calendar, policy, at) or not at <= now < expires_at:
        return None
    last = calendar.add_working_days(first, 1) - timedelta(days=1)
    return DueReminder(at, first, last, expires_at)


def tasks_to_remind(session: Session, due: DueReminder) -> dict[int, list[TaskLine]]:
    """Per assignee id, their tasks due on the reminder's days, neither done, cancelled nor
    reported by a code awaiting the leader; earliest due first. Two queries."""
    named = (*_not_done(due_by=due.last), col(Task.due_on) >= due.first)
    awaiting = _awaiting(session, named)
    tasks = session.scalars(sa.select(Task).where(*named).order_by(col(Task.due_on), col(Task.id)))
    found: dict[int, list[TaskLine]] = defaultdict(list)
    for task in tasks:
        if task.id not in awaiting:
            found[task.employee_id].append(TaskLine(task, TaskState.TO_DO))
    return dict(found)


def _not_done(*, due_by: date) -> tuple[sa.ColumnElement[bool], ...]:
    """Tasks due by `due_by`, not cancelled, no code reporting them approved."""
    done = aliased(WorkCode)  # apart from the codes a query joining the tasks reads
    approved = sa.exists().where(
        col(done.task_id) == col(Task.id), col(done.status) == WorkCodeStatus.APPROVED.value
    )
    return (col(Task.cancelled_at).is_(None), col(Task.due_on) <= due_by, ~approved)


def _awaiting(session: Session, named: tuple[sa.ColumnElement[bool], ...]) -> set[int]:
    """The ids of the tasks among `named` that an open work code reports."""
    return set(
        session.scalars(
            sa.select(col(WorkCode.task_id))
            .join(Task, col(Task.id) == col(WorkCode.task_id))
            .where(col(WorkCode.status) == WorkCodeStatus.OPEN.value, *named)
        )
    )
