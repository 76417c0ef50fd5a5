"""Deductions logged by people (§4, §6): manual ones and reversals (imports: deductions_import).

Deductions are append-only: a reversal is a new row naming the one it cancels, and the unique
constraint on `reverses_id` makes "reversed once" hold under races. Each service commits.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import cast

from sqlmodel import Session, col, select

from kpi import outbox
from kpi.audit import record
from kpi.org import employee_by_code, is_admin, leader_of, leads_anyone
from kpi.outbox import Tell
from kpi.policy import Criterion, Policy
from kpi.words import fold
from kpi.workcodes import clean_text
from models import Deduction, DeductionSource, Employee, Position
from models.db import insert_ignoring_duplicates

MAX_REASON = 2000
_CENT = Decimal("0.01")
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf"})  # plus every separator, Z*
LABEL_PREFIX = "D"  # a deduction's number is written D12, never to be taken for work code #12


def label(deduction_id: int | None) -> str:
    """A deduction's number as people see it: `D12`."""
    return f"{LABEL_PREFIX}{deduction_id}"


class Outcome(StrEnum):
    """What became of a request to log or reverse a deduction."""

    OK = "ok"
    NOT_FOUND = "not_found"  # no such deduction
    NOT_ALLOWED = "not_allowed"
    UNKNOWN_EMPLOYEE = "unknown_employee"
    UNKNOWN_CRITERION = "unknown_criterion"  # not in the policy, or not of that position
    BAD_POINTS = "bad_points"
    REASON_REQUIRED = "reason_required"
    REASON_TOO_LONG = "reason_too_long"
    ALREADY_REVERSED = "already_reversed"
    IS_REVERSAL = "is_reversal"  # a reversal row cannot itself be reversed


@dataclass(frozen=True)
class DeductResult:
    """The outcome; on OK the new deduction and the employee to tell."""

    outcome: Outcome
    deduction: Deduction | None = None
    employee: Employee | None = None
    criteria: tuple[Criterion, ...] = ()  # on UNKNOWN_CRITERION: the ones that employee has


@dataclass(frozen=True)
class ReverseResult:
    """The outcome, the deduction asked about and the reversal cancelling it (if any)."""

    outcome: Outcome
    deduction: Deduction | None = None
    reversal: Deduction | None = None


# --- Rules shared with appeals -----------------------------------------------------------------


def clean_reason(text: str) -> str:
    """A reason as stored: trimmed, control characters dropped; "" when nothing is visible."""
    cleaned = clean_text(unicodedata.normalize("NFC", text))
    visible = any(
        not (category.startswith("Z") or category in _INVISIBLE_CATEGORIES)
        for category in map(unicodedata.category, cleaned)
    )
    return cleaned if visible else ""


def check_points(points: Decimal | None, criterion: Criterion) -> Decimal | None:
    """The points to deduct (the criterion's default when None), or None if out of rule."""
    if points is None:
        return criterion.default_deduction.quantize(_CENT)
    if not points.is_finite() or not 0 < points <= criterion.max_points:
        return None
    return points.quantize(_CENT) if points == points.quantize(_CENT) else None


def reversal_of(*, session: Session, deduction_id: int) -> Deduction | None:
    """The row cancelling this deduction, if any."""
    query = select(Deduction).where(col(Deduction.reverses_id) == deduction_id)
    return session.exec(query).first()


def add_reversal(
    session: Session, *, original: Deduction, author_id: int, reason: str, now: datetime
) -> Deduction | None:
    """Insert the reversal of `original` (no commit); None if it is reversed already."""
    values = {
        "employee_id": original.employee_id,
        "criterion": original.criterion,
        "points": original.points,
        "reason": reason[:MAX_REASON],
        "occurred_at": now,
        "source": original.source,
        "author_id": author_id,
        "work_code_id": original.work_code_id,
        "reverses_id": original.id,
        "created_at": now,
    }
    # ON CONFLICT on the unique reverses_id: of two racing reversals exactly one is inserted.
    if insert_ignoring_duplicates(session, Deduction, [values]) != 1:
        return None
    return reversal_of(session=session, deduction_id=_id(original))


# --- Manual deductions and reversals -----------------------------------------------------------


def deduct(
    *,
    session: Session,
    actor: Employee,
    employee_code: str,
    criterion: str,
    points: Decimal | None,
    reason: str,
    now: datetime,
    policy: Policy,
    tell: Tell[DeductResult] | None = None,
) -> DeductResult:
    """Log a deduction: leaders for their direct reports, admins for anyone else; commits.

    What `tell` drafts about the deduction is queued in the same transaction.
    """
    actor_id = _id(actor)
    employee = _target(session, actor_id, employee_code.strip())
    if isinstance(employee, Outcome):
        return DeductResult(employee)
    choices = criteria_for(session, employee, policy)
    found = find_criterion(choices, criterion)
    if found is None:
        return DeductResult(Outcome.UNKNOWN_CRITERION, employee=employee, criteria=choices)
    amount = check_points(points, found)
    if amount is None:
        return DeductResult(Outcome.BAD_POINTS)
    text = clean_reason(reason)
    if not text:
        return DeductResult(Outcome.REASON_REQUIRED)
    if len(text) > MAX_REASON:
        return DeductResult(Outcome.REASON_TOO_LONG)
    row = Deduction(
        employee_id=_id(employee),
        criterion=found.code,
        points=amount,
        reason=text,
        occurred_at=now,
        source=DeductionSource.MANUAL.value,
        author_id=actor_id,
        created_at=now,
    )
    session.add(row)
    session.flush()
    _audit(session, now, actor_id, "deduction.manual", row)
    done = DeductResult(Outcome.OK, row, employee)
    outbox.tell(session, tell, done, now=now)
    session.commit()
    return done


