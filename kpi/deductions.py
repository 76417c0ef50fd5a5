"""Deductions logged by people (§4, §6): manual ones, reversals, and imports from files.

Deductions are append-only: a reversal is a new row naming the one it cancels, and the unique
constraint on `reverses_id` makes "reversed once" hold under races. Each service commits.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from kpi.audit import record
from kpi.policy import Criterion, Policy

# The roster's file reading (CSV with or without BOM, ';' from Vietnamese Excel, the first XLSX
# sheet, line numbers of multi-line cells) fits deduction files as it is.
from kpi.roster import RosterFileError, RowError, column_index, read_table
from kpi.workcodes import clean_text
from models import Deduction, DeductionSource, Employee, Position, Role
from models.db import insert_ignoring_duplicates

MAX_REASON = 2000
COLUMNS = ("code", "criterion", "occurred_on", "reason", "points")
REQUIRED_COLUMNS = COLUMNS[:4]
CHUNK = 500
# An imported deduction is dated 12:00 local on its day: twelve hours from either midnight, so
# no zone conversion moves it to another day, hence to another quarter or appeal window.
IMPORT_TIME = time(12)
_CENT = Decimal("0.01")
_EXCEL_MIDNIGHT = "T00:00:00"  # how an Excel date cell reads back as text
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf"})  # plus every separator, Z*


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


def is_admin(session: Session, employee_id: int) -> bool:
    """Whether the employee is an admin, as the database says now (the caller's copy may be old)."""
    role = session.exec(select(Employee.role).where(col(Employee.id) == employee_id)).first()
    return role == Role.ADMIN.value


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
) -> DeductResult:
    """Log a deduction: leaders for their direct reports, admins for anyone else; commits."""
    actor_id = _id(actor)
    employee = _target(session, actor_id, employee_code.strip())
    if isinstance(employee, Outcome):
        return DeductResult(employee)
    found = _criterion_of(session, employee, criterion.strip().lower(), policy)
    if found is None:
        return DeductResult(Outcome.UNKNOWN_CRITERION)
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
    session.commit()
    return DeductResult(Outcome.OK, row, employee)


def _target(session: Session, actor_id: int, code: str) -> Employee | Outcome:
    """The employee `actor_id` may deduct, or why not (§6: never oneself)."""
    admin = is_admin(session, actor_id)
    if not admin and not _leads_anyone(session, actor_id):
        return Outcome.NOT_ALLOWED  # and tells a plain employee nothing about the code
    query = select(Employee).where(col(Employee.code) == code)
    employee = session.exec(query.execution_options(populate_existing=True)).first()
    if employee is None:
        return Outcome.UNKNOWN_EMPLOYEE
    if employee.id == actor_id or not (admin or employee.leader_id == actor_id):
        return Outcome.NOT_ALLOWED
    return employee


def _leads_anyone(session: Session, employee_id: int) -> bool:
    query = select(Employee.id).where(col(Employee.leader_id) == employee_id).limit(1)
    return session.exec(query).first() is not None


def _criterion_of(
    session: Session, employee: Employee, code: str, policy: Policy
) -> Criterion | None:
    """The criterion `code` if the employee's position is scored on it."""
    query = select(Position.code).where(col(Position.id) == employee.position_id)
    position = session.exec(query).one()
    if position not in policy.positions:
        return None
    return next((c for c in policy.criteria_of(position) if c.code == code), None)


def reverse(
    *, session: Session, actor: Employee, deduction_id: int, reason: str, now: datetime
) -> ReverseResult:
    """An admin cancels a deduction by a new reversal row, at most once (race-safe); commits."""
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
    session.commit()
    return ReverseResult(Outcome.OK, original, reversal)


def deduction_status(*, session: Session, deduction_ids: Collection[int]) -> dict[int, bool]:
    """By id: True if it counts, False if reversed or a reversal row; unknown ids left out."""
    reversal = aliased(Deduction)
    reversed_ = sa.exists().where(col(reversal.reverses_id) == col(Deduction.id))
    query = sa.select(col(Deduction.id), col(Deduction.reverses_id), reversed_)
    status: dict[int, bool] = {}
    for chunk in _chunks(sorted(set(deduction_ids))):
        for id_, reverses_id, is_reversed in session.execute(
            query.where(col(Deduction.id).in_(chunk))
        ):
            status[id_] = reverses_id is None and not is_reversed
    return status


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


