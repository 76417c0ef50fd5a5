"""Messages about assigned tasks (§7): a task assigned, and the lines explaining a task score."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from html import escape

from sqlmodel import Session, col, select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from kpi import org
from kpi.outbox import Draft
from kpi.policy import Policy
from kpi.task_results import Explanation, Measure
from kpi.tasks import TaskLine, TaskState
from locales.i18n import N_, Translator
from models import Employee, ForcedRating, OutboxKind, Task
from notices.callbacks import AssignButton, OpenTaskButton
from notices.limits import BUTTON_LIMIT, TITLE_IN_LIST, shorten
from notices.occasion import Occasion
from notices.workcodes import short_title

ASSIGNED_BY_LEADER = N_(
    "{assigner} assigned you task T{id}: «{title}», due {day} ({type}, {units} converted units)."
)
ASSIGNED_BY_HR = N_(
    "HR assigned you task T{id}: «{title}», due {day} ({type}, {units} converted units)."
)
REPORT_HINT = N_("Report it done by opening a work code for it (/open).")


def assignment_notice(
    occasion: Occasion, employee: Employee, task: Task, assigner: Employee | None
) -> Draft | None:
    """The assignee is told of a new task, its number, due day and weight."""
    if employee.telegram_id is None:
        return None
    tr = occasion.tr(employee)
    kind = occasion.policy.task_type(task.type)
    values = {
        "id": task.id,
        "title": escape(task.title),
        "day": tr.date(task.due_on),
        "type": escape(kind.name(tr.locale)),
        "units": tr.number(kind.weight.normalize()),
    }
    if assigner is None:
        first = tr._(ASSIGNED_BY_HR, **values)
    else:
        first = tr._(ASSIGNED_BY_LEADER, assigner=escape(assigner.full_name), **values)
    text = f"{first}\n{tr._(REPORT_HINT)}"
    return occasion.draft(employee, f"task:{task.id}", OutboxKind.TASK, text)


def import_notices(session: Session, occasion: Occasion, created_at: datetime) -> list[Draft]:
    """A notice to each assignee of a task a file import added at `created_at`."""
    added = session.exec(select(Task).where(col(Task.created_at) == created_at)).all()
    people = org.employees_by_id(
        session,
        {task.employee_id for task in added} | {t.assigner_id for t in added if t.assigner_id},
    )
    drafts = [
        assignment_notice(
            occasion,
            people[task.employee_id],
            task,
            people.get(task.assigner_id) if task.assigner_id else None,
        )
        for task in added
    ]
    return [draft for draft in drafts if draft is not None]


def open_choice(tr: Translator, tasks: list[Task]) -> InlineKeyboardMarkup:
    """/open's buttons: a code for one of the open tasks, or a new code without a task."""
    rows = [
        [InlineKeyboardButton(f"T{task.id} {short_title(task.title)}", callback_data=data)]
        for task in tasks[: BUTTON_LIMIT - 1]
        for data in [OpenTaskButton(task.id).pack()]
    ]
    new = InlineKeyboardButton(
        tr._("A new code without a task"), callback_data=OpenTaskButton(None).pack()
    )
    return InlineKeyboardMarkup([*rows, [new]])


def people_choice(people: Sequence[Employee]) -> InlineKeyboardMarkup:
    """/assign's first step: one button per direct report."""
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(person.full_name, callback_data=AssignButton(person.id).pack())]
            for person in people[:BUTTON_LIMIT]
        ]
    )


def due_choice(tr: Translator, soon: date, month_end: date) -> InlineKeyboardMarkup:
    """/assign's due day: in 5 working days, or the end of the month."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    tr._("+5 working days ({day})", day=tr.date(soon)),
                    callback_data=AssignButton(due_on=soon).pack(),
                ),
                InlineKeyboardButton(
                    tr._("End of month ({day})", day=tr.date(month_end)),
                    callback_data=AssignButton(due_on=month_end).pack(),
                ),
            ]
        ]
    )


def type_choice(tr: Translator, policy: Policy) -> InlineKeyboardMarkup:
    """/assign's last step: the policy's task types, with their weights."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    f"{kind.name(tr.locale)} ({tr.number(kind.weight.normalize())})",
                    callback_data=AssignButton(type_code=code).pack(),
                )
            ]
            for code, kind in list(policy.task_types.items())[:BUTTON_LIMIT]
        ]
    )


def task_of_code(tr: Translator, task: Task, policy: Policy) -> str:
    """The line on a leader's card of a code reporting a task."""
    kind = policy.task_type(task.type)
    return tr._(
        "Reports task T{id} «{title}», due {day} ({type}, {units} converted units).",
        id=task.id,
        title=shorten(task.title, TITLE_IN_LIST),
        day=tr.date(task.due_on),
        type=escape(kind.name(tr.locale)),
        units=tr.number(kind.weight.normalize()),
    )


