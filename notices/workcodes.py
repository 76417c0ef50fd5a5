"""How a work code reads in a chat: its card, its line in a list, the approver's buttons."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from html import escape
from typing import cast

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from kpi.calendar import WorkCalendar
from kpi.days import DayKind
from kpi.deadlines import Explanation, Run, explanation_for
from locales.i18n import N_, Translator
from models import Employee, WorkCode, WorkCodeAction, WorkCodeStatus
from notices.callbacks import AttachmentsButton, WorkCodeButton
from notices.limits import NAME_IN_LIST, TITLE_IN_LIST, shorten
from notices.occasion import Occasion

# The approver's buttons: on a message about one code, and on a list (where each names its code).
_RESPONSE_BUTTONS = (
    (WorkCodeAction.APPROVE, N_("Approve"), N_("Approve #{id}")),
    (WorkCodeAction.REJECT, N_("Reject"), N_("Reject #{id}")),
    (WorkCodeAction.OPINION, N_("Opinion"), N_("Opinion #{id}")),
)
BUTTONS_PER_CODE = len(_RESPONSE_BUTTONS)  # on a list, for each code
STATUS_LABELS = {
    WorkCodeStatus.OPEN: N_("pending approval"),
    WorkCodeStatus.RETURNED: N_("returned with an opinion"),
    WorkCodeStatus.APPROVED: N_("approved"),
    WorkCodeStatus.REJECTED: N_("rejected"),
    WorkCodeStatus.WITHDRAWN: N_("withdrawn"),
}


def short_title(title: str) -> str:
    """A code's title to name it in a line, HTML-escaped; a long one is cut and ends in "…"."""
    return shorten(title, TITLE_IN_LIST)


def approver_keyboard(tr: Translator, code: WorkCode, files: int = 0) -> InlineKeyboardMarkup:
    """Approve / Reject / Opinion for one code, and its files when it has some."""
    return InlineKeyboardMarkup([_buttons(tr, code, on_list=False), *files_row(tr, code, files)])


def files_row(tr: Translator, code: WorkCode, files: int) -> list[list[InlineKeyboardButton]]:
    """The button that sends the code's attached files, as a keyboard row (none without files)."""
    if not files:
        return []
    label = tr._("📎 Attachments ({count})", count=files)
    data = AttachmentsButton(cast(int, code.id)).pack()
    return [[InlineKeyboardButton(label, callback_data=data)]]


def list_keyboard(tr: Translator, codes: Sequence[WorkCode]) -> InlineKeyboardMarkup:
    """One row of Approve / Reject / Opinion buttons per code of a list."""
    return InlineKeyboardMarkup([_buttons(tr, code, on_list=True) for code in codes])


def _buttons(tr: Translator, code: WorkCode, *, on_list: bool) -> list[InlineKeyboardButton]:
    return [
        InlineKeyboardButton(
            tr._(on_a_list if on_list else alone, id=code.id),
            callback_data=WorkCodeButton.of(action, code, on_list=on_list).pack(),
        )
        for action, alone, on_a_list in _RESPONSE_BUTTONS
    ]


def status(tr: Translator, code: WorkCode) -> str:
    """The code's state in words."""
    return tr._(STATUS_LABELS[WorkCodeStatus(code.status)])


def deadline(tr: Translator, code: WorkCode, calendar: WorkCalendar, today: date) -> str:
    """`end of 13/11/2026 (3 working days left)`."""
    left = calendar.working_days_between(today, code.due_day)
    if left > 0:
        remaining = tr.ngettext("{n} working day left", "{n} working days left", left)
    elif code.due_day == today:
        remaining = tr._("due today")
    else:
        remaining = tr._("overdue")
    return tr._("end of {day} ({remaining})", day=tr.date(code.due_day), remaining=remaining)


def skipped(tr: Translator, code: WorkCode, calendar: WorkCalendar, days: int) -> str | None:
    """Why the deadline is later than it looks: the days off it passed, as stored with it."""
    explanation = explanation_for(code, calendar, days)
    return None if explanation is None else explanation_text(tr, explanation)


