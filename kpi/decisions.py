"""Official yearly decisions on days off and worked days, as data.

kpibot ships one TOML file per year in `kpi/calendar_data/`; an agency adds a year the release
does not know yet with `kpibot calendar import FILE` in the same format, stored in the database,
which then wins over the shipped file of that year. A year with neither is *estimated* from the
`holidays` package's rules.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeGuard

from sqlalchemy import delete
from sqlmodel import Session, col, select

from kpi.audit import record
from kpi.days import DayKind, Names, Reference
from models import DecisionDay

OFFICIAL_KINDS = (DayKind.HOLIDAY, DayKind.IN_LIEU, DayKind.MAKEUP)
# From this day of the year on, the admins are warned while next year is still estimated.
WARN_FROM = (11, 1)
_MAX_NAME = 200
_MAX_RANGE = 31  # days in one entry; Tết, the longest break, lasts nine
_TOP_KEYS = {"year", "sources", "days"}
_SOURCE_KEYS = {"number", "date", "issuer", "title"}
_DAY_KEYS = {"day", "first", "last", "kind", "name_vi", "name_en", "source"}


@dataclass(frozen=True)
class OfficialDay:
    """One day of a decision: off (holiday, in lieu) or worked (make-up), named, with its act."""

    day: date
    kind: DayKind
    names: Names
    reference: Reference

    @property
    def working(self) -> bool:
        """Only a make-up day is worked."""
        return self.kind is DayKind.MAKEUP


@dataclass(frozen=True)
class Decision:
    """The official days of one year; `imported` when the agency added it itself."""

    year: int
    days: Mapping[date, OfficialDay]
    imported: bool = False


class DecisionError(ValueError):
    """A decision file that cannot be used; `problems` lists every one found."""

    def __init__(self, problems: list[str]) -> None:
        """Keep the problems; the message is the first."""
        super().__init__(problems[0])
        self.problems = problems


def read_decision(path: Path) -> Decision:
    """Parse and check a decision file; DecisionError lists every problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DecisionError([f"cannot read the file: {exc}"]) from exc
    return parse_decision(text)


def parse_decision(text: str, *, imported: bool = False) -> Decision:
    """A decision from TOML text, checked whole: DecisionError lists every problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DecisionError([f"not valid TOML: {exc}"]) from exc
    problems: list[str] = [f"unknown key {key!r}" for key in sorted(set(data) - _TOP_KEYS)]
    year = data.get("year")
    if not isinstance(year, int) or isinstance(year, bool) or not 1901 <= year <= 2100:
        problems.append("year: a year between 1901 and 2100 is required, e.g. year = 2027")
        year = None
    sources = _sources(data.get("sources"), problems)
    days = _days(data.get("days"), year, sources, problems)
    if problems or year is None:
        raise DecisionError(problems)
    return Decision(year, MappingProxyType(days), imported)


def _sources(raw: object, problems: list[str]) -> dict[str, Reference]:
    """The `[sources.NAME]` tables: number, date and issuer of each act."""
    if not isinstance(raw, dict) or not raw:
        problems.append("sources: at least one [sources.NAME] table is required")
        return {}
    sources = {}
    for name, table in raw.items():
        where = f"sources.{name}"
        if not isinstance(table, dict):
            problems.append(f"{where}: must be a table")
            continue
        problems += [f"{where}: unknown key {k!r}" for k in sorted(set(table) - _SOURCE_KEYS)]
        number = _text(table, "number", where, problems, 64)
        issuer = _text(table, "issuer", where, problems, _MAX_NAME)
        title = table.get("title", "")
        if not isinstance(title, str) or len(title) > 500:
            problems.append(f"{where}: title must be text of at most 500 characters")
        issued = table.get("date")
        if not _is_date(issued):
            problems.append(f"{where}: date is required, as a TOML date like 2025-12-25")
        if number and issuer and _is_date(issued) and isinstance(title, str):
            sources[name] = Reference(number, issued, issuer, title.strip())
    return sources


def _days(
    raw: object, year: int | None, sources: Mapping[str, Reference], problems: list[str]
) -> dict[date, OfficialDay]:
    """The `[[days]]` entries, expanded to one OfficialDay per date."""
    if not isinstance(raw, list) or not raw:
        problems.append("days: at least one [[days]] entry is required")
        return {}
    days: dict[date, OfficialDay] = {}
    for index, entry in enumerate(raw, start=1):
        where = f"days #{index}"
        if not isinstance(entry, dict):
            problems.append(f"{where}: must be a table")
            continue
        found = len(problems)
        problems += [f"{where}: unknown key {k!r}" for k in sorted(set(entry) - _DAY_KEYS)]
        span = _span(entry, where, year, problems)
        kind = _kind(entry.get("kind"), where, problems)
        names = Names(
            _text(entry, "name_vi", where, problems, _MAX_NAME),
            _text(entry, "name_en", where, problems, _MAX_NAME),
        )
        reference = sources.get(str(entry.get("source")))
        if reference is None:
            problems.append(f"{where}: source must name one of the [sources.NAME] tables")
        if len(problems) > found or kind is None or reference is None:
            continue
        for day in span:
            if day in days:
                problems.append(f"{where}: {day.isoformat()} is listed twice")
            elif kind is DayKind.MAKEUP and day.weekday() < 5:
                problems.append(
                    f"{where}: {day.isoformat()} is a weekday; make-up days are worked weekend days"
                )
            else:
                days[day] = OfficialDay(day, kind, names, reference)
    return days


def _span(entry: dict[str, Any], where: str, year: int | None, problems: list[str]) -> list[date]:
    """The dates of one entry: `day`, or `first` to `last` inclusive, all in the file's year."""
    first, last = entry.get("first"), entry.get("last")
    if "day" in entry:
        first = last = entry["day"]
        if "first" in entry or "last" in entry:
            problems.append(f"{where}: give either day or first and last, not both")
            return []
    if not (_is_date(first) and _is_date(last)) or last < first:
        problems.append(f"{where}: day (or first and last, in order) must be TOML dates")
        return []
    if (last - first).days >= _MAX_RANGE:
        problems.append(f"{where}: a range spans at most {_MAX_RANGE} days")
        return []
    if year is not None and (first.year != year or last.year != year):
        problems.append(f"{where}: the days must be in {year}")
        return []
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _kind(raw: object, where: str, problems: list[str]) -> DayKind | None:
    if raw in {kind.value for kind in OFFICIAL_KINDS}:
        return DayKind(str(raw))
    allowed = ", ".join(kind.value for kind in OFFICIAL_KINDS)
    problems.append(f"{where}: kind must be one of {allowed}")
    return None


