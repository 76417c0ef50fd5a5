"""Task imports from files (§7): the bridge from the agency's task-assignment system.

Every row is validated first; any error and nothing is added. A row whose `external_id` was
imported before is skipped, so the same export can be imported again; rows without one are added
each time.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from kpi.audit import record
from kpi.deductions_import import read_day
from kpi.policy import Policy
from kpi.tables import RowError, chunks, read_records
from kpi.workcodes import WorkCodeOutcome, clean_title
from models import Employee, Role, Task
from models.db import insert_ignoring_duplicates

COLUMNS = ("code", "title", "due_on", "type", "assigned_by", "external_id")
REQUIRED_COLUMNS = COLUMNS[:4]
MAX_EXTERNAL_ID = 100
_TITLE_PROBLEMS = {
    WorkCodeOutcome.EMPTY_TITLE: "empty title",
    WorkCodeOutcome.TITLE_TOO_LONG: "title is longer than 200 characters",
    WorkCodeOutcome.COMMAND_AS_TITLE: "title starts with '/'",
}


@dataclass(frozen=True)
class TaskRow:
    """One task as a file states it (trimmed text); `line` is its line or sheet row."""

    line: int
    code: str
    title: str
    due_on: str
    type: str
    assigned_by: str = ""
    external_id: str = ""


@dataclass(frozen=True)
class ImportReport:
    """What an import did (or, with `dry_run`, would do); nothing is changed when `errors`."""

    created: int
    skipped: int  # rows whose external_id was imported before
    errors: tuple[RowError, ...]
    dry_run: bool


@dataclass(frozen=True)
class _Person:
    id: int
    leader_id: int | None
    admin: bool


def read_tasks(path: Path) -> list[TaskRow]:
    """Parse a tasks file (TableFileError if unreadable); `import_tasks` validates."""
    records = read_records(path, columns=COLUMNS, required=REQUIRED_COLUMNS)
    return [
        TaskRow(record.line, *(_clean(record.cells[name]) for name in COLUMNS))
        for record in records
    ]


def _clean(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip()


def import_tasks(
    *,
    session: Session,
    rows: Sequence[TaskRow],
    policy: Policy,
    now: datetime,
    actor_id: int | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """Validate every row, then add the new tasks, created at `now`, and commit (all or nothing)."""
    codes = {row.code for row in rows} | {row.assigned_by for row in rows if row.assigned_by}
    people = _people(session, codes)
    entries, errors = _validate(rows, people, policy)
    if errors:
        return ImportReport(created=0, skipped=0, errors=tuple(errors), dry_run=dry_run)
    known = _existing(session, [e["external_id"] for e in entries if e["external_id"]])
    new = [entry for entry in entries if entry["external_id"] not in known]
    if not dry_run:
        for entry in new:
            entry["created_at"] = now
        created = sum(insert_ignoring_duplicates(session, Task, chunk) for chunk in chunks(new))
        record(
            session,
            at=now,
            actor_id=actor_id,
            action="task.import",
            subject="tasks",
            details=f"created={created} skipped={len(entries) - created}",
        )
        session.commit()
    else:
        created = len(new)
    return ImportReport(created, len(entries) - created, (), dry_run)


def _validate(
    rows: Sequence[TaskRow], people: dict[str, _Person], policy: Policy
) -> tuple[list[dict[str, Any]], list[RowError]]:
    entries: list[dict[str, Any]] = []
    errors: list[RowError] = []
    first_line: dict[str, int] = {}
    for row in rows:
        entry, reasons = _entry(row, people, policy)
        errors.extend(RowError(row.line, reason) for reason in reasons)
        if row.external_id in first_line:
            errors.append(
                RowError(row.line, f"same external_id as line {first_line[row.external_id]}")
            )
        if row.external_id:
            first_line.setdefault(row.external_id, row.line)
        if entry is not None:
            entries.append(entry)
    return entries, errors


def _entry(
    row: TaskRow, people: dict[str, _Person], policy: Policy
) -> tuple[dict[str, Any] | None, list[str]]:
    reasons: list[str] = []
    person = people.get(row.code)
    if person is None:
        reasons.append(f"unknown employee '{row.code}'" if row.code else "empty code")
    title = clean_title(row.title)
    if isinstance(title, WorkCodeOutcome):
        reasons.append(_TITLE_PROBLEMS[title])
    day = read_day(row.due_on)
    if day is None:
        reasons.append(
            f"bad date '{row.due_on}' (expected YYYY-MM-DD)" if row.due_on else "empty due_on"
        )
    kind = row.type.lower()
    if kind not in policy.task_types:
        shown = ", ".join(policy.task_types)
        reasons.append(
            f"unknown task type '{row.type}' (one of: {shown})" if row.type else "empty type"
        )
    assigner = _assigner(row, person, people, reasons)
    if len(row.external_id) > MAX_EXTERNAL_ID:
        reasons.append(f"external_id is longer than {MAX_EXTERNAL_ID} characters")
    if reasons or person is None:
        return None, reasons
    return {
        "employee_id": person.id,
        "assigner_id": assigner.id if assigner else None,
        "title": title,
        "due_on": day,
        "type": kind,
        "external_id": row.external_id or None,
    }, []


def _assigner(
    row: TaskRow, person: _Person | None, people: dict[str, _Person], reasons: list[str]
) -> _Person | None:
    """Who assigned the task: the assignee's leader or an admin; nobody named is HR."""
    if not row.assigned_by:
        return None
    assigner = people.get(row.assigned_by)
    if assigner is None:
        reasons.append(f"unknown assigned_by '{row.assigned_by}'")
    elif person is not None and person.leader_id != assigner.id and not assigner.admin:
        reasons.append(f"'{row.assigned_by}' is neither the leader of '{row.code}' nor an admin")
    return assigner


