"""/deduct: typed in one line (`/deduct CODE CRITERION [POINTS] REASON`), or step by step with
buttons: the person, the criterion, the points, the reason."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from html import escape
from typing import cast

from telegram import ForceReply
from telegram.ext import ContextTypes

from handlers import awaiting
from handlers.arguments import words
from handlers.caller import LinkedCaller, linked
from handlers.deductions import DEDUCT_REFUSALS
from kpi import deductions, org
from kpi.outbox import Draft
from kpi.policy import Criterion
from locales.i18n import N_
from models import Deduction, Employee
from notices.callbacks import DeductButton
from notices.deductions import criterion_choice, deduction_notice, person_choice, points_choice
from notices.limits import NAME_IN_LIST, shorten

LOGGED = N_("Deduction {id} is logged for {name}.")
PEOPLE_SHOWN = 10  # people a typed name may match and still be offered as buttons
_ASKED_AGAIN = (deductions.Outcome.REASON_REQUIRED, deductions.Outcome.REASON_TOO_LONG)


@dataclass(frozen=True)
class Deducting:
    """The deduction being logged, step by step: the person, the criterion, the points."""

    employee_id: int | None = None
    criterion: str | None = None
    points: Decimal | None = None


@linked
async def cmd_deduct(caller: LinkedCaller) -> None:
    """Log a deduction in one line, or, given less than that, step by step."""
    args = words(caller.message, 3)
    if not caller.is_admin and not caller.is_leader:
        await caller.reply(caller.tr._(DEDUCT_REFUSALS[deductions.Outcome.NOT_ALLOWED]))
    elif len(args) == 3:
        code, criterion, rest = args
        points, reason = _points_and_reason(rest)
        await _log(caller, code, criterion, points, reason)
    elif args:
        await _choose_person(caller, " ".join(args))
    else:
        await _ask_person(caller)


@linked
async def on_button(caller: LinkedCaller) -> None:
    """A step of /deduct: the person, the criterion or the default points chosen."""
    button = await caller.button(DeductButton)
    if button is None:
        return
    draft, person = _draft(caller.context), caller.session.get(Employee, button.employee_id)
    allowed = person is not None and deductions.may_deduct(
        caller.session, cast(int, caller.employee.id), button.employee_id
    )
    if draft is None or person is None or not allowed:
        await caller.refuse_button()
    elif button.criterion is None:
        await caller.query.answer()
        await _ask_criterion(caller, person)
    else:
        await _on_criterion_button(caller, button, draft, person)


async def _on_criterion_button(
    caller: LinkedCaller, button: DeductButton, draft: Deducting, person: Employee
) -> None:
    """A criterion chosen, or its default points; buttons of another dialog are stale."""
    criteria = deductions.criteria_for(caller.session, person, caller.svc.policy)
    place = cast(int, button.criterion)
    criterion = criteria[place] if place < len(criteria) else None
    if criterion is None or draft.employee_id != person.id:
        await caller.refuse_button()
    elif not button.default_points:
        await caller.query.answer()
        await _ask_points(caller, person, place, criterion)
    elif draft.criterion != criterion.code or draft.points is not None:
        await caller.refuse_button()
    else:
        await caller.query.answer()
        await _ask_reason(caller, replace(draft, points=deductions.check_points(None, criterion)))


def waiting(context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Whether the user's next text is a step of /deduct."""
    return _draft(context) is not None


async def answer(caller: LinkedCaller, text: str) -> None:
    """The step typed: a roster code or name, a criterion, the points, or the reason."""
    draft = cast(Deducting, _draft(caller.context))
    if draft.employee_id is None:
        await _choose_person(caller, text)
        return
    person = caller.session.get_one(Employee, draft.employee_id)
    criteria = deductions.criteria_for(caller.session, person, caller.svc.policy)
    if draft.criterion is None:
        found = deductions.find_criterion(criteria, text)
        if found is None:
            await _ask_criterion(caller, person, again=True)
        else:
            await _ask_points(caller, person, criteria.index(found), found)
    elif draft.points is None:
        criterion = next(c for c in criteria if c.code == draft.criterion)
        await _take_points(caller, draft, criterion, text)
    else:
        await _log(caller, person.code, draft.criterion, draft.points, text)


async def _ask_person(caller: LinkedCaller) -> None:
    """Whom the deduction is for: a leader's direct reports as buttons; HR may write a name."""
    awaiting.expect(caller.context, Deducting())
    session, tr = caller.session, caller.tr
    ids = org.direct_reports(session, cast(int, caller.employee.id))
    people = sorted(org.employees_by_id(session, ids).values(), key=lambda p: p.full_name)
    if not caller.is_admin:
        await caller.reply(tr._("Whom is the deduction for?"), reply_markup=person_choice(people))
        return
    text = tr._("Whom is the deduction for? Write their roster code or a part of their name.")
    await caller.reply(text, reply_markup=person_choice(people) if people else ForceReply())


