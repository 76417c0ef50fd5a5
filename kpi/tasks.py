"""Assigned tasks (§7): assign, report done by a work code, cancel, and excuse their faults.

A task is done when a work code reporting it is approved. Its faults come from the work the
bot tracks, never typed in: each opinion or rejection on one of its codes is a quality error;
each of its codes opened after the task's due date (a local day of the organisation) is a
delay. The leader's superior or an admin may excuse a fault as an objective cause. Cancelling is
one conditional UPDATE and an excuse has a unique key, so of racing callers exactly one wins.
Each service commits its own unit of work.
"""

from __future__ import annotations

import sys
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar, cast
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import CursorResult, update
from sqlmodel import Session, col, select

from kpi import outbox
from kpi.audit import record
from kpi.bulk import collector_paused, plain_rows
from kpi.org import admins, is_admin, leader_of
from kpi.outbox import Tell
from kpi.periods import midnight
from kpi.policy import Policy
from kpi.workcodes import MAX_TEXT, OPEN_STATUSES, WorkCodeOutcome, clean_text, clean_title
from models import (
    Employee,
    Excuse,
    FaultKind,
    Task,
    WorkCode,
    WorkCodeAction,
    WorkCodeEvent,
    WorkCodeStatus,
)
from models.db import insert_ignoring_duplicates, read
from models.types import UTCDateTime

ERROR_ACTIONS = (WorkCodeAction.OPINION.value, WorkCodeAction.REJECT.value)
_REPORTING = {status.value for status in OPEN_STATUSES}


class TaskOutcome(StrEnum):
    """What became of a request on a task."""

    OK = "ok"
    NOT_FOUND = "not_found"  # no such task (or code), or the caller takes no part in it
    NOT_ALLOWED = "not_allowed"
    ALREADY_HANDLED = "already_handled"
    UNKNOWN_TYPE = "unknown_type"
    EMPTY_TITLE = "empty_title"
    TITLE_TOO_LONG = "title_too_long"
    COMMAND_AS_TITLE = "command_as_title"
    TEXT_REQUIRED = "text_required"
    TEXT_TOO_LONG = "text_too_long"


@dataclass(frozen=True)
class TaskResult:
    """The outcome, and the task as it now stands when the caller may see it."""

    outcome: TaskOutcome
    task: Task | None = None


@dataclass(frozen=True)
class Fault:
    """A quality error (an opinion or rejection event) or a delay (a code opened late)."""

    kind: FaultKind
    task_id: int
    work_code_id: int
    event_id: int | None  # the opinion or rejection, for an error
    at: datetime
    excused: bool = False

    @property
    def key(self) -> str:
        """The fault's name, unique among all faults: "error:<event id>", "delay:<code id>"."""
        return fault_key(self.kind, self.event_id or self.work_code_id)


def fault_key(kind: FaultKind, ref: int) -> str:
    """The key of an error (by its event id) or a delay (by its work code id)."""
    return f"{kind.value}:{ref}"


# --- services ------------------------------------------------------------------------------------


def assign(
    *,
    session: Session,
    assigner: Employee | None,
    employee_id: int,
    title: str,
    due_on: date,
    type_code: str,
    policy: Policy,
    now: datetime,
    external_id: str | None = None,
    tell: Tell[Task] | None = None,
) -> TaskResult:
    """Assign a task to a direct report of `assigner`, or to anyone if they are an admin; commits.

    `assigner` None is the system (an import run by HR on the command line). What `tell` drafts
    about the new task is queued in the same transaction.
    """
    if assigner is not None and not _may_assign(session, _id(assigner), employee_id):
        return TaskResult(TaskOutcome.NOT_ALLOWED)
    if session.get(Employee, employee_id) is None:
        return TaskResult(TaskOutcome.NOT_FOUND)
    cleaned = clean_title(title)
    if isinstance(cleaned, WorkCodeOutcome):
        return TaskResult(TaskOutcome(cleaned.value))
    if type_code not in policy.task_types:
        return TaskResult(TaskOutcome.UNKNOWN_TYPE)
    task = Task(
        employee_id=employee_id,
        assigner_id=assigner.id if assigner else None,
        title=cleaned,
        due_on=due_on,
        type=type_code,
        external_id=external_id,
        created_at=now,
    )
    session.add(task)
    session.flush()
    _audit(session, now, task.assigner_id, "assign", _id(task), f"employee={employee_id}")
    outbox.tell(session, tell, task, now=now)
    session.commit()
    return TaskResult(TaskOutcome.OK, task)


