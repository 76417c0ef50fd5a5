"""The HTTP server of `kpibot run`: health, readiness, metrics, and a hardened webhook."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from telegram.error import RetryAfter
from telegram.ext import Application

from bot.bodies import MAX_BODY
from bot.web import SECRET_HEADER, Webhook, web_app
from kpi.outbox import Draft, enqueue
from models import OutboxKind, OutboxStatus
from models.db import make_engine, make_session_factory
from sandbox.botapi import FakeBotAPI
from services.container import Services
from services.telemetry import Telemetry
from tests.conftest import Clock

SECRET = "s3cret-token_1"


def client(app: Starlette) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://kpibot")


@pytest.fixture
async def http(application: Application, services: Services) -> AsyncIterator[httpx.AsyncClient]:
    app = web_app(application, services, Webhook(path="/telegram", secret=SECRET))
    async with client(app) as http:
        yield http


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a /metrics page, parsed back by prometheus_client."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_healthz_answers(http: httpx.AsyncClient) -> None:
    response = await http.get("/healthz")
    assert response.status_code == 200


async def test_ready_once_swept_and_not_when_the_sweep_stalls(
    http: httpx.AsyncClient, services: Services
) -> None:
    # Telegram answered at start-up (getMe); no sweep has run yet.
    response = await http.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": True, "sweep": False, "telegram": True}

    services.telemetry.swept(0.2, breaches=0)
    response = await http.get("/readyz")
    assert response.status_code == 200 and response.json()["ready"] is True

    services.telemetry.last_sweep = services.telemetry.monotonic() - 181  # 3 minutes stalled
    response = await http.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["sweep"] is False

    services.telemetry.swept(0.2, breaches=0)
    services.telemetry.last_contact = services.telemetry.monotonic() - 301  # Telegram silent
    response = await http.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": True, "sweep": True, "telegram": False}


async def test_not_ready_when_the_database_is_gone(
    application: Application, services: Services
) -> None:
    gone = make_engine("postgresql+psycopg://kpibot@127.0.0.1:1/gone?connect_timeout=1")
    telemetry = Telemetry()
    telemetry.swept(0.1, breaches=0)
    telemetry.last_contact = telemetry.monotonic()
    svc = dataclasses.replace(services, db=make_session_factory(gone), telemetry=telemetry)
    async with client(web_app(application, svc)) as http:
        response = await http.get("/readyz")
        assert (await http.get("/healthz")).status_code == 200  # alive all the same
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": False, "sweep": True, "telegram": True}
    gone.dispose()


async def test_metrics_parse_back_and_count(
    http: httpx.AsyncClient, application: Application, bot: FakeBotAPI, services: Services
) -> None:
    user = bot.user(900, "Khách", language_code="en")
    bot.send_text(user, "/help")
    await bot.wait_for_messages(900, 1, timeout=20)
    services.telemetry.swept(0.3, breaches=2)
    bot.fail_next("getMe", status=429, retry_after=1)
    with pytest.raises(RetryAfter):
        await application.bot.get_me()

    response = await http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    values = samples(response.text)
    assert values[("kpibot_updates_handled_total", ())] >= 1
    assert values[("kpibot_messages_sent_total", ())] >= 1
    assert values[("kpibot_breaches_total", ())] == 2
    assert values[("kpibot_sweep_duration_seconds_count", ())] == 1
    assert values[("kpibot_sweep_duration_seconds_sum", ())] == pytest.approx(0.3)
    assert 0 <= values[("kpibot_sweep_lag_seconds", ())] < 180
    assert values[("kpibot_telegram_flood_waits_total", ())] == 1
    assert values[("kpibot_telegram_retries_total", ())] >= 1
    assert values[("kpibot_telegram_contact_age_seconds", ())] < 300
    for status in OutboxStatus:
        assert ("kpibot_outbox_messages", (("status", status.value),)) in values
    assert values[("kpibot_outbox_oldest_due_age_seconds", ())] == 0


async def test_the_oldest_due_message_ages(
    application: Application, services: Services, clock: Clock, db
) -> None:
    # Due in five minutes for the running bot; its metrics are read ten minutes later.
    with db() as session:
        due = clock.now + timedelta(minutes=5)
        draft = Draft(key="t:1", kind=OutboxKind.NOTICE, chat_id=1, text="x", not_before=due)
        enqueue(session, [draft], now=clock.now)
        session.commit()
    later = dataclasses.replace(
        services, clock=lambda: clock.now + timedelta(minutes=10), telemetry=Telemetry()
    )
    async with client(web_app(application, later)) as http:
        values = samples((await http.get("/metrics")).text)
    assert values[("kpibot_outbox_messages", (("status", "pending"),))] == 1
    assert values[("kpibot_outbox_oldest_due_age_seconds", ())] == 300


# ---- the webhook ----


class Receive:
    """An ASGI `receive` that gives a body in chunks and counts how much the app read."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks
        self.read = 0

    async def __call__(self) -> dict[str, object]:
        if self.read < len(self.chunks):
            self.read += 1
            more = self.read < len(self.chunks)
            return {"type": "http.request", "body": self.chunks[self.read - 1], "more_body": more}
        return {"type": "http.disconnect"}


