"""Calendar changes re-plan open codes: later only, audited, reported once per code and person."""

from __future__ import annotations

from datetime import date, datetime
from typing import cast

import pytest
from sqlmodel import Session, select

from kpi.calendar import load_calendar
from kpi.days import DayKind
from kpi.deadlines import explanation_of
from kpi.decisions import parse_decision
from kpi.outbox import Draft
from kpi.replanning import (
    CalendarChange,
    Planning,
    Replanned,
    by_person,
    declare_day,
    import_decision,
    remove_day,
)
from kpi.workcodes import WorkCodeOutcome, approve, open_work_code
from models import AuditEvent, Employee, OutboxKind, OutboxMessage, WorkCode
from tests.factories import HANOI, local, make_employee
from tests.kpi.test_decisions import GOOD

D = date.fromisoformat
PLANNING = Planning(tz=HANOI, days=5, calendar_days=False)


@pytest.fixture
def people(session: Session) -> tuple[Employee, Employee, Employee]:
    leader = make_employee(session, "TP", "Trưởng phòng", position="lanh_dao")
    author = make_employee(session, "NV1", "Nguyễn Văn An", leader=leader)
    other = make_employee(session, "NV2", "Trần Thị Bình", leader=leader)
    return leader, author, other


def open_code(session: Session, author: Employee, now: datetime, title: str = "Tờ trình") -> int:
    calendar = load_calendar(session=session, tz=HANOI, calendar_days=False)
    result = open_work_code(
        session=session, author=author, title=title, now=now, calendar=calendar, days=5
    )
    assert result.outcome is WorkCodeOutcome.OK and result.code is not None
    return cast(int, result.code.id)


def code(session: Session, code_id: int) -> WorkCode:
    return session.get_one(WorkCode, code_id, populate_existing=True)


def declare(
    session: Session, day: str, now: datetime, *, working: bool = False, reason: str = "", **kw
) -> CalendarChange:
    return declare_day(
        session=session,
        planning=PLANNING,
        day=D(day),
        working=working,
        reason=reason,
        now=now,
        **kw,
    )


def test_a_day_declared_off_after_opening_moves_the_deadline_once(session, people):
    leader, author, _ = people
    code_id = open_code(session, author, local("2026-11-02"))  # due Monday 9/11
    change = declare(session, "2026-11-04", local("2026-11-03"), reason="Bão số 13")
    [moved] = change.replanned
    stored = code(session, code_id)
    explanation = explanation_of(stored)
    assert explanation is not None
    assert moved == Replanned(
        code_id,
        "Tờ trình",
        1,
        author.id,
        leader.id,
        D("2026-11-09"),
        D("2026-11-10"),
        local("2026-11-11", 0),
        explanation,
    )
    assert (stored.due_day, stored.deadline_at) == (D("2026-11-10"), local("2026-11-11", 0))
    assert [(r.first, r.kind, r.names.vi) for r in explanation.runs] == [
        (D("2026-11-04"), DayKind.OFF, "Bão số 13")
    ]
    audit = session.exec(select(AuditEvent).where(AuditEvent.action == "workcode.replan")).one()
    assert audit.details == "cycle=1 due=2026-11-09->2026-11-10"
    assert by_person(change.replanned) == {leader.id: [moved], author.id: [moved]}
    # Declaring it again changes nothing more.
    again = declare(session, "2026-11-04", local("2026-11-03", 10), reason="Bão số 13")
    assert again.replanned == ()


def test_a_make_up_day_declared_after_never_moves_a_deadline_earlier(session, people):
    _, author, _ = people
    code_id = open_code(session, author, local("2026-11-02"))
    before = explanation_of(code(session, code_id))
    change = declare(session, "2026-11-07", local("2026-11-03"), working=True, reason="Làm bù")
    assert change.replanned == ()
    stored = code(session, code_id)
    assert stored.due_day == D("2026-11-09")
    assert explanation_of(stored) == before


