"""The task-results criteria of a period (§7), computed from the facts of the tasks due in it.

Over the tasks due in the period (weights w in converted units, done tasks D):

- quantity = max × min(1, Σw(D) / Σw(all));
- quality = max × Σ_D w·max(0, 1 − 0.25·errors) / Σw(D);
- progress = max × Σ_D w·max(0, 1 − 0.25·delays) / Σw(D);
- spearhead = max × Σ_{D∩S} w·max(0, 1 − 0.25·(errors + delays)) / Σw(S), S the spearhead tasks;
- unit results (leaders) = max when every direct report is rated Hoàn thành nhiệm vụ or better,
  half of it otherwise.

Excused faults cost nothing. With no task due, each criterion is its maximum. With tasks due but
none done, quality and progress are 0: there is no product to judge. Each result is rounded to
cents (half up). Every result comes with an `Explanation`: the counts it was computed from.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from kpi.policy import (
    TASK_PROGRESS,
    TASK_QUALITY,
    TASK_QUANTITY,
    UNIT_RESULTS,
    Criterion,
    CriterionType,
    Policy,
)
from kpi.tasks import TaskCount

FAULT_SHARE = Decimal("0.25")  # of a product's points, per major error or delay (Decree 335)
_CENT = Decimal("0.01")
_ZERO = Decimal(0)
_ONE = Decimal(1)
_HALF = Decimal("0.5")


class Measure(StrEnum):
    """What a computed criterion measures."""

    QUANTITY = "quantity"
    QUALITY = "quality"
    PROGRESS = "progress"
    SPEARHEAD = "spearhead"
    UNIT_RESULTS = "unit_results"
    YEAR = "year"  # a year's criterion: the mean of its quarters


@dataclass(frozen=True)
class Explanation:
    """The counts behind one computed criterion, for a line such as "8 of 10 units done"."""

    measure: Measure
    tasks: int = 0  # tasks due in the period (spearhead ones for SPEARHEAD)
    done: int = 0  # of which done
    units: Decimal = _ZERO  # their converted units
    units_done: Decimal = _ZERO
    faulted: int = 0  # done tasks that lost points to this measure's faults
    faults: int = 0  # faults that cost points
    excused: int = 0  # faults excused as an objective cause
    reports: int = 0  # UNIT_RESULTS: direct reports
    reports_below: int = 0  # of which rated below Hoàn thành nhiệm vụ
    quarters: tuple[Decimal, ...] = ()  # YEAR: the quarters' scores of the criterion


@dataclass(frozen=True)
class Computed:
    """A criterion's points before deductions, and why."""

    points: Decimal
    explanation: Explanation


def counted_criteria(
    criteria: Sequence[Criterion], counts: Sequence[TaskCount], policy: Policy
) -> dict[str, Computed]:
    """The computed task criteria of one person's position, by code (unit results aside), from
    their tasks counted alike (`kpi.tasks.count_tasks`, `kpi.tasks.task_counts`)."""
    kinds = {code: policy.task_type(code) for code in {count.type for count in counts}}
    # Each count's converted units, weighed once for all the criteria.
    weighed = [(kinds[count.type].weight * count.tasks, count) for count in counts]
    every = _Weighed.of(weighed)  # what quantity, quality and progress share
    found: dict[str, Computed] = {}
    for criterion in criteria:
        if criterion.code == TASK_QUANTITY:
            found[criterion.code] = _quantity(criterion.max_points, every)
        elif criterion.code == TASK_QUALITY:
            found[criterion.code] = _judged(criterion.max_points, every, Measure.QUALITY)
        elif criterion.code == TASK_PROGRESS:
            found[criterion.code] = _judged(criterion.max_points, every, Measure.PROGRESS)
        elif criterion.type is CriterionType.SPEARHEAD:
            key = _Weighed.of([(u, c) for u, c in weighed if kinds[c.type].spearhead])
            found[criterion.code] = _judged(criterion.max_points, key, Measure.SPEARHEAD)
    return found


