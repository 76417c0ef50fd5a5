"""Quarter scores (§4): criterion scores, totals and classifications from active deductions.

A deduction counts in a quarter when it is dated (`occurred_at`) in that calendar quarter of the
organisation's zone and is active: neither a reversal row nor named by one. Points are added up
as whole cents in SQL, so SQLite's floating-point storage of NUMERIC never reaches a total.

Position changes: no position history is kept, so a quarter is always scored against the
position the employee holds when the score is computed. Deductions on criteria that position
lacks are still listed (the employee sees them, with `counted=False`) and still counted in
`deduction_count`, but they lower no criterion and not the total. A past quarter's score can
therefore move after a transfer; a report that must not move is archived when it is issued.
"""

from __future__ import annotations

import sys
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from kpi.periods import Quarter as Quarter  # where every caller has found it
from kpi.policy import Classification, Criterion, Policy
from models import Deduction, Employee, Unit, WorkCode
from models import Position as PositionRow

_ZERO = Decimal("0.00")
_BATCH = 1000  # rows fetched at a time by score_table
# Whole cents: exact on PostgreSQL's numeric and on SQLite, which stores NUMERIC as REAL.
_CENTS = sa.cast(sa.func.round(col(Deduction.points) * 100), sa.Integer)
_CENTS_SUM = sa.func.sum(_CENTS)


@dataclass(frozen=True)
class CriterionScore:
    """One criterion of a quarter: points deducted, and the score left (never below 0)."""

    criterion: Criterion
    deducted: Decimal
    score: Decimal


@dataclass(frozen=True)
class DeductionLine:
    """An active deduction as shown to the employee; `counted` is False off their position."""

    id: int
    criterion: str
    points: Decimal
    reason: str
    occurred_at: datetime
    source: str
    counted: bool
    work_code_id: int | None = None  # the code a breach comes from, and its title
    work_code_title: str = ""


@dataclass(frozen=True)
class ScoreCard:
    """One employee's quarter: scores by criterion, total, class and latest deductions."""

    employee_id: int
    quarter: Quarter
    position: str
    criteria: tuple[CriterionScore, ...]
    total: Decimal
    classification: Classification
    deductions: tuple[DeductionLine, ...]  # active deductions of the quarter, newest first


@dataclass(frozen=True)
class ScoreRow:
    """One employee's line in the quarterly report or the team view."""

    employee_id: int
    code: str
    full_name: str
    unit: str
    position: str
    leader_code: str | None
    leader_name: str | None
    criteria: tuple[CriterionScore, ...]
    total: Decimal
    classification: Classification
    deduction_count: int  # active deductions in the quarter, counted or not


def score_card(
    *,
    session: Session,
    employee: Employee,
    quarter: Quarter,
    policy: Policy,
    tz: ZoneInfo,
    latest: int = 10,
) -> ScoreCard:
    """Score one employee for a quarter, with up to `latest` of its deductions (three queries)."""
    if latest < 0:
        raise ValueError(f"latest must be >= 0, got {latest}")
    employee_id = _id_of(employee)
    position = session.exec(
        select(PositionRow.code).where(col(PositionRow.id) == employee.position_id)
    ).one()
    criteria = policy.criteria_of(position)  # KeyError: a position the policy no longer has
    where = [col(Deduction.employee_id) == employee_id, *_counting(*quarter.bounds(tz))]
    sums = session.exec(
        select(Deduction.criterion, _CENTS_SUM).where(*where).group_by(col(Deduction.criterion))
    )
    scores, total = _score(criteria, {code: _from_cents(cents) for code, cents in sums})
    own = {criterion.code for criterion in criteria}
    return ScoreCard(
        employee_id=employee_id,
        quarter=quarter,
        position=position,
        criteria=scores,
        total=total,
        classification=policy.classify(total),
        deductions=_latest_lines(session, where, own, latest) if latest else (),
    )


