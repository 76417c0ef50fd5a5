"""Which tasks the working morning's digest names (§3, §7), and to whom.

Each assignee is told of their tasks due within 2 working days and those overdue, unless a work
code reporting the task awaits the leader (nothing is left for them to do then). Each assigner
is told of the overdue tasks they assigned; a task HR imported without an assigner goes to the
assignee's current leader. A task done or cancelled is named to no one.

One pass a day, at digest time: three queries whatever the number of tasks (the tasks due by the
horizon not done, the codes reporting them, and the leaders of tasks with no assigner).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import cast

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from kpi.calendar import WorkCalendar
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
    horizon = due_horizon(calendar, today)
    done = aliased(WorkCode)  # apart from the codes the query below reads
    approved = sa.exists().where(
        col(done.task_id) == col(Task.id), col(done.status) == WorkCodeStatus.APPROVED.value
    )
    named = (col(Task.cancelled_at).is_(None), col(Task.due_on) <= horizon, ~approved)
    tasks = list(
        session.scalars(sa.select(Task).where(*named).order_by(col(Task.due_on), col(Task.id)))
    )
    awaiting = set(
        session.scalars(
            sa.select(col(WorkCode.task_id))
            .join(Task, col(Task.id) == col(WorkCode.task_id))
            .where(col(WorkCode.status) == WorkCodeStatus.OPEN.value, *named)
        )
    )
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