def _may_assign(session: Session, assigner_id: int, employee_id: int) -> bool:
    return leader_of(session, employee_id) == assigner_id or is_admin(session, assigner_id)


def report_by_code(
    *, session: Session, task_id: int, code_id: int, actor: Employee, now: datetime
) -> TaskResult:
    """The assignee names a still open work code of theirs as the report of a task; commits."""
    task = session.get(Task, task_id)
    if task is None or task.employee_id != actor.id:
        return TaskResult(TaskOutcome.NOT_FOUND)
    if task.cancelled_at is not None:
        return TaskResult(TaskOutcome.ALREADY_HANDLED, task)
    statement = (
        update(WorkCode)
        .where(
            col(WorkCode.id) == code_id,
            col(WorkCode.employee_id) == actor.id,
            col(WorkCode.task_id).is_(None),
            col(WorkCode.status).in_([status.value for status in OPEN_STATUSES]),
        )
        .values(task_id=task_id)
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], session.execute(statement)).rowcount != 1:
        session.rollback()
        code = session.get(WorkCode, code_id)
        mine = code is not None and code.employee_id == actor.id
        return TaskResult(TaskOutcome.ALREADY_HANDLED if mine else TaskOutcome.NOT_FOUND, task)
    _audit(session, now, _id(actor), "report", task_id, f"workcode={code_id}")
    session.commit()
    session.get(WorkCode, code_id, populate_existing=True)  # the caller's copy sees its task
    return TaskResult(TaskOutcome.OK, task)


def cancel(*, session: Session, task_id: int, actor: Employee, now: datetime) -> TaskResult:
    """The assigner (or an admin) cancels a task: it no longer counts anywhere; commits."""
    task = session.get(Task, task_id, populate_existing=True)
    if task is None:
        return TaskResult(TaskOutcome.NOT_FOUND)
    actor_id = _id(actor)
    if task.assigner_id != actor_id and not is_admin(session, actor_id):
        visible = actor_id == task.employee_id
        return TaskResult(TaskOutcome.NOT_ALLOWED if visible else TaskOutcome.NOT_FOUND)
    statement = (
        update(Task)
        .where(col(Task.id) == task_id, col(Task.cancelled_at).is_(None))
        .values(cancelled_at=now, cancelled_by_id=actor_id)
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], session.execute(statement)).rowcount != 1:
        session.rollback()
        session.refresh(task)
        return TaskResult(TaskOutcome.ALREADY_HANDLED, task)
    _audit(session, now, actor_id, "cancel", task_id)
    session.commit()
    session.refresh(task)
    return TaskResult(TaskOutcome.OK, task)


def excuse(
    *,
    session: Session,
    task_id: int,
    key: str,
    actor: Employee,
    reason: str,
    now: datetime,
    tz: ZoneInfo,
    tell: Tell[Fault] | None = None,
) -> TaskResult:
    """Excuse the task's fault named `key` as an objective cause, with a reason; commits.

    Allowed to the superior of the assignee's leader and to admins. What `tell` drafts about the
    fault excused is queued in the same transaction.
    """
    checked = check_excuse(session=session, task_id=task_id, key=key, actor=actor, tz=tz)
    if checked.outcome is not TaskOutcome.OK:
        return checked
    fault = next(f for f in faults_of(session, task_id, tz) if f.key == key)
    cleaned = clean_text(reason)
    if not cleaned:
        return TaskResult(TaskOutcome.TEXT_REQUIRED, checked.task)
    if len(cleaned) > MAX_TEXT:
        return TaskResult(TaskOutcome.TEXT_TOO_LONG, checked.task)
    row = {
        "key": key,
        "task_id": task_id,
        "kind": fault.kind.value,
        "work_code_id": fault.work_code_id,
        "event_id": fault.event_id,
        "author_id": _id(actor),
        "reason": cleaned,
        "created_at": now,
    }
    if not insert_ignoring_duplicates(session, Excuse, [row]):
        session.rollback()
        return TaskResult(TaskOutcome.ALREADY_HANDLED, checked.task)
    _audit(session, now, _id(actor), "excuse", task_id, key)
    outbox.tell(session, tell, fault, now=now)
    session.commit()
    return TaskResult(TaskOutcome.OK, checked.task)


