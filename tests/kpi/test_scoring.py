"""Quarter scores: quarters, criterion floors, reversals, class edges, transfers and the table."""

from __future__ import annotations

import random
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, event
from sqlmodel import Session, select

from kpi.policy import Policy, TaskScoring, load_policy
from kpi.scoring import Quarter, ScoreCard, ScoreRow, history, score_card, score_table
from models import Employee, Position
from tests.factories import HANOI, local, make_deduction, make_employee

Q3, Q4, Q1 = Quarter(2026, 3), Quarter(2026, 4), Quarter(2027, 1)


@pytest.fixture(scope="module")
def policy() -> Policy:
    """The shipped policy with task_scoring = "deductions": the §4 arithmetic, as before tasks."""
    return replace(load_policy(), task_scoring=TaskScoring.DEDUCTIONS)


IN_Q3, IN_Q4, IN_Q1 = local("2026-08-03"), local("2026-11-10"), local("2027-02-15")


def card(
    session: Session, employee: Employee, policy: Policy, *, quarter: Quarter = Q4, latest: int = 10
) -> ScoreCard:
    """The employee's card, Q4 2026 in Hà Nội time unless told otherwise."""
    return score_card(
        session=session, employee=employee, quarter=quarter, policy=policy, tz=HANOI, latest=latest
    )


def table(
    session: Session,
    policy: Policy,
    *,
    quarter: Quarter = Q4,
    unit: str | None = None,
    employee_ids: Collection[int] | None = None,
) -> list[ScoreRow]:
    """The whole table, Q4 2026 in Hà Nội time unless told otherwise."""
    rows = score_table(
        session=session,
        quarter=quarter,
        policy=policy,
        tz=HANOI,
        unit=unit,
        employee_ids=employee_ids,
    )
    return list(rows)


def deducted(result: ScoreCard | ScoreRow, criterion: str) -> Decimal:
    """Points deducted from one criterion of a card or row."""
    return next(item.deducted for item in result.criteria if item.criterion.code == criterion)


def score(result: ScoreCard | ScoreRow, criterion: str) -> Decimal:
    """The score of one criterion of a card or row."""
    return next(item.score for item in result.criteria if item.criterion.code == criterion)


def move(session: Session, employee: Employee, position: str) -> None:
    """Give the employee another position (the roster keeps no history)."""
    row = session.exec(select(Position).where(Position.code == position)).first()
    if row is None:
        row = Position(code=position)
        session.add(row)
        session.flush()
    assert row.id is not None
    employee.position_id = row.id
    session.commit()


# --- Quarter ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026Q4", Q4),
        ("2026q4", Q4),
        ("Q4/2026", Q4),
        ("q4/2026", Q4),
        ("Q4 2026", Q4),
        ("  2027Q1\n", Q1),
        ("2000Q1", Quarter(2000, 1)),
        ("Q4/2100", Quarter(2100, 4)),
    ],
)
def test_parse_reads_the_accepted_forms(text: str, expected: Quarter) -> None:
    assert Quarter.parse(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2026",
        "Q4",
        "2026Q5",
        "2026Q0",
        "Q5/2026",
        "1999Q4",
        "2101Q1",
        "26Q4",
        "2026Q4x",
        "Q42026",
        "2026/Q4",
        "Q4-2026",
        "２０２６Q4",  # full-width digits
        "2026 Q 4",
    ],
)
def test_parse_refuses_anything_else(text: str) -> None:
    with pytest.raises(ValueError):
        Quarter.parse(text)


@pytest.mark.parametrize(
    ("instant", "tz", "expected"),
    [
        (datetime(2026, 12, 31, 16, 30, tzinfo=UTC), HANOI, Q4),  # 23:30 local on 31 Dec
        (datetime(2026, 12, 31, 17, 10, tzinfo=UTC), HANOI, Q1),  # 00:10 local on 1 Jan
        (datetime(2026, 12, 31, 17, 10, tzinfo=UTC), ZoneInfo("UTC"), Q4),
        (datetime(2026, 9, 30, 17, 0, tzinfo=UTC), HANOI, Q4),  # local midnight, 1 Oct
        (datetime(2026, 9, 30, 16, 59, 59, tzinfo=UTC), HANOI, Q3),
        (datetime(2026, 10, 1, 0, 0, tzinfo=HANOI), HANOI, Q4),  # any aware zone will do
    ],
)
def test_of_applies_the_organisation_zone(instant: datetime, tz: ZoneInfo, expected: Quarter):
    assert Quarter.of(instant, tz) == expected


