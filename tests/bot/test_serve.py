"""`kpibot run` serves by long polling or webhook, and stops cleanly on SIGINT and SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.botapi import FakeBotAPI
from tests.conftest import TOKEN


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def env(database_url: str, tmp_path: Path, fake: FakeBotAPI) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KPIBOT_")}
    return clean | {
        "KPIBOT_DATABASE_URL": database_url,
        "KPIBOT_TOKEN": TOKEN,
        "KPIBOT_TELEGRAM_BASE_URL": fake.base_url,
        "HOME": str(tmp_path),
    }


@pytest.fixture
def start_bot(env: dict[str, str]) -> Iterator[object]:
    processes: list[subprocess.Popen[str]] = []

    def start(**extra: str) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "kpibot"), "run"],
            env=env | extra,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        processes.append(process)
        return process

    yield start
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.communicate()


def stop(process: subprocess.Popen[str], how: signal.Signals) -> str:
    process.send_signal(how)
    _out, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    assert "Traceback" not in err
    assert TOKEN not in err
    return err


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM])
async def test_long_polling_answers_and_stops_cleanly(
    fake: FakeBotAPI, start_bot, how: signal.Signals
) -> None:
    process = start_bot()
    user = fake.user(900, "Khách", language_code="en")
    fake.send_text(user, "/help")
    [reply] = await fake.wait_for_messages(900, 1, timeout=20)
    assert "What you can do" in reply["text"]
    err = stop(process, how)
    assert "serving by long polling" in err and "stopped" in err


async def test_webhook_registers_its_secret_and_refuses_a_wrong_one(
    fake: FakeBotAPI, start_bot
) -> None:
    port = free_port()
    process = start_bot(
        KPIBOT_WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram",
        KPIBOT_WEBHOOK_SECRET="s3cret-token_1",
        KPIBOT_PORT=str(port),
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
    stop(process, signal.SIGTERM)
