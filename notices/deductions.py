"""Messages about deductions: one logged (by a leader, HR or a file import), one cancelled."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape, unescape
from typing import cast

from sqlmodel import Session, col, select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from kpi import org
from kpi.appeals import appeal_last_day
from kpi.deductions import label
from kpi.outbox import Draft
from kpi.policy import Criterion
from locales.i18n import N_, Translator
from models import Deduction, DeductionSource, Employee, OutboxKind
from notices.callbacks import DeductButton
from notices.limits import BUTTON_LIMIT, NAME_IN_LIST, REASON_IN_LIST, paged_lines, shorten
from notices.occasion import Occasion

DEDUCTION_BY_LEADER = N_(
    "{author} logged deduction {id}: −{points} points on «{criterion}» ({day}). Reason: {reason}"
)
DEDUCTION_BY_HR = N_(
    "HR logged deduction {id}: −{points} points on «{criterion}» ({day}). Reason: {reason}"
)
APPEAL_HINT = N_("If you disagree, send /appeal {id} REASON by the end of {day}.")


def deduction_notice(
    occasion: Occasion, employee: Employee, deduction: Deduction, author: Employee | None
) -> Draft | None:
    """The employee is told of a deduction, and until when they may appeal it."""
    if employee.telegram_id is None:
        return None
    tr, calendar = occasion.tr(employee), occasion.calendar
    values = {
        "id": label(deduction.id),
        "points": tr.number(deduction.points),
        "criterion": escape(occasion.policy.criterion_name(deduction.criterion, tr.locale)),
        "reason": escape(deduction.reason),
        "day": tr.date(calendar.local_day(deduction.occurred_at)),
    }
    if author is None:
        lines = [tr._(DEDUCTION_BY_HR, **values)]
    else:
        lines = [tr._(DEDUCTION_BY_LEADER, author=escape(author.full_name), **values)]
    last_day = appeal_last_day(deduction=deduction, calendar=calendar, policy=occasion.policy)
    if last_day >= occasion.today:
        lines.append(tr._(APPEAL_HINT, id=label(deduction.id), day=tr.date(last_day)))
    return occasion.draft(
        employee, f"deduction:{deduction.id}", OutboxKind.DEDUCTION, "\n".join(lines)
    )


def import_notices(session: Session, occasion: Occasion) -> list[Draft]:
    """A notice to each employee of a deduction that a file import added at `occasion.now`."""
    query = select(Deduction).where(
        col(Deduction.source) == DeductionSource.IMPORT, col(Deduction.created_at) == occasion.now
    )
    added = session.exec(query).all()
    people = org.employees_by_id(session, {deduction.employee_id for deduction in added})
    drafts = [deduction_notice(occasion, people[d.employee_id], d, None) for d in added]
    return [draft for draft in drafts if draft is not None]


def cancellation_notice(
    occasion: Occasion, employee: Employee, deduction: Deduction, reason: str
) -> Draft | None:
    """The employee is told that HR cancelled one of their deductions, and why."""
    if employee.telegram_id is None:
        return None
    tr = occasion.tr(employee)
    number, why = label(deduction.id), escape(reason)
    text = tr._("HR cancelled deduction {id}. Reason: {reason}", id=number, reason=why)
    return occasion.draft(employee, f"reversed:{deduction.id}", OutboxKind.DEDUCTION, text)


def missed_notices(session: Session, occasion: Occasion, employee: Employee) -> list[Draft]:
    """An employee linking late is told of the deductions logged before, in one list (paged)."""
    reversed_ids = select(Deduction.reverses_id).where(col(Deduction.reverses_id).is_not(None))
    query = (
        select(Deduction)
        .where(
            col(Deduction.employee_id) == employee.id,
            col(Deduction.reverses_id).is_(None),
            col(Deduction.id).not_in(reversed_ids),
        )
        .order_by(col(Deduction.occurred_at), col(Deduction.id))
    )
    missed = session.exec(query).all()
    if not missed:
        return []
    tr, calendar = occasion.tr(employee), occasion.calendar
    lines = [
        "• "
        + tr._(
            "{id} {day}: −{points} points, {criterion} — {reason}",
            id=label(d.id),
            day=tr.date(calendar.local_day(d.occurred_at)),
            points=tr.number(d.points),
            criterion=escape(occasion.policy.criterion_name(d.criterion, tr.locale)),
            reason=shorten(d.reason, REASON_IN_LIST),
        )
        for d in missed
    ]
    title = tr._("<b>Deductions logged before you linked your account</b>")
    pages = paged_lines(tr, title, lines)
    return [
        occasion.draft(employee, f"missed:{employee.id}:{n}", OutboxKind.DEDUCTION, text)
        for n, text in enumerate(pages, start=1)
    ]


# --- /deduct step by step: the buttons ------------------------------------------------------


def person_choice(people: Sequence[Employee]) -> InlineKeyboardMarkup:
    """/deduct's first step: one button per person, named with their roster code."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    f"{unescape(shorten(person.full_name, NAME_IN_LIST))} ({person.code})",
                    callback_data=DeductButton(cast(int, person.id)).pack(),
                )
            ]
            for person in people[:BUTTON_LIMIT]
        ]
    )


def criterion_choice(
    tr: Translator, employee: Employee, criteria: Sequence[Criterion]
) -> InlineKeyboardMarkup:
    """/deduct's criterion: one button per criterion of the person's position, by its name."""
    employee_id = cast(int, employee.id)
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    criterion.name(tr.locale),
                    callback_data=DeductButton(employee_id, place).pack(),
                )
            ]
            for place, criterion in enumerate(criteria[:BUTTON_LIMIT])
        ]
    )


def points_choice(
    tr: Translator, employee: Employee, place: int, criterion: Criterion
) -> InlineKeyboardMarkup:
    """/deduct's points: the criterion's default deduction, in one button."""
    button = DeductButton(cast(int, employee.id), place, default_points=True)
    text = tr._("Deduct {points} points (default)", points=tr.number(criterion.default_deduction))
    return InlineKeyboardMarkup([[InlineKeyboardButton(text, callback_data=button.pack())]])