def explanation_text(tr: Translator, explanation: Explanation) -> str | None:
    """`5 working days; days off skipped: ...`; None when the deadline passed no day off."""
    if not explanation.runs:
        return None
    runs = "; ".join(_run(tr, run) for run in explanation.runs)
    if explanation.calendar_days:
        return tr.ngettext(
            "{n} calendar day, then the next working day; days off passed: {runs}",
            "{n} calendar days, then the next working day; days off passed: {runs}",
            explanation.days,
            runs=runs,
        )
    return tr.ngettext(
        "{n} working day; days off skipped: {runs}",
        "{n} working days; days off skipped: {runs}",
        explanation.days,
        runs=runs,
    )


def _run(tr: Translator, run: Run) -> str:
    name = run.names.get(tr.locale)
    if not name:
        weekend = run.kind is DayKind.WEEKEND
        name = tr._("weekend") if weekend else tr._("day off declared by the agency")
    span = (
        tr.date(run.first) if run.first == run.last else f"{tr.date(run.first)}–{tr.date(run.last)}"
    )
    return f"{escape(name)} ({span})"


def card(tr: Translator, code: WorkCode, author: Employee, occasion: Occasion) -> str:
    """The approver's message about a code: title, employee, deadline and its explanation."""
    lines = [
        tr._("<b>Work code #{id}</b> — {status}", id=code.id, status=status(tr, code)),
        escape(code.title),
        tr._("Employee: {name} ({code})", name=escape(author.full_name), code=escape(author.code)),
    ]
    if code.status == WorkCodeStatus.OPEN:
        lines += deadline_lines(tr, code, occasion)
    return "\n".join(lines)


def deadline_lines(tr: Translator, code: WorkCode, occasion: Occasion) -> list[str]:
    """`Deadline: end of 13/11/2026 (3 working days left)`, and the days off it skipped."""
    due = deadline(tr, code, occasion.calendar, occasion.today)
    explanation = skipped(tr, code, occasion.calendar, occasion.policy.deadline_days)
    lines = [tr._("Deadline: {deadline}", deadline=due)]
    return lines + ([f"<i>{explanation}</i>"] if explanation else [])


def code_line(tr: Translator, code: WorkCode, calendar: WorkCalendar, today: date) -> str:
    """One line of a list: number, title, state and, while open, the deadline."""
    line = f"#{code.id} {short_title(code.title)} — {status(tr, code)}"
    if code.status == WorkCodeStatus.OPEN:
        line += "; " + tr._("deadline: {deadline}", deadline=deadline(tr, code, calendar, today))
    return line


AUTHOR_NEWS = {
    WorkCodeAction.APPROVE: N_("Work code #{id} «{title}» was approved by {leader}."),
    WorkCodeAction.REJECT: N_("Work code #{id} «{title}» was rejected by {leader}. Reason: {text}"),
    WorkCodeAction.OPINION: N_(
        "{leader} gave an opinion on work code #{id} «{title}»: {text}\n"
        "When it is ready, send /resubmit {id} to submit it again."
    ),
}
RESPONSE_NOTES = {
    WorkCodeAction.APPROVE: N_("Approved by {leader} at {at}."),
    WorkCodeAction.REJECT: N_("Rejected by {leader} at {at}. Reason: {text}"),
    WorkCodeAction.OPINION: N_("Opinion of {leader} at {at}: {text}"),
    WorkCodeAction.WITHDRAW: N_("Withdrawn by the employee at {at}."),
}


def author_news(
    tr: Translator, action: WorkCodeAction, code: WorkCode, leader: Employee, text: str
) -> str:
    """What the employee is told of the approver's response."""
    return tr._(
        AUTHOR_NEWS[action],
        id=code.id,
        title=escape(code.title),
        leader=escape(leader.full_name),
        text=escape(text),
    )


def response_note(
    tr: Translator, action: WorkCodeAction, leader: Employee, at: datetime, text: str
) -> str:
    """The line added to the approver's message once the code is handled."""
    return tr._(
        RESPONSE_NOTES[action],
        leader=escape(leader.full_name),
        at=tr.datetime(at),
        text=escape(text),
    )


def pending_line(
    tr: Translator, code: WorkCode, author: Employee, calendar: WorkCalendar, today: date
) -> str:
    """A code awaiting approval, in a list: number, title, employee, deadline."""
    return tr._(
        "#{id} {title} — {name}; deadline: {deadline}",
        id=code.id,
        title=short_title(code.title),
        name=shorten(author.full_name, NAME_IN_LIST),
        deadline=deadline(tr, code, calendar, today),
    )
