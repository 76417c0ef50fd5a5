"""Appeals against deductions (§4): filed by the employee in time, decided once.

Who decides: the superior of the deduction's author (the author's direct leader). A deduction
without an author (a deadline breach, a file import) or by an author without a leader goes to
the appellant's own direct leader. When that leaves nobody, the appellant or the author, any
admin decides: `decider_id` None. Admins may decide any appeal, but nobody decides an appeal of
a deduction they wrote, nor their own appeal. Appeals always reach someone: when the decider has
no linked Telegram account, the admins are asked instead (`who_is_asked`).

At most one appeal of a deduction is pending at a time (a partial unique index), and a decision
is one conditional UPDATE from pending, so of two racing deciders exactly one wins. Each service
commits its own unit of work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import CursorResult, or_, update
from sqlmodel import Session, col, select

from kpi import outbox
from kpi.audit import record
from kpi.calendar import WorkCalendar
from kpi.deductions import MAX_REASON, add_reversal, clean_reason, reversal_of
from kpi.org import admins, is_admin, leader_of
from kpi.outbox import Tell
from kpi.policy import Policy
from models import Appeal, AppealStatus, Deduction, Employee
from models.db import insert_ignoring_duplicates


class AppealOutcome(StrEnum):
    """What became of an appeal or a decision on one."""

    OK = "ok"
    NOT_FOUND = "not_found"  # no such deduction or appeal, or not the caller's deduction
    NOT_ALLOWED = "not_allowed"  # not the decider (nor an admin), or one's own appeal
    TOO_LATE = "too_late"
    ALREADY_REVERSED = "already_reversed"  # the deduction is reversed, or is itself a reversal
    ALREADY_APPEALED = "already_appealed"  # an appeal of it is pending
    ALREADY_DECIDED = "already_decided"
    REASON_REQUIRED = "reason_required"
    REASON_TOO_LONG = "reason_too_long"


@dataclass(frozen=True)
class AppealResult:
    """The outcome, the appeal (filed, or the one already waiting) and the deduction when the
    caller may see it."""

    outcome: AppealOutcome
    appeal: Appeal | None = None
    deduction: Deduction | None = None


@dataclass(frozen=True)
class DecideResult:
    """The outcome, the appeal, its deduction and, once accepted, the reversal cancelling it."""

    outcome: AppealOutcome
    appeal: Appeal | None = None
    deduction: Deduction | None = None
    reversal: Deduction | None = None


def appeal_last_day(*, deduction: Deduction, calendar: WorkCalendar, policy: Policy) -> date:
    """The last day to appeal: the `appeal_days`-th working day after the deduction's local day."""
    day = calendar.local_day(deduction.occurred_at)
    return calendar.add_working_days(day, policy.appeal_days)


def appeal_deadline(*, deduction: Deduction, calendar: WorkCalendar, policy: Policy) -> datetime:
    """The instant appeals close: 24:00 local of the last day (UTC; exclusive)."""
    last_day = appeal_last_day(deduction=deduction, calendar=calendar, policy=policy)
    return calendar.end_of_day(last_day)


def appeal(
    *,
    session: Session,
    actor: Employee,
    deduction_id: int,
    reason: str,
    now: datetime,
    calendar: WorkCalendar,
    policy: Policy,
    tell: Tell[AppealResult] | None = None,
) -> AppealResult:
    """The deduction's employee asks for it to be reversed, in time and once at a time; commits.

    What `tell` drafts about the filed appeal (the decider's buttons) is queued in the same
    transaction.
    """
    deduction = session.get(Deduction, deduction_id)
    if deduction is None or deduction.employee_id != actor.id:
        return AppealResult(AppealOutcome.NOT_FOUND)  # never reveal someone else's deduction
    reversed_ = reversal_of(session=session, deduction_id=deduction_id) is not None
    if deduction.reverses_id is not None or reversed_:
        return AppealResult(AppealOutcome.ALREADY_REVERSED, deduction=deduction)
    if now >= appeal_deadline(deduction=deduction, calendar=calendar, policy=policy):
        return AppealResult(AppealOutcome.TOO_LATE, deduction=deduction)
    if (pending := _pending(session, deduction_id)) is not None:
        return AppealResult(AppealOutcome.ALREADY_APPEALED, pending, deduction)
    text = clean_reason(reason)
    if not text or len(text) > MAX_REASON:
        outcome = AppealOutcome.REASON_TOO_LONG if text else AppealOutcome.REASON_REQUIRED
        return AppealResult(outcome, deduction=deduction)
    return _file(session, deduction, text, now, tell)


