"""Acting approvers (ủy quyền phê duyệt): a leader names a deputy for a period of days.

While a delegation runs, the leader's open codes are the deputy's: the sweep hands them over
(`hand_over`), codes opened or resubmitted meanwhile go to the deputy at once (`acting_for`), and
whatever the approver does or owes (responses, reminders, the digest, a breach) is the deputy's,
because the code's `approver_id` is. When it ends or is cancelled the codes the deputy still
holds go back (`give_back`). Each move is one conditional UPDATE, so two sweeps or a sweep and a
cancellation never move a code twice; every move is audited.

Codes the deputy opened themselves stay with the leader: nobody approves their own work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import CursorResult, or_, update
from sqlmodel import Session, col, select

from kpi import org, outbox
from kpi.audit import record
from kpi.outbox import Tell
from models import Delegation, Employee, Role, WorkCode, WorkCodeStatus

MAX_DAYS = 366  # the longest period one delegation may cover
_HELD = [WorkCodeStatus.OPEN.value, WorkCodeStatus.RETURNED.value]


class DelegationOutcome(StrEnum):
    """What became of a request to name or cancel a deputy."""

    OK = "ok"
    NOT_ALLOWED = "not_allowed"  # neither the leader nor an admin
    NOT_A_LEADER = "not_a_leader"  # the leader approves nobody's codes
    NO_DEPUTY = "no_deputy"  # no such employee
    SELF = "self"
    DEPUTY_NOT_LINKED = "deputy_not_linked"
    BAD_PERIOD = "bad_period"  # ends before it starts, or longer than MAX_DAYS
    IN_THE_PAST = "in_the_past"  # starts before today
    OVERLAP = "overlap"  # the leader already has a deputy for some of these days
    LEADER_IS_DEPUTY = "leader_is_deputy"  # the leader acts for someone then
    DEPUTY_DELEGATES = "deputy_delegates"  # the deputy has a deputy of their own then
    NOT_FOUND = "not_found"
    ALREADY_HANDLED = "already_handled"  # cancelled already, or over


@dataclass(frozen=True)
class DelegationResult:
    """The outcome, and the delegation concerned (on an overlap: the one in the way)."""

    outcome: DelegationOutcome
    delegation: Delegation | None = None


@dataclass(frozen=True)
class Move:
    """A code that changed hands: from the leader to the deputy, or back."""

    code: WorkCode
    delegation: Delegation
    to_deputy: bool


def may_delegate(actor: Employee, leader_id: int) -> bool:
    """Whether `actor` may name a deputy for the leader: the leader themself, or an admin."""
    return actor.id == leader_id or actor.role == Role.ADMIN


def create(
    *,
    session: Session,
    actor: Employee | None,
    leader_id: int,
    deputy_id: int,
    starts_on: date,
    ends_on: date,
    today: date,
    now: datetime,
    tell: Tell[Delegation] | None = None,
) -> DelegationResult:
    """Name the leader's deputy for `starts_on`..`ends_on`; commits. `actor` None is the CLI."""
    refusal = _refusal(session, actor, leader_id, deputy_id, starts_on, ends_on, today)
    if refusal is not None:
        return refusal
    delegation = Delegation(
        leader_id=leader_id,
        deputy_id=deputy_id,
        starts_on=starts_on,
        ends_on=ends_on,
        created_by=actor.id if actor else None,
        created_at=now,
    )
    session.add(delegation)
    session.flush()
    _audit(session, now, actor, "delegation.create", delegation)
    outbox.tell(session, tell, delegation, now=now)
    session.commit()
    return DelegationResult(DelegationOutcome.OK, delegation)


def _refusal(
    session: Session,
    actor: Employee | None,
    leader_id: int,
    deputy_id: int,
    starts_on: date,
    ends_on: date,
    today: date,
) -> DelegationResult | None:
    if actor is not None and not may_delegate(actor, leader_id):
        return DelegationResult(DelegationOutcome.NOT_ALLOWED)
    if not org.leads_anyone(session, leader_id):
        return DelegationResult(DelegationOutcome.NOT_A_LEADER)
    deputy = session.get(Employee, deputy_id)
    if deputy is None:
        return DelegationResult(DelegationOutcome.NO_DEPUTY)
    if deputy_id == leader_id:
        return DelegationResult(DelegationOutcome.SELF)
    if deputy.telegram_id is None:
        return DelegationResult(DelegationOutcome.DEPUTY_NOT_LINKED)
    if ends_on < starts_on or (ends_on - starts_on).days >= MAX_DAYS:
        return DelegationResult(DelegationOutcome.BAD_PERIOD)
    if starts_on < today:
        return DelegationResult(DelegationOutcome.IN_THE_PAST)
    checks = (
        (Delegation.leader_id, leader_id, DelegationOutcome.OVERLAP),
        (Delegation.deputy_id, leader_id, DelegationOutcome.LEADER_IS_DEPUTY),
        (Delegation.leader_id, deputy_id, DelegationOutcome.DEPUTY_DELEGATES),
    )
    for column, person, outcome in checks:
        found = _overlapping(session, column, person, starts_on, ends_on)
        if found is not None:
            return DelegationResult(outcome, found)
    return None


