"""The period report for payroll: one row per employee, as CSV (Excel-friendly) or XLSX.

With assigned tasks (§7) it adds the task columns and forced ratings, and the 20% check: in each
agency, Hoàn thành xuất sắc nhiệm vụ may not exceed 20% of those rated Hoàn thành tốt nhiệm vụ.
The check only counts and lists the candidates, in score order, for HR to decide; it never
changes anyone's class.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from kpi.bulk import collector_paused
from kpi.policy import Policy, TaskScoring
from kpi.scoring import PeriodDeduction, ScoreRow
from kpi.tables import Table, write_tables

FIXED = ("code", "full_name", "unit", "position", "leader_code", "leader_name")
TOTALS = ("total", "classification", "bonus_coefficient", "deductions")
TASKS = (
    "tasks_due",
    "tasks_done",
    "units_due",
    "units_done",
    "quality_errors",
    "delays",
    "excused",
    "forced_ground",
    "forced_reference",
)
DEDUCTIONS_SLUG = "deductions"
EXCELLENT_SHARE = Decimal("0.2")  # of those rated Hoàn thành tốt nhiệm vụ (Decree 335)


DEDUCTIONS = ("number", "code", "full_name", "criterion", "points", "date", "reason", "work_code")
# The keys of the headings a report asks for.
COLUMNS = (*FIXED, *TASKS, *TOTALS, *DEDUCTIONS, "deduction_sheet")


def header(policy: Policy, locale: str, headings: Mapping[str, str]) -> list[str]:
    """Column headings: who, each criterion of the policy (by name), the tasks, then the
    totals; `headings` names the other columns by key, in `locale`."""
    criteria = [criterion.name(locale) for criterion in policy.criteria.values()]
    tasks = TASKS if _with_tasks(policy) else ()
    return [*(headings[key] for key in FIXED), *criteria, *(headings[key] for key in tasks)] + [
        headings[key] for key in TOTALS
    ]


def deduction_cells(
    deduction: PeriodDeduction, policy: Policy, locale: str, tz: ZoneInfo
) -> list[object]:
    """One deduction's row: D<id>, who, criterion by name, points, local date, reason, code."""
    criterion = policy.criteria.get(deduction.criterion)
    work_code = deduction.work_code_id
    return [
        f"D{deduction.id}",
        deduction.code,
        deduction.full_name,
        criterion.name(locale) if criterion else deduction.criterion,
        deduction.points,
        deduction.occurred_at.astimezone(tz).date(),
        deduction.reason,
        f"#{work_code} {deduction.work_code_title}".strip() if work_code is not None else "",
    ]


def cells(row: ScoreRow, policy: Policy, locale: str) -> list[object]:
    """One employee's row; criteria outside their position stay empty."""
    scores = {item.criterion.code: item.score for item in row.criteria}
    position = policy.positions.get(row.position)
    line: list[object] = [
        row.code,
        row.full_name,
        row.unit,
        position.name(locale) if position else row.position,
        row.leader_code or "",
        row.leader_name or "",
        *(scores.get(code, "") for code in policy.criteria),
        *(_task_cells(row) if _with_tasks(policy) else ()),
        row.total,
        row.classification.name(locale),
        row.classification.bonus_coefficient,
        row.deduction_count,
    ]
    return line


def _task_cells(row: ScoreRow) -> list[object]:
    tasks, forced = row.tasks, row.forced
    counts: list[object] = (
        [tasks.tasks, tasks.done, tasks.units, tasks.units_done]
        + [tasks.errors, tasks.delays, tasks.excused]
        if tasks
        else [""] * 7  # a year: its quarters are in their own reports
    )
    return [*counts, forced.ground if forced else "", forced.reference if forced else ""]


@dataclass
class AgencyCheck:
    """The 20% check of one agency (everyone under one head, the head included)."""

    head_code: str
    head_name: str
    excellent: list[tuple[Decimal, str, str]] = field(default_factory=list)  # total, code, name
    good: int = 0

    @property
    def limit(self) -> Decimal:
        """How many may be rated Hoàn thành xuất sắc: 20% of those rated Hoàn thành tốt."""
        return self.good * EXCELLENT_SHARE

    @property
    def exceeded(self) -> bool:
        """Whether more are rated Hoàn thành xuất sắc than the limit allows."""
        return len(self.excellent) > self.limit

    def candidates(self) -> list[tuple[Decimal, str, str]]:
        """Those rated Hoàn thành xuất sắc, the highest total first, then by code."""
        return sorted(self.excellent, key=lambda item: (-item[0], item[1]))


class ExcellenceCheck:
    """Collects the rows of a report as they are written, then checks each agency."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self._leaders: dict[str, tuple[str | None, str]] = {}  # code -> (leader code, name)
        self._rows: list[tuple[str, str, Decimal]] = []  # code, class code, total

    def watch(self, rows: Iterable[ScoreRow]) -> Iterator[ScoreRow]:
        """Pass the rows through, remembering what the check needs of each."""
        for row in rows:
            self._leaders[row.code] = (row.leader_code, row.full_name)
            self._rows.append((row.code, row.classification.code, row.total))
            yield row

    def agencies(self) -> list[AgencyCheck]:
        """One check per agency, by the head's code."""
        excellent, good = (item.code for item in self.policy.classifications[:2])
        checks: dict[str, AgencyCheck] = {}
        for code, class_code, total in self._rows:
            head = self._head(code)
            check = checks.setdefault(head, AgencyCheck(head, self._leaders[head][1]))
            if class_code == excellent:
                check.excellent.append((total, code, self._leaders[code][1]))
            elif class_code == good:
                check.good += 1
        return [checks[code] for code in sorted(checks)]

    def _head(self, code: str) -> str:
        """The top of the code's chain of leaders among the rows (a loop stops where it closes)."""
        seen = {code}
        while (leader := self._leaders[code][0]) is not None and leader in self._leaders:
            if leader in seen:
                break
            seen.add(leader)
            code = leader
        return code


def write_report(
    rows: Iterable[ScoreRow],
    deductions: Iterable[PeriodDeduction],
    *,
    policy: Policy,
    path: Path,
    file_format: str,
    locale: str,
    tz: ZoneInfo,
    headings: Mapping[str, str],
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write the report: the scores, then the period's deductions (a second sheet, or the CSV
    file <name>-deductions.csv); the number of employees. `progress(n)` is told of every n rows
    done. `headings` names the columns by key (`COLUMNS`) in `locale`."""
    scores = Table(
        "KPI", header(policy, locale, headings), (cells(row, policy, locale) for row in rows)
    )
    listed = Table(
        headings["deduction_sheet"],
        [headings[key] for key in DEDUCTIONS],
        (deduction_cells(item, policy, locale, tz) for item in deductions),
        slug=DEDUCTIONS_SLUG,
    )
    with collector_paused():  # a quarter's rows are held, and scored with many objects each
        return write_tables(path, [scores, listed], file_format=file_format, progress=progress)


def _with_tasks(policy: Policy) -> bool:
    return policy.task_scoring is TaskScoring.ASSIGNED_TASKS
