"""`kpibot run` serves by long polling or webhook, with its HTTP server (health, readiness,
metrics) in both modes, and stops cleanly on SIGINT and SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import subprocess
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select

from kpi.outbox import Draft, enqueue
from models import OutboxKind, OutboxMessage, OutboxStatus
from models.db import upgrade
from sandbox.botapi import FakeBotAPI
from tests.bot.conftest import free_port
from tests.conftest import TOKEN


async def served_http(port: str) -> dict[str, float]:
    """The bot's HTTP server answers: alive, ready (after its start-up sweep), with metrics."""
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
        assert (await http.get("/healthz")).status_code == 200
        for _ in range(100):
            ready = await http.get("/readyz")
            if ready.status_code == 200:
                break
            await asyncio.sleep(0.2)
        assert ready.json() == {
            "ready": True,
            "checks": {"database": True, "sweep": True, "telegram": True},
        }
        metrics = await http.get("/metrics")
    return {
        sample.name: sample.value
        for family in text_string_to_metric_families(metrics.text)
        for sample in family.samples
        if not sample.labels
    }


def stop(process: subprocess.Popen[str], how: signal.Signals, *, tracebacks: bool = False) -> str:
    """Stop the bot with a signal; its log, which has no traceback unless `tracebacks`."""
    process.send_signal(how)
    _out, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    assert tracebacks or "Traceback" not in err
    assert TOKEN not in err
    return err


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM])
async def test_long_polling_answers_serves_http_and_stops_cleanly(
    fake: FakeBotAPI, run_env: dict[str, str], start_bot, how: signal.Signals
) -> None:
    process = start_bot()
    user = fake.user(900, "Khách", language_code="en")
    fake.send_text(user, "/help")
    [reply] = await fake.wait_for_messages(900, 1, timeout=20)
    assert "What you can do" in reply["text"]
    metrics = await served_http(run_env["KPIBOT_PORT"])
    assert metrics["kpibot_updates_handled_total"] == 1
    assert metrics["kpibot_sweep_duration_seconds_count"] >= 1
    err = stop(process, how)
    assert "serving by long polling" in err and "stopped" in err


async def test_webhook_registers_its_secret_and_refuses_a_wrong_one(
    fake: FakeBotAPI, run_env: dict[str, str], start_bot
) -> None:
    port = run_env["KPIBOT_PORT"]
    process = start_bot(
        KPIBOT_WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram",
        KPIBOT_WEBHOOK_SECRET="s3cret-token_1",
    )
    await fake.wait_for(lambda: fake.calls_of("setWebhook"), timeout=20)
    [registration] = fake.calls_of("setWebhook")
    assert registration.params["url"] == f"http://127.0.0.1:{port}/telegram"
    assert registration.params["secret_token"] == "s3cret-token_1"

    user = fake.user(901, "Khách", language_code="en")
    update_id = fake.send_text(user, "/start")  # delivered by POST with the right secret
    [reply] = await fake.wait_for_messages(901, 1, timeout=20)
    assert "invite" in reply["text"]

    assert await fake.deliver_webhook(update_id, secret="wrong") == 403
    assert await fake.deliver_webhook(update_id, secret="") == 403
    await asyncio.sleep(0.5)
    assert len(fake.messages(901)) == 1
    metrics = await served_http(port)
    assert metrics["kpibot_updates_handled_total"] == 1
    stop(process, signal.SIGTERM)


@pytest.fixture
def down(run_env: dict[str, str]) -> Iterator[tuple[dict[str, str], int]]:
    """The environment of a bot whose Telegram is down (nothing listens on its port yet)."""
    port = free_port()
    yield run_env | {"KPIBOT_TELEGRAM_BASE_URL": f"http://127.0.0.1:{port}/bot"}, port


def warnings_until(process: subprocess.Popen[str], count: int) -> list[str]:
    """The bot's log lines until `count` of them say Telegram is unreachable."""
    assert process.stderr is not None
    lines: list[str] = []
    while sum("Telegram is unreachable" in line for line in lines) < count:
        line = process.stderr.readline()
        assert line, "the bot exited"
        lines.append(line)
    return lines


async def test_start_up_waits_for_telegram_then_serves(down, start_bot) -> None:
    env, port = down
    process = start_bot(**env)
    lines = await asyncio.to_thread(warnings_until, process, 3)
    unreachable = [line for line in lines if "Telegram is unreachable" in line]
    assert [line.split(" WARNING ")[1] for line in unreachable] == [
        "bot.serve: Telegram is unreachable (NetworkError); trying again in 1 s\n",
        "bot.serve: Telegram is unreachable (NetworkError); trying again in 2 s\n",
        "bot.serve: Telegram is unreachable (NetworkError); trying again in 4 s\n",
    ]
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{env['KPIBOT_PORT']}") as http:
        assert (await http.get("/healthz")).status_code == 200  # alive while it waits
        assert (await http.get("/readyz")).json()["checks"]["telegram"] is False
    with FakeBotAPI(token=TOKEN, port=port) as fake:
        user = fake.user(903, "Khách", language_code="en")
        fake.send_text(user, "/help")
        [reply] = await fake.wait_for_messages(903, 1, timeout=30)
        assert "What you can do" in reply["text"]
        err = stop(process, signal.SIGTERM)
    assert "Traceback" not in err and "serving by long polling" in err


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM])
async def test_a_signal_stops_it_while_telegram_is_down(down, start_bot, how) -> None:
    env, _port = down
    process = start_bot(**env)
    await asyncio.to_thread(warnings_until, process, 2)
    process.send_signal(how)
    _out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert "Traceback" not in err


async def test_a_signal_stops_it_while_a_long_delivery_runs(
    fake: FakeBotAPI, start_bot, engine: Engine, db: sessionmaker[Session]
) -> None:
    """40 messages for one chat take 40 s at Telegram's 1 a second: SIGTERM does not wait for
    them, and the unsent ones stay queued for the next start, none left claimed."""
    chat = fake.user(904, "Khách").id
    now = datetime.now(UTC)
    upgrade(engine)
    with db() as session:
        drafts = [
            Draft(f"long:{n}", OutboxKind.NOTICE, chat, f"Thông báo {n}", not_before=now)
            for n in range(40)
        ]
        enqueue(session, drafts, now=now)
        session.commit()
    process = start_bot()
    await fake.wait_for(lambda: len(fake.messages(chat)) >= 5, timeout=30, what="5 sent")
    process.send_signal(signal.SIGTERM)
    _out, err = await asyncio.to_thread(process.communicate, timeout=10)
    assert process.returncode == 0 and "Traceback" not in err
    with db() as session:
        statuses = Counter(row.status for row in session.exec(select(OutboxMessage)))
    assert statuses[OutboxStatus.SENT] == len(fake.messages(chat)) < 40
    assert statuses[OutboxStatus.PENDING] == 40 - statuses[OutboxStatus.SENT]