def _text(table: dict[str, Any], key: str, where: str, problems: list[str], limit: int) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        problems.append(f"{where}: {key} is required, at most {limit} characters")
        return ""
    return value.strip()


def _is_date(value: object) -> TypeGuard[date]:
    """A TOML local date (tomllib gives datetimes for date-times; those are refused)."""
    return isinstance(value, date) and not isinstance(value, datetime)


@functools.cache
def shipped_decisions() -> Mapping[int, Decision]:
    """The decisions that ship with kpibot, by year."""
    folder = resources.files("kpi") / "calendar_data"
    decisions = {}
    for entry in folder.iterdir():
        if entry.name[:4].isdigit() and entry.name.endswith(".toml"):
            decision = parse_decision(entry.read_text(encoding="utf-8"))
            decisions[decision.year] = decision
    return MappingProxyType(decisions)


_DECISION_DAYS = select(DecisionDay)  # built once: every calendar loaded reads it


def stored_decisions(session: Session) -> dict[int, Decision]:
    """The decisions the agency imported, by year."""
    by_year: dict[int, dict[date, OfficialDay]] = {}
    for row in session.exec(_DECISION_DAYS):
        reference = Reference(
            row.source_number, row.source_date, row.source_issuer, row.source_title
        )
        names = Names(row.name_vi, row.name_en)
        by_year.setdefault(row.day.year, {})[row.day] = OfficialDay(
            row.day, DayKind(row.kind), names, reference
        )
    return {
        year: Decision(year, MappingProxyType(days), imported=True)
        for year, days in by_year.items()
    }


def decisions_in_force(session: Session) -> dict[int, Decision]:
    """Per year, the imported decision, else the shipped one."""
    return {**shipped_decisions(), **stored_decisions(session)}


def store_decision(*, session: Session, decision: Decision, now: datetime) -> list[date]:
    """Replace the imported days of the decision's year (no commit); the days that changed."""
    year = decision.year
    before = decisions_in_force(session).get(year)
    old = dict(before.days) if before else {}
    session.execute(
        delete(DecisionDay).where(
            col(DecisionDay.day) >= date(year, 1, 1), col(DecisionDay.day) <= date(year, 12, 31)
        )
    )
    for official in decision.days.values():
        ref = official.reference
        session.add(
            DecisionDay(
                day=official.day,
                kind=official.kind.value,
                name_vi=official.names.vi,
                name_en=official.names.en,
                source_number=ref.number,
                source_date=ref.issued,
                source_issuer=ref.issuer,
                source_title=ref.title,
                imported_at=now,
            )
        )
    details = f"year={year} days={len(decision.days)}"
    record(
        session,
        at=now,
        actor_id=None,
        action="calendar.import",
        subject=f"year:{year}",
        details=details,
    )
    return sorted(
        d for d in old.keys() | decision.days.keys() if old.get(d) != decision.days.get(d)
    )


def next_year_estimated(*, session: Session, today: date) -> int | None:
    """Next year, from 1 November on, while it has no official decision; else None."""
    if (today.month, today.day) < WARN_FROM:
        return None
    upcoming = today.year + 1
    return None if upcoming in decisions_in_force(session) else upcoming
