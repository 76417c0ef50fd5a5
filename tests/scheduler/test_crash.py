"""SIGKILL in the middle of a sweep or of a delivery batch: nothing lost, no deduction doubled.

The real `kpibot sweep` runs as a subprocess against the test database and a fake Bot API; the
test decides when to kill it by watching the database or the fake, never by sleeping.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, insert
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from models import Deduction, Employee, OutboxMessage, OutboxStatus, Position, Unit, WorkCode
from sandbox.botapi import FakeBotAPI
from tests.conftest import TOKEN
from tests.factories import local

T = local("2026-11-11", 7, 30)  # Wednesday: after quiet hours, before the digest
STARTED = local("2026-11-03", 9)  # five working days before Tuesday 10/11
DEADLINE = local("2026-11-11", 0)  # the end of Tuesday 10/11
KPIBOT = str(Path(sys.executable).parent / "kpibot")
Popen = subprocess.Popen[str]


def fill_breached(
    db: sessionmaker[Session], *, linked: int, unlinked: int, per_pair: int = 1
) -> None:
    """Open codes past their deadline at T: `linked` by people on Telegram, `unlinked` not.

    Each linked author has a linked approver of their own and opens `per_pair` codes, so each
    breach sends a notice to each of the pair's two chats; the unlinked codes come from 200 staff
    under 20 leaders, and their breaches send nothing.
    """
    with db() as session:
        unit, position = Unit(name="Sở Nội vụ"), Position(code="chuyen_vien")
        session.add_all([unit, position])
        session.flush()

        def employee(code: str, leader: Employee | None, telegram_id: int | None) -> Employee:
            person = Employee(
                code=code,
                full_name=f"Nguyễn Văn {code}",
                unit_id=unit.id,
                position_id=position.id,
                leader_id=leader.id if leader else None,
                telegram_id=telegram_id,
            )
            session.add(person)
            session.flush()
            return person

        director = employee("GD", None, None)
        pairs = []
        for n in range(linked):
            leader = employee(f"TP{n}", director, 10_000 + n)
            pairs.append((employee(f"CV{n}", leader, 20_000 + n), leader))
        heads = [employee(f"LD{n}", director, None) for n in range(20)]
        staff = [(employee(f"NV{n}", heads[n % 20], None), heads[n % 20]) for n in range(200)]
        authors = [pair for pair in pairs for _ in range(per_pair)]
        authors += [staff[n % len(staff)] for n in range(unlinked)]
        session.execute(insert(WorkCode), [code_row(n, *pair) for n, pair in enumerate(authors)])
        session.commit()


def code_row(number: int, author: Employee, approver: Employee) -> dict[str, object]:
    """An open code whose reminders are done and whose deadline passed before T."""
    return {
        "employee_id": author.id,
        "approver_id": approver.id,
        "title": f"Việc số {number}",
        "description": "",
        "status": "open",
        "cycle": 1,
        "cycle_started_at": STARTED,
        "deadline_at": DEADLINE,
        "due_day": date(2026, 11, 10),
        "created_at": STARTED,
        "next_event_at": DEADLINE,
        "reminded_slots": 3,
        "breached_cycle": 0,
    }


def environment(database_url: str, fake: FakeBotAPI, home: Path) -> dict[str, str]:
    """The environment of a `kpibot` subprocess on the test database and the fake."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KPIBOT_")}
    return clean | {
        "KPIBOT_DATABASE_URL": database_url,
        "KPIBOT_TOKEN": TOKEN,
        "KPIBOT_TELEGRAM_BASE_URL": fake.base_url,
        "HOME": str(home),
    }


@pytest.fixture
def processes() -> Iterator[list[Popen]]:
    """The `kpibot` processes a test starts; any still running at its end are killed."""
    started: list[Popen] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.communicate()


