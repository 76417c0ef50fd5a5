"""Where a benchmark runs: a fresh SQLite file, or a throwaway PostgreSQL schema, so a benchmark
never touches the data already there."""

from __future__ import annotations

import os
import shlex
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, make_url, text

from models.db import make_engine, normalize_url


@contextmanager
def postgres_schema(url: str, name: str) -> Iterator[Engine]:
    """An engine whose tables live in a new schema of the database at `url`, dropped after."""
    schema = f"kpibot_bench_{name}_{os.getpid()}"
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = create_engine(
        url, pool_pre_ping=True, connect_args={"options": f"-csearch_path={schema}"}
    )
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def on_configured_database(module: str, name: str, run: Callable[[Engine], None]) -> None:
    """Print the command and the machine, then `run` on PostgreSQL in a private schema when
    KPIBOT_DATABASE_URL names one, else on a fresh SQLite file."""
    given = os.environ.get("KPIBOT_DATABASE_URL", "")
    url = normalize_url(given)
    postgres = url.startswith("postgresql")
    shown = make_url(given).render_as_string(hide_password=True) if postgres else ""
    prefix = f"KPIBOT_DATABASE_URL={shlex.quote(shown)} " if postgres else ""
    print(f"$ {prefix}{shlex.join(['python', '-m', module, *sys.argv[1:]])}")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    if postgres:
        print(f"PostgreSQL ({shown}, private schema)")
        with postgres_schema(url, name) as engine:
            run(engine)
        return
    with tempfile.TemporaryDirectory() as directory:
        print("SQLite (fresh file)")
        run(make_engine(f"sqlite:///{Path(directory, name + '.db')}"))
