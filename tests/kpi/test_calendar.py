"""Tests for kpi.calendar: working days, VN holidays, admin overrides and deadlines."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given
from hypothesis import strategies as st

import kpi.national as national
from kpi.calendar import Override, WorkCalendar, group_skipped
from kpi.days import DayInfo, DayKind, Names, Source
from kpi.national import fold_holiday_name
from tests.factories import HANOI, local

D = date.fromisoformat
CALENDAR = WorkCalendar()


def utc(text: str) -> datetime:
    """Parse an ISO timestamp written with a trailing Z."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# --- the holidays package itself: pin the VN data this module relies on -------------------


def test_holidays_vn_data_for_2026_makeup_saturday():
    vn = holidays.country_holidays("VN", years=2026, language="en_US")
    assert D("2026-08-22") in vn.weekend_workdays
    assert vn.is_working_day(D("2026-08-22"))
    assert vn[D("2026-08-31")] == "Day off (substituted from 08/22/2026)"
    assert vn[D("2026-09-01")] == vn[D("2026-09-02")] == "National Day"


def test_holidays_vn_data_for_tet_2027():
    vn = holidays.country_holidays("VN", years=2027, language="en_US")
    tet = sorted(d for d, name in vn.items() if "Lunar New Year" in name)
    assert tet[0] == D("2027-02-04") and tet[-1] == D("2027-02-10")
    assert len(tet) == 7
    assert vn[D("2027-02-06")] == "Lunar New Year"


@pytest.mark.parametrize("year", [2024, 2027, 2028])
def test_estimated_year_agrees_with_holidays_is_working_day(year):
    vn = holidays.country_holidays("VN", years=range(year - 1, year + 2))
    day = date(year, 1, 1)
    while day.year == year:
        assert CALENDAR.is_working_day(day) == vn.is_working_day(day), day
        day += timedelta(days=1)


# --- day classification ---------------------------------------------------------------------


TET = Names("Tết Nguyên Đán", "Lunar New Year (Tết)")


@pytest.mark.parametrize(
    ("day", "kind", "working", "names", "source"),
    [
        ("2026-11-02", DayKind.WORKING, True, Names("", ""), Source.WEEK),
        ("2026-11-07", DayKind.WEEKEND, False, Names("", ""), Source.WEEK),
        ("2026-01-02", DayKind.IN_LIEU, False, None, Source.OFFICIAL),
        ("2026-01-10", DayKind.MAKEUP, True, None, Source.OFFICIAL),
        ("2026-02-14", DayKind.HOLIDAY, False, TET, Source.OFFICIAL),
        ("2026-02-17", DayKind.HOLIDAY, False, TET, Source.OFFICIAL),
        ("2026-04-27", DayKind.IN_LIEU, False, None, Source.OFFICIAL),
        ("2026-08-22", DayKind.MAKEUP, True, None, Source.OFFICIAL),
        (
            "2026-08-31",
            DayKind.IN_LIEU,
            False,
            Names("Nghỉ bù cho ngày 22/08/2026", "Day off in lieu of 22 August 2026"),
            Source.OFFICIAL,
        ),
        ("2027-02-04", DayKind.HOLIDAY, False, TET, Source.PACKAGE),  # "29 Tết" in the package
        ("2027-02-06", DayKind.HOLIDAY, False, TET, Source.PACKAGE),
        (
            "2027-05-03",
            DayKind.IN_LIEU,
            False,
            Names("Nghỉ bù cho ngày 01/05/2027", "Day off in lieu of 1 May 2027"),
            Source.PACKAGE,
        ),
    ],
)
def test_day_info(day, kind, working, names, source):
    info = CALENDAR.day_info(D(day))
    assert (info.kind, info.working, info.source) == (kind, working, source)
    assert info.estimated is (source is Source.PACKAGE)
    if names is not None:
        assert info.names == names
    assert (info.reference is not None) is (source is Source.OFFICIAL)
    assert CALENDAR.is_working_day(D(day)) is working


