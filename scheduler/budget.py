"""One send path for every call the bot makes: Telegram's limits, its refusals, unchanged edits.

The `Budget` is python-telegram-bot's rate limiter of the bot, so the answers to people and the
outbox worker's messages (§5) draw on one budget: about 30 messages a second in all, one a
second per chat after a short burst, 20 a minute per group; sends and edits count. A flood wait
(429) holds its chat for its length, and every other send too unless it is longer than
`LONG_WAIT`.

An answer to a person (any call for a chat or a button press) that Telegram refuses with a flood
wait or a 5xx, or that times out, waits and goes again, for at most `patience` seconds: then it
is dropped with a log line (`Dropped`), never replaced by an apology. The outbox worker's sends
(`rate_limit_args=OUTBOX`) come back to it at the first refusal, since it reschedules them in the
database. An edit to the content the message already shows is not sent: Telegram would refuse
it ("message is not modified").
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections import OrderedDict, defaultdict, deque
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from telegram import TelegramObject
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegram.ext import BaseRateLimiter, ExtBot

log = logging.getLogger(__name__)
OUTBOX = "outbox"  # the rate-limit argument of the outbox worker's sends
LONG_WAIT = 30.0  # a flood wait longer than this holds only its own chat
CATCH_UP = 4  # turns of the overall pace a late send may make up
BACKOFF = (0.5, 1.0, 2.0, 4.0, 8.0)  # seconds between tries of an answer after a 5xx; then 8 s
SHOWN = 10_000  # messages whose last content is remembered, to skip edits that change nothing
_CONTENT = ("text", "parse_mode", "entities", "reply_markup", "link_preview_options")

JSONDict = dict[str, Any]
Result = bool | JSONDict | list[JSONDict]


class Dropped(TelegramError):
    """An answer Telegram kept refusing for longer than the budget's patience."""


