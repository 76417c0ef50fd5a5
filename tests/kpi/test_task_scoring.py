"""The task-results score of a period (§7), table-driven: each case plays tasks, then scores."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlmodel import Session

from kpi.periods import Month, Period, Quarter, Year
from kpi.policy import Policy, TaskScoring
from kpi.ratings import force, reverse
from kpi.scoring import ScoreCard, ScoreRow, score_card, score_table
from kpi.task_results import Measure
from kpi.tasks import cancel, excuse, faults_of
from models import Employee
from tests.factories import HANOI, Org, local, make_deduction
from tests.kpi.task_steps import new_task, report, respond

Q4 = Quarter(2026, 4)


@dataclass(frozen=True)
class Play:
    """One task of a case: its type and due day, and what happens to it.

    `steps` are the leader's responses on its first code ("" leaves it pending, None opens
    no code); `again`, on a second code opened the same day (after a rejection, say); `late`
    opens the codes after the due day; `excused` has the director excuse every fault;
    `cancelled` cancels the task at the end.
    """

    type: str = "van_ban"
    due: str = "2026-11-20"
    steps: str | None = "a"
    late: bool = False
    excused: bool = False
    again: str | None = None
    cancelled: bool = False


def play(session: Session, policy: Policy, org: Org, plays: list[Play]) -> None:
    for number, item in enumerate(plays):
        task = new_task(
            session, policy, org.leader, org.staff, item.due, item.type, f"Việc {number}"
        )
        assert task.id is not None
        if item.steps is not None:
            due = date.fromisoformat(item.due)
            day = (due + timedelta(days=2) if item.late else due).isoformat()
            code = report(session, task, org.staff, on=day)
            respond(session, code, org.leader, org.staff, item.steps, on=day)
            if item.again is not None:
                second = report(session, task, org.staff, on=day)
                respond(session, second, org.leader, org.staff, item.again, on=day)
        if item.excused:
            for fault in faults_of(session, task.id, HANOI):
                excuse(
                    session=session,
                    task_id=task.id,
                    key=fault.key,
                    actor=org.director,
                    reason="Chờ số liệu của Bộ",
                    now=local("2026-12-01"),
                    tz=HANOI,
                )
        if item.cancelled:
            cancel(session=session, task_id=task.id, actor=org.leader, now=local("2026-12-02"))


def card(session: Session, employee: Employee, policy: Policy, period: Period = Q4) -> ScoreCard:
    return score_card(session=session, employee=employee, quarter=period, policy=policy, tz=HANOI)


def points(result: ScoreCard | ScoreRow) -> dict[str, Decimal]:
    return {item.criterion.code: item.score for item in result.criteria}


FULL = {"task_quantity": 20, "task_quality": 20, "task_progress": 20, "spearhead_tasks": 10}

CASES = [
    pytest.param([], FULL, id="no-tasks"),
    pytest.param([Play(), Play(type="bao_cao")], FULL, id="all-done"),
    pytest.param(
        [Play(), Play(), Play(steps=None)],
        {**FULL, "task_quantity": Decimal("13.33")},
        id="partly-done",
    ),
    pytest.param(
        [Play(), Play(type="de_an", steps="")],  # weights 1 done, 5 pending
        {**FULL, "task_quantity": Decimal("3.33"), "spearhead_tasks": 0},
        id="weights",
    ),
    pytest.param(
        [Play(type="bao_cao", steps="oa"), Play()],  # (2 × 0.75 + 1) / 3 of the quality points
        {**FULL, "task_quality": Decimal("16.67")},
        id="one-error",
    ),
    pytest.param(
        [Play(late=True), Play(late=True)],
        {**FULL, "task_progress": 15},
        id="two-delays",
    ),
    pytest.param([Play(late=True, excused=True)], FULL, id="excused-delay"),
    pytest.param(
        [Play(type="de_an", steps="oa", late=True)],  # an error and a delay: −50% spearhead
        {**FULL, "task_quality": 15, "task_progress": 15, "spearhead_tasks": 5},
        id="spearhead",
    ),
    pytest.param(
        [Play(steps="r"), Play()],  # a rejected report: not done, one error, not judged
        {**FULL, "task_quantity": 10},
        id="rejected-not-done",
    ),
    pytest.param(
        [Play(steps="")],
        {**FULL, "task_quality": 0, "task_progress": 0, "task_quantity": 0},
        id="nothing-done-yet",
    ),
]


@pytest.mark.parametrize(("plays", "expected"), CASES)
def test_period_score(session, org, policy, plays, expected):
    play(session, policy, org, plays)
    result = card(session, org.staff, policy)
    got = points(result)
    assert {code: got[code] for code in expected} == {k: Decimal(v) for k, v in expected.items()}
    assert result.total == sum(got.values())


def test_every_computed_criterion_is_explained(session, org, policy):
    play(session, policy, org, [Play(type="bao_cao", steps="oa"), Play(), Play(steps=None)])
    explained = {
        item.criterion.code: item.explanation for item in card(session, org.staff, policy).criteria
    }
    assert explained["discipline_ethics"] is None
    quantity, quality = explained["task_quantity"], explained["task_quality"]
    assert quantity is not None and quality is not None
    assert (quantity.measure, quantity.tasks, quantity.done) == (Measure.QUANTITY, 3, 2)
    assert (quantity.units, quantity.units_done) == (Decimal(4), Decimal(3))
    assert (quality.faulted, quality.faults, quality.excused) == (1, 1, 0)


def test_manual_deductions_still_apply_after_the_tasks(session, org, policy):
    play(session, policy, org, [Play(type="bao_cao", steps="oa"), Play()])
    make_deduction(session, org.staff, "task_quality", "5", occurred_at=local("2026-11-12"))
    quality = next(
        i for i in card(session, org.staff, policy).criteria if i.criterion.code == "task_quality"
    )
    assert (quality.earned, quality.deducted, quality.score) == (
        Decimal("16.67"),
        Decimal("5.00"),
        Decimal("11.67"),
    )


def test_a_cancelled_task_no_longer_counts(session, org, policy):
    task = new_task(session, policy, org.leader, org.staff)
    cancel(session=session, task_id=task.id, actor=org.leader, now=local("2026-11-05"))
    assert points(card(session, org.staff, policy))["task_quantity"] == 20


def test_a_task_due_in_one_quarter_and_done_in_the_next(session, org, policy):
    play(session, policy, org, [Play(due="2026-12-30", late=True)])  # opened 2027-01-01
    q4, q1 = card(session, org.staff, policy), card(session, org.staff, policy, Quarter(2027, 1))
    assert (points(q4)["task_quantity"], points(q4)["task_progress"]) == (20, 15)
    assert q1.tasks is not None and q1.tasks.tasks == 0


def test_months_quarters_and_the_year(session, org, policy):
    # October: a task never done; November: one done in time. Q1-Q3 have no task.
    play(session, policy, org, [Play(due="2026-10-20", steps=None), Play(due="2026-11-20")])
    october, november = Month(2026, 10), Month(2026, 11)
    assert points(card(session, org.staff, policy, october))["task_quantity"] == 0
    assert points(card(session, org.staff, policy, november))["task_quantity"] == 20
    quarter = card(session, org.staff, policy, Q4)
    assert points(quarter)["task_quantity"] == 10 and quarter.total == 90
    year = card(session, org.staff, policy, Year(2026))
    assert points(year)["task_quantity"] == Decimal("17.50")  # (20 + 20 + 20 + 10) / 4
    assert year.total == Decimal("97.50")
    explanation = next(i.explanation for i in year.criteria if i.criterion.code == "task_quantity")
    assert explanation is not None and explanation.quarters == (20, 20, 20, 10)


def test_a_leader_with_a_report_below_completed_gets_half_the_unit_results(session, org, policy):
    leader = card(session, org.leader, policy)
    assert points(leader)["unit_results"] == 20
    play(session, policy, org, [Play(steps=None), Play(steps=None)])  # staff: 15 + 15 + 10 = 40
    assert card(session, org.staff, policy).classification.code == "not_completed"
    leader = card(session, org.leader, policy)
    unit = next(item for item in leader.criteria if item.criterion.code == "unit_results")
    assert unit.score == 10
    assert unit.explanation is not None
    assert (unit.explanation.reports, unit.explanation.reports_below) == (2, 1)
    rows = {
        row.code: row for row in score_table(session=session, quarter=Q4, policy=policy, tz=HANOI)
    }
    assert points(rows["TP"])["unit_results"] == 10
    assert points(rows["GD"])["unit_results"] == 20  # TP still passes


def test_a_forced_rating_sets_the_lowest_class_until_reversed(session, org, policy):
    forced = force(
        session=session,
        employee_id=org.staff.id,
        period=Q4,
        ground="Kỷ luật khiển trách",
        reference="QĐ 12/QĐ-SNV",
        actor_id=org.admin.id,
        now=local("2026-12-05"),
    )
    assert forced.outcome == "ok"
    result = card(session, org.staff, policy)
    assert (result.total, result.classification.code) == (100, "not_completed")
    assert result.forced is not None and result.forced.reference == "QĐ 12/QĐ-SNV"
    assert card(session, org.staff, policy, Month(2026, 11)).forced is not None  # overlaps
    assert card(session, org.staff, policy, Quarter(2026, 3)).forced is None
    assert points(card(session, org.leader, policy))["unit_results"] == 10
    undone = reverse(
        session=session,
        employee_id=org.staff.id,
        period=Q4,
        reason="Quyết định bị hủy",
        actor_id=org.admin.id,
        now=local("2026-12-06"),
    )
    assert undone.outcome == "ok"
    assert card(session, org.staff, policy).classification.code == "excellent"


def test_with_deductions_scoring_tasks_count_for_nothing(session, org, policy):
    play(session, policy, org, [Play(steps=None)])
    plain = replace(policy, task_scoring=TaskScoring.DEDUCTIONS)
    result = card(session, org.staff, plain)
    assert result.total == 100 and result.tasks is None
    assert all(item.explanation is None for item in result.criteria)


def test_the_table_agrees_with_the_cards(session, org, policy):
    play(
        session, policy, org, [Play(type="bao_cao", steps="oa"), Play(late=True), Play(steps=None)]
    )
    rows = {
        row.employee_id: row
        for row in score_table(session=session, quarter=Q4, policy=policy, tz=HANOI)
    }
    for name in ("staff", "leader", "director"):
        employee = org[name]
        assert rows[employee.id].total == card(session, employee, policy).total
    ahead = score_table(session=session, quarter=Q4, policy=policy, tz=HANOI, ahead=True)
    assert {row.employee_id: row for row in ahead} == rows
    tasks = rows[org.staff.id].tasks
    assert tasks is not None
    assert (tasks.tasks, tasks.done, tasks.errors, tasks.delays) == (3, 2, 1, 1)
    year = {
        row.employee_id: row
        for row in score_table(session=session, quarter=Year(2026), policy=policy, tz=HANOI)
    }
    assert year[org.staff.id].total == card(session, org.staff, policy, Year(2026)).total


AGREEMENT = [
    *(pytest.param(case.values[0], id=case.id) for case in CASES),
    pytest.param([Play(steps="ooa")], id="two-errors-on-one-code"),
    pytest.param([Play(steps="r", again="a")], id="rejected-then-done"),
    pytest.param([Play(steps="r", again="oa", late=True)], id="two-late-codes"),
    pytest.param([Play(steps="oa", late=True, excused=True), Play(steps="oa")], id="excused"),
    pytest.param([Play(type="de_an", steps="r", again="a", excused=True)], id="spearhead-excused"),
    pytest.param([Play(steps="oo", late=True), Play(steps=None)], id="returned-pending"),
    pytest.param([Play(late=True, cancelled=True), Play(late=True)], id="cancelled"),
    pytest.param([Play(due="2026-12-31", late=True), Play(due="2026-10-01")], id="quarter-edges"),
    pytest.param(
        [Play(), Play(), Play(type="bao_cao", steps="oa"), Play(type="bao_cao", steps="oa")],
        id="alike-tasks",
    ),
]


@pytest.mark.parametrize("period", [Q4, Month(2026, 12)], ids=str)
@pytest.mark.parametrize("plays", AGREEMENT)
def test_each_row_of_the_table_is_the_card(session, org, policy, plays, period):
    # The table counts the tasks in SQL; the card from each task's facts.
    play(session, policy, org, plays)
    rows = {
        row.employee_id: row
        for row in score_table(session=session, quarter=period, policy=policy, tz=HANOI)
    }
    for name in ("staff", "leader", "director"):
        row, expected = rows[org[name].id], card(session, org[name], policy, period)
        assert (row.criteria, row.total, row.classification, row.tasks) == (
            expected.criteria,
            expected.total,
            expected.classification,
            expected.tasks,
        )


def test_the_worked_example_of_the_readme(session, org, policy):
    play(
        session,
        policy,
        org,
        [
            Play(type="bao_cao", steps="oa"),
            Play(type="bao_cao"),
            Play(type="bao_cao", steps=None),
            Play(late=True),
            Play(late=True, excused=True),
            Play(),
            Play(),
        ],
    )
    got = points(card(session, org.staff, policy, Month(2026, 11)))
    assert (got["task_quantity"], got["task_quality"], got["task_progress"]) == (
        Decimal(16),
        Decimal("18.75"),
        Decimal("19.38"),
    )
