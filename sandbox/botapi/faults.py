"""Faults injected into the fake: failing calls, blocked chats and Telegram's flood control."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from http import HTTPStatus

from sandbox.botapi.errors import ApiError
from sandbox.botapi.spec import JsonDict


@dataclass
class _Fault:
    status: int
    retry_after: int
    description: str | None
    remaining: int
    chat_id: int | None = None  # None: whichever chat the call is for

    def meets(self, params: JsonDict) -> bool:
        return self.chat_id is None or params.get("chat_id") == self.chat_id

    def error(self) -> ApiError:
        if self.status == HTTPStatus.TOO_MANY_REQUESTS:
            description = self.description or f"Too Many Requests: retry after {self.retry_after}"
            return ApiError(self.status, description, retry_after=self.retry_after)
        try:
            default = HTTPStatus(self.status).phrase
        except ValueError:
            default = "Error"
        return ApiError(self.status, self.description or default)


def _is_message_send(method: str) -> bool:
    name = method.lower()
    return (name.startswith(("send", "copymessage", "forwardmessage"))) and name != "sendchataction"


class FloodControl:
    """Token buckets approximating Telegram's limits on sending messages."""

    OVERALL = (30.0, 30.0)  # capacity (burst), refill per second
    PRIVATE_CHAT = (3.0, 1.0)
    GROUP_CHAT = (20.0, 20.0 / 60.0)

    def __init__(self) -> None:
        self._buckets: dict[object, tuple[float, float]] = {}

    def acquire(self, chat_id: object, now: float) -> int:
        """Take a message slot for `chat_id`; return 0, or the seconds to wait if flooded."""
        limits: list[tuple[object, tuple[float, float]]] = [("overall", self.OVERALL)]
        if chat_id is not None:
            private = isinstance(chat_id, int) and chat_id > 0
            limits.append((chat_id, self.PRIVATE_CHAT if private else self.GROUP_CHAT))
        levels: dict[object, float] = {}
        wait = 0.0
        for key, (capacity, rate) in limits:
            tokens, last = self._buckets.get(key, (capacity, now))
            levels[key] = min(capacity, tokens + (now - last) * rate)
            if levels[key] < 1:
                wait = max(wait, (1 - levels[key]) / rate)
        if wait:
            return max(1, math.ceil(wait))
        for key, level in levels.items():
            self._buckets[key] = (level - 1, now)
        return 0


class Faults:
    """What makes valid calls fail: injected faults, blocked chats, flood control if enabled.

    Callers hold the fake's lock.
    """

    def __init__(self, *, rate_limits: bool) -> None:
        self.rate_limits = rate_limits
        self._flood = FloodControl()
        self._pending: dict[str, list[_Fault]] = {}
        self._blocked: set[int] = set()

    def fail_next(
        self,
        method: str,
        status: int,
        retry_after: int,
        count: int,
        description: str | None,
        chat_id: int | None = None,
    ) -> None:
        """Make the next `count` calls of `method` (for `chat_id`, if given) fail with `status`."""
        fault = _Fault(status, retry_after, description, count, chat_id)
        self._pending.setdefault(method.lower(), []).append(fault)

    def block(self, chat_id: int) -> None:
        """Make every call for `chat_id` fail with 403."""
        self._blocked.add(chat_id)

    def unblock(self, chat_id: int) -> None:
        """Undo `block`."""
        self._blocked.discard(chat_id)

    def check(self, method: str, params: JsonDict) -> None:
        """Raise the error a call meets: an injected fault, a blocked chat or a flood."""
        faults = self._pending.get(method.lower(), [])
        fault = next((fault for fault in faults if fault.meets(params)), None)
        if fault is not None:
            fault.remaining -= 1
            if fault.remaining <= 0:
                faults.remove(fault)
            raise fault.error()
        chat_id = params.get("chat_id")
        if isinstance(chat_id, int) and chat_id in self._blocked:
            if chat_id > 0:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            raise ApiError(403, "Forbidden: bot was kicked from the group chat")
        if self.rate_limits and _is_message_send(method):
            retry_after = self._flood.acquire(chat_id, time.monotonic())
            if retry_after:
                raise ApiError(
                    429,
                    f"Too Many Requests: retry after {retry_after}",
                    retry_after=retry_after,
                    kind="rate_limited",
                )
