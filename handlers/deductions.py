"""Deductions by people in Telegram: /deduct for leaders and HR, /reverse for HR."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from html import escape
from typing import cast

from handlers.arguments import deduction_number, words
from handlers.caller import LinkedCaller, linked
from kpi import deductions
from kpi.outbox import Draft
from locales.i18n import N_
from models import Deduction, Employee
from notices.deductions import cancellation_notice, deduction_notice

DEDUCT_REFUSALS = {
    deductions.Outcome.NOT_FOUND: N_("Deduction {id} does not exist."),
    deductions.Outcome.ALREADY_REVERSED: N_("Deduction {id} is already cancelled."),
    deductions.Outcome.IS_REVERSAL: N_("{id} cancels another deduction; it cannot be cancelled."),
    deductions.Outcome.NOT_ALLOWED: N_("You may log deductions only for your direct reports."),
    deductions.Outcome.UNKNOWN_EMPLOYEE: N_("There is no employee with this code."),
    deductions.Outcome.BAD_POINTS: N_(
        "The points must be above 0, at most the criterion's maximum, with at most 2 decimals."
    ),
    deductions.Outcome.REASON_REQUIRED: N_("Please write the reason."),
    deductions.Outcome.REASON_TOO_LONG: N_("The reason is longer than 2,000 characters."),
}

DEDUCT_USAGE = N_(
    "Usage: /deduct CODE CRITERION [POINTS] REASON, e.g. "
    "/deduct CV01 training_attendance 2 Absent from the training on 5/11"
)
LOGGED = N_("Deduction {id} is logged for {name}.")


@dataclass(frozen=True)
class _Request:
    """What /deduct asks for."""

    code: str
    criterion: str
    points: Decimal | None  # None: the criterion's default
    reason: str


@linked
async def cmd_deduct(caller: LinkedCaller) -> None:
    """Log a deduction: /deduct CODE CRITERION [POINTS] REASON."""
    request = _request(words(caller.message, 3))
    if request is None:
        await caller.reply(caller.tr._(DEDUCT_USAGE))
        return
    result = deductions.deduct(
        session=caller.session,
        actor=caller.employee,
        employee_code=request.code,
        criterion=request.criterion,
        points=request.points,
        reason=request.reason,
        now=caller.now,
        policy=caller.svc.policy,
        tell=caller.tells(lambda done: [_logged(caller, done)]),
    )
    if result.outcome is deductions.Outcome.UNKNOWN_CRITERION:
        await caller.reply(_criteria_to_choose(caller, result))
        return
    if result.outcome is not deductions.Outcome.OK:
        await caller.reply(caller.tr._(DEDUCT_REFUSALS[result.outcome], id=None))
        return
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


def _request(args: list[str]) -> _Request | None:
    """CODE, CRITERION, then POINTS if the next word is a number and a reason follows it."""
    if len(args) < 3:
        return None
    code, criterion, rest = args
    first, _space, remainder = rest.partition(" ")
    points = _points(first) if remainder.strip() else None
    return _Request(code, criterion, points, remainder if points is not None else rest)


def _points(word: str) -> Decimal | None:
    try:
        return Decimal(word.replace(",", "."))
    except InvalidOperation:
        return None


@linked
async def cmd_reverse(caller: LinkedCaller) -> None:
    """HR cancels a deduction by a new record: /reverse ID REASON."""
    tr, args = caller.tr, words(caller.message, 2)
    if not caller.is_admin:
        await caller.reply(tr._("Only HR may cancel deductions."))
        return
    number = deduction_number(args[0]) if args else None
    if number is None or len(args) < 2:
        await caller.reply(tr._("Usage: /reverse ID REASON"))
        return
    result = deductions.reverse(
        session=caller.session,
        actor=caller.employee,
        deduction_id=number,
        reason=args[1],
        now=caller.now,
        tell=caller.tells(lambda done: [_cancelled(caller, done, args[1])]),
    )
    if result.outcome is not deductions.Outcome.OK:
        await caller.reply(tr._(DEDUCT_REFUSALS[result.outcome], id=deductions.label(number)))
        return
    await caller.reply(tr._("Deduction {id} is cancelled.", id=deductions.label(number)))


def _cancelled(caller: LinkedCaller, done: deductions.ReverseResult, reason: str) -> Draft | None:
    """The employee's notice that HR cancelled one of their deductions."""
    deduction = cast(Deduction, done.deduction)
    employee = caller.session.get_one(Employee, deduction.employee_id)
    return cancellation_notice(caller.occasion, employee, deduction, reason)
