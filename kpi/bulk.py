"""Work that makes many objects at once: a quarter's task facts, its report."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlmodel import Session

from models.db import read

T = TypeVar("T")

BATCH = 1000  # rows fetched at a time by plain_rows
MAP_BYTES = 2_000_000_000  # SQLite's own ceiling for a memory map, about 2 GB


@contextmanager
def collector_paused() -> Iterator[None]:
    """Keep Python's cycle collector from walking the many objects made meanwhile.

    Each full pass walks every live object; while a million are made it runs over and over,
    for about a third of the time. Plain reference counting still frees what is dropped; only
    garbage in cycles waits for the first pass after.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def plain_rows(session: Session, statement: sa.Executable) -> sa.Result[*tuple[Any, ...]]:
    """Run a read of many rows as `models.db.read` does (the quarter's report of 50,000 people:
    6 % less CPU than through the ORM), fetched a batch at a time (a server-side cursor on
    PostgreSQL), not a call per row."""
    return read(session, statement, yield_per=BATCH)


def mapped(session: Session) -> None:
    """On SQLite, read the database file through a memory map for the rest of the session's
    connection: a quarter's task counts make millions of page reads, and take a fifth less
    time mapped. For one-off work (the report's command), not the bot: the mapped pages count
    in the process's memory."""
    if session.get_bind().dialect.name == "sqlite":
        session.connection().exec_driver_sql(f"PRAGMA mmap_size={MAP_BYTES}")


def beside(session: Session, work: Callable[[Session], T]) -> Callable[[], T]:
    """Start `work`, a read, now; the function returned waits for its result.

    On PostgreSQL it runs in a thread, in a session of its own on a second connection that sees
    the snapshot this session's transaction sees now: the server works on it while this process
    does other work (the report's task counts, several seconds of the server's time, while the
    report reads its deductions). The session's transaction must stay open until the result is
    taken, and what it wrote but did not commit is not seen. On SQLite, `work` runs in the
    session itself when its result is asked for: there is no server to work beside this process.
    """
    if session.get_bind().dialect.name != "postgresql":
        return lambda: work(session)
    snapshot = session.execute(sa.text("SELECT pg_export_snapshot()")).scalar_one()

    def run() -> T:
        with Session(session.get_bind()) as other:
            other.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            # A literal: the command takes no parameters. The id is the server's own.
            other.execute(sa.text(f"SET TRANSACTION SNAPSHOT '{snapshot}'"))
            return work(other)

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="beside")
    future = pool.submit(run)
    pool.shutdown(wait=False)  # its thread ends with `run`
    return future.result