def _target(session: Session, actor_id: int, code: str) -> Employee | Outcome:
    """The employee `actor_id` may deduct, or why not (§6: never oneself)."""
    admin = is_admin(session, actor_id)
    if not admin and not leads_anyone(session, actor_id):
        return Outcome.NOT_ALLOWED  # and tells a plain employee nothing about the code
    employee = employee_by_code(session, code)
    if employee is None:
        return Outcome.UNKNOWN_EMPLOYEE
    if employee.id == actor_id or not (admin or employee.leader_id == actor_id):
        return Outcome.NOT_ALLOWED
    return employee


def may_deduct(session: Session, actor_id: int, employee_id: int) -> bool:
    """Whether the actor may log a deduction for the employee now: a direct report, or anyone
    but oneself for an admin."""
    if employee_id == actor_id:
        return False
    return is_admin(session, actor_id) or leader_of(session, employee_id) == actor_id


def people_named(session: Session, actor: Employee, words: str) -> list[Employee]:
    """Those the actor may deduct whose roster code is `words`, or else whose name contains them
    (case and Vietnamese diacritics aside), by name."""
    actor_id, wanted = _id(actor), fold(words)
    if not wanted:
        return []
    query = select(Employee).where(col(Employee.id) != actor_id)
    if not is_admin(session, actor_id):
        query = query.where(col(Employee.leader_id) == actor_id)
    people = list(session.exec(query.order_by(col(Employee.full_name), col(Employee.id))))
    by_code = [person for person in people if fold(person.code) == wanted]
    return by_code or [person for person in people if wanted in fold(person.full_name)]


def criteria_for(session: Session, employee: Employee, policy: Policy) -> tuple[Criterion, ...]:
    """The criteria the employee's position is scored on (none for a position the policy lacks)."""
    query = select(Position.code).where(col(Position.id) == employee.position_id)
    position = session.exec(query).one()
    return policy.criteria_of(position) if position in policy.positions else ()


def find_criterion(choices: tuple[Criterion, ...], typed: str) -> Criterion | None:
    """The one criterion among `choices` named by `typed`: its code, or a word of its name.

    Case and Vietnamese diacritics do not matter ("tap", "Tập", "training" alike); a word found
    in several names names none.
    """
    word = fold(typed)
    if not word:
        return None
    by_code = [c for c in choices if fold(c.code) == word]
    if by_code:
        return by_code[0]
    by_name = [c for c in choices if word in re.findall(r"\w+", fold(f"{c.name_vi} {c.name_en}"))]
    return by_name[0] if len(by_name) == 1 else None


def reverse(
    *,
    session: Session,
    actor: Employee,
    deduction_id: int,
    reason: str,
    now: datetime,
    tell: Tell[ReverseResult] | None = None,
) -> ReverseResult:
    """An admin cancels a deduction by a new reversal row, at most once (race-safe); commits.

    What `tell` drafts about the reversal is queued in the same transaction.
    """
    actor_id = _id(actor)
    if not is_admin(session, actor_id):
        return ReverseResult(Outcome.NOT_ALLOWED)
    original = session.get(Deduction, deduction_id)
    if original is None:
        return ReverseResult(Outcome.NOT_FOUND)
    if original.reverses_id is not None:
        return ReverseResult(Outcome.IS_REVERSAL, original)
    if original.employee_id == actor_id:
        return ReverseResult(Outcome.NOT_ALLOWED, original)  # nobody cancels their own
    existing = reversal_of(session=session, deduction_id=deduction_id)
    if existing is not None:
        return ReverseResult(Outcome.ALREADY_REVERSED, original, existing)
    text = clean_reason(reason)
    if not text or len(text) > MAX_REASON:
        outcome = Outcome.REASON_TOO_LONG if text else Outcome.REASON_REQUIRED
        return ReverseResult(outcome, original)
    reversal = add_reversal(session, original=original, author_id=actor_id, reason=text, now=now)
    if reversal is None:  # lost a race with another reversal
        session.rollback()
        existing = reversal_of(session=session, deduction_id=deduction_id)
        return ReverseResult(Outcome.ALREADY_REVERSED, original, existing)
    _audit(session, now, actor_id, "deduction.reverse", reversal)
    done = ReverseResult(Outcome.OK, original, reversal)
    outbox.tell(session, tell, done, now=now)
    session.commit()
    return done


def _audit(
    session: Session, now: datetime, actor_id: int | None, action: str, row: Deduction
) -> None:
    details = f"employee={row.employee_id} criterion={row.criterion} points={row.points}"
    if row.reverses_id is not None:
        details += f" reverses={row.reverses_id}"
    record(
        session,
        at=now,
        actor_id=actor_id,
        action=action,
        subject=f"deduction:{row.id}",
        details=details,
    )


def _id(row: Employee | Deduction) -> int:
    # Rows here come from the database, so their primary key is set.
    return cast(int, row.id)