def test_of_refuses_a_naive_instant() -> None:
    with pytest.raises(ValueError, match="naive"):
        Quarter.of(datetime(2026, 11, 1, 9, 0), HANOI)


@pytest.mark.parametrize(
    ("quarter", "start", "end"),
    [
        (Q4, datetime(2026, 9, 30, 17, tzinfo=UTC), datetime(2026, 12, 31, 17, tzinfo=UTC)),
        (Q1, datetime(2026, 12, 31, 17, tzinfo=UTC), datetime(2027, 3, 31, 17, tzinfo=UTC)),
        (Q3, datetime(2026, 6, 30, 17, tzinfo=UTC), datetime(2026, 9, 30, 17, tzinfo=UTC)),
    ],
)
def test_bounds_are_local_midnights_in_utc(quarter: Quarter, start: datetime, end: datetime):
    assert quarter.bounds(HANOI) == (start, end)
    assert all(bound.tzinfo is UTC for bound in quarter.bounds(HANOI))


@pytest.mark.parametrize(
    ("quarter", "previous"),
    [
        (Q1, Q4),
        (Q4, Q3),
        (Quarter(2026, 2), Quarter(2026, 1)),
        (Quarter(2000, 1), Quarter(1999, 4)),
    ],
)
def test_previous_and_next(quarter: Quarter, previous: Quarter) -> None:
    assert quarter.previous() == previous
    assert previous.next() == quarter
    assert previous < quarter


@pytest.mark.parametrize("number", [0, 5, -1])
def test_a_quarter_number_is_one_to_four(number: int) -> None:
    with pytest.raises(ValueError):
        Quarter(2026, number)


def test_str_is_the_parseable_form() -> None:
    assert str(Q4) == "2026Q4"
    assert Quarter.parse(str(Q1)) == Q1


# --- score_card ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("absences", "expected"),
    list(enumerate(["15", "13", "11", "9", "7", "5", "3", "1", "0", "0"])),
)
def test_training_loses_two_per_absence_down_to_zero(
    session: Session, policy: Policy, absences: int, expected: str
) -> None:
    employee = make_employee(session, "CV01")
    points = policy.criteria["training_attendance"].default_deduction
    for day in range(absences):
        make_deduction(
            session,
            employee,
            "training_attendance",
            points,
            occurred_at=IN_Q4 + timedelta(days=day),
        )
    result = card(session, employee, policy)
    assert score(result, "training_attendance") == Decimal(expected)
    assert deducted(result, "training_attendance") == 2 * absences
    assert result.total == 85 + Decimal(expected)


@pytest.mark.parametrize(
    ("occurred_at", "counts_in"),
    [
        (datetime(2026, 12, 31, 16, 30, tzinfo=UTC), Q4),  # 23:30 local on 31 Dec
        (datetime(2026, 12, 31, 17, 10, tzinfo=UTC), Q1),  # 00:10 local, 1 Jan
        (datetime(2026, 9, 30, 17, 0, tzinfo=UTC), Q4),  # the first instant of Q4
        (datetime(2026, 9, 30, 16, 59, 59, tzinfo=UTC), Q3),
    ],
)
def test_a_deduction_counts_in_the_local_quarter_of_its_date(
    session: Session, policy: Policy, occurred_at: datetime, counts_in: Quarter
) -> None:
    employee = make_employee(session, "CV01")
    line = make_deduction(session, employee, "task_quality", "3", occurred_at=occurred_at)
    for quarter in (Q3, Q4, Q1):
        result = card(session, employee, policy, quarter=quarter)
        here = quarter == counts_in
        assert deducted(result, "task_quality") == (3 if here else 0)
        assert [item.id for item in result.deductions] == ([line.id] if here else [])


