"""/delegate: a leader (or HR for them) names an acting approver for some days, or cancels one."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date
from html import escape
from typing import cast

from telegram.ext import ContextTypes

from handlers import awaiting
from handlers.arguments import typed_day
from handlers.caller import Caller, LinkedCaller, linked, with_caller
from kpi import delegation, org
from kpi.delegation import DelegationOutcome, DelegationResult
from models import Employee
from notices.callbacks import DelegateButton
from notices.delegation import (
    cancel_keyboard,
    cancelled_notices,
    created_notices,
    deputy_choice,
    period_choice,
    refusal,
    summary,
)

PERIODS = (0, 2, 5, 10)  # working days after today of the period buttons' last day
_DATES = re.compile(
    r"\s*(\d{1,2}/\d{1,2}/\d{4})(?:\s*(?:-|–|đến|to)?\s*(\d{1,2}/\d{1,2}/\d{4}))?\s*"
)


@dataclass(frozen=True)
class Draft:
    """The delegation being made: whose, and (once chosen) who acts."""

    leader_id: int
    deputy_id: int | None = None


@with_caller
async def cmd_delegate(caller: Caller) -> None:
    """Leaders: name an acting approver; `/delegate off` cancels; HR: `/delegate LEADER_CODE`."""
    tr = caller.tr
    if not isinstance(caller, LinkedCaller) or not (caller.is_leader or caller.is_admin):
        await caller.reply(tr._("Only leaders, or HR for them, name an acting approver."))
        return
    args = caller.args
    if args and args[0].lower() in ("off", "huy", "hủy"):
        await _cancel_all(caller)
        return
    leader: Employee | None = caller.employee
    if args:
        leader = org.employee_by_code(caller.session, args[0])
        if leader is None or not delegation.may_delegate(caller.employee, cast(int, leader.id)):
            await caller.reply(tr._("Only HR names an acting approver for another leader."))
            return
    elif not caller.is_leader:
        await caller.reply(
            tr._("Send /delegate LEADER_CODE to name an acting approver for a leader.")
        )
        return
    await _ask_deputy(caller, cast(Employee, leader))


async def _ask_deputy(caller: LinkedCaller, leader: Employee) -> None:
    tr, session, leader_id = caller.tr, caller.session, cast(int, leader.id)
    for current in delegation.in_force(session, leader_id, caller.today):
        deputy = session.get_one(Employee, current.deputy_id)
        text = summary(tr, current, leader, deputy)
        await caller.reply(text, reply_markup=cancel_keyboard(tr, current))
    _keep(caller.context, Draft(leader_id))
    people = [p for p in delegation.candidates(session, leader_id) if p.id != caller.employee.id]
    question = tr._(
        "Who approves in place of {leader}? Press a button or write their employee code.",
        leader=escape(leader.full_name),
    )
    await caller.reply(question, reply_markup=deputy_choice(people) if people else None)


@linked
async def on_button(caller: LinkedCaller) -> None:
    """A step of /delegate: the deputy or the last day chosen, or a delegation cancelled."""
    button = await caller.button(DelegateButton)
    if button is None:
        return
    draft = _draft(caller.context)
    if button.cancel_id is not None:
        await caller.query.answer()
        await _cancel(caller, button.cancel_id)
    elif draft is None:
        await caller.refuse_button()
    elif button.deputy_id is not None:
        await caller.query.answer()
        await _ask_period(caller, replace(draft, deputy_id=button.deputy_id))
    elif draft.deputy_id is None or button.ends_on is None:
        await caller.refuse_button()
    else:
        await caller.query.answer()
        await _create(caller, draft, caller.today, button.ends_on)


def waiting(context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Whether the user's next text names a deputy or a period."""
    return _draft(context) is not None


