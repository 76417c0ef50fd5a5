"""What the running service tells its operators: Prometheus metrics and the facts of readiness.

Times here are the process's monotonic clock, not the business clock: they measure the service.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

# The Bot API methods that put a message in a chat.
SENDS = frozenset({"sendMessage", "sendPhoto", "sendDocument"})


class Telemetry:
    """The metrics of one running bot (a registry of its own), and when it last swept and spoke."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.monotonic = monotonic
        self.last_sweep: float | None = None
        self.last_contact: float | None = None
        self.registry = CollectorRegistry()
        registry = self.registry
        self.sweep_duration = Histogram(
            "kpibot_sweep_duration_seconds",
            "Time one sweep (reminders, breaches, digests) took.",
            buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0),
            registry=registry,
        )
        Gauge(
            "kpibot_sweep_lag_seconds",
            "Seconds since the last sweep finished (+Inf before the first).",
            registry=registry,
        ).set_function(lambda: self.since(self.last_sweep))
        Gauge(
            "kpibot_telegram_contact_age_seconds",
            "Seconds since Telegram last answered a request (+Inf before it first did).",
            registry=registry,
        ).set_function(lambda: self.since(self.last_contact))
        self.breaches = Counter(
            "kpibot_breaches", "Breaches the sweeps recorded.", registry=registry
        )
        self.updates = Counter(
            "kpibot_updates_handled", "Updates from Telegram the bot handled.", registry=registry
        )
        self.sent = Counter(
            "kpibot_messages_sent", "Messages Telegram accepted from the bot.", registry=registry
        )
        self.flood_waits = Counter(
            "kpibot_telegram_flood_waits",
            "Requests Telegram refused with 429 (flood wait).",
            registry=registry,
        )
        self.retries = Counter(
            "kpibot_telegram_retries",
            "Requests that failed in a way the bot tries again: 429, 5xx, network errors.",
            registry=registry,
        )

    def since(self, instant: float | None) -> float:
        """Seconds since a monotonic instant; infinity for never."""
        return math.inf if instant is None else self.monotonic() - instant

    def swept(self, seconds: float, breaches: int) -> None:
        """A sweep finished after `seconds`, having recorded `breaches`."""
        self.sweep_duration.observe(seconds)
        self.breaches.inc(breaches)
        self.last_sweep = self.monotonic()

    def answered(self, method: str, status: int) -> None:
        """Telegram answered a request to a Bot API `method` with an HTTP `status`."""
        self.last_contact = self.monotonic()
        if status == 429:
            self.flood_waits.inc()
        if status == 429 or status >= 500:
            self.retries.inc()
        elif status == 200 and method in SENDS:
            self.sent.inc()

    def unreachable(self) -> None:
        """A request to Telegram failed before any answer (network error or time-out)."""
        self.retries.inc()