@pytest.mark.parametrize(
    ("override", "kind"),
    [
        (Override(D("2026-11-04"), False, "Flood"), DayKind.OFF),
        (Override(D("2026-11-07"), True, "Make-up for 2026-11-04"), DayKind.WORKING),
        (Override(D("2026-11-08"), False, "Sunday, declared anyway"), DayKind.OFF),
        (Override(D("2026-11-24"), True, "Audit week"), DayKind.WORKING),  # beats a holiday
        (Override(D("2026-08-22"), False, "Not doing the make-up"), DayKind.OFF),
    ],
)
def test_admin_overrides_win(override, kind):
    info = WorkCalendar([override]).day_info(override.day)
    names = Names(override.reason, override.reason)
    assert info == DayInfo(override.day, kind, override.working, names, Source.AGENCY)


def test_later_override_for_same_day_wins():
    day = D("2026-11-04")
    calendar = WorkCalendar([Override(day, False, "Flood"), Override(day, True, "Cancelled")])
    assert calendar.is_working_day(day)


# --- deadlines ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("opened", "overrides", "due_day", "skipped"),
    [
        # Plain week, Monday -> next Monday.
        ("2026-11-02", [], "2026-11-09", ["2026-11-07", "2026-11-08"]),
        # Friday and Saturday openings both land on the next Friday.
        ("2026-11-06", [], "2026-11-13", ["2026-11-07", "2026-11-08"]),
        ("2026-11-07", [], "2026-11-13", ["2026-11-08"]),
        # Vietnam Cultural Day 24/11 (new from 2026).
        (
            "2026-11-20",
            [],
            "2026-11-30",
            ["2026-11-21", "2026-11-22", "2026-11-24", "2026-11-28", "2026-11-29"],
        ),
        # Make-up Saturday 22/8 is a working day: opened on it, and counted by a Friday opening.
        ("2026-08-22", [], "2026-08-28", ["2026-08-23"]),
        ("2026-08-21", [], "2026-08-27", ["2026-08-23"]),
        # Across 31/8 (day off for 22/8) + 1-2/9 National Day.
        (
            "2026-08-27",
            [],
            "2026-09-08",
            ["2026-08-29", "2026-08-30", "2026-08-31", "2026-09-01", "2026-09-02"]
            + ["2026-09-05", "2026-09-06"],
        ),
        # 2025: National Day on Monday 1/9 + Tuesday 2/9.
        (
            "2025-08-29",
            [],
            "2025-09-09",
            ["2025-08-30", "2025-08-31", "2025-09-01", "2025-09-02", "2025-09-06", "2025-09-07"],
        ),
        # Day before Tết eve 2026 (Sunday 15/2): Tết 16-20/2 plus the following weekend.
        (
            "2026-02-15",
            [],
            "2026-02-27",
            ["2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19", "2026-02-20"]
            + ["2026-02-21", "2026-02-22"],
        ),
        # Day before Tết 2027 (holidays: 4-10/2, Lunar New Year on Saturday 6/2).
        (
            "2027-02-03",
            [],
            "2027-02-17",
            [f"2027-02-{d:02d}" for d in (4, 5, 6, 7, 8, 9, 10, 13, 14)],
        ),
        # Across 30/4-1/5 2026 (and Hung Kings observed on Monday 27/4).
        (
            "2026-04-24",
            [],
            "2026-05-06",
            ["2026-04-25", "2026-04-26", "2026-04-27"]
            + ["2026-04-30", "2026-05-01", "2026-05-02", "2026-05-03"],
        ),
        # 2025: Saturday 26/4 worked in exchange for Friday 2/5.
        (
            "2025-04-25",
            [],
            "2025-05-06",
            ["2025-04-27", "2025-04-30", "2025-05-01"] + ["2025-05-02", "2025-05-03", "2025-05-04"],
        ),
        # Admin day off on Wednesday, admin working Saturday.
        (
            "2026-11-02",
            [Override(D("2026-11-04"), False, "Flood")],
            "2026-11-10",
            ["2026-11-04", "2026-11-07", "2026-11-08"],
        ),
        ("2026-11-02", [Override(D("2026-11-07"), True, "Make-up")], "2026-11-07", []),
    ],
)
def test_deadline(opened, overrides, due_day, skipped):
    deadline = WorkCalendar(overrides).deadline(local(opened, 10))
    assert deadline.due_day == D(due_day)
    assert deadline.days == 5
    assert deadline.calendar_days is False
    assert [info.day for info in deadline.skipped] == [D(d) for d in skipped]
    assert all(not info.working for info in deadline.skipped)
    assert deadline.due_at == datetime.combine(D(due_day), time(17), tzinfo=UTC)


