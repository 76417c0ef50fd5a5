"""Appeals in Telegram: /appeal by the employee, Accept / Reject by whoever decides."""

from __future__ import annotations

from typing import cast

from handlers.arguments import number, words
from handlers.caller import LinkedCaller, linked
from handlers.edits import edit
from kpi import appeals
from kpi.appeals import AppealOutcome
from kpi.outbox import Draft
from locales.i18n import N_
from models import Appeal, Deduction, Employee
from notices.appeals import appeal_notices, appeal_text, decision_notice, verdict
from notices.callbacks import AppealButton

APPEAL_REFUSALS = {
    AppealOutcome.NOT_FOUND: N_("Deduction #{id} was not found among yours."),
    AppealOutcome.NOT_ALLOWED: N_("You may not decide this appeal."),
    AppealOutcome.TOO_LATE: N_("The time to appeal deduction #{id} has passed."),
    AppealOutcome.ALREADY_REVERSED: N_("Deduction #{id} is already cancelled."),
    AppealOutcome.ALREADY_APPEALED: N_(
        "Deduction #{id} already has an appeal waiting for a decision."
    ),
    AppealOutcome.ALREADY_DECIDED: N_("This appeal has already been decided."),
    AppealOutcome.REASON_REQUIRED: N_("Please write why the deduction should be reviewed."),
    AppealOutcome.REASON_TOO_LONG: N_("The reason is longer than 2,000 characters."),
}


@linked
async def cmd_appeal(caller: LinkedCaller) -> None:
    """Ask for a deduction to be reviewed: /appeal ID REASON."""
    tr, args = caller.tr, words(caller.message, 2)
    digits = number(args[0]) if args else None
    if digits is None:
        await caller.reply(
            tr._("Usage: /appeal ID REASON, e.g. /appeal 12 I was on a business trip")
        )
        return
    result = appeals.appeal(
        session=caller.session,
        actor=caller.employee,
        deduction_id=int(digits),
        reason=args[1] if len(args) > 1 else "",
        now=caller.now,
        calendar=caller.calendar,
        policy=caller.svc.policy,
        tell=caller.tells(lambda done: _to_decider(caller, done)),
    )
    if result.outcome is not AppealOutcome.OK:
        await caller.reply(tr._(APPEAL_REFUSALS[result.outcome], id=digits))
        return
    await caller.reply(tr._("Your appeal of deduction #{id} was sent for a decision.", id=digits))


def _to_decider(caller: LinkedCaller, done: appeals.AppealResult) -> list[Draft]:
    """The decider's message about the filed appeal, with its buttons."""
    filed, deduction = cast(Appeal, done.appeal), cast(Deduction, done.deduction)
    return appeal_notices(caller.session, caller.occasion, filed, deduction, caller.employee)


@linked
async def on_decision(caller: LinkedCaller) -> None:
    """Accept or reject an appeal; both sides are told."""
    tr, button = caller.tr, await caller.button(AppealButton)
    if button is None:
        return
    result = appeals.decide(
        session=caller.session,
        actor=caller.employee,
        appeal_id=button.appeal_id,
        accept=button.accept,
        now=caller.now,
        tell=caller.tells(lambda done: [_to_appellant(caller, done, button.accept)]),
    )
    if result.outcome is not AppealOutcome.OK:
        refusal = tr._(APPEAL_REFUSALS[result.outcome], id=button.appeal_id)
        await caller.query.answer(refusal, show_alert=True)
        return
    filed, deduction = cast(Appeal, result.appeal), cast(Deduction, result.deduction)
    employee = caller.session.get_one(Employee, filed.employee_id)
    decided = verdict(tr, button.accept, deduction)
    text = appeal_text(tr, caller.svc.policy, filed, deduction, employee) + "\n" + decided
    await edit(caller.context.bot, caller.message.chat.id, caller.message.message_id, text)
    await caller.query.answer(decided)


def _to_appellant(caller: LinkedCaller, done: appeals.DecideResult, accept: bool) -> Draft | None:
    """The appellant's notice of the decision."""
    filed, deduction = cast(Appeal, done.appeal), cast(Deduction, done.deduction)
    employee = caller.session.get_one(Employee, filed.employee_id)
    return decision_notice(caller.occasion, filed, deduction, employee, accept)