def check_excuse(
    *, session: Session, task_id: int, key: str, actor: Employee, tz: ZoneInfo
) -> TaskResult:
    """Whether `actor` may excuse the task's fault named `key` now, before asking for a reason.

    NOT_FOUND when the task has no such fault, ALREADY_HANDLED when it is excused already.
    """
    task = session.get(Task, task_id)
    if task is None:
        return TaskResult(TaskOutcome.NOT_FOUND)
    actor_id = _id(actor)
    may = actor_id == excuser_of(session, task) or is_admin(session, actor_id)
    if not may or actor_id == task.employee_id:  # an admin never excuses their own task
        return TaskResult(TaskOutcome.NOT_ALLOWED)
    fault = next((f for f in faults_of(session, task_id, tz) if f.key == key), None)
    if fault is None:
        return TaskResult(TaskOutcome.NOT_FOUND, task)
    if fault.excused:
        return TaskResult(TaskOutcome.ALREADY_HANDLED, task)
    return TaskResult(TaskOutcome.OK, task)


def excuser_of(session: Session, task: Task) -> int | None:
    """Who may excuse the task's faults besides admins: the superior of the assignee's leader."""
    leader = leader_of(session, task.employee_id)
    return leader_of(session, leader) if leader is not None else None


def told_of_faults(session: Session, task: Task) -> list[Employee]:
    """Whom the bot tells of the task's faults: the superior of the assignee's leader when linked,
    else every linked admin but the assignee."""
    excuser_id = excuser_of(session, task)
    excuser = session.get(Employee, excuser_id) if excuser_id is not None else None
    if excuser is not None and excuser.telegram_id is not None:
        return [excuser]
    return [a for a in admins(session) if a.telegram_id is not None and a.id != task.employee_id]


def unexcused_fault(session: Session, task_id: int, kind: FaultKind, tz: ZoneInfo) -> str | None:
    """The key of the task's oldest fault of this kind not yet excused, if any."""
    faults = faults_of(session, task_id, tz)
    return next((f.key for f in faults if f.kind is kind and not f.excused), None)


def _audit(
    session: Session,
    now: datetime,
    actor_id: int | None,
    action: str,
    task_id: int,
    details: str = "",
) -> None:
    record(
        session,
        at=now,
        actor_id=actor_id,
        action=f"task.{action}",
        subject=f"task:{task_id}",
        details=details,
    )


# --- reading -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskFacts:
    """What scoring needs of one task: whose, its type and due day, done or not, its faults."""

    task_id: int
    employee_id: int
    type: str
    due_on: date
    done: bool
    faults: tuple[Fault, ...]  # oldest first, excused ones marked


def task_facts(
    session: Session, where: Sequence[sa.ColumnElement[bool]], tz: ZoneInfo
) -> list[TaskFacts]:
    """The facts of the tasks matching `where` (conditions on Task), cancelled ones left out.

    One query whatever the number of tasks: each task with its codes, the returns and
    rejections of those codes, and the task's excuses, joined (a row per combination).
    """
    return _facts(read(session, _FACTS.where(*where)), tz)


def task_facts_of(
    session: Session, employee_ids: Collection[int], first: date, last: date, tz: ZoneInfo
) -> list[TaskFacts]:
    """`task_facts` of the tasks of these employees due from `first` to `last`, from a statement
    built once."""
    params = {"ids": list(employee_ids), "first": first, "last": last}
    return _facts(read(session, _FACTS_OF, params), tz)


_Query = TypeVar("_Query", bound="sa.Select[*tuple[Any, ...]]")


def _with_faults(query: _Query) -> _Query:
    """`query` on tasks joined with their work codes, those codes' returns and rejections, and
    the tasks' excuses (a row per combination): what a task's faults are read from."""
    return (
        query.outerjoin(WorkCode, col(WorkCode.task_id) == col(Task.id))
        .outerjoin(
            WorkCodeEvent,
            sa.and_(
                col(WorkCodeEvent.work_code_id) == col(WorkCode.id),
                col(WorkCodeEvent.action).in_(ERROR_ACTIONS),
            ),
        )
        .outerjoin(Excuse, col(Excuse.task_id) == col(Task.id))
    )


