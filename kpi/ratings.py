"""Forced ratings (§7): an admin records that a person is Không hoàn thành nhiệm vụ for a period.

Whatever the score, on a ground the decree names (discipline of khiển trách or more, ...) and a
reference (the decision's number). Append-only: a reversal is a new row naming the first.
A forced rating counts in every period that overlaps its own: one for 2026Q4 also rates
November 2026 and the year 2026.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from kpi.audit import record
from kpi.periods import Period, parse_period
from kpi.workcodes import MAX_TEXT, clean_text
from models import Employee, ForcedRating
from models.db import insert_ignoring_duplicates, read

MAX_REFERENCE = 200


class RatingOutcome(StrEnum):
    """What became of a request to force a rating or reverse one."""

    OK = "ok"
    NOT_FOUND = "not_found"  # no such employee, or no active forced rating to reverse
    ALREADY_HANDLED = "already_handled"  # the same rating is there, or it is reversed already
    TEXT_REQUIRED = "text_required"
    TEXT_TOO_LONG = "text_too_long"


@dataclass(frozen=True)
class RatingResult:
    """The outcome and the row written."""

    outcome: RatingOutcome
    rating: ForcedRating | None = None


def force(
    *,
    session: Session,
    employee_id: int,
    period: Period,
    ground: str,
    reference: str,
    actor_id: int | None,
    now: datetime,
) -> RatingResult:
    """Record a forced rating for a period (once per person and period while active); commits."""
    if session.get(Employee, employee_id) is None:
        return RatingResult(RatingOutcome.NOT_FOUND)
    cleaned, ref = clean_text(ground), " ".join(reference.split())
    problem = _check(cleaned, ref)
    if problem is not None:
        return RatingResult(problem)
    if _active(session, employee_id, str(period)) is not None:
        return RatingResult(RatingOutcome.ALREADY_HANDLED)
    rating = ForcedRating(
        employee_id=employee_id,
        period=str(period),
        ground=cleaned,
        reference=ref,
        author_id=actor_id,
        created_at=now,
    )
    session.add(rating)
    session.flush()
    _audit(session, now, actor_id, "force", rating, str(period))
    session.commit()
    return RatingResult(RatingOutcome.OK, rating)


def reverse(
    *,
    session: Session,
    employee_id: int,
    period: Period,
    reason: str,
    actor_id: int | None,
    now: datetime,
) -> RatingResult:
    """Withdraw the active forced rating of a person and period, with a reason; commits.

    The reversal row names the rating in a unique column: of racing reversals one is written.
    """
    cleaned = clean_text(reason)
    problem = _check(cleaned, "")
    if problem is not None:
        return RatingResult(problem)
    rating = _active(session, employee_id, str(period))
    if rating is None:
        return RatingResult(RatingOutcome.NOT_FOUND)
    row = {
        "employee_id": employee_id,
        "period": rating.period,
        "ground": cleaned,
        "reference": rating.reference,
        "author_id": actor_id,
        "reverses_id": rating.id,
        "created_at": now,
    }
    if not insert_ignoring_duplicates(session, ForcedRating, [row]):
        session.rollback()
        return RatingResult(RatingOutcome.ALREADY_HANDLED, rating)
    _audit(session, now, actor_id, "reverse", rating, str(period))
    session.commit()
    return RatingResult(RatingOutcome.OK, rating)


def forced_in(
    session: Session, period: Period, where: Sequence[sa.ColumnElement[bool]] = ()
) -> dict[int, ForcedRating]:
    """The active forced ratings overlapping `period`, by employee (the first recorded wins).

    `where` narrows the employees (conditions on Employee). The table is small: every active
    rating is read and its period compared in Python.
    """
    query = _active_query().order_by(col(ForcedRating.id))
    if where:
        query = query.where(col(ForcedRating.employee_id).in_(select(Employee.id).where(*where)))
    return _overlapping(session.exec(query), period)


def forced_of(
    session: Session, period: Period, employee_ids: Collection[int]
) -> dict[int, ForcedRating]:
    """`forced_in` for the employees of these ids, from a statement built once: the ratings'
    periods are read as plain rows, and only a rating that overlaps (mostly none) is loaded."""
    found: dict[int, int] = {}
    for rating_id, employee_id, own in read(session, _ACTIVE_OF, {"ids": list(employee_ids)}):
        if employee_id not in found and _overlaps(own, period):
            found[employee_id] = rating_id
    return {who: session.get_one(ForcedRating, rating_id) for who, rating_id in found.items()}


def _overlapping(ratings: Iterable[ForcedRating], period: Period) -> dict[int, ForcedRating]:
    """The first of each employee's ratings (in the order read) that overlaps `period`."""
    found: dict[int, ForcedRating] = {}
    for rating in ratings:
        if _overlaps(rating.period, period):
            found.setdefault(rating.employee_id, rating)
    return found


def _overlaps(rated: str, period: Period) -> bool:
    """Whether the rating's period (as stored) and `period` share a day."""
    own = parse_period(rated)
    return own.first_day < period.end_day and period.first_day < own.end_day


# The reversals of a rating, made once: a new alias per query costs more than the query.
_REVERSAL = aliased(ForcedRating)


_ACTIVE = [  # a rating neither reversing another nor reversed
    col(ForcedRating.reverses_id).is_(None),
    ~sa.exists().where(col(_REVERSAL.reverses_id) == col(ForcedRating.id)),
]


def _active_query() -> SelectOfScalar[ForcedRating]:
    return select(ForcedRating).where(*_ACTIVE)


_ACTIVE_OF = (
    sa.select(col(ForcedRating.id), col(ForcedRating.employee_id), col(ForcedRating.period))
    .where(*_ACTIVE, col(ForcedRating.employee_id).in_(sa.bindparam("ids", expanding=True)))
    .order_by(col(ForcedRating.id))
)


def _active(session: Session, employee_id: int, period: str) -> ForcedRating | None:
    query = _active_query().where(
        col(ForcedRating.employee_id) == employee_id, col(ForcedRating.period) == period
    )
    return session.exec(query).first()


def _check(text: str, reference: str) -> RatingOutcome | None:
    if not text:
        return RatingOutcome.TEXT_REQUIRED
    if len(text) > MAX_TEXT or len(reference) > MAX_REFERENCE:
        return RatingOutcome.TEXT_TOO_LONG
    return None


def _audit(
    session: Session,
    now: datetime,
    actor_id: int | None,
    action: str,
    rating: ForcedRating,
    period: str,
) -> None:
    record(
        session,
        at=now,
        actor_id=actor_id,
        action=f"rating.{action}",
        subject=f"employee:{rating.employee_id}",
        details=f"rating={rating.id} period={period}",
    )
