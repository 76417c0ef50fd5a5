"""Running database work from several threads at once, to test races."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session


def race(db: sessionmaker[Session], *calls: Callable[[Session], Any]) -> list[Any]:
    """Run each call in its own thread and session, released together by a barrier."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index: int, call: Callable[[Session], Any]) -> None:
        try:
            with db() as session:
                barrier.wait(timeout=10)
                results[index] = call(session)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    return results
