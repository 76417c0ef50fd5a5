"""Deductions by people in Telegram: /deduct, /appeal and the appeal's Accept / Reject buttons."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from html import escape
from typing import cast

from sqlmodel import Session, col, select
from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import ContextTypes

from handlers import delivery
from handlers.caller import identify, linked, services, translator_for
from kpi import appeals, deductions
from kpi.outbox import Draft
from locales.i18n import N_, Translator
from models import Appeal, Deduction, Employee, OutboxKind, Role
from scheduler.messages import Context, deduction_notice
from services.container import Services

_BUTTON = re.compile(r"ap:(acc|rej):(\d{1,12})")
DEDUCT_REFUSALS = {
    deductions.Outcome.NOT_FOUND: N_("Deduction #{id} does not exist."),
    deductions.Outcome.ALREADY_REVERSED: N_("Deduction #{id} is already cancelled."),
    deductions.Outcome.IS_REVERSAL: N_("#{id} cancels another deduction; it cannot be cancelled."),
    deductions.Outcome.NOT_ALLOWED: N_("You may log deductions only for your direct reports."),
    deductions.Outcome.UNKNOWN_EMPLOYEE: N_("There is no employee with this code."),
    deductions.Outcome.UNKNOWN_CRITERION: N_(
        "This criterion is not one of that employee's position."
    ),
    deductions.Outcome.BAD_POINTS: N_(
        "The points must be above 0, at most the criterion's maximum, with at most 2 decimals."
    ),
    deductions.Outcome.REASON_REQUIRED: N_("Please write the reason."),
    deductions.Outcome.REASON_TOO_LONG: N_("The reason is longer than 2,000 characters."),
}
APPEAL_REFUSALS = {
    appeals.AppealOutcome.NOT_FOUND: N_("Deduction #{id} was not found among yours."),
    appeals.AppealOutcome.NOT_ALLOWED: N_("You may not decide this appeal."),
    appeals.AppealOutcome.TOO_LATE: N_("The time to appeal deduction #{id} has passed."),
    appeals.AppealOutcome.ALREADY_REVERSED: N_("Deduction #{id} is already cancelled."),
    appeals.AppealOutcome.ALREADY_APPEALED: N_(
        "Deduction #{id} already has an appeal waiting for a decision."
    ),
    appeals.AppealOutcome.ALREADY_DECIDED: N_("This appeal has already been decided."),
    appeals.AppealOutcome.REASON_REQUIRED: N_("Please write why the deduction should be reviewed."),
    appeals.AppealOutcome.REASON_TOO_LONG: N_("The reason is longer than 2,000 characters."),
}


def _split(text: str, parts: int) -> list[str]:
    """The command's arguments: `parts - 1` words, then the rest of the text as typed."""
    return (text or "").split(maxsplit=parts)[1:]


def _points(word: str) -> Decimal | None:
    try:
        return Decimal(word.replace(",", "."))
    except InvalidOperation:
        return None