# Built once: building a statement and its cache key costs more than a card's run of it.
_FACTS = _with_faults(
    sa.select(
        col(Task.id),
        col(Task.employee_id),
        col(Task.type),
        col(Task.due_on),
        col(WorkCode.id),
        col(WorkCode.status),
        col(WorkCode.created_at),
        col(WorkCodeEvent.id),
        col(WorkCodeEvent.at),
        col(Excuse.key),
    ).select_from(Task)
).where(col(Task.cancelled_at).is_(None))

_FACTS_OF = _FACTS.where(
    col(Task.employee_id).in_(sa.bindparam("ids", expanding=True)),
    col(Task.due_on) >= sa.bindparam("first"),
    col(Task.due_on) <= sa.bindparam("last"),
)


def _facts(rows: Iterable[Sequence[Any]], tz: ZoneInfo) -> list[TaskFacts]:
    """The facts folded from the joined rows of `_FACTS`."""
    tasks: dict[int, tuple[int, str, date]] = {}  # id: employee, type, due day
    done: set[int] = set()
    # Only the tasks with a fault have a list: most have none. Delays, then errors, each in
    # the order read, before they are sorted by time.
    delays: dict[int, list[Fault]] = {}
    errors: dict[int, list[Fault]] = {}
    codes: set[int] = set()
    events: set[int] = set()
    excused: set[str] = set()
    approved = WorkCodeStatus.APPROVED.value
    with collector_paused():  # a quarter's facts are a million objects, none of them garbage
        _gather(rows, tz, approved, tasks, done, delays, errors, codes, events, excused)
        return [
            TaskFacts(
                task_id=task_id,
                employee_id=employee_id,
                type=type_code,
                due_on=due_on,
                done=task_id in done,
                faults=(
                    _sorted_marked(delays.get(task_id, []) + errors.get(task_id, []), excused)
                    if task_id in delays or task_id in errors
                    else ()
                ),
            )
            for task_id, (employee_id, type_code, due_on) in tasks.items()
        ]


@dataclass(frozen=True, slots=True)
class TaskCount:
    """How many of a person's tasks are alike in all that scores them: their type, done or
    not, and their counted and excused errors and delays (each fault counted per task)."""

    type: str
    done: bool
    errors: int  # quality errors that cost points
    delays: int
    excused_errors: int
    excused_delays: int
    tasks: int = 1


def task_counts(facts: Iterable[TaskFacts]) -> list[TaskCount]:
    """The facts of one person's tasks, counted as `count_tasks` counts them in SQL."""
    alike: dict[tuple[str, bool, int, int, int, int], int] = {}
    for fact in facts:
        errors = delays = excused_errors = excused_delays = 0
        for fault in fact.faults:
            if fault.kind is FaultKind.ERROR:
                excused_errors += fault.excused
                errors += not fault.excused
            else:
                excused_delays += fault.excused
                delays += not fault.excused
        key = (fact.type, fact.done, errors, delays, excused_errors, excused_delays)
        alike[key] = alike.get(key, 0) + 1
    return [TaskCount(*key, tasks) for key, tasks in alike.items()]


