"""Shared fixtures: a real database per test, the fake Bot API, and the running bot."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import hypothesis
import pytest
from sqlalchemy import Engine, make_url, text
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session
from telegram import Update
from telegram.ext import Application

from bot.app import build_application, services_for
from bot.config import Settings
from kpi.policy import Policy, load_policy
from models.db import make_engine, make_session_factory, upgrade
from sandbox.botapi import FakeBotAPI, resolve_spec_path
from scheduler.budget import Budget
from services.container import Services
from tests.factories import Org, make_org

# Property tests assert what holds, never how fast: no per-example deadline, which a loaded
# machine would otherwise turn into failures.
hypothesis.settings.register_profile("kpibot", deadline=None)
hypothesis.settings.load_profile("kpibot")


def _own_database(url: str | None) -> str | None:
    """The PostgreSQL test database of this pytest-xdist worker (created when missing), so that
    parallel workers never reset each other's tables; `url` itself without workers."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker or not url.startswith("postgresql"):
        return url
    base = make_url(url)
    name = f"{base.database}_{worker}"
    engine = make_engine(url).execution_options(isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        exists = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        ).first()
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


TEST_DATABASE_URL = _own_database(os.environ.get("KPIBOT_TEST_DATABASE_URL"))
TOKEN = "123456:TEST-token-for-the-fake"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say when the Bot API calls were checked by the built-in checks, not the official spec."""
    path = resolve_spec_path()
    if not path.is_file():
        terminalreporter.write_line(
            f"Bot API calls were checked by the emulator's built-in checks: {path} not found "
            "(clone next to ../shared or set KPIBOT_BOT_API_SPEC for the official spec)"
        )


def reset_postgres(url: str) -> None:
    """Drop everything in the PostgreSQL test database."""
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """An empty database: PostgreSQL when KPIBOT_TEST_DATABASE_URL is set, else SQLite."""
    if TEST_DATABASE_URL:
        reset_postgres(TEST_DATABASE_URL)
        return TEST_DATABASE_URL
    return f"sqlite:///{tmp_path / 'kpibot.db'}"


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on the migrated test database."""
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def db(engine: Engine) -> sessionmaker[Session]:
    """The session factory on the test database."""
    return make_session_factory(engine)


@pytest.fixture
def session(db: sessionmaker[Session]) -> Iterator[Session]:
    """One session on the test database."""
    with db() as session:
        yield session


@pytest.fixture
def org(session: Session) -> Org:
    """The shared organisation, in the test database (see `tests.factories.make_org`)."""
    return make_org(session)


@pytest.fixture(scope="session")
def policy() -> Policy:
    """The shipped default policy."""
    return load_policy()


@dataclass
class Clock:
    """A clock the test moves by hand."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    """The bot's clock, starting on a working Monday morning in Hà Nội."""
    return Clock(datetime(2026, 11, 2, 2, 0, tzinfo=UTC))


@pytest.fixture
def fake() -> Iterator[FakeBotAPI]:
    """The fake Telegram Bot API; the test fails if the bot made any invalid call."""
    with FakeBotAPI(token=TOKEN) as server:
        yield server
        server.assert_no_invalid_calls()


@pytest.fixture
def limited() -> Iterator[FakeBotAPI]:
    """The fake Bot API enforcing Telegram's flood limits (answers 429 past them)."""
    with FakeBotAPI(token=TOKEN, rate_limits=True) as server:
        yield server
        server.assert_no_invalid_calls()


@pytest.fixture
def settings(fake: FakeBotAPI, database_url: str) -> Settings:
    """Settings pointing the bot at the fake and the test database."""
    return Settings(token=TOKEN, telegram_base_url=fake.base_url, database_url=database_url)


@pytest.fixture
def services(
    settings: Settings, db: sessionmaker[Session], policy: Policy, clock: Clock
) -> Services:
    """The bot's services on the test database, with the test's clock."""
    return services_for(settings, db, policy, clock)


@pytest.fixture
def budget() -> Budget:
    """The bot's send budget, without limits: conversations need no flood control here.

    A module that has the fake enforce Telegram's limits overrides this and `fake`.
    """
    return Budget.unlimited()


@pytest.fixture
async def application(
    settings: Settings, services: Services, budget: Budget
) -> AsyncIterator[Application]:
    """The real Application long-polling the fake; delivery runs, sweeps are left to tests."""
    application = build_application(settings, services, sweep_every=None, budget=budget)
    async with application:
        assert application.post_init is not None  # run_polling() calls it; so do we
        await application.post_init(application)
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(
            poll_interval=0, timeout=1, allowed_updates=Update.ALL_TYPES
        )
        yield application
        await application.updater.stop()
        await application.stop()


@pytest.fixture
def bot(application: Application, fake: FakeBotAPI) -> FakeBotAPI:  # noqa: ARG001
    """The fake Bot API, with the real bot (`application`) running against it."""
    return fake
