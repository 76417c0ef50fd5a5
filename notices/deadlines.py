"""Messages as deadlines near and pass: reminders for approvers, breach notices for all three."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape

from kpi.outbox import Draft
from locales.i18n import N_
from models import Employee, OutboxKind, WorkCode
from notices.limits import page_title, paginate, visible_length
from notices.occasion import Occasion
from notices.workcodes import BUTTONS_PER_CODE, list_keyboard, pending_line, short_title

BREACH_TEXTS = {
    "leader": N_(
        "⚠️ <b>Deadline missed</b>: work code #{id} «{title}» of {employee} was due by the end "
        "of {day} and got no response. {points} points are deducted from your criterion "
        "«{criterion}». The code stays open: please handle it."
    ),
    "employee": N_(
        "Work code #{id} «{title}» got no response by the end of {day}. The deduction for "
        "{leader} is recorded; the code still waits for approval."
    ),
    "superior": N_(
        "⚠️ Work code #{id} «{title}» of {employee} was not handled by {leader} by the end of "
        "{day}: {points} points are deducted from {leader}'s criterion «{criterion}»."
    ),
}


def reminder(
    occasion: Occasion,
    leader: Employee,
    slot: datetime,
    codes: Sequence[tuple[WorkCode, Employee]],
) -> list[Draft]:
    """The reminder listing every code of this leader due for this slot, paged to fit."""
    tr = occasion.tr(leader)
    title = tr.ngettext(
        "🔔 <b>Reminder</b>: {n} work code awaits your approval before its deadline.",
        "🔔 <b>Reminder</b>: {n} work codes await your approval before their deadline.",
        len(codes),
    )
    entries = [
        (pending_line(tr, code, author, occasion.calendar, occasion.today), code)
        for code, author in codes
    ]
    pages = paginate(
        entries,
        lambda entry: entry[0],
        reserved=visible_length(title),
        buttons=lambda _entry: BUTTONS_PER_CODE,
    )
    return [
        occasion.draft(
            leader,
            f"remind:{leader.id}:{slot.isoformat()}:{number}",
            OutboxKind.REMINDER,
            "\n".join([page_title(tr, title, number, len(pages)), *(line for line, _ in page)]),
            buttons=list_keyboard(tr, [code for _, code in page]),
            expires_at=min(code.deadline_at for _, code in page),
        )
        for number, page in enumerate(pages, start=1)
    ]


def breach_notices(
    occasion: Occasion,
    code: WorkCode,
    author: Employee,
    leader: Employee,
    superior: Employee | None,
) -> list[Draft]:
    """The leader, the employee and the leader's superior are told of a missed deadline."""
    told = (("leader", leader), ("employee", author), ("superior", superior))
    return [
        _breach_notice(occasion, code, author, leader, role, person)
        for role, person in told
        if person is not None and person.telegram_id is not None
    ]


def _breach_notice(
    occasion: Occasion,
    code: WorkCode,
    author: Employee,
    leader: Employee,
    role: str,
    person: Employee,
) -> Draft:
    policy, tr = occasion.policy, occasion.tr(person)
    text = tr._(
        BREACH_TEXTS[role],
        id=code.id,
        title=short_title(code.title),
        day=tr.date(code.due_day),  # the deadline day, which the breach is dated on
        leader=escape(leader.full_name),
        employee=escape(author.full_name),
        points=tr.number(policy.breach_points),
        criterion=escape(policy.criteria[policy.breach_criterion].name(tr.locale)),
    )
    return occasion.draft(
        person,
        f"breach:{code.id}:{code.cycle}:{role}",
        OutboxKind.BREACH,
        text,
        buttons=list_keyboard(tr, [code]) if role == "leader" else None,
        work_code_id=code.id,
    )
