"""A doorbell between who queues messages and who delivers them, so neither imports the other."""

from __future__ import annotations

from collections.abc import Callable


class Doorbell:
    """Rung after queueing a message: delivery runs now rather than at its next tick."""

    def __init__(self) -> None:
        self._answer: Callable[[], object] | None = None

    def connect(self, answer: Callable[[], object]) -> None:
        """Have `answer` called at each ring (the delivery job connects itself at start-up)."""
        self._answer = answer

    def ring(self) -> None:
        """Ask for delivery now; nothing happens while nobody delivers (the command line)."""
        if self._answer is not None:
            self._answer()
