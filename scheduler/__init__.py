"""Time-driven work: the sweep, outbox delivery within Telegram's limits, and their jobs."""

import os

# Opt in to python-telegram-bot's timedelta API (RetryAfter.retry_after and friends): delivery
# reads every flood wait, and without it PTB 22 warns on each one. Every path that delivers
# (the running bot, `kpibot sweep`, the sandbox, benchmarks) imports this package first.
os.environ.setdefault("PTB_TIMEDELTA", "1")
