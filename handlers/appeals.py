"""Appeals in Telegram: /appeal by the employee, Accept / Reject by whoever decides."""

from __future__ import annotations

from html import escape
from typing import cast

from telegram import ForceReply

from handlers.arguments import deduction_number, words
from handlers.awaiting import RejectionReason, expect
from handlers.caller import LinkedCaller, linked
from handlers.edits import edit
from kpi import appeals
from kpi.appeals import AppealOutcome
from kpi.deductions import label
from kpi.outbox import Draft
from locales.i18n import N_
from models import Appeal, AppealStatus, Deduction, Employee
from notices.appeals import (
    appeal_notices,
    appeal_text,
    author_notice,
    decision_keyboard,
    decision_notice,
    open_appeals_text,
    verdict,
)
from notices.callbacks import AppealButton

APPEAL_REFUSALS = {
    AppealOutcome.NOT_FOUND: N_("Deduction {id} was not found among yours."),
    AppealOutcome.NOT_ALLOWED: N_("You may not decide this appeal."),
    AppealOutcome.TOO_LATE: N_("The time to appeal deduction {id} has passed."),
    AppealOutcome.ALREADY_REVERSED: N_("Deduction {id} is already cancelled."),
    AppealOutcome.ALREADY_APPEALED: N_(
        "Deduction {id} already has an appeal waiting for a decision."
    ),
    AppealOutcome.ALREADY_DECIDED: N_("This appeal has already been decided."),
    AppealOutcome.REASON_REQUIRED: N_("Please write why the deduction should be reviewed."),
    AppealOutcome.REASON_TOO_LONG: N_("The reason is longer than 2,000 characters."),
}
SENT = N_("Your appeal of deduction {id} was sent for a decision.")
NOBODY_TO_ASK = N_(
    "Your appeal of deduction {id} is recorded, but nobody who may decide it has linked their "
    "Telegram account yet. Please tell HR (the personnel department)."
)
APPEALS_PAGE = 5  # appeals in one /appeals answer: with their buttons they fit one message


@linked
async def cmd_appeal(caller: LinkedCaller) -> None:
    """Ask for a deduction to be reviewed: /appeal ID REASON."""
    tr, args = caller.tr, words(caller.message, 2)
    number = deduction_number(args[0]) if args else None
    if number is None:
        await caller.reply(
            tr._("Usage: /appeal ID REASON, e.g. /appeal D12 I was on a business trip")
        )
        return
    asks: list[Draft] = []  # whoever may decide is asked with the filing, in its transaction

    def ask(done: appeals.AppealResult) -> list[Draft]:
        asks.extend(_to_decider(caller, done))
        return asks

    result = appeals.appeal(
        session=caller.session,
        actor=caller.employee,
        deduction_id=number,
        reason=args[1] if len(args) > 1 else "",
        now=caller.now,
        calendar=caller.calendar,
        policy=caller.svc.policy,
        tell=caller.tells(ask),
    )
    if result.appeal is None:
        await caller.reply(tr._(APPEAL_REFUSALS[result.outcome], id=label(number)))
        return
    if result.outcome is AppealOutcome.ALREADY_APPEALED:
        # Asked again while it waits: whoever may decide now is asked, each once.
        filed, deduction = result.appeal, cast(Deduction, result.deduction)
        asks = appeal_notices(caller.session, caller.occasion, filed, deduction, caller.employee)
        caller.notify(asks)
    await caller.reply(tr._(_filed_answer(result.outcome, asked=bool(asks)), id=label(number)))


def _to_decider(caller: LinkedCaller, done: appeals.AppealResult) -> list[Draft]:
    """The messages asking for a decision on the filed appeal, with their buttons."""
    filed, deduction = cast(Appeal, done.appeal), cast(Deduction, done.deduction)
    return appeal_notices(caller.session, caller.occasion, filed, deduction, caller.employee)


def _filed_answer(outcome: AppealOutcome, *, asked: bool) -> str:
    """What the appellant is told: sent, or already waiting, only when someone was asked."""
    if not asked:
        return NOBODY_TO_ASK
    return SENT if outcome is AppealOutcome.OK else APPEAL_REFUSALS[outcome]


@linked
async def cmd_appeals(caller: LinkedCaller) -> None:
    """List the open appeals the caller may decide, with their buttons: /appeals."""
    found = appeals.open_appeals_for(session=caller.session, decider=caller.employee)
    shown = found[:APPEALS_PAGE]
    text = open_appeals_text(
        caller.session, caller.tr, caller.svc.policy, shown, len(found) - len(shown)
    )
    buttons = decision_keyboard(caller.tr, shown, on_list=True) if shown else None
    await caller.reply(text, reply_markup=buttons)


