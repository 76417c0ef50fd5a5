"""The reminder ladder, breaches, quiet hours and digest time (§3), on real dates in Hà Nội."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import pytest

from kpi.calendar import WorkCalendar
from kpi.policy import Policy
from kpi.reminders import allowed_at, carried_by_digest, digest_due, quiet_from, slots, step
from models import WorkCode
from tests.factories import HANOI, local

CALENDAR = WorkCalendar(tz=HANOI)


def code(opened: datetime, due: str, reminded: int = 0, breached: int = 0) -> WorkCode:
    """An open code of cycle 1 opened at `opened`, due by the end of `due`."""
    due_day = date.fromisoformat(due)
    return WorkCode(
        employee_id=1,
        approver_id=2,
        title="Báo cáo",
        cycle_started_at=opened,
        deadline_at=CALENDAR.end_of_day(due_day),
        due_day=due_day,
        created_at=opened,
        reminded_slots=reminded,
        breached_cycle=breached,
    )


@pytest.mark.parametrize(
    ("due", "expected"),
    [
        # Two working days before Monday 9/11 is Thursday 5/11.
        ("2026-11-09", [("2026-11-05", 8), ("2026-11-09", 8), ("2026-11-09", 15)]),
        # Before Tuesday 10/11 the weekend is skipped: Friday 6/11.
        ("2026-11-10", [("2026-11-06", 8), ("2026-11-10", 8), ("2026-11-10", 15)]),
        # Tết 2026 and its weekends (14-22/2) lie between Friday 13/2 and Monday 23/2.
        ("2026-02-24", [("2026-02-13", 8), ("2026-02-24", 8), ("2026-02-24", 15)]),
    ],
)
def test_the_ladder_of_a_due_day(policy: Policy, due: str, expected: list) -> None:
    assert slots(CALENDAR, policy, date.fromisoformat(due)) == [local(d, h) for d, h in expected]


def monday_code(reminded: int = 0, breached: int = 0) -> WorkCode:
    """Opened Monday 2/11 at 09:00: due by the end of Monday 9/11."""
    return code(local("2026-11-02", 9), "2026-11-09", reminded, breached)


@pytest.mark.parametrize(
    ("now", "reminded", "reminder", "done", "next_event", "breach"),
    [
        (local("2026-11-04", 12), 0, None, 0, local("2026-11-05", 8), False),
        (local("2026-11-05", 10), 0, local("2026-11-05", 8), 1, local("2026-11-09", 8), False),
        # Already reminded of that slot: nothing more until the next one.
        (local("2026-11-05", 10), 1, None, 1, local("2026-11-09", 8), False),
        # Two slots missed (the sweep was down): only the latest is reminded of.
        (local("2026-11-09", 16), 0, local("2026-11-09", 15), 3, local("2026-11-10", 0), False),
        # The deadline passed: a breach, no reminder, nothing more to wait for.
        (local("2026-11-10", 0), 3, None, 3, None, True),
    ],
)
def test_a_step_of_the_ladder(
    policy: Policy,
    now: datetime,
    reminded: int,
    reminder: datetime | None,
    done: int,
    next_event: datetime | None,
    breach: bool,
) -> None:
    result = step(CALENDAR, policy, monday_code(reminded), now)
    assert (result.reminder, result.reminded_slots, result.next_event_at, result.breach) == (
        reminder,
        done,
        next_event,
        breach,
    )


def test_slots_before_the_cycle_began_are_not_owed(policy: Policy) -> None:
    late = code(local("2026-11-09", 10), "2026-11-09")  # opened after the 08:00 slots
    result = step(CALENDAR, policy, late, local("2026-11-09", 15, 30))
    assert (result.reminder, result.next_event_at) == (
        local("2026-11-09", 15),
        local("2026-11-10", 0),
    )


def test_a_breach_is_recorded_once_per_cycle(policy: Policy) -> None:
    assert step(CALENDAR, policy, monday_code(3), local("2026-11-10", 1)).breach is True
    assert step(CALENDAR, policy, monday_code(3, 1), local("2026-11-10", 1)).breach is False


@pytest.mark.parametrize(
    ("slot", "carried"),
    [
        (local("2026-11-09", 8), True),  # digest time on a working day
        (local("2026-11-09", 15), False),
        (local("2026-11-07", 8), False),  # a Saturday has no digest
    ],
)
def test_a_slot_at_digest_time_travels_in_the_digest(
    policy: Policy, slot: datetime, carried: bool
) -> None:
    assert carried_by_digest(CALENDAR, policy, slot) is carried


@pytest.mark.parametrize(
    ("instant", "allowed"),
    [
        (local("2026-11-09", 10), local("2026-11-09", 10)),  # working hours
        (local("2026-11-09", 6, 59), local("2026-11-09", 7)),  # before the day begins
        (local("2026-11-09", 21), local("2026-11-10", 7)),  # the evening
        (local("2026-11-06", 22), local("2026-11-09", 7)),  # Friday night: Monday morning
        (local("2026-11-07", 10), local("2026-11-09", 7)),  # Saturday
        (local("2026-02-15", 10), local("2026-02-23", 7)),  # during Tết
    ],
)
def test_quiet_hours_hold_messages_until_the_next_open_morning(
    policy: Policy, instant: datetime, allowed: datetime
) -> None:
    assert allowed_at(CALENDAR, policy, instant) == allowed


def test_without_quiet_days_off_only_the_night_holds(policy: Policy) -> None:
    open_weekends = replace(policy, quiet_non_working_days=False)
    saturday = local("2026-11-07", 10)
    assert allowed_at(CALENDAR, open_weekends, saturday) == saturday
    assert allowed_at(CALENDAR, open_weekends, local("2026-11-06", 22)) == local("2026-11-07", 7)


@pytest.mark.parametrize(
    ("now", "due"),
    [
        (local("2026-11-09", 7, 59), None),
        (local("2026-11-09", 8), date(2026, 11, 9)),
        (local("2026-11-09", 20, 59), date(2026, 11, 9)),
        (local("2026-11-09", 21), None),  # quiet hours: worth sending no more
        (local("2026-11-07", 9), None),  # Saturday
    ],
)
def test_the_digest_is_due_on_working_days_from_its_hour_to_the_quiet_hours(
    policy: Policy, now: datetime, due: date | None
) -> None:
    assert digest_due(CALENDAR, policy, now) == due
    assert quiet_from(CALENDAR, policy, date(2026, 11, 9)) == local("2026-11-09", 21)
