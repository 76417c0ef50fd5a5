"""Fixtures to run the `kpibot` command as a user does, `kpibot run` against the fake Bot API."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.botapi import FakeBotAPI
from tests.conftest import TOKEN


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> dict[str, str]:
    """A clean environment for the `kpibot` command on the test database."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KPIBOT_")}
    return clean | {"KPIBOT_DATABASE_URL": database_url, "HOME": str(tmp_path)}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def run_env(env: dict[str, str], fake: FakeBotAPI) -> dict[str, str]:
    """The environment of `kpibot run` against the fake, its HTTP server on a free port."""
    return env | {
        "KPIBOT_TOKEN": TOKEN,
        "KPIBOT_TELEGRAM_BASE_URL": fake.base_url,
        "KPIBOT_PORT": str(free_port()),
    }


@pytest.fixture
def start_bot(run_env: dict[str, str]) -> Iterator[object]:
    processes: list[subprocess.Popen[str]] = []

    def start(**extra: str) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "kpibot"), "run"],
            env=run_env | extra,
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