async def cmd_deduct(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log a deduction: /deduct CODE CRITERION [POINTS] REASON."""
    message, svc = cast(Message, update.effective_message), services(context)
    args = _split(message.text or "", 3)
    with svc.db() as session:
        caller = await linked(session, update, svc)
        if caller is None:
            return
        tr, actor = caller.tr, cast(Employee, caller.employee)
        if len(args) < 3:
            await message.reply_text(
                tr._(
                    "Usage: /deduct CODE CRITERION [POINTS] REASON, e.g. "
                    "/deduct CV01 training_attendance 2 Absent from the training on 5/11"
                )
            )
            return
        code, criterion, rest = args
        first, _space, remainder = rest.partition(" ")
        points = _points(first) if remainder.strip() else None
        reason = remainder if points is not None else rest
        result = deductions.deduct(
            session=session,
            actor=actor,
            employee_code=code,
            criterion=criterion,
            points=points,
            reason=reason,
            now=svc.clock(),
            policy=svc.policy,
        )
        if result.outcome is not deductions.Outcome.OK:
            await message.reply_text(tr._(DEDUCT_REFUSALS[result.outcome], id=None))
            return
        deduction, employee = cast(Deduction, result.deduction), cast(Employee, result.employee)
        await message.reply_text(
            tr._(
                "Deduction #{id} is logged for {name}.",
                id=deduction.id,
                name=escape(employee.full_name),
            )
        )
        _tell_employee(context, session, deduction, employee, actor)


def _tell_employee(
    context: ContextTypes.DEFAULT_TYPE,
    session: Session,
    deduction: Deduction,
    employee: Employee,
    author: Employee,
) -> None:
    svc = services(context)
    ctx = Context(svc.calendar(session), svc.policy, svc.clock(), svc.default_locale)
    draft = deduction_notice(ctx, employee, deduction, author)
    if draft is not None:
        delivery.queue(context, session, [draft])


async def cmd_appeal(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Ask for a deduction to be reviewed: /appeal ID REASON."""
    message, svc = cast(Message, update.effective_message), services(context)
    args = _split(message.text or "", 2)
    with svc.db() as session:
        caller = await linked(session, update, svc)
        if caller is None:
            return
        tr, actor = caller.tr, cast(Employee, caller.employee)
        number = args[0].removeprefix("#") if args else ""
        if not number.isdigit() or len(number) > 12:
            await message.reply_text(
                tr._("Usage: /appeal ID REASON, e.g. /appeal 12 I was on a business trip")
            )
            return
        result = appeals.appeal(
            session=session,
            actor=actor,
            deduction_id=int(number),
            reason=args[1] if len(args) > 1 else "",
            now=svc.clock(),
            calendar=svc.calendar(session),
            policy=svc.policy,
        )
        if result.outcome is not appeals.AppealOutcome.OK:
            await message.reply_text(tr._(APPEAL_REFUSALS[result.outcome], id=number))
            return
        await message.reply_text(
            tr._("Your appeal of deduction #{id} was sent for a decision.", id=number)
        )
        _ask_deciders(
            context,
            session,
            cast(Appeal, result.appeal),
            cast(Deduction, result.deduction),
            actor,
        )


def _ask_deciders(
    context: ContextTypes.DEFAULT_TYPE,
    session: Session,
    filed: Appeal,
    deduction: Deduction,
    employee: Employee,
) -> None:
    """The decider (or, when none, every admin) gets the appeal with Accept / Reject buttons."""
    svc = services(context)
    if filed.decider_id is not None:
        deciders = [session.get_one(Employee, filed.decider_id)]
    else:
        deciders = list(
            session.exec(
                select(Employee).where(
                    col(Employee.role) == Role.ADMIN, col(Employee.id) != employee.id
                )
            )
        )
    drafts = []
    for decider in deciders:
        if decider.telegram_id is None:
            continue
        tr = translator_for(decider, svc)
        drafts.append(
            Draft(
                key=f"appeal:{filed.id}:{decider.id}",
                kind=OutboxKind.APPEAL,
                chat_id=decider.telegram_id,
                employee_id=decider.id,
                text=_appeal_text(tr, svc, filed, deduction, employee),
                reply_markup=_decision_keyboard(tr, filed).to_json(),
                not_before=svc.clock(),
            )
        )
    delivery.queue(context, session, drafts)


def _appeal_text(
    tr: Translator, svc: Services, filed: Appeal, deduction: Deduction, employee: Employee
) -> str:
    return tr._(
        "<b>Appeal #{appeal}</b>: {name} asks to review deduction #{id} (−{points} points on "
        "«{criterion}», {day}). Reason: {reason}",
        appeal=filed.id,
        name=escape(employee.full_name),
        id=deduction.id,
        points=tr.number(deduction.points),
        criterion=escape(svc.policy.criterion_name(deduction.criterion, tr.locale)),
        day=tr.date(deduction.occurred_at.astimezone(tr.tz).date()),
        reason=escape(filed.reason),
    )


def _decision_keyboard(tr: Translator, filed: Appeal) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    tr._("Accept (cancel the deduction)"), callback_data=f"ap:acc:{filed.id}"
                ),
                InlineKeyboardButton(tr._("Reject the appeal"), callback_data=f"ap:rej:{filed.id}"),
            ]
        ]
    )


