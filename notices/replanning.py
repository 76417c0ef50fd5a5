"""The message about deadlines a calendar change moved: one to each approver and author."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

from sqlmodel import Session

from kpi import org
from kpi.outbox import Draft
from kpi.replanning import Replanned, by_person
from locales.i18n import Translator
from models import Employee, OutboxKind
from notices.limits import paginate, visible_length
from notices.occasion import Occasion
from notices.workcodes import explanation_text, short_title

ROOM_FOR_THE_REST = 200  # kept free for the line that says how many more codes moved


def replan_notices(
    session: Session, occasion: Occasion, replanned: Sequence[Replanned]
) -> list[Draft]:
    """One message to each linked approver and author, listing their codes' old and new deadline."""
    grouped = by_person(replanned)
    people = org.employees_by_id(session, grouped.keys())
    return [
        occasion.draft(
            people[person_id],
            f"replan:{person_id}:{occasion.now.isoformat()}",
            OutboxKind.REPLAN,
            _text(occasion.tr(people[person_id]), person_id, moved, people),
        )
        for person_id, moved in grouped.items()
        if people[person_id].telegram_id is not None
    ]


def _text(
    tr: Translator, reader: int, moved: Sequence[Replanned], people: Mapping[int, Employee]
) -> str:
    """The title, then each code while the message has room, then how many did not fit."""
    title = tr.ngettext(
        "📅 <b>Deadline moved</b>: the working calendar changed, so {n} work code is now due "
        "later.",
        "📅 <b>Deadlines moved</b>: the working calendar changed, so {n} work codes are now due "
        "later.",
        len(moved),
    )
    entries = [
        _entry(tr, change, None if change.author_id == reader else people[change.author_id])
        for change in moved
    ]
    shown = paginate(entries, str, reserved=visible_length(title) + ROOM_FOR_THE_REST)[0]
    if len(shown) == len(entries):
        return "\n".join([title, *shown])
    rest = tr.ngettext(
        "… and {n} more work code: see /pending or /mycodes.",
        "… and {n} more work codes: see /pending or /mycodes.",
        len(entries) - len(shown),
    )
    return "\n".join([title, *shown, rest])


def _entry(tr: Translator, change: Replanned, author: Employee | None) -> str:
    """`• #12 «Tờ trình» of An: end of 09/11/2026 → end of 10/11/2026`, and why."""
    values = {
        "id": change.code_id,
        "title": short_title(change.title),
        "old": tr.date(change.old_due_day),
        "new": tr.date(change.new_due_day),
    }
    if author is None:
        line = tr._("• #{id} «{title}»: end of {old} → end of {new}", **values)
    else:
        line = tr._(
            "• #{id} «{title}» of {name}: end of {old} → end of {new}",
            name=escape(author.full_name),
            **values,
        )
    explanation = explanation_text(tr, change.new_explanation)
    return line + (f"\n  <i>{explanation}</i>" if explanation else "")
