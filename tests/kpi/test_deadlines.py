"""Deadlines on the official calendar, and the explanation stored with them."""

from __future__ import annotations

from datetime import date

import pytest

from kpi.calendar import Override, WorkCalendar
from kpi.days import DayKind, Names
from kpi.deadlines import Run, deadline_columns, explain, explanation_for, explanation_of
from models import WorkCode
from tests.factories import local

D = date.fromisoformat
CALENDAR = WorkCalendar()
TET = Names("Tết Nguyên Đán", "Lunar New Year (Tết)")


@pytest.mark.parametrize(
    ("opened", "due_day"),
    [
        # New Year 2026: Friday 2/1 off, Saturday 10/1 worked (12729/VPCP-KGVX).
        ("2025-12-30", "2026-01-08"),
        ("2026-01-05", "2026-01-10"),
        ("2026-01-09", "2026-01-15"),  # the Saturday counts
        # Tết 2026: 14-22/2 (9441/TB-BNV); Tết 2027 estimated: 4-10/2.
        ("2026-02-12", "2026-02-26"),
        ("2026-02-13", "2026-02-27"),
        ("2026-02-23", "2026-03-02"),
        ("2027-02-03", "2027-02-17"),
        ("2027-02-01", "2027-02-15"),
        # 30/4-1/5: 2025 with 2/5 off for Saturday 26/4; 2026; 2027 (1/5 on Saturday, 3/5 off).
        ("2025-04-24", "2025-05-05"),  # the Saturday counts
        ("2025-04-25", "2025-05-06"),
        ("2026-04-28", "2026-05-07"),
        ("2027-04-28", "2027-05-07"),
        # 2/9: 2025 (1-2/9), 2026 (31/8 off for Saturday 22/8, 1-2/9), 2027 (2-3/9).
        ("2025-08-29", "2025-09-09"),
        ("2026-08-21", "2026-08-27"),
        ("2026-08-28", "2026-09-09"),
        ("2027-09-01", "2027-09-10"),
        # 31/12: a deadline on the last day of the year.
        ("2026-12-24", "2026-12-31"),
    ],
)
def test_deadline_on_the_official_calendar(opened, due_day):
    assert CALENDAR.deadline(local(opened)).due_day == D(due_day)


@pytest.mark.parametrize(
    ("opened", "runs"),
    [
        (
            "2025-12-30",
            [
                ("2026-01-01", "2026-01-01", "Tết Dương lịch"),
                ("2026-01-02", "2026-01-02", "Nghỉ bù cho ngày 10/01/2026"),
            ],
        ),
        ("2026-02-13", [("2026-02-14", "2026-02-22", "Tết Nguyên Đán")]),
        ("2027-02-03", [("2027-02-04", "2027-02-10", "Tết Nguyên Đán")]),
        (
            "2026-08-28",
            [
                ("2026-08-31", "2026-08-31", "Nghỉ bù cho ngày 22/08/2026"),
                ("2026-09-01", "2026-09-02", "Quốc khánh"),
            ],
        ),
    ],
)
def test_explanation_names_whole_breaks_and_leaves_plain_weekends_out(opened, runs):
    explanation = explain(CALENDAR.deadline(local(opened)))
    assert (explanation.days, explanation.calendar_days) == (5, False)
    assert [(r.first, r.last, r.names.vi) for r in explanation.runs] == [
        (D(a), D(b), name) for a, b, name in runs
    ]


def test_calendar_days_explanation_lists_the_days_moved_across():
    calendar = WorkCalendar(calendar_days=True)
    explanation = explain(calendar.deadline(local("2026-02-13")))
    assert explanation.calendar_days
    assert explanation.runs == (Run(D("2026-02-18"), D("2026-02-22"), DayKind.HOLIDAY, TET),)


def _code(opened: str, calendar: WorkCalendar = CALENDAR) -> WorkCode:
    deadline = calendar.deadline(local(opened))
    return WorkCode(
        employee_id=1,
        approver_id=2,
        title="Báo cáo",
        cycle_started_at=local(opened),
        created_at=local(opened),
        **deadline_columns(deadline),
    )


def test_stored_explanation_survives_a_calendar_change():
    code = _code("2026-02-13")
    stored = explanation_of(code)
    assert stored is not None and stored.runs[0].names == TET
    changed = WorkCalendar(decisions={})  # today's calendar would say otherwise
    assert explanation_for(code, changed, 5) == stored


def test_a_code_stored_without_explanation_gets_one_only_while_it_matches():
    code = _code("2026-02-13")
    code.deadline_explanation = None
    assert explanation_for(code, CALENDAR, 5) == explain(CALENDAR.deadline(local("2026-02-13")))
    moved = WorkCalendar([Override(D("2026-02-24"), False, "Bão")])
    assert explanation_for(code, moved, 5) is None
