"""/assign: a leader gives a direct report a task in four steps (person, title, due day, type)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from html import escape
from typing import cast

from telegram import ForceReply
from telegram.ext import ContextTypes

from handlers import awaiting
from handlers.arguments import typed_day
from handlers.caller import Caller, LinkedCaller, linked, with_caller
from kpi import org, tasks
from kpi.tasks import TaskOutcome
from kpi.workcodes import WorkCodeOutcome, clean_title
from models import Employee
from notices.callbacks import AssignButton
from notices.tasks import assignment_notice, due_choice, people_choice, type_choice

SOON = 5  # working days of the first due-day button


@dataclass(frozen=True)
class Draft:
    """The task being assigned, step by step."""

    employee_id: int
    title: str | None = None
    due_on: date | None = None


@with_caller
async def cmd_assign(caller: Caller) -> None:
    """Leaders: choose the direct report to assign a task to."""
    tr = caller.tr
    if not isinstance(caller, LinkedCaller) or not caller.is_leader:
        await caller.reply(tr._("Only leaders assign tasks, to their direct reports."))
        return
    session = caller.session
    people = org.employees_by_id(
        session, org.direct_reports(session, cast(int, caller.employee.id))
    )
    choice = people_choice(sorted(people.values(), key=lambda person: person.full_name))
    await caller.reply(tr._("Whom do you assign a task to?"), reply_markup=choice)


@linked
async def on_button(caller: LinkedCaller) -> None:
    """A step of /assign: the person, the due day or the type chosen."""
    button = await caller.button(AssignButton)
    if button is None:
        return
    draft = _draft(caller.context)
    if button.employee_id is not None:
        if org.leader_of(caller.session, button.employee_id) != caller.employee.id:
            await caller.refuse_button()
            return
        await caller.query.answer()
        await _ask_title(caller, Draft(button.employee_id))
    elif draft is None or draft.title is None:
        await caller.refuse_button()
    elif button.due_on is not None:
        await caller.query.answer()
        await _ask_type(caller, replace(draft, due_on=button.due_on))
    elif draft.due_on is None or button.type_code is None:
        await caller.refuse_button()
    else:
        await caller.query.answer()
        await _assign(caller, draft, button.type_code)


def waiting(context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Whether the user's next text is a task's title or due day."""
    draft = _draft(context)
    return draft is not None and draft.due_on is None


async def answer(caller: LinkedCaller, text: str) -> None:
    """The title typed, or the due day typed as DD/MM/YYYY."""
    draft = cast(Draft, _draft(caller.context))
    if draft.title is None:
        cleaned = clean_title(text)
        if isinstance(cleaned, WorkCodeOutcome):
            await caller.reply(caller.tr._("Write the task's title, up to 200 characters."))
            return
        await _ask_due(caller, replace(draft, title=cleaned))
        return
    due_on = typed_day(text)
    if due_on is None:
        await caller.reply(caller.tr._("Write the due date like 20/11/2026, or press a button."))
        return
    await _ask_type(caller, replace(draft, due_on=due_on))


async def _ask_title(caller: LinkedCaller, draft: Draft) -> None:
    _keep(caller.context, draft)
    await caller.reply(caller.tr._("The task's title?"), reply_markup=ForceReply())


async def _ask_due(caller: LinkedCaller, draft: Draft) -> None:
    _keep(caller.context, draft)
    today, calendar = caller.today, caller.calendar
    month_end = (today.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    choice = due_choice(caller.tr, calendar.add_working_days(today, SOON), month_end)
    text = caller.tr._("Due when? Press a button or write a date like 20/11/2026.")
    await caller.reply(text, reply_markup=choice)


async def _ask_type(caller: LinkedCaller, draft: Draft) -> None:
    if draft.due_on is not None and draft.due_on < caller.today:
        await caller.reply(caller.tr._("The due date cannot be in the past."))
        return
    _keep(caller.context, draft)
    choice = type_choice(caller.tr, caller.svc.policy)
    await caller.reply(caller.tr._("Which type of task?"), reply_markup=choice)


async def _assign(caller: LinkedCaller, draft: Draft, type_code: str) -> None:
    session, assigner = caller.session, caller.employee
    result = tasks.assign(
        session=session,
        assigner=assigner,
        employee_id=draft.employee_id,
        title=cast(str, draft.title),
        due_on=cast(date, draft.due_on),
        type_code=type_code,
        policy=caller.svc.policy,
        now=caller.now,
        tell=caller.tells(
            lambda task: [
                assignment_notice(
                    caller.occasion, session.get_one(Employee, task.employee_id), task, assigner
                )
            ]
        ),
    )
    awaiting.drop(caller.context)
    if result.outcome is not TaskOutcome.OK or result.task is None:
        await caller.reply(caller.tr._("The task could not be assigned; send /assign again."))
        return
    person = session.get_one(Employee, draft.employee_id)
    text = caller.tr._(
        "Assigned task T{id} to {name}; they have been told.",
        id=result.task.id,
        name=escape(person.full_name),
    )
    await caller.reply(text)


def _draft(context: ContextTypes.DEFAULT_TYPE) -> Draft | None:
    return awaiting.awaited(context, Draft)


def _keep(context: ContextTypes.DEFAULT_TYPE, draft: Draft) -> None:
    awaiting.expect(context, draft)
