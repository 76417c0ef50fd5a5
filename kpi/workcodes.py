"""The work-code workflow (§2): open, respond, return, resubmit, withdraw, reassign.

Every transition is one conditional UPDATE on the code's status and cycle, so of two presses,
stale buttons or two bot instances acting at once exactly one wins; the others get
ALREADY_HANDLED. Each service commits its own unit of work.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy import CursorResult, update
from sqlmodel import Session, col, select

from kpi import outbox
from kpi.audit import record
from kpi.calendar import WorkCalendar
from kpi.deadlines import deadline_columns
from kpi.delegation import approver_on
from kpi.org import leader_of
from kpi.outbox import Tell
from models import Employee, Task, WorkCode, WorkCodeAction, WorkCodeEvent, WorkCodeStatus

MAX_TITLE = 200
MAX_TEXT = 2000  # description, reject reason, opinion
OPEN_STATUSES = (WorkCodeStatus.OPEN, WorkCodeStatus.RETURNED)
FINAL_STATUSES = (WorkCodeStatus.APPROVED, WorkCodeStatus.REJECTED, WorkCodeStatus.WITHDRAWN)
_STILL_OPEN = [status.value for status in OPEN_STATUSES]
# Control characters and lone surrogates cannot be shown, and PostgreSQL refuses NUL in text.
_DROPPED_CATEGORIES = frozenset({"Cc", "Cs"})
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf"})  # plus every separator, Z*


class WorkCodeOutcome(StrEnum):
    """What became of a request on a work code."""

    OK = "ok"
    NOT_FOUND = "not_found"  # no such code, or the caller takes no part in it
    NOT_ALLOWED = "not_allowed"  # a participant doing the other side's action
    ALREADY_HANDLED = "already_handled"
    NO_LEADER = "no_leader"
    EMPTY_TITLE = "empty_title"
    TITLE_TOO_LONG = "title_too_long"
    COMMAND_AS_TITLE = "command_as_title"
    DESCRIPTION_TOO_LONG = "description_too_long"
    TEXT_REQUIRED = "text_required"
    TEXT_TOO_LONG = "text_too_long"
    REJECTION_IS_FINAL = "rejection_is_final"  # a rejected code is never submitted again


@dataclass(frozen=True)
class WorkCodeResult:
    """The outcome, and the code as it now stands when the caller may see it."""

    outcome: WorkCodeOutcome
    code: WorkCode | None = None


def clean_title(text: str) -> str | WorkCodeOutcome:
    """The title `text` makes (trimmed, whitespace runs folded to one space), or why it can't."""
    # Callers test `isinstance(result, WorkCodeOutcome)`: an WorkCodeOutcome is a str as well.
    parts = ("".join(ch for ch in part if not _dropped(ch)) for part in text.split())
    title = " ".join(part for part in parts if part)
    if not _visible(title):
        return WorkCodeOutcome.EMPTY_TITLE
    if title.startswith("/"):
        return WorkCodeOutcome.COMMAND_AS_TITLE
    if len(title) > MAX_TITLE:
        return WorkCodeOutcome.TITLE_TOO_LONG
    return title


