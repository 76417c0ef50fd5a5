"""Time the working morning's task digest, and the due day's task reminder, on a year of tasks.

Fills a fresh SQLite file, or the PostgreSQL database KPIBOT_DATABASE_URL names (in a private
schema dropped afterwards), with the engine benchmark's 10,000 employees and `--tasks` tasks
assigned by their leaders, due on working days spread over 2026. Of the tasks due before the
morning timed, 95% are done (an approved work code reports them), 1% cancelled and the rest
still open (overdue); a few of those await approval. Then it times the sweep at 08:05 on Tuesday
10/11/2026 twice: the first drafts every task digest (the leaders' code digest is marked sent,
so it times the tasks alone), the second finds the day's digest done and adds nothing. The
query that finds the tasks (`task_mentions`) is timed on its own first. Then the same for the
reminder at the ladder's last slot, 15:05 that day: its query (`tasks_to_remind`), and two sweeps.

Each line gives the wall-clock seconds, then the CPU seconds of this process (the database
server's own, on PostgreSQL, are not counted).

    python -m benchmarks.task_digest [--tasks 500000]
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, insert, select, text
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from benchmarks.engine import LEADERS, TASKS, insert_organisation, people
from benchmarks.scratch import on_configured_database
from kpi.calendar import WorkCalendar
from kpi.policy import load_policy
from kpi.task_reminders import reminder_due, task_mentions, tasks_to_remind
from models import OutboxMessage, SweepMark, Task, WorkCode
from models.db import make_session_factory, upgrade
from scheduler.sweep import SweepReport, run_sweep

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
T = datetime(2026, 11, 10, 8, 5, tzinfo=HANOI).astimezone(UTC)
AFTERNOON = datetime(2026, 11, 10, 15, 5, tzinfo=HANOI).astimezone(UTC)
TODAY = date(2026, 11, 10)
CHUNK = 20_000
Result = TypeVar("Result")


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
    calendar = WorkCalendar(tz=HANOI)
    with db() as session:
        named, wall, cpu = timed(lambda: task_mentions(session, calendar=calendar, today=TODAY))
    _line("the query (task_mentions)", wall, cpu, f"{len(named):,} people")
    _sweeps(db, T, "task digests", lambda report: report.digests)
    due = reminder_due(calendar, policy, AFTERNOON)
    assert due is not None
    with db() as session:
        reminded, wall, cpu = timed(lambda: tasks_to_remind(session, due))
    _line("the query (tasks_to_remind)", wall, cpu, f"{len(reminded):,} people")
    _sweeps(db, AFTERNOON, "task reminders", lambda report: report.reminders)
    with db() as session:
        queued = session.scalar(select(func.count()).select_from(OutboxMessage))
    print(f"  outbox: {queued:,} messages")
    engine.dispose()


def _sweeps(
    db: sessionmaker[Session], now: datetime, what: str, told: Callable[[SweepReport], int]
) -> None:
    """Time a sweep at `now` that sends `what`, then one that finds them sent."""
    policy = load_policy()
    for label in (f"first sweep (the {what})", "second sweep (nothing new)"):
        report, wall, cpu = timed(
            lambda: run_sweep(db=db, policy=policy, tz=HANOI, now=now, default_locale="vi")
        )
        _line(label, wall, cpu, f"{told(report):,} {what}, {report.queued:,} messages queued")


def _line(label: str, wall: float, cpu: float, found: str) -> None:
    print(f"  {label:<32} {wall:7.3f} s {cpu:7.3f} s  {found}")


def timed(work: Callable[[], Result]) -> tuple[Result, float, float]:
    """What `work` returns, the wall-clock seconds and the CPU seconds of this process it took."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    """Time the task digest and reminder on SQLite, or on PostgreSQL when configured."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--tasks", type=int, default=500_000)
    args = parser.parse_args()
    on_configured_database(
        "benchmarks.task_digest", "tasks", lambda engine: run(engine, args.tasks)
    )


if __name__ == "__main__":
    main()
