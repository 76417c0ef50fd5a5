"""Time a large roster import: parse, validate, first import, re-import with updates.

Imports a generated roster into a fresh SQLite file, and into PostgreSQL when
KPIBOT_DATABASE_URL names one (in a private schema that is dropped afterwards, so
existing data is never touched).

    python -m benchmarks.roster_import [--rows 10000]
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import shlex
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Engine, make_url

from benchmarks.scratch import postgres_schema
from kpi.roster import COLUMNS
from kpi.roster_import import import_roster, read_roster
from models.db import make_engine, make_session_factory, normalize_url, upgrade

POSITIONS = frozenset({"lanh_dao", "chuyen_vien", "can_su"})
NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi"]
MIDDLES = ["Văn", "Thị", "Minh", "Thanh", "Ngọc", "Đức", "Hữu", "Quốc", "Thu", "Hoài"]
GIVEN = ["An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Khánh", "Linh", "Nam", "Phương", "Quỳnh"]
UNITS = [f"Phòng {n}" for n in ("Tổ chức", "Kế hoạch", "Tài chính", "Pháp chế", "Thanh tra")]

T = TypeVar("T")


def generate(path: Path, count: int, *, seed: int, renamed: bool = False) -> None:
    """Write a roster of `count` employees: a director, unit heads, staff; shuffled order."""
    rng = random.Random(seed)
    heads = max(1, count // 200)
    director = "Nguyễn Văn Giám" + (" Mới" if renamed else "")
    rows = [["GD0001", director, "Ban Giám đốc", "lanh_dao", "", "admin", "vi"]]
    for i in range(1, count):
        code = f"NV{i:05d}"
        name = f"{rng.choice(SURNAMES)} {rng.choice(MIDDLES)} {rng.choice(GIVEN)}"
        if renamed:
            name += " Mới"  # every row changes on re-import
        if i <= heads:
            rows.append([code, name, UNITS[i % len(UNITS)], "lanh_dao", "GD0001", "staff", "vi"])
        else:
            head = rng.randint(1, heads)
            position = rng.choice(["chuyen_vien", "can_su"])
            language = "en" if i % 50 == 0 else "vi"
            rows.append(
                [code, name, UNITS[head % len(UNITS)], position, f"NV{head:05d}", "staff", language]
            )
    random.Random(seed).shuffle(rows)  # leaders often come after their reports
    with path.open("w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(COLUMNS)
        writer.writerows(rows)


def timed(label: str, work: Callable[[], T]) -> T:
    """Run `work`, print how long it took, return its result."""
    start = time.perf_counter()
    result = work()
    print(f"  {label:<24} {time.perf_counter() - start:7.3f} s")
    return result


def run(engine: Engine, first_file: Path, second_file: Path) -> None:
    """Migrate `engine`'s database, then time each step of importing the two files."""
    upgrade(engine)
    factory = make_session_factory(engine)
    rows = timed("parse", lambda: read_roster(first_file))
    with factory() as session:
        report = timed(
            "validate (dry run)",
            lambda: import_roster(
                session=session, rows=rows, positions=POSITIONS, now=NOW, dry_run=True
            ),
        )
        assert not report.errors, report.errors[:5]
        report = timed(
            "first import",
            lambda: import_roster(session=session, rows=rows, positions=POSITIONS, now=NOW),
        )
        print(f"  {'':<24} created={report.created}")
    updated_rows = read_roster(second_file)
    with factory() as session:
        report = timed(
            "re-import (updates)",
            lambda: import_roster(session=session, rows=updated_rows, positions=POSITIONS, now=NOW),
        )
        print(f"  {'':<24} updated={report.updated} unchanged={report.unchanged}")
    engine.dispose()


def main() -> None:
    """Generate the files, then time the import on SQLite and, if configured, PostgreSQL."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    given = os.environ.get("KPIBOT_DATABASE_URL", "")
    url = normalize_url(given)
    postgres = url.startswith("postgresql")
    shown = make_url(given).render_as_string(hide_password=True) if postgres else ""
    prefix = f"KPIBOT_DATABASE_URL={shlex.quote(shown)} " if postgres else ""
    print(f"$ {prefix}{shlex.join(['python', *sys.argv])}")
    print(f"python {sys.version.split()[0]}, {args.rows} rows")
    with tempfile.TemporaryDirectory() as directory:
        first, second = Path(directory, "roster.csv"), Path(directory, "roster-updated.csv")
        generate(first, args.rows, seed=1)
        generate(second, args.rows, seed=1, renamed=True)
        print("SQLite (fresh file):")
        run(make_engine(f"sqlite:///{Path(directory, 'bench.db')}"), first, second)
        if postgres:
            print(f"PostgreSQL ({shown}, private schema):")
            with postgres_schema(url, "roster_import") as engine:
                run(engine, first, second)


if __name__ == "__main__":
    main()
