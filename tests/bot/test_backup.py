"""`kpibot backup` of a running bot and `kpibot restore` into a fresh place find every row."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine, MetaData, text
from sqlalchemy.engine import make_url
from telegram.ext import Application

from models.db import make_engine
from sandbox.botapi import FakeBotAPI
from tests.bot.test_cli import kpibot
from tests.conftest import TEST_DATABASE_URL, reset_postgres
from tests.factories import ORG_CHATS


def dump(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, sorted."""
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.connect() as connection:
        return {
            name: sorted(map(tuple, connection.execute(table.select())), key=repr)
            for name, table in metadata.tables.items()
        }


@pytest.fixture
def fresh_url(tmp_path: Path) -> str:
    """An empty database elsewhere: a new SQLite file, or a second PostgreSQL database."""
    if not TEST_DATABASE_URL:
        (tmp_path / "fresh").mkdir()
        return f"sqlite:///{tmp_path / 'fresh' / 'kpibot.db'}"
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        pytest.skip("pg_dump/pg_restore are not installed on this machine")
    url = make_url(TEST_DATABASE_URL)
    fresh = url.set(database=f"{url.database}_restore")
    admin = make_engine(url.render_as_string(hide_password=False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{fresh.database}"'))
        connection.execute(text(f'CREATE DATABASE "{fresh.database}"'))
    admin.dispose()
    return fresh.render_as_string(hide_password=False)


async def test_a_running_bot_is_backed_up_and_restored_whole(
    application: Application,  # noqa: ARG001  (the bot runs while it is backed up)
    bot: FakeBotAPI,
    engine: Engine,
    env: dict[str, str],
    fresh_url: str,
    tmp_path: Path,
    org,  # noqa: ARG001
) -> None:
    staff = bot.user(ORG_CHATS["staff"], "Viên", language_code="vi")
    bot.send_text(staff, "/open Báo cáo quý")
    await bot.wait_for_messages(ORG_CHATS["leader"], 1, timeout=20)  # the card went out
    file = tmp_path / "kpibot.backup"

    result = kpibot("backup", str(file), env=env)
    assert result.returncode == 0, result.stderr
    fresh_env = env | {"KPIBOT_DATABASE_URL": fresh_url}
    result = kpibot("restore", str(file), env=fresh_env)
    assert result.returncode == 0, result.stderr

    restored = make_engine(fresh_url)
    rows = dump(engine)
    assert rows["work_code"] and rows["outbox"] and rows["employee"]
    assert dump(restored) == rows
    restored.dispose()

    # A database that holds data is replaced only with --force.
    result = kpibot("restore", str(file), env=fresh_env)
    assert result.returncode == 2
    assert "restore replaces them only with --force" in result.stderr
    result = kpibot("restore", str(file), "--force", env=fresh_env)
    assert result.returncode == 0, result.stderr
    if TEST_DATABASE_URL:
        reset_postgres(fresh_url)


def test_a_file_that_is_no_backup_is_refused(env: dict[str, str], tmp_path: Path) -> None:
    if TEST_DATABASE_URL:
        pytest.skip("the SQLite check; pg_restore refuses such files itself")
    junk = tmp_path / "junk.backup"
    junk.write_bytes(os.urandom(4096))
    result = kpibot("restore", str(junk), env=env)
    assert result.returncode == 2
    assert "is not a kpibot SQLite backup" in result.stderr
