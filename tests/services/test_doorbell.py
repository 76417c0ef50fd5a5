"""The doorbell: a ring reaches whoever connected, and nobody when nobody did."""

from __future__ import annotations

from services.doorbell import Doorbell


def test_a_ring_calls_the_connected_answer_each_time() -> None:
    rings: list[str] = []
    bell = Doorbell()
    bell.ring()  # nobody delivers yet (the command line): nothing happens
    bell.connect(lambda: rings.append("deliver"))
    bell.ring()
    bell.ring()
    assert rings == ["deliver", "deliver"]
