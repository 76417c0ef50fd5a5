"""What a day of the working calendar is, what it is called, and who says so."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class DayKind(StrEnum):
    """Why a day is (not) a working day."""

    WORKING = "working"
    WEEKEND = "weekend"
    HOLIDAY = "holiday"  # ngày nghỉ lễ, Tết
    IN_LIEU = "in_lieu"  # nghỉ bù: off for a holiday on a weekend, or swapped with a worked day
    MAKEUP = "makeup"  # làm bù: a weekend day worked
    OFF = "off"  # declared off by the agency


class Source(StrEnum):
    """Who decides a day: a government decision, the `holidays` package's rules, or the agency."""

    OFFICIAL = "official"
    PACKAGE = "package"
    AGENCY = "agency"
    WEEK = "week"  # nobody declared anything: Monday-Friday work, weekends off


@dataclass(frozen=True)
class Names:
    """A day's name in Vietnamese and English."""

    vi: str
    en: str

    def get(self, locale: str) -> str:
        """The name in `locale` (Vietnamese unless English is asked for)."""
        return self.en if locale.startswith("en") else self.vi


NO_NAME = Names("", "")


@dataclass(frozen=True)
class Reference:
    """The act a day comes from: its number, date and issuer (e.g. 9441/TB-BNV, Bộ Nội vụ)."""

    number: str
    issued: date
    issuer: str
    title: str = ""

    def __str__(self) -> str:
        """`9441/TB-BNV, 16/10/2025, Bộ Nội vụ`."""
        return f"{self.number}, {self.issued:%d/%m/%Y}, {self.issuer}"


@dataclass(frozen=True)
class DayInfo:
    """One day of the calendar: kind, whether it counts, its names and where that comes from.

    `estimated` marks a day of a year without an official decision, taken from the package's
    rules; `reference` names the act of an official day.
    """

    day: date
    kind: DayKind
    working: bool
    names: Names = NO_NAME
    source: Source = Source.WEEK
    reference: Reference | None = None
    estimated: bool = False


_MONTHS = (
    "January February March April May June July August September October November December"
).split()


def format_day(day: date, locale: str) -> str:
    """A date as holiday names write it: 22/08/2026, or 22 August 2026 in English."""
    if locale.startswith("en"):
        return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"
    return f"{day:%d/%m/%Y}"