def _file(
    session: Session,
    deduction: Deduction,
    reason: str,
    now: datetime,
    tell: Tell[AppealResult] | None,
) -> AppealResult:
    """Insert the pending appeal unless another one got there first."""
    values = {
        "deduction_id": deduction.id,
        "employee_id": deduction.employee_id,
        "reason": reason,
        "decider_id": choose_decider(session=session, deduction=deduction),
        "status": AppealStatus.PENDING.value,
        "created_at": now,
    }
    if insert_ignoring_duplicates(session, Appeal, [values]) != 1:
        session.rollback()
        pending = _pending(session, _id(deduction))
        return AppealResult(AppealOutcome.ALREADY_APPEALED, pending, deduction)
    filed = cast(Appeal, _pending(session, _id(deduction)))
    details = f"deduction={deduction.id} decider={filed.decider_id}"
    record(
        session,
        at=now,
        actor_id=deduction.employee_id,
        action="appeal.file",
        subject=f"appeal:{filed.id}",
        details=details,
    )
    done = AppealResult(AppealOutcome.OK, filed, deduction)
    outbox.tell(session, tell, done, now=now)
    session.commit()
    return done


def choose_decider(*, session: Session, deduction: Deduction) -> int | None:
    """Who decides an appeal of this deduction now; None means any admin (see the module)."""
    appellant, author = deduction.employee_id, deduction.author_id
    decider = leader_of(session, author) if author is not None else None
    if decider is None:
        decider = leader_of(session, appellant)
    return None if decider in (appellant, author) else decider


def decide(
    *,
    session: Session,
    actor: Employee,
    appeal_id: int,
    accept: bool,
    reason: str = "",
    now: datetime,
    tell: Tell[DecideResult] | None = None,
) -> DecideResult:
    """The decider (or any admin) accepts or rejects a pending appeal, once; commits.

    A rejection needs a reason (the appellant receives it). What `tell` drafts about the
    decision is queued in the same transaction.
    """
    checked = check_decision(session=session, actor=actor, appeal_id=appeal_id, accept=accept)
    if checked.outcome is not AppealOutcome.OK:
        return checked
    filed, deduction = cast(Appeal, checked.appeal), cast(Deduction, checked.deduction)
    note = clean_reason(reason)
    if len(note) > MAX_REASON:
        return DecideResult(AppealOutcome.REASON_TOO_LONG, filed, deduction)
    if not accept and not note:
        return DecideResult(AppealOutcome.REASON_REQUIRED, filed, deduction)
    return _settle(session, filed, deduction, _id(actor), accept, note, now, tell)


def check_decision(
    *, session: Session, actor: Employee, appeal_id: int, accept: bool
) -> DecideResult:
    """Whether the actor may decide the appeal so now (OK, with it and its deduction); no change.

    A deduction cancelled meanwhile (by HR) cannot stay: rejecting is refused; accepting
    records the appeal as accepted, the existing cancellation standing for it.
    """
    filed = session.get(Appeal, appeal_id, populate_existing=True)
    if filed is None:
        return DecideResult(AppealOutcome.NOT_FOUND)
    deduction = session.get_one(Deduction, filed.deduction_id)
    actor_id = _id(actor)
    may = actor_id == filed.decider_id or is_admin(session, actor_id)
    if actor_id in (filed.employee_id, deduction.author_id) or not may:
        return DecideResult(AppealOutcome.NOT_ALLOWED)
    if filed.status != AppealStatus.PENDING:
        return DecideResult(
            AppealOutcome.ALREADY_DECIDED, filed, deduction, _reversal(session, filed)
        )
    if not accept and reversal_of(session=session, deduction_id=_id(deduction)) is not None:
        session.refresh(filed)  # the cancellation may be this appeal's, accepted just now
        if filed.status != AppealStatus.PENDING:
            return DecideResult(
                AppealOutcome.ALREADY_DECIDED, filed, deduction, _reversal(session, filed)
            )
        return DecideResult(AppealOutcome.ALREADY_REVERSED, filed, deduction)
    return DecideResult(AppealOutcome.OK, filed, deduction)


