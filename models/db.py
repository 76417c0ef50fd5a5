"""Engine and session factory for SQLite (the embedded default) and PostgreSQL.

Also what each dialect spells its own way: an insert that skips duplicates, a list of ids; and
reads of columns that skip the ORM.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import ColumnElement, CursorResult, Engine, Executable, event, func, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, sessionmaker
from sqlmodel import Session, create_engine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# The largest id a row can have: primary keys are INTEGER, 32 bits on PostgreSQL, which refuses
# even to compare a larger number with one. Numbers typed or forged beyond it name no record.
MAX_ID = 2**31 - 1
# Prepared statements each SQLite connection keeps (the driver's default is 128). Each takes
# 10-35 KB, and many were used once (a sweep's INSERT of 100 rows, over 200 KB; a list of ids
# written out, one per length): SQLite held 5.4 MB after the memory benchmark's sweep and its
# delivery, nearly all of it such statements. Those used over and over (an answer's, a
# delivery round's) stay among the last 64, and CPU per answer did not change.
SQLITE_STATEMENTS = 64


def normalize_url(url: str) -> str:
    """Use psycopg 3 for plain postgresql:// URLs."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the bot read while a sweep writes; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")  # a long catch-up sweep holds the write lock
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for `url`, with SQLite tuned for several threads and processes."""
    url = normalize_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={
                "check_same_thread": False,
                "timeout": 30,
                "cached_statements": SQLITE_STATEMENTS,
            },
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """A factory of SQLModel sessions bound to `engine`."""
    return sessionmaker(bind=engine, class_=Session, expire_on_commit=False)


def read(
    session: Session,
    statement: Executable,
    params: Mapping[str, Any] | None = None,
    **options: Any,
) -> CursorResult[*tuple[Any, ...]]:
    """Run a read of columns on the session's connection, after flushing what the session holds
    as its own `execute` would: plain rows, without the ORM's handling of the statement and of
    each row, which costs a third of a small query's CPU. `options` are execution options."""
    if session.autoflush:
        session.flush()
    return session.connection().execute(statement, params, execution_options=options)


def alembic_config(engine: Engine) -> Config:
    """An Alembic configuration for our migrations, bound to `engine`."""
    # Alembic (and Mako under it) loads only in the processes that migrate: about 37 MB that
    # `kpibot run` leaves to a short child process (see bot/cli/service.py).
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply the migrations up to `revision`."""
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def pending_migrations(engine: Engine) -> list[str]:
    """The revisions `upgrade` would apply, oldest first (none on an up-to-date database)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config(engine))
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
    revisions = script.iterate_revisions("heads", current[0] if current else "base")
    return [revision.revision for revision in reversed(list(revisions))]


def insert_ignoring_duplicates(session: Session, table: Any, rows: Sequence[dict[str, Any]]) -> int:
    """Insert rows, skipping those whose unique key exists; the number inserted."""
    if not rows:
        return 0
    dialect = cast(Engine, session.get_bind()).dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    # One statement of one row, run for every row (executemany): a statement of many rows has
    # its SQL and parameters built for all of them at once (a morning's digests would cost
    # megabytes), and SQLite keeps it prepared for each length, over 200 KB for 100 rows (see
    # SQLITE_STATEMENTS). The table's, not the ORM's: the ORM's bulk insert gives no rowcount.
    statement = module.insert(sa_inspect(table).local_table).on_conflict_do_nothing()
    # Without preserve_rowcount SQLAlchemy 2.1 reports -1 for an INSERT on psycopg.
    statement = statement.execution_options(preserve_rowcount=True)
    session.flush()  # what the session holds goes first, as its own INSERT would
    return int(cast(CursorResult[Any], session.execute(statement, list(rows))).rowcount)


def among(
    session: Session, column: ColumnElement[Any] | Mapped[Any], values: Collection[int]
) -> ColumnElement[bool]:
    """`column IN values`. On SQLite the values go as one JSON parameter: a list written out
    makes a statement per length, and each connection keeps its prepared statements (see
    SQLITE_STATEMENTS); the delivery's claims alone made dozens, 20-35 KB each."""
    if cast(Engine, session.get_bind()).dialect.name != "sqlite":
        return column.in_(values)
    listed = func.json_each(json.dumps(list(values))).table_valued("value")
    return column.in_(select(listed.c.value))