# Each deduction: (points, occurred_at, reversal's occurred_at or None); all on task_quality.
@pytest.mark.parametrize(
    ("deductions", "expected", "listed"),
    [
        pytest.param([("5", IN_Q4, None)], "5", [0], id="kept"),
        pytest.param([("5", IN_Q4, IN_Q4)], "0", [], id="reversed"),
        pytest.param([("5", IN_Q4, IN_Q1)], "0", [], id="reversed-next-quarter"),
        pytest.param([("5", IN_Q3, None), ("4", IN_Q1, None)], "0", [], id="other-quarters"),
        pytest.param(
            [("3", IN_Q4, None), ("5", IN_Q4 + timedelta(1), IN_Q4), ("0.5", IN_Q3, IN_Q4)],
            "3",
            [0],
            id="mixed",
        ),
        pytest.param(
            [("0.1", IN_Q4 + timedelta(hours=n), None) for n in range(30)], "3", None, id="exact"
        ),
    ],
)
def test_only_active_deductions_of_the_quarter_count(
    session: Session,
    policy: Policy,
    deductions: list[tuple[str, datetime, datetime | None]],
    expected: str,
    listed: list[int] | None,
) -> None:
    employee = make_employee(session, "CV01")
    rows, reversals = [], []
    for points, occurred_at, reversed_at in deductions:
        rows.append(
            make_deduction(session, employee, "task_quality", points, occurred_at=occurred_at)
        )
        if reversed_at is not None:
            reversals.append(
                make_deduction(
                    session,
                    employee,
                    "task_quality",
                    points,
                    occurred_at=reversed_at,
                    reverses=rows[-1],
                )
            )
    result = card(session, employee, policy, latest=100)
    assert deducted(result, "task_quality") == Decimal(expected)
    assert str(deducted(result, "task_quality")) == str(Decimal(expected).quantize(Decimal("0.01")))
    ids = {line.id for line in result.deductions}
    assert not ids & {reversal.id for reversal in reversals}
    if listed is not None:
        assert ids == {rows[index].id for index in listed}
    assert table(session, policy)[0].deduction_count == len(result.deductions)


# A specialist (chuyen_vien): task_* have 20 points each, spearhead_tasks 10.
TENS_ON = ["task_quantity", "task_quantity", "task_quality", "task_quality", "task_progress"]


@pytest.mark.parametrize(
    ("tens", "cents", "total", "classification"),
    [
        (0, 0, "100.00", "excellent"),
        (1, 0, "90.00", "excellent"),
        (1, 1, "89.99", "good"),
        (3, 0, "70.00", "good"),
        (3, 1, "69.99", "completed"),
        (5, 0, "50.00", "completed"),
        (5, 1, "49.99", "not_completed"),
    ],
)
def test_each_classification_edge(
    session: Session, policy: Policy, tens: int, cents: int, total: str, classification: str
) -> None:
    employee = make_employee(session, "CV01", position="chuyen_vien")
    for criterion in TENS_ON[:tens]:
        make_deduction(session, employee, criterion, "10", occurred_at=IN_Q4)
    for _ in range(cents):
        make_deduction(session, employee, "spearhead_tasks", "0.01", occurred_at=IN_Q4)
    result = card(session, employee, policy)
    assert str(result.total) == total
    assert result.classification.code == classification
    assert result.classification == policy.classify(Decimal(total))
    assert table(session, policy)[0].classification.code == classification


def test_latest_limits_the_lines_not_the_sums(session: Session, policy: Policy) -> None:
    employee = make_employee(session, "CV01")
    made = [
        make_deduction(
            session, employee, "task_quality", "1", occurred_at=IN_Q4 + timedelta(days=day)
        )
        for day in (3, 1, 4, 0, 2)
    ]
    newest_first = sorted(made, key=lambda row: row.occurred_at, reverse=True)
    result = card(session, employee, policy, latest=3)
    assert [line.id for line in result.deductions] == [row.id for row in newest_first[:3]]
    assert deducted(result, "task_quality") == 5
    line = result.deductions[0]
    assert (line.criterion, line.points, line.source, line.counted) == (
        "task_quality",
        Decimal("1.00"),
        "manual",
        True,
    )
    assert line.occurred_at == IN_Q4 + timedelta(days=4)
    assert card(session, employee, policy, latest=0).deductions == ()
    with pytest.raises(ValueError):
        card(session, employee, policy, latest=-1)


