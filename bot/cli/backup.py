"""`kpibot backup FILE` and `kpibot restore FILE`: a consistent copy of the data, while it runs.

SQLite through its online backup API; PostgreSQL through `pg_dump`/`pg_restore` (custom format).
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import Engine, func, inspect, select, table
from sqlalchemy.engine import make_url

from bot.cli.resources import fail, open_engine, settings
from models.db import make_engine

FileArg = Annotated[Path, typer.Argument(help="The backup file.", dir_okay=False)]


def backup(file: FileArg) -> None:
    """Copy the database to FILE while the bot may run.

    SQLite: FILE is a database file. PostgreSQL: a pg_dump archive (custom format).
    """
    config = settings()
    engine = make_engine(config.database_url)
    try:
        if engine.dialect.name == "sqlite":
            _sqlite_copy(_sqlite_path(engine), file)
        else:
            _run("pg_dump", "--format=custom", f"--file={file}", _libpq_url(engine))
    finally:
        engine.dispose()
    typer.echo(f"Backed up to {file}.")


def restore(
    file: Annotated[
        Path, typer.Argument(help="A file made by kpibot backup.", exists=True, dir_okay=False)
    ],
    force: Annotated[
        bool, typer.Option("--force", help="Replace the data of a database that has some.")
    ] = False,
) -> None:
    """Restore the database from FILE (made by kpibot backup), then upgrade it.

    A database that holds data is replaced only with --force. Stop the bot first.
    """
    config = settings()
    engine = make_engine(config.database_url)
    try:
        if not force and (rows := _rows(engine)):
            fail(f"the database holds {rows} rows; restore replaces them only with --force")
        if engine.dialect.name == "sqlite":
            _check_sqlite_backup(file)
            engine.dispose()
            _sqlite_copy(file, _sqlite_path(engine))
        else:
            _run(
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                f"--dbname={_libpq_url(engine)}",
                str(file),
            )
    finally:
        engine.dispose()
    open_engine(config).dispose()  # a backup of an older kpibot is upgraded
    typer.echo(f"Restored from {file}.")


def _rows(engine: Engine) -> int:
    """How many rows the database holds in its tables (the migration record aside)."""
    names = [name for name in inspect(engine).get_table_names() if name != "alembic_version"]
    with engine.connect() as connection:
        return sum(
            int(connection.execute(select(func.count()).select_from(table(name))).scalar_one())
            for name in names
        )


def _sqlite_path(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:":
        fail("KPIBOT_DATABASE_URL: an in-memory SQLite database cannot be backed up or restored")
    return Path(database)


def _sqlite_copy(source: Path, target: Path) -> None:
    """Copy one SQLite database into another, page by page, consistent even while written."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


def _check_sqlite_backup(file: Path) -> None:
    try:
        with sqlite3.connect(f"file:{file}?mode=ro", uri=True) as backup_db:
            backup_db.execute("SELECT version_num FROM alembic_version").fetchall()
        backup_db.close()
    except sqlite3.DatabaseError:
        fail(f"{file} is not a kpibot SQLite backup")


def _libpq_url(engine: Engine) -> str:
    """The database URL as pg_dump and pg_restore read it (no SQLAlchemy driver name).

    Several hosts (`?host=db1:5432&host=db2:5432`, SQLAlchemy's form, see docs/deploy.md)
    become libpq's `db1:5432,db2:5432`.
    """
    url = make_url(engine.url).set(drivername="postgresql")
    hosts = url.query.get("host")
    if not isinstance(hosts, tuple):  # one host (or a socket directory): libpq reads it as is
        return url.render_as_string(hide_password=False)
    url = url.difference_update_query(["host"])._replace(host="HOSTS", port=None)
    rest = url.render_as_string(hide_password=False)
    return rest.replace("@HOSTS", "@" + ",".join(hosts), 1).replace(
        "//HOSTS", "//" + ",".join(hosts), 1
    )


def _run(tool: str, *args: str) -> None:
    path = shutil.which(tool)
    if path is None:
        fail(f"{tool} not found: install the PostgreSQL client tools of your server's version")
    result = subprocess.run([path, *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or ["failed"])[-1]
        fail(f"{tool}: {reason}")