def clean_text(text: str) -> str:
    """A description, reason or opinion: trimmed, line breaks kept, control characters dropped."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(ch for ch in text if ch in "\n\t" or not _dropped(ch)).strip()


def _dropped(ch: str) -> bool:
    return unicodedata.category(ch) in _DROPPED_CATEGORIES


def _visible(text: str) -> bool:
    return any(
        not (category.startswith("Z") or category in _INVISIBLE_CATEGORIES)
        for category in map(unicodedata.category, text)
    )


def _required_text(text: str) -> str | WorkCodeOutcome:
    cleaned = clean_text(text)
    if not _visible(cleaned):
        return WorkCodeOutcome.TEXT_REQUIRED
    return WorkCodeOutcome.TEXT_TOO_LONG if len(cleaned) > MAX_TEXT else cleaned


def open_work_code(
    *,
    session: Session,
    author: Employee,
    title: str,
    description: str = "",
    now: datetime,
    calendar: WorkCalendar,
    days: int,
    tell: Tell[WorkCode] | None = None,
    task_id: int | None = None,
) -> WorkCodeResult:
    """Open a code for the author's current leader to approve, due `days` after `now`; commits.

    With `task_id` the code reports that task of the author's (§7), which must not be cancelled.
    What `tell` drafts about the new code is queued in the same transaction.
    """
    author_id = _id(author)
    leader_id = leader_of(session, author_id)
    if leader_id is None:
        return WorkCodeResult(WorkCodeOutcome.NO_LEADER)
    approver_id, delegated_from = approver_on(
        session, leader_id, author_id, calendar.local_day(now)
    )
    if task_id is not None:
        task = session.get(Task, task_id)
        if task is None or task.employee_id != author_id or task.cancelled_at is not None:
            return WorkCodeResult(WorkCodeOutcome.NOT_FOUND)
    cleaned = clean_title(title)
    if isinstance(cleaned, WorkCodeOutcome):
        return WorkCodeResult(cleaned)
    details = clean_text(description)
    if len(details) > MAX_TEXT:
        return WorkCodeResult(WorkCodeOutcome.DESCRIPTION_TOO_LONG)
    deadline = calendar.deadline(now, days)
    code = WorkCode(
        employee_id=author_id,
        approver_id=approver_id,
        delegated_from=delegated_from,
        title=cleaned,
        description=details,
        task_id=task_id,
        cycle_started_at=now,
        **deadline_columns(deadline),
        created_at=now,
        next_event_at=now,  # the sweep works out the first reminder slot
    )
    session.add(code)
    session.flush()
    _trail(session, _id(code), 1, approver_id, author_id, now, WorkCodeAction.OPEN)
    outbox.tell(session, tell, code, now=now)
    session.commit()
    return WorkCodeResult(WorkCodeOutcome.OK, code)


def approve(
    *,
    session: Session,
    code_id: int,
    actor: Employee,
    now: datetime,
    cycle: int | None = None,
    tell: Tell[WorkCode] | None = None,
) -> WorkCodeResult:
    """The approver approves an open code (final); `cycle` is the one the button was made for."""
    return _respond(session, code_id, actor, now, cycle, WorkCodeAction.APPROVE, "", tell)


def reject(
    *,
    session: Session,
    code_id: int,
    actor: Employee,
    reason: str,
    now: datetime,
    cycle: int | None = None,
    tell: Tell[WorkCode] | None = None,
) -> WorkCodeResult:
    """The approver rejects an open code with a reason (final)."""
    return _respond(session, code_id, actor, now, cycle, WorkCodeAction.REJECT, reason, tell)


def give_opinion(
    *,
    session: Session,
    code_id: int,
    actor: Employee,
    text: str,
    now: datetime,
    cycle: int | None = None,
    tell: Tell[WorkCode] | None = None,
) -> WorkCodeResult:
    """The approver returns an open code to its author with an opinion."""
    return _respond(session, code_id, actor, now, cycle, WorkCodeAction.OPINION, text, tell)


def check_response(
    *, session: Session, code_id: int, actor: Employee, action: WorkCodeAction, cycle: int | None
) -> WorkCodeResult:
    """Whether `actor` may take `action` on the code now, before asking them for a text."""
    code = _participant(session, code_id, actor, action, cycle)
    return code if isinstance(code, WorkCodeResult) else WorkCodeResult(WorkCodeOutcome.OK, code)


_RESPONSES = {
    WorkCodeAction.APPROVE: WorkCodeStatus.APPROVED,
    WorkCodeAction.REJECT: WorkCodeStatus.REJECTED,
    WorkCodeAction.OPINION: WorkCodeStatus.RETURNED,
}
# The statuses each transition starts from, as stored.
_FROM = {
    **dict.fromkeys(_RESPONSES, [WorkCodeStatus.OPEN.value]),
    WorkCodeAction.RESUBMIT: [WorkCodeStatus.RETURNED.value],
    WorkCodeAction.WITHDRAW: _STILL_OPEN,
}


def _respond(
    session: Session,
    code_id: int,
    actor: Employee,
    now: datetime,
    cycle: int | None,
    action: WorkCodeAction,
    text: str,
    tell: Tell[WorkCode] | None,
) -> WorkCodeResult:
    code = _participant(session, code_id, actor, action, cycle)
    if isinstance(code, WorkCodeResult):
        return code
    if action is not WorkCodeAction.APPROVE:
        cleaned = _required_text(text)
        if isinstance(cleaned, WorkCodeOutcome):
            return WorkCodeResult(cleaned, code)
        text = cleaned
    status = _RESPONSES[action]
    closed_at = now if status in FINAL_STATUSES else None
    # A response stops the clock: the sweep no longer looks at the code.
    values = {"status": status.value, "closed_at": closed_at, "next_event_at": None}
    return _transition(session, code, actor, now, action, values, text=text, tell=tell)


def resubmit(
    *,
    session: Session,
    code_id: int,
    actor: Employee,
    now: datetime,
    calendar: WorkCalendar,
    days: int,
    tell: Tell[WorkCode] | None = None,
) -> WorkCodeResult:
    """The author sends a returned code back: a new cycle, deadline and current leader; commits."""
    code = _participant(session, code_id, actor, WorkCodeAction.RESUBMIT)
    if isinstance(code, WorkCodeResult):
        return code
    leader_id = leader_of(session, code.employee_id)
    if leader_id is None:
        return WorkCodeResult(WorkCodeOutcome.NO_LEADER, code)
    approver_id, delegated_from = approver_on(
        session, leader_id, code.employee_id, calendar.local_day(now)
    )
    deadline = calendar.deadline(now, days)
    values = {
        "status": WorkCodeStatus.OPEN.value,
        "cycle": code.cycle + 1,
        "cycle_started_at": now,
        **deadline_columns(deadline),
        "approver_id": approver_id,
        "delegated_from": delegated_from,
        # The old notice belongs to the previous cycle; the new one is remembered when sent.
        "leader_chat_id": None,
        "leader_message_id": None,
        "next_event_at": now,
        "reminded_slots": 0,
    }
    return _transition(session, code, actor, now, WorkCodeAction.RESUBMIT, values, tell=tell)


def withdraw(
    *, session: Session, code_id: int, actor: Employee, now: datetime, cycle: int | None = None
) -> WorkCodeResult:
    """The author withdraws an open or returned code (final); `cycle` guards a button. Commits."""
    code = _participant(session, code_id, actor, WorkCodeAction.WITHDRAW, cycle)
    if isinstance(code, WorkCodeResult):
        return code
    values = {"status": WorkCodeStatus.WITHDRAWN.value, "closed_at": now, "next_event_at": None}
    return _transition(session, code, actor, now, WorkCodeAction.WITHDRAW, values)


def _participant(
    session: Session,
    code_id: int,
    actor: Employee,
    action: WorkCodeAction,
    cycle: int | None = None,
) -> WorkCode | WorkCodeResult:
    """The code if `actor` may take `action` on it now, else the refusal."""
    code = session.get(WorkCode, code_id, populate_existing=True)
    if code is None or actor.id not in (code.employee_id, code.approver_id):
        # Never reveal that someone else's code exists.
        return WorkCodeResult(WorkCodeOutcome.NOT_FOUND)
    if actor.id != (code.approver_id if action in _RESPONSES else code.employee_id):
        return WorkCodeResult(WorkCodeOutcome.NOT_ALLOWED, code)
    if action is WorkCodeAction.RESUBMIT and code.status == WorkCodeStatus.REJECTED:
        return WorkCodeResult(WorkCodeOutcome.REJECTION_IS_FINAL, code)
    # Checked again by the UPDATE; this spares a write and answers stale buttons early.
    if code.status not in _FROM[action] or cycle not in (None, code.cycle):
        return WorkCodeResult(WorkCodeOutcome.ALREADY_HANDLED, code)
    return code


def _transition(
    session: Session,
    code: WorkCode,
    actor: Employee,
    now: datetime,
    action: WorkCodeAction,
    values: dict[str, Any],
    *,
    text: str = "",
    tell: Tell[WorkCode] | None = None,
) -> WorkCodeResult:
    """Apply `values` if the code is still as read; of racing callers exactly one wins.

    What `tell` drafts about the code as changed is queued in the same transaction.
    """
    actor_id = _id(actor)
    side = WorkCode.approver_id if action in _RESPONSES else WorkCode.employee_id
    statement = (
        update(WorkCode)
        .where(
            col(WorkCode.id) == code.id,
            col(WorkCode.status).in_(_FROM[action]),
            col(WorkCode.cycle) == code.cycle,
            # A roster import may have moved the code to another leader since it was read.
            col(side) == actor_id,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], session.execute(statement)).rowcount != 1:
        session.rollback()
        session.refresh(code)
        return WorkCodeResult(WorkCodeOutcome.ALREADY_HANDLED, code)
    cycle, approver_id = (
        values.get("cycle", code.cycle),
        values.get("approver_id", code.approver_id),
    )
    _trail(session, _id(code), cycle, approver_id, actor_id, now, action, text)
    if tell is not None:
        session.refresh(code)
        outbox.tell(session, tell, code, now=now)
    session.commit()
    session.refresh(code)
    return WorkCodeResult(WorkCodeOutcome.OK, code)


def _trail(
    session: Session,
    code_id: int,
    cycle: int,
    approver_id: int,
    actor_id: int,
    now: datetime,
    action: WorkCodeAction,
    text: str = "",
) -> None:
    """Add the code's event and the audit record; the audit holds ids only, never texts."""
    event = WorkCodeEvent(
        work_code_id=code_id,
        cycle=cycle,
        at=now,
        actor_id=actor_id,
        action=action.value,
        text=text,
    )
    session.add(event)
    record(
        session,
        at=now,
        actor_id=actor_id,
        action=f"workcode.{action.value}",
        subject=f"workcode:{code_id}",
        details=f"cycle={cycle} approver={approver_id}",
    )