# --- lists of tasks ------------------------------------------------------------------------------

STATES = {
    TaskState.TO_DO: N_("to do"),
    TaskState.OVERDUE: N_("overdue"),
    TaskState.REPORTED: N_("reported, awaiting approval"),
    TaskState.DONE: N_("done"),
}


def task_line(tr: Translator, line: TaskLine, policy: Policy) -> str:
    """`• T12 «Báo cáo quý» — due 20/11/2026, Báo cáo (1 converted unit): to do`."""
    task = line.task
    kind = policy.task_type(task.type)
    return "• " + tr._(
        "T{id} «{title}» — due {day}, {type} ({units} converted units): {state}",
        id=task.id,
        title=shorten(task.title, TITLE_IN_LIST),
        day=tr.date(task.due_on),
        type=escape(kind.name(tr.locale)),
        units=tr.number(kind.weight.normalize()),
        state=tr._(STATES[line.state]),
    )


# --- the score's explanation lines ---------------------------------------------------------------


def explain(tr: Translator, explanation: Explanation) -> str:
    """One line saying how a computed criterion was reached."""
    e = explanation
    if e.measure is Measure.YEAR:
        shown = ", ".join(tr.number(points) for points in e.quarters)
        return tr._("Mean of the year's quarters: {points}", points=shown)
    if e.measure is Measure.UNIT_RESULTS:
        return _unit_results(tr, e)
    if not e.tasks:
        return tr._("No task due in the period: full points.")
    if e.measure is Measure.QUANTITY:
        return tr._(
            "{done} of {units} converted units done ({tasks_done} of {tasks} tasks).",
            done=_units(tr, e.units_done),
            units=_units(tr, e.units),
            tasks_done=e.done,
            tasks=e.tasks,
        )
    if e.measure is Measure.SPEARHEAD:
        first = tr._(
            "{done} of {units} converted units of key tasks done.",
            done=_units(tr, e.units_done),
            units=_units(tr, e.units),
        )
        return " ".join([first, *_faults(tr, e)])
    if not e.done:
        return tr._("No task done yet: nothing to judge.")
    return " ".join(_faults(tr, e))


def _faults(tr: Translator, e: Explanation) -> list[str]:
    if e.faulted and e.measure is Measure.QUALITY:
        lines = [
            tr.ngettext(
                "{n} task returned or rejected {faults} times: −25% of its quality points each"
                " time.",
                "{n} tasks returned or rejected {faults} times: −25% of their quality points each"
                " time.",
                e.faulted,
                faults=e.faults,
            )
        ]
    elif e.faulted and e.measure is Measure.PROGRESS:
        lines = [
            tr.ngettext(
                "{n} task reported late ({faults} delays): −25% of its progress points each.",
                "{n} tasks reported late ({faults} delays): −25% of their progress points each.",
                e.faulted,
                faults=e.faults,
            )
        ]
    elif e.faulted:
        lines = [
            tr.ngettext(
                "{n} key task with {faults} errors or delays: −25% of its points each.",
                "{n} key tasks with {faults} errors or delays: −25% of their points each.",
                e.faulted,
                faults=e.faults,
            )
        ]
    elif e.measure is Measure.SPEARHEAD:
        lines = []
    else:
        lines = [tr._("All {n} done tasks without a fault.", n=e.done)]
    if e.excused:
        lines.append(
            tr.ngettext(
                "{n} fault excused as an objective cause: no points lost.",
                "{n} faults excused as an objective cause: no points lost.",
                e.excused,
            )
        )
    return lines


def _unit_results(tr: Translator, e: Explanation) -> str:
    if not e.reports:
        return tr._("No direct report: full points.")
    if not e.reports_below:
        return tr._(
            "All {n} direct reports rated Hoàn thành nhiệm vụ or better: full points.", n=e.reports
        )
    return tr._(
        "{below} of {n} direct reports rated below Hoàn thành nhiệm vụ: half the points.",
        below=e.reports_below,
        n=e.reports,
    )


def _units(tr: Translator, units: Decimal) -> str:
    return tr.number(units.normalize())


def forced_line(tr: Translator, rating: ForcedRating) -> str:
    """The line of a forced rating: the class whatever the score, its ground and reference."""
    return tr._(
        "Rated Không hoàn thành nhiệm vụ whatever the score: {ground} ({reference}).",
        ground=escape(rating.ground),
        reference=escape(rating.reference),
    )
