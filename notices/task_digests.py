"""The working morning's task digest: one's tasks due soon, and the overdue ones one assigned;
and the due day's reminder of one's tasks not yet reported."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from kpi.outbox import Draft
from kpi.task_reminders import DueReminder, TaskMentions
from kpi.tasks import TaskLine
from locales.i18n import N_
from models import Employee, OutboxKind
from notices.limits import NAME_IN_LIST, page_title, paginate, shorten, visible_length
from notices.occasion import Occasion
from notices.tasks import task_line

REPORT_TASKS_HINT = N_("Report a task done by opening a work code for it (/open).")


def task_digest(
    occasion: Occasion,
    person: Employee,
    mentions: TaskMentions,
    names: Mapping[int, Employee],
    expires_at: datetime,
) -> list[Draft]:
    """One message (paged to fit): the person's own tasks, then those of others overdue.

    `names` holds the assignees of the overdue tasks the person assigned.
    """
    tr, policy = occasion.tr(person), occasion.policy
    title = tr._("<b>Tasks to watch on {day}</b>", day=tr.date(occasion.today))
    lines: list[str] = []
    if mentions.own:
        lines += ["", tr._("<b>Your tasks due within 2 working days or overdue</b>")]
        lines += [task_line(tr, line, policy) for line in mentions.own]
        lines.append(tr._(REPORT_TASKS_HINT))
    if mentions.assigned:
        lines += ["", tr._("<b>Overdue tasks you assigned</b>")]
        for line in mentions.assigned:
            assignee = names.get(line.task.employee_id)
            name = shorten(assignee.full_name, NAME_IN_LIST) if assignee else "?"
            lines.append(f"{task_line(tr, line, policy)} — {name}")
    pages = paginate(lines, str, reserved=visible_length(title))
    day = occasion.today.isoformat()
    return [
        occasion.draft(
            person,
            f"tasks:{person.id}:{day}:{number}",
            OutboxKind.DIGEST,
            "\n".join([page_title(tr, title, number, len(pages)), *page]),
            expires_at=expires_at,
        )
        for number, page in enumerate(pages, start=1)
    ]


def task_reminder(
    occasion: Occasion, person: Employee, lines: Sequence[TaskLine], due: DueReminder
) -> list[Draft]:
    """One message (paged to fit): the person's tasks due by the end of the reminder's days and
    not yet reported, with how to report them; worth sending only until quiet hours."""
    tr = occasion.tr(person)
    title = tr.ngettext(
        "🔔 <b>Reminder</b>: {n} task of yours is due and not yet reported.",
        "🔔 <b>Reminder</b>: {n} tasks of yours are due and not yet reported.",
        len(lines),
    )
    body = [task_line(tr, line, occasion.policy) for line in lines]
    hint = tr._(REPORT_TASKS_HINT)
    pages = paginate(body, str, reserved=visible_length(title) + visible_length(hint) + 2)
    day = occasion.today.isoformat()
    return [
        occasion.draft(
            person,
            f"task-remind:{person.id}:{day}:{number}",
            OutboxKind.REMINDER,
            "\n".join([page_title(tr, title, number, len(pages)), *page, hint]),
            expires_at=due.expires_at,
        )
        for number, page in enumerate(pages, start=1)
    ]
