"""Time the engine: one sweep over 100,000 open work codes as the due ones grow, and delivery.

Fills a fresh SQLite file, or the PostgreSQL database KPIBOT_DATABASE_URL names (in a private
schema dropped afterwards, so existing data is never touched), with 10,000 employees and
100,000 open work codes, then times one sweep with 0, 100 and 1,000 of the codes due. Then it
measures the delivery worker's sustained rate against the fake Bot API enforcing Telegram's
flood limits, with the real pacer. Run from the repository root:

    python -m benchmarks.engine [--codes 100000] [--messages 600]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, delete, insert, text, update
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col

from benchmarks.scratch import on_configured_database
from kpi import reminders
from kpi.calendar import WorkCalendar
from kpi.outbox import Draft, post
from kpi.policy import Policy, load_policy
from models import Employee, OutboxKind, OutboxMessage, Position, SweepMark, Unit, WorkCode
from models.db import make_session_factory, upgrade
from sandbox.botapi import FakeBotAPI
from scheduler.budget import paced_bot
from scheduler.delivery import Deliverer, DeliveryReport
from scheduler.sweep import run_sweep

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
# Tuesday 15:05: the 08:00 digest went out this morning, the 15:00 reminders five minutes ago.
T = datetime(2026, 11, 10, 15, 5, tzinfo=HANOI).astimezone(UTC)
SETTLED = T - timedelta(minutes=1)  # the previous sweep, which left nothing due at T
TOKEN = "123456:BENCHMARK"
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi"]
MIDDLES = ["Văn", "Thị", "Minh", "Thanh", "Ngọc", "Đức", "Hữu", "Quốc", "Thu", "Hoài"]
GIVEN = ["An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Khánh", "Linh", "Nam", "Phương", "Quỳnh"]
TASKS = ["Báo cáo", "Tờ trình", "Kế hoạch", "Công văn", "Dự thảo", "Quyết định", "Biên bản"]
LEADERS, EMPLOYEES = 500, 10_000


@dataclass(frozen=True)
class Row:
    """One line of the sweep table."""

    due: int
    seconds: float
    reminders: int
    breaches: int
    queued: int


def insert_organisation(session: Session, staff: list[dict[str, Any]]) -> None:
    """Twenty units, the three positions of `people`, and the staff."""
    session.execute(insert(Unit), [{"id": n, "name": f"Phòng {n}"} for n in range(1, 21)])
    positions = ["giam_doc", "truong_phong", "chuyen_vien"]
    session.execute(insert(Position), [{"id": n + 1, "code": c} for n, c in enumerate(positions)])
    session.execute(insert(Employee), staff)


def people(rng: random.Random) -> list[dict[str, Any]]:
    """A director, 500 unit heads under them and their staff, all linked to Telegram."""
    rows = []
    for number in range(1, EMPLOYEES + 1):
        leader = None if number == 1 else 1 if number <= LEADERS + 1 else rng.randint(2, 501)
        position = 1 if number == 1 else 2 if number <= LEADERS + 1 else 3
        rows.append(
            {
                "id": number,
                "code": f"NV{number:05d}",
                "full_name": f"{rng.choice(SURNAMES)} {rng.choice(MIDDLES)} {rng.choice(GIVEN)}",
                "role": "staff",
                "language": "en" if number % 50 == 0 else "vi",
                "unit_id": 1 + (leader or 0) % 20,
                "position_id": position,
                "leader_id": leader,
                "telegram_id": 1_000_000 + number,
                "linked_at": datetime(2026, 10, 1, tzinfo=UTC),
            }
        )
    return rows


def settled_states(calendar: WorkCalendar, policy: Policy) -> list[dict[str, Any]]:
    """Codes opened over the last seven working days, as the sweep a minute before T left them."""
    states = []
    day = date(2026, 11, 2)
    while day <= date(2026, 11, 10):
        for at in (clock(8, 30), clock(10, 0), clock(14, 0), clock(16, 30)):
            started = calendar.local_instant(day, at)
            if calendar.is_working_day(day) and started < SETTLED:
                states.append(settled(calendar, policy, started))
        day += timedelta(days=1)
    return states


def settled(calendar: WorkCalendar, policy: Policy, started: datetime) -> dict[str, Any]:
    """The stored state of a code opened at `started`, after a sweep at SETTLED."""
    deadline = calendar.deadline(started, policy.deadline_days)
    state: dict[str, Any] = {
        "cycle_started_at": started,
        "created_at": started,
        "deadline_at": deadline.due_at,
        "due_day": deadline.due_day,
    }
    step = reminders.step(calendar, policy, WorkCode(title="", **state), SETTLED)
    return state | {
        "reminded_slots": step.reminded_slots,
        "next_event_at": step.next_event_at,
        "breached_cycle": 1 if step.breach else 0,
    }


def fill(db: sessionmaker[Session], policy: Policy, codes: int) -> None:
    """Employees, and `codes` open work codes none of which is due at T."""
    rng = random.Random(1)
    staff = people(rng)
    states = settled_states(WorkCalendar(tz=HANOI), policy)
    with db() as session:
        insert_organisation(session, staff)
        authors = staff[LEADERS + 1 :]
        rows = []
        for number in range(1, codes + 1):
            author = rng.choice(authors)
            rows.append(
                {
                    "employee_id": author["id"],
                    "approver_id": author["leader_id"],
                    "title": f"{rng.choice(TASKS)} số {number}/2026",
                    "description": "",
                    "status": "open",
                    "cycle": 1,
                }
                | rng.choice(states)
            )
        session.execute(insert(WorkCode), rows)
        session.add(SweepMark(name="digest", day="2026-11-10"))  # this morning's digest went out
        session.add(SweepMark(name="task-digest", day="2026-11-10"))  # and the task digest
        session.commit()
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("ANALYZE"))  # as autovacuum soon does after a bulk load
            session.commit()


def make_due(db: sessionmaker[Session], ids: range) -> None:
    """Half of these codes owe today's 15:00 reminder, half breached at midnight, found late."""
    calendar = WorkCalendar(tz=HANOI)
    reminder, breach = list(ids)[: len(ids) // 2], list(ids)[len(ids) // 2 :]
    today, yesterday = date(2026, 11, 10), date(2026, 11, 9)
    with db() as session:
        for chosen, due_day, slots in ((reminder, today, 2), (breach, yesterday, 3)):
            deadline = calendar.end_of_day(due_day)
            session.execute(
                update(WorkCode)
                .where(col(WorkCode.id).in_(chosen))
                .values(
                    cycle_started_at=calendar.local_instant(due_day - timedelta(days=7), clock(9)),
                    deadline_at=deadline,
                    due_day=due_day,
                    reminded_slots=slots,
                    breached_cycle=0,
                    next_event_at=min(deadline, calendar.local_instant(today, clock(15))),
                )
            )
        session.commit()


def sweeps(db: sessionmaker[Session], policy: Policy) -> list[Row]:
    """One timed sweep at T for each number of due codes."""
    rows, first = [], 1
    for due in (0, 100, 1_000):
        make_due(db, range(first, first + due))
        first += due
        start = time.perf_counter()
        report = run_sweep(db=db, policy=policy, tz=HANOI, now=T, default_locale="vi")
        seconds = time.perf_counter() - start
        rows.append(Row(due, seconds, report.reminders, report.breaches, report.queued))
    return rows


async def deliver(db: sessionmaker[Session], count: int) -> tuple[float, int, DeliveryReport]:
    """Seconds to send `count` messages to as many chats, the 429s answered, and the report."""
    with db() as session:
        session.execute(delete(OutboxMessage))
        template = (
            "🔔 <b>Nhắc việc</b>: mã công việc #{n} «Báo cáo tuần» đến hạn hôm nay, lúc 24:00."
        )
        drafts = [
            Draft(
                f"bench:{n}", OutboxKind.REMINDER, 2_000_000 + n, template.format(n=n), not_before=T
            )
            for n in range(count)
        ]
        post(session, drafts, now=T)
    with FakeBotAPI(token=TOKEN, rate_limits=True) as fake:
        async with paced_bot(TOKEN, fake.base_url) as bot:
            worker = Deliverer(db=db, bot=bot, clock=lambda: T)
            start = time.perf_counter()
            report = await worker.deliver_due()
            seconds = time.perf_counter() - start
        fake.assert_no_invalid_calls()
        return seconds, len(fake.rate_limited), report


def run(engine: Engine, codes: int, messages: int) -> None:
    """Migrate, fill, then time the sweeps and the delivery."""
    upgrade(engine)
    db = make_session_factory(engine)
    policy = load_policy()
    start = time.perf_counter()
    fill(db, policy, codes)
    print(f"fill: {EMPLOYEES:,} employees, {codes:,} open work codes in {_since(start):.1f} s")
    print(f"sweep at {T.astimezone(HANOI):%Y-%m-%d %H:%M %Z} (the day's digest already sent):")
    print(f"  {'open codes':>10} {'due':>6} {'time':>9} {'ms/due':>7} {'remind':>7} {'breach':>7}")
    for row in sweeps(db, policy):
        per_due = f"{row.seconds * 1000 / row.due:7.2f}" if row.due else f"{'-':>7}"
        print(
            f"  {codes:>10,} {row.due:>6,} {row.seconds:>7.3f} s {per_due} "
            f"{row.reminders:>7,} {row.breaches:>7,}  ({row.queued:,} messages queued)"
        )
    seconds, flooded, report = asyncio.run(deliver(db, messages))
    rate = report.sent / seconds
    print(f"delivery: {messages} messages to {messages} chats, flood limits on, the real budget:")
    print(
        f"  {report.sent} sent in {seconds:.2f} s = {rate:.2f} msg/s ({rate / 30:.1%} of 30/s); "
        f"{flooded} answered 429; {report.later} left for later"
    )
    engine.dispose()


def _since(start: float) -> float:
    return time.perf_counter() - start


def main() -> None:
    """Time the sweep and the delivery on SQLite, or on PostgreSQL when configured."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--codes", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=600)
    args = parser.parse_args()
    on_configured_database(
        "benchmarks.engine", "engine", lambda engine: run(engine, args.codes, args.messages)
    )


if __name__ == "__main__":
    main()
