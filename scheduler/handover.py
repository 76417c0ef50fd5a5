"""The sweep's part in acting approvers: codes handed to deputies whose period has come, and
given back to leaders whose deputy's period is over (kpi.delegation)."""

from __future__ import annotations

from sqlmodel import Session

from kpi import delegation
from kpi.outbox import Draft
from notices.delegation import move_notices
from notices.occasion import Occasion


def delegation_moves(session: Session, occasion: Occasion) -> list[Draft]:
    """Move the codes the delegations in force at `occasion.now` call for; the messages owed.

    No commit: the caller queues the messages in the same transaction, so a crash keeps both or
    neither, and a second run finds nothing left to move.
    """
    running, over = delegation.due(session, occasion.today)
    moves: list[delegation.Move] = []
    for ended in over:  # first: a leader's next deputy may take over the same day
        moves += delegation.give_back(session, ended, occasion.now)
    for current in running:
        moves += delegation.hand_over(session, current, occasion.now)
    return [draft for draft in move_notices(session, occasion, moves) if draft.chat_id]
