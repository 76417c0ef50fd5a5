"""The sweep: all time-driven work due at one instant, derived from the database alone.

Reminders, breach deductions and digests are found from the state of the work codes and tasks,
and every result carries a unique key, so running the sweep again, late, twice at once or after a
crash adds nothing twice. On PostgreSQL an advisory lock keeps concurrent sweeps from racing.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from typing import cast
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from kpi import breaches, org, reminders, task_reminders
from kpi.calendar import load_calendar
from kpi.decisions import next_year_estimated
from kpi.outbox import Draft, enqueue
from kpi.policy import Policy
from models import Employee, SweepMark, WorkCode, WorkCodeStatus
from models.db import insert_ignoring_duplicates
from notices.deadlines import breach_notices, reminder
from notices.digests import admins_report, digest
from notices.occasion import Occasion
from notices.task_digests import task_digest, task_reminder
from scheduler import handover

LOCK_KEY = 4_242_001  # pg_advisory_xact_lock key of the sweep
TRANSACTION_TIME = 0.25  # seconds of work after which a sweep commits and lets others write
BATCH_PAUSE = 0.12  # seconds between two transactions of a sweep on SQLite
TASK_DIGESTS_QUEUED = 500  # task digests (or reminders) queued in one transaction of a sweep
LEADERS_AT_ONCE = 100  # leaders whose pending codes one query of the digests reads


@dataclass
class SweepReport:
    """What one sweep did."""

    reminders: int = 0
    breaches: int = 0
    digests: int = 0
    queued: int = 0


def run_sweep(
    *, db: sessionmaker[Session], policy: Policy, tz: ZoneInfo, now: datetime, default_locale: str
) -> SweepReport:
    """Do all work due at `now`: the due codes batch by batch, then the digests.

    A transaction holds whole batches, each with its reminders, breaches and their messages, and
    commits after about TRANSACTION_TIME: a catch-up over many codes lets the bot's own writes in
    between, and a crash loses no batch nor repeats one.
    """
    report = SweepReport()
    with db() as session:
        calendar = load_calendar(session=session, tz=tz, calendar_days=policy.calendar_days)
        occasion = Occasion(calendar, policy, now, default_locale)
        _lock(session)
        report.queued += enqueue(session, handover.hand_overs(session, occasion), now=now)
        session.commit()
        batches = breaches.due_batches(session, now)
        session.commit()  # ends the read; each transaction takes the write lock afresh
        started: float | None = None
        for ids in batches:
            if started is None:
                _lock(session)
                started = time.monotonic()
            drafts = _codes(session, occasion, report, breaches.due_codes(session, ids, now))
            report.queued += enqueue(session, [d for d in drafts if d.chat_id], now=now)
            if time.monotonic() - started >= TRANSACTION_TIME:
                session.commit()
                _let_others_write(session)
                started = None
        if started is None:
            _lock(session)
        report.queued += enqueue(session, handover.give_backs(session, occasion), now=now)
        drafts = _digests(session, occasion, report)
        report.queued += enqueue(session, [d for d in drafts if d.chat_id], now=now)
        session.commit()
        _task_digests(session, occasion, report)
        _task_reminders(session, occasion, report)
    return report


def _let_others_write(session: Session) -> None:
    """On SQLite, pause between transactions: a writer waiting for the lock retries every 100 ms
    or less, and would otherwise find the sweep holding it again."""
    if session.get_bind().dialect.name == "sqlite":
        time.sleep(BATCH_PAUSE)


def _lock(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
    else:  # SQLite: take the write lock now, so concurrent sweeps run one after the other
        session.execute(text("UPDATE sweep_mark SET day = day WHERE 1 = 0"))


def _codes(
    session: Session, occasion: Occasion, report: SweepReport, batch: list[WorkCode]
) -> list[Draft]:
    """Reminders owed and breaches found on a batch of codes whose next event has come."""
    drafts: list[Draft] = []
    owed: dict[tuple[int, datetime], list[WorkCode]] = defaultdict(list)
    people: dict[int, Employee] = {}
    _load_people(session, people, batch)
    for code in batch:
        step = reminders.step(occasion.calendar, occasion.policy, code, occasion.now)
        if step.breach and breaches.record_breach(session, code, occasion.policy, occasion.now):
            report.breaches += 1
            drafts += _breach_notices(occasion, code, people)
        if step.reminder and not reminders.carried_by_digest(
            occasion.calendar, occasion.policy, step.reminder
        ):
            owed[(code.approver_id, step.reminder)].append(code)
        breaches.advance(session, code, step)
    for (approver_id, slot), codes in owed.items():
        pairs = [(code, people[code.employee_id]) for code in codes]
        drafts += reminder(occasion, people[approver_id], slot, pairs)
        report.reminders += 1
    return drafts


def _breach_notices(occasion: Occasion, code: WorkCode, people: dict[int, Employee]) -> list[Draft]:
    leader = people[code.approver_id]
    superior = people.get(leader.leader_id) if leader.leader_id else None
    return breach_notices(occasion, code, people[code.employee_id], leader, superior)


def _load_people(session: Session, people: dict[int, Employee], codes: Iterable[WorkCode]) -> None:
    """Authors, approvers and the approvers' leaders, in two queries."""
    wanted = {c.employee_id for c in codes} | {c.approver_id for c in codes}
    _fetch(session, people, wanted)
    superiors = {people[c.approver_id].leader_id for c in codes}
    _fetch(session, people, {i for i in superiors if i is not None})


