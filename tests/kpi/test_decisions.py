"""Official decisions: the shipped files against the notices and the package, files, imports."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session, select

from kpi.calendar import WorkCalendar, load_calendar
from kpi.days import DayKind, Source, format_day
from kpi.decisions import (
    DecisionError,
    decisions_in_force,
    next_year_estimated,
    parse_decision,
    shipped_decisions,
    store_decision,
)
from kpi.national import holiday_names, national_days
from models import AuditEvent, DecisionDay
from tests.factories import HANOI

D = date.fromisoformat
SHIPPED = shipped_decisions()
# Days where the shipped decision corrects the package (0.106+): the New Year 2026 swap came
# after the release. A newer package that learns it is welcome; one that contradicts a
# decision on another day fails below.
CORRECTIONS = {D("2026-01-02"), D("2026-01-10")}


def test_2025_and_2026_ship_official_decisions_and_2027_is_estimated():
    assert {2025, 2026} <= set(SHIPPED)
    assert WorkCalendar().estimated(2027)
    assert not WorkCalendar().estimated(2026)


@pytest.mark.parametrize("year", sorted(SHIPPED))
def test_package_and_shipped_decision_agree_where_the_decision_is_silent(year):
    decision = SHIPPED[year].days
    silent = {day: n for day, n in national_days(year).items() if day not in decision}
    assert silent == {}, f"the package has special days the {year} decision does not list"
    package = WorkCalendar(decisions={})
    differ = {
        day for day in decision if package.is_working_day(day) != WorkCalendar().is_working_day(day)
    }
    assert differ <= CORRECTIONS


# The breaks as the notices give them: (first, last) all off, then the days worked.
NOTICES = [
    # 8726/VPCP-KGVX, 6150/TB-BLĐTBXH: Tết 25/1-2/2, 30/4-4/5 (2/5 for 26/4), 30/8-2/9.
    (
        [("2025-01-25", "2025-02-02"), ("2025-04-30", "2025-05-04"), ("2025-08-30", "2025-09-02")],
        ["2025-04-26"],
    ),
    # 12729/VPCP-KGVX: 1-4/1 (2/1 for 10/1); 9441/TB-BNV: Tết 14-22/2, 29/8-2/9 (31/8 for 22/8).
    (
        [("2026-01-01", "2026-01-04"), ("2026-02-14", "2026-02-22"), ("2026-08-29", "2026-09-02")],
        ["2026-01-10", "2026-08-22"],
    ),
    # Labour Code Art. 112 and 111(3): 26/4 on a Sunday, 27/4 off; 30/4-3/5.
    ([("2026-04-25", "2026-04-27"), ("2026-04-30", "2026-05-03")], []),
]


@pytest.mark.parametrize(("breaks", "worked"), NOTICES)
def test_shipped_calendar_follows_the_notices(breaks, worked):
    calendar = WorkCalendar()
    for first, last in breaks:
        span = (D(last) - D(first)).days + 1
        days = [D(first) + timedelta(days=i) for i in range(span)]
        assert not any(calendar.is_working_day(day) for day in days), (first, last)
        assert calendar.is_working_day(D(first) - timedelta(days=1)) or D(first).weekday() == 0
    for day in worked:
        info = calendar.day_info(D(day))
        assert info.working and info.kind is DayKind.MAKEUP and info.source is Source.OFFICIAL


def test_every_official_day_names_its_act():
    info = WorkCalendar().day_info(D("2026-01-02"))
    assert info.reference is not None
    assert str(info.reference) == "12729/VPCP-KGVX, 25/12/2025, Văn phòng Chính phủ"
    tet = WorkCalendar().day_info(D("2026-02-14")).reference
    assert tet is not None and (tet.number, tet.issuer) == ("9441/TB-BNV", "Bộ Nội vụ")


_IN_LIEU = re.compile(r"Nghỉ bù cho ngày (\d\d/\d\d/\d{4})")
_MAKEUP = re.compile(r"Làm bù cho ngày (\d\d/\d\d/\d{4})")


@pytest.mark.parametrize("year", sorted(SHIPPED))
def test_shipped_names_are_the_catalogue_names(year):
    catalogue = {
        holiday_names(label)
        for label in ("New Year's Day", "Lunar New Year", "Hung Kings' Commemoration Day")
        + ("Liberation Day/Reunification Day", "International Labor Day", "National Day")
        + ("Vietnam Cultural Day",)
    }
    for official in SHIPPED[year].days.values():
        if official.kind is DayKind.HOLIDAY:
            assert official.names in catalogue, official
            continue
        pattern = _MAKEUP if official.kind is DayKind.MAKEUP else _IN_LIEU
        found = pattern.fullmatch(official.names.vi)
        assert found, official
        partner = datetime.strptime(found[1], "%d/%m/%Y").date()
        assert official.names.en.endswith(format_day(partner, "en")), official


GOOD = """
year = 2027