def _settle(
    session: Session,
    filed: Appeal,
    deduction: Deduction,
    actor_id: int,
    accept: bool,
    note: str,
    now: datetime,
    tell: Tell[DecideResult] | None,
) -> DecideResult:
    """Decide if still pending, reversing the deduction on acceptance, in one transaction."""
    status = AppealStatus.ACCEPTED if accept else AppealStatus.REJECTED
    decision = (
        update(Appeal)
        .where(col(Appeal.id) == filed.id, col(Appeal.status) == AppealStatus.PENDING.value)
        .values(status=status.value, decided_at=now, decided_by_id=actor_id, decision_reason=note)
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], session.execute(decision)).rowcount != 1:
        session.rollback()
        session.refresh(filed)
        return DecideResult(
            AppealOutcome.ALREADY_DECIDED, filed, deduction, _reversal(session, filed)
        )
    reversal = _reverse(session, filed, deduction, actor_id, note, now) if accept else None
    details = f"deduction={deduction.id} status={status.value}"
    if reversal is not None:
        details += f" reversal={reversal.id}"
    subject = f"appeal:{filed.id}"
    record(
        session, at=now, actor_id=actor_id, action="appeal.decide", subject=subject, details=details
    )
    session.refresh(filed)
    done = DecideResult(AppealOutcome.OK, filed, deduction, reversal)
    outbox.tell(session, tell, done, now=now)
    session.commit()
    return done


def _reverse(
    session: Session, filed: Appeal, deduction: Deduction, actor_id: int, note: str, now: datetime
) -> Deduction:
    """The reversal an accepted appeal calls for, linked from the appeal (no commit)."""
    text = f"Appeal #{filed.id} accepted" + (f": {note}" if note else "")
    reversal = add_reversal(session, original=deduction, author_id=actor_id, reason=text, now=now)
    if reversal is None:  # an admin reversed it meanwhile: that row is the one cancelling it
        reversal = cast(Deduction, reversal_of(session=session, deduction_id=_id(deduction)))
    link = update(Appeal).where(col(Appeal.id) == filed.id).values(reversal_id=reversal.id)
    session.execute(link.execution_options(synchronize_session=False))
    return reversal


def open_appeals_for(*, session: Session, decider: Employee) -> list[Appeal]:
    """Pending appeals this person may decide (admins: every one), oldest first.

    Never their own appeals, nor appeals of deductions they wrote.
    """
    decider_id = _id(decider)
    query = (
        select(Appeal)
        .join(Deduction, col(Deduction.id) == col(Appeal.deduction_id))
        .where(
            col(Appeal.status) == AppealStatus.PENDING.value,
            col(Appeal.employee_id) != decider_id,
            or_(col(Deduction.author_id).is_(None), col(Deduction.author_id) != decider_id),
        )
        .order_by(col(Appeal.created_at), col(Appeal.id))
    )
    if not is_admin(session, decider_id):
        query = query.where(col(Appeal.decider_id) == decider_id)
    return list(session.exec(query))


def who_is_asked(*, session: Session, filed: Appeal, deduction: Deduction) -> list[Employee]:
    """Whom the bot asks to decide: the decider when linked, else every linked admin who may."""
    decider = session.get(Employee, filed.decider_id) if filed.decider_id is not None else None
    if decider is not None and decider.telegram_id is not None:
        return [decider]
    barred = (filed.employee_id, deduction.author_id)
    return [a for a in admins(session) if a.telegram_id is not None and a.id not in barred]


def _pending(session: Session, deduction_id: int) -> Appeal | None:
    query = select(Appeal).where(
        col(Appeal.deduction_id) == deduction_id, col(Appeal.status) == AppealStatus.PENDING.value
    )
    return session.exec(query).first()


def _reversal(session: Session, filed: Appeal) -> Deduction | None:
    return session.get(Deduction, filed.reversal_id) if filed.reversal_id is not None else None


def _id(row: Employee | Deduction) -> int:
    # Rows here come from the database, so their primary key is set.
    return cast(int, row.id)