def score_table(
    *,
    session: Session,
    quarter: Quarter,
    policy: Policy,
    tz: ZoneInfo,
    unit: str | None = None,
    employee_ids: Collection[int] | None = None,
) -> Iterator[ScoreRow]:
    """Stream one row per employee (by code), optionally of one unit (by name) or some ids.

    Two queries: the sums by (employee, criterion), held in memory, then the employees, streamed.
    Do not commit the session before the iteration ends: PostgreSQL streams from a cursor. For
    both to see one snapshot while the roster may change, run it in a REPEATABLE READ
    transaction. KeyError: an employee's position is not in the policy.
    """
    chosen = _chosen(unit, employee_ids)
    sums = _sums_by_employee(session, chosen, *quarter.bounds(tz))
    leader = aliased(Employee)
    # Kept apart from the sums: a join with the aggregate invites PostgreSQL, short of
    # statistics (say just after an import), into a nested loop over every pair.
    query = (
        sa.select(
            col(Employee.id),
            col(Employee.code),
            col(Employee.full_name),
            col(Unit.name),
            col(PositionRow.code),
            col(leader.code),
            col(leader.full_name),
        )
        .join(Unit, col(Unit.id) == col(Employee.unit_id))
        .join(PositionRow, col(PositionRow.id) == col(Employee.position_id))
        .outerjoin(leader, col(leader.id) == col(Employee.leader_id))
        .where(*chosen)
        .order_by(col(Employee.code))
        .execution_options(yield_per=_BATCH)
    )
    for row in session.execute(query):
        yield _row_of(tuple(row), sums.get(row[0], ()), policy)


def history(
    *,
    session: Session,
    employee: Employee,
    policy: Policy,
    tz: ZoneInfo,
    quarter: Quarter,
    count: int = 4,
) -> list[tuple[Quarter, Decimal]]:
    """Totals of the `count` quarters ending at `quarter`, oldest first (two queries)."""
    if count < 1:
        raise ValueError(f"count must be >= 1, got {count}")
    quarters = [quarter]
    while len(quarters) < count:
        quarters.insert(0, quarters[0].previous())
    position = session.exec(
        select(PositionRow.code).where(col(PositionRow.id) == employee.position_id)
    ).one()
    criteria = policy.criteria_of(position)
    start, end = quarters[0].bounds(tz)[0], quarter.bounds(tz)[1]
    rows = session.exec(
        select(Deduction.criterion, Deduction.occurred_at, _CENTS).where(
            col(Deduction.employee_id) == _id_of(employee), *_counting(start, end)
        )
    )
    deducted: dict[Quarter, dict[str, Decimal]] = {q: {} for q in quarters}
    for code, occurred_at, cents in rows:
        by_code = deducted[Quarter.of(occurred_at, tz)]
        by_code[code] = by_code.get(code, _ZERO) + _from_cents(cents)
    return [(q, _score(criteria, deducted[q])[1]) for q in quarters]


# --- queries -----------------------------------------------------------------------------------


def _counting(start: datetime, end: datetime) -> list[sa.ColumnElement[bool]]:
    """Conditions for deductions that count in [start, end): active and dated in it."""
    reversal = aliased(Deduction)
    return [
        col(Deduction.occurred_at) >= start,
        col(Deduction.occurred_at) < end,
        # `+ 0` keeps SQLite off the unique index on reverses_id: it takes IS NULL there for a
        # one-row lookup, while nearly every row matches, instead of the employee's range.
        (col(Deduction.reverses_id) + 0).is_(None),
        # reverses_id is unique, hence indexed: an anti-join, not a scan per row.
        ~sa.exists().where(col(reversal.reverses_id) == col(Deduction.id)),
    ]


