"""Scoring periods: months, quarters and years, read from text and bounded in local days."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from kpi.periods import Month, Quarter, Year, parse_period
from tests.factories import HANOI


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11", Month(2026, 11)),
        ("2026-1", Month(2026, 1)),
        ("11/2026", Month(2026, 11)),
        ("2026Q4", Quarter(2026, 4)),
        ("q4/2026", Quarter(2026, 4)),
        (" 2026 ", Year(2026)),
    ],
)
def test_parse_period(text, expected):
    assert parse_period(text) == expected


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "1999", "2026Q5", "Nov 2026", "", "26"])
def test_bad_periods_are_refused(text):
    with pytest.raises(ValueError):
        parse_period(text)


@pytest.mark.parametrize(
    ("period", "first", "last", "shown"),
    [
        (Month(2026, 12), date(2026, 12, 1), date(2026, 12, 31), "2026-12"),
        (Month(2026, 2), date(2026, 2, 1), date(2026, 2, 28), "2026-02"),
        (Quarter(2026, 4), date(2026, 10, 1), date(2026, 12, 31), "2026Q4"),
        (Year(2026), date(2026, 1, 1), date(2026, 12, 31), "2026"),
    ],
)
def test_days_and_names(period, first, last, shown):
    assert (period.first_day, period.last_day, str(period)) == (first, last, shown)
    assert period.contains(first) and period.contains(last)
    assert not period.contains(period.end_day)


def test_bounds_are_local_midnights():
    start, end = Month(2026, 11).bounds(HANOI)
    assert start == datetime(2026, 10, 31, 17, tzinfo=UTC)
    assert end == datetime(2026, 11, 30, 17, tzinfo=UTC)


def test_a_year_has_four_quarters():
    assert Year(2026).quarters() == tuple(Quarter(2026, n) for n in range(1, 5))