def start(processes: list[Popen], env: dict[str, str], *args: str) -> Popen:
    """Start `kpibot sweep --at T` with more arguments."""
    process = subprocess.Popen(
        [KPIBOT, "sweep", "--at", T.isoformat(), *args],
        env=env,
        cwd=env["HOME"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    processes.append(process)
    return process


def finish(process: Popen) -> str:
    """Wait for a clean exit; its output."""
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert "Traceback" not in err
    return out


def kill(process: Popen) -> str:
    """SIGKILL, then reap it (a zombie's pid still looks alive to the next worker); its output."""
    process.send_signal(signal.SIGKILL)
    out, _err = process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL
    return out


def poll(process: Popen, ready: Callable[[], bool], what: str) -> None:
    """Wait until `ready()` while the process still runs."""
    deadline = time.monotonic() + 60
    while not ready():
        if process.poll() is not None:
            raise AssertionError(f"kpibot ended before {what}: {process.communicate()}")
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.005)


def deductions(db: sessionmaker[Session]) -> tuple[int, int]:
    """Deduction rows and distinct idempotency keys."""
    with db() as session:
        rows = session.exec(select(func.count()).select_from(Deduction)).one()
        keys = session.exec(select(func.count(func.distinct(col(Deduction.key))))).one()
    return rows, keys


def outbox(db: sessionmaker[Session]) -> list[OutboxMessage]:
    """Every queued message."""
    with db() as session:
        return list(session.exec(select(OutboxMessage)))


def sent(fake: FakeBotAPI) -> Counter[tuple[int, str]]:
    """How often each (chat, text) reached Telegram, texts as queued."""
    return Counter(
        (call.params["chat_id"], call.params["text"])
        for call in fake.calls_of("sendMessage")
        if call.ok
    )


def test_a_sweep_killed_midway_keeps_its_batches_and_the_next_does_the_rest(
    fake: FakeBotAPI,
    db: sessionmaker[Session],
    database_url: str,
    tmp_path: Path,
    processes: list[Popen],
) -> None:
    fill_breached(db, linked=10, unlinked=1500)
    env = environment(database_url, fake, tmp_path)
    process = start(processes, env, "--no-send")
    poll(process, lambda: deductions(db)[0] > 0, "a committed batch")
    assert kill(process) == ""  # it died before reporting
    done, keys = deductions(db)
    assert 0 < done < 1510 and keys == done  # whole batches, each once

    out = finish(start(processes, env))
    assert f"{1510 - done} breaches" in out and "Delivered" in out
    assert deductions(db) == (1510, 1510)
    messages = outbox(db)
    assert len(messages) == 20 and {m.status for m in messages} == {OutboxStatus.SENT}
    assert sent(fake) == Counter({(m.chat_id, m.text): 1 for m in messages})


def test_a_delivery_killed_midway_loses_nothing(
    limited: FakeBotAPI,
    db: sessionmaker[Session],
    database_url: str,
    tmp_path: Path,
    processes: list[Popen],
) -> None:
    fill_breached(db, linked=40, unlinked=0)
    env = environment(database_url, limited, tmp_path)
    process = start(processes, env)
    poll(process, lambda: len(limited.calls_of("sendMessage")) >= 25, "25 messages sent")
    out = kill(process)
    assert "80 messages queued" in out and "Delivered" not in out  # killed while sending
    assert deductions(db) == (40, 40)
    held = {(m.chat_id, m.text) for m in outbox(db) if m.status == OutboxStatus.SENDING}
    assert held  # it died holding a batch
    in_flight = held & set(sent(limited))  # sent, but the death came before it was settled

    out = finish(start(processes, env))
    assert "0 breaches" in out and "0 messages queued" in out
    messages = outbox(db)
    assert len(messages) == 80 and {m.status for m in messages} == {OutboxStatus.SENT}
    counts = sent(limited)
    assert set(counts) == {(m.chat_id, m.text) for m in messages}
    # Only what was in flight may be repeated: one message, or a few on a busy machine.
    assert {key for key, times in counts.items() if times > 1} <= in_flight
    assert all(times <= 2 for times in counts.values())
    assert deductions(db) == (40, 40)
    assert limited.rate_limited == []
