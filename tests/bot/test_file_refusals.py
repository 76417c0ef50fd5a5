"""The file imports refuse hostile files in one line, and the database does not change."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session, SQLModel
from typer.testing import CliRunner

from bot.cli import app
from tests import hostile
from tests.factories import local, make_deduction, make_employee

# Each command with a header it accepts, so that only the file's hostility is refused.
COMMANDS = {
    "roster": "code,full_name,unit,position",
    "deductions": "code,criterion,occurred_on,reason",
}
Build = Callable[[Path, str], Path]


def csv_file(content: bytes) -> Build:
    return lambda path, header: _write(path.with_suffix(".csv"), header.encode() + b"\n" + content)


def _write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


HOSTILE: dict[str, tuple[Build, str]] = {
    "billion laughs in a sheet": (
        lambda path, _header: hostile.billion_laughs(path.with_suffix(".xlsx")),
        "f.xlsx is refused: its XML declares entities or external references, as an XML bomb does",
    ),
    "billion laughs in the workbook": (
        lambda path, _header: hostile.billion_laughs(path.with_suffix(".xlsx"), hostile.WORKBOOK),
        "f.xlsx is refused: its XML declares entities or external references, as an XML bomb does",
    ),
    "zip bomb": (
        lambda path, _header: hostile.zip_bomb(path.with_suffix(".xlsx"), 60),
        "f.xlsx is refused: it unpacks to 60 MB, more than 50 MB (a zip bomb?)",
    ),
    "zip bomb by ratio": (
        lambda path, _header: hostile.zip_bomb(path.with_suffix(".xlsx"), 5),
        "f.xlsx is refused: its part xl/worksheets/sheet1.xml unpacks to 1,001 times its size"
        " (a zip bomb?)",
    ),
    "oversized CSV": (
        lambda path, _header: hostile.oversized(path.with_suffix(".csv")),
        "f.csv is larger than 10 MB; split it into smaller files",
    ),
    "oversized XLSX": (
        lambda path, _header: hostile.oversized(path.with_suffix(".xlsx")),
        "f.xlsx is larger than 10 MB; split it into smaller files",
    ),
    "a million CSV rows": (
        lambda path, header: hostile.many_rows(path.with_suffix(".csv"), header, 1_000_000),
        "f.csv has more than 100,000 rows; split it into smaller files",
    ),
    "a sheet row a million down": (
        lambda path, header: hostile.far_row(
            path.with_suffix(".xlsx"), header.split(","), 1_000_000
        ),
        "f.xlsx has more than 100,000 rows; split it into smaller files",
    ),
    "a NUL byte": (
        csv_file(b"NV1,a\x00b,c,d\n"),
        "f.csv line 2: a NUL character, so not a text file; save it as CSV UTF-8",
    ),
    "invalid UTF-8": (
        lambda path, header: _write(path.with_suffix(".csv"), b"\xe1" + header.encode()),
        "f.csv is not UTF-8 text (bad byte at offset 0); save it as CSV UTF-8",
    ),
    "a malformed sheet": (
        lambda path, _header: hostile.with_part(
            hostile.workbook(path.with_suffix(".xlsx"), [["code"]]), hostile.SHEET, [b"<row>"]
        ),
        "cannot read f.xlsx as an XLSX workbook",
    ),
}


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, database_url: str) -> CliRunner:
    """The command line, run in this process on the test database."""
    for name in [name for name in os.environ if name.startswith("KPIBOT_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("KPIBOT_DATABASE_URL", database_url)
    return CliRunner()


def snapshot(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table."""
    with engine.connect() as connection:
        return {
            table.name: sorted(map(tuple, connection.execute(select(table))), key=repr)
            for table in SQLModel.metadata.sorted_tables
        }


@pytest.mark.parametrize("case", HOSTILE)
@pytest.mark.parametrize("command", COMMANDS)
def test_a_hostile_file_is_refused_in_one_line_and_nothing_changes(
    cli: CliRunner, engine: Engine, session: Session, tmp_path: Path, command: str, case: str
) -> None:
    leader = make_employee(session, "TP", "Trưởng phòng", position="truong_phong")
    staff = make_employee(session, "NV1", "An", leader=leader)
    make_deduction(session, staff, "task_quality", occurred_at=local("2026-11-02"))
    before = snapshot(engine)
    build, message = HOSTILE[case]
    path = build(tmp_path / "f", COMMANDS[command])
    result = cli.invoke(app, [command, "import", str(path)])
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"kpibot: {message}\n")
    assert snapshot(engine) == before