class Budget(BaseRateLimiter[str]):
    """Telegram's limits for all the bot's sends, and the retries of its answers."""

    def __init__(
        self,
        *,
        per_second: float = 29.0,
        chat_per_second: float = 1.0,
        chat_burst: int = 2,
        group_per_minute: int = 20,
        patience: float = 60.0,
    ) -> None:
        self.interval = 1.0 / per_second
        self.chat_interval = 1.0 / chat_per_second
        self.chat_burst = chat_burst
        self.group_per_minute = group_per_minute
        self.patience = patience
        self._next_any = 0.0
        self._chats: dict[int, tuple[float, float]] = {}  # tokens, when counted
        # A group's sends of the last minute; private chats, the most, need none and get none.
        self._groups: dict[int, deque[float]] = defaultdict(deque)
        self._resume = 0.0
        self._chat_resume: dict[int, float] = {}
        self._lock = asyncio.Lock()
        self._shown: OrderedDict[int, bytes] = OrderedDict()  # by `_message`

    @classmethod
    def unlimited(cls) -> Budget:
        """A budget that never waits (a local fake without flood control); retries as usual."""
        return cls(per_second=1e6, chat_per_second=1e6, chat_burst=1_000, group_per_minute=10**9)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    def pause(self, chat_id: int | None, seconds: float) -> None:
        """Hold the chat's sends for `seconds` (Telegram's flood wait), every send if short."""
        until = time.monotonic() + seconds
        if chat_id is not None:
            self._chat_resume[chat_id] = max(self._chat_resume.get(chat_id, 0.0), until)
        if chat_id is None or seconds <= LONG_WAIT:
            self._resume = max(self._resume, until)

    async def wait(self, chat_id: int) -> None:
        """Wait for this chat's next turn and take it."""
        while True:
            async with self._lock:
                now = time.monotonic()
                tokens, counted = self._chats.get(chat_id, (float(self.chat_burst), now))
                tokens = min(float(self.chat_burst), tokens + (now - counted) / self.chat_interval)
                held = self._chat_resume.get(chat_id, 0.0)
                ready = max(self._next_any, self._resume, held)
                if tokens < 1:
                    ready = max(ready, now + (1 - tokens) * self.chat_interval)
                sent = self._groups[chat_id] if chat_id < 0 else None
                if sent is not None:
                    while sent and sent[0] <= now - 60:
                        sent.popleft()
                    if len(sent) >= self.group_per_minute:
                        ready = max(ready, sent[0] + 60)
                if ready <= now:
                    # Keep to the schedule rather than to the (late) wake-up, or the rate drifts
                    # below the limit; a lag of a few turns (a late wake-up, the next batch's
                    # claim) is made up, never a burst after idling.
                    lag = now - CATCH_UP * self.interval
                    self._next_any = max(self._next_any, lag) + self.interval
                    self._chats[chat_id] = (tokens - 1, now)
                    if sent is not None:
                        sent.append(now)
                    return
            await asyncio.sleep(ready - now)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: str | None,
    ) -> Result:
        """Make one Bot API call within the budget; an answer is tried again within patience."""
        chat, shown = _chat_of(data), _shown_key(endpoint, data)
        content = _content(data)
        if shown is not None and self._shown.get(shown) == content:
            log.debug(
                "message %s in chat %s already shows this; not edited", data["message_id"], chat
            )
            return True
        answer = rate_limit_args != OUTBOX and (chat is not None or "callback_query_id" in data)
        give_up, attempt = time.monotonic() + self.patience, 0
        while True:
            if chat is not None and _counts(endpoint):
                await self.wait(chat)
            try:
                result = await callback(*args, **kwargs)
            except RetryAfter as exc:
                self.pause(chat, _seconds(exc.retry_after))
                delay = 0.0  # `wait` keeps to the pause
                error: TelegramError = exc
            except BadRequest:
                raise
            except NetworkError as exc:  # a 5xx answer or a time-out
                delay, error = BACKOFF[min(attempt, len(BACKOFF) - 1)], exc
            else:
                self._remember(endpoint, result, content)
                return result
            if not answer:
                raise error
            attempt += 1
            if time.monotonic() + delay + self._held(chat) > give_up:
                log.warning(
                    "%s to chat %s dropped after %s tries: %s", endpoint, chat, attempt, error
                )
                raise Dropped(f"{endpoint} dropped: {error.message}") from error
            await asyncio.sleep(delay)

    def _held(self, chat_id: int | None) -> float:
        held = max(
            self._resume, self._chat_resume.get(chat_id, 0.0) if chat_id is not None else 0.0
        )
        return max(0.0, held - time.monotonic())

    def _remember(self, endpoint: str, result: Result, content: bytes) -> None:
        """Keep what a sent or edited message shows now."""
        if endpoint not in ("sendMessage", "editMessageText") or not isinstance(result, dict):
            return
        chat = result.get("chat", {}).get("id")
        if isinstance(chat, int) and isinstance(result.get("message_id"), int):
            key = _message(chat, result["message_id"])
            self._shown[key] = content
            self._shown.move_to_end(key)
            while len(self._shown) > SHOWN:
                self._shown.popitem(last=False)


def paced_bot(token: str, base_url: str, budget: Budget | None = None) -> ExtBot[str]:
    """A bot of our own (the command line's) whose calls take the one send path."""
    return ExtBot(token, base_url=base_url, rate_limiter=budget or Budget())


def _chat_of(data: dict[str, Any]) -> int | None:
    try:
        return int(data["chat_id"])
    except (KeyError, TypeError, ValueError):
        return None


def _counts(endpoint: str) -> bool:
    """Whether the call is a message sent or edited, which Telegram's limits count."""
    return endpoint.startswith(("send", "copyMessage", "forwardMessage", "edit")) and (
        endpoint != "sendChatAction"
    )


def _shown_key(endpoint: str, data: dict[str, Any]) -> int | None:
    """The message an edit of its text is for (`_message`)."""
    chat, message = _chat_of(data), data.get("message_id")
    if endpoint != "editMessageText" or chat is None or not isinstance(message, int):
        return None
    return _message(chat, message)


def _message(chat: int, message_id: int) -> int:
    """One int for a chat's message, as the budget remembers thousands: a tuple of the two
    would take three objects. Message ids are below 2**31, so no two messages share one."""
    return chat << 32 | message_id


def _content(data: dict[str, Any]) -> bytes:
    """What a message would show after this call, comparable between calls: a digest of it, as
    thousands are kept (a digest page's text is kilobytes, its digest 16 bytes)."""
    shown = {key: _plain(data.get(key)) for key in _CONTENT}
    text = json.dumps(shown, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.blake2b(text.encode(), digest_size=16).digest()


def _plain(value: object) -> object:
    if isinstance(value, TelegramObject):
        return value.to_dict()
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def _seconds(retry_after: float | timedelta) -> float:
    return retry_after.total_seconds() if isinstance(retry_after, timedelta) else float(retry_after)