async def post(app: Starlette, receive: Receive, headers: dict[str, str]) -> int:
    """POST to the webhook through ASGI directly; the response's status."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/telegram",
        "raw_path": b"/telegram",
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 8080),
    }
    statuses: list[int] = []

    async def send(message: dict[str, object]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(int(message["status"]))  # type: ignore[call-overload]

    await app(scope, receive, send)
    return statuses[0]


@pytest.fixture
def hook(application: Application, services: Services) -> Starlette:
    return web_app(application, services, Webhook(path="/telegram", secret=SECRET))


CHUNK = b"x" * 65536


async def test_no_secret_is_refused_without_reading_the_body(hook: Starlette) -> None:
    for headers in ({}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: SECRET[:-1]}):
        receive = Receive([CHUNK] * 1500)  # 95 MB
        assert await post(hook, receive, headers | {"Content-Length": "98304000"}) == 403
        assert receive.read == 0


async def test_a_body_over_1_mb_is_refused_before_reading(hook: Starlette) -> None:
    receive = Receive([CHUNK] * 1500)
    headers = {SECRET_HEADER: SECRET, "Content-Length": str(1500 * len(CHUNK))}
    assert await post(hook, receive, headers) == 413
    assert receive.read == 0
    # Streamed without a length: reading stops just past the limit.
    receive = Receive([CHUNK] * 1500)
    assert await post(hook, receive, {SECRET_HEADER: SECRET}) == 413
    assert receive.read == MAX_BODY // len(CHUNK) + 1


@pytest.mark.parametrize(
    "body", [b"{not json", b"[1, 2]", b'{"no": "update_id"}', b"\xff\xfe", b"", b'"x"']
)
async def test_malformed_bodies_are_a_400(hook: Starlette, body: bytes) -> None:
    headers = {SECRET_HEADER: SECRET, "Content-Length": str(len(body))}
    assert await post(hook, Receive([body]), headers) == 400


async def test_an_update_with_the_secret_is_handled(
    http: httpx.AsyncClient, bot: FakeBotAPI
) -> None:
    update = {
        "update_id": 10_000,
        "message": {
            "message_id": 1,
            "date": 1_790_000_000,
            "chat": {"id": 902, "type": "private"},
            "from": {"id": 902, "is_bot": False, "first_name": "K", "language_code": "en"},
            "text": "/help",
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
        },
    }
    bot.user(902, "K", language_code="en")
    response = await http.post(
        "/telegram", content=json.dumps(update), headers={SECRET_HEADER: SECRET}
    )
    assert response.status_code == 200
    [reply] = await bot.wait_for_messages(902, 1, timeout=20)
    assert "What you can do" in reply["text"]
