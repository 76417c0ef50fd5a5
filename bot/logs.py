"""Logging set-up: ids, not names or texts, and never the bot token."""

from __future__ import annotations

import logging

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class RedactingFormatter(logging.Formatter):
    """Mask the bot token wherever it would appear, tracebacks included."""

    def __init__(self, token: str) -> None:
        super().__init__(FORMAT)
        self.token = token

    def format(self, record: logging.LogRecord) -> str:
        """Format the record, then mask the token."""
        text = super().format(record)
        return text.replace(self.token, "<token>") if self.token else text


def configure_logging(token: str = "", level: int = logging.INFO) -> None:
    """Log to stderr; quiet the HTTP client, whose request lines carry the token in URLs."""
    handler = logging.StreamHandler()
    handler.setFormatter(RedactingFormatter(token))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "apscheduler", "tornado.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
