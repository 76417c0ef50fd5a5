"""The sandbox's simulated time: it starts at an instant and only ever moves forward.

The bot reads it through `Services.clock`, so every time rule (deadlines, reminders, quiet hours,
quarters) runs at the simulated instant. The moves the page offers are worked out here from the
database as the sweep reads it: the next reminder slot, deadline, digest or held message; the next
working day; or a date the user types.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, func, select

from kpi import breaches, delegation, org, reminders
from kpi.calendar import WorkCalendar
from kpi.decisions import next_year_estimated
from kpi.policy import Policy
from models import Employee, OutboxMessage, OutboxStatus, SweepMark, WorkCode, WorkCodeStatus

_TICK = timedelta(microseconds=1)


class ClockError(ValueError):
    """A move the clock refuses: `code` names the case, the message says why in one line."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class SandboxClock:
    """A clock moved by hand, never backwards; callable like `Services.clock`."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("the clock needs an aware instant")
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        """The simulated instant, aware UTC."""
        return self._now

    def timestamp(self) -> float:
        """The simulated instant as Unix time (for message dates)."""
        return self._now.timestamp()

    def advance_to(self, instant: datetime) -> datetime:
        """Move to `instant`; a ClockError if that is earlier than now."""
        with self._lock:
            if instant < self._now:
                raise ClockError(
                    "backwards",
                    f"time only moves forward: {instant.isoformat()} is before "
                    f"{self._now.isoformat()}",
                )
            self._now = instant.astimezone(UTC)
            return self._now


def start_instant(calendar: WorkCalendar, policy: Policy, now: datetime) -> datetime:
    """Where the sandbox starts: `now` to the minute, or the next working moment if it is quiet."""
    return reminders.allowed_at(calendar, policy, now.replace(second=0, microsecond=0))


def next_working_day(calendar: WorkCalendar, now: datetime) -> datetime:
    """The same local time on the next working day."""
    local = now.astimezone(calendar.tz)
    day = calendar.add_working_days(local.date(), 1)
    return calendar.local_instant(day, local.time().replace(tzinfo=None))


def next_event(
    session: Session, calendar: WorkCalendar, policy: Policy, now: datetime
) -> datetime | None:
    """The next instant with time-driven work, found in the database as the sweep finds it.

    The earliest of: an open code's next event (a reminder slot or its deadline, as the sweep
    stores it), the next digest while it has something to say, and a message held by quiet
    hours. Work already due counts as due now. None when nothing is left to come.
    """
    candidates: list[datetime | None] = [
        _code_event(calendar, policy, code, now) for code in _due(session, now)
    ]
    later = session.exec(
        select(func.min(WorkCode.next_event_at)).where(
            col(WorkCode.status) == WorkCodeStatus.OPEN, col(WorkCode.next_event_at) > now
        )
    ).one()
    _, earliest = held(session, now)
    candidates += [later and _aware(later), _next_digest(session, calendar, policy, now), earliest]
    candidates.append(_next_handover(session, calendar, now))
    return min((c for c in candidates if c is not None), default=None)


def _next_handover(session: Session, calendar: WorkCalendar, now: datetime) -> datetime | None:
    """Midnight of the next day a deputy takes a leader's codes or gives them back."""
    day = delegation.next_change(session, calendar.local_day(now))
    return max(now, calendar.local_instant(day, time(0, 0))) if day is not None else None


def _due(session: Session, now: datetime) -> Iterator[WorkCode]:
    """The open codes the sweep would look at now (new ones wait for it to place their ladder)."""
    for ids in breaches.due_batches(session, now):
        yield from breaches.due_codes(session, ids, now)


def _code_event(
    calendar: WorkCalendar, policy: Policy, code: WorkCode, now: datetime
) -> datetime | None:
    """Now if the sweep owes a reminder or a breach on `code`, else its next event."""
    step = reminders.step(calendar, policy, code, now)
    owed = step.reminder and not reminders.carried_by_digest(calendar, policy, step.reminder)
    return now if step.breach or owed else step.next_event_at


def _next_digest(
    session: Session, calendar: WorkCalendar, policy: Policy, now: datetime
) -> datetime | None:
    """When the sweep next sends digests (now, if today's is due and not sent), if they have
    readers."""
    today = reminders.digest_due(calendar, policy, now)
    mark = session.get(SweepMark, "digest")
    if today is not None and (mark is None or mark.day != today.isoformat()):
        at, day = now, today
    else:
        at = calendar.next_working_instant(now + _TICK, policy.digest_at)
        day = calendar.local_day(at)
    return at if _digest_has_readers(session, day) else None


def _digest_has_readers(session: Session, day: date) -> bool:
    """What the sweep's digests need to send anything: a linked leader with a pending code, or a
    linked admin with something to report (people who blocked the bot, an estimated next year)."""
    pending = session.exec(
        select(WorkCode.id)
        .join(Employee, col(Employee.id) == col(WorkCode.approver_id))
        .where(col(WorkCode.status) == WorkCodeStatus.OPEN, col(Employee.telegram_id).is_not(None))
        .limit(1)
    ).first()
    if pending is not None:
        return True
    if not any(admin.telegram_id is not None for admin in org.admins(session)):
        return False
    return (
        bool(org.unreachable(session))
        or next_year_estimated(session=session, today=day) is not None
    )


def _aware(instant: datetime) -> datetime:
    """A stored instant as aware UTC (SQLite gives it back naive)."""
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)


def held(session: Session, now: datetime) -> tuple[int, datetime | None]:
    """How many messages wait in the outbox for a later moment (quiet hours), and the earliest."""
    count, earliest = session.exec(
        select(func.count(), func.min(OutboxMessage.not_before)).where(
            col(OutboxMessage.status) == OutboxStatus.PENDING,
            col(OutboxMessage.not_before) > now,
        )
    ).one()
    return count, None if earliest is None else _aware(earliest)


def parse_instant(text: str, tz: ZoneInfo, now: datetime) -> datetime:
    """An ISO date or date-time; a date keeps the current local time, no zone means `tz`."""
    text = text.strip()
    try:
        if len(text) == len("2026-11-02"):
            local_time = now.astimezone(tz).time().replace(tzinfo=None)
            instant = datetime.combine(date.fromisoformat(text), local_time)
        else:
            instant = datetime.fromisoformat(text)
    except ValueError:
        raise ClockError(
            "bad_instant",
            f"{text!r} is not an ISO date or date-time, e.g. 2026-11-09 or 2026-11-09T15:00",
        ) from None
    return instant if instant.tzinfo else instant.replace(tzinfo=tz)