def _overlapping(
    session: Session, column: Any, person: int, starts_on: date, ends_on: date
) -> Delegation | None:
    """A delegation still in force with `person` in `column` that shares a day with the period."""
    return session.exec(
        select(Delegation)
        .where(
            col(column) == person,
            col(Delegation.cancelled_at).is_(None),
            col(Delegation.starts_on) <= ends_on,
            col(Delegation.ends_on) >= starts_on,
        )
        .order_by(col(Delegation.starts_on))
    ).first()


def acting_for(session: Session, leader_id: int, day: date) -> int | None:
    """The deputy who approves in the leader's place on `day`, or None."""
    found = session.exec(
        select(Delegation.deputy_id).where(
            col(Delegation.leader_id) == leader_id,
            col(Delegation.cancelled_at).is_(None),
            col(Delegation.starts_on) <= day,
            col(Delegation.ends_on) >= day,
        )
    ).first()
    return found


def approver_on(
    session: Session, leader_id: int, author_id: int, day: date
) -> tuple[int, int | None]:
    """Who approves a code of `author_id`'s, whose leader is `leader_id`, opened on `day`:
    (approver, the leader when a deputy acts). The deputy's own codes stay with the leader."""
    deputy = acting_for(session, leader_id, day)
    if deputy is None or deputy == author_id:
        return leader_id, None
    return deputy, leader_id


def in_force(session: Session, leader_id: int, today: date) -> list[Delegation]:
    """The leader's delegations that have not ended by `today` and are not cancelled."""
    return list(
        session.exec(
            select(Delegation)
            .where(
                col(Delegation.leader_id) == leader_id,
                col(Delegation.cancelled_at).is_(None),
                col(Delegation.ends_on) >= today,
            )
            .order_by(col(Delegation.starts_on))
        )
    )


def listing(session: Session, today: date) -> list[Delegation]:
    """Every delegation not ended by `today` nor cancelled, the earliest first."""
    return list(
        session.exec(
            select(Delegation)
            .where(col(Delegation.cancelled_at).is_(None), col(Delegation.ends_on) >= today)
            .order_by(col(Delegation.starts_on), col(Delegation.id))
        )
    )


def cancel(
    *,
    session: Session,
    delegation_id: int,
    actor: Employee | None,
    today: date,
    now: datetime,
    tell: Tell[tuple[Delegation, list[Move]]] | None = None,
) -> DelegationResult:
    """End a delegation now (the leader or an admin; None is the CLI): the deputy's codes go back
    to the leader in the same unit of work, which `tell` drafts the messages of. Commits."""
    delegation = session.get(Delegation, delegation_id)
    if delegation is None:
        return DelegationResult(DelegationOutcome.NOT_FOUND)
    if actor is not None and not may_delegate(actor, delegation.leader_id):
        return DelegationResult(DelegationOutcome.NOT_FOUND)
    statement = (
        update(Delegation)
        .where(
            col(Delegation.id) == delegation_id,
            col(Delegation.cancelled_at).is_(None),
            col(Delegation.ends_on) >= today,
        )
        .values(cancelled_at=now, cancelled_by=actor.id if actor else None)
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], session.execute(statement)).rowcount != 1:
        session.rollback()
        return DelegationResult(DelegationOutcome.ALREADY_HANDLED, delegation)
    session.refresh(delegation)
    _audit(session, now, actor, "delegation.cancel", delegation)
    moves = give_back(session, delegation, now)
    outbox.tell(session, tell, (delegation, moves), now=now)
    session.commit()
    return DelegationResult(DelegationOutcome.OK, delegation)


def due(session: Session, today: date) -> tuple[list[Delegation], list[Delegation]]:
    """The delegations running on `today`, and those over (ended or cancelled) not yet finished."""
    unfinished = session.exec(
        select(Delegation)
        .where(col(Delegation.returned_at).is_(None), col(Delegation.starts_on) <= today)
        .order_by(col(Delegation.id))
    ).all()
    running = [d for d in unfinished if d.cancelled_at is None and d.ends_on >= today]
    over = [d for d in unfinished if d.cancelled_at is not None or d.ends_on < today]
    return running, over


