"""Deductions by people: who may log them, criteria and points, and reversals."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import update
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from kpi.deductions import (
    MAX_REASON,
    DeductResult,
    Outcome,
    ReverseResult,
    check_points,
    clean_reason,
    deduct,
    may_deduct,
    people_named,
    reverse,
)
from kpi.policy import Policy
from kpi.scoring import Quarter, score_card
from models import AuditEvent, Deduction, Employee
from tests.concurrency import race
from tests.factories import HANOI, Org, make_deduction, make_employee

NOW = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)  # Friday 10:00 in Hà Nội


def log(
    session: Session,
    policy: Policy,
    actor: Employee,
    code: str,
    criterion: str = "task_quality",
    points: str | None = None,
    reason: str = "Nộp báo cáo chậm",
) -> DeductResult:
    return deduct(
        session=session,
        actor=actor,
        employee_code=code,
        criterion=criterion,
        points=None if points is None else Decimal(points),
        reason=reason,
        now=NOW,
        policy=policy,
    )


def rows(session: Session) -> list[Deduction]:
    session.expire_all()
    return list(session.exec(select(Deduction).order_by(col(Deduction.id))))


def audits(session: Session, action: str) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)))


# --- Who may deduct whom (§4, §6) --------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "code", "outcome"),
    [
        ("staff", "NV2", Outcome.NOT_ALLOWED),  # an employee deducts nobody
        ("staff", "NOBODY", Outcome.NOT_ALLOWED),  # ... and learns nothing about codes
        ("leader", "NV3", Outcome.NOT_ALLOWED),  # outside the leader's team
        ("leader", "GD", Outcome.NOT_ALLOWED),  # the leader's own leader
        ("director", "NV1", Outcome.NOT_ALLOWED),  # a report's report is not a direct report
        ("leader", "TP", Outcome.NOT_ALLOWED),  # oneself
        ("admin", "HR", Outcome.NOT_ALLOWED),  # oneself, even an admin
        ("leader", "NOBODY", Outcome.UNKNOWN_EMPLOYEE),
        ("admin", "NOBODY", Outcome.UNKNOWN_EMPLOYEE),
        ("leader", "NV1", Outcome.OK),  # a direct report
        ("leader", " NV1 ", Outcome.OK),
        ("director", "TP", Outcome.OK),
        ("admin", "NV3", Outcome.OK),  # admins: anyone
        ("admin", "GD", Outcome.OK),
    ],
)
def test_who_may_deduct_whom(
    session: Session, policy: Policy, org: Org, actor: str, code: str, outcome: Outcome
) -> None:
    result = log(session, policy, org[actor], code, criterion="discipline_ethics")
    assert result.outcome == outcome
    created = rows(session)
    if outcome != Outcome.OK:
        assert (result.deduction, created) == (None, [])
        return
    assert result.deduction is not None and result.employee is not None
    assert result.employee.code == code.strip()
    assert [row.id for row in created] == [result.deduction.id]
    row = created[0]
    assert (row.employee_id, row.author_id, row.source) == (
        result.employee.id,
        org[actor].id,
        "manual",
    )
    assert (row.occurred_at, row.created_at, row.reverses_id, row.key) == (NOW, NOW, None, None)
    [event] = audits(session, "deduction.manual")
    assert (event.actor_id, event.subject) == (org[actor].id, f"deduction:{row.id}")
    assert "báo cáo" not in event.details  # ids only, never the text


def test_the_roles_in_the_database_count_not_the_callers_copy(
    db: sessionmaker[Session], session: Session, policy: Policy, org: Org
) -> None:
    with db() as other:
        other.execute(update(Employee).where(col(Employee.id) == org.admin.id).values(role="staff"))
        other.execute(
            update(Employee).where(col(Employee.id) == org.staff.id).values(leader_id=None)
        )
        other.commit()
    assert org.admin.role == "admin"  # the caller's stale copy
    assert log(session, policy, org.admin, "NV3").outcome == Outcome.NOT_ALLOWED
    assert log(session, policy, org.leader, "NV1").outcome == Outcome.NOT_ALLOWED


# --- Criteria, points and reasons --------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "criterion", "outcome", "stored"),
    [
        ("NV1", "task_quality", Outcome.OK, "task_quality"),
        ("NV1", " Task_Quality ", Outcome.OK, "task_quality"),
        ("NV1", "document_handling", Outcome.UNKNOWN_CRITERION, None),  # a clerk's criterion
        ("NV2", "document_handling", Outcome.OK, "document_handling"),
        ("NV1", "approval_timeliness", Outcome.UNKNOWN_CRITERION, None),  # leaders only
        ("NV1", "no_such_criterion", Outcome.UNKNOWN_CRITERION, None),
        ("NV1", "", Outcome.UNKNOWN_CRITERION, None),
    ],
)
def test_the_criterion_must_be_of_the_employees_position(
    session: Session,
    policy: Policy,
    org: Org,
    code: str,
    criterion: str,
    outcome: Outcome,
    stored: str | None,
) -> None:
    result = log(session, policy, org.leader, code, criterion=criterion)
    assert result.outcome == outcome
    assert [row.criterion for row in rows(session)] == ([stored] if stored else [])


@pytest.mark.parametrize(
    ("criterion", "points", "stored"),
    [
        ("task_quality", None, "2.00"),  # the criterion's default deduction
        ("discipline_ethics", None, "5.00"),
        ("task_quality", "2.5", "2.50"),
        ("task_quality", "0.01", "0.01"),
        ("task_quality", "20", "20.00"),  # the criterion's maximum
        ("task_quality", "1.50", "1.50"),
        ("task_quality", "0", None),
        ("task_quality", "-1", None),
        ("task_quality", "20.01", None),
        ("discipline_ethics", "16", None),  # its maximum is 15
        ("task_quality", "2.555", None),
        ("task_quality", "0.001", None),
        ("task_quality", "NaN", None),
        ("task_quality", "sNaN", None),
        ("task_quality", "Infinity", None),
        ("task_quality", "1E+10", None),
    ],
)
def test_points_default_and_limits(
    session: Session,
    policy: Policy,
    org: Org,
    criterion: str,
    points: str | None,
    stored: str | None,
) -> None:
    result = log(session, policy, org.leader, "NV1", criterion=criterion, points=points)
    assert result.outcome == (Outcome.OK if stored else Outcome.BAD_POINTS)
    assert [row.points for row in rows(session)] == ([Decimal(stored)] if stored else [])


@given(points=st.decimals(allow_nan=True, allow_infinity=True))
def test_check_points_accepts_exactly_cents_up_to_the_maximum(
    policy: Policy, points: Decimal
) -> None:
    criterion = policy.criteria["task_quality"]
    fine = points.is_finite() and 0 < points <= 20 and points * 100 == int(points * 100)
    assert (check_points(points, criterion) is not None) == fine


@pytest.mark.parametrize(
    ("reason", "outcome", "stored"),
    [
        ("", Outcome.REASON_REQUIRED, None),
        ("  \n\t ", Outcome.REASON_REQUIRED, None),
        ("\u200b\u200b", Outcome.REASON_REQUIRED, None),  # nothing visible
        ("x" * (MAX_REASON + 1), Outcome.REASON_TOO_LONG, None),
        ("x" * MAX_REASON, Outcome.OK, "x" * MAX_REASON),
        ("  Vắng họp\r\nkhông phép \x00 ", Outcome.OK, "Vắng họp\nkhông phép"),
    ],
)
def test_a_reason_is_required(
    session: Session, policy: Policy, org: Org, reason: str, outcome: Outcome, stored: str | None
) -> None:
    assert log(session, policy, org.leader, "NV1", reason=reason).outcome == outcome
    assert [row.reason for row in rows(session)] == ([stored] if stored else [])


def test_clean_reason_normalizes_to_nfc() -> None:
    assert clean_reason(" Nguye\u0302\u0303n ") == "Nguyễn"


# --- Reversals ---------------------------------------------------------------------------------


@pytest.fixture
def logged(session: Session, policy: Policy, org: Org) -> Deduction:
    result = log(session, policy, org.leader, "NV1", points="3")
    assert result.deduction is not None
    return result.deduction


def undo(
    session: Session, actor: Employee, deduction_id: int, reason: str = "Nhầm"
) -> ReverseResult:
    return reverse(session=session, actor=actor, deduction_id=deduction_id, reason=reason, now=NOW)


def test_an_admin_reverses_with_a_new_row_and_it_counts_no_more(
    session: Session, policy: Policy, org: Org, logged: Deduction
) -> None:
    result = undo(session, org.admin, logged.id, " Nhầm người ")
    assert result.outcome == Outcome.OK
    assert result.deduction is not None and result.reversal is not None
    original, reversal = rows(session)
    assert (original.id, reversal.id) == (logged.id, result.reversal.id)
    assert (original.points, original.reason, original.reverses_id) == (
        Decimal(3),
        logged.reason,
        None,
    )
    assert (reversal.reverses_id, reversal.employee_id, reversal.criterion) == (
        logged.id,
        logged.employee_id,
        logged.criterion,
    )
    assert (reversal.points, reversal.source, reversal.author_id) == (
        Decimal(3),
        "manual",
        org.admin.id,
    )
    assert (reversal.reason, reversal.occurred_at) == ("Nhầm người", NOW)
    card = score_card(
        session=session, employee=org.staff, quarter=Quarter.of(NOW, HANOI), policy=policy, tz=HANOI
    )
    assert card.total == 100 and card.deductions == ()
    [event] = audits(session, "deduction.reverse")
    assert (event.actor_id, event.subject) == (org.admin.id, f"deduction:{reversal.id}")


def test_a_reversal_keeps_the_source_of_the_original(session: Session, org: Org) -> None:
    breach = make_deduction(
        session, org.leader, "approval_timeliness", "5", occurred_at=NOW, source="deadline_breach"
    )
    result = undo(session, org.admin, breach.id)
    assert result.outcome == Outcome.OK and result.reversal is not None
    assert (result.reversal.source, result.reversal.author_id) == ("deadline_breach", org.admin.id)


@pytest.mark.parametrize(
    ("actor", "outcome"),
    [
        ("leader", Outcome.NOT_ALLOWED),  # even the deduction's author
        ("staff", Outcome.NOT_ALLOWED),
        ("director", Outcome.NOT_ALLOWED),
        ("admin", Outcome.OK),
    ],
)
def test_only_admins_reverse(
    session: Session, org: Org, logged: Deduction, actor: str, outcome: Outcome
) -> None:
    assert undo(session, org[actor], logged.id).outcome == outcome
    assert len(rows(session)) == (2 if outcome == Outcome.OK else 1)


def test_reversal_refusals(session: Session, policy: Policy, org: Org, logged: Deduction) -> None:
    own = log(session, policy, org.director, "HR").deduction  # a deduction of the admin
    assert own is not None
    assert undo(session, org.admin, 999).outcome == Outcome.NOT_FOUND
    assert undo(session, org.admin, own.id).outcome == Outcome.NOT_ALLOWED  # one's own
    assert undo(session, org.admin, logged.id, " ").outcome == Outcome.REASON_REQUIRED
    assert undo(session, org.admin, logged.id, "x" * 2001).outcome == Outcome.REASON_TOO_LONG
    first = undo(session, org.admin, logged.id)
    assert first.outcome == Outcome.OK and first.reversal is not None
    again = undo(session, org.admin, logged.id)
    assert (again.outcome, again.reversal) == (Outcome.ALREADY_REVERSED, first.reversal)
    assert undo(session, org.admin, first.reversal.id).outcome == Outcome.IS_REVERSAL
    assert len(rows(session)) == 3


def test_two_admins_reversing_at_once_make_one_reversal(
    db: sessionmaker[Session], session: Session, policy: Policy, org: Org
) -> None:
    second_admin = make_employee(session, "HR2", "Tổ chức 2", role="admin", leader=org.director)
    for _round in range(5):
        target = log(session, policy, org.leader, "NV1").deduction
        assert target is not None
        calls = [
            lambda s, who=who, target_id=target.id: undo(s, s.get_one(Employee, who), target_id)
            for who in (org.admin.id, second_admin.id)
        ]
        results = race(db, *calls)
        outcomes = sorted(result.outcome for result in results)
        assert outcomes == sorted([Outcome.OK, Outcome.ALREADY_REVERSED])
        assert results[0].reversal.id == results[1].reversal.id
    session.expire_all()
    reversals = session.exec(select(Deduction).where(col(Deduction.reverses_id).is_not(None)))
    assert len(reversals.all()) == 5
    assert len(audits(session, "deduction.reverse")) == 5


@pytest.mark.parametrize(
    ("actor", "words", "found"),
    [
        ("leader", "", []),
        ("leader", "nv1", ["staff"]),  # a roster code, in any case
        ("leader", "thi", ["clerk"]),  # a part of a name, without diacritics
        ("leader", "Lan", []),  # another leader's report
        ("leader", "Phương", []),  # never oneself
        ("admin", "Lan", ["outsider"]),
        ("admin", "THỊ", ["outsider", "clerk", "leader"]),  # by name; never HR herself
        ("admin", "AD", ["top_admin"]),  # a code before the names containing it
        ("staff", "mai", []),  # an employee deducts nobody
    ],
)
def test_people_named(session: Session, org: Org, actor: str, words: str, found: list) -> None:
    named = people_named(session, org[actor], words)
    assert [person.id for person in named] == [org[name].id for name in found]


@pytest.mark.parametrize(
    ("actor", "employee", "may"),
    [
        ("leader", "staff", True),
        ("leader", "outsider", False),
        ("leader", "leader", False),
        ("admin", "outsider", True),
        ("admin", "admin", False),
        ("staff", "clerk", False),
    ],
)
def test_may_deduct(session: Session, org: Org, actor: str, employee: str, may: bool) -> None:
    assert may_deduct(session, org[actor].id, org[employee].id) is may