def _fetch(session: Session, people: dict[int, Employee], ids: set[int]) -> None:
    people.update(org.employees_by_id(session, ids - people.keys()))


def _id(employee: Employee) -> int:
    return cast(int, employee.id)  # read from the database, so set


def _digests(session: Session, occasion: Occasion, report: SweepReport) -> list[Draft]:
    """Once per working day, at digest time: each leader's pending codes, and admins' report."""
    day = reminders.digest_due(occasion.calendar, occasion.policy, occasion.now)
    if day is None or _mark(session, "digest") == day.isoformat():
        return []
    _set_mark(session, "digest", day.isoformat())
    expires = reminders.quiet_from(occasion.calendar, occasion.policy, day)
    at = occasion.calendar.local_instant(day, occasion.policy.digest_at)
    drafts: list[Draft] = []
    for leader, pairs in _pending_by_leader(session):
        flagged = {
            code.id
            for code, _ in pairs
            if code.id is not None
            and at in reminders.slots(occasion.calendar, occasion.policy, code.due_day)
            and code.cycle_started_at < at
        }
        drafts += digest(occasion, leader, pairs, flagged, expires)
        report.digests += 1
    return drafts + _admins_reports(session, occasion, expires)


def _task_digests(session: Session, occasion: Occasion, report: SweepReport) -> None:
    """Once per working day, at digest time: each person's tasks due soon or overdue, and the
    overdue tasks they assigned (§7). Its own mark, so it neither waits for nor repeats the
    leaders' digest."""
    day = reminders.digest_due(occasion.calendar, occasion.policy, occasion.now)
    if day is not None:
        drafts = partial(_task_digest_drafts, session, occasion, day)
        report.digests += _queue_daily(session, occasion, report, "task-digest", day, drafts)


def _task_reminders(session: Session, occasion: Occasion, report: SweepReport) -> None:
    """Once per working day, at the reminder ladder's last slot (15:00 by default): each assignee's
    tasks due that day and not yet reported (§3, §7), until quiet hours."""
    due = task_reminders.reminder_due(occasion.calendar, occasion.policy, occasion.now)
    if due is not None:
        drafts = partial(_task_reminder_drafts, session, occasion, due)
        report.reminders += _queue_daily(
            session, occasion, report, "task-remind", occasion.today, drafts
        )


def _queue_daily(
    session: Session,
    occasion: Occasion,
    report: SweepReport,
    mark: str,
    day: date,
    draft: Callable[[], tuple[list[Draft], int]],
) -> int:
    """Queue once on `day` what `draft` finds (its messages, and to how many people), under the
    sweep mark `mark`; how many people this sweep told.

    There may be one message per employee, so they are drafted before the sweep's lock and queued
    in transactions of TASK_DIGESTS_QUEUED at most, the day marked in the last: after a crash
    between them the day is not marked, and the next sweep queues only what is missing (the
    outbox's keys), never a message twice.
    """
    if _mark(session, mark) == day.isoformat():
        session.commit()
        return 0
    drafts, people = draft()
    session.commit()  # ends the read
    for start in range(0, len(drafts), TASK_DIGESTS_QUEUED):
        _lock(session)
        chunk = drafts[start : start + TASK_DIGESTS_QUEUED]
        report.queued += enqueue(session, chunk, now=occasion.now)
        session.commit()
        _let_others_write(session)
    _lock(session)
    told = 0
    if _mark(session, mark) != day.isoformat():  # a concurrent sweep may have done it
        _set_mark(session, mark, day.isoformat())
        told = people
    session.commit()
    return told


