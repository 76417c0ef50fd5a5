"""A task's fault for the one who may excuse it, and the excuse for the employee and the leader.

When a work code reporting a task is opened after the task's due date (a delay), or is returned
or rejected (a quality error), the superior of the assignee's leader is told, with a button to
confirm an objective cause; when there is none, or they have not linked Telegram, every linked
admin is (admins may excuse too). Each notice is keyed by its fault (and the admin's id), so a
fault is told once to each however often the code is drafted about.
"""

from __future__ import annotations

from html import escape

from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from kpi import org, tasks
from kpi.outbox import Draft
from kpi.tasks import Fault
from locales.i18n import N_, Translator
from models import Employee, FaultKind, OutboxKind, Task, WorkCode, WorkCodeAction, WorkCodeEvent
from notices.callbacks import ExcuseButton
from notices.limits import shorten
from notices.occasion import Occasion
from notices.workcodes import short_title

DELAY_TEXT = N_(
    "⚠️ Task T{id} «{title}» of {employee} was due {day}, and work code #{code} reporting it "
    "was opened late, on {opened}. Unless you confirm an objective cause, it costs a quarter of "
    "the task's progress points."
)
ERROR_TEXTS = {
    WorkCodeAction.OPINION.value: N_(
        "⚠️ {leader} returned work code #{code} reporting task T{id} «{title}» of {employee}: "
        "a quality error. Unless you confirm an objective cause, it costs a quarter of the task's "
        "quality points."
    ),
    WorkCodeAction.REJECT.value: N_(
        "⚠️ {leader} rejected work code #{code} reporting task T{id} «{title}» of {employee}: "
        "a quality error. Unless you confirm an objective cause, it costs a quarter of the task's "
        "quality points."
    ),
}
REASON_SHOWN = 1000  # characters of the reason: the notice fits a message whatever they are
FAULTS = {FaultKind.DELAY: N_("the delay"), FaultKind.ERROR: N_("the quality error")}
EXCUSED_TEXTS = {
    "employee": N_(
        "{excuser} confirmed an objective cause for {fault} of your task T{id} «{title}» (work "
        "code #{code}): it costs no points. Reason: {reason}"
    ),
    "leader": N_(
        "{excuser} confirmed an objective cause for {fault} of task T{id} «{title}» of "
        "{employee} (work code #{code}): it costs no points. Reason: {reason}"
    ),
}


def fault_notices(session: Session, occasion: Occasion, code: WorkCode) -> list[Draft]:
    """For whoever may excuse (the assignee's leader's superior, or else the linked admins): each
    fault of this code's task, not yet excused."""
    if code.task_id is None:
        return []
    task = session.get_one(Task, code.task_id)
    if task.cancelled_at is not None:
        return []
    faults = tasks.faults_of(session, code.task_id, occasion.calendar.tz)
    mine = [f for f in faults if f.work_code_id == code.id and not f.excused]
    if not mine:
        return []
    told = tasks.told_of_faults(session, task)
    superior = tasks.excuser_of(session, task)
    return [
        _fault_notice(session, occasion, task, code, fault, person, person.id == superior)
        for fault in mine
        for person in told
    ]


def _fault_notice(
    session: Session,
    occasion: Occasion,
    task: Task,
    code: WorkCode,
    fault: Fault,
    excuser: Employee,
    superior: bool,
) -> Draft:
    tr = occasion.tr(excuser)
    values = {
        "id": task.id,
        "title": short_title(task.title),
        "employee": escape(session.get_one(Employee, task.employee_id).full_name),
        "code": code.id,
    }
    if fault.kind is FaultKind.DELAY:
        opened = tr.date(occasion.calendar.local_day(code.created_at))
        text = tr._(DELAY_TEXT, day=tr.date(task.due_on), opened=opened, **values)
    else:
        event = session.get_one(WorkCodeEvent, fault.event_id)
        leader = escape(session.get_one(Employee, event.actor_id).full_name)
        text = tr._(ERROR_TEXTS[event.action], leader=leader, **values)
    button = InlineKeyboardButton(
        tr._("Excuse (objective cause)"), callback_data=ExcuseButton.of(fault).pack()
    )
    return occasion.draft(
        excuser,
        f"fault:{fault.key}" if superior else f"fault:{fault.key}:{excuser.id}",
        OutboxKind.TASK,
        text,
        buttons=InlineKeyboardMarkup([[button]]),
        work_code_id=code.id,
    )


def reason_prompt(tr: Translator, task_id: int, kind: FaultKind) -> str:
    """The question asking the excuser for the objective cause."""
    return tr._(
        "Write the objective cause for {fault} of task T{id}:", fault=tr._(FAULTS[kind]), id=task_id
    )


def excused_notices(
    session: Session, occasion: Occasion, fault: Fault, excuser: Employee, reason: str
) -> list[Draft]:
    """The employee and their leader are told that a fault of the task costs nothing now."""
    task = session.get_one(Task, fault.task_id)
    employee = session.get_one(Employee, task.employee_id)
    leader_id = org.leader_of(session, task.employee_id)
    leader = session.get(Employee, leader_id) if leader_id is not None else None
    told = (("employee", employee), ("leader", leader))
    drafts = []
    for role, person in told:
        if person is None or person.telegram_id is None:
            continue
        tr = occasion.tr(person)
        text = tr._(
            EXCUSED_TEXTS[role],
            excuser=escape(excuser.full_name),
            fault=tr._(FAULTS[fault.kind]),
            id=task.id,
            title=short_title(task.title),
            employee=escape(employee.full_name),
            code=fault.work_code_id,
            reason=shorten(reason, REASON_SHOWN),
        )
        drafts.append(occasion.draft(person, f"excused:{fault.key}:{role}", OutboxKind.TASK, text))
    return drafts
