"""The texts of proactive messages, rendered in each recipient's language for the outbox."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from html import escape

from handlers.workcode_views import list_keyboard, pending_line
from kpi.appeals import appeal_last_day
from kpi.calendar import WorkCalendar
from kpi.outbox import Draft
from kpi.policy import Policy
from kpi.reminders import allowed_at
from locales.i18n import N_, Translator, pick_locale
from models import Deduction, Employee, OutboxKind, WorkCode

GROUPS = (
    N_("Overdue"),
    N_("Due today"),
    N_("Due within 2 working days"),
    N_("Later"),
)


@dataclass(frozen=True)
class Context:
    """What rendering needs: the calendar, the policy, the instant and the default language."""

    calendar: WorkCalendar
    policy: Policy
    now: datetime
    default_locale: str

    def tr(self, employee: Employee) -> Translator:
        """The translator of a recipient."""
        locale = pick_locale(
            chosen=employee.chosen_locale,
            roster=employee.language,
            telegram=None,
            default=self.default_locale,
        )
        return Translator(locale, self.calendar.tz)

    @property
    def today(self) -> date:
        """The organisation's date at `now`."""
        return self.calendar.local_day(self.now)


def reminder(
    ctx: Context,
    leader: Employee,
    slot: datetime,
    codes: Sequence[tuple[WorkCode, Employee]],
    not_before: datetime,
) -> Draft:
    """One reminder listing every code of this leader due for this slot."""
    tr = ctx.tr(leader)
    lines = [
        tr.ngettext(
            "🔔 <b>Reminder</b>: {n} work code awaits your approval before its deadline.",
            "🔔 <b>Reminder</b>: {n} work codes await your approval before their deadline.",
            len(codes),
        )
    ]
    lines += [pending_line(tr, code, author, ctx.calendar, ctx.today) for code, author in codes]
    return Draft(
        key=f"remind:{leader.id}:{slot.isoformat()}",
        kind=OutboxKind.REMINDER,
        chat_id=leader.telegram_id or 0,
        employee_id=leader.id,
        text="\n".join(lines),
        reply_markup=list_keyboard(tr, [code for code, _ in codes]).to_json(),
        not_before=not_before,
        expires_at=min(code.deadline_at for code, _ in codes),
    )


def breach_notices(
    ctx: Context,
    code: WorkCode,
    author: Employee,
    leader: Employee,
    superior: Employee | None,
    not_before: datetime,
) -> list[Draft]:
    """The leader, the employee and the leader's superior are told of a missed deadline."""
    points, criterion = ctx.policy.breach_points, ctx.policy.criteria[ctx.policy.breach_criterion]
    drafts = []
    for role, person in (("leader", leader), ("employee", author), ("superior", superior)):
        if person is None or person.telegram_id is None:
            continue
        tr = ctx.tr(person)
        values = {
            "id": code.id,
            "title": escape(code.title),
            "day": tr.date(code.due_day),
            "leader": escape(leader.full_name),
            "employee": escape(author.full_name),
            "points": tr.number(points),
            "criterion": escape(criterion.name(tr.locale)),
        }
        text = tr._(BREACH_TEXTS[role], **values)
        markup = list_keyboard(tr, [code]).to_json() if role == "leader" else None
        drafts.append(
            Draft(
                key=f"breach:{code.id}:{code.cycle}:{role}",
                kind=OutboxKind.BREACH,
                chat_id=person.telegram_id,
                employee_id=person.id,
                work_code_id=code.id,
                text=text,
                reply_markup=markup,
                not_before=not_before,
            )
        )
    return drafts


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


