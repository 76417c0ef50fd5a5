"""When time-driven work falls due (§3): the reminder ladder, quiet hours, validity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from kpi.calendar import WorkCalendar
from kpi.policy import Policy
from models import WorkCode


@dataclass(frozen=True)
class Step:
    """What a due code needs now, and when to look at it next."""

    reminder: datetime | None  # the slot to remind of now (the latest one missed), if any
    breach: bool  # the deadline passed without a response in this cycle
    reminded_slots: int
    next_event_at: datetime | None


def slots(calendar: WorkCalendar, policy: Policy, due_day: date) -> list[datetime]:
    """The reminder instants of a cycle due on `due_day`, earliest first."""
    instants = []
    for slot in policy.reminder_slots:
        day = due_day
        if slot.days_before:
            day = calendar.add_working_days(due_day, -slot.days_before)
        instants.append(calendar.local_instant(day, slot.at))
    return sorted(instants)


def step(calendar: WorkCalendar, policy: Policy, code: WorkCode, now: datetime) -> Step:
    """Advance a code to `now`: only the latest missed slot counts, never one past the deadline."""
    ladder = slots(calendar, policy, code.due_day)
    # Slots before the cycle began were never owed; slots already handled are not owed again.
    owed = [
        (i, at)
        for i, at in enumerate(ladder)
        if at > code.cycle_started_at and at < code.deadline_at
    ]
    passed = [(i, at) for i, at in owed if at <= now and i >= code.reminded_slots]
    breach = now >= code.deadline_at and code.breached_cycle < code.cycle
    reminder = passed[-1][1] if passed and now < code.deadline_at else None
    done = max([i + 1 for i, at in owed if at <= now], default=code.reminded_slots)
    upcoming = [at for i, at in owed if at > now]
    if upcoming:
        next_event: datetime | None = upcoming[0]
    elif now < code.deadline_at:
        next_event = code.deadline_at
    else:
        next_event = None  # breach recorded now; a late response still ends the code
    return Step(reminder, breach, max(done, code.reminded_slots), next_event)


def carried_by_digest(calendar: WorkCalendar, policy: Policy, slot: datetime) -> bool:
    """A slot at digest time on a working day travels in the digest, not as a reminder."""
    local = slot.astimezone(calendar.tz)
    return local.time() == policy.digest_at and calendar.is_working_day(local.date())


def allowed_at(calendar: WorkCalendar, policy: Policy, instant: datetime) -> datetime:
    """The first moment at or after `instant` outside quiet hours (nights, days off)."""
    local = instant.astimezone(calendar.tz)
    working = calendar.is_working_day(local.date()) or not policy.quiet_non_working_days
    if working and not policy.in_quiet_hours(local.time()):
        return instant
    if working and local.time() < policy.quiet_end:
        return calendar.local_instant(local.date(), policy.quiet_end)
    return _next_open_morning(calendar, policy, local.date())


def _next_open_morning(calendar: WorkCalendar, policy: Policy, day: date) -> datetime:
    if policy.quiet_non_working_days:
        return calendar.local_instant(calendar.add_working_days(day, 1), policy.quiet_end)
    return calendar.local_instant(day + timedelta(days=1), policy.quiet_end)


def quiet_from(calendar: WorkCalendar, policy: Policy, day: date) -> datetime:
    """When quiet hours begin on `day` (a digest is worth sending only before then)."""
    end = policy.quiet_start if policy.quiet_start > policy.quiet_end else time(23, 59, 59)
    return calendar.local_instant(day, end)


def digest_due(calendar: WorkCalendar, policy: Policy, now: datetime) -> date | None:
    """Today if its digest is due at `now`: a working day, past digest time, before quiet hours."""
    today = calendar.local_day(now)
    if not calendar.is_working_day(today):
        return None
    if calendar.local_instant(today, policy.digest_at) <= now < quiet_from(calendar, policy, today):
        return today
    return None