def _chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


# --- Importing files ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DeductionRow:
    """One deduction as a file states it (trimmed text); `line` is its line or sheet row."""

    line: int
    code: str
    criterion: str
    occurred_on: str
    reason: str
    points: str = ""  # empty: the criterion's default deduction


@dataclass(frozen=True)
class ImportReport:
    """What an import did (or, with `dry_run`, would do); nothing is changed when `errors`."""

    created: int
    skipped: int  # rows imported before (same code, criterion, day, points and reason)
    errors: tuple[RowError, ...]
    dry_run: bool


class DeductionFileError(Exception):
    """The file as a whole cannot be read as deductions; the message says why in one line."""


def read_deductions(path: Path) -> list[DeductionRow]:
    """Parse a deductions file (CSV or the first XLSX sheet); `import_deductions` validates."""
    try:
        table = [(n, cells) for n, cells in read_table(path) if any(c.strip() for c in cells)]
        if not table:
            raise DeductionFileError(f"{path.name} is empty: a header row is required")
        index = column_index(table[0][1], table[0][0], COLUMNS, REQUIRED_COLUMNS)
    except RosterFileError as exc:  # the same file rules as the roster's
        raise DeductionFileError(str(exc)) from exc

    def cell(cells: list[str], name: str) -> str:
        at = index.get(name)
        text = cells[at] if at is not None and at < len(cells) else ""
        return unicodedata.normalize("NFC", text).strip()

    return [
        DeductionRow(line, *(cell(cells, name) for name in COLUMNS)) for line, cells in table[1:]
    ]


@dataclass(frozen=True)
class _Context:
    """What validating a row needs: who is who, the policy, and today in the organisation."""

    people: dict[str, tuple[int, str]]  # employee code -> (id, position code)
    policy: Policy
    tz: ZoneInfo
    today: date