def test_removing_a_declared_make_up_day_moves_codes_opened_with_it(session, people):
    _, author, _ = people
    declare(session, "2026-11-07", local("2026-11-01"), working=True, reason="Làm bù")
    code_id = open_code(session, author, local("2026-11-02"))
    assert code(session, code_id).due_day == D("2026-11-07")
    change = remove_day(
        session=session, planning=PLANNING, day=D("2026-11-07"), now=local("2026-11-03")
    )
    assert change is not None
    assert [(m.old_due_day, m.new_due_day) for m in change.replanned] == [
        (D("2026-11-07"), D("2026-11-09"))
    ]


def test_one_list_per_person_with_each_of_their_codes(session, people):
    leader, author, other = people
    first = open_code(session, author, local("2026-11-02"), "A")
    second = open_code(session, other, local("2026-11-02"), "B")
    change = declare(session, "2026-11-05", local("2026-11-03"))
    grouped = by_person(change.replanned)
    assert {k: [m.code_id for m in v] for k, v in grouped.items()} == {
        leader.id: [first, second],
        author.id: [first],
        other.id: [second],
    }


def test_answered_codes_passed_deadlines_and_unaffected_spans_stay(session, people):
    leader, author, _ = people
    answered = open_code(session, author, local("2026-11-02"), "answered")
    approve(session=session, code_id=answered, actor=leader, now=local("2026-11-02", 10))
    passed = open_code(session, author, local("2026-10-26"), "passed")  # due 2/11
    later = open_code(session, author, local("2026-11-06"), "after the day")  # opened after
    change = declare(session, "2026-11-02", local("2026-11-03"))
    assert change.replanned == ()
    assert code(session, passed).due_day == D("2026-11-02")
    assert code(session, later).due_day == D("2026-11-13")


def test_an_imported_decision_re_plans_and_notify_runs_inside_the_change(session, people):
    _, author, _ = people
    code_id = open_code(session, author, local("2027-02-01"))  # estimated: due 15/2
    assert code(session, code_id).due_day == D("2027-02-15")
    decision = parse_decision(GOOD)  # 3/2 off in lieu of Saturday 20/2
    told: list[list[int]] = []

    def notify(session: Session, moved) -> list[Draft]:
        assert session.in_transaction()
        told.append([m.code_id for m in moved])
        return [
            Draft(f"moved:{m.code_id}", OutboxKind.REPLAN, 701, "moved", local("2027-02-01", 10))
            for m in moved
        ]

    change = import_decision(
        session=session,
        planning=PLANNING,
        decision=decision,
        now=local("2027-02-01", 10),
        notify=notify,
    )
    assert told == [[code_id]]
    assert change.told == 1
    assert session.exec(select(OutboxMessage.key)).all() == [f"moved:{code_id}"]
    assert [(m.old_due_day, m.new_due_day) for m in change.replanned] == [
        (D("2027-02-15"), D("2027-02-16"))
    ]
    assert D("2027-02-03") in change.days


def test_a_failing_notify_keeps_the_change_from_being_committed(session, people):
    _, author, _ = people
    code_id = open_code(session, author, local("2026-11-02"))

    def notify(_session: Session, _moved) -> None:
        raise RuntimeError("outbox unavailable")

    with pytest.raises(RuntimeError):
        declare(session, "2026-11-04", local("2026-11-03"), notify=notify)
    session.rollback()
    assert code(session, code_id).due_day == D("2026-11-09")


def test_nothing_moved_drafts_nothing(session, people):
    _, author, _ = people
    open_code(session, author, local("2026-11-02"))

    def notify(_session: Session, _moved) -> list[Draft]:
        raise AssertionError("nobody is told of a change that moved nothing")

    change = declare(session, "2026-11-20", local("2026-11-03"), notify=notify)
    assert (change.replanned, change.told) == ((), 0)