@pytest.mark.parametrize(
    ("started_at", "local_day", "due_day", "due_at"),
    [
        # 23:59 local Thursday 5/11 -> counted from Thursday.
        ("2026-11-05T16:59:00Z", "2026-11-05", "2026-11-12", "2026-11-12T17:00:00Z"),
        # 00:01 local Friday 6/11 -> counted from Friday.
        ("2026-11-05T17:01:00Z", "2026-11-06", "2026-11-13", "2026-11-13T17:00:00Z"),
        # Exactly local midnight belongs to the new day.
        ("2026-11-05T17:00:00Z", "2026-11-06", "2026-11-13", "2026-11-13T17:00:00Z"),
        # 06:59Z Friday is still Friday locally (13:59).
        ("2026-11-06T06:59:00Z", "2026-11-06", "2026-11-13", "2026-11-13T17:00:00Z"),
    ],
)
def test_midnight_edges_in_organisation_zone(started_at, local_day, due_day, due_at):
    instant = utc(started_at)
    assert CALENDAR.local_day(instant) == D(local_day)
    deadline = CALENDAR.deadline(instant)
    assert deadline.due_day == D(due_day)
    assert deadline.due_at == utc(due_at)
    assert deadline.due_at.utcoffset() == timedelta(0)
    next_local_midnight = datetime.combine(D(due_day) + timedelta(days=1), time(0), tzinfo=HANOI)
    assert deadline.due_at == next_local_midnight


def test_instant_in_any_offset_is_accepted():
    tokyo = datetime(2026, 11, 6, 1, 30, tzinfo=timezone(timedelta(hours=9)))  # 23:30 local 5/11
    assert CALENDAR.local_day(tokyo) == D("2026-11-05")


@pytest.mark.parametrize(
    ("opened", "days", "due_day", "moved_across"),
    [
        # Civil Code 2015 Art. 148(5): a period ending on a day off ends on the next working day.
        ("2026-02-13", 5, "2026-02-23", [f"2026-02-{d}" for d in range(18, 23)]),  # Tết 2026
        ("2027-02-01", 5, "2027-02-11", [f"2027-02-{d:02d}" for d in range(6, 11)]),  # Tết 2027
        ("2026-02-05", 5, "2026-02-10", []),  # before Tết: ends on a working Tuesday
        ("2026-02-09", 5, "2026-02-23", [f"2026-02-{d}" for d in range(14, 23)]),  # on Sat 14/2
        ("2026-11-06", 5, "2026-11-11", []),  # straight through the weekend
        ("2026-11-02", 5, "2026-11-09", ["2026-11-07", "2026-11-08"]),  # on Saturday 7/11
        ("2026-08-27", 10, "2026-09-07", ["2026-09-06"]),  # on Sunday 6/9
        ("2026-11-02", 1, "2026-11-03", []),
    ],
)
def test_calendar_days_policy(opened, days, due_day, moved_across):
    calendar = WorkCalendar(calendar_days=True)
    deadline = calendar.deadline(local(opened, 10), days)
    assert deadline.due_day == D(due_day)
    assert calendar.is_working_day(deadline.due_day)
    assert deadline.calendar_days is True
    assert [info.day for info in deadline.skipped] == [D(d) for d in moved_across]
    assert deadline.due_at == datetime.combine(D(due_day), time(17), tzinfo=UTC)


