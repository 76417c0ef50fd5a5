"""Deduction imports from files (§6): read rows, validate them all, add the new ones at once."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, select

from kpi.audit import record
from kpi.deductions import MAX_REASON, check_points, clean_reason
from kpi.policy import Criterion, Policy
from kpi.tables import RowError, chunks, read_records
from models import Deduction, DeductionSource, Employee, Position
from models.db import insert_ignoring_duplicates

COLUMNS = ("code", "criterion", "occurred_on", "reason", "points")
REQUIRED_COLUMNS = COLUMNS[:4]
# An imported deduction is dated 12:00 local on its day: twelve hours from either midnight, so
# no zone conversion moves it to another day, hence to another quarter or appeal window.
IMPORT_TIME = time(12)
_EXCEL_MIDNIGHT = "T00:00:00"  # how an Excel date cell reads back as text
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


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


def read_deductions(path: Path) -> list[DeductionRow]:
    """Parse a deductions file (TableFileError if unreadable); `import_deductions` validates."""
    records = read_records(path, columns=COLUMNS, required=REQUIRED_COLUMNS)
    return [
        DeductionRow(record.line, *(_clean(record.cells[name]) for name in COLUMNS))
        for record in records
    ]


def _clean(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip()


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
        created = sum(insert_ignoring_duplicates(session, Deduction, c) for c in chunks(entries))
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


def read_day(text: str) -> date | None:
    """A day written YYYY-MM-DD, or as an Excel date cell reads back; None if it is not one."""
    core = text.removesuffix(_EXCEL_MIDNIGHT)
    try:
        return date.fromisoformat(core) if _DATE_RE.fullmatch(core) else None
    except ValueError:  # 2026-02-30
        return None


def _import_day(text: str, today: date, reasons: list[str]) -> date | None:
    day = read_day(text)
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
    for chunk in chunks(sorted(codes)):
        for code, id_, position in session.execute(query.where(col(Employee.code).in_(chunk))):
            people[code] = (id_, position)
    return people


def _existing(session: Session, keys: Sequence[str]) -> int:
    """How many of these idempotency keys are taken already."""
    return sum(
        len(session.exec(select(Deduction.key).where(col(Deduction.key).in_(chunk))).all())
        for chunk in chunks(keys)
    )
