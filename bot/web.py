"""The one HTTP server of `kpibot run`: health, readiness, metrics, and the webhook when set.

A small Starlette app, served by uvicorn inside the bot's own event loop (see README).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from telegram import Update
from telegram.ext import Application

from bot.api import api_routes
from bot.bodies import BadLength, TooLarge, read_body
from kpi import outbox
from models import OutboxStatus
from services.container import Services

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
SWEEP_STALE = 180.0  # seconds without a finished sweep before the bot is not ready
TELEGRAM_STALE = 300.0  # seconds without an answer from Telegram before the bot is not ready
DATABASE_PATIENCE = 2.0  # seconds the readiness check waits for the database


@dataclass(frozen=True)
class Webhook:
    """Where Telegram posts updates, and the secret it must send."""

    path: str
    secret: str


def web_app(
    application: Application,  # type: ignore[type-arg]
    svc: Services,
    webhook: Webhook | None = None,
) -> Starlette:
    """The HTTP app of a running bot: /healthz, /readyz, /metrics, and the webhook if given."""
    svc.telemetry.registry.register(OutboxCollector(svc))

    async def healthz(_request: Request) -> Response:
        return PlainTextResponse("ok\n")

    async def readyz(_request: Request) -> Response:
        checks = await readiness(svc)
        return JSONResponse(
            {"ready": all(checks.values()), "checks": checks},
            status_code=200 if all(checks.values()) else 503,
        )

    async def metrics(_request: Request) -> Response:
        body = await asyncio.to_thread(generate_latest, svc.telemetry.registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]
    routes += api_routes(svc)
    if webhook is not None:
        routes.append(
            Route(webhook.path, _webhook_endpoint(application, webhook), methods=["POST"])
        )
    return Starlette(routes=routes)


async def readiness(svc: Services) -> dict[str, bool]:
    """Each condition of readiness (§8): the database answers, sweeps run, Telegram answers."""
    try:
        database = await asyncio.wait_for(
            asyncio.to_thread(_database_answers, svc), DATABASE_PATIENCE
        )
    except TimeoutError:
        database = False
    telemetry = svc.telemetry
    return {
        "database": database,
        "sweep": telemetry.since(telemetry.last_sweep) <= SWEEP_STALE,
        "telegram": telemetry.since(telemetry.last_contact) <= TELEGRAM_STALE,
    }


def _database_answers(svc: Services) -> bool:
    try:
        with svc.db() as session:
            session.execute(text("SELECT 1"))
    except Exception as exc:  # any failure to answer means not ready, whatever the driver says
        log.warning("readiness: the database does not answer (%s)", type(exc).__name__)
        return False
    return True


def _webhook_endpoint(
    application: Application,  # type: ignore[type-arg]
    webhook: Webhook,
) -> Callable[[Request], Awaitable[Response]]:
    expected = webhook.secret.encode()

    async def receive(request: Request) -> Response:
        """Refuse before reading what is not Telegram's or too big; queue the update."""
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            return PlainTextResponse("forbidden\n", status_code=403)
        try:
            body = await read_body(request)
        except BadLength:
            return PlainTextResponse("bad Content-Length\n", status_code=400)
        except TooLarge:
            return PlainTextResponse("too large\n", status_code=413)
        try:
            data = json.loads(body)
            if not isinstance(data, dict):
                raise ValueError("not an object")
            update = Update.de_json(data, application.bot)
        except Exception:  # any body that is not an Update is the sender's fault
            return PlainTextResponse("not a Telegram update\n", status_code=400)
        if not application.running:
            return PlainTextResponse("starting\n", status_code=503)
        await application.update_queue.put(update)
        return Response(status_code=200)

    return receive


class OutboxCollector(Collector):
    """Outbox depth by status and the age of the oldest due message, read at each scrape."""

    def __init__(self, svc: Services) -> None:
        self.svc = svc

    def describe(self) -> Iterator[GaugeMetricFamily]:
        """The families, without querying the database at registration."""
        yield from self._families()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """The outbox as it stands now."""
        now = self.svc.clock()
        with self.svc.db() as session:
            counts, oldest = outbox.depth(session, now)
        yield from self._families(counts, (now - oldest).total_seconds() if oldest else 0.0)

    @staticmethod
    def _families(
        counts: dict[str, int] | None = None, oldest: float | None = None
    ) -> Iterator[GaugeMetricFamily]:
        depth = GaugeMetricFamily(
            "kpibot_outbox_messages", "Messages in the outbox by status.", labels=["status"]
        )
        age = GaugeMetricFamily(
            "kpibot_outbox_oldest_due_age_seconds",
            "Seconds the oldest pending message has been due (0 when none waits).",
        )
        if counts is not None and oldest is not None:
            for status in OutboxStatus:
                depth.add_metric([status.value], counts.get(status.value, 0))
            age.add_metric([], oldest)
        yield depth
        yield age