async def answer(caller: LinkedCaller, text: str) -> None:
    """The deputy's employee code typed, or the days typed as DD/MM/YYYY-DD/MM/YYYY."""
    draft = cast(Draft, _draft(caller.context))
    tr = caller.tr
    if draft.deputy_id is None:
        deputy = org.employee_by_code(caller.session, text.strip())
        if deputy is None:
            await caller.reply(tr._("There is no employee with that code. Write it again."))
            return
        await _ask_period(caller, replace(draft, deputy_id=deputy.id))
        return
    days = _period(text, caller.today)
    if days is None:
        await caller.reply(
            tr._("Write the days like 03/11/2026-06/11/2026, or one last day, or press a button.")
        )
        return
    await _create(caller, draft, *days)


def _period(text: str, today: date) -> tuple[date, date] | None:
    match = _DATES.fullmatch(text)
    if match is None:
        return None
    first = typed_day(match[1])
    last = typed_day(match[2]) if match[2] else first
    if first is None or last is None:
        return None
    return (first, last) if match[2] else (today, first)


async def _ask_period(caller: LinkedCaller, draft: Draft) -> None:
    _keep(caller.context, draft)
    today, calendar = caller.today, caller.calendar
    ends = sorted({calendar.add_working_days(today, n) if n else today for n in PERIODS})
    text = caller.tr._("For which days? Press a button, or write them like 03/11/2026-06/11/2026.")
    await caller.reply(text, reply_markup=period_choice(caller.tr, today, ends))


async def _create(caller: LinkedCaller, draft: Draft, starts_on: date, ends_on: date) -> None:
    session, actor = caller.session, caller.employee
    result = delegation.create(
        session=session,
        actor=actor,
        leader_id=draft.leader_id,
        deputy_id=cast(int, draft.deputy_id),
        starts_on=starts_on,
        ends_on=ends_on,
        today=caller.today,
        now=caller.now,
        tell=caller.tells(lambda made: created_notices(session, caller.occasion, made, actor)),
    )
    if result.outcome is DelegationOutcome.OK:
        awaiting.drop(caller.context)
    await _answer(caller, result, draft.leader_id, draft.deputy_id)


async def _answer(
    caller: LinkedCaller, result: DelegationResult, leader_id: int, deputy_id: int | None
) -> None:
    session, tr = caller.session, caller.tr
    leader = session.get(Employee, leader_id)
    deputy = session.get(Employee, deputy_id) if deputy_id is not None else None
    made = result.delegation
    if result.outcome is not DelegationOutcome.OK or made is None:
        await caller.reply(refusal(tr, result.outcome, leader, deputy, made))
        return
    text = tr._("Done.") + " " + summary(tr, made, cast(Employee, leader), cast(Employee, deputy))
    text += "\n" + tr._("Both of you are told; the authors of the codes see who approves.")
    await caller.reply(text, reply_markup=cancel_keyboard(tr, made))


async def _cancel(caller: LinkedCaller, delegation_id: int) -> None:
    session, actor = caller.session, caller.employee
    result = delegation.cancel(
        session=session,
        delegation_id=delegation_id,
        actor=actor,
        today=caller.today,
        now=caller.now,
        tell=caller.tells(
            lambda done: cancelled_notices(session, caller.occasion, done[0], done[1], actor)
        ),
    )
    if result.outcome is not DelegationOutcome.OK:
        await caller.reply(refusal(caller.tr, result.outcome, None, None, None))
        return
    await caller.reply(
        caller.tr._("The delegation is cancelled; the work codes are back with the leader.")
    )


async def _cancel_all(caller: LinkedCaller) -> None:
    mine = delegation.in_force(caller.session, cast(int, caller.employee.id), caller.today)
    if not mine:
        await caller.reply(caller.tr._("You have no acting approver to cancel."))
        return
    for current in mine:
        await _cancel(caller, cast(int, current.id))


def _draft(context: ContextTypes.DEFAULT_TYPE) -> Draft | None:
    return awaiting.awaited(context, Draft)


def _keep(context: ContextTypes.DEFAULT_TYPE, draft: Draft) -> None:
    awaiting.expect(context, draft)