@linked
async def on_decision(caller: LinkedCaller) -> None:
    """Accept an appeal at once; to reject one, ask for the reason the employee will receive."""
    button = await caller.button(AppealButton)
    if button is None:
        return
    if button.accept:
        result = _decide(caller, button.appeal_id, accept=True)
    else:
        result = appeals.check_decision(
            session=caller.session, actor=caller.employee, appeal_id=button.appeal_id, accept=False
        )
    if result.outcome is AppealOutcome.NOT_FOUND:
        await caller.refuse_button()
    elif result.outcome is not AppealOutcome.OK:
        await caller.query.answer(_refusal(caller, result), show_alert=True)
    elif button.accept:
        await _show_decision(caller, result, None if button.on_list else _pressed(caller))
        await caller.query.answer(verdict(caller.tr, True, cast(Deduction, result.deduction)))
    else:
        pressed = None if button.on_list else _pressed(caller)
        expect(caller.context, RejectionReason(button.appeal_id, pressed))
        await caller.query.answer()
        await caller.reply(_ask_reason(caller, result), reply_markup=ForceReply())


async def answer(caller: LinkedCaller, asked: RejectionReason, text: str) -> None:
    """The reason for rejecting the appeal: the appeal is rejected, the employee receives it."""
    result = _decide(caller, asked.appeal_id, accept=False, reason=text)
    if result.outcome in (AppealOutcome.REASON_REQUIRED, AppealOutcome.REASON_TOO_LONG):
        expect(caller.context, asked)  # ask again
    if result.outcome is not AppealOutcome.OK:
        await caller.reply(_refusal(caller, result))
        return
    await _show_decision(caller, result, asked.pressed)
    await caller.reply(verdict(caller.tr, False, cast(Deduction, result.deduction)))


def _decide(
    caller: LinkedCaller, appeal_id: int, *, accept: bool, reason: str = ""
) -> appeals.DecideResult:
    """Decide the appeal; the appellant and the deduction's author are told with it."""
    return appeals.decide(
        session=caller.session,
        actor=caller.employee,
        appeal_id=appeal_id,
        accept=accept,
        reason=reason,
        now=caller.now,
        tell=caller.tells(lambda done: _decided(caller, done, accept)),
    )


def _refusal(caller: LinkedCaller, result: appeals.DecideResult) -> str:
    """Why the decision was not taken, naming the deduction (never the appeal) as D<id>."""
    number = label(result.deduction.id) if result.deduction is not None else ""
    if result.outcome is AppealOutcome.REASON_REQUIRED:
        return caller.tr._("Please write why the appeal is rejected.")
    return caller.tr._(APPEAL_REFUSALS[result.outcome], id=number)


def _ask_reason(caller: LinkedCaller, result: appeals.DecideResult) -> str:
    """The question for the reason of a rejection."""
    filed = cast(Appeal, result.appeal)
    employee = caller.session.get_one(Employee, filed.employee_id)
    return caller.tr._(
        "Write the reason for rejecting appeal #{id}; {name} will receive it.",
        id=filed.id,
        name=escape(employee.full_name),
    )


def _pressed(caller: LinkedCaller) -> tuple[int, int]:
    """The message whose button was pressed (the appeal's own message)."""
    return caller.message.chat.id, caller.message.message_id


async def _show_decision(
    caller: LinkedCaller, result: appeals.DecideResult, pressed: tuple[int, int] | None
) -> None:
    """The appeal's own message shows the decision, without its buttons (a list keeps its text)."""
    if pressed is None:
        return
    filed, deduction = cast(Appeal, result.appeal), cast(Deduction, result.deduction)
    employee = caller.session.get_one(Employee, filed.employee_id)
    accept = filed.status == AppealStatus.ACCEPTED
    text = appeal_text(caller.tr, caller.svc.policy, filed, deduction, employee)
    text += "\n" + verdict(caller.tr, accept, deduction)
    await edit(caller.context.bot, pressed[0], pressed[1], text)


def _decided(caller: LinkedCaller, done: appeals.DecideResult, accept: bool) -> list[Draft | None]:
    """The decision for the appellant and for the deduction's author."""
    filed, deduction = cast(Appeal, done.appeal), cast(Deduction, done.deduction)
    employee = caller.session.get_one(Employee, filed.employee_id)
    return [
        decision_notice(caller.occasion, filed, deduction, employee, accept),
        author_notice(
            caller.session, caller.occasion, filed, deduction, employee, accept, caller.employee
        ),
    ]
