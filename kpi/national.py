"""Vietnam's days off and make-up days by the rules of the `holidays` package, named by kpibot.

The package knows lunar Tết, the days in lieu of holidays on a weekend and the swaps it has
learnt of; it names them in its own words ("29 Tết", "Ngày nghỉ (thay cho ngày ...)"). Here each
day gets the name kpibot uses everywhere, from `calendar_data/names.toml`.
"""

from __future__ import annotations

import functools
import importlib.util
import re
import sys
import threading
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import holidays

from kpi.days import DayKind, Names, format_day

_WEEKEND = frozenset({5, 6})
# The package's English labels: every day of Tết folds into "Lunar New Year".
_FOLD_PATTERNS = (
    re.compile(r"\s*\((?:observed|estimated)(?:, estimated)?\)$"),
    re.compile(r"^(?:\d+ of |(?:First|Second|Third|Fourth|Fifth|Sixth|Seventh) Day of )"),
    re.compile(r"'s Eve$"),
)
_OBSERVED = re.compile(r"\(observed(?:, estimated)?\)$")
_SUBSTITUTED = re.compile(r"^Day off \(substituted from (\d\d/\d\d/\d{4})\)")
_TET = "Lunar New Year"
_LOOKBACK = 7  # a holiday's day in lieu follows it within the week
_VIETNAM = "holidays.countries.vietnam"
_LOADING = threading.Lock()  # the sweep's thread and the handlers may ask at the same time


@dataclass(frozen=True)
class NationalDay:
    """A day the package's rules make special: off (holiday, in lieu) or worked (make-up)."""

    day: date
    kind: DayKind
    names: Names


@functools.cache
def _catalog() -> Mapping[str, Any]:
    text = (resources.files("kpi") / "calendar_data" / "names.toml").read_text(encoding="utf-8")
    return MappingProxyType(tomllib.loads(text))


def _template(key: str, day: date) -> Names:
    entry = _catalog()[key]
    return Names(
        entry["vi"].format(date=format_day(day, "vi")),
        entry["en"].format(date=format_day(day, "en")),
    )


def fold_holiday_name(label: str) -> str:
    """The festival a package label belongs to ("Second Day of Lunar New Year" -> "Lunar...")."""
    for pattern in _FOLD_PATTERNS:
        label = pattern.sub("", label)
    return label


def holiday_names(label: str) -> Names | None:
    """kpibot's names of a holiday the package calls `label` (English), if catalogued."""
    entry = _catalog()["holiday"].get(fold_holiday_name(label))
    return Names(entry["vi"], entry["en"]) if entry else None


def in_lieu_names(of: date) -> Names:
    """ "Nghỉ bù cho ngày 22/08/2026" / "Day off in lieu of 22 August 2026"."""
    return _template("in_lieu", of)


def makeup_names(of: date | None) -> Names:
    """ "Làm bù cho ngày 31/08/2026", or a plain make-up day when its day off is unknown."""
    if of is None:
        entry = _catalog()["makeup_unpaired"]
        return Names(entry["vi"], entry["en"])
    return _template("makeup", of)


@functools.lru_cache(maxsize=64)
def national_days(year: int) -> Mapping[date, NationalDay]:
    """The special days of `year` by the package's rules, with kpibot's names."""
    # Swaps cross year boundaries (2018-12-31 off for Saturday 2019-01-05): read the neighbours.
    years = range(year - 1, year + 2)
    _load_vietnam_alone()
    english = holidays.country_holidays("VN", years=years, language="en_US")
    vietnamese = holidays.country_holidays("VN", years=years, language="vi")
    days: dict[date, NationalDay] = {}
    swapped: dict[date, date] = {}  # a worked weekend day -> the day off it pays for
    for day in sorted(english):
        label = english.get_list(day)[0]
        found = _SUBSTITUTED.match(label)
        if found:
            worked = datetime.strptime(found[1], "%m/%d/%Y").date()
            swapped[worked] = day
            special = NationalDay(day, DayKind.IN_LIEU, in_lieu_names(worked))
        else:
            special = _holiday(english, day, label, Names(vietnamese.get_list(day)[0], label))
        if day.year == year:
            days[day] = special
    # As the package's own is_working_day(): a make-up day wins over a holiday on a weekend day.
    for day in english.weekend_workdays:
        if day.year == year and day.weekday() in _WEEKEND:
            days[day] = NationalDay(day, DayKind.MAKEUP, makeup_names(swapped.get(day)))
    return MappingProxyType(dict(sorted(days.items())))


def _load_vietnam_alone() -> None:
    """Load the package's rules for Vietnam, and only them.

    `holidays.country_holidays("VN")` imports holidays.countries.vietnam, so first the package
    holidays.countries, whose __init__ imports all of its 250 countries: about 7 MB that would
    stay in `kpibot run` for rules it never reads. A module already in sys.modules is imported
    without its package, so the Vietnam module is put there, loaded from its own file.
    """
    with _LOADING:  # no one reads the module while it loads
        if _VIETNAM in sys.modules:
            return
        path = Path(holidays.__file__).with_name("countries") / "vietnam.py"
        spec = importlib.util.spec_from_file_location(_VIETNAM, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[_VIETNAM] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[_VIETNAM]
            raise


def _holiday(known: Mapping[date, str], day: date, label: str, own: Names) -> NationalDay:
    """A holiday, or the day in lieu of one that fell on the weekend before it."""
    festival = fold_holiday_name(label)
    if _OBSERVED.search(label) and festival != _TET:
        for back in range(1, _LOOKBACK + 1):
            earlier = day - timedelta(days=back)
            if fold_holiday_name(known.get(earlier, "")) == festival:
                return NationalDay(day, DayKind.IN_LIEU, in_lieu_names(earlier))
    return NationalDay(day, DayKind.HOLIDAY, holiday_names(label) or own)
