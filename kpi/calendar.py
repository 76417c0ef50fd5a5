"""Working-day calendar: Vietnamese public holidays, admin overrides and work-code deadlines.

Domain code: no clock, no environment, no translation. Holiday names come from the
`holidays` package in English; the UI layer localizes them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from types import MappingProxyType
from zoneinfo import ZoneInfo

import holidays
from sqlmodel import Session, select

from kpi.audit import record
from models import CalendarDay

DEFAULT_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DEFAULT_DEADLINE_DAYS = 5
# Reason attached to weekend days that `holidays` marks as make-up working days (ngày làm bù).
MAKEUP_REASON = "Make-up working day"
# A gap this long without a single working day means the calendar is misconfigured
# (e.g. an admin declared a whole year off); fail loudly instead of looping for ages.
HORIZON_DAYS = 366

_WEEKEND = frozenset({5, 6})  # Saturday, Sunday
_ONE_DAY = timedelta(days=1)
# `holidays` names the days of one festival differently ("Lunar New Year's Eve",
# "Second Day of Lunar New Year", "... (observed)"); folding lets a run read "Tết 16-20/2".
_FOLD_PATTERNS = (
    re.compile(r"\s*\((?:observed|estimated)(?:, estimated)?\)$"),
    re.compile(r"^(?:\d+ of |(?:First|Second|Third|Fourth|Fifth|Sixth|Seventh) Day of )"),
    re.compile(r"'s Eve$"),
)


class DayKind(StrEnum):
    """Why a day is (not) a working day."""

    WORKING = "working"
    WEEKEND = "weekend"
    HOLIDAY = "holiday"
    OFF = "off"  # declared off by the admin


@dataclass(frozen=True)
class Override:
    """An admin declaration that a day is working (ngày làm bù) or off."""

    day: date
    working: bool
    reason: str


@dataclass(frozen=True)
class DayInfo:
    """Classification of one day; `reason` is a holiday name, admin reason, make-up note or ""."""

    day: date
    kind: DayKind
    working: bool
    reason: str


@dataclass(frozen=True)
class Deadline:
    """When a leader must have answered a work code, with the days skipped to get there."""

    due_at: datetime  # aware, UTC; 24:00 organisation-local of due_day
    due_day: date
    days: int
    calendar_days: bool
    skipped: tuple[DayInfo, ...]  # non-working days strictly between the start day and due_day


def fold_holiday_name(name: str) -> str:
    """Reduce a `holidays` name to its festival ("Second Day of Lunar New Year" -> "Lunar...")."""
    for pattern in _FOLD_PATTERNS:
        name = pattern.sub("", name)
    return name


def group_skipped(skipped: Sequence[DayInfo]) -> list[tuple[date, date, str]]:
    """Group days into consecutive runs of the same kind and (folded) reason, chronologically."""
    runs: list[tuple[date, date, str]] = []
    last_kind: DayKind | None = None
    for info in sorted(skipped, key=lambda i: i.day):
        label = fold_holiday_name(info.reason) if info.kind is DayKind.HOLIDAY else info.reason
        if runs and last_kind is info.kind:
            first, last, run_label = runs[-1]
            if run_label == label and last + _ONE_DAY == info.day:
                runs[-1] = (first, info.day, label)
                continue
        runs.append((info.day, info.day, label))
        last_kind = info.kind
    return runs


@functools.lru_cache(maxsize=64)
def _national_special_days(year: int) -> Mapping[date, DayInfo]:
    """Holidays and make-up working weekend days of `year` according to `holidays` (VN)."""
    # Substitutions cross year boundaries (2018-12-31 off for Saturday 2019-01-05), so the
    # neighbouring years are populated too and the result filtered down to `year`.
    vn = holidays.country_holidays("VN", years=range(year - 1, year + 2), language="en_US")
    special: dict[date, DayInfo] = {}
    for day in sorted(vn):
        if day.year == year:
            special[day] = DayInfo(day, DayKind.HOLIDAY, False, "; ".join(vn.get_list(day)))
    # Mirrors holidays' own is_working_day(): on a weekend only weekend_workdays count,
    # so a make-up day wins over a holiday name on the same weekend day.
    for day in vn.weekend_workdays:
        if day.year == year and day.weekday() in _WEEKEND:
            special[day] = DayInfo(day, DayKind.WORKING, True, MAKEUP_REASON)
    return MappingProxyType(special)


def _shift(day: date, days: int) -> date:
    """Add `days` to `day`, reporting calendar overflow as ValueError."""
    try:
        return day + timedelta(days=days)
    except OverflowError as exc:
        raise ValueError(f"date out of range: {day} {days:+d} days") from exc


def _ordinary_day(day: date) -> DayInfo:
    """Classify a day nobody declared anything about: Monday-Friday work, weekends off."""
    if day.weekday() in _WEEKEND:
        return DayInfo(day, DayKind.WEEKEND, False, "")
    return DayInfo(day, DayKind.WORKING, True, "")


class WorkCalendar:
    """The organisation's working-day calendar: VN holidays, weekends and admin overrides."""

    def __init__(
        self,
        overrides: Iterable[Override] = (),
        *,
        tz: ZoneInfo = DEFAULT_TZ,
        calendar_days: bool = False,
    ) -> None:
        """Build a calendar; later overrides for the same day replace earlier ones."""
        self.tz = tz
        self.calendar_days = calendar_days
        self._overrides: dict[date, Override] = {o.day: o for o in overrides}
        self._years: dict[int, Mapping[date, DayInfo]] = {}

    def _special_days(self, year: int) -> Mapping[date, DayInfo]:
        """Non-ordinary days of `year` (national data, then admin overrides on top), cached."""
        cached = self._years.get(year)
        if cached is None:
            merged = dict(_national_special_days(year))
            for day, o in self._overrides.items():
                if day.year == year:
                    kind = DayKind.WORKING if o.working else DayKind.OFF
                    merged[day] = DayInfo(day, kind, o.working, o.reason)
            cached = self._years[year] = MappingProxyType(merged)
        return cached

    def day_info(self, day: date) -> DayInfo:
        """Classify `day`; under the calendar-days policy every day is working (kind kept)."""
        info = self._special_days(day.year).get(day) or _ordinary_day(day)
        if self.calendar_days and not info.working:
            # Keep the kind/reason so `calendar show` still lists Tết, but it counts.
            info = replace(info, working=True)
        return info

    def is_working_day(self, day: date) -> bool:
        """Whether `day` counts towards deadlines (O(1) once its year is cached)."""
        if self.calendar_days:
            return True
        special = self._special_days(day.year).get(day)
        if special is not None:
            return special.working
        return day.weekday() not in _WEEKEND

    def add_working_days(self, day: date, n: int) -> date:
        """Return the n-th working day strictly after `day` (strictly before it if n < 0)."""
        if n == 0:
            raise ValueError("n must be non-zero")
        step = 1 if n > 0 else -1
        remaining, gap, current = abs(n), 0, day
        while remaining:
            current = _shift(current, step)
            if self.is_working_day(current):
                remaining, gap = remaining - 1, 0
                continue
            gap += 1
            if gap > HORIZON_DAYS:
                raise ValueError(f"no working day within {HORIZON_DAYS} days of {current}")
        return current

    def working_days_between(self, start: date, end: date) -> int:
        """Count working days in (start, end]; negative (of (end, start]) if end < start."""
        if end < start:
            return -self.working_days_between(end, start)
        span = (end - start).days
        if self.calendar_days:
            return span
        return sum(self.is_working_day(start + timedelta(days=i)) for i in range(1, span + 1))

    def local_day(self, instant: datetime) -> date:
        """Organisation-local date of an aware instant; naive datetimes are rejected."""
        return self._to_local(instant).date()

    def local_instant(self, day: date, at: time) -> datetime:
        """The aware UTC instant of organisation-local wall time `at` on `day`."""
        if at.tzinfo is not None:
            raise ValueError("`at` must be a naive local wall-clock time")
        return datetime.combine(day, at, tzinfo=self.tz).astimezone(UTC)

    def end_of_day(self, day: date) -> datetime:
        """24:00 organisation-local of `day` (= local midnight starting the next day), in UTC."""
        return self.local_instant(_shift(day, 1), time(0))

    def deadline(self, started_at: datetime, days: int = DEFAULT_DEADLINE_DAYS) -> Deadline:
        """Deadline of a cycle started at `started_at`: end of the `days`-th working day after."""
        if days < 1:
            raise ValueError("days must be >= 1")
        start_day = self.local_day(started_at)
        due_day = self.add_working_days(start_day, days)
        between = (
            self.day_info(_shift(start_day, i)) for i in range(1, (due_day - start_day).days)
        )
        return Deadline(
            due_at=self.end_of_day(due_day),
            due_day=due_day,
            days=days,
            calendar_days=self.calendar_days,
            skipped=tuple(info for info in between if not info.working),
        )

    def next_working_instant(self, instant: datetime, at: time) -> datetime:
        """First local wall time `at` on a working day that is >= `instant`, as aware UTC."""
        day = self.local_day(instant)
        if self.is_working_day(day):
            candidate = self.local_instant(day, at)
            if candidate >= instant:
                return candidate
        return self.local_instant(self.add_working_days(day, 1), at)

    def year(self, year: int) -> list[DayInfo]:
        """Every non-ordinary day of `year`: holidays, make-up days and admin overrides."""
        return [self.day_info(day) for day in sorted(self._special_days(year))]

    def _to_local(self, instant: datetime) -> datetime:
        """Convert an aware instant to the organisation zone; naive ones are ambiguous."""
        if instant.tzinfo is None or instant.utcoffset() is None:
            raise ValueError("naive datetime: pass an aware instant (UTC)")
        return instant.astimezone(self.tz)


def load_calendar(*, session: Session, tz: ZoneInfo, calendar_days: bool) -> WorkCalendar:
    """The working calendar with every admin override stored in the database."""
    rows = session.exec(select(CalendarDay)).all()
    overrides = (Override(row.day, row.working, row.reason) for row in rows)
    return WorkCalendar(overrides, tz=tz, calendar_days=calendar_days)


def declare_day(*, session: Session, day: date, working: bool, reason: str, now: datetime) -> None:
    """Declare `day` off or working (replacing an earlier declaration); commits."""
    row = session.get(CalendarDay, day) or CalendarDay(day=day, working=working)
    row.working, row.reason = working, reason.strip()[:200]
    session.add(row)
    action = "calendar.add_workday" if working else "calendar.add_off"
    record(session, at=now, actor_id=None, action=action, subject=f"day:{day.isoformat()}")
    session.commit()


def remove_day(*, session: Session, day: date, now: datetime) -> bool:
    """Drop the admin's declaration for `day`; False when there was none. Commits."""
    row = session.get(CalendarDay, day)
    if row is None:
        return False
    session.delete(row)
    subject = f"day:{day.isoformat()}"
    record(session, at=now, actor_id=None, action="calendar.remove", subject=subject)
    session.commit()
    return True
