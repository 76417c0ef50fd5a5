"""`kpibot doctor`: check a setup the way `kpibot run` would load it, one line per check."""

from __future__ import annotations

import asyncio
from collections.abc import Generator, Iterator
from enum import StrEnum

import typer
from sqlalchemy import Engine

from bot.config import Settings, SettingsError, load_settings
from kpi.calendar import load_calendar
from kpi.policy import Policy, PolicyError, load_policy
from models.db import make_engine, make_session_factory, pending_migrations
from services.container import system_clock


class Status(StrEnum):
    """How a check ended; FAIL makes the exit status non-zero."""

    OK = "OK"
    WARN = "WARN"
    FAIL = "FAIL"


Check = tuple[Status, str, str]  # status, what was checked, what was found


def doctor() -> None:
    """Check settings, database and migrations, policy, calendar and token; FAIL exits 1."""
    failed = False
    for status, name, found in _checks():
        typer.echo(f"{status.value:<4} {name}: {found}")
        failed = failed or status is Status.FAIL
    if failed:
        raise typer.Exit(1)


def _checks() -> Iterator[Check]:
    try:
        config = load_settings()
    except SettingsError as exc:
        yield Status.FAIL, "settings", str(exc)
        return
    yield _settings(config)
    policy = None
    try:
        policy = load_policy(config.policy)
        yield Status.OK, "policy", str(config.policy or "the shipped default")
    except PolicyError as exc:
        yield Status.FAIL, "policy", str(exc).replace("\n", "; ")
    engine = make_engine(config.database_url)
    try:
        database_ok = yield from _database(engine)
        if database_ok and policy is not None:
            yield from _calendar(config, policy, engine)
    finally:
        engine.dispose()
    yield _telegram(config)


def _settings(config: Settings) -> Check:
    try:
        config.require_token()
        mode = "long polling"
        if config.webhook_url:
            config.require_webhook_secret()
            mode = "webhook"
    except SettingsError as exc:
        return Status.FAIL, "settings", str(exc)
    return Status.OK, "settings", f"{mode}, HTTP on {config.listen}:{config.port}"


def _database(engine: Engine) -> Generator[Check, None, bool]:
    """Whether the database answers and its migrations; True when the calendar can be read."""
    try:
        pending = pending_migrations(engine)
    except Exception as exc:  # noqa: BLE001  (one line for the operator, not a traceback)
        yield Status.FAIL, "database", f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
        return False
    yield Status.OK, "database", f"{engine.dialect.name} answers"
    if pending:
        yield (
            Status.WARN,
            "migrations",
            f"{len(pending)} to apply (kpibot run or kpibot db upgrade applies them)",
        )
        return False
    yield Status.OK, "migrations", "up to date"
    return True


def _calendar(config: Settings, policy: Policy, engine: Engine) -> Iterator[Check]:
    this_year = system_clock().astimezone(config.tz).year
    with make_session_factory(engine)() as session:
        calendar = load_calendar(session=session, tz=config.tz, calendar_days=policy.calendar_days)
    for year in (this_year, this_year + 1):
        if calendar.estimated(year):
            yield (
                Status.WARN,
                f"calendar {year}",
                "estimated: no official decision yet (kpibot calendar import FILE)",
            )
        else:
            yield Status.OK, f"calendar {year}", "official decision"


def _telegram(config: Settings) -> Check:
    try:
        token = config.require_token()
    except SettingsError:
        return Status.FAIL, "telegram", "no token to check"
    return asyncio.run(_get_me(token, config.telegram_base_url.rstrip("/")))


async def _get_me(token: str, base_url: str) -> Check:
    from telegram import Bot
    from telegram.error import InvalidToken, TelegramError

    try:
        async with Bot(token, base_url=base_url) as bot:
            me = bot.bot
    except InvalidToken:
        return Status.FAIL, "telegram", "Telegram refuses the token (KPIBOT_TOKEN)"
    except TelegramError as exc:
        return Status.FAIL, "telegram", f"unreachable ({type(exc).__name__})"
    return Status.OK, "telegram", f"the token is @{me.username}'s"
