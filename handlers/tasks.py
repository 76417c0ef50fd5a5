"""Assigned tasks in Telegram: /mytasks and a leader's /tasks."""

from __future__ import annotations

from html import escape
from typing import cast

from handlers.caller import Caller, LinkedCaller, linked, with_caller
from kpi import org, tasks
from kpi.scoring import Quarter
from notices.limits import paged_lines
from notices.tasks import task_line


@linked
async def cmd_mytasks(caller: LinkedCaller) -> None:
    """The caller's open tasks, the earliest due first, with their state."""
    tr, policy = caller.tr, caller.svc.policy
    lines = tasks.task_lines(
        session=caller.session, employee_ids=[cast(int, caller.employee.id)], today=caller.today
    )
    if not lines:
        await caller.reply(tr._("You have no open assigned task."))
        return
    texts = [task_line(tr, line, policy) for line in lines]
    await caller.reply_pages(paged_lines(tr, tr._("<b>Your assigned tasks</b>"), texts))


@with_caller
async def cmd_tasks(caller: Caller) -> None:
    """Leaders: their direct reports' tasks of the quarter and those still open, per person."""
    tr = caller.tr
    if not isinstance(caller, LinkedCaller) or not caller.is_leader:
        await caller.reply(tr._("This is for leaders: the tasks of your direct reports."))
        return
    session, policy = caller.session, caller.svc.policy
    reports = org.employees_by_id(
        session, org.direct_reports(session, cast(int, caller.employee.id))
    )
    since = Quarter.of(caller.now, caller.svc.tz).first_day
    lines: list[str] = []
    person = None
    for line in tasks.task_lines(
        session=session, employee_ids=list(reports), today=caller.today, since=since
    ):
        if line.task.employee_id != person:
            person = line.task.employee_id
            lines.append(f"<b>{escape(reports[person].full_name)}</b>")
        lines.append(task_line(tr, line, policy))
    title = tr._("<b>Tasks of your direct reports</b>")
    await caller.reply_pages(paged_lines(tr, title, lines or [tr._("No task to show.")]))
