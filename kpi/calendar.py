"""Working-day calendar: official decisions, Vietnam's holidays, the agency's days, deadlines.

Layers, the later winning: Monday-Friday work; the `holidays` package's rules (country VN);
the year's official decision (shipped with kpibot or imported by the agency); the days the
agency declares itself. A year without an official decision is *estimated*.

Domain code: no clock, no environment, no translation; every day carries its names in
Vietnamese and English.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from kpi.days import DayInfo, DayKind, Names, Source
from kpi.decisions import Decision, decisions_in_force, shipped_decisions
from kpi.national import national_days
from models import CalendarDay

DEFAULT_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DEFAULT_DEADLINE_DAYS = 5
# A gap this long without a single working day means the calendar is misconfigured
# (e.g. an admin declared a whole year off); fail loudly instead of looping for ages.
HORIZON_DAYS = 366

_WEEKEND = frozenset({5, 6})  # Saturday, Sunday
_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Override:
    """An admin declaration that a day is working (ngày làm bù) or off."""

    day: date
    working: bool
    reason: str


@dataclass(frozen=True)
class Deadline:
    """When a leader must have answered a work code, with the days skipped to get there.

    Counting working days, `skipped` are the days off strictly between the start day and the
    due day; counting calendar days, the days off the deadline was moved across (Civil Code
    2015, Art. 148(5): a period ending on a day off ends on the next working day).
    """

    due_at: datetime  # aware, UTC; 24:00 organisation-local of due_day
    due_day: date
    days: int
    calendar_days: bool
    skipped: tuple[DayInfo, ...]


def group_skipped(skipped: Sequence[DayInfo]) -> list[tuple[date, date, DayInfo]]:
    """Group days into consecutive runs of the same kind and names, chronologically.

    Each run is (first, last, the first day's info).
    """
    runs: list[tuple[date, date, DayInfo]] = []
    for info in sorted(skipped, key=lambda i: i.day):
        if runs:
            first, last, head = runs[-1]
            same = (head.kind, head.names) == (info.kind, info.names)
            if same and last + _ONE_DAY == info.day:
                runs[-1] = (first, info.day, head)
                continue
        runs.append((info.day, info.day, info))
    return runs


def _shift(day: date, days: int) -> date:
    """Add `days` to `day`, reporting calendar overflow as ValueError."""
    try:
        return day + timedelta(days=days)
    except OverflowError as exc:
        raise ValueError(f"date out of range: {day} {days:+d} days") from exc


def _ordinary_day(day: date) -> DayInfo:
    """Classify a day nobody declared anything about: Monday-Friday work, weekends off."""
    if day.weekday() in _WEEKEND:
        return DayInfo(day, DayKind.WEEKEND, False)
    return DayInfo(day, DayKind.WORKING, True)


class WorkCalendar:
    """The organisation's working-day calendar: decisions, VN holidays, weekends, the agency."""

    def __init__(
        self,
        overrides: Iterable[Override] = (),
        *,
        decisions: Mapping[int, Decision] | None = None,
        tz: ZoneInfo = DEFAULT_TZ,
        calendar_days: bool = False,
    ) -> None:
        """Build a calendar (decisions default to the shipped ones); later overrides win."""
        self.tz = tz
        self.calendar_days = calendar_days
        self.decisions = shipped_decisions() if decisions is None else decisions
        self._overrides: dict[date, Override] = {o.day: o for o in overrides}
        self._years: dict[int, Mapping[date, DayInfo]] = {}

    def estimated(self, year: int) -> bool:
        """Whether `year` has no official decision, so its days follow the package's rules."""
        return year not in self.decisions

    def _special_days(self, year: int) -> Mapping[date, DayInfo]:
        """Non-ordinary days of `year`, each layer over the one before, cached."""
        cached = self._years.get(year)
        if cached is None:
            estimated = self.estimated(year)
            merged = {
                day: DayInfo(
                    day,
                    n.kind,
                    n.kind is DayKind.MAKEUP,
                    n.names,
                    Source.PACKAGE,
                    estimated=estimated,
                )
                for day, n in national_days(year).items()
            }
            decision = self.decisions.get(year)
            for day, o in (decision.days if decision else {}).items():
                merged[day] = DayInfo(day, o.kind, o.working, o.names, Source.OFFICIAL, o.reference)
            for day, agency in self._overrides.items():
                if day.year == year:
                    kind = DayKind.WORKING if agency.working else DayKind.OFF
                    names = Names(agency.reason, agency.reason)
                    merged[day] = DayInfo(day, kind, agency.working, names, Source.AGENCY)
            cached = self._years[year] = MappingProxyType(dict(sorted(merged.items())))
        return cached

    def day_info(self, day: date) -> DayInfo:
        """Classify `day`: its kind, whether it is worked, its names and its source."""
        return self._special_days(day.year).get(day) or _ordinary_day(day)

    def is_working_day(self, day: date) -> bool:
        """Whether `day` is worked (O(1) once its year is cached), whatever the deadline rule."""
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
        """Deadline of a cycle started at `started_at`: end of the `days`-th day after it.

        Working days are counted, or under the calendar-days policy every day, a deadline that
        lands on a day off then moving to the next working day.
        """
        if days < 1:
            raise ValueError("days must be >= 1")
        start_day = self.local_day(started_at)
        if self.calendar_days:
            nominal = _shift(start_day, days)
            due_day = nominal if self.is_working_day(nominal) else self.add_working_days(nominal, 1)
            span = range((nominal - start_day).days, (due_day - start_day).days)
        else:
            due_day = self.add_working_days(start_day, days)
            span = range(1, (due_day - start_day).days)
        between = (self.day_info(_shift(start_day, i)) for i in span)
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


_CALENDAR_DAYS = select(CalendarDay)  # built once: every leader's /myscore reads it


def load_calendar(*, session: Session, tz: ZoneInfo, calendar_days: bool) -> WorkCalendar:
    """The working calendar with the decisions in force and the agency's declared days."""
    rows = session.exec(_CALENDAR_DAYS).all()
    overrides = (Override(row.day, row.working, row.reason) for row in rows)
    decisions = decisions_in_force(session)
    return WorkCalendar(overrides, decisions=decisions, tz=tz, calendar_days=calendar_days)
