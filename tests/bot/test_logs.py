"""The logs of `kpibot run`, text or JSON: ids only, never names, message texts or the token."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest

from sandbox.botapi import FakeBotAPI
from tests.bot.test_cli import linked_roster
from tests.bot.test_serve import stop
from tests.conftest import TOKEN

NAMES = ("Nguyễn Văn Giám", "Trần Thị Phòng", "Lê Văn Viên", "Viên", "Phòng")
TEXTS = ("Báo cáo mật XYZ-42", "lời nhắn riêng tư", "secret-words")


@pytest.mark.parametrize("log_format", ["text", "json"])
async def test_logs_carry_ids_not_names_texts_or_the_token(
    fake: FakeBotAPI,
    run_env: dict[str, str],
    start_bot,
    tmp_path: Path,
    database_url: str,
    log_format: str,
) -> None:
    linked_roster(run_env, tmp_path, database_url, TP01=901, CV01=903).dispose()
    staff = fake.user(903, "Viên", language_code="en")
    # The first answer is refused: the failed update is logged with its traceback. Only a send
    # to the employee fails: the card of the code, queued for the leader, may go out first.
    fake.fail_next(
        "sendMessage", status=400, description="Bad Request: can't parse entities", chat_id=903
    )
    process = start_bot(KPIBOT_LOG_FORMAT=log_format)
    fake.send_text(staff, f"/open {TEXTS[0]}")
    fake.send_text(staff, TEXTS[1])
    fake.send_text(staff, f"/nosuchcommand {TEXTS[2]}")
    await fake.wait_for_messages(903, 3, timeout=30)  # the apology, and two answers
    err = stop(process, signal.SIGTERM, tracebacks=True)

    assert "ERROR bot.app: update " in err or '"logger": "bot.app"' in err  # by its id
    for secret in (TOKEN, TOKEN.split(":")[1], *NAMES, *TEXTS):
        assert secret not in err
    lines = err.splitlines()
    if log_format == "json":
        records = [json.loads(line) for line in lines]
        assert all({"time", "level", "logger", "event"} <= set(r) for r in records)
        assert any("BadRequest" in r.get("traceback", "") for r in records)
    else:
        assert "Traceback" in err
