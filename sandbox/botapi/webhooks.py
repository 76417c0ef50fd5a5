"""Webhook delivery: updates POSTed to the URL the bot set, as Telegram does."""

from __future__ import annotations

import asyncio
import functools
import threading
import time
from collections.abc import Mapping
from typing import Any

import httpx

from sandbox.botapi.spec import JsonDict
from sandbox.botapi.state import FakeState

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookDelivery:
    """POSTs pending updates to the webhook, one at a time, retrying briefly like Telegram."""

    def __init__(self, state: FakeState) -> None:
        self._state = state
        self._cond = state.cond
        self._stopping = threading.Event()
        self._client: httpx.Client | None = None
        self._deliveries: list[tuple[int, int]] = []

    @property
    def deliveries(self) -> list[tuple[int, int]]:
        """(update_id, HTTP status) of updates POSTed to the webhook; status 0 = unreachable."""
        with self._cond:
            return list(self._deliveries)

    def run(self) -> None:
        """Deliver pending updates until `stop`; the body of the delivery thread."""
        while True:
            with self._cond:
                self._cond.wait_for(
                    lambda: (
                        self._stopping.is_set() or self._state.next_webhook_delivery() is not None
                    )
                )
                delivery = self._state.next_webhook_delivery()
                if self._stopping.is_set() or delivery is None:
                    return
            url, secret, update = delivery
            status = self._post_update(url, secret, update)
            with self._cond:
                if update in self._state.pending:
                    self._state.pending.remove(update)
                self._deliveries.append((update["update_id"], status))

    def stop(self) -> None:
        """Make `run` and any retrying POST end; the caller then wakes `run` through the state."""
        self._stopping.set()

    def close(self) -> None:
        """Close the HTTP client, once the delivery thread has ended."""
        if self._client is not None:
            self._client.close()
            self._client = None

    async def deliver(self, update: Mapping[str, Any] | int, secret: str | None = None) -> int:
        """POST an update (or the update with this id) to the webhook; return the HTTP status."""
        with self._cond:
            url = self._state.webhook.get("url")
            stored_secret = self._state.webhook.get("secret_token")
            body = self._state.updates_by_id[update] if isinstance(update, int) else dict(update)
        if not url:
            raise RuntimeError("no webhook is set; the bot must call setWebhook first")
        token = stored_secret if secret is None else secret
        headers = {SECRET_HEADER: token} if token else {}
        post = functools.partial(self._http_client().post, url, json=body, headers=headers)
        return (await asyncio.to_thread(post)).status_code

    def _http_client(self) -> httpx.Client:
        """The client that POSTs to webhooks, made on first use (making one takes ~50 ms)."""
        with self._cond:
            if self._client is None:
                self._client = httpx.Client(timeout=5.0)
            return self._client

    def _post_update(self, url: str, secret: str | None, update: JsonDict) -> int:
        """POST an update, retrying briefly like Telegram; 0 means the URL was unreachable."""
        headers = {SECRET_HEADER: secret} if secret else {}
        deadline = time.monotonic() + 5.0
        status = 0
        while not self._stopping.is_set():
            try:
                status = self._http_client().post(url, json=update, headers=headers).status_code
            except httpx.TransportError:
                status = 0
            if 0 < status < 500 or time.monotonic() > deadline:
                break
            self._stopping.wait(0.05)
        return status
