"""Acting approvers: who may name whom for which days, and codes handed over and back once."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlmodel import Session, col, select

from kpi import delegation
from kpi.calendar import WorkCalendar
from kpi.delegation import DelegationOutcome
from kpi.workcodes import approve, open_work_code, reassign_open_codes
from models import AuditEvent, Delegation, Employee, WorkCode
from tests.factories import Org, local

CALENDAR = WorkCalendar()
MONDAY = local("2026-11-02")
TODAY = date(2026, 11, 2)


def name(
    session: Session,
    org: Org,
    leader: str = "leader",
    deputy: str = "other_leader",
    starts_on: date = TODAY,
    ends_on: date = date(2026, 11, 6),
    actor: str | None = "leader",
    now: datetime = MONDAY,
) -> delegation.DelegationResult:
    return delegation.create(
        session=session,
        actor=org[actor] if actor else None,
        leader_id=org[leader].id,
        deputy_id=org[deputy].id,
        starts_on=starts_on,
        ends_on=ends_on,
        today=CALENDAR.local_day(now),
        now=now,
    )


def open_code(session: Session, author: Employee, now: datetime = MONDAY) -> WorkCode:
    result = open_work_code(
        session=session, author=author, title="Báo cáo", now=now, calendar=CALENDAR, days=5
    )
    assert result.code is not None
    return result.code


def sweep(session: Session, now: datetime) -> list[delegation.Move]:
    running, over = delegation.due(session, CALENDAR.local_day(now))
    moves = [m for d in over for m in delegation.give_back(session, d, now)]
    moves += [m for d in running for m in delegation.hand_over(session, d, now)]
    session.commit()
    return moves


def approver(session: Session, code: WorkCode) -> tuple[int, int | None]:
    session.refresh(code)
    return code.approver_id, code.delegated_from


def test_a_leader_names_a_deputy_and_an_admin_may_for_them(session: Session, org: Org) -> None:
    mine = name(session, org)
    assert mine.outcome is DelegationOutcome.OK and mine.delegation is not None
    assert mine.delegation.created_by == org.leader.id
    by_hr = name(session, org, leader="director", deputy="admin", actor="admin")
    assert by_hr.outcome is DelegationOutcome.OK
    by_cli = name(
        session,
        org,
        leader="director",
        deputy="admin",
        actor=None,
        starts_on=date(2026, 12, 1),
        ends_on=date(2026, 12, 2),
    )
    assert by_cli.outcome is DelegationOutcome.OK
    actions = session.exec(select(AuditEvent.action)).all()
    assert actions.count("delegation.create") == 3


@pytest.mark.parametrize(
    ("changes", "outcome"),
    [
        ({"deputy": "leader"}, DelegationOutcome.SELF),
        ({"actor": "staff"}, DelegationOutcome.NOT_ALLOWED),
        ({"actor": "other_leader"}, DelegationOutcome.NOT_ALLOWED),
        ({"leader": "staff", "actor": "admin"}, DelegationOutcome.NOT_A_LEADER),
        ({"deputy": "top_admin"}, DelegationOutcome.DEPUTY_NOT_LINKED),
        ({"starts_on": date(2026, 10, 30)}, DelegationOutcome.IN_THE_PAST),
        ({"ends_on": date(2026, 11, 1)}, DelegationOutcome.BAD_PERIOD),
        ({"ends_on": date(2027, 11, 3)}, DelegationOutcome.BAD_PERIOD),
    ],
)
def test_refusals(session: Session, org: Org, changes: dict, outcome: DelegationOutcome) -> None:
    assert name(session, org, **changes).outcome is outcome
    assert session.exec(select(Delegation)).all() == []


def test_overlaps_are_refused_and_name_the_delegation_in_the_way(
    session: Session, org: Org
) -> None:
    first = name(session, org, ends_on=date(2026, 11, 6)).delegation
    again = name(
        session, org, deputy="director", starts_on=date(2026, 11, 6), ends_on=date(2026, 11, 9)
    )
    assert again.outcome is DelegationOutcome.OVERLAP and again.delegation == first
    # The deputy cannot delegate their own approval meanwhile, nor the leader act for another.
    deputy_delegates = name(session, org, leader="other_leader", deputy="director", actor="admin")
    assert deputy_delegates.outcome is DelegationOutcome.LEADER_IS_DEPUTY
    chain = name(session, org, leader="director", deputy="leader", actor="admin")
    assert chain.outcome is DelegationOutcome.DEPUTY_DELEGATES
    after = name(session, org, starts_on=date(2026, 11, 7), ends_on=date(2026, 11, 9))
    assert after.outcome is DelegationOutcome.OK
    assert first is not None
    cancelled = delegation.cancel(
        session=session, delegation_id=first.id, actor=org.admin, today=TODAY, now=MONDAY
    )
    assert cancelled.outcome is DelegationOutcome.OK
    assert name(session, org, deputy="director").outcome is DelegationOutcome.OK


def test_codes_go_to_the_deputy_and_back_once(session: Session, org: Org) -> None:
    waiting = open_code(session, org.staff)
    theirs = open_code(session, org.outsider)  # PP's own report: not the leader's
    made = name(session, org, starts_on=date(2026, 11, 3), ends_on=date(2026, 11, 4)).delegation
    assert made is not None
    assert sweep(session, MONDAY) == []  # not yet
    tuesday = local("2026-11-03", 0, 1)
    moved = sweep(session, tuesday)
    assert [(m.code.id, m.to_deputy) for m in moved] == [(waiting.id, True)]
    assert sweep(session, tuesday + timedelta(minutes=1)) == []  # a second run moves nothing
    assert approver(session, waiting) == (org.other_leader.id, org.leader.id)
    assert approver(session, theirs) == (org.other_leader.id, None)
    # Opened meanwhile: straight to the deputy; the deputy's response counts.
    new = open_code(session, org.clerk, tuesday)
    assert approver(session, new) == (org.other_leader.id, org.leader.id)
    done = approve(session=session, code_id=new.id, actor=org.other_leader, now=tuesday)
    assert done.code is not None and done.code.status == "approved"
    # A roster import leaves the deputy's codes with the deputy.
    assert reassign_open_codes(session=session) == 0
    back = sweep(session, local("2026-11-05", 0, 1))
    assert [(m.code.id, m.to_deputy) for m in back] == [(waiting.id, False)]
    assert sweep(session, local("2026-11-05", 0, 2)) == []
    assert approver(session, waiting) == (org.leader.id, None)
    assert approver(session, theirs) == (org.other_leader.id, None)
    assert approver(session, new) == (org.other_leader.id, org.leader.id)  # closed, stays
    assert session.get_one(Delegation, made.id).returned_at is not None
    actions = session.exec(
        select(AuditEvent.action).where(col(AuditEvent.subject) == f"workcode:{waiting.id}")
    ).all()
    assert actions.count("workcode.delegate") == 1 and actions.count("workcode.give_back") == 1


def test_the_deputy_s_own_code_stays_with_the_leader(session: Session, org: Org) -> None:
    # NV1 acts for TP: NV1's own codes are not NV1's to approve.
    made = name(session, org, deputy="staff")
    assert made.outcome is DelegationOutcome.OK
    own = open_code(session, org.staff)
    other = open_code(session, org.clerk)
    assert approver(session, own) == (org.leader.id, None)
    assert approver(session, other) == (org.staff.id, org.leader.id)
    assert sweep(session, MONDAY) == []


def test_cancelling_returns_the_codes_at_once(session: Session, org: Org) -> None:
    made = name(session, org).delegation
    assert made is not None
    code = open_code(session, org.staff)
    assert approver(session, code) == (org.other_leader.id, org.leader.id)
    refused = delegation.cancel(
        session=session, delegation_id=made.id, actor=org.other_leader, today=TODAY, now=MONDAY
    )
    assert refused.outcome is DelegationOutcome.NOT_FOUND
    seen: list = []
    result = delegation.cancel(
        session=session,
        delegation_id=made.id,
        actor=org.leader,
        today=TODAY,
        now=MONDAY,
        tell=lambda done: seen.append(done) or [],  # type: ignore[func-returns-value]
    )
    assert result.outcome is DelegationOutcome.OK
    [(cancelled, moves)] = seen
    assert cancelled.cancelled_by == org.leader.id
    assert [m.code.id for m in moves] == [code.id]
    assert approver(session, code) == (org.leader.id, None)
    again = delegation.cancel(
        session=session, delegation_id=made.id, actor=org.leader, today=TODAY, now=MONDAY
    )
    assert again.outcome is DelegationOutcome.ALREADY_HANDLED
    assert sweep(session, MONDAY) == []
    assert delegation.acting_for(session, org.leader.id, TODAY) is None


def test_the_next_change_is_a_start_or_the_day_after_an_end(session: Session, org: Org) -> None:
    assert delegation.next_change(session, TODAY) is None
    name(session, org, starts_on=date(2026, 11, 3), ends_on=date(2026, 11, 4))
    assert delegation.next_change(session, TODAY) == date(2026, 11, 3)
    assert delegation.next_change(session, date(2026, 11, 3)) == date(2026, 11, 5)
    assert delegation.next_change(session, date(2026, 11, 6)) == date(2026, 11, 5)  # owed
    sweep(session, local("2026-11-05", 0, 1))
    assert delegation.next_change(session, date(2026, 11, 6)) is None
