"""Claiming the outbox: chats in order, a bounded share per chat and round."""

from __future__ import annotations

from datetime import UTC, datetime

from kpi.outbox import enqueue
from scheduler.claims import PER_CHAT, claim, worker_name
from tests.factories import make_drafts

NOW = datetime(2026, 11, 9, 3, 0, tzinfo=UTC)


def test_one_round_takes_a_bounded_share_of_a_chat_in_order(session) -> None:
    enqueue(session, make_drafts(1, PER_CHAT + 5, NOW) + make_drafts(2, 3, NOW), now=NOW)
    session.commit()
    rows = claim(session, worker=worker_name(), now=NOW, wall=NOW, limit=100)
    by_chat = [row.text for row in rows if row.chat_id == 1]
    assert by_chat == [str(i) for i in range(PER_CHAT)]
    assert [row.text for row in rows if row.chat_id == 2] == ["0", "1", "2"]
    # The rest of chat 1 waits until the claimed ones are settled.
    assert claim(session, worker=worker_name(), now=NOW, wall=NOW, limit=100) == []
