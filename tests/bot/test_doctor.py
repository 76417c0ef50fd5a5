"""`kpibot doctor` on a good setup and on broken ones: one line per check, FAIL exits 1."""

from __future__ import annotations

from pathlib import Path

from sandbox.botapi import FakeBotAPI
from tests.bot.test_cli import kpibot
from tests.conftest import TOKEN


def checks(output: str) -> dict[str, str]:
    """check name -> status, from doctor's lines `STATUS name: found`."""
    lines = [line.split(None, 1) for line in output.splitlines()]
    return {rest.split(":")[0]: status for status, rest in lines}


def test_a_good_setup_is_all_ok(env: dict[str, str], fake: FakeBotAPI) -> None:
    env = env | {"KPIBOT_TOKEN": TOKEN, "KPIBOT_TELEGRAM_BASE_URL": fake.base_url}
    assert kpibot("db", "upgrade", env=env).returncode == 0
    result = kpibot("doctor", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    found = checks(result.stdout)
    years = [name for name in found if name.startswith("calendar ")]
    assert len(years) == 2 and all(found[year] in ("OK", "WARN") for year in years)
    assert {name: status for name, status in found.items() if name not in years} == {
        "settings": "OK",
        "policy": "OK",
        "database": "OK",
        "migrations": "OK",
        "telegram": "OK",
    }
    assert "@kpi_test_bot" in result.stdout and TOKEN not in result.stdout


def test_a_broken_setup_fails_each_broken_part(env: dict[str, str], tmp_path: Path) -> None:
    with FakeBotAPI(token=TOKEN) as telegram:  # which refuses the wrong token below
        broken_setups(env, telegram, tmp_path)


def broken_setups(env: dict[str, str], fake: FakeBotAPI, tmp_path: Path) -> None:
    bad_policy = tmp_path / "policy.toml"
    bad_policy.write_text("[criteria\n", encoding="utf-8")
    env = env | {
        "KPIBOT_TOKEN": "999:not-the-bot",
        "KPIBOT_TELEGRAM_BASE_URL": fake.base_url,
        "KPIBOT_POLICY": str(bad_policy),
    }
    result = kpibot("doctor", env=env)  # a fresh database: nothing migrated yet
    assert result.returncode == 1
    assert checks(result.stdout) == {
        "settings": "OK",
        "policy": "FAIL",
        "database": "OK",
        "migrations": "WARN",
        "telegram": "FAIL",
    }
    assert "Traceback" not in result.stderr
    assert "FAIL telegram: Telegram refuses the token (KPIBOT_TOKEN)" in result.stdout

    gone = env | {
        "KPIBOT_DATABASE_URL": "postgresql+psycopg://kpibot@127.0.0.1:1/gone",
        "KPIBOT_TELEGRAM_BASE_URL": "http://127.0.0.1:1/bot",
    }
    result = kpibot("doctor", env=gone)
    assert result.returncode == 1
    assert checks(result.stdout)["database"] == "FAIL"
    assert "unreachable" in result.stdout

    result = kpibot("doctor", env=env | {"KPIBOT_TIMEZONE": "Mars/Base"})
    assert result.returncode == 1
    assert result.stdout.startswith("FAIL settings: KPIBOT_TIMEZONE")
