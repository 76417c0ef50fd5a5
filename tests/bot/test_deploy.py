"""docs/deploy.md stays true: its unit files verify, its commands run as written."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import make_url
from sqlmodel import Session, select

from models import ApiKey, Employee
from models.db import make_engine
from sandbox.botapi import FakeBotAPI
from tests.bot.test_cli import ROSTER
from tests.conftest import TOKEN

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "deploy.md"
DEPLOY = ROOT / "deploy"
UNITS = ("kpibot.service", "kpibot-backup.service", "kpibot-backup.timer")
INSTALLED_KPIBOT = "/opt/kpibot/venv/bin/kpibot"
BACKUPS = "/var/backups/kpibot"
# The server's administration commands: they need root on the server, so they are not run here.
ADMINISTRATION = {"useradd", "install", "python3", "/opt/kpibot/venv/bin/pip", "systemctl"}
ADMINISTRATION |= {"journalctl", "nginx"}
KPIBOT = str(Path(sys.executable).parent / "kpibot")


def commands() -> list[str]:
    """Every command line of the page's ```sh blocks, in order."""
    blocks = re.findall(r"^```sh\n(.*?)^```$", DOC.read_text(encoding="utf-8"), re.S | re.M)
    return [line for block in blocks for line in block.splitlines() if line.strip()]


def test_every_command_is_run_here_or_is_administration() -> None:
    lines = commands()
    assert any(line.startswith("kpibot backup ") for line in lines)
    for line in lines:
        words = shlex.split(line)
        assert words[0] == "kpibot" or words[0] in ADMINISTRATION, line
        for word in words:
            if word.startswith("deploy/"):
                assert (ROOT / word).is_file(), f"{line}: {word} is not shipped"


def installed(text: str, backups: Path) -> str:
    """A unit's text with the paths of this machine: our kpibot, a scratch backup directory."""
    return text.replace(INSTALLED_KPIBOT, KPIBOT).replace(BACKUPS, str(backups))


def test_the_unit_files_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed: the unit files are not verified here")
    for name in UNITS:
        (tmp_path / name).write_text(installed((DEPLOY / name).read_text(), tmp_path))
    result = subprocess.run(
        [analyze, "verify", *(str(tmp_path / name) for name in UNITS)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "kpibot" not in result.stderr, result.stderr  # no warning about our units
    service = (DEPLOY / "kpibot.service").read_text()
    for line in (
        "User=kpibot",
        "Restart=on-failure",
        "EnvironmentFile=/etc/kpibot/kpibot.env",
        f"ExecStart={INSTALLED_KPIBOT} run",
    ):
        assert line in service.splitlines()


def two_hosts(url: str) -> str:
    """The URL of a primary and a standby as docs/deploy.md writes it: the first host is down."""
    parsed = make_url(url)
    return (
        parsed._replace(host=None, port=None)
        .update_query_pairs(
            [
                ("host", "127.0.0.1:1"),
                ("host", f"{parsed.host}:{parsed.port or 5432}"),
                ("target_session_attrs", "read-write"),
            ]
        )
        .render_as_string(hide_password=False)
    )


@pytest.fixture
def server_env(env: dict[str, str], fake: FakeBotAPI, database_url: str) -> dict[str, str]:
    url = database_url
    if url.startswith("postgresql"):
        if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
            pytest.skip("pg_dump/pg_restore are not installed: kpibot backup cannot run")
        url = two_hosts(url)
    return env | {
        "KPIBOT_DATABASE_URL": url,
        "KPIBOT_TOKEN": TOKEN,
        "KPIBOT_TELEGRAM_BASE_URL": fake.base_url,
    }


def run(
    line: str, env: dict[str, str], cwd: Path, backups: Path
) -> subprocess.CompletedProcess[str]:
    words = [word.replace(BACKUPS, str(backups)) for word in shlex.split(line)]
    if words[0] == "kpibot":
        words[0] = KPIBOT
    return subprocess.run(
        words, env=env, cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def test_the_kpibot_commands_and_the_backup_timer_run_as_written(
    tmp_path: Path, server_env: dict[str, str], database_url: str
) -> None:
    backups = tmp_path / "backups"
    backups.mkdir()
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    for line in commands():
        if not line.startswith("kpibot "):
            continue
        result = run(line, server_env, tmp_path, backups)
        assert result.returncode == 0, f"{line}\n{result.stdout}{result.stderr}"

    # The roll-back brought the roster back; the key made after it was revoked.
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            assert session.exec(select(Employee)).all()
            assert session.exec(select(ApiKey)).one().revoked_at is not None
    finally:
        engine.dispose()

    unit = (DEPLOY / "kpibot-backup.service").read_text()
    for key in ("ExecStart", "ExecStartPost"):
        [line] = re.findall(rf"^{key}=(.*)$", unit, re.M)
        command = installed(line, backups).replace("%%", "%")
        result = subprocess.run(
            shlex.split(command),
            env=server_env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, f"{command}\n{result.stderr}"
    dated = [path.name for path in backups.glob("kpibot-*.backup")]
    assert len(dated) == 1 and re.fullmatch(r"kpibot-\d{8}-\d{6}\.backup", dated[0])
