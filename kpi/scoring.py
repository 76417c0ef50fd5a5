"""Period scores (§4, §7): criterion scores, totals and classifications.

Every criterion is its maximum less its active deductions; with `task_scoring =
"assigned_tasks"`, the task-results criteria start instead from what the tasks due in the period
earn (kpi.task_results), leaders' unit results from their direct reports' ratings, and a forced
rating sets the class to the lowest whatever the total. A year is the mean of its quarters.

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
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any, Generic, NamedTuple
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select
from typing_extensions import TypeVar

from kpi.bulk import beside, collector_paused, plain_rows
from kpi.org import direct_reports, direct_reports_of
from kpi.periods import Month, Period, Year
from kpi.periods import Quarter as Quarter  # where every caller has found it
from kpi.policy import UNIT_RESULTS, Classification, Criterion, Policy, TaskScoring
from kpi.ratings import forced_in, forced_of
from kpi.task_results import (
    Computed,
    Explanation,
    TaskTally,
    counted_criteria,
    counted_tally,
    needs_unit_results,
    unit_results,
    year_mean,
)
from kpi.tasks import TaskCount, TaskFacts, count_tasks, task_counts, task_facts_of
from models import Deduction, Employee, ForcedRating, Task, Unit, WorkCode
from models import Position as PositionRow
from models.db import read

_ZERO = Decimal("0.00")
# Whole cents: exact on PostgreSQL's numeric and on SQLite, which stores NUMERIC as REAL.
_CENTS = sa.cast(sa.func.round(col(Deduction.points) * 100), sa.Integer)
_CENTS_SUM = sa.func.sum(_CENTS)


@dataclass(frozen=True)
class CriterionScore:
    """One criterion of a period: points deducted, and the score left (never below 0).

    A computed criterion (§7) starts from `explanation`'s earned points instead of the maximum.
    """

    criterion: Criterion
    deducted: Decimal
    score: Decimal
    explanation: Explanation | None = None
    earned: Decimal | None = None  # a computed criterion's points before deductions


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


# A card of a quarter unless told: the cards most callers show are quarters.
P = TypeVar("P", Month, Quarter, Year, default=Quarter)


@dataclass(frozen=True)
class ScoreCard(Generic[P]):
    """One employee's period: scores by criterion, total, class and latest deductions.

    `quarter` is the period scored: a month, a quarter or a year.
    """

    employee_id: int
    quarter: P
    position: str
    criteria: tuple[CriterionScore, ...]
    total: Decimal
    classification: Classification
    deductions: tuple[DeductionLine, ...]  # active deductions of the period, newest first
    forced: ForcedRating | None = None  # sets the class to the lowest whatever the total
    tasks: TaskTally | None = None  # with task_scoring = "assigned_tasks"


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
    deduction_count: int  # active deductions in the period, counted or not
    forced: ForcedRating | None = None
    tasks: TaskTally | None = None


def score_card(
    *,
    session: Session,
    employee: Employee,
    quarter: P,
    policy: Policy,
    tz: ZoneInfo,
    latest: int = 10,
) -> ScoreCard[P]:
    """Score one employee for a period, with up to `latest` of its deductions.

    Three queries with `task_scoring = "deductions"`; assigned tasks add one, a forced rating
    one, and a leader's unit results score their direct reports (and, below, those who have
    unit results too).
    """
    if latest < 0:
        raise ValueError(f"latest must be >= 0, got {latest}")
    employee_id = _id_of(employee)
    position = read(session, _POSITION, {"id": employee.position_id}).scalar_one()
    criteria = policy.criteria_of(position)  # KeyError: a position the policy no longer has
    start, end = quarter.bounds(tz)
    own_deductions = {"employee_id": employee_id, "start": start, "end": end}
    own = {criterion.code for criterion in criteria}
    lines = _latest_lines(session, own_deductions, own, latest) if latest else ()
    if isinstance(quarter, Year):
        parts = [
            score_card(
                session=session, employee=employee, quarter=q, policy=policy, tz=tz, latest=0
            )
            for q in quarter.quarters()
        ]
        scores, total = _mean_of(criteria, [part.criteria for part in parts])
        tasks = None
    else:
        sums = read(session, _OWN_SUMS, own_deductions)
        deducted = {code: _from_cents(cents) for code, cents in sums}
        scorer = _Scorer(session, quarter, policy, tz)
        counts = scorer.counts_of([employee_id]).get(employee_id, []) if scorer.assigned else []
        computed = scorer.counted(employee_id, criteria, counts)
        scores, total = _score(criteria, deducted, computed)
        tasks = counted_tally(counts, policy) if scorer.assigned else None
    assigned = policy.task_scoring is TaskScoring.ASSIGNED_TASKS
    forced = forced_of(session, quarter, [employee_id]).get(employee_id) if assigned else None
    return ScoreCard(
        employee_id=employee_id,
        quarter=quarter,
        position=position,
        criteria=scores,
        total=total,
        classification=_classify(policy, total, forced),
        deductions=lines,
        forced=forced,
        tasks=tasks,
    )


def score_table(
    *,
    session: Session,
    quarter: Period,
    policy: Policy,
    tz: ZoneInfo,
    unit: str | None = None,
    employee_ids: Collection[int] | None = None,
    ahead: bool = False,
) -> Iterator[ScoreRow]:
    """Stream one row per employee (by code), optionally of one unit (by name) or some ids.

    Two queries with `task_scoring = "deductions"`: the sums by (employee, criterion), held in
    memory, then the employees, streamed; assigned tasks add each person's tasks counted in SQL
    (one query) and, per leader with unit results, their direct reports' rows (looked up in
    what the table of everyone read). A year is its four quarters' tables merged. Do not commit
    the session before the iteration ends: PostgreSQL streams from a cursor. For all to see one
    snapshot while the roster may change, run it in a REPEATABLE READ transaction. KeyError: an
    employee's position is not in the policy.

    `ahead` starts counting a quarter's or month's tasks at once (`kpi.bulk.beside`): on
    PostgreSQL the server counts them while the caller does other work before iterating (the
    report reads its deductions).
    """
    chosen = _chosen(unit, employee_ids)
    if isinstance(quarter, Year):
        return _year_table(session, quarter, policy, tz, chosen)
    return _Scorer(session, quarter, policy, tz).rows(chosen, ahead)


def history(
    *,
    session: Session,
    employee: Employee,
    policy: Policy,
    tz: ZoneInfo,
    quarter: Quarter,
    count: int = 4,
) -> list[tuple[Quarter, Decimal | None]]:
    """Totals of the `count` quarters ending at `quarter`, oldest first; None for a quarter
    that ended before the employee joined (see `before_joining`).

    Two queries with `task_scoring = "deductions"`; otherwise one card per quarter.
    """
    if count < 1:
        raise ValueError(f"count must be >= 1, got {count}")
    quarters = [quarter]
    while len(quarters) < count:
        quarters.insert(0, quarters[0].previous())
    if policy.task_scoring is TaskScoring.ASSIGNED_TASKS:
        return [
            (
                q,
                None
                if before_joining(employee, q, tz)
                else score_card(
                    session=session, employee=employee, quarter=q, policy=policy, tz=tz, latest=0
                ).total,
            )
            for q in quarters
        ]
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
    return [
        (q, None if before_joining(employee, q, tz) else _score(criteria, deducted[q])[1])
        for q in quarters
    ]


def before_joining(employee: Employee, period: Period, tz: ZoneInfo) -> bool:
    """Whether the period ended before the employee joined (unknown joining: never)."""
    joined = employee.joined_at
    return joined is not None and period.bounds(tz)[1] <= joined


@dataclass(frozen=True)
class PeriodDeduction:
    """An active deduction of a period, with whom it is on and the work code of a breach."""

    id: int
    code: str  # the employee's
    full_name: str
    criterion: str
    points: Decimal
    occurred_at: datetime
    reason: str
    work_code_id: int | None
    work_code_title: str


def period_deductions(
    *, session: Session, period: Period, tz: ZoneInfo, unit: str | None = None
) -> list[PeriodDeduction]:
    """The deductions that count in a period (reversed ones and reversals left out, as in the
    scores), of one unit (by name) or all, by employee code then date."""
    # Columns, not Deduction and Employee objects: a quarter has hundreds of thousands.
    rows = plain_rows(
        session,
        sa.select(
            col(Deduction.id),
            col(Employee.code),
            col(Employee.full_name),
            col(Deduction.criterion),
            _CENTS,
            col(Deduction.occurred_at),
            col(Deduction.reason),
            col(Deduction.work_code_id),
            col(WorkCode.title),
        )
        .join(Employee, col(Employee.id) == col(Deduction.employee_id))
        .outerjoin(WorkCode, col(WorkCode.id) == col(Deduction.work_code_id))
        .where(*_counting(*period.bounds(tz)), *_chosen(unit, None))
        .order_by(col(Employee.code), col(Deduction.occurred_at), col(Deduction.id)),
    )
    with collector_paused():  # a quarter has hundreds of thousands
        return [
            PeriodDeduction(
                id=row[0],
                code=row[1],
                full_name=row[2],
                criterion=row[3],
                points=_from_cents(row[4]),
                occurred_at=row[5],
                reason=row[6],
                work_code_id=row[7],
                work_code_title=row[8] or "",
            )
            for row in rows
        ]


class _Loaded(NamedTuple):
    """What a table of scores reads before its rows: deduction sums, tasks, forced ratings."""

    sums: dict[int, list[tuple[str, int, int]]]
    counts: dict[int, list[TaskCount]]
    forced: dict[int, ForcedRating]


# Made once: a new alias builds its column collection again on first use, a few milliseconds of
# CPU for every score card. An alias names no state; statements share it freely.
_LEADER = aliased(Employee)


class _Scorer:
    """Scores the employees of a month or quarter; remembers whom it rated, for unit results."""

    def __init__(self, session: Session, period: Period, policy: Policy, tz: ZoneInfo) -> None:
        self.session, self.period, self.policy, self.tz = session, period, policy, tz
        self.assigned = policy.task_scoring is TaskScoring.ASSIGNED_TASKS
        self.rated: dict[int, Classification] = {}
        # Everyone's sums, task facts and forced ratings, once a table of everyone read them:
        # the direct reports a leader's unit results need are then looked up, not read again.
        self.everyone: _Loaded | None = None
        self.reports: dict[int, list[int]] = {}  # of the leaders `classes` rated with unit results

    def rows(
        self, chosen: Sequence[sa.ColumnElement[bool]], ahead: bool = False
    ) -> Iterator[ScoreRow]:
        """One row per chosen employee, by code; `ahead` as in `score_table`."""

        def counting(session: Session) -> dict[int, list[TaskCount]]:
            return self.counts(session, chosen) if self.assigned else {}

        if ahead and self.assigned:
            return self._rows(chosen, beside(self.session, counting))
        return self._rows(chosen, lambda: counting(self.session))

    def _rows(
        self,
        chosen: Sequence[sa.ColumnElement[bool]],
        counted: Callable[[], dict[int, list[TaskCount]]],
    ) -> Iterator[ScoreRow]:
        session, period = self.session, self.period
        if self.everyone is not None:
            sums, counts, forced = self.everyone
        else:
            sums = _sums_by_employee(session, chosen, *period.bounds(self.tz))
            counts = counted()
            forced = _forced(session, period, self.policy, chosen)
            if not chosen:
                self.everyone = _Loaded(sums, counts, forced)
        query = _ROSTER.where(*chosen)
        yield from self._rated(plain_rows(session, query), sums, counts, forced)

    def _loaded_of(self, employee_ids: Collection[int]) -> _Loaded:
        """What `_rated` needs for these employees, from statements built once (or looked up in
        what a table of everyone read)."""
        if self.everyone is not None:
            return self.everyone
        sums = _sums_of(self.session, employee_ids, *self.period.bounds(self.tz))
        counts = self.counts_of(employee_ids) if self.assigned else {}
        forced = forced_of(self.session, self.period, employee_ids) if self.assigned else {}
        return _Loaded(sums, counts, forced)

    def _rated(
        self,
        roster: Iterable[Sequence[Any]],
        sums: Mapping[int, Sequence[tuple[str, int, int]]],
        counts: Mapping[int, Sequence[TaskCount]],
        forced: Mapping[int, ForcedRating],
    ) -> Iterator[ScoreRow]:
        """A row for each line of `_ROSTER`, from what was read for them; remembers classes."""
        for row in roster:
            person = tuple(row)
            employee_id, criteria = person[0], self.policy.criteria_of(person[4])
            own = counts.get(employee_id, [])
            computed = self.counted(employee_id, criteria, own)
            result = _row_of(person, sums.get(employee_id, ()), self.policy, computed)
            result = replace(
                result,
                forced=forced.get(employee_id),
                classification=_classify(self.policy, result.total, forced.get(employee_id)),
                tasks=counted_tally(own, self.policy) if self.assigned else None,
            )
            self.rated[employee_id] = result.classification
            yield result

    def counts_of(self, employee_ids: Collection[int]) -> dict[int, list[TaskCount]]:
        """`counts` of the employees of these ids, from a statement built once: their tasks'
        facts, counted alike."""
        first, last = self.period.first_day, self.period.last_day
        facts = _by_employee(task_facts_of(self.session, employee_ids, first, last, self.tz))
        return {employee_id: task_counts(own) for employee_id, own in facts.items()}

    def counts(
        self, session: Session, chosen: Sequence[sa.ColumnElement[bool]]
    ) -> dict[int, list[TaskCount]]:
        """The chosen employees' tasks due in the period, counted alike in SQL (by `session`),
        by employee."""
        where = [col(Task.employee_id).in_(select(Employee.id).where(*chosen))] if chosen else []
        period = self.period
        return count_tasks(session, period.first_day, period.last_day, where, self.tz)

    def counted(
        self, employee_id: int, criteria: Sequence[Criterion], counts: Sequence[TaskCount]
    ) -> dict[str, Computed]:
        """The computed criteria of one employee from their tasks counted alike (none with
        task_scoring = "deductions")."""
        if not self.assigned:
            return {}
        found = counted_criteria(criteria, counts, self.policy)
        if needs_unit_results(criteria):
            reports = self.reports.get(employee_id)
            if reports is None:
                reports = direct_reports(self.session, employee_id)
            classes = self.classes(reports)
            lowest = self.policy.classifications[-1]
            below = sum(1 for report in reports if classes[report] == lowest)
            for criterion in criteria:
                if criterion.code == UNIT_RESULTS:
                    found[criterion.code] = unit_results(criterion, len(reports), below)
        return found

    def classes(self, employee_ids: Collection[int]) -> dict[int, Classification]:
        """The classification of each of these employees for the period."""
        missing = [employee_id for employee_id in employee_ids if employee_id not in self.rated]
        if missing:
            roster = list(read(self.session, _ROSTER_OF, {"ids": missing}))
            # The reports of those whose unit results need them first, all of a level at once:
            # one batch per level costs a few queries where one per leader cost hundreds.
            leading = [row[0] for row in roster if self._needs_reports(row[4])]
            if leading:
                reports = direct_reports_of(self.session, leading)
                self.reports.update(reports)
                below = [report for found in reports.values() for report in found]
                if below:
                    self.classes(below)
            for _row in self._rated(roster, *self._loaded_of(missing)):
                pass  # _rated() remembers each class
        return {employee_id: self.rated[employee_id] for employee_id in employee_ids}

    def _needs_reports(self, position: str) -> bool:
        """Whether this position's score needs its holder's direct reports rated."""
        return self.assigned and needs_unit_results(self.policy.criteria_of(position))


def _by_employee(facts: Iterable[TaskFacts]) -> dict[int, list[TaskFacts]]:
    """Task facts by employee, in the order read."""
    found: dict[int, list[TaskFacts]] = {}
    for fact in facts:
        found.setdefault(fact.employee_id, []).append(fact)
    return found


def _year_table(
    session: Session,
    year: Year,
    policy: Policy,
    tz: ZoneInfo,
    chosen: Sequence[sa.ColumnElement[bool]],
) -> Iterator[ScoreRow]:
    """A year's rows: each criterion the mean of the year's quarters (every quarter in memory)."""
    parts = [list(_Scorer(session, q, policy, tz).rows(chosen)) for q in year.quarters()]
    forced = _forced(session, year, policy, chosen)
    sums = _sums_by_employee(session, chosen, *year.bounds(tz))
    deducted = {who: sum(count for _c, _p, count in rows) for who, rows in sums.items()}
    for rows in zip(*parts, strict=True):
        first = rows[0]
        scores, total = _mean_of(policy.criteria_of(first.position), [r.criteria for r in rows])
        yield replace(
            first,
            criteria=scores,
            total=total,
            classification=_classify(policy, total, forced.get(first.employee_id)),
            forced=forced.get(first.employee_id),
            deduction_count=deducted.get(first.employee_id, 0),
            tasks=None,
        )


# --- queries -----------------------------------------------------------------------------------


# The reversals of a deduction, made once: a new alias per query costs more than the query.
_REVERSAL = aliased(Deduction)


def _counting(
    start: datetime | sa.BindParameter[datetime], end: datetime | sa.BindParameter[datetime]
) -> list[sa.ColumnElement[bool]]:
    """Conditions for deductions that count in [start, end): active and dated in it."""
    reversal = _REVERSAL
    return [
        col(Deduction.occurred_at) >= start,
        col(Deduction.occurred_at) < end,
        # `+ 0` keeps SQLite off the unique index on reverses_id: it takes IS NULL there for a
        # one-row lookup, while nearly every row matches, instead of the employee's range.
        (col(Deduction.reverses_id) + 0).is_(None),
        # reverses_id is unique, hence indexed: an anti-join, not a scan per row.
        ~sa.exists().where(col(reversal.reverses_id) == col(Deduction.id)),
    ]


# A score card's own queries, built once with their parameters (the employee's id, the
# period's bounds): building a statement and its cache key anew costs more than running it.
_POSITION = sa.select(col(PositionRow.code)).where(col(PositionRow.id) == sa.bindparam("id"))
_OWN_DEDUCTIONS = [
    col(Deduction.employee_id) == sa.bindparam("employee_id"),
    *_counting(sa.bindparam("start"), sa.bindparam("end")),
]
_OWN_SUMS = (
    sa.select(col(Deduction.criterion), _CENTS_SUM)
    .where(*_OWN_DEDUCTIONS)
    .group_by(col(Deduction.criterion))
)
_OWN_LATEST = (
    sa.select(
        col(Deduction.id),
        col(Deduction.criterion),
        _CENTS,
        col(Deduction.reason),
        col(Deduction.occurred_at),
        col(Deduction.source),
        col(Deduction.work_code_id),
        col(WorkCode.title),
    )
    .outerjoin(WorkCode, col(WorkCode.id) == col(Deduction.work_code_id))
    .where(*_OWN_DEDUCTIONS)
    .order_by(col(Deduction.occurred_at).desc(), col(Deduction.id).desc())
    .limit(sa.bindparam("latest"))
)


_SUMS_OF = (
    sa.select(col(Deduction.employee_id), col(Deduction.criterion), _CENTS_SUM, sa.func.count())
    .where(
        *_counting(sa.bindparam("start"), sa.bindparam("end")),
        col(Deduction.employee_id).in_(sa.bindparam("ids", expanding=True)),
    )
    .group_by(col(Deduction.employee_id), col(Deduction.criterion))
)
# The roster columns of a row of scores; kept apart from the sums: a join with the aggregate
# invites PostgreSQL, short of statistics (say just after an import), into a nested loop over
# every pair.
_ROSTER = (
    sa.select(
        col(Employee.id),
        col(Employee.code),
        col(Employee.full_name),
        col(Unit.name),
        col(PositionRow.code),
        col(_LEADER.code),
        col(_LEADER.full_name),
    )
    .join(Unit, col(Unit.id) == col(Employee.unit_id))
    .join(PositionRow, col(PositionRow.id) == col(Employee.position_id))
    .outerjoin(_LEADER, col(_LEADER.id) == col(Employee.leader_id))
    .order_by(col(Employee.code))
)
_ROSTER_OF = _ROSTER.where(col(Employee.id).in_(sa.bindparam("ids", expanding=True)))


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
    )
    if chosen:  # filter before grouping: the team view then reads a few index ranges only
        query = query.where(col(Deduction.employee_id).in_(select(Employee.id).where(*chosen)))
    return _sums_in(plain_rows(session, query))


def _sums_of(
    session: Session, employee_ids: Collection[int], start: datetime, end: datetime
) -> dict[int, list[tuple[str, int, int]]]:
    """`_sums_by_employee` of the employees of these ids, from a statement built once."""
    params = {"ids": list(employee_ids), "start": start, "end": end}
    return _sums_in(read(session, _SUMS_OF, params))


def _sums_in(rows: Iterable[Sequence[Any]]) -> dict[int, list[tuple[str, int, int]]]:
    """The (employee, criterion, cents, count) rows by employee."""
    sums: dict[int, list[tuple[str, int, int]]] = {}
    for employee_id, criterion, cents, count in rows:
        sums.setdefault(employee_id, []).append((sys.intern(criterion), cents, count))
    return sums


def _latest_lines(
    session: Session, own_deductions: Mapping[str, Any], own: Collection[str], latest: int
) -> tuple[DeductionLine, ...]:
    """The newest `latest` of one employee's deductions counting in a period (`own_deductions`:
    the employee's id, the period's start and end); `own` are the criteria that count."""
    rows = read(session, _OWN_LATEST, {**own_deductions, "latest": latest})
    return tuple(
        DeductionLine(
            id=deduction_id,
            criterion=criterion,
            points=_from_cents(cents),
            reason=reason,
            occurred_at=occurred_at,
            source=source,
            counted=criterion in own,
            work_code_id=work_code_id,
            work_code_title=title or "",
        )
        for deduction_id, criterion, cents, reason, occurred_at, source, work_code_id, title in rows
    )


# --- arithmetic --------------------------------------------------------------------------------


def _row_of(
    person: tuple[Any, ...],
    sums: Sequence[tuple[str, int, int]],
    policy: Policy,
    computed: Mapping[str, Computed] | None = None,
) -> ScoreRow:
    """An employee's row from its roster columns and its (criterion, cents, count) sums."""
    employee_id, code, full_name, unit, position, leader_code, leader_name = person
    scores, total = _score(
        policy.criteria_of(position),
        {criterion: _from_cents(cents) for criterion, cents, _count in sums},
        computed,
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
    criteria: Sequence[Criterion],
    deducted: Mapping[str, Decimal],
    computed: Mapping[str, Computed] | None = None,
) -> tuple[tuple[CriterionScore, ...], Decimal]:
    """Criterion scores and their total; deductions on other criteria are ignored.

    A computed criterion starts from its earned points instead of its maximum.
    """
    scores = []
    for criterion in criteria:
        taken = deducted.get(criterion.code, _ZERO)
        earned = computed.get(criterion.code) if computed else None
        start = earned.points if earned else criterion.max_points
        scores.append(
            CriterionScore(
                criterion=criterion,
                deducted=taken,
                score=max(_ZERO, start - taken),
                explanation=earned.explanation if earned else None,
                earned=earned.points if earned else None,
            )
        )
    total = sum((score.score for score in scores), _ZERO)
    return tuple(scores), total