def test_calendar_days_policy_counts_deadlines_only():
    calendar = WorkCalendar(calendar_days=True)
    info = calendar.day_info(D("2026-02-17"))
    assert (info.kind, info.working) == (DayKind.HOLIDAY, False)
    assert not calendar.is_working_day(D("2026-11-07"))  # reminders and quiet hours as usual
    assert calendar.working_days_between(D("2026-02-13"), D("2026-02-23")) == 1


def test_custom_days_and_tz():
    berlin = WorkCalendar(tz=ZoneInfo("Europe/Berlin"))
    deadline = berlin.deadline(datetime(2026, 11, 2, 9, tzinfo=UTC), days=3)
    assert deadline.due_day == D("2026-11-05")
    assert deadline.due_at == datetime(2026, 11, 5, 23, tzinfo=UTC)  # CET midnight


@pytest.mark.parametrize("days", [0, -1])
def test_deadline_rejects_non_positive_days(days):
    with pytest.raises(ValueError):
        CALENDAR.deadline(local("2026-11-02", 10), days)


# --- skipped grouping -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("opened", "overrides", "runs"),
    [
        (
            "2026-02-13",
            [],
            # The official decision names the whole break, weekends included.
            [("2026-02-14", "2026-02-22", "Lunar New Year (Tết)")],
        ),
        (
            "2027-02-03",
            [],
            [
                ("2027-02-04", "2027-02-10", "Lunar New Year (Tết)"),
                ("2027-02-13", "2027-02-14", ""),
            ],
        ),
        (
            "2026-08-27",
            [],
            [
                ("2026-08-29", "2026-08-30", ""),
                ("2026-08-31", "2026-08-31", "Day off in lieu of 22 August 2026"),
                ("2026-09-01", "2026-09-02", "National Day"),
                ("2026-09-05", "2026-09-06", ""),
            ],
        ),
        (
            "2026-04-24",
            [],
            [
                ("2026-04-25", "2026-04-25", ""),
                ("2026-04-26", "2026-04-26", "Hung Kings' Commemoration Day"),
                ("2026-04-27", "2026-04-27", "Day off in lieu of 26 April 2026"),
                ("2026-04-30", "2026-04-30", "Reunification Day"),
                ("2026-05-01", "2026-05-01", "International Labour Day"),
                ("2026-05-02", "2026-05-03", ""),
            ],
        ),
        (
            # Admin days off with the same reason form one run; a weekend splits nothing.
            "2026-11-02",
            [Override(D("2026-11-05"), False, "Flood"), Override(D("2026-11-06"), False, "Flood")],
            [
                ("2026-11-05", "2026-11-06", "Flood"),
                ("2026-11-07", "2026-11-08", ""),
            ],
        ),
    ],
)
def test_group_skipped(opened, overrides, runs):
    skipped = WorkCalendar(overrides).deadline(local(opened, 10)).skipped
    grouped = [(first, last, info.names.en) for first, last, info in group_skipped(skipped)]
    assert grouped == [(D(a), D(b), name) for a, b, name in runs]


def test_group_skipped_splits_non_consecutive_and_sorts():
    flood = Names("Flood", "Flood")
    a = DayInfo(D("2026-11-04"), DayKind.OFF, False, flood, Source.AGENCY)
    b = DayInfo(D("2026-11-06"), DayKind.OFF, False, flood, Source.AGENCY)
    assert group_skipped([b, a]) == [(a.day, a.day, a), (b.day, b.day, b)]
    assert group_skipped([]) == []


