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
from kpi.tasks import TaskFacts
from models import FaultKind

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


def task_criteria(
    criteria: Sequence[Criterion], facts: Sequence[TaskFacts], policy: Policy
) -> dict[str, Computed]:
    """The computed task criteria of one person's position, by code (unit results aside)."""
    kinds = {code: policy.task_type(code) for code in {fact.type for fact in facts}}
    weighed = [(kinds[fact.type].weight, fact) for fact in facts]
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
            key = _Weighed.of([(w, f) for w, f in weighed if kinds[f.type].spearhead])
            found[criterion.code] = _judged(criterion.max_points, key, Measure.SPEARHEAD)
    return found


@dataclass(frozen=True, slots=True)
class _Weighed:
    """Tasks with their weights, the done ones apart, and the sums of both."""

    tasks: Sequence[tuple[Decimal, TaskFacts]]
    done: Sequence[tuple[Decimal, TaskFacts]]
    units: Decimal
    units_done: Decimal

    @classmethod
    def of(cls, weighed: Sequence[tuple[Decimal, TaskFacts]]) -> _Weighed:
        done = [(w, f) for w, f in weighed if f.done]
        units = sum((w for w, _f in weighed), _ZERO)
        return cls(weighed, done, units, sum((w for w, _f in done), _ZERO))


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
    explanation = Explanation(
        Measure.QUANTITY, len(weighed.tasks), len(weighed.done), units, units_done
    )
    return Computed(_cents(maximum * share), explanation)


def _judged(maximum: Decimal, weighed: _Weighed, measure: Measure) -> Computed:
    """Quality, progress or spearhead: the done tasks' weights, less 25% per counted fault."""
    kinds = _KINDS[measure]
    units, units_done = weighed.units, weighed.units_done
    kept = _ZERO
    faulted = faults = excused = 0
    for weight, fact in weighed.done:
        if not fact.faults:
            kept += weight  # the whole product's points
            continue
        own = [fault for fault in fact.faults if fault.kind in kinds]
        counted = sum(1 for fault in own if not fault.excused)
        excused += len(own) - counted
        faults += counted
        faulted += counted > 0
        kept += weight * max(_ZERO, _ONE - FAULT_SHARE * counted)
    base = units if measure is Measure.SPEARHEAD else units_done
    if not weighed.tasks:
        share = _ONE
    else:
        share = kept / base if base else _ZERO
    explanation = Explanation(
        measure,
        len(weighed.tasks),
        len(weighed.done),
        units,
        units_done,
        faulted,
        faults,
        excused,
    )
    return Computed(_cents(maximum * share), explanation)


_KINDS = {
    Measure.QUALITY: {FaultKind.ERROR},
    Measure.PROGRESS: {FaultKind.DELAY},
    Measure.SPEARHEAD: {FaultKind.ERROR, FaultKind.DELAY},
}


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


def tally(facts: Sequence[TaskFacts], policy: Policy) -> TaskTally:
    """Count a person's tasks, converted units, and counted and excused faults."""
    counted = [fault for fact in facts for fault in fact.faults if not fault.excused]
    return TaskTally(
        tasks=len(facts),
        done=sum(1 for fact in facts if fact.done),
        units=sum((policy.task_type(fact.type).weight for fact in facts), _ZERO),
        units_done=sum((policy.task_type(f.type).weight for f in facts if f.done), _ZERO),
        errors=sum(1 for fault in counted if fault.kind is FaultKind.ERROR),
        delays=sum(1 for fault in counted if fault.kind is FaultKind.DELAY),
        excused=sum(1 for fact in facts for fault in fact.faults if fault.excused),
    )
