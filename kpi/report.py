"""The quarterly report for payroll: one row per employee, as CSV (Excel-friendly) or XLSX."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from kpi.policy import Policy
from kpi.scoring import ScoreRow
from kpi.tables import write_table

FIXED = ("code", "full_name", "unit", "position", "leader_code", "leader_name")
TOTALS = ("total", "classification", "bonus_coefficient", "deductions")


def header(policy: Policy) -> list[str]:
    """Column names: who, each criterion of the policy (by code), then the totals."""
    return [*FIXED, *policy.criteria, *TOTALS]


def cells(row: ScoreRow, policy: Policy, locale: str) -> list[object]:
    """One employee's row; criteria outside their position stay empty."""
    scores = {item.criterion.code: item.score for item in row.criteria}
    position = policy.positions.get(row.position)
    return [
        row.code,
        row.full_name,
        row.unit,
        position.name(locale) if position else row.position,
        row.leader_code or "",
        row.leader_name or "",
        *(scores.get(code, "") for code in policy.criteria),
        row.total,
        row.classification.name(locale),
        row.classification.bonus_coefficient,
        row.deduction_count,
    ]


def write_report(
    rows: Iterable[ScoreRow],
    *,
    policy: Policy,
    path: Path,
    file_format: str,
    locale: str,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write the report; the number of employees. `progress(n)` is told of every n rows done."""
    lines = (cells(row, policy, locale) for row in rows)
    return write_table(
        path, header(policy), lines, file_format=file_format, sheet="KPI", progress=progress
    )