def count_tasks(
    session: Session,
    first_day: date,
    last_day: date,
    where: Sequence[sa.ColumnElement[bool]],
    tz: ZoneInfo,
) -> dict[int, list[TaskCount]]:
    """The tasks due from `first_day` to `last_day` matching `where` (conditions on Task),
    cancelled ones left out, counted by employee as `task_counts` counts their facts.

    For a table of many people: the faults are counted in SQL, per task and then per kind of
    task, so a quarter's million tasks come back as a few rows per person, not a row each.
    """
    days = [first_day + timedelta(days=n) for n in range((last_day - first_day).days + 1)]
    # A code is late when opened on a local day after the task's: at or after the next midnight.
    edges = (
        sa.values(sa.column("day", sa.Date), sa.column("edge", UTCDateTime()), name="edges")
        .data([(day, midnight(day + timedelta(days=1), tz)) for day in days])
        .cte("edges")
    )
    late = col(WorkCode.created_at) >= edges.c.edge
    delay_key = sa.literal(f"{FaultKind.DELAY.value}:") + sa.cast(col(WorkCode.id), sa.String)
    error_key = sa.literal(f"{FaultKind.ERROR.value}:") + sa.cast(col(WorkCodeEvent.id), sa.String)
    approved = col(WorkCode.status) == WorkCodeStatus.APPROVED.value
    excused_delay = sa.and_(late, col(Excuse.key) == delay_key)
    # One row per task, from the joined rows of task_facts (a row per code, error and excuse).
    joined: sa.Select[*tuple[Any, ...]] = (
        sa.select(
            col(Task.employee_id).label("employee_id"),
            col(Task.type).label("type"),
            sa.func.max(sa.case((approved, 1), else_=0)).label("done"),
            sa.func.count(sa.distinct(sa.case((late, col(WorkCode.id))))).label("delays"),
            sa.func.count(sa.distinct(sa.case((excused_delay, col(WorkCode.id))))).label(
                "excused_delays"
            ),
            sa.func.count(sa.distinct(col(WorkCodeEvent.id))).label("errors"),
            sa.func.count(
                sa.distinct(sa.case((col(Excuse.key) == error_key, col(WorkCodeEvent.id))))
            ).label("excused_errors"),
        )
        .select_from(Task)
        .join(edges, edges.c.day == col(Task.due_on))
    )
    per_task = (
        _with_faults(joined)
        .where(
            col(Task.cancelled_at).is_(None),
            col(Task.due_on) >= first_day,
            col(Task.due_on) <= last_day,
            *where,
        )
        .group_by(col(Task.id))
        .subquery()
    )
    alike = (
        per_task.c.employee_id,
        per_task.c.type,
        per_task.c.done,
        per_task.c.errors - per_task.c.excused_errors,
        per_task.c.delays - per_task.c.excused_delays,
        per_task.c.excused_errors,
        per_task.c.excused_delays,
    )
    query = sa.select(*alike, sa.func.count()).group_by(*alike)
    found: dict[int, list[TaskCount]] = {}
    for (
        employee_id,
        type_code,
        done,
        errors,
        delays,
        excused_errors,
        excused_delays,
        tasks,
    ) in plain_rows(session, query):
        count = TaskCount(
            sys.intern(type_code), bool(done), errors, delays, excused_errors, excused_delays, tasks
        )
        found.setdefault(employee_id, []).append(count)
    return found


def _gather(
    rows: Iterable[Sequence[Any]],
    tz: ZoneInfo,
    approved: str,
    tasks: dict[int, tuple[int, str, date]],
    done: set[int],
    delays: dict[int, list[Fault]],
    errors: dict[int, list[Fault]],
    codes: set[int],
    events: set[int],
    excused: set[str],
) -> None:
    """Fold the joined rows of task_facts into its collections."""
    for row in rows:
        task_id, employee_id, type_code, due_on, code_id, status, opened, event_id, at, key = row
        if task_id not in tasks:
            tasks[task_id] = (employee_id, type_code, due_on)
        if code_id is not None and code_id not in codes:
            codes.add(code_id)
            if status == approved:
                done.add(task_id)
            if opened.astimezone(tz).date() > due_on:
                fault = Fault(FaultKind.DELAY, task_id, code_id, None, opened)
                delays.setdefault(task_id, []).append(fault)
        if event_id is not None and event_id not in events:
            events.add(event_id)
            fault = Fault(FaultKind.ERROR, task_id, code_id, event_id, at)
            errors.setdefault(task_id, []).append(fault)
        if key is not None:
            excused.add(key)


def _sorted_marked(faults: list[Fault], excused: Collection[str]) -> tuple[Fault, ...]:
    """A task's faults, oldest first, excused ones marked."""
    return tuple(sorted((_marked(fault, excused) for fault in faults), key=lambda f: f.at))


def faults_of(session: Session, task_id: int, tz: ZoneInfo) -> tuple[Fault, ...]:
    """One task's faults, oldest first, excused ones marked (none for a cancelled task)."""
    facts = task_facts(session, [col(Task.id) == task_id], tz)
    return facts[0].faults if facts else ()


def _marked(fault: Fault, excused: Collection[str]) -> Fault:
    if fault.key not in excused:
        return fault
    return Fault(fault.kind, fault.task_id, fault.work_code_id, fault.event_id, fault.at, True)


