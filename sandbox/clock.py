"""The sandbox's simulated time: it starts at an instant and only ever moves forward.

The bot reads it through `Services.clock`, so every time rule (deadlines, reminders, quiet hours,
quarters) runs at the simulated instant. The moves the page offers are worked out here from the
product's own schedule: the next reminder slot, deadline, digest or held message; the next
working day; or a date the user types.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, func, select

from kpi import reminders
from kpi.calendar import WorkCalendar
from kpi.policy import Policy
from models import OutboxMessage, OutboxStatus, WorkCode, WorkCodeStatus

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
    """The next instant with time-driven work: a reminder, deadline, digest or held message."""
    candidates: list[datetime] = []
    open_codes = session.exec(select(WorkCode).where(col(WorkCode.status) == WorkCodeStatus.OPEN))
    for code in open_codes:
        upcoming = reminders.step(calendar, policy, code, now).next_event_at
        if upcoming is not None and upcoming > now:
            candidates.append(upcoming)
    if candidates:  # leaders with pending codes get a digest each working morning
        candidates.append(calendar.next_working_instant(now + _TICK, policy.digest_at))
    _, earliest = held(session, now)
    if earliest is not None:
        candidates.append(earliest)
    return min(candidates, default=None)


def held(session: Session, now: datetime) -> tuple[int, datetime | None]:
    """How many messages wait in the outbox for a later moment (quiet hours), and the earliest."""
    count, earliest = session.exec(
        select(func.count(), func.min(OutboxMessage.not_before)).where(
            col(OutboxMessage.status) == OutboxStatus.PENDING,
            col(OutboxMessage.not_before) > now,
        )
    ).one()
    if earliest is not None and earliest.tzinfo is None:
        earliest = earliest.replace(tzinfo=UTC)
    return count, earliest


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