[sources.tet]
number = "1234/TB-BNV"
date = 2026-10-20
issuer = "Bộ Nội vụ"

[[days]]
first = 2027-02-04
last = 2027-02-10
kind = "holiday"
name_vi = "Tết Nguyên Đán"
name_en = "Lunar New Year (Tết)"
source = "tet"

[[days]]
day = 2027-02-20
kind = "makeup"
name_vi = "Làm bù cho ngày 03/02/2027"
name_en = "Make-up working day for 3 February 2027"
source = "tet"

[[days]]
day = 2027-02-03
kind = "in_lieu"
name_vi = "Nghỉ bù cho ngày 20/02/2027"
name_en = "Day off in lieu of 20 February 2027"
source = "tet"
"""


def test_a_good_file_parses():
    decision = parse_decision(GOOD)
    assert decision.year == 2027
    assert len(decision.days) == 9
    assert decision.days[D("2027-02-20")].working
    assert not decision.days[D("2027-02-03")].working
    assert str(decision.days[D("2027-02-04")].reference) == "1234/TB-BNV, 20/10/2026, Bộ Nội vụ"


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (("year = 2027", "year = 27"), "year: a year between 1901 and 2100"),
        (("year = 2027", 'year = 2027\ncolour = "red"'), "unknown key 'colour'"),
        (('issuer = "Bộ Nội vụ"', ""), "sources.tet: issuer is required"),
        (("date = 2026-10-20", 'date = "20/10/2026"'), "sources.tet: date is required"),
        (('kind = "holiday"', 'kind = "party"'), "days #1: kind must be one of holiday"),
        (("last = 2027-02-10", "last = 2027-02-01"), "days #1: day (or first and last"),
        (("day = 2027-02-20", "day = 2028-02-20"), "days #2: the days must be in 2027"),
        (("day = 2027-02-03", "day = 2027-02-05"), "days #3: 2027-02-05 is listed twice"),
        (("day = 2027-02-20", "day = 2027-02-19"), "days #2: 2027-02-19 is a weekday"),
        (('source = "tet"', 'source = "nope"'), "days #1: source must name one of"),
        (('name_vi = "Tết Nguyên Đán"', 'name_vi = ""'), "days #1: name_vi is required"),
        (("[[days]]", "[[dayz]]"), "unknown key 'dayz'"),
        (("year = 2027", "year = [2027"), "not valid TOML"),
    ],
)
def test_a_bad_file_is_refused_with_every_problem(change, problem):
    with pytest.raises(DecisionError) as caught:
        parse_decision(GOOD.replace(*change, 1))
    assert any(p.startswith(problem) for p in caught.value.problems), caught.value.problems


def test_every_problem_is_reported_at_once():
    text = GOOD.replace('kind = "holiday"', 'kind = "x"').replace('source = "tet"', "", 1)
    with pytest.raises(DecisionError) as caught:
        parse_decision(text.replace("day = 2027-02-20", "day = 2027-02-19"))
    assert len(caught.value.problems) >= 3


NOW = datetime(2026, 11, 30, 3, tzinfo=UTC)


def test_an_import_wins_over_the_package_and_is_stored(session: Session):
    changed = store_decision(session=session, decision=parse_decision(GOOD), now=NOW)
    session.commit()
    assert D("2027-02-03") in changed and D("2027-02-20") in changed
    calendar = load_calendar(session=session, tz=HANOI, calendar_days=False)
    assert not calendar.estimated(2027)
    assert not calendar.is_working_day(D("2027-02-03"))
    info = calendar.day_info(D("2027-02-20"))
    assert info.working and info.source is Source.OFFICIAL and not info.estimated
    # A day the decision does not list keeps the package's rules.
    assert calendar.day_info(D("2027-04-30")).source is Source.PACKAGE
    assert decisions_in_force(session)[2027].imported
    audit = session.exec(select(AuditEvent).where(AuditEvent.action == "calendar.import")).one()
    assert audit.subject == "year:2027"


def test_a_new_import_of_a_year_replaces_the_old_one(session: Session):
    store_decision(session=session, decision=parse_decision(GOOD), now=NOW)
    shorter = GOOD.split("[[days]]\nday = 2027-02-20")[0]
    changed = store_decision(session=session, decision=parse_decision(shorter), now=NOW)
    session.commit()
    assert changed == [D("2027-02-03"), D("2027-02-20")]
    assert len(session.exec(select(DecisionDay)).all()) == 7


@pytest.mark.parametrize(
    ("today", "imported", "warned"),
    [
        ("2026-10-31", False, None),
        ("2026-11-01", False, 2027),
        ("2026-12-31", False, 2027),
        ("2026-11-01", True, None),
        ("2025-11-15", False, None),  # 2026 ships
        ("2027-01-02", False, None),
    ],
)
def test_next_year_estimated_from_november(session: Session, today, imported, warned):
    if imported:
        store_decision(session=session, decision=parse_decision(GOOD), now=NOW)
    assert next_year_estimated(session=session, today=D(today)) == warned
