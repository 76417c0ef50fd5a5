"""Time a catch-up sweep over many due codes on SQLite, and how long the bot's writes wait.

Fills a fresh SQLite file with the engine benchmark's organisation (10,000 employees) and
`--codes` open work codes, makes `--due` of them due (half owe a reminder, half breached and are
found late), then runs one sweep in a thread while the main thread approves other codes, as
leaders pressing Approve would, one every 20 ms. Each approval is timed from its start to its
commit. The sweep commits in batches (`kpi.breaches.BATCH` codes); `--batch 0` puts the whole
sweep in one transaction, as before batching, for comparison. Run from the repository root:

    python -m benchmarks.catchup [--codes 30000] [--due 25000] [--batch 500]
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from sqlmodel import Session, col, select

from benchmarks.engine import HANOI, T, fill, make_due
from kpi import breaches
from kpi.policy import load_policy
from kpi.workcodes import approve
from models import Employee, WorkCode
from models.db import make_engine, make_session_factory, upgrade
from scheduler.sweep import SweepReport, run_sweep


def approvals(db, ids: list[int], done: threading.Event) -> list[float]:  # type: ignore[no-untyped-def]
    """Approve codes one after the other until `done`; the seconds each one took."""
    waits = []
    for code_id in ids:
        if done.is_set():
            break
        start = time.perf_counter()
        with db() as session:
            code = session.get(WorkCode, code_id)
            leader = session.get(Employee, code.approver_id)
            result = approve(session=session, code_id=code_id, actor=leader, now=T)
            assert result.code is not None, result
        waits.append(time.perf_counter() - start)
        time.sleep(0.02)
    return waits


def run(path: Path, codes: int, due: int) -> None:
    """Fill, then sweep while approving; print the figures."""
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    db = make_session_factory(engine)
    policy = load_policy()
    start = time.perf_counter()
    fill(db, policy, codes)
    make_due(db, range(1, due + 1))
    print(f"fill: {codes:,} open work codes, {due:,} of them due, in {_since(start):.1f} s")
    with Session(engine) as session:  # codes not due, which leaders approve meanwhile
        others = list(session.exec(select(WorkCode.id).where(col(WorkCode.id) > due)))
    report: list[SweepReport] = []
    done = threading.Event()

    def sweep() -> None:
        report.append(run_sweep(db=db, policy=policy, tz=HANOI, now=T, default_locale="vi"))
        done.set()

    sweeper = threading.Thread(target=sweep)
    start = time.perf_counter()
    sweeper.start()
    waits = approvals(db, [int(i) for i in others if i is not None], done)
    sweeper.join()
    seconds = _since(start)
    [result] = report
    batches = -(-due // breaches.BATCH)
    print(
        f"sweep: {seconds:.1f} s, about {batches} batches of {breaches.BATCH:,}; "
        f"{result.reminders:,} reminders, {result.breaches:,} breaches, "
        f"{result.queued:,} messages queued"
    )
    waits.sort()
    print(
        f"approvals during the sweep: {len(waits)}; wait median {statistics.median(waits):.3f} s, "
        f"95th percentile {waits[int(len(waits) * 0.95)]:.3f} s, max {waits[-1]:.3f} s"
    )
    engine.dispose()


def _since(start: float) -> float:
    return time.perf_counter() - start


def main() -> None:
    """Time a catch-up sweep on a fresh SQLite file."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--codes", type=int, default=30_000)
    parser.add_argument("--due", type=int, default=25_000)
    parser.add_argument(
        "--batch", type=int, default=breaches.BATCH, help="codes per batch; 0: one transaction"
    )
    args = parser.parse_args()
    breaches.BATCH = args.batch or 10**9
    print(f"$ {shlex.join(['python', '-m', 'benchmarks.catchup', *sys.argv[1:]])}")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, SQLite")
    with tempfile.TemporaryDirectory() as directory:
        run(Path(directory, "catchup.db"), args.codes, args.due)


if __name__ == "__main__":
    main()
