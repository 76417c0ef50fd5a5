"""Calendar changes and the re-planning of the open codes they affect (§3).

A change (a day the agency declares or stops declaring, an imported official decision) is
applied, then every open code whose deadline span it touches gets its deadline recomputed from
the day its cycle started; a deadline never moves earlier than the one people were told. Each
moved code is audited and returned, and the caller's messages to its approver and author (one
each) are queued in the same transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import CursorResult, update
from sqlmodel import Session, col, select

from kpi.audit import record
from kpi.calendar import WorkCalendar, load_calendar
from kpi.deadlines import Explanation, deadline_columns, explain, explanation_of
from kpi.decisions import Decision, store_decision
from kpi.outbox import Draft, enqueue
from models import CalendarDay, WorkCode, WorkCodeStatus


@dataclass(frozen=True)
class Planning:
    """What re-planning needs besides the database: the zone and the policy's deadline rule."""

    tz: ZoneInfo
    days: int  # for codes whose stored explanation predates it
    calendar_days: bool


@dataclass(frozen=True)
class Replanned:
    """One open code whose deadline moved later."""

    code_id: int
    title: str
    cycle: int
    author_id: int
    approver_id: int
    old_due_day: date
    new_due_day: date
    new_deadline_at: datetime
    new_explanation: Explanation


@dataclass(frozen=True)
class CalendarChange:
    """The days whose status was (re)declared, the codes that moved, the messages queued."""

    days: tuple[date, ...]
    replanned: tuple[Replanned, ...]
    told: int = 0


# Drafts the messages about the moved codes, when some moved. It is called in the change's own
# transaction, before it commits, and its drafts are queued there: they are sent if and only if
# the change is kept.
Notify = Callable[[Session, Sequence[Replanned]], Sequence[Draft]]


def declare_day(
    *,
    session: Session,
    planning: Planning,
    day: date,
    working: bool,
    reason: str,
    now: datetime,
    notify: Notify | None = None,
) -> CalendarChange:
    """Declare `day` off or working (replacing an earlier declaration), re-plan; commits."""
    row = session.get(CalendarDay, day) or CalendarDay(day=day, working=working)
    row.working, row.reason = working, reason.strip()[:200]
    session.add(row)
    action = "calendar.add_workday" if working else "calendar.add_off"
    record(session, at=now, actor_id=None, action=action, subject=f"day:{day.isoformat()}")
    return _replan_and_commit(session, planning, [day], now, notify)


def remove_day(
    *,
    session: Session,
    planning: Planning,
    day: date,
    now: datetime,
    notify: Notify | None = None,
) -> CalendarChange | None:
    """Drop the agency's declaration for `day` and re-plan; None when there was none. Commits."""
    row = session.get(CalendarDay, day)
    if row is None:
        return None
    session.delete(row)
    subject = f"day:{day.isoformat()}"
    record(session, at=now, actor_id=None, action="calendar.remove", subject=subject)
    return _replan_and_commit(session, planning, [day], now, notify)


def import_decision(
    *,
    session: Session,
    planning: Planning,
    decision: Decision,
    now: datetime,
    notify: Notify | None = None,
) -> CalendarChange:
    """Store an official decision for its year (replacing an earlier import), re-plan; commits."""
    changed = store_decision(session=session, decision=decision, now=now)
    return _replan_and_commit(session, planning, changed, now, notify)


def _replan_and_commit(
    session: Session, planning: Planning, days: list[date], now: datetime, notify: Notify | None
) -> CalendarChange:
    session.flush()
    replanned = replan_open_codes(session=session, planning=planning, days=days, now=now)
    told = enqueue(session, notify(session, replanned), now=now) if notify and replanned else 0
    session.commit()
    return CalendarChange(tuple(days), tuple(replanned), told)


def replan_open_codes(
    *, session: Session, planning: Planning, days: Sequence[date], now: datetime
) -> list[Replanned]:
    """Recompute the deadlines of open codes whose span holds one of `days`; no commit.

    A deadline already passed stays (its breach, if any, is history: §4 reverses it); one that
    would come earlier stays too, people having been told it.
    """
    if not days:
        return []
    calendar = load_calendar(session=session, tz=planning.tz, calendar_days=planning.calendar_days)
    query = (
        select(WorkCode)
        .where(
            col(WorkCode.status) == WorkCodeStatus.OPEN.value,
            col(WorkCode.deadline_at) > now,
            col(WorkCode.due_day) >= min(days),
            col(WorkCode.cycle_started_at) < calendar.end_of_day(max(days)),
        )
        .order_by(col(WorkCode.id))
    )
    moved = []
    for code in session.exec(query).all():
        change = _replan(session, calendar, planning, code, now)
        if change is not None:
            moved.append(change)
    return moved


def _replan(
    session: Session, calendar: WorkCalendar, planning: Planning, code: WorkCode, now: datetime
) -> Replanned | None:
    """Store the code's recomputed deadline if it is not earlier; the move, if it moved."""
    stored = explanation_of(code)
    deadline = calendar.deadline(code.cycle_started_at, stored.days if stored else planning.days)
    if deadline.due_day < code.due_day:
        return None
    columns = deadline_columns(deadline)
    if deadline.due_day == code.due_day and columns["deadline_explanation"] == (
        code.deadline_explanation
    ):
        return None
    if deadline.due_day > code.due_day:
        columns["next_event_at"] = now  # the sweep works out the reminder slots again
    statement = (
        update(WorkCode)
        .where(
            col(WorkCode.id) == code.id,
            col(WorkCode.status) == WorkCodeStatus.OPEN.value,
            col(WorkCode.cycle) == code.cycle,
            col(WorkCode.due_day) == code.due_day,
        )
        .values(**columns)
        .execution_options(synchronize_session=False)
    )
    change = Replanned(
        cast(int, code.id),
        code.title,
        code.cycle,
        code.employee_id,
        code.approver_id,
        code.due_day,
        deadline.due_day,
        deadline.due_at,
        explain(deadline),
    )
    updated = cast(CursorResult[Any], session.execute(statement)).rowcount == 1
    session.expire(code)  # the UPDATE bypassed the identity map
    if not updated or change.new_due_day == change.old_due_day:
        return None  # answered meanwhile, or only the explanation was refreshed
    record(
        session,
        at=now,
        actor_id=None,
        action="workcode.replan",
        subject=f"workcode:{change.code_id}",
        details=f"cycle={change.cycle} due={change.old_due_day}->{change.new_due_day}",
    )
    return change


def by_person(replanned: Sequence[Replanned]) -> dict[int, list[Replanned]]:
    """The moved codes per person to tell, approver and author alike, each code once per person."""
    people: dict[int, list[Replanned]] = defaultdict(list)
    for change in replanned:
        for person in dict.fromkeys((change.approver_id, change.author_id)):
            people[person].append(change)
    return dict(people)