def _id(row: Employee | WorkCode) -> int:
    # Rows here come from the database, so their primary key is set.
    return cast(int, row.id)


def codes_of(*, session: Session, employee_id: int, limit: int = 20) -> list[WorkCode]:
    """The codes the employee opened, newest first."""
    query = (
        select(WorkCode)
        .where(col(WorkCode.employee_id) == employee_id)
        .order_by(col(WorkCode.created_at).desc(), col(WorkCode.id).desc())
        .limit(limit)
    )
    return list(session.exec(query))


def pending_for(*, session: Session, approver_id: int) -> list[WorkCode]:
    """The open codes awaiting this approver, the earliest deadline first."""
    return list(session.exec(_PENDING_FOR, params={"approver_id": approver_id}))


# Built once, with its parameter: a leader's /myscore asks it each time.
_PENDING_FOR = (
    select(WorkCode)
    .where(
        col(WorkCode.approver_id) == sa.bindparam("approver_id"),
        col(WorkCode.status) == WorkCodeStatus.OPEN.value,
    )
    .order_by(col(WorkCode.deadline_at), col(WorkCode.id))
)


def events_of(*, session: Session, code_id: int) -> list[WorkCodeEvent]:
    """The code's transitions, oldest first."""
    query = (
        select(WorkCodeEvent)
        .where(col(WorkCodeEvent.work_code_id) == code_id)
        .order_by(col(WorkCodeEvent.at), col(WorkCodeEvent.id))
    )
    return list(session.exec(query))