@dataclass(frozen=True, slots=True)
class _Weighed:
    """Tasks counted alike with their converted units, the done ones apart, and the sums."""

    tasks: int
    done: Sequence[tuple[Decimal, TaskCount]]
    units: Decimal
    units_done: Decimal

    @classmethod
    def of(cls, weighed: Sequence[tuple[Decimal, TaskCount]]) -> _Weighed:
        done = [(u, c) for u, c in weighed if c.done]
        units = sum((u for u, _c in weighed), _ZERO)
        units_done = sum((u for u, _c in done), _ZERO)
        return cls(sum(c.tasks for _u, c in weighed), done, units, units_done)


def unit_results(criterion: Criterion, reports: int, below: int) -> Computed:
    """A leader's unit results from how many direct reports are rated below Hoàn thành."""
    share = _HALF if below else _ONE
    explanation = Explanation(Measure.UNIT_RESULTS, reports=reports, reports_below=below)
    return Computed(_cents(criterion.max_points * share), explanation)


def needs_unit_results(criteria: Iterable[Criterion]) -> bool:
    """Whether a position's criteria include the unit results."""
    return any(criterion.code == UNIT_RESULTS for criterion in criteria)


def year_mean(quarters: Sequence[Decimal]) -> Computed:
    """A year's criterion: the mean of its quarters' scores, rounded to cents."""
    mean = sum(quarters, _ZERO) / len(quarters)
    return Computed(_cents(mean), Explanation(Measure.YEAR, quarters=tuple(quarters)))


def _quantity(maximum: Decimal, weighed: _Weighed) -> Computed:
    units, units_done = weighed.units, weighed.units_done
    share = min(_ONE, units_done / units) if units else _ONE
    done = sum(count.tasks for _w, count in weighed.done)
    explanation = Explanation(Measure.QUANTITY, weighed.tasks, done, units, units_done)
    return Computed(_cents(maximum * share), explanation)


def _judged(maximum: Decimal, weighed: _Weighed, measure: Measure) -> Computed:
    """Quality, progress or spearhead: the done tasks' weights, less 25% per counted fault."""
    # Quality weighs the errors, progress the delays, spearhead both.
    errors = int(measure is not Measure.PROGRESS)
    delays = int(measure is not Measure.QUALITY)
    units, units_done = weighed.units, weighed.units_done
    kept = _ZERO
    done = faulted = faults = excused = 0
    for units_of, count in weighed.done:
        done += count.tasks
        counted = errors * count.errors + delays * count.delays
        excused += count.tasks * (errors * count.excused_errors + delays * count.excused_delays)
        if counted:
            faults += count.tasks * counted
            faulted += count.tasks
            kept += units_of * max(_ZERO, _ONE - FAULT_SHARE * counted)
        else:
            kept += units_of
    base = units if measure is Measure.SPEARHEAD else units_done
    if not weighed.tasks:
        share = _ONE
    else:
        share = kept / base if base else _ZERO
    explanation = Explanation(
        measure, weighed.tasks, done, units, units_done, faulted, faults, excused
    )
    return Computed(_cents(maximum * share), explanation)


def _cents(points: Decimal) -> Decimal:
    return points.quantize(_CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class TaskTally:
    """One person's tasks due in a period, for the report's task columns."""

    tasks: int = 0
    done: int = 0
    units: Decimal = _ZERO
    units_done: Decimal = _ZERO
    errors: int = 0  # counted quality errors
    delays: int = 0  # counted delays
    excused: int = 0


def counted_tally(counts: Sequence[TaskCount], policy: Policy) -> TaskTally:
    """Count a person's tasks, converted units, and counted and excused faults, from their tasks
    counted alike."""
    units = units_done = _ZERO
    tasks = done = errors = delays = excused = 0
    for count in counts:
        weighed = policy.task_type(count.type).weight * count.tasks
        tasks += count.tasks
        units += weighed
        errors += count.errors * count.tasks
        delays += count.delays * count.tasks
        excused += (count.excused_errors + count.excused_delays) * count.tasks
        if count.done:
            done += count.tasks
            units_done += weighed
    return TaskTally(tasks, done, units, units_done, errors, delays, excused)
