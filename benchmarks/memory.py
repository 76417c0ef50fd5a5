"""Measure the resident memory of `kpibot run` at steady state, with 1,000 linked employees.

Fills a fresh SQLite file with 1,000 linked employees (a director, 500 unit heads and their
staff, as in the engine benchmark) and `--codes` open work codes, all due at `--at`, then starts
`kpibot run` against the fake Bot API with its clock set to `--at` (default: a working Tuesday at
08:05 in Hà Nội, so the start-up sweep sends reminders, breaches and the day's digest, whatever the
real time). It waits for all of that to be delivered, has `--users` employees ask /myscore, and
reads the process's RSS from /proc after each step. Run from the repository root:

    python -m benchmarks.memory [--codes 3000] [--users 200] [--at 2026-12-01T08:05+07:00]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import shlex
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO

import httpx
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import insert

from benchmarks.engine import TASKS, insert_organisation, people
from models import WorkCode
from models.db import make_engine, make_session_factory, upgrade
from sandbox.botapi import FakeBotAPI

TOKEN = "123456:BENCHMARK"
EMPLOYEES = 1_000
AT = "2026-12-01T08:05:00+07:00"  # a working Tuesday, just after the digest time
DIGEST = "Tổng hợp mã công việc chờ phê duyệt"  # the opening of a digest in Vietnamese

# `kpibot run`, its clock starting at argv[1] and running on from there. The bot reads the time
# only through Services.clock, whose default `services_for` supplies. What `run` keeps out of the
# serving process must be kept out before the bot's modules load, as `run` does: imported first,
# bot.app would bring in tornado and httpx's command line (about 6 MB) that `kpibot run` never has.
SHIFTED_RUN = """
import sys
from datetime import UTC, datetime

import bot.cli.service

bot.cli.service.leave_unloaded()
import bot.app

offset = datetime.fromisoformat(sys.argv[1]) - datetime.now(UTC)
bot.app.services_for.__defaults__ = (lambda: datetime.now(UTC) + offset,)
sys.argv = ["kpibot", "run"]
from bot.cli import main

main()
"""


def rss_mb(pid: int) -> float:
    """The process's resident set size, in MB."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024  # type: ignore[union-attr]


def fill(url: str, codes: int, now: datetime, due: datetime | None = None) -> None:
    """1,000 linked employees and `codes` open codes opened before `now`, every one of them
    due (for a reminder or a breach) at `due`, by default `now`."""
    engine = make_engine(url)
    upgrade(engine)
    rng = random.Random(1)
    staff = people(rng)[:EMPLOYEES]
    with make_session_factory(engine)() as session:
        insert_organisation(session, staff)
        authors = staff[502:]
        rows = []
        for number in range(1, codes + 1):
            author = rng.choice(authors)
            started = now - timedelta(days=rng.randint(1, 9))
            rows.append(
                {
                    "employee_id": author["id"],
                    "approver_id": author["leader_id"],
                    "title": f"{rng.choice(TASKS)} số {number}/2026",
                    "description": "",
                    "status": "open",
                    "cycle": 1,
                    "cycle_started_at": started,
                    "created_at": started,
                    "deadline_at": started + timedelta(days=7),
                    "due_day": (started + timedelta(days=7)).date(),
                    "reminded_slots": 0,
                    "breached_cycle": 0,
                    "next_event_at": due or now,
                }
            )
        session.execute(insert(WorkCode), rows)
        session.commit()
    engine.dispose()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def measure(url: str, users: int, at: datetime) -> None:
    """Start the bot at `at`, let it sweep, then answer /myscore; print RSS after each step."""
    port = free_port()
    with FakeBotAPI(token=TOKEN) as fake, tempfile.TemporaryFile("w+") as log:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KPIBOT_")} | {
            "KPIBOT_DATABASE_URL": url,
            "KPIBOT_TOKEN": TOKEN,
            "KPIBOT_TELEGRAM_BASE_URL": fake.base_url,
            "KPIBOT_PORT": str(port),
        }
        process = subprocess.Popen(
            [sys.executable, "-c", SHIFTED_RUN, at.isoformat()],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,  # a file: a pipe nobody reads would stall the bot once full
            text=True,
        )
        try:
            base_url = f"http://127.0.0.1:{port}"
            async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
                await _ready(http, process, log)
                print(f"  started, start-up sweep done: {rss_mb(process.pid):6.1f} MB")
                sent = await _drained(http)
                digests = sum(DIGEST in text for text in fake_texts(fake))
                print(f"  {sent:,} messages of the sweep delivered, {digests} digest messages:")
                print(f"                                 {rss_mb(process.pid):6.1f} MB")
                for n in range(users):
                    chat = 1_000_000 + 502 + n
                    fake.send_text(fake.user(chat, f"NV{n}", language_code="vi"), "/myscore")
                for n in range(users):
                    await fake.wait_for_messages(1_000_000 + 502 + n, 1, timeout=120)
                print(f"  {users} /myscore answered:          {rss_mb(process.pid):6.1f} MB")
        finally:
            process.terminate()
            process.wait(timeout=20)


def fake_texts(fake: FakeBotAPI) -> list[str]:
    """The texts the bot has sent."""
    return [str(call.params.get("text", "")) for call in fake.calls_of("sendMessage")]


async def _ready(http: httpx.AsyncClient, process: subprocess.Popen[str], log: IO[str]) -> None:
    for _ in range(600):
        if process.poll() is not None:
            log.seek(0)
            raise SystemExit(f"kpibot run ended: {log.read()}")
        try:
            if (await http.get("/readyz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.5)
    raise SystemExit("kpibot run did not become ready")


async def _drained(http: httpx.AsyncClient) -> int:
    """Wait until no message is due in the outbox; the messages sent."""
    while True:
        text = (await http.get("/metrics")).text
        values = {
            (sample.name, tuple(sample.labels.values())): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        }
        if values[("kpibot_outbox_oldest_due_age_seconds", ())] == 0:
            return int(values[("kpibot_messages_sent_total", ())])
        await asyncio.sleep(1)


def main() -> None:
    """Measure on a fresh SQLite file."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--codes", type=int, default=3_000)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--at", default=AT, help="the bot's clock at start (ISO-8601, with zone)")
    args = parser.parse_args()
    at = datetime.fromisoformat(args.at)
    print(f"$ {shlex.join(['python', '-m', 'benchmarks.memory', *sys.argv[1:]])}")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, SQLite")
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{Path(directory, 'memory.db')}"
        start = time.perf_counter()
        fill(url, args.codes, at)
        print(
            f"fill: {EMPLOYEES:,} linked employees, {args.codes:,} open codes due at start, "
            f"in {time.perf_counter() - start:.1f} s"
        )
        print(f"kpibot run, its clock starting at {at.isoformat()}:")
        asyncio.run(measure(url, args.users, at))


if __name__ == "__main__":
    main()