def _chosen(unit: str | None, employee_ids: Collection[int] | None) -> list[sa.ColumnElement[bool]]:
    """Conditions on Employee selecting the unit (by name) and the ids asked for."""
    conditions: list[sa.ColumnElement[bool]] = []
    if unit is not None:
        unit_id = select(Unit.id).where(col(Unit.name) == unit).correlate(None).scalar_subquery()
        conditions.append(col(Employee.unit_id) == unit_id)
    if employee_ids is not None:
        conditions.append(col(Employee.id).in_(list(employee_ids)))
    return conditions


def _sums_by_employee(
    session: Session, chosen: Sequence[sa.ColumnElement[bool]], start: datetime, end: datetime
) -> dict[int, list[tuple[str, int, int]]]:
    """(criterion, cents, count) of the chosen employees' active deductions in [start, end)."""
    query = (
        select(Deduction.employee_id, Deduction.criterion, _CENTS_SUM, sa.func.count())
        .where(*_counting(start, end))
        .group_by(col(Deduction.employee_id), col(Deduction.criterion))
        .execution_options(yield_per=_BATCH)
    )
    if chosen:  # filter before grouping: the team view then reads a few index ranges only
        query = query.where(col(Deduction.employee_id).in_(select(Employee.id).where(*chosen)))
    sums: dict[int, list[tuple[str, int, int]]] = {}
    for employee_id, criterion, cents, count in session.exec(query):
        sums.setdefault(employee_id, []).append((sys.intern(criterion), cents, count))
    return sums


def _latest_lines(
    session: Session, where: Sequence[sa.ColumnElement[bool]], own: Collection[str], latest: int
) -> tuple[DeductionLine, ...]:
    """The newest `latest` deductions matching `where`; `own` are the criteria that count."""
    rows = session.exec(
        select(Deduction, _CENTS, WorkCode.title)
        .outerjoin(WorkCode, col(WorkCode.id) == col(Deduction.work_code_id))
        .where(*where)
        .order_by(col(Deduction.occurred_at).desc(), col(Deduction.id).desc())
        .limit(latest)
    )
    return tuple(
        DeductionLine(
            id=_id_of(row),
            criterion=row.criterion,
            points=_from_cents(cents),
            reason=row.reason,
            occurred_at=row.occurred_at,
            source=row.source,
            counted=row.criterion in own,
            work_code_id=row.work_code_id,
            work_code_title=title or "",
        )
        for row, cents, title in rows
    )


# --- arithmetic --------------------------------------------------------------------------------


def _row_of(
    person: tuple[Any, ...], sums: Sequence[tuple[str, int, int]], policy: Policy
) -> ScoreRow:
    """An employee's row from its roster columns and its (criterion, cents, count) sums."""
    employee_id, code, full_name, unit, position, leader_code, leader_name = person
    scores, total = _score(
        policy.criteria_of(position),
        {criterion: _from_cents(cents) for criterion, cents, _count in sums},
    )
    return ScoreRow(
        employee_id=employee_id,
        code=code,
        full_name=full_name,
        unit=unit,
        position=position,
        leader_code=leader_code,
        leader_name=leader_name,
        criteria=scores,
        total=total,
        classification=policy.classify(total),
        deduction_count=sum(count for _c, _p, count in sums),
    )


def _score(
    criteria: Sequence[Criterion], deducted: Mapping[str, Decimal]
) -> tuple[tuple[CriterionScore, ...], Decimal]:
    """Criterion scores and their total; deductions on other criteria are ignored."""
    scores = tuple(
        CriterionScore(
            criterion=criterion,
            deducted=deducted.get(criterion.code, _ZERO),
            score=max(_ZERO, criterion.max_points - deducted.get(criterion.code, _ZERO)),
        )
        for criterion in criteria
    )
    total = sum((score.score for score in scores), _ZERO)
    return scores, total


def _from_cents(cents: int | None) -> Decimal:
    """Points with two places from whole cents (a missing sum is 0.00)."""
    return Decimal(cents or 0).scaleb(-2)


def _id_of(row: Employee | Deduction) -> int:
    """The row's id; a row never flushed has none."""
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has no id yet: flush it first")
    return row.id
