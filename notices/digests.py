"""The morning digest of a leader's pending codes; the admins' morning report."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from kpi.outbox import Draft
from locales.i18n import N_, Translator
from models import Employee, OutboxKind, WorkCode
from notices.limits import NAME_IN_LIST, page_title, paginate, shorten, visible_length
from notices.occasion import Occasion
from notices.workcodes import BUTTONS_PER_CODE, list_keyboard, pending_line

ESTIMATED_YEAR = N_(
    "📅 {year} has no official decision on holidays and days off yet, so its deadlines are "
    "counted on an estimated calendar. Import the decision once it is published "
    "(<code>kpibot calendar import FILE</code>) or upgrade kpibot to a release that ships it."
)
GROUPS = (
    N_("Overdue"),
    N_("Due today"),
    N_("Due within 2 working days"),
    N_("Later"),
)


def digest(
    occasion: Occasion,
    leader: Employee,
    codes: Sequence[tuple[WorkCode, Employee]],
    flagged: set[int],
    expires_at: datetime,
) -> list[Draft]:
    """The morning digest, grouped and ordered by deadline, paged, each code with buttons."""
    tr = occasion.tr(leader)
    ordered = sorted(codes, key=lambda pair: (pair[0].deadline_at, pair[0].id or 0))
    title = tr.ngettext(
        "<b>Work codes awaiting your approval on {day}</b>: {n} code",
        "<b>Work codes awaiting your approval on {day}</b>: {n} codes",
        len(codes),
        day=tr.date(occasion.today),
    )
    headings = sum(visible_length(tr._(group)) + 2 for group in GROUPS)  # and a blank line each
    pages = paginate(
        ordered,
        lambda pair: "🔔 " + pending_line(tr, *pair, occasion.calendar, occasion.today),
        reserved=visible_length(title) + headings,
        buttons=lambda _pair: BUTTONS_PER_CODE,
        most=occasion.policy.digest_page_size,
    )
    return [
        occasion.draft(
            leader,
            f"digest:{leader.id}:{occasion.today.isoformat()}:{number}",
            OutboxKind.DIGEST,
            "\n".join(
                [
                    page_title(tr, title, number, len(pages)),
                    *_grouped_lines(occasion, tr, page, flagged),
                ]
            ),
            buttons=list_keyboard(tr, [code for code, _ in page]),
            expires_at=expires_at,
        )
        for number, page in enumerate(pages, start=1)
    ]


def _grouped_lines(
    occasion: Occasion,
    tr: Translator,
    page: Sequence[tuple[WorkCode, Employee]],
    flagged: set[int],
) -> list[str]:
    groups: dict[int, list[str]] = {}
    for code, author in page:
        line = pending_line(tr, code, author, occasion.calendar, occasion.today)
        if code.id in flagged:
            line = "🔔 " + line
        groups.setdefault(_group(occasion, code), []).append(line)
    lines = []
    for index in sorted(groups):
        lines += ["", f"<b>{tr._(GROUPS[index])}</b>", *groups[index]]
    return lines


def _group(occasion: Occasion, code: WorkCode) -> int:
    today = occasion.today
    if code.due_day < today:
        return 0
    if code.due_day == today:
        return 1
    return 2 if occasion.calendar.working_days_between(today, code.due_day) <= 2 else 3


def admins_report(
    occasion: Occasion,
    admin: Employee,
    unreachable: Sequence[Employee],
    estimated_year: int | None,
    expires_at: datetime,
) -> list[Draft]:
    """For admins: next year's calendar if it is still estimated, and who blocked the bot."""
    tr = occasion.tr(admin)
    estimated = tr._(ESTIMATED_YEAR, year=estimated_year) if estimated_year is not None else ""
    heading = tr.ngettext(
        "This employee blocked the bot and receives no messages:",
        "These {n} employees blocked the bot and receive no messages:",
        len(unreachable),
    )
    lines = [
        f"• {shorten(person.full_name, NAME_IN_LIST)} ({shorten(person.code, NAME_IN_LIST)})"
        for person in unreachable
    ]
    pages = paginate(lines, str, reserved=visible_length(estimated + heading)) or [[]]
    texts = [
        "\n".join([page_title(tr, heading, number, len(pages)), *page]) if page else ""
        for number, page in enumerate(pages, start=1)
    ]
    texts[0] = "\n".join(part for part in (estimated, texts[0]) if part)
    key = f"admins:{admin.id}:{occasion.today.isoformat()}"
    return [
        occasion.draft(admin, f"{key}:{number}", OutboxKind.DIGEST, text, expires_at=expires_at)
        for number, text in enumerate(texts, start=1)
    ]
