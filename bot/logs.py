"""Logging set-up: one line per event, text or JSON; ids, not names or texts, never the token."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Literal

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Ids a log call may pass with `extra=`; the JSON format gives each its own field.
IDS = ("update_id", "chat_id", "user_id", "employee_id", "work_code_id", "message_id")
LogFormat = Literal["text", "json"]


class RedactingFormatter(logging.Formatter):
    """Text lines; mask the bot token wherever it would appear, tracebacks included."""

    def __init__(self, token: str) -> None:
        super().__init__(FORMAT)
        self.token = token

    def format(self, record: logging.LogRecord) -> str:
        """Format the record, then mask the token."""
        return self.redact(super().format(record))

    def redact(self, text: str) -> str:
        """`text` with the token masked."""
        return text.replace(self.token, "<token>") if self.token else text


class JsonFormatter(RedactingFormatter):
    """JSON lines: time, level, logger, event, the ids given, and the traceback if any."""

    def format(self, record: logging.LogRecord) -> str:
        """One JSON object on one line."""
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "event": record.getMessage(),
        }
        line |= {name: getattr(record, name) for name in IDS if hasattr(record, name)}
        if record.exc_info:
            line["traceback"] = self.formatException(record.exc_info)
        return self.redact(json.dumps(line, ensure_ascii=False, default=str))


def configure_logging(
    token: str = "", level: int = logging.INFO, log_format: LogFormat = "text"
) -> None:
    """Log to stderr; quiet the HTTP client, whose request lines carry the token in URLs."""
    handler = logging.StreamHandler()
    formatter = JsonFormatter if log_format == "json" else RedactingFormatter
    handler.setFormatter(formatter(token))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "apscheduler", "tornado.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