def hand_over(session: Session, delegation: Delegation, now: datetime) -> list[Move]:
    """Give the deputy the leader's open and returned codes (not the deputy's own); no commit.

    A code whose deadline passed before its breach was recorded waits: that breach is the
    leader's, and the next run hands the code over.
    """
    codes = session.exec(
        select(WorkCode).where(
            col(WorkCode.approver_id) == delegation.leader_id,
            col(WorkCode.status).in_(_HELD),
            col(WorkCode.employee_id) != delegation.deputy_id,
            or_(
                col(WorkCode.status) == WorkCodeStatus.RETURNED.value,
                col(WorkCode.deadline_at) > now,
                col(WorkCode.breached_cycle) >= col(WorkCode.cycle),
            ),
        )
    ).all()
    return [
        Move(code, delegation, to_deputy=True)
        for code in codes
        if _move(session, code, delegation.leader_id, delegation.deputy_id, delegation, now)
    ]


def give_back(session: Session, delegation: Delegation, now: datetime) -> list[Move]:
    """Give the leader back the codes the deputy holds for them, and mark the delegation
    finished; no commit. Nothing when another run finished it first."""
    finished = session.execute(
        update(Delegation)
        .where(col(Delegation.id) == delegation.id, col(Delegation.returned_at).is_(None))
        .values(returned_at=now)
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], finished).rowcount != 1:
        return []
    session.expire(delegation)  # the bulk UPDATE bypassed the identity map
    codes = session.exec(
        select(WorkCode).where(
            col(WorkCode.approver_id) == delegation.deputy_id,
            col(WorkCode.delegated_from) == delegation.leader_id,
            col(WorkCode.status).in_(_HELD),
        )
    ).all()
    return [
        Move(code, delegation, to_deputy=False)
        for code in codes
        if _move(session, code, delegation.deputy_id, delegation.leader_id, delegation, now)
    ]


def _move(
    session: Session,
    code: WorkCode,
    holder: int,
    to: int,
    delegation: Delegation,
    now: datetime,
) -> bool:
    """Move one code from `holder` to `to` if it is still theirs and open; whether it moved."""
    to_deputy = to == delegation.deputy_id
    statement = (
        update(WorkCode)
        .where(
            col(WorkCode.id) == code.id,
            col(WorkCode.approver_id) == holder,
            col(WorkCode.status).in_(_HELD),
            or_(
                col(WorkCode.delegated_from).is_(None),
                col(WorkCode.delegated_from) == delegation.leader_id,
            ),
        )
        .values(approver_id=to, delegated_from=delegation.leader_id if to_deputy else None)
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], session.execute(statement)).rowcount != 1:
        return False
    session.refresh(code)
    record(
        session,
        at=now,
        actor_id=None,
        action="workcode.delegate" if to_deputy else "workcode.give_back",
        subject=f"workcode:{code.id}",
        details=f"cycle={code.cycle} approver={to} delegation={delegation.id}",
    )
    return True


def _audit(
    session: Session, now: datetime, actor: Employee | None, action: str, d: Delegation
) -> None:
    record(
        session,
        at=now,
        actor_id=actor.id if actor else None,
        action=action,
        subject=f"delegation:{d.id}",
        details=f"leader={d.leader_id} deputy={d.deputy_id} from={d.starts_on} to={d.ends_on}",
    )


def candidates(session: Session, leader_id: int, limit: int = 10) -> list[Employee]:
    """Whom the leader would likely name: those sharing the leader's own leader, then the leader's
    direct reports; linked accounts only, by name."""
    superior = org.leader_of(session, leader_id)
    groups = ([superior] if superior is not None else []) + [leader_id]
    people = session.exec(
        select(Employee).where(
            col(Employee.leader_id).in_(groups),
            col(Employee.id) != leader_id,
            col(Employee.telegram_id).is_not(None),
        )
    ).all()
    ranked = sorted(people, key=lambda p: (p.leader_id != superior, p.full_name))
    return ranked[:limit]


def next_change(session: Session, today: date) -> date | None:
    """The next day codes change hands: a delegation's first day to come, or the day after a
    running one's last (today or before when the sweep has not given the codes back yet)."""
    unfinished = session.exec(
        select(Delegation).where(
            col(Delegation.returned_at).is_(None), col(Delegation.cancelled_at).is_(None)
        )
    ).all()
    after = timedelta(days=1)
    return min(
        (d.starts_on if d.starts_on > today else d.ends_on + after for d in unfinished),
        default=None,
    )
