"""Deductions by people in Telegram: what refuses one (for /deduct too), and /reverse for HR."""

from __future__ import annotations

from typing import cast

from handlers.arguments import deduction_number, words
from handlers.caller import LinkedCaller, linked
from kpi import deductions
from kpi.outbox import Draft
from locales.i18n import N_
from models import Deduction, Employee
from notices.deductions import cancellation_notice

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