def _mean_of(
    criteria: Sequence[Criterion], parts: Sequence[Sequence[CriterionScore]]
) -> tuple[tuple[CriterionScore, ...], Decimal]:
    """A year's criteria: each the mean of its quarters' scores, rounded to cents."""
    scores = []
    for index, criterion in enumerate(criteria):
        quarters = [part[index] for part in parts]
        mean = year_mean([item.score for item in quarters])
        taken = sum((item.deducted for item in quarters), _ZERO)
        scores.append(CriterionScore(criterion, taken, mean.points, mean.explanation))
    return tuple(scores), sum((score.score for score in scores), _ZERO)


def _forced(
    session: Session, period: Period, policy: Policy, chosen: Sequence[sa.ColumnElement[bool]]
) -> dict[int, ForcedRating]:
    """The forced ratings of the period, which come with assigned tasks (§7)."""
    if policy.task_scoring is TaskScoring.ASSIGNED_TASKS:
        return forced_in(session, period, chosen)
    return {}


def _classify(policy: Policy, total: Decimal, forced: ForcedRating | None) -> Classification:
    """The class of a total, or the lowest class for a forced rating."""
    return policy.classifications[-1] if forced else policy.classify(total)


def _from_cents(cents: int | None) -> Decimal:
    """Points with two places from whole cents (a missing sum is 0.00)."""
    return Decimal(cents or 0).scaleb(-2)


def _id_of(row: Employee | Deduction) -> int:
    """The row's id; a row never flushed has none."""
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has no id yet: flush it first")
    return row.id
