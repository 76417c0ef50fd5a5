"""The quarterly report for payroll: one row per employee, as CSV (Excel-friendly) or XLSX."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook

from kpi.policy import Policy
from kpi.scoring import ScoreRow

FIXED = ("code", "full_name", "unit", "position", "leader_code", "leader_name")
TOTALS = ("total", "classification", "bonus_coefficient", "deductions")
FORMATS = ("csv", "xlsx")


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
    """Write the report; the number of employees. `progress(n)` is called every 500 rows."""
    lines = (cells(row, policy, locale) for row in rows)
    if file_format == "csv":
        return _write_csv(path, header(policy), lines, progress)
    return _write_xlsx(path, header(policy), lines, progress)


def _write_csv(
    path: Path,
    head: list[str],
    lines: Iterable[list[object]],
    progress: Callable[[int], None] | None,
) -> int:
    count = 0
    # UTF-8 with BOM: Excel then shows Vietnamese correctly.
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(head)
        for count, line in enumerate(lines, start=1):
            writer.writerow(["" if v is None else v for v in line])
            if progress and count % 500 == 0:
                progress(500)
    if progress:
        progress(count % 500)
    return count


def _write_xlsx(
    path: Path,
    head: list[str],
    lines: Iterable[list[object]],
    progress: Callable[[int], None] | None,
) -> int:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("KPI")
    sheet.append(head)
    count = 0
    for count, line in enumerate(lines, start=1):
        sheet.append([float(v) if isinstance(v, Decimal) else v for v in line])
        if progress and count % 500 == 0:
            progress(500)
    workbook.save(path)
    if progress:
        progress(count % 500)
    return count
