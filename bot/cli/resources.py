"""What every command opens: settings, policy, the database, the calendar; or one line why not."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer
from sqlalchemy import Engine
from sqlmodel import Session

from bot.config import Settings, SettingsError, load_settings
from kpi.calendar import WorkCalendar, load_calendar
from kpi.policy import Policy, PolicyError, load_policy
from models.db import make_engine, make_session_factory, upgrade


def fail(message: str) -> NoReturn:
    """Print one clear line on stderr and exit with status 2."""
    typer.echo(f"kpibot: {message}", err=True)
    raise typer.Exit(2)


def settings() -> Settings:
    """The settings, or one line naming the bad one."""
    try:
        return load_settings()
    except SettingsError as exc:
        fail(str(exc))


def policy(config: Settings) -> Policy:
    """The active policy (KPIBOT_POLICY or the shipped default), or its problems."""
    try:
        return load_policy(config.policy)
    except PolicyError as exc:
        fail(str(exc))


def open_engine(config: Settings) -> Engine:
    """An engine on the upgraded database, or one line saying why it cannot be opened."""
    engine = make_engine(config.database_url)
    try:
        upgrade(engine)
    except Exception as exc:  # noqa: BLE001  (one line for the operator, not a traceback)
        engine.dispose()
        fail(f"cannot open the database (KPIBOT_DATABASE_URL): {exc.__class__.__name__}: {exc}")
    return engine


@contextmanager
def database(config: Settings) -> Iterator[Session]:
    """An upgraded database and one session on it."""
    engine = open_engine(config)
    try:
        with make_session_factory(engine)() as session:
            yield session
    finally:
        engine.dispose()


def work_calendar(config: Settings, session: Session) -> WorkCalendar:
    """The working calendar the database declares, under the active policy."""
    calendar_days = policy(config).calendar_days
    return load_calendar(session=session, tz=config.tz, calendar_days=calendar_days)