def is_done(session: Session, task_id: int) -> bool:
    """Whether a work code reporting the task has been approved."""
    query = select(WorkCode.id).where(
        col(WorkCode.task_id) == task_id, col(WorkCode.status) == WorkCodeStatus.APPROVED.value
    )
    return session.exec(query.limit(1)).first() is not None


def open_tasks(*, session: Session, employee_id: int) -> list[Task]:
    """The employee's tasks that can still be reported, the earliest due first.

    Neither cancelled nor done, and with no work code of theirs open or returned: a task whose
    code awaits the leader, or awaits the employee's resubmission, is reported already.
    """
    query = (
        select(Task)
        .where(
            col(Task.employee_id) == employee_id,
            col(Task.cancelled_at).is_(None),
            ~_reported_or_done(),
        )
        .order_by(col(Task.due_on), col(Task.id))
    )
    return list(session.exec(query))


def open_task(*, session: Session, task_id: int, employee: Employee) -> Task | None:
    """The employee's task, when it can still be reported (as `open_tasks` lists them)."""
    query = select(Task).where(
        col(Task.id) == task_id,
        col(Task.employee_id) == employee.id,
        col(Task.cancelled_at).is_(None),
        ~_reported_or_done(),
    )
    return session.exec(query).first()


def _reported_or_done() -> sa.Exists:
    """A work code reports the task and is open, returned or approved."""
    return sa.exists().where(
        col(WorkCode.task_id) == col(Task.id),
        col(WorkCode.status).in_([*_REPORTING, WorkCodeStatus.APPROVED.value]),
    )


def _id(row: Employee | Task) -> int:
    # Rows here come from the database, so their primary key is set.
    return cast(int, row.id)


def tasks_of(*, session: Session, employee_id: int, limit: int = 50) -> list[tuple[Task, bool]]:
    """The employee's tasks, cancelled ones included, the latest due first, each with done."""
    approved = (
        sa.exists()
        .where(
            col(WorkCode.task_id) == col(Task.id),
            col(WorkCode.status) == WorkCodeStatus.APPROVED.value,
        )
        .label("done")
    )
    query = (
        sa.select(Task, approved)
        .where(col(Task.employee_id) == employee_id)
        .order_by(col(Task.due_on).desc(), col(Task.id).desc())
        .limit(limit)
    )
    return [(task, bool(done)) for task, done in session.execute(query)]


# --- lists ---------------------------------------------------------------------------------------


class TaskState(StrEnum):
    """Where a task stands, for the lists of tasks."""

    TO_DO = "to_do"  # no work code reports it yet, not yet due
    OVERDUE = "overdue"  # past its due date and not done
    REPORTED = "reported"  # a work code reporting it awaits the leader
    DONE = "done"  # a work code reporting it was approved


@dataclass(frozen=True)
class TaskLine:
    """A task and its state."""

    task: Task
    state: TaskState


def task_lines(
    *, session: Session, employee_ids: Collection[int], today: date, since: date | None = None
) -> list[TaskLine]:
    """The employees' tasks not cancelled, with their state, by person then the earliest due.

    Without `since` only the tasks not done; with it, also those done that were due on or after it.
    """
    query = select(Task).where(
        col(Task.employee_id).in_(employee_ids), col(Task.cancelled_at).is_(None)
    )
    tasks = list(
        session.exec(query.order_by(col(Task.employee_id), col(Task.due_on), col(Task.id)))
    )
    codes = session.exec(
        select(WorkCode.task_id, WorkCode.status).where(
            col(WorkCode.task_id).in_([_id(task) for task in tasks])
        )
    ).all()
    done = {task_id for task_id, status in codes if status == WorkCodeStatus.APPROVED.value}
    reported = {task_id for task_id, status in codes if status in _REPORTING}
    lines = []
    for task in tasks:
        if _id(task) in done:
            if since is not None and task.due_on >= since:
                lines.append(TaskLine(task, TaskState.DONE))
        elif _id(task) in reported:
            lines.append(TaskLine(task, TaskState.REPORTED))
        else:
            state = TaskState.OVERDUE if task.due_on < today else TaskState.TO_DO
            lines.append(TaskLine(task, state))
    return lines