def _people(session: Session, codes: Collection[str]) -> dict[str, _Person]:
    query = sa.select(
        col(Employee.code), col(Employee.id), col(Employee.leader_id), col(Employee.role)
    )
    people: dict[str, _Person] = {}
    for chunk in chunks(sorted(codes)):
        for code, id_, leader_id, role in session.execute(
            query.where(col(Employee.code).in_(chunk))
        ):
            people[code] = _Person(id_, leader_id, role == Role.ADMIN.value)
    return people


def _existing(session: Session, external_ids: Sequence[str]) -> set[str]:
    """Which of these external ids were imported already."""
    found: set[str] = set()
    for chunk in chunks(external_ids):
        query = select(Task.external_id).where(col(Task.external_id).in_(chunk))
        found.update(external_id for external_id in session.exec(query) if external_id)
    return found


class PutOutcome(StrEnum):
    """What `put_task` did."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    INVALID = "invalid"  # `problems` says why
    CONFLICT = "conflict"  # the external_id names a task that cannot become this one


@dataclass(frozen=True)
class PutResult:
    outcome: PutOutcome
    task: Task | None = None
    problems: tuple[str, ...] = ()


_UPDATABLE = ("title", "due_on", "type", "assigner_id")


def put_task(
    *, session: Session, row: TaskRow, policy: Policy, now: datetime, actor: str
) -> PutResult:
    """Create the task `row.external_id` names, or bring it to `row`: validated as an import row.

    Idempotent: the same row again changes nothing. Title, due date, type and assigner may
    change; the employee may not, nor may a cancelled task. `actor` names the caller in the
    audit trail (an API key). Commits.
    """
    if not row.external_id:
        return PutResult(PutOutcome.INVALID, problems=("empty external_id",))
    people = _people(session, {row.code, row.assigned_by} - {""})
    entry, problems = _entry(row, people, policy)
    if entry is None:
        return PutResult(PutOutcome.INVALID, problems=tuple(problems))
    if insert_ignoring_duplicates(session, Task, [entry | {"created_at": now}]):
        task = session.exec(select(Task).where(col(Task.external_id) == row.external_id)).one()
        _put_audit(session, now, "task.create", task, actor, "")
        session.commit()
        return PutResult(PutOutcome.CREATED, task)
    task = session.exec(select(Task).where(col(Task.external_id) == row.external_id)).one()
    if task.employee_id != entry["employee_id"]:
        return PutResult(PutOutcome.CONFLICT, task, ("the task belongs to another employee",))
    changed = [name for name in _UPDATABLE if getattr(task, name) != entry[name]]
    if not changed:
        return PutResult(PutOutcome.UNCHANGED, task)
    if task.cancelled_at is not None:
        return PutResult(PutOutcome.CONFLICT, task, ("the task is cancelled",))
    for name in changed:
        setattr(task, name, entry[name])
    _put_audit(session, now, "task.update", task, actor, " ".join(changed))
    session.commit()
    return PutResult(PutOutcome.UPDATED, task)


def _put_audit(
    session: Session, now: datetime, action: str, task: Task, actor: str, changed: str
) -> None:
    details = f"by={actor} external_id={task.external_id}" + (
        f" changed={changed}" if changed else ""
    )
    record(
        session, at=now, actor_id=None, action=action, subject=f"task:{task.id}", details=details
    )