@pytest.mark.parametrize(
    ("name", "folded"),
    [
        ("Lunar New Year's Eve", "Lunar New Year"),
        ("29 of Lunar New Year", "Lunar New Year"),
        ("Second Day of Lunar New Year", "Lunar New Year"),
        ("Fifth Day of Lunar New Year", "Lunar New Year"),
        ("International Labor Day (observed)", "International Labor Day"),
        ("Lunar New Year (estimated)", "Lunar New Year"),
        ("National Day", "National Day"),
        ("Day off (substituted from 08/22/2026)", "Day off (substituted from 08/22/2026)"),
    ],
)
def test_fold_holiday_name(name, folded):
    assert fold_holiday_name(name) == folded


# --- year listing ---------------------------------------------------------------------------


def test_year_lists_every_non_ordinary_day():
    calendar = WorkCalendar(
        [
            Override(D("2026-11-04"), False, "Flood"),
            Override(D("2026-11-07"), True, "Make-up"),
            Override(D("2027-01-04"), False, "Other year"),
        ]
    )
    listing = calendar.year(2026)
    days = [info.day for info in listing]
    assert days == sorted(days)
    by_day = {info.day: info for info in listing}
    expected = [
        ("2026-01-01", DayKind.HOLIDAY),
        ("2026-01-02", DayKind.IN_LIEU),
        ("2026-01-10", DayKind.MAKEUP),
        *((f"2026-02-{d}", DayKind.HOLIDAY) for d in range(14, 23)),
        ("2026-04-26", DayKind.HOLIDAY),
        ("2026-04-27", DayKind.IN_LIEU),
        ("2026-04-30", DayKind.HOLIDAY),
        ("2026-05-01", DayKind.HOLIDAY),
        ("2026-08-22", DayKind.MAKEUP),
        ("2026-08-31", DayKind.IN_LIEU),
        ("2026-09-01", DayKind.HOLIDAY),
        ("2026-09-02", DayKind.HOLIDAY),
        ("2026-11-04", DayKind.OFF),
        ("2026-11-07", DayKind.WORKING),
        ("2026-11-24", DayKind.HOLIDAY),
    ]
    assert [(d.isoformat(), info.kind) for d, info in by_day.items()] == expected
    assert by_day[D("2026-08-22")].names.vi == "Làm bù cho ngày 31/08/2026"
    assert by_day[D("2026-11-07")].names == Names("Make-up", "Make-up")


def test_year_without_holiday_data_is_empty():
    assert WorkCalendar().year(2200) == []
    assert WorkCalendar().is_working_day(D("2200-01-01"))  # a Wednesday


# --- arithmetic -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "count"),
    [
        ("2026-11-02", "2026-11-09", 5),
        ("2026-11-09", "2026-11-02", -5),
        ("2026-11-02", "2026-11-02", 0),
        ("2026-11-06", "2026-11-08", 0),
        ("2026-02-13", "2026-02-27", 5),
        ("2026-08-21", "2026-08-22", 1),  # make-up Saturday counts
        # 261 weekdays, minus 1/1 (outside the interval), minus 12 weekday holidays
        # (16-20/2, 27/4, 30/4, 1/5, 31/8, 1/9, 2/9, 24/11), plus the make-up Saturday 22/8.
        ("2026-01-01", "2026-12-31", 249),
    ],
)
def test_working_days_between(start, end, count):
    assert CALENDAR.working_days_between(D(start), D(end)) == count


@pytest.mark.parametrize(
    ("day", "n", "expected"),
    [
        ("2026-11-02", 1, "2026-11-03"),
        ("2026-11-06", 1, "2026-11-09"),
        ("2026-02-23", -1, "2026-02-13"),  # backwards over Tết
        ("2026-02-27", -2, "2026-02-25"),  # reminder ladder: two working days before
        ("2026-08-24", -1, "2026-08-22"),  # backwards onto the make-up Saturday
        ("2026-02-15", 1, "2026-02-23"),
    ],
)
def test_add_working_days(day, n, expected):
    assert CALENDAR.add_working_days(D(day), n) == D(expected)


