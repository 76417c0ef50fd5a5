"""Scoring periods (§4, §7): a month, a calendar quarter or a year, in the organisation's zone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

MIN_YEAR, MAX_YEAR = 2000, 2100
_YEAR_FIRST = re.compile(r"([0-9]{4})\s*Q([1-4])", re.IGNORECASE)
_QUARTER_FIRST = re.compile(r"Q([1-4])(?:\s*/\s*|\s+)([0-9]{4})", re.IGNORECASE)
_MONTH = re.compile(r"([0-9]{4})-([0-9]{1,2})|([0-9]{1,2})\s*/\s*([0-9]{4})")
_YEAR = re.compile(r"[0-9]{4}")


def _check_year(year: int, what: str) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(f"{what} year must be {MIN_YEAR}-{MAX_YEAR}, got {year}")


class _Span:
    """A period made of whole local days; subclasses give its first day and the next one's."""

    @property
    def first_day(self) -> date:
        raise NotImplementedError

    @property
    def end_day(self) -> date:
        """The day after the period's last day."""
        raise NotImplementedError

    @property
    def last_day(self) -> date:
        """The period's last day."""
        return self.end_day - timedelta(days=1)

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """The period as aware UTC instants [start, end): local midnights of `tz`."""
        return midnight(self.first_day, tz), midnight(self.end_day, tz)

    def contains(self, day: date) -> bool:
        """Whether a local day falls in the period."""
        return self.first_day <= day < self.end_day


def midnight(day: date, tz: ZoneInfo) -> datetime:
    """The local midnight starting `day` in `tz`, as an aware UTC instant."""
    return datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)


@dataclass(frozen=True, order=True)
class Quarter(_Span):
    """A calendar quarter (quý), ordered by time."""

    year: int
    number: int  # 1..4

    def __post_init__(self) -> None:
        if not 1 <= self.number <= 4:
            raise ValueError(f"quarter number must be 1-4, got {self.number}")

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """Read "2026Q4", "2026q4", "Q4/2026" or "Q4 2026"; ValueError for anything else."""
        stripped = text.strip()
        if match := _YEAR_FIRST.fullmatch(stripped):
            year, number = int(match[1]), int(match[2])
        elif match := _QUARTER_FIRST.fullmatch(stripped):
            number, year = int(match[1]), int(match[2])
        else:
            raise ValueError(f"not a quarter: {text!r} (expected e.g. 2026Q4)")
        _check_year(year, "quarter")
        return cls(year, number)

    @classmethod
    def of(cls, instant: datetime, tz: ZoneInfo) -> Quarter:
        """The quarter an aware instant falls in, on the calendar of `tz`."""
        if instant.tzinfo is None or instant.utcoffset() is None:
            raise ValueError("naive datetime: the instant's zone is unknown")
        local = instant.astimezone(tz)
        return cls(local.year, (local.month - 1) // 3 + 1)

    def previous(self) -> Quarter:
        """The quarter before this one."""
        return (
            Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)
        )

    def next(self) -> Quarter:
        """The quarter after this one."""
        return (
            Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)
        )

    @property
    def first_day(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def end_day(self) -> date:
        return self.next().first_day

    def __str__(self) -> str:
        return f"{self.year}Q{self.number}"


@dataclass(frozen=True, order=True)
class Month(_Span):
    """A calendar month (tháng)."""

    year: int
    number: int  # 1..12

    def __post_init__(self) -> None:
        if not 1 <= self.number <= 12:
            raise ValueError(f"month number must be 1-12, got {self.number}")

    @property
    def first_day(self) -> date:
        return date(self.year, self.number, 1)

    @property
    def end_day(self) -> date:
        return date(self.year + self.number // 12, self.number % 12 + 1, 1)

    def __str__(self) -> str:
        return f"{self.year}-{self.number:02d}"


@dataclass(frozen=True, order=True)
class Year(_Span):
    """A calendar year (năm); its score is the mean of its quarters' (a policy choice)."""

    year: int

    @property
    def first_day(self) -> date:
        return date(self.year, 1, 1)

    @property
    def end_day(self) -> date:
        return date(self.year + 1, 1, 1)

    def quarters(self) -> tuple[Quarter, ...]:
        """The year's four quarters, in order."""
        return tuple(Quarter(self.year, number) for number in range(1, 5))

    def __str__(self) -> str:
        return str(self.year)


Period = Month | Quarter | Year


def parse_period(text: str) -> Period:
    """Read a month ("2026-11", "11/2026"), a quarter ("2026Q4", "Q4/2026") or a year ("2026")."""
    stripped = text.strip()
    if _YEAR.fullmatch(stripped):
        _check_year(int(stripped), "period")
        return Year(int(stripped))
    if match := _MONTH.fullmatch(stripped):
        year_text, month_text = (match[1], match[2]) if match[1] else (match[4], match[3])
        _check_year(int(year_text), "month")
        return Month(int(year_text), int(month_text))
    try:
        return Quarter.parse(stripped)
    except ValueError:
        raise ValueError(
            f"not a period: {text!r} (expected a month 2026-11, a quarter 2026Q4 or a year 2026)"
        ) from None
