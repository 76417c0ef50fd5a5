"""Time the working morning's task digest on a year of assigned tasks.

Fills a fresh SQLite file, or the PostgreSQL database KPIBOT_DATABASE_URL names (in a private
schema dropped afterwards), with the engine benchmark's 10,000 employees and `--tasks` tasks
assigned by their leaders, due on working days spread over 2026. Of the tasks due before the
morning timed, 95% are done (an approved work code reports them), 1% cancelled and the rest
still open (overdue); a few of those await approval. Then it times the sweep at 08:05 on Tuesday
10/11/2026 twice: the first drafts every task digest (the leaders' code digest is marked sent,
so it times the tasks alone), the second finds the day's digest done and adds nothing. The
query that finds the tasks (`task_mentions`) is timed on its own first.

    python -m benchmarks.task_digest [--tasks 500000]
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, insert, select, text
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from benchmarks.engine import LEADERS, TASKS, insert_organisation, people
from benchmarks.scratch import on_configured_database
from kpi.calendar import WorkCalendar
from kpi.policy import load_policy
from kpi.task_reminders import task_mentions
from models import OutboxMessage, SweepMark, Task, WorkCode
from models.db import make_session_factory, upgrade
from scheduler.sweep import run_sweep

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
T = datetime(2026, 11, 10, 8, 5, tzinfo=HANOI).astimezone(UTC)
TODAY = date(2026, 11, 10)
CHUNK = 20_000


def working_days(calendar: WorkCalendar) -> list[date]:
    """The working days of 2026."""
    day, days = date(2026, 1, 2), []
    while day.year == 2026:
        if calendar.is_working_day(day):
            days.append(day)
        day += timedelta(days=1)
    return days


def fill(db: sessionmaker[Session], count: int) -> tuple[int, int]:
    """Employees and `count` tasks; the number of tasks open and of those overdue."""
    rng = random.Random(7)
    staff = people(rng)
    calendar = WorkCalendar(tz=HANOI)
    days = working_days(calendar)
    assignees = staff[LEADERS + 1 :]
    opened = overdue = 0
    with db() as session:
        insert_organisation(session, staff)
        for first in range(1, count + 1, CHUNK):
            tasks, codes = [], []
            for number in range(first, min(first + CHUNK, count + 1)):
                person, due = rng.choice(assignees), rng.choice(days)
                created = calendar.local_instant(due - timedelta(days=14), clock(9))
                fate = rng.random() if due < TODAY else 1.0
                tasks.append(
                    {
                        "id": number,
                        "employee_id": person["id"],
                        "assigner_id": person["leader_id"],
                        "title": f"{rng.choice(TASKS)} số {number}/2026",
                        "due_on": due,
                        "type": "van_ban",
                        "created_at": created,
                        "cancelled_at": created if 0.95 <= fate < 0.96 else None,
                    }
                )
                if fate < 0.95 or 0.99 <= fate < 1.0:  # done, or awaiting approval
                    codes.append(_code(calendar, person, number, due, fate < 0.95))
                if fate >= 0.96:
                    opened += 1
                    overdue += due < TODAY
            session.execute(insert(Task), tasks)
            if codes:
                session.execute(insert(WorkCode), codes)
        session.add(SweepMark(name="digest", day=TODAY.isoformat()))  # the codes' digest: sent
        session.commit()
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("ANALYZE"))
            session.commit()
    return opened, overdue


def _code(
    calendar: WorkCalendar, person: dict[str, Any], task_id: int, due: date, done: bool
) -> dict[str, Any]:
    opened = calendar.local_instant(due, clock(10))
    deadline = calendar.deadline(opened, 5)
    return {
        "employee_id": person["id"],
        "approver_id": person["leader_id"],
        "title": f"Báo cáo nhiệm vụ T{task_id}",
        "description": "",
        "status": "approved" if done else "open",
        "cycle": 1,
        "cycle_started_at": opened,
        "created_at": opened,
        "deadline_at": deadline.due_at,
        "due_day": deadline.due_day,
        "closed_at": opened + timedelta(days=1) if done else None,
        "task_id": task_id,
    }


def run(engine: Engine, count: int) -> None:
    """Migrate, fill, then time the two sweeps."""
    upgrade(engine)
    db = make_session_factory(engine)
    policy = load_policy()
    start = time.perf_counter()
    opened, overdue = fill(db, count)
    print(
        f"fill: 10,000 employees, {count:,} tasks ({opened:,} not done, {overdue:,} of them"
        f" overdue) in {time.perf_counter() - start:.1f} s"
    )
    with db() as session:
        start = time.perf_counter()
        found = task_mentions(session, calendar=WorkCalendar(tz=HANOI), today=TODAY)
        seconds = time.perf_counter() - start
    print(f"  {'the query (task_mentions)':<32} {seconds:7.3f} s  {len(found):,} people named")
    for label in ("first sweep (the task digests)", "second sweep (nothing new)"):
        start = time.perf_counter()
        report = run_sweep(db=db, policy=policy, tz=HANOI, now=T, default_locale="vi")
        seconds = time.perf_counter() - start
        print(
            f"  {label:<32} {seconds:7.3f} s  {report.digests:,} digests,"
            f" {report.queued:,} messages queued"
        )
    with db() as session:
        queued = session.scalar(select(func.count()).select_from(OutboxMessage))
    print(f"  outbox: {queued:,} messages")
    engine.dispose()


def main() -> None:
    """Time the task digest on SQLite, or on PostgreSQL when configured."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--tasks", type=int, default=500_000)
    args = parser.parse_args()
    on_configured_database(
        "benchmarks.task_digest", "tasks", lambda engine: run(engine, args.tasks)
    )


if __name__ == "__main__":
    main()