def set_leader_message(*, session: Session, code_id: int, chat_id: int, message_id: int) -> None:
    """Remember the approver's notice of the code, to edit it later; commits."""
    session.execute(
        update(WorkCode)
        .where(col(WorkCode.id) == code_id)
        .values(leader_chat_id=chat_id, leader_message_id=message_id)
    )
    session.commit()


def reassign_open_codes(*, session: Session) -> int:
    """Move open and returned codes to their author's current leader; the count. No commit."""
    leader = (
        sa.select(col(Employee.leader_id))
        .where(col(Employee.id) == col(WorkCode.employee_id))
        .scalar_subquery()
    )
    statement = (
        update(WorkCode)
        # NULL != x is not true, so codes of someone left without a leader stay where they are;
        # a code a deputy holds for the author's leader stays with the deputy.
        .where(
            col(WorkCode.status).in_(_STILL_OPEN),
            leader != col(WorkCode.approver_id),
            sa.or_(col(WorkCode.delegated_from).is_(None), leader != col(WorkCode.delegated_from)),
        )
        .values(approver_id=leader, delegated_from=None)
        .execution_options(synchronize_session=False)
    )
    moved = cast(CursorResult[Any], session.execute(statement)).rowcount
    # The bulk UPDATE bypassed the identity map: codes the caller holds are stale now.
    for row in list(session.identity_map.values()):
        if isinstance(row, WorkCode):
            session.expire(row)
    return moved
