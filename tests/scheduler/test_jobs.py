"""The service's own schedule: the sweep runs as soon as the bot starts, then every minute."""

from __future__ import annotations

from datetime import timedelta

from bot.app import build_application
from bot.config import Settings
from sandbox.botapi import FakeBotAPI
from scheduler.budget import Budget
from services.container import Services
from tests.conftest import Clock
from tests.factories import ORG_CHATS, local
from tests.scheduler.test_engine import open_code


async def test_the_first_sweep_runs_at_start_up_then_every_minute(
    fake: FakeBotAPI, settings: Settings, services: Services, clock: Clock, db, org
) -> None:
    open_code(db, services, org.staff, local("2026-11-02", 9), "Kế hoạch")
    clock.now = local("2026-11-09", 15, 1)  # the 15:00 reminder is due
    # As `kpibot run` builds it, without Telegram's limits: the test counts sweeps, not sends.
    application = build_application(settings, services, budget=Budget.unlimited())
    async with application:
        await application.start()
        try:
            await _first_sweep_then_every_minute(application, fake)
        finally:
            await application.stop()


async def _first_sweep_then_every_minute(application, fake: FakeBotAPI) -> None:
    # Well before a minute has passed, the start-up sweep has sent the reminder.
    # (The morning digest of that day, never sent while the bot was down, may come with it.)
    leader = ORG_CHATS["leader"]
    await fake.wait_for(
        lambda: any(m["text"].startswith("🔔 Nhắc việc") for m in fake.messages(leader)),
        what="the 15:00 reminder",
    )
    assert application.job_queue is not None
    jobs = application.job_queue.get_jobs_by_name("sweep")
    intervals = [getattr(job.job.trigger, "interval", None) for job in jobs]
    assert timedelta(minutes=1) in intervals
