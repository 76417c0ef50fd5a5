"""Running the service: `run` serves the bot; `sweep` does its time-driven work once."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from bot.cli.resources import counted, fail, open_engine, policy, settings
from bot.config import Settings, SettingsError
from bot.logs import configure_logging
from models.db import make_engine, make_session_factory
from services.container import system_clock

if TYPE_CHECKING:
    from scheduler.delivery import DeliveryReport


def run() -> None:
    """Upgrade the database, then serve (by webhook when KPIBOT_WEBHOOK_URL is set).

    Health, readiness and metrics are served over HTTP on KPIBOT_LISTEN:KPIBOT_PORT.
    """
    leave_unloaded()
    # The bot stack loads only for the commands that need it.
    from bot.app import services_for
    from bot.serve import serve

    config = settings()
    try:
        token = config.require_token()
        if config.webhook_url:
            config.require_webhook_secret()
    except SettingsError as exc:
        fail(str(exc))
    configure_logging(token, log_format=config.log_format)
    active_policy = policy(config)
    migrate()
    engine = make_engine(config.database_url)
    try:
        serve(config, services_for(config, make_session_factory(engine), active_policy))
    except SettingsError as exc:
        fail(str(exc))


def leave_unloaded() -> None:
    """Keep out of this process what the bot does not use and its libraries would load.

    python-telegram-bot loads tornado for a webhook server of its own, which kpibot does not use
    (uvicorn serves both modes): about 16 MB. Without it, PTB says its own webhook is unavailable.
    httpcore loads trio, when installed, to serve programs that run under trio; kpibot runs under
    asyncio: about 2.6 MB with the libraries trio loads.
    """
    for unused in ("tornado", "trio"):
        sys.modules.setdefault(unused, None)  # type: ignore[arg-type]


def migrate() -> None:
    """Upgrade the database as `kpibot db upgrade` does, in a short child process.

    Alembic and Mako, about 37 MB, so never load in the serving process. The child's log lines and
    its one-line error go to the same stderr; its exit status ends `run` when it failed.
    """
    child = subprocess.run(
        [sys.executable, "-m", "bot", "db", "upgrade"], stdout=subprocess.DEVNULL, check=False
    )
    if child.returncode != 0:
        raise typer.Exit(child.returncode)


def sweep(
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            help="The instant, ISO-8601 (e.g. 2026-11-09T15:00+07:00; without a zone, "
            "KPIBOT_TIMEZONE). Default: now.",
        ),
    ] = None,
    no_send: Annotated[
        bool, typer.Option("--no-send", help="Queue messages; send nothing.")
    ] = False,
) -> None:
    """Do once all time-driven work due at an instant: reminders, breaches, digests; then send."""
    from scheduler.sweep import run_sweep

    config = settings()
    now = _instant(at, config) if at else system_clock()
    active_policy = policy(config)
    engine = open_engine(config)
    db = make_session_factory(engine)
    report = run_sweep(
        db=db, policy=active_policy, tz=config.tz, now=now, default_locale=config.default_locale
    )
    typer.echo(
        f"{now.astimezone(config.tz).isoformat()}: {counted(report.reminders, 'reminder')}, "
        f"{counted(report.breaches, 'breach', 'breaches')}, {counted(report.digests, 'digest')}; "
        f"{counted(report.queued, 'message')} queued."
    )
    if not no_send:
        delivered = asyncio.run(_deliver(config, db, now))
        typer.echo(
            f"Delivered {delivered.sent}; {delivered.later} wait for a retry, "
            f"{delivered.blocked} blocked, {delivered.failed} refused."
        )
    engine.dispose()


def _instant(text: str, config: Settings) -> datetime:
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        fail(f"{text!r} is not an ISO-8601 date and time, e.g. 2026-11-09T15:00+07:00")
    return instant if instant.tzinfo else instant.replace(tzinfo=config.tz)


async def _deliver(config: Settings, db: sessionmaker[Session], now: datetime) -> DeliveryReport:
    """Send what is due at `now` with a bot of our own, as the running service would."""
    from telegram.error import TelegramError

    from scheduler.budget import paced_bot
    from scheduler.delivery import Deliverer

    try:
        token = config.require_token()
    except SettingsError as exc:
        fail(f"{exc} (or use --no-send)")
    configure_logging(token, logging.WARNING, config.log_format)
    try:
        async with paced_bot(token, config.telegram_base_url.rstrip("/")) as bot:
            return await Deliverer(db=db, bot=bot, clock=lambda: now).deliver_due()
    except TelegramError as exc:
        fail(f"cannot reach Telegram: {exc}")