def test_add_working_days_rejects_zero():
    with pytest.raises(ValueError):
        CALENDAR.add_working_days(D("2026-11-02"), 0)


def test_add_working_days_gives_up_past_horizon():
    start = D("2026-01-01")
    everything_off = [Override(start + timedelta(days=i), False, "Closed") for i in range(400)]
    calendar = WorkCalendar(everything_off)
    with pytest.raises(ValueError, match="no working day"):
        calendar.add_working_days(start, 1)
    assert calendar.add_working_days(start, -1) == D("2025-12-31")


def test_add_working_days_reports_date_overflow_as_value_error():
    with pytest.raises(ValueError):
        CALENDAR.add_working_days(date.max - timedelta(days=2), 5)


@given(
    start=st.dates(min_value=date(2025, 1, 1), max_value=date(2028, 12, 31)),
    n=st.integers(min_value=1, max_value=20),
)
def test_add_working_days_property(start, n):
    due = CALENDAR.add_working_days(start, n)
    assert due > start
    assert CALENDAR.is_working_day(due)
    assert CALENDAR.working_days_between(start, due) == n
    # Going back n working days from `due` lands on the last working day <= start.
    back = CALENDAR.add_working_days(due, -n)
    assert back <= start
    assert (back == start) == CALENDAR.is_working_day(start)


# --- instants -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        ("2026-11-06T00:00:00Z", "2026-11-06T01:00:00Z"),  # Fri 07:00 local -> 08:00 same day
        ("2026-11-06T01:00:00Z", "2026-11-06T01:00:00Z"),  # exactly 08:00 local
        ("2026-11-06T09:00:00Z", "2026-11-09T01:00:00Z"),  # Fri 16:00 -> Mon 08:00
        ("2026-11-07T03:00:00Z", "2026-11-09T01:00:00Z"),  # Saturday
        ("2026-02-14T20:00:00Z", "2026-02-23T01:00:00Z"),  # over Tết
        ("2026-08-21T10:00:00Z", "2026-08-22T01:00:00Z"),  # onto the make-up Saturday
    ],
)
def test_next_working_instant(instant, expected):
    result = CALENDAR.next_working_instant(utc(instant), time(8))
    assert result == utc(expected)
    assert result.tzinfo is UTC


def test_local_instant_and_end_of_day():
    assert CALENDAR.local_instant(D("2026-11-06"), time(15)) == utc("2026-11-06T08:00:00Z")
    assert CALENDAR.end_of_day(D("2026-11-06")) == utc("2026-11-06T17:00:00Z")
    with pytest.raises(ValueError):
        CALENDAR.local_instant(D("2026-11-06"), time(15, tzinfo=UTC))


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.local_day(datetime(2026, 11, 5, 23, 59)),
        lambda c: c.deadline(datetime(2026, 11, 5, 23, 59)),
        lambda c: c.next_working_instant(datetime(2026, 11, 5, 23, 59), time(8)),
    ],
)
def test_naive_datetime_rejected(call):
    with pytest.raises(ValueError, match="naive"):
        call(CALENDAR)


# --- caching --------------------------------------------------------------------------------


def test_holidays_looked_up_once_per_year(monkeypatch):
    calls: list[object] = []
    real = holidays.country_holidays

    def counting(*args, **kwargs):
        calls.append(kwargs.get("years"))
        return real(*args, **kwargs)

    national.national_days.cache_clear()
    monkeypatch.setattr(holidays, "country_holidays", counting)
    try:
        first, second = WorkCalendar(), WorkCalendar([Override(D("2031-03-03"), False, "x")])
        for calendar in (first, second):
            for i in range(365):
                calendar.is_working_day(D("2031-01-01") + timedelta(days=i))
        assert len(calls) == 2  # once in English, once in Vietnamese
        assert not second.is_working_day(D("2031-03-03"))
    finally:
        national.national_days.cache_clear()
