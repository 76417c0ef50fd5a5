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
    return _paged(occasion, person, ("tasks", OutboxKind.DIGEST), title, lines, [], expires_at)


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
    kind = ("task-remind", OutboxKind.REMINDER)
    return _paged(occasion, person, kind, title, body, [tr._(REPORT_TASKS_HINT)], due.expires_at)


def _paged(
    occasion: Occasion,
    person: Employee,
    kind: tuple[str, OutboxKind],
    title: str,
    body: Sequence[str],
    footer: Sequence[str],
    expires_at: datetime,
) -> list[Draft]:
    """Today's message of this kind (its key's prefix, its outbox kind) for the person: the
    title on each page, then the body's lines paged to fit, then the footer."""
    tr, (prefix, outbox_kind) = occasion.tr(person), kind
    reserved = visible_length(title) + sum(visible_length(line) + 2 for line in footer)
    pages = paginate(body, str, reserved=reserved)
    day = occasion.today.isoformat()
    return [
        occasion.draft(
            person,
            f"{prefix}:{person.id}:{day}:{number}",
            outbox_kind,
            "\n".join([page_title(tr, title, number, len(pages)), *page, *footer]),
            expires_at=expires_at,
        )
        for number, page in enumerate(pages, start=1)
    ]
