"""Messages about appeals: the appeal for whoever decides it, the decision for the appellant."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import cast

from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from kpi import org
from kpi.appeals import who_is_asked
from kpi.deductions import label
from kpi.outbox import Draft
from kpi.policy import Policy
from locales.i18n import Translator
from models import Appeal, Deduction, Employee, OutboxKind
from notices.callbacks import AppealButton
from notices.occasion import Occasion

REASON_IN_LIST = 300  # characters of an appeal's reason where a list shows it among others


def appeal_text(
    tr: Translator,
    policy: Policy,
    filed: Appeal,
    deduction: Deduction,
    employee: Employee,
    *,
    reason_limit: int | None = None,
) -> str:
    """The appeal as its decider reads it: who, which deduction, and why (cut at `reason_limit`)."""
    reason = filed.reason
    if reason_limit is not None and len(reason) > reason_limit:
        reason = reason[: reason_limit - 1].rstrip() + "…"
    return tr._(
        "<b>Appeal #{appeal}</b>: {name} asks to review deduction {id} (−{points} points on "
        "«{criterion}», {day}). Reason: {reason}",
        appeal=filed.id,
        name=escape(employee.full_name),
        id=label(deduction.id),
        points=tr.number(deduction.points),
        criterion=escape(policy.criterion_name(deduction.criterion, tr.locale)),
        day=tr.date(deduction.occurred_at.astimezone(tr.tz).date()),
        reason=escape(reason),
    )


def decision_keyboard(
    tr: Translator, appeals: Sequence[Appeal], *, on_list: bool = False
) -> InlineKeyboardMarkup:
    """Accept / Reject for the decider: one row per appeal, numbered on a list."""
    rows = []
    for filed in appeals:
        appeal_id = cast(int, filed.id)
        accept = AppealButton(appeal_id, accept=True, on_list=on_list).pack()
        reject = AppealButton(appeal_id, accept=False, on_list=on_list).pack()
        if on_list:
            labels = (
                tr._("Accept appeal #{id}", id=appeal_id),
                tr._("Reject appeal #{id}", id=appeal_id),
            )
        else:
            labels = (tr._("Accept (cancel the deduction)"), tr._("Reject the appeal"))
        rows.append(
            [
                InlineKeyboardButton(labels[0], callback_data=accept),
                InlineKeyboardButton(labels[1], callback_data=reject),
            ]
        )
    return InlineKeyboardMarkup(rows)


def appeal_notices(
    session: Session, occasion: Occasion, filed: Appeal, deduction: Deduction, employee: Employee
) -> list[Draft]:
    """The appeal with Accept / Reject for whoever is asked to decide (see `who_is_asked`)."""
    drafts = []
    for decider in who_is_asked(session=session, filed=filed, deduction=deduction):
        tr = occasion.tr(decider)
        drafts.append(
            occasion.draft(
                decider,
                f"appeal:{filed.id}:{decider.id}",
                OutboxKind.APPEAL,
                appeal_text(tr, occasion.policy, filed, deduction, employee),
                buttons=decision_keyboard(tr, [filed]),
            )
        )
    return drafts


def open_appeals_text(
    session: Session, tr: Translator, policy: Policy, appeals: Sequence[Appeal], more: int
) -> str:
    """The open appeals a decider may decide, each shortened, and how many more wait."""
    if not appeals:
        return tr._("No appeal is waiting for your decision.")
    people = org.employees_by_id(session, {a.employee_id for a in appeals})
    title = tr._("Appeals waiting for a decision")
    lines = [f"<b>{title}</b>"]
    for filed in appeals:
        deduction = session.get_one(Deduction, filed.deduction_id)
        employee = people[filed.employee_id]
        text = appeal_text(tr, policy, filed, deduction, employee, reason_limit=REASON_IN_LIST)
        lines.append(text)
    if more:
        lines.append(
            tr.ngettext(
                "… and {n} more appeal: decide these first to see it.",
                "… and {n} more appeals: decide these first to see them.",
                more,
            )
        )
    return "\n\n".join(lines)


def _with_reason(tr: Translator, text: str, filed: Appeal) -> str:
    """The decision's text, then the decider's reason when one was given."""
    if not filed.decision_reason:
        return text
    reason = tr._("The decider's reason: {reason}", reason=escape(filed.decision_reason))
    return text + "\n" + reason


def verdict(tr: Translator, accept: bool, deduction: Deduction) -> str:
    """The decision in one line."""
    if accept:
        return tr._("Accepted: deduction {id} is cancelled.", id=label(deduction.id))
    return tr._("Rejected: deduction {id} stays.", id=label(deduction.id))


def decision_notice(
    occasion: Occasion, filed: Appeal, deduction: Deduction, employee: Employee, accept: bool
) -> Draft | None:
    """The appellant is told how their appeal was decided, and why."""
    if employee.telegram_id is None:
        return None
    tr = occasion.tr(employee)
    text = (
        tr._("Your appeal of deduction {id} was decided.", id=label(deduction.id))
        + " "
        + verdict(tr, accept, deduction)
    )
    text = _with_reason(tr, text, filed)
    return occasion.draft(employee, f"appeal-decided:{filed.id}", OutboxKind.APPEAL, text)


def author_notice(
    session: Session,
    occasion: Occasion,
    filed: Appeal,
    deduction: Deduction,
    employee: Employee,
    accept: bool,
    decider: Employee,
) -> Draft | None:
    """The deduction's author is told how the appeal against it was decided (unless they did)."""
    if deduction.author_id is None or deduction.author_id == decider.id:
        return None
    author = session.get_one(Employee, deduction.author_id)
    if author.telegram_id is None:
        return None
    tr = occasion.tr(author)
    text = (
        tr._(
            "The appeal of {name} against deduction {id} you logged was decided.",
            name=escape(employee.full_name),
            id=label(deduction.id),
        )
        + " "
        + verdict(tr, accept, deduction)
    )
    text = _with_reason(tr, text, filed)
    return occasion.draft(author, f"appeal-decided-author:{filed.id}", OutboxKind.APPEAL, text)