def import_deductions(
    *,
    session: Session,
    rows: Sequence[DeductionRow],
    policy: Policy,
    tz: ZoneInfo,
    now: datetime,
    actor_id: int | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """Validate every row, then add the new deductions and commit (all or nothing)."""
    context = _Context(
        _people(session, {row.code for row in rows}), policy, tz, now.astimezone(tz).date()
    )
    entries, errors = _validate(rows, context)
    if errors:
        return ImportReport(created=0, skipped=0, errors=tuple(errors), dry_run=dry_run)
    for entry in entries:
        entry.update(author_id=actor_id, created_at=now)
    if dry_run:
        created = len(entries) - _existing(session, [entry["key"] for entry in entries])
    else:
        created = sum(insert_ignoring_duplicates(session, Deduction, c) for c in _chunks(entries))
        details = f"created={created} skipped={len(entries) - created}"
        record(
            session,
            at=now,
            actor_id=actor_id,
            action="deduction.import",
            subject="deductions",
            details=details,
        )
        session.commit()
    return ImportReport(created=created, skipped=len(entries) - created, errors=(), dry_run=dry_run)


def _validate(
    rows: Sequence[DeductionRow], context: _Context
) -> tuple[list[dict[str, Any]], list[RowError]]:
    """The rows as column values, or every error found, by line."""
    entries: list[dict[str, Any]] = []
    errors: list[RowError] = []
    first_line: dict[str, int] = {}
    for row in rows:
        entry, reasons = _entry(row, context)
        errors.extend(RowError(row.line, reason) for reason in reasons)
        if entry is None:
            continue
        if entry["key"] in first_line:
            errors.append(RowError(row.line, f"same deduction as line {first_line[entry['key']]}"))
        first_line.setdefault(entry["key"], row.line)
        entries.append(entry)
    return entries, errors


def _entry(row: DeductionRow, context: _Context) -> tuple[dict[str, Any] | None, list[str]]:
    """The row's column values, or the reasons it is wrong."""
    reasons: list[str] = []
    person = context.people.get(row.code)
    if person is None:
        reasons.append(f"unknown employee '{row.code}'" if row.code else "empty code")
    criterion = _import_criterion(row, person, context.policy, reasons)
    day = _import_day(row.occurred_on, context.today, reasons)
    points = _import_points(row.points, criterion, reasons)
    reason = clean_reason(row.reason)
    if not reason:
        reasons.append("empty reason")
    elif len(reason) > MAX_REASON:
        reasons.append(f"reason is longer than {MAX_REASON} characters")
    if reasons or person is None or criterion is None or day is None or points is None:
        return None, reasons
    return {
        "key": _key(row.code, criterion.code, day, points, reason),
        "employee_id": person[0],
        "criterion": criterion.code,
        "points": points,
        "reason": reason,
        "occurred_at": datetime.combine(day, IMPORT_TIME, tzinfo=context.tz).astimezone(UTC),
        "source": DeductionSource.IMPORT.value,
    }, []


def _import_criterion(
    row: DeductionRow, person: tuple[int, str] | None, policy: Policy, reasons: list[str]
) -> Criterion | None:
    code = row.criterion.lower()
    if not code:
        reasons.append("empty criterion")
    elif code not in policy.criteria:
        reasons.append(f"unknown criterion '{row.criterion}'")
    elif person is not None and person[1] not in policy.positions:
        reasons.append(f"position '{person[1]}' is not in the policy")
    elif person is not None and code not in policy.positions[person[1]].criteria:
        reasons.append(f"criterion '{code}' is not one of position '{person[1]}'")
    else:
        return policy.criteria[code]
    return None


def _import_day(text: str, today: date, reasons: list[str]) -> date | None:
    core = text.removesuffix(_EXCEL_MIDNIGHT)
    try:
        day = date.fromisoformat(core) if _DATE_RE.fullmatch(core) else None
    except ValueError:  # 2026-02-30
        day = None
    if day is None:
        reasons.append(f"bad date '{text}' (expected YYYY-MM-DD)" if text else "empty occurred_on")
    elif day > today:
        reasons.append(f"date {day.isoformat()} is in the future")
        day = None
    return day


def _import_points(text: str, criterion: Criterion | None, reasons: list[str]) -> Decimal | None:
    try:
        # Excel under Vietnamese settings writes a decimal comma: "2,5".
        points = Decimal(text.replace(",", ".")) if text else None
    except InvalidOperation:
        reasons.append(f"bad points '{text}' (expected a number such as 2 or 2.5)")
        return None
    if criterion is None:
        return None
    amount = check_points(points, criterion)
    if amount is None:
        reasons.append(
            f"bad points '{text}' (more than 0, at most {criterion.max_points.normalize():f}"
            " for this criterion, at most 2 decimals)"
        )
    return amount


def _key(code: str, criterion: str, day: date, points: Decimal, reason: str) -> str:
    """The idempotency key of an imported row: the same row imported again adds nothing."""
    fields = [code, criterion, day.isoformat(), str(points), reason]
    return "import:" + hashlib.sha256(json.dumps(fields).encode()).hexdigest()


def _people(session: Session, codes: Collection[str]) -> dict[str, tuple[int, str]]:
    """Employee id and position code by employee code, for the codes asked about."""
    query = sa.select(col(Employee.code), col(Employee.id), col(Position.code)).join(
        Position, col(Position.id) == col(Employee.position_id)
    )
    people: dict[str, tuple[int, str]] = {}
    for chunk in _chunks(sorted(codes)):
        for code, id_, position in session.execute(query.where(col(Employee.code).in_(chunk))):
            people[code] = (id_, position)
    return people


def _existing(session: Session, keys: Sequence[str]) -> int:
    """How many of these idempotency keys are taken already."""
    return sum(
        len(session.exec(select(Deduction.key).where(col(Deduction.key).in_(chunk))).all())
        for chunk in _chunks(keys)
    )