@pytest.mark.parametrize(
    ("position_now", "total", "counted"),
    [
        ("van_thu", "95.00", True),  # document_handling is a records clerk's criterion
        ("chuyen_vien", "98.00", False),  # a specialist has none: listed, not counted
    ],
)
def test_a_transfer_scores_the_quarter_on_the_current_position(
    session: Session, policy: Policy, position_now: str, total: str, counted: bool
) -> None:
    employee = make_employee(session, "VT01", position="van_thu")
    clerical = make_deduction(session, employee, "document_handling", "3", occurred_at=IN_Q4)
    make_deduction(session, employee, "training_attendance", "2", occurred_at=IN_Q4 + timedelta(1))
    move(session, employee, position_now)
    result = card(session, employee, policy)
    assert result.position == position_now
    assert [item.criterion for item in result.criteria] == list(policy.criteria_of(position_now))
    assert str(result.total) == total
    assert [line.counted for line in result.deductions if line.id == clerical.id] == [counted]
    [row] = table(session, policy)
    assert (row.position, row.total, row.deduction_count) == (position_now, result.total, 2)


def test_a_card_takes_at_most_three_queries(
    session: Session, engine: Engine, policy: Policy
) -> None:
    employee = make_employee(session, "CV01")
    make_deduction(session, employee, "task_quality", "1", occurred_at=IN_Q4)
    with counting(engine) as statements:
        card(session, employee, policy)
    assert len(statements) <= 3
    with counting(engine) as statements:
        table(session, policy)
    assert len(statements) == 2


# --- score_table -----------------------------------------------------------------------------

UNITS = ["Phòng Tổ chức", "Phòng Kế hoạch", "Văn phòng"]
POINTS = ["0.01", "0.1", "0.5", "2", "5", "7.25", "10"]


def random_organisation(session: Session, policy: Policy, seed: int) -> list[Employee]:
    """A director and some staff with random leaders, positions and deductions (some reversed)."""
    rng = random.Random(seed)
    codes = [f"E{number:03d}" for number in rng.sample(range(1000), 16)]  # not in code order
    people = [make_employee(session, codes[0], "Giám đốc", position="giam_doc", unit=UNITS[2])]
    for code in codes[1:]:
        people.append(
            make_employee(
                session,
                code,
                f"Cán bộ {code}",
                position=rng.choice(sorted(policy.positions)),
                unit=rng.choice(UNITS),
                leader=rng.choice(people),
            )
        )
    start, end = Q3.bounds(HANOI)[0], Q1.bounds(HANOI)[1]
    for person in people:
        for _ in range(rng.randint(0, 8)):
            at = start + (end - start) * rng.random()
            criterion = rng.choice(sorted(policy.criteria))  # some are off the position
            row = make_deduction(session, person, criterion, rng.choice(POINTS), occurred_at=at)
            if rng.random() < 0.25:
                make_deduction(
                    session,
                    person,
                    criterion,
                    row.points,
                    occurred_at=end - timedelta(1),
                    reverses=row,
                )
    return people


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_table_agrees_with_every_card(session: Session, policy: Policy, seed: int) -> None:
    people = {person.id: person for person in random_organisation(session, policy, seed)}
    rows = table(session, policy)
    assert [row.code for row in rows] == sorted(person.code for person in people.values())
    for row in rows:
        person = people[row.employee_id]
        result = card(session, person, policy, latest=1000)
        leader = people.get(person.leader_id)
        assert (row.code, row.full_name, row.position) == (
            person.code,
            person.full_name,
            result.position,
        )
        assert (row.leader_code, row.leader_name) == (
            (leader.code, leader.full_name) if leader else (None, None)
        )
        assert (row.criteria, row.total, row.classification) == (
            result.criteria,
            result.total,
            result.classification,
        )
        assert row.deduction_count == len(result.deductions)
    assert sum(row.deduction_count for row in rows) > 0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_table_filters_by_unit_and_by_ids(session: Session, policy: Policy, seed: int) -> None:
    random_organisation(session, policy, seed)
    rows = table(session, policy)
    for unit in [*UNITS, "Không có"]:
        assert table(session, policy, unit=unit) == [row for row in rows if row.unit == unit]
    chosen = set(random.Random(seed).sample([row.employee_id for row in rows], 5))
    assert table(session, policy, employee_ids=chosen) == [
        row for row in rows if row.employee_id in chosen
    ]
    both = table(session, policy, unit=UNITS[0], employee_ids=chosen)
    assert both == [row for row in rows if row.employee_id in chosen and row.unit == UNITS[0]]
    assert table(session, policy, employee_ids=[]) == []


