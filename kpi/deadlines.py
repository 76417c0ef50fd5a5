"""A work code's deadline as stored: the instant, the day, and the explanation people read.

The explanation ("5 working days; days off skipped: Tết Nguyên Đán 14/02-22/02") is computed
with the deadline and stored beside it, so the two always agree, even after the calendar
changes; re-planning replaces both together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from kpi.calendar import Deadline, WorkCalendar, group_skipped
from kpi.days import DayKind, Names
from models import WorkCode


@dataclass(frozen=True)
class Run:
    """Consecutive days off of one kind and name."""

    first: date
    last: date
    kind: DayKind
    names: Names


@dataclass(frozen=True)
class Explanation:
    """How a deadline was counted: N working (or calendar) days, and the days off it passed.

    Counting working days, plain weekends are left out; counting calendar days, the runs are
    the days off the deadline was moved across, weekends included.
    """

    days: int
    calendar_days: bool
    runs: tuple[Run, ...]


def explain(deadline: Deadline) -> Explanation:
    """The explanation of a freshly computed deadline."""
    runs = tuple(
        Run(first, last, info.kind, info.names)
        for first, last, info in group_skipped(deadline.skipped)
        if deadline.calendar_days or info.kind is not DayKind.WEEKEND
    )
    return Explanation(deadline.days, deadline.calendar_days, runs)


def deadline_columns(deadline: Deadline) -> dict[str, Any]:
    """The work-code columns that hold a deadline: instant, day and explanation."""
    return {
        "deadline_at": deadline.due_at,
        "due_day": deadline.due_day,
        "deadline_explanation": _to_json(explain(deadline)),
    }


def explanation_of(code: WorkCode) -> Explanation | None:
    """The stored explanation of the code's deadline (None for codes opened before it existed)."""
    data = code.deadline_explanation
    if not data:
        return None
    return _from_json(data)


def explanation_for(code: WorkCode, calendar: WorkCalendar, days: int) -> Explanation | None:
    """The explanation to show with the code's deadline: the stored one.

    A code stored before explanations were kept gets one computed from today's calendar, and
    only while that calendar still gives its stored deadline, so the two never disagree.
    """
    stored = explanation_of(code)
    if stored is not None:
        return stored
    deadline = calendar.deadline(code.cycle_started_at, days)
    return explain(deadline) if deadline.due_day == code.due_day else None


def _from_json(data: dict[str, Any]) -> Explanation:
    runs = tuple(
        Run(
            date.fromisoformat(run["first"]),
            date.fromisoformat(run["last"]),
            DayKind(run["kind"]),
            Names(run["vi"], run["en"]),
        )
        for run in data["runs"]
    )
    return Explanation(int(data["days"]), bool(data["calendar_days"]), runs)


def _to_json(explanation: Explanation) -> dict[str, Any]:
    return {
        "days": explanation.days,
        "calendar_days": explanation.calendar_days,
        "runs": [
            {
                "first": run.first.isoformat(),
                "last": run.last.isoformat(),
                "kind": run.kind.value,
                "vi": run.names.vi,
                "en": run.names.en,
            }
            for run in explanation.runs
        ],
    }
