"""The morning digest of a leader's pending codes; the admins' morning report."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from html import escape

from kpi.outbox import Draft
from locales.i18n import N_, Translator
from models import Employee, OutboxKind, WorkCode
from notices.occasion import Occasion
from notices.workcodes import list_keyboard, pending_line

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
    tr, size = occasion.tr(leader), occasion.policy.digest_page_size
    ordered = sorted(codes, key=lambda pair: (pair[0].deadline_at, pair[0].id or 0))
    pages = [ordered[i : i + size] for i in range(0, len(ordered), size)]
    drafts = []
    for number, page in enumerate(pages, start=1):
        lines = [_title(tr, occasion.today, len(codes), number, len(pages))]
        lines += _grouped_lines(occasion, tr, page, flagged)
        drafts.append(
            occasion.draft(
                leader,
                f"digest:{leader.id}:{occasion.today.isoformat()}:{number}",
                OutboxKind.DIGEST,
                "\n".join(lines),
                buttons=list_keyboard(tr, [code for code, _ in page]),
                expires_at=expires_at,
            )
        )
    return drafts


def _title(tr: Translator, today: date, total: int, page: int, pages: int) -> str:
    title = tr.ngettext(
        "<b>Work codes awaiting your approval on {day}</b>: {n} code",
        "<b>Work codes awaiting your approval on {day}</b>: {n} codes",
        total,
        day=tr.date(today),
    )
    if pages > 1:
        title += " " + tr._("(page {page}/{pages})", page=page, pages=pages)
    return title


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
) -> Draft:
    """For admins: next year's calendar if it is still estimated, and who blocked the bot."""
    tr = occasion.tr(admin)
    lines = []
    if estimated_year is not None:
        lines.append(tr._(ESTIMATED_YEAR, year=estimated_year))
    if unreachable:
        names = ", ".join(f"{escape(p.full_name)} ({escape(p.code)})" for p in unreachable)
        lines.append(
            tr._("These employees blocked the bot and receive no messages: {names}", names=names)
        )
    key = f"admins:{admin.id}:{occasion.today.isoformat()}"
    return occasion.draft(admin, key, OutboxKind.DIGEST, "\n".join(lines), expires_at=expires_at)
