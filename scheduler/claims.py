"""Claiming outbox rows for one delivery worker: claims, leases, the process probe, settling.

Rows are claimed before they are sent and settled right after, one by one, so a crash loses no
message and repeats at most the one in flight. A message to a person goes to the Telegram account
linked when it is claimed, not when it was queued (§6: after a relink, held ones too); while the
person has no account linked, it waits. Several workers never claim the same row: on
PostgreSQL they skip rows another worker has locked, and the claim itself is conditional.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ScalarSelect, func, or_, update
from sqlmodel import Session, col, select

from models import Employee, OutboxMessage, OutboxStatus
from models.db import among

LEASE = timedelta(minutes=2)  # a claim older than this is taken to belong to a dead worker
# At one message a second per chat, a round then lasts well inside the lease.
PER_CHAT = 20
HOST = socket.gethostname()


def worker_name() -> str:
    """A claim tag naming host and pid, so a dead worker's claims can be recognised."""
    return f"{HOST}:{os.getpid()}:{secrets.token_hex(4)}"


def claim(
    session: Session, *, worker: str, now: datetime, wall: datetime, limit: int
) -> list[OutboxMessage]:
    """Expire stale rows, free dead workers' claims, then claim due rows in order; commits."""
    _expire(session, now)
    _release_dead_claims(session, wall)
    _readdress(session)
    query = (
        select(col(OutboxMessage.id), col(OutboxMessage.chat_id))
        .where(
            col(OutboxMessage.status) == OutboxStatus.PENDING,
            col(OutboxMessage.not_before) <= now,
            or_(col(OutboxMessage.employee_id).is_(None), _linked_chat().is_not(None)),
        )
        .order_by(col(OutboxMessage.id))
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = _in_turn(session, [(cast(int, i), chat) for i, chat in session.exec(query)], now)
    if ids:
        session.execute(
            update(OutboxMessage)
            .where(
                among(session, col(OutboxMessage.id), ids),
                col(OutboxMessage.status) == OutboxStatus.PENDING,
            )
            .values(status=OutboxStatus.SENDING, claimed_by=worker, claimed_at=wall)
            .execution_options(synchronize_session=False)  # the session holds no outbox row
        )
    session.commit()
    mine = select(OutboxMessage).where(
        among(session, col(OutboxMessage.id), ids),
        col(OutboxMessage.status) == OutboxStatus.SENDING,
        col(OutboxMessage.claimed_by) == worker,
    )
    return list(session.exec(mine.order_by(col(OutboxMessage.id))))


def _in_turn(session: Session, due: Sequence[tuple[int, int]], now: datetime) -> list[int]:
    """The due rows not queued behind an earlier unsettled message of their chat.

    A message in flight, awaiting a retry, or due but locked by another worker keeps the later
    messages of its chat back, so each chat gets its messages in order.
    """
    if not due:
        return []
    taken = [row_id for row_id, _ in due]
    unsettled = or_(
        col(OutboxMessage.status) == OutboxStatus.SENDING,
        col(OutboxMessage.attempts) > 0,
        col(OutboxMessage.not_before) <= now,
    )
    first = select(col(OutboxMessage.chat_id), func.min(col(OutboxMessage.id))).where(
        col(OutboxMessage.status).in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
        among(session, col(OutboxMessage.chat_id), {chat for _, chat in due}),
        ~among(session, col(OutboxMessage.id), taken),
        unsettled,
    )
    grouped = first.group_by(col(OutboxMessage.chat_id))
    ahead = {chat: cast(int, i) for chat, i in session.exec(grouped)}
    chosen, per_chat = [], Counter[int]()
    for row_id, chat in due:
        if row_id < ahead.get(chat, row_id + 1) and per_chat[chat] < PER_CHAT:
            chosen.append(row_id)
            per_chat[chat] += 1
    return chosen


def _linked_chat() -> ScalarSelect[int | None]:
    """The Telegram account linked now to the person an outbox row is for."""
    linked = select(Employee.telegram_id).where(col(Employee.id) == OutboxMessage.employee_id)
    return linked.scalar_subquery()


def _readdress(session: Session) -> None:
    """Point the waiting messages of people who linked another account since at that account."""
    session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.status) == OutboxStatus.PENDING,
            col(OutboxMessage.employee_id).is_not(None),
            _linked_chat() != OutboxMessage.chat_id,
        )
        .values(chat_id=_linked_chat())
        .execution_options(synchronize_session=False)
    )


def _expire(session: Session, now: datetime) -> None:
    session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.status) == OutboxStatus.PENDING,
            col(OutboxMessage.expires_at) <= now,
        )
        .values(status=OutboxStatus.EXPIRED)
    )


def _release_dead_claims(session: Session, wall: datetime) -> None:
    """Give back rows claimed by a worker that died (same host, pid gone) or long ago."""
    claimed = session.exec(
        select(OutboxMessage.claimed_by)
        .where(col(OutboxMessage.status) == OutboxStatus.SENDING)
        .distinct()
    ).all()
    dead = [name for name in claimed if name and not _alive(name)]
    session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.status) == OutboxStatus.SENDING,
            or_(
                col(OutboxMessage.claimed_by).in_(dead),
                col(OutboxMessage.claimed_at) < wall - LEASE,
            ),
        )
        .values(status=OutboxStatus.PENDING, claimed_by=None)
    )


def _alive(worker: str) -> bool:
    host, _, rest = worker.partition(":")
    pid = rest.partition(":")[0]
    if host != HOST or not pid.isdigit():
        return True  # another machine's worker: only the lease can tell
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def settle(session: Session, message: OutboxMessage, **values: Any) -> None:
    """Record the outcome of one claimed row; commits."""
    session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == message.id)
        .values(claimed_by=None, **values)
    )
    session.commit()
