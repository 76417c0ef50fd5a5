"""The delivery worker: sends the outbox in order, within the bot's budget, surviving faults."""

from __future__ import annotations

import asyncio
import json
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session
from telegram import InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter
from telegram.ext import ExtBot

from kpi import outbox, workcodes
from models import OutboxKind, OutboxMessage, OutboxStatus
from scheduler import claims
from scheduler.budget import LONG_WAIT, OUTBOX

log = logging.getLogger(__name__)
BATCH = 100
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


class Deliverer:
    """Claims due outbox rows and sends them; one round at a time per process.

    The bot's rate limiter is the `Budget` (`scheduler.budget`): it keeps these sends and the
    bot's answers together within Telegram's limits.
    """

    def __init__(
        self, *, db: sessionmaker[Session], bot: ExtBot[str], clock: Callable[[], datetime]
    ) -> None:
        self.db, self.bot, self.clock = db, bot, clock
        self.name = claims.worker_name()
        self._round = asyncio.Lock()
        self._stopping = False

    def stop(self) -> None:
        """Begin no send any more: a round ends with the sends under way, and the rows it claimed
        but did not send go back to the outbox for the next start."""
        self._stopping = True

    async def deliver_due(self) -> DeliveryReport:
        """Send every message due now, in order; the rest wait for their time."""
        report = DeliveryReport()
        async with self._round:
            while not self._stopping:
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
                await asyncio.gather(*(self._chat(msgs, report) for msgs in by_chat.values()))
        return report

    async def _chat(self, rows: Sequence[OutboxMessage], report: DeliveryReport) -> None:
        """Send one chat's rows in order; after a failure the rest wait, to keep the order."""
        for index, row in enumerate(rows):
            if self._stopping:
                self._release(rows[index:])
                return
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
                # After a long wait the row waits in the database, its chat's later ones too.
                if wait > LONG_WAIT:
                    return self._settle(
                        row, SendResult.LATER, not_before=self.clock() + timedelta(seconds=wait)
                    )
                # The budget holds every send for the wait, this one's next try included.
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
            row.chat_id,
            row.text,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
            rate_limit_args=OUTBOX,
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
