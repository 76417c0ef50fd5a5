"""The sweep's part in acting approvers (kpi.delegation): the leader's codes handed to a deputy
whose period has come, and given back once it is over.

Hand-overs run before the due codes and give-backs after them, so a deadline that passed while
the deputy held a code is the deputy's breach, and one that passed before is the leader's.
Neither commits: the caller queues the messages in the same transaction, so a crash keeps both or
neither, and a second run finds nothing left to move.
"""

from __future__ import annotations

from sqlmodel import Session

from kpi import delegation
from kpi.outbox import Draft
from notices.delegation import move_notices
from notices.occasion import Occasion


def hand_overs(session: Session, occasion: Occasion) -> list[Draft]:
    """Give deputies the codes of the leaders they act for today; the messages owed."""
    running, _over = delegation.due(session, occasion.today)
    moves = [m for d in running for m in delegation.hand_over(session, d, occasion.now)]
    return _drafts(session, occasion, moves)


def give_backs(session: Session, occasion: Occasion) -> list[Draft]:
    """Give leaders back the codes of delegations ended or cancelled; the messages owed."""
    _running, over = delegation.due(session, occasion.today)
    moves = [m for d in over for m in delegation.give_back(session, d, occasion.now)]
    return _drafts(session, occasion, moves)


def _drafts(session: Session, occasion: Occasion, moves: list[delegation.Move]) -> list[Draft]:
    return [draft for draft in move_notices(session, occasion, moves) if draft.chat_id]
