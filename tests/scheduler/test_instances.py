"""Two instances at once: two sweeps at the same instant, then two workers on one outbox."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, func, select

from kpi.policy import Policy
from models import OutboxMessage, OutboxStatus
from models.db import make_engine, make_session_factory, upgrade
from sandbox.botapi import FakeBotAPI
from scheduler.budget import Budget, paced_bot
from scheduler.delivery import Deliverer, DeliveryReport
from scheduler.sweep import SweepReport, run_sweep
from tests.conftest import TEST_DATABASE_URL, TOKEN
from tests.factories import HANOI
from tests.scheduler.test_crash import T, deductions, fill_breached, sent

R = TypeVar("R")
# 1,150 due codes, 300 messages to 100 chats, three each: more than a batch of either worker,
# and a chat's messages straddle a batch boundary.
PAIRS, PER_PAIR, SILENT = 50, 3, 1000
DUE, MESSAGES = PAIRS * PER_PAIR + SILENT, 2 * PAIRS * PER_PAIR


def postgres_url() -> str:
    """The PostgreSQL test database, or skip."""
    if not TEST_DATABASE_URL or not TEST_DATABASE_URL.startswith("postgres"):
        pytest.skip("needs PostgreSQL: set KPIBOT_TEST_DATABASE_URL=postgresql+psycopg://...")
    return TEST_DATABASE_URL


@pytest.fixture(params=["postgresql", "sqlite"])
def shared(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    """One database for both instances: the PostgreSQL test database, or a SQLite file."""
    if request.param == "postgresql":
        postgres_url()
        url = request.getfixturevalue("database_url")  # emptied for this test
    else:
        url = f"sqlite:///{tmp_path / 'shared.db'}"
    engine = make_engine(url)
    upgrade(engine)
    yield make_session_factory(engine)
    engine.dispose()


def at_once(work: Callable[[], R]) -> list[R]:
    """Run `work` in two threads released at the same moment; both results."""
    barrier = threading.Barrier(2)

    def run() -> R:
        barrier.wait()
        return work()

    with ThreadPoolExecutor(2) as pool:
        futures = [pool.submit(run) for _ in range(2)]
        return [future.result(timeout=120) for future in futures]


def test_two_sweeps_at_once_do_the_work_once(
    shared: sessionmaker[Session], policy: Policy, fake: FakeBotAPI
) -> None:
    fill_breached(shared, linked=PAIRS, unlinked=SILENT, per_pair=PER_PAIR)

    def sweep() -> SweepReport:
        return run_sweep(db=shared, policy=policy, tz=HANOI, now=T, default_locale="vi")

    first, second = at_once(sweep)
    # They share the work batch by batch, each batch once.
    assert first.breaches + second.breaches == DUE
    assert first.queued + second.queued == MESSAGES
    assert deductions(shared) == (DUE, DUE)
    with shared() as session:
        keys = session.exec(select(func.count(func.distinct(col(OutboxMessage.key))))).one()
    assert keys == MESSAGES

    reports = at_once(lambda: asyncio.run(drain(shared, fake)))
    assert sum(report.sent for report in reports) == MESSAGES
    messages = outbox_in_order(shared)
    assert {message.status for message in messages} == {OutboxStatus.SENT}
    assert sent(fake) == Counter({(m.chat_id, m.text): 1 for m in messages})
    arrived = [(c.params["chat_id"], c.params["text"]) for c in fake.calls_of("sendMessage")]
    for chat in {message.chat_id for message in messages}:  # each chat still in queue order
        expected = [m.text for m in messages if m.chat_id == chat]
        assert [text for to, text in arrived if to == chat] == expected


async def drain(db: sessionmaker[Session], fake: FakeBotAPI) -> DeliveryReport:
    """One worker with its own bot, event loop and name, sending all it can claim."""
    # Quicker than Telegram allows, so that the two workers overlap for longer than a batch.
    budget = Budget(per_second=100.0, chat_per_second=10.0)
    async with paced_bot(TOKEN, fake.base_url, budget) as bot:
        worker = Deliverer(db=db, bot=bot, clock=lambda: T)
        return await worker.deliver_due()


def outbox_in_order(db: sessionmaker[Session]) -> list[OutboxMessage]:
    """The outbox in queue order."""
    with db() as session:
        return list(session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))))