async def on_decision(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Accept or reject an appeal; both sides are told."""
    query, svc = cast(CallbackQuery, update.callback_query), services(context)
    match = _BUTTON.fullmatch(query.data or "")
    with svc.db() as session:
        caller = identify(session, update, svc)
        tr = caller.tr
        if caller.employee is None or match is None:
            await query.answer(tr._("This button is no longer valid."), show_alert=True)
            return
        accept = match[1] == "acc"
        result = appeals.decide(
            session=session,
            actor=caller.employee,
            appeal_id=int(match[2]),
            accept=accept,
            now=svc.clock(),
        )
        if result.outcome is not appeals.AppealOutcome.OK:
            await query.answer(tr._(APPEAL_REFUSALS[result.outcome], id=match[2]), show_alert=True)
            return
        filed, deduction = cast(Appeal, result.appeal), cast(Deduction, result.deduction)
        employee = session.get_one(Employee, filed.employee_id)
        verdict = _verdict(tr, accept, deduction)
        text = _appeal_text(tr, svc, filed, deduction, employee) + "\n" + verdict
        await delivery.edit(context.bot, query.message.chat.id, query.message.message_id, text)  # type: ignore[union-attr]
        await query.answer(verdict)
        _tell_appellant(context, session, filed, deduction, employee, accept)


def _verdict(tr: Translator, accept: bool, deduction: Deduction) -> str:
    if accept:
        return tr._("Accepted: deduction #{id} is cancelled.", id=deduction.id)
    return tr._("Rejected: deduction #{id} stays.", id=deduction.id)


def _tell_appellant(
    context: ContextTypes.DEFAULT_TYPE,
    session: Session,
    filed: Appeal,
    deduction: Deduction,
    employee: Employee,
    accept: bool,
) -> None:
    svc = services(context)
    if employee.telegram_id is None:
        return
    tr = translator_for(employee, svc)
    text = (
        tr._("Your appeal of deduction #{id} was decided.", id=deduction.id)
        + " "
        + _verdict(tr, accept, deduction)
    )
    draft = Draft(
        key=f"appeal-decided:{filed.id}",
        kind=OutboxKind.APPEAL,
        chat_id=employee.telegram_id,
        employee_id=employee.id,
        text=text,
        not_before=svc.clock(),
    )
    delivery.queue(context, session, [draft])


async def cmd_reverse(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """HR cancels a deduction by a new record: /reverse ID REASON."""
    message, svc = cast(Message, update.effective_message), services(context)
    args = _split(message.text or "", 2)
    with svc.db() as session:
        caller = await linked(session, update, svc)
        if caller is None:
            return
        tr, number = caller.tr, (args[0].removeprefix("#") if args else "")
        if not caller.is_admin:
            await message.reply_text(tr._("Only HR may cancel deductions."))
            return
        if not number.isdigit() or len(number) > 12 or len(args) < 2:
            await message.reply_text(tr._("Usage: /reverse ID REASON"))
            return
        result = deductions.reverse(
            session=session,
            actor=cast(Employee, caller.employee),
            deduction_id=int(number),
            reason=args[1],
            now=svc.clock(),
        )
        if result.outcome is not deductions.Outcome.OK:
            await message.reply_text(tr._(DEDUCT_REFUSALS[result.outcome], id=number))
            return
        await message.reply_text(tr._("Deduction #{id} is cancelled.", id=number))
        _tell_cancelled(context, session, cast(Deduction, result.deduction), args[1])


def _tell_cancelled(
    context: ContextTypes.DEFAULT_TYPE, session: Session, deduction: Deduction, reason: str
) -> None:
    svc = services(context)
    employee = session.get_one(Employee, deduction.employee_id)
    if employee.telegram_id is None:
        return
    tr = translator_for(employee, svc)
    text = tr._(
        "HR cancelled deduction #{id}. Reason: {reason}", id=deduction.id, reason=escape(reason)
    )
    draft = Draft(
        key=f"reversed:{deduction.id}",
        kind=OutboxKind.DEDUCTION,
        chat_id=employee.telegram_id,
        employee_id=employee.id,
        text=text,
        not_before=svc.clock(),
    )
    delivery.queue(context, session, [draft])