async def _choose_person(caller: LinkedCaller, text: str) -> None:
    """The person a roster code or a name stands for; a choice when several match."""
    tr, found = caller.tr, deductions.people_named(caller.session, caller.employee, text)
    typed = shorten(text, NAME_IN_LIST)
    awaiting.expect(caller.context, Deducting())
    if len(found) == 1:
        await _ask_criterion(caller, found[0])
    elif 1 < len(found) <= PEOPLE_SHOWN:
        text = tr._("Several people match «{words}». Whom is the deduction for?", words=typed)
        await caller.reply(text, reply_markup=person_choice(found))
    elif found:
        text = tr._(
            "Many people match «{words}»; write more of the name, or the roster code.",
            words=typed,
        )
        await caller.reply(text, reply_markup=ForceReply())
    else:
        text = tr._(
            "Nobody you may log deductions for matches «{words}». Write a roster code or a part "
            "of the name, or send /cancel.",
            words=typed,
        )
        await caller.reply(text, reply_markup=ForceReply())


async def _ask_criterion(caller: LinkedCaller, person: Employee, *, again: bool = False) -> None:
    """Which criterion of the person's position, as buttons (or typed by a word of its name)."""
    tr, name = caller.tr, escape(person.full_name)
    criteria = deductions.criteria_for(caller.session, person, caller.svc.policy)
    if not criteria:
        awaiting.drop(caller.context)
        await caller.reply(tr._("{name}'s position has no criteria to deduct on.", name=name))
        return
    awaiting.expect(caller.context, Deducting(person.id))
    if again:
        text = tr._("No criterion of {name}'s position matches that. Press one:", name=name)
    else:
        text = tr._("Which criterion is the deduction for {name} on?", name=name)
    await caller.reply(text, reply_markup=criterion_choice(tr, person, criteria))


async def _ask_points(
    caller: LinkedCaller, person: Employee, place: int, criterion: Criterion
) -> None:
    """How many points: the criterion's default by a button, or a number typed."""
    awaiting.expect(caller.context, Deducting(person.id, criterion.code))
    tr = caller.tr
    text = tr._(
        "How many points on «{criterion}»? Press the button for the default, or write a number "
        "up to {most}.",
        criterion=escape(criterion.name(tr.locale)),
        most=tr.number(criterion.max_points),
    )
    await caller.reply(text, reply_markup=points_choice(tr, person, place, criterion))


async def _take_points(
    caller: LinkedCaller, draft: Deducting, criterion: Criterion, text: str
) -> None:
    """The points typed, if within the criterion's rule; else say why and wait."""
    typed = _points(text.strip())
    points = deductions.check_points(typed, criterion) if typed is not None else None
    if points is None:
        await caller.reply(caller.tr._(DEDUCT_REFUSALS[deductions.Outcome.BAD_POINTS]))
        return
    await _ask_reason(caller, replace(draft, points=points))


async def _ask_reason(caller: LinkedCaller, draft: Deducting) -> None:
    awaiting.expect(caller.context, draft)
    text = caller.tr._("The reason for the deduction? The employee will read it.")
    await caller.reply(text, reply_markup=ForceReply())


async def _log(
    caller: LinkedCaller, code: str, criterion: str, points: Decimal | None, reason: str
) -> None:
    """Log the deduction; the employee is told with it. Only a missing reason is asked again."""
    result = deductions.deduct(
        session=caller.session,
        actor=caller.employee,
        employee_code=code,
        criterion=criterion,
        points=points,
        reason=reason,
        now=caller.now,
        policy=caller.svc.policy,
        tell=caller.tells(lambda done: [_logged(caller, done)]),
    )
    if result.outcome not in _ASKED_AGAIN:
        awaiting.take(caller.context, Deducting)
    if result.outcome is deductions.Outcome.UNKNOWN_CRITERION:
        await caller.reply(_criteria_to_choose(caller, result))
    elif result.outcome is not deductions.Outcome.OK:
        await caller.reply(caller.tr._(DEDUCT_REFUSALS[result.outcome], id=None))
    else:
        deduction, employee = cast(Deduction, result.deduction), cast(Employee, result.employee)
        name = escape(employee.full_name)
        await caller.reply(caller.tr._(LOGGED, id=deductions.label(deduction.id), name=name))


def _criteria_to_choose(caller: LinkedCaller, result: deductions.DeductResult) -> str:
    """No criterion was recognised: the ones of that employee's position, by code and name."""
    tr, employee = caller.tr, cast(Employee, result.employee)
    lines = [
        tr._(
            "No criterion of {name}'s position matches that. Write its code or a word of its name:",
            name=escape(employee.full_name),
        )
    ]
    for criterion in result.criteria:
        lines.append(f"• <code>{criterion.code}</code> — {escape(criterion.name(tr.locale))}")
    return "\n".join(lines)


def _logged(caller: LinkedCaller, done: deductions.DeductResult) -> Draft | None:
    """The employee's notice of the deduction the caller logged."""
    employee, deduction = cast(Employee, done.employee), cast(Deduction, done.deduction)
    return deduction_notice(caller.occasion, employee, deduction, caller.employee)


def _points_and_reason(rest: str) -> tuple[Decimal | None, str]:
    """POINTS if the first word is a number and a reason follows it (else the default), REASON."""
    first, _space, remainder = rest.partition(" ")
    points = _points(first) if remainder.strip() else None
    return points, remainder if points is not None else rest


def _points(word: str) -> Decimal | None:
    try:
        return Decimal(word.replace(",", "."))
    except InvalidOperation:
        return None


def _draft(context: ContextTypes.DEFAULT_TYPE) -> Deducting | None:
    return awaiting.awaited(context, Deducting)
