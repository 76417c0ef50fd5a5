"""How work codes read in a chat: notices, lists and the approver's buttons."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import N_, Translator
from kpi.calendar import WorkCalendar
from kpi.days import DayKind
from kpi.deadlines import Run, explanation_for
from kpi.workcodes import Outcome
from models import Employee, WorkCode, WorkCodeAction, WorkCodeStatus

STATUS_LABELS = {
    WorkCodeStatus.OPEN: N_("pending approval"),
    WorkCodeStatus.RETURNED: N_("returned with an opinion"),
    WorkCodeStatus.APPROVED: N_("approved"),
    WorkCodeStatus.REJECTED: N_("rejected"),
    WorkCodeStatus.WITHDRAWN: N_("withdrawn"),
}
APPROVE, REJECT, OPINION = "ap", "rj", "op"


def callback(action: str, code: WorkCode, source: str = "c") -> str:
    """Button data: what to do, to which code, in which cycle (no authority; re-checked).

    `source` is "c" on a message about one code, "l" on a list (a digest, a reminder), whose
    text must not be replaced by one code's state.
    """
    return f"w{source}:{action}:{code.id}:{code.cycle}"


def approver_keyboard(tr: Translator, code: WorkCode) -> InlineKeyboardMarkup:
    """Approve / Reject / Opinion for one code."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(tr._("Approve"), callback_data=callback(APPROVE, code)),
                InlineKeyboardButton(tr._("Reject"), callback_data=callback(REJECT, code)),
                InlineKeyboardButton(tr._("Opinion"), callback_data=callback(OPINION, code)),
            ]
        ]
    )


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
    if explanation is None or not explanation.runs:
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


def notice(
    tr: Translator,
    code: WorkCode,
    author: Employee,
    calendar: WorkCalendar,
    *,
    today: date,
    days: int,
) -> str:
    """The approver's message about a code: title, employee, deadline and its explanation."""
    lines = [
        tr._("<b>Work code #{id}</b> — {status}", id=code.id, status=status(tr, code)),
        escape(code.title),
        tr._("Employee: {name} ({code})", name=escape(author.full_name), code=escape(author.code)),
    ]
    if code.status == WorkCodeStatus.OPEN:
        lines.append(tr._("Deadline: {deadline}", deadline=deadline(tr, code, calendar, today)))
        explanation = skipped(tr, code, calendar, days)
        if explanation:
            lines.append(f"<i>{explanation}</i>")
    return "\n".join(lines)


def code_line(tr: Translator, code: WorkCode, calendar: WorkCalendar, today: date) -> str:
    """One line of a list: number, title, state and, while open, the deadline."""
    line = f"#{code.id} {escape(code.title)} — {status(tr, code)}"
    if code.status == WorkCodeStatus.OPEN:
        line += "; " + tr._("deadline: {deadline}", deadline=deadline(tr, code, calendar, today))
    return line


REFUSALS = {
    Outcome.NOT_FOUND: N_("Work code #{id} was not found among your codes."),
    Outcome.NOT_ALLOWED: N_("You may not do this with work code #{id}."),
    Outcome.ALREADY_HANDLED: N_("Work code #{id} has already been handled."),
    Outcome.NO_LEADER: N_(
        "You have no direct leader in the roster, so you cannot open work codes yet. "
        "Please ask HR to update the roster."
    ),
    Outcome.EMPTY_TITLE: N_("The title is empty. Please write what the work is about."),
    Outcome.TITLE_TOO_LONG: N_("The title is longer than 200 characters. Please shorten it."),
    Outcome.COMMAND_AS_TITLE: N_("A title cannot start with /. Please write the title as text."),
    Outcome.DESCRIPTION_TOO_LONG: N_("The description is longer than 2,000 characters."),
    Outcome.TEXT_REQUIRED: N_("Please write the text; it cannot be empty."),
    Outcome.TEXT_TOO_LONG: N_("The text is longer than 2,000 characters. Please shorten it."),
}
PROMPTS = {
    WorkCodeAction.OPEN: N_("Send the title of the new work code (or /cancel)."),
    WorkCodeAction.REJECT: N_("Send the reason for rejecting work code #{id} (or /cancel)."),
    WorkCodeAction.OPINION: N_("Send your opinion on work code #{id} (or /cancel)."),
}
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


def refusal(tr: Translator, outcome: Outcome, code_id: int | None = None) -> str:
    """Why a request on a work code changed nothing."""
    return tr._(REFUSALS[outcome], id=code_id)


def prompt(tr: Translator, action: WorkCodeAction, code_id: int | None = None) -> str:
    """The question asked before a title, a reason or an opinion."""
    return tr._(PROMPTS[action], id=code_id)


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


DONE = {
    WorkCodeAction.APPROVE: N_("Work code #{id} is approved."),
    WorkCodeAction.REJECT: N_("Work code #{id} is rejected."),
    WorkCodeAction.OPINION: N_("Your opinion on work code #{id} was sent to the employee."),
    WorkCodeAction.WITHDRAW: N_("Work code #{id} is withdrawn."),
}


def done(tr: Translator, action: WorkCodeAction, code_id: int) -> str:
    """The confirmation of a transition the caller made."""
    return tr._(DONE[action], id=code_id)


def list_keyboard(tr: Translator, codes: Sequence[WorkCode]) -> InlineKeyboardMarkup:
    """One row of Approve / Reject / Opinion buttons per code of a list."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    tr._("Approve #{id}", id=c.id), callback_data=callback(APPROVE, c, "l")
                ),
                InlineKeyboardButton(
                    tr._("Reject #{id}", id=c.id), callback_data=callback(REJECT, c, "l")
                ),
                InlineKeyboardButton(
                    tr._("Opinion #{id}", id=c.id), callback_data=callback(OPINION, c, "l")
                ),
            ]
            for c in codes
        ]
    )


def pending_line(
    tr: Translator, code: WorkCode, author: Employee, calendar: WorkCalendar, today: date
) -> str:
    """A code awaiting approval, in a list: number, title, employee, deadline."""
    return tr._(
        "#{id} {title} — {name}; deadline: {deadline}",
        id=code.id,
        title=escape(code.title),
        name=escape(author.full_name),
        deadline=deadline(tr, code, calendar, today),
    )
