"""The delivery worker: sends the outbox in order, within Telegram's limits, surviving faults."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import defaultdict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session
from telegram import Bot, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

from kpi import outbox, workcodes
from models import OutboxKind, OutboxMessage, OutboxStatus
from scheduler import claims

log = logging.getLogger(__name__)
BATCH = 100
LONG_WAIT = 30.0  # a flood wait longer than this frees the worker; the row waits in the database
BACKOFF = (0.5, 1.0, 2.0, 4.0)  # seconds between tries after a network error or a 5xx


class SendResult(Enum):
    """How one send ended."""

    SENT = "sent"
    LATER = "later"
    BLOCKED = "blocked"
    FAILED = "failed"


@dataclass
class DeliveryReport:
    """What one delivery round did."""

    sent: int = 0
    later: int = 0
    blocked: int = 0
    failed: int = 0


class Pacer:
    """Telegram's limits: ~30 messages/s overall, 1/s per chat, 20/min per group."""

    def __init__(
        self, per_second: float = 29.0, chat_interval: float = 1.0, group_per_minute: int = 20
    ) -> None:
        self.interval = 1.0 / per_second
        self.chat_interval = chat_interval
        self.group_per_minute = group_per_minute
        self._next_any = 0.0
        self._next_chat: dict[int, float] = {}
        self._groups: dict[int, deque[float]] = defaultdict(deque)
        self._resume = 0.0
        self._lock = asyncio.Lock()

    def pause(self, seconds: float) -> None:
        """Hold every send for `seconds` (Telegram's flood wait)."""
        self._resume = max(self._resume, time.monotonic() + seconds)

    async def wait(self, chat_id: int) -> None:
        """Wait for this chat's next turn and take it."""
        while True:
            async with self._lock:
                now = time.monotonic()
                ready = max(self._next_any, self._resume, self._next_chat.get(chat_id, 0.0))
                sent = self._groups[chat_id]
                while sent and sent[0] <= now - 60:
                    sent.popleft()
                if chat_id < 0 and len(sent) >= self.group_per_minute:
                    ready = max(ready, sent[0] + 60)
                if ready <= now:
                    # Keep to the schedule rather than to the (late) wake-up, or the rate drifts
                    # below the limit; only a small lag is made up, never a burst after idling.
                    self._next_any = max(self._next_any, now - self.interval / 2) + self.interval
                    self._next_chat[chat_id] = now + self.chat_interval
                    if chat_id < 0:
                        sent.append(now)
                    return
            await asyncio.sleep(ready - now)


class Deliverer:
    """Claims due outbox rows and sends them; one round at a time per process."""

    def __init__(
        self,
        *,
        db: sessionmaker[Session],
        bot: Bot,
        clock: Callable[[], datetime],
        pacer: Pacer | None = None,
    ) -> None:
        self.db, self.bot, self.clock = db, bot, clock
        self.pacer = pacer or Pacer()
        self.name = claims.worker_name()
        self._round = asyncio.Lock()

    async def deliver_due(self) -> DeliveryReport:
        """Send every message due now, in order; the rest wait for their time."""
        report = DeliveryReport()
        async with self._round:
            while True:
                with self.db() as session:
                    rows = claims.claim(
                        session,
                        worker=self.name,
                        now=self.clock(),
                        wall=datetime.now(UTC),
                        limit=BATCH,
                    )
                if not rows:
                    return report
                by_chat: dict[int, list[OutboxMessage]] = defaultdict(list)
                for row in rows:
                    by_chat[row.chat_id].append(row)
                await asyncio.gather(
                    *(self._chat(chat, msgs, report) for chat, msgs in by_chat.items())
                )

    async def _chat(
        self, chat_id: int, rows: Sequence[OutboxMessage], report: DeliveryReport
    ) -> None:
        """Send one chat's rows in order; after a failure the rest wait, to keep the order."""
        for index, row in enumerate(rows):
            await self.pacer.wait(chat_id)
            result = await self._send(row)
            setattr(report, result.value, getattr(report, result.value) + 1)
            if result is SendResult.LATER:
                self._release(rows[index + 1 :])
                return

    async def _send(self, row: OutboxMessage) -> SendResult:
        for backoff in (*BACKOFF, None):
            try:
                return self._sent(row, await self._call(row))
            except RetryAfter as exc:
                wait = (
                    exc.retry_after.total_seconds()
                    if isinstance(exc.retry_after, timedelta)
                    else float(exc.retry_after)
                )
                if wait > LONG_WAIT:  # the row waits in the database, its chat's later ones too
                    return self._settle(
                        row, SendResult.LATER, not_before=self.clock() + timedelta(seconds=wait)
                    )
                self.pacer.pause(wait)
                await self.pacer.wait(row.chat_id)
            except Forbidden as exc:
                return self._blocked(row, exc)
            except BadRequest as exc:
                return self._settle(row, SendResult.FAILED, last_error=exc.message[:200])
            except NetworkError as exc:  # includes time-outs and 5xx answers
                if backoff is None:
                    delay = timedelta(seconds=60 * (row.attempts + 1))
                    return self._settle(
                        row,
                        SendResult.LATER,
                        not_before=self.clock() + delay,
                        last_error=str(exc)[:200],
                    )
                await asyncio.sleep(backoff)
        # Flood waits kept coming: the row waits for the next round.
        return self._settle(row, SendResult.LATER, not_before=self.clock())

    async def _call(self, row: OutboxMessage) -> int:
        markup = None
        if row.reply_markup:
            markup = InlineKeyboardMarkup.de_json(json.loads(row.reply_markup), self.bot)
        message = await self.bot.send_message(
            row.chat_id, row.text, parse_mode=ParseMode.HTML, reply_markup=markup
        )
        return message.message_id

    def _sent(self, row: OutboxMessage, message_id: int) -> SendResult:
        with self.db() as session:
            claims.settle(
                session,
                row,
                status=OutboxStatus.SENT,
                sent_at=self.clock(),
                telegram_message_id=message_id,
                attempts=row.attempts + 1,
            )
            if row.kind == OutboxKind.NOTICE and row.work_code_id is not None:
                workcodes.set_leader_message(
                    session=session,
                    code_id=row.work_code_id,
                    chat_id=row.chat_id,
                    message_id=message_id,
                )
        return SendResult.SENT

    def _blocked(self, row: OutboxMessage, exc: Forbidden) -> SendResult:
        log.warning("chat %s blocked the bot; message %s kept", row.chat_id, row.id)
        with self.db() as session:
            if row.employee_id is not None:
                outbox.mark_unreachable(session, row.employee_id, self.clock())
            claims.settle(session, row, status=OutboxStatus.BLOCKED, last_error=exc.message[:200])
        return SendResult.BLOCKED

    def _settle(self, row: OutboxMessage, result: SendResult, **values: object) -> SendResult:
        status = OutboxStatus.FAILED if result is SendResult.FAILED else OutboxStatus.PENDING
        if result is SendResult.FAILED:
            log.warning("message %s to chat %s refused: %s", row.id, row.chat_id, values)
        with self.db() as session:
            claims.settle(session, row, status=status, attempts=row.attempts + 1, **values)
        return result

    def _release(self, rows: Sequence[OutboxMessage]) -> None:
        with self.db() as session:
            for row in rows:
                claims.settle(session, row, status=OutboxStatus.PENDING)
