"""What every command opens: settings, policy, the database, the calendar; or one line why not."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn, Protocol

import typer
from sqlalchemy import Engine, make_url
from sqlmodel import Session

from bot.config import Settings, SettingsError, load_settings
from kpi.calendar import WorkCalendar, load_calendar
from kpi.decisions import shipped_decisions
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


def reading_calendar(config: Settings) -> WorkCalendar:
    """The calendar for a command that only reads it: a SQLite file that does not exist yet is
    not created (the shipped decisions alone are in force then)."""
    url = make_url(config.database_url)
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists():
        calendar_days = policy(config).calendar_days
        return WorkCalendar(
            (), decisions=shipped_decisions(), tz=config.tz, calendar_days=calendar_days
        )
    with database(config) as session:
        return work_calendar(config, session)


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """The count with the noun that agrees with it: "1 reminder", "3 reminders"."""
    return f"{count} {singular if count == 1 else plural or f'{singular}s'}"


@contextmanager
def progress(total: int, label: str) -> Iterator[Callable[[int], None]]:
    """`advance(n)`: n more items done. A bar on stderr when it is a terminal; nothing in a log,
    a pipe or cron."""
    if not sys.stderr.isatty():
        yield lambda _done: None
        return
    with typer.progressbar(length=total, label=label, file=sys.stderr) as bar:
        yield bar.update


class ImportReport(Protocol):
    """What an import of rows that are added once (deductions, tasks) reports."""

    @property
    def errors(self) -> Sequence[Any]: ...  # each with .line and .reason
    @property
    def created(self) -> int: ...
    @property
    def skipped(self) -> int: ...


def echo_import(
    file: Path, rows: int, report: ImportReport, *, dry_run: bool, told: int, whom: str
) -> None:
    """Every bad row with its line, or the counts and the messages queued for `whom`."""
    for error in report.errors:
        typer.echo(f"{file}: line {error.line}: {error.reason}", err=True)
    if report.errors:
        fail(f"{counted(len(report.errors), 'bad row')}; nothing was imported")
    added = "would be added" if dry_run else "added"
    typer.echo(f"{counted(rows, 'row')}: {report.created} {added}, {report.skipped} already there.")
    if told:
        typer.echo(f"{counted(told, 'message')} queued: the running bot tells each {whom}.")