def _task_digest_drafts(session: Session, occasion: Occasion, day: date) -> tuple[list[Draft], int]:
    """The day's task digests of the linked people who have any, and how many people."""
    mentions = task_reminders.task_mentions(session, calendar=occasion.calendar, today=day)
    wanted = set(mentions) | {
        line.task.employee_id for found in mentions.values() for line in found.assigned
    }
    people = _people(session, wanted)
    expires = reminders.quiet_from(occasion.calendar, occasion.policy, day)
    drafts: list[Draft] = []
    digests = 0
    for person_id, found in mentions.items():
        person = people.get(person_id)
        if person is not None and person.telegram_id is not None:
            drafts += task_digest(occasion, person, found, people, expires)
            digests += 1
    return drafts, digests


def _task_reminder_drafts(
    session: Session, occasion: Occasion, due: task_reminders.DueReminder
) -> tuple[list[Draft], int]:
    """The reminders of the linked people with tasks due, and how many people."""
    found = task_reminders.tasks_to_remind(session, due)
    people = _people(session, set(found))
    linked = [people[i] for i in found if i in people and people[i].telegram_id is not None]
    drafts = [
        d for person in linked for d in task_reminder(occasion, person, found[_id(person)], due)
    ]
    return drafts, len(linked)


def _people(session: Session, ids: set[int]) -> dict[int, Employee]:
    """Employees by id, in queries within any database's limit of parameters."""
    people: dict[int, Employee] = {}
    ordered = sorted(ids)
    for start in range(0, len(ordered), 1000):
        people.update(org.employees_by_id(session, ordered[start : start + 1000]))
    return people


def _pending_by_leader(
    session: Session,
) -> Iterator[tuple[Employee, list[tuple[WorkCode, Employee]]]]:
    """Each linked leader with open codes to approve, and those codes with their authors.

    The codes are read for LEADERS_AT_ONCE leaders at a time: a sweep never holds every open
    code of the organisation at once, and the memory it took stays with the process.
    """
    open_codes = col(WorkCode.status) == WorkCodeStatus.OPEN
    leaders = session.exec(
        select(Employee)
        .where(
            col(Employee.id).in_(select(WorkCode.approver_id).where(open_codes)),
            col(Employee.telegram_id).is_not(None),
        )
        .order_by(col(Employee.id))
    ).all()
    for start in range(0, len(leaders), LEADERS_AT_ONCE):
        chunk = {_id(leader): leader for leader in leaders[start : start + LEADERS_AT_ONCE]}
        rows = session.exec(
            select(WorkCode, Employee)
            .join(Employee, col(Employee.id) == col(WorkCode.employee_id))
            .where(open_codes, col(WorkCode.approver_id).in_(chunk))
        )
        grouped: dict[int, list[tuple[WorkCode, Employee]]] = defaultdict(list)
        for code, author in rows:
            grouped[code.approver_id].append((code, author))
        for leader_id, leader in chunk.items():
            yield leader, grouped[leader_id]


def _admins_reports(session: Session, occasion: Occasion, expires: datetime) -> list[Draft]:
    """Admins are told who blocked the bot, and from 1 November of a still estimated next year."""
    people = org.unreachable(session)
    estimated = next_year_estimated(session=session, today=occasion.today)
    if not people and estimated is None:
        return []
    admins = [admin for admin in org.admins(session) if admin.telegram_id is not None]
    return [
        draft
        for admin in admins
        for draft in admins_report(occasion, admin, people, estimated, expires)
    ]


def _mark(session: Session, name: str) -> str | None:
    mark = session.get(SweepMark, name)
    return mark.day if mark else None


def _set_mark(session: Session, name: str, day: str) -> None:
    if not insert_ignoring_duplicates(session, SweepMark, [{"name": name, "day": day}]):
        mark = session.get_one(SweepMark, name)
        mark.day = day
        session.add(mark)