def test_the_table_of_another_quarter(session: Session, policy: Policy) -> None:
    employee = make_employee(session, "CV01")
    make_deduction(session, employee, "task_quality", "4", occurred_at=IN_Q3)
    [q3] = table(session, policy, quarter=Q3)
    [q4] = table(session, policy)
    assert (q3.total, q3.deduction_count, q4.total, q4.deduction_count) == (
        Decimal(96),
        1,
        Decimal(100),
        0,
    )
    assert (q3.unit, q3.leader_code, q3.leader_name) == ("Sở Nội vụ", None, None)


# --- history ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (1, [("2026Q4", "97.00")]),
        (4, [("2026Q1", "100.00"), ("2026Q2", "85.00"), ("2026Q3", "99.50"), ("2026Q4", "97.00")]),
        (
            6,
            [
                ("2025Q3", "100.00"),
                ("2025Q4", "90.00"),
                ("2026Q1", "100.00"),
                ("2026Q2", "85.00"),
                ("2026Q3", "99.50"),
                ("2026Q4", "97.00"),
            ],
        ),
    ],
)
def test_history_gives_the_totals_oldest_first(
    session: Session, policy: Policy, count: int, expected: list[tuple[str, str]]
) -> None:
    employee = make_employee(session, "CV01")
    for points, occurred_at in [
        ("10", local("2025-12-31", 23, 59)),  # 2025Q4
        ("20", local("2026-05-01")),  # 2026Q2: training floors at 0 (15 lost)
        ("0.5", IN_Q3),
        ("3", IN_Q4),
        ("9", IN_Q1),  # after the quarter asked for
    ]:
        make_deduction(session, employee, "training_attendance", points, occurred_at=occurred_at)
    reversed_one = make_deduction(session, employee, "task_quality", "7", occurred_at=IN_Q4)
    make_deduction(session, employee, "task_quality", "7", occurred_at=IN_Q4, reverses=reversed_one)
    result = history(
        session=session, employee=employee, policy=policy, tz=HANOI, quarter=Q4, count=count
    )
    assert [(str(quarter), str(total)) for quarter, total in result] == expected
    assert result[-1][1] == card(session, employee, policy).total


def test_quarters_before_joining_have_no_total(session: Session, policy: Policy) -> None:
    employee = make_employee(session, "CV01")
    make_deduction(session, employee, "training_attendance", "3", occurred_at=IN_Q4)
    employee.joined_at = local("2026-09-30", 23)  # the last hour of Q3 counts Q3
    session.commit()
    result = history(session=session, employee=employee, policy=policy, tz=HANOI, quarter=Q4)
    assert [(str(q), total) for q, total in result] == [
        ("2026Q1", None),
        ("2026Q2", None),
        ("2026Q3", Decimal("100.00")),
        ("2026Q4", Decimal("97.00")),
    ]


def test_an_unknown_joining_counts_every_quarter(session: Session, policy: Policy) -> None:
    employee = make_employee(session, "CV01")  # created before joining was recorded
    result = history(session=session, employee=employee, policy=policy, tz=HANOI, quarter=Q4)
    assert [total for _q, total in result] == [Decimal("100.00")] * 4


def test_history_needs_a_quarter(session: Session, policy: Policy) -> None:
    employee = make_employee(session, "CV01")
    with pytest.raises(ValueError):
        history(session=session, employee=employee, policy=policy, tz=HANOI, quarter=Q4, count=0)


# --- helpers ---------------------------------------------------------------------------------


@contextmanager
def counting(engine: Engine) -> Iterator[list[str]]:
    """Collect the SQL statements the engine runs inside the block."""
    statements: list[str] = []

    def seen(_connection: object, _cursor: object, statement: str, *_rest: object) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", seen)
