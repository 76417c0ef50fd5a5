"""Messages about appeals: the appeal for whoever decides it, the decision for the appellant."""

from __future__ import annotations

from html import escape
from typing import cast

from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from kpi import org
from kpi.outbox import Draft
from kpi.policy import Policy
from locales.i18n import Translator
from models import Appeal, Deduction, Employee, OutboxKind
from notices.callbacks import AppealButton
from notices.occasion import Occasion


def appeal_text(
    tr: Translator, policy: Policy, filed: Appeal, deduction: Deduction, employee: Employee
) -> str:
    """The appeal as its decider reads it: who, which deduction, and why."""
    return tr._(
        "<b>Appeal #{appeal}</b>: {name} asks to review deduction #{id} (−{points} points on "
        "«{criterion}», {day}). Reason: {reason}",
        appeal=filed.id,
        name=escape(employee.full_name),
        id=deduction.id,
        points=tr.number(deduction.points),
        criterion=escape(policy.criterion_name(deduction.criterion, tr.locale)),
        day=tr.date(deduction.occurred_at.astimezone(tr.tz).date()),
        reason=escape(filed.reason),
    )


def decision_keyboard(tr: Translator, filed: Appeal) -> InlineKeyboardMarkup:
    """Accept / Reject for the decider."""
    appeal_id = cast(int, filed.id)
    accept = AppealButton(appeal_id, accept=True).pack()
    reject = AppealButton(appeal_id, accept=False).pack()
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(tr._("Accept (cancel the deduction)"), callback_data=accept),
                InlineKeyboardButton(tr._("Reject the appeal"), callback_data=reject),
            ]
        ]
    )


def appeal_notices(
    session: Session, occasion: Occasion, filed: Appeal, deduction: Deduction, employee: Employee
) -> list[Draft]:
    """The decider (or, when none, every admin) gets the appeal with Accept / Reject buttons."""
    if filed.decider_id is not None:
        deciders = [session.get_one(Employee, filed.decider_id)]
    else:
        deciders = [admin for admin in org.admins(session) if admin.id != employee.id]
    drafts = []
    for decider in deciders:
        if decider.telegram_id is None:
            continue
        tr = occasion.tr(decider)
        drafts.append(
            occasion.draft(
                decider,
                f"appeal:{filed.id}:{decider.id}",
                OutboxKind.APPEAL,
                appeal_text(tr, occasion.policy, filed, deduction, employee),
                buttons=decision_keyboard(tr, filed),
            )
        )
    return drafts


def verdict(tr: Translator, accept: bool, deduction: Deduction) -> str:
    """The decision in one line."""
    if accept:
        return tr._("Accepted: deduction #{id} is cancelled.", id=deduction.id)
    return tr._("Rejected: deduction #{id} stays.", id=deduction.id)


def decision_notice(
    occasion: Occasion, filed: Appeal, deduction: Deduction, employee: Employee, accept: bool
) -> Draft | None:
    """The appellant is told how their appeal was decided."""
    if employee.telegram_id is None:
        return None
    tr = occasion.tr(employee)
    text = (
        tr._("Your appeal of deduction #{id} was decided.", id=deduction.id)
        + " "
        + verdict(tr, accept, deduction)
    )
    return occasion.draft(employee, f"appeal-decided:{filed.id}", OutboxKind.APPEAL, text)
