"""The time-driven work inside `kpibot run`: the sweep each minute, delivery each second."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import cast

from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes

from scheduler.delivery import Deliverer
from scheduler.sweep import run_sweep
from services.container import Services

log = logging.getLogger(__name__)
DELIVERER = "deliverer"
PROBE_EVERY = 60.0  # seconds without a word from Telegram before the bot asks it (readiness)


def register_jobs(application: Application, svc: Services, *, sweep_every: float | None) -> None:  # type: ignore[type-arg]
    """Register the jobs; the first sweep runs at start-up to catch up after downtime."""
    application.bot_data[DELIVERER] = Deliverer(db=svc.db, bot=application.bot, clock=svc.clock)
    queue = application.job_queue
    assert queue is not None, "python-telegram-bot[job-queue] is required"
    queue.run_repeating(deliver, interval=1.0, first=0.0, name="deliver")
    # A handler that queued a message rings: it goes out now rather than at the next tick.
    svc.doorbell.connect(lambda: queue.run_once(deliver, 0.0))
    if sweep_every is not None:
        # An interval whose start has passed when the scheduler starts first fires one interval
        # later: the start-up sweep is a job of its own, run however late the start is.
        queue.run_once(sweep, 0.0, name="sweep", job_kwargs={"misfire_grace_time": None})
        queue.run_repeating(sweep, interval=sweep_every, first=sweep_every, name="sweep")
    queue.run_repeating(probe, interval=PROBE_EVERY, first=PROBE_EVERY, name="probe")


async def sweep(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Run the sweep off the event loop, then deliver what it queued."""
    svc = cast(Services, context.bot_data["services"])
    started = time.perf_counter()
    report = await asyncio.to_thread(
        run_sweep,
        db=svc.db,
        policy=svc.policy,
        tz=svc.tz,
        now=svc.clock(),
        default_locale=svc.default_locale,
    )
    svc.telemetry.swept(time.perf_counter() - started, report.breaches)
    if report.queued:
        log.info("sweep: %s", report)
        await deliver(context)


def stop_delivering(application: Application) -> None:  # type: ignore[type-arg]
    """Let a delivery under way end after its current sends (before the job queue stops, which
    waits for running jobs: a long outbox would hold the bot for minutes)."""
    cast(Deliverer, application.bot_data[DELIVERER]).stop()


async def deliver(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send what is due in the outbox."""
    deliverer = cast(Deliverer, context.bot_data[DELIVERER])
    report = await deliverer.deliver_due()
    if report.sent or report.failed or report.blocked:
        log.info("delivery: %s", report)


async def probe(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Ask Telegram who we are when nothing else did lately, so readiness knows it answers."""
    svc = cast(Services, context.bot_data["services"])
    if svc.telemetry.since(svc.telemetry.last_contact) < PROBE_EVERY:
        return
    try:
        await context.bot.get_me()
    except TelegramError as exc:
        log.warning("Telegram did not answer: %s", type(exc).__name__)