def digest(
    ctx: Context,
    leader: Employee,
    codes: Sequence[tuple[WorkCode, Employee]],
    flagged: set[int],
    not_before: datetime,
    expires_at: datetime,
) -> list[Draft]:
    """The morning digest, grouped and ordered by deadline, paged, each code with buttons."""
    tr, size = ctx.tr(leader), ctx.policy.digest_page_size
    ordered = sorted(codes, key=lambda pair: (pair[0].deadline_at, pair[0].id or 0))
    pages = [ordered[i : i + size] for i in range(0, len(ordered), size)]
    drafts = []
    for number, page in enumerate(pages, start=1):
        lines = [_digest_title(tr, ctx.today, len(codes), number, len(pages))]
        lines += _grouped_lines(ctx, tr, page, flagged)
        drafts.append(
            Draft(
                key=f"digest:{leader.id}:{ctx.today.isoformat()}:{number}",
                kind=OutboxKind.DIGEST,
                chat_id=leader.telegram_id or 0,
                employee_id=leader.id,
                text="\n".join(lines),
                reply_markup=list_keyboard(tr, [code for code, _ in page]).to_json(),
                not_before=not_before,
                expires_at=expires_at,
            )
        )
    return drafts


def _digest_title(tr: Translator, today: date, total: int, page: int, pages: int) -> str:
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
    ctx: Context, tr: Translator, page: Sequence[tuple[WorkCode, Employee]], flagged: set[int]
) -> list[str]:
    groups: dict[int, list[str]] = {}
    for code, author in page:
        line = pending_line(tr, code, author, ctx.calendar, ctx.today)
        if code.id in flagged:
            line = "🔔 " + line
        groups.setdefault(_group(ctx, code), []).append(line)
    lines = []
    for index in sorted(groups):
        lines += ["", f"<b>{tr._(GROUPS[index])}</b>", *groups[index]]
    return lines


def _group(ctx: Context, code: WorkCode) -> int:
    if code.due_day < ctx.today:
        return 0
    if code.due_day == ctx.today:
        return 1
    return 2 if ctx.calendar.working_days_between(ctx.today, code.due_day) <= 2 else 3


def unreachable_report(
    ctx: Context,
    admin: Employee,
    people: Sequence[Employee],
    not_before: datetime,
    expires_at: datetime,
) -> Draft:
    """For admins: who blocked the bot and gets no messages."""
    tr = ctx.tr(admin)
    names = ", ".join(f"{escape(p.full_name)} ({escape(p.code)})" for p in people)
    return Draft(
        key=f"unreachable:{admin.id}:{ctx.today.isoformat()}",
        kind=OutboxKind.DIGEST,
        chat_id=admin.telegram_id or 0,
        employee_id=admin.id,
        text=tr._("These employees blocked the bot and receive no messages: {names}", names=names),
        not_before=not_before,
        expires_at=expires_at,
    )


def deduction_notice(
    ctx: Context, employee: Employee, deduction: Deduction, author: Employee | None
) -> Draft | None:
    """The employee is told of a deduction, and until when they may appeal it."""
    if employee.telegram_id is None:
        return None
    tr = ctx.tr(employee)
    values = {
        "id": deduction.id,
        "points": tr.number(deduction.points),
        "criterion": escape(ctx.policy.criterion_name(deduction.criterion, tr.locale)),
        "reason": escape(deduction.reason),
        "day": tr.date(ctx.calendar.local_day(deduction.occurred_at)),
    }
    if author is None:
        lines = [tr._(DEDUCTION_BY_HR, **values)]
    else:
        lines = [tr._(DEDUCTION_BY_LEADER, author=escape(author.full_name), **values)]
    last_day = appeal_last_day(deduction=deduction, calendar=ctx.calendar, policy=ctx.policy)
    if last_day >= ctx.today:
        lines.append(tr._(APPEAL_HINT, id=deduction.id, day=tr.date(last_day)))
    return Draft(
        key=f"deduction:{deduction.id}",
        kind=OutboxKind.DEDUCTION,
        chat_id=employee.telegram_id,
        employee_id=employee.id,
        text="\n".join(lines),
        not_before=allowed_at(ctx.calendar, ctx.policy, ctx.now),
    )


DEDUCTION_BY_LEADER = N_(
    "{author} logged deduction #{id}: −{points} points on «{criterion}» ({day}). Reason: {reason}"
)
DEDUCTION_BY_HR = N_(
    "HR logged deduction #{id}: −{points} points on «{criterion}» ({day}). Reason: {reason}"
)
APPEAL_HINT = N_("If you disagree, send /appeal {id} REASON by the end of {day}.")
