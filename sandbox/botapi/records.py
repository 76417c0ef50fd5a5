"""What passes through the fake: calls and their answers, files, and the users tests act as."""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from http import HTTPStatus

from sandbox.botapi.errors import CallKind
from sandbox.botapi.spec import JsonDict

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ApiCall:
    """One call the bot made: decoded parameters and the answer it got."""

    method: str
    params: JsonDict
    time: float
    status: int
    response: JsonDict
    reason: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the call succeeded."""
        return self.status == HTTPStatus.OK


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request."""

    name: str
    filename: str
    content: bytes = field(repr=False)
    content_type: str = "application/octet-stream"


@dataclass(frozen=True)
class StoredFile:
    """A file the bot sent, as the fake server stores it."""

    file_id: str
    file_unique_id: str
    file_path: str
    file_name: str
    mime_type: str
    content: bytes = field(repr=False)

    def to_dict(self) -> JsonDict:
        """Return the Bot API Document object for this file."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_name": self.file_name,
            "mime_type": self.mime_type,
            "file_size": len(self.content),
        }


@dataclass(frozen=True)
class FakeUser:
    """A Telegram user that tests act as."""

    id: int
    first_name: str = "Test User"
    language_code: str | None = "vi"
    last_name: str | None = None
    username: str | None = None

    def to_dict(self) -> JsonDict:
        """Return the Bot API User object."""
        data: JsonDict = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        optional = {
            "last_name": self.last_name,
            "username": self.username,
            "language_code": self.language_code,
        }
        data.update({key: value for key, value in optional.items() if value is not None})
        return data


class CallLog:
    """Every call the fake answered, filed by how it went; shares the fake's lock."""

    def __init__(self, lock: threading.Condition) -> None:
        self._lock = lock
        self._calls: list[ApiCall] = []
        self._invalid: list[ApiCall] = []
        self._rejected: list[ApiCall] = []
        self._rate_limited: list[ApiCall] = []

    def record(self, call: ApiCall, kind: CallKind) -> None:
        """File a call by its kind; an invalid call is also logged, as it is a bug in the bot."""
        with self._lock:
            self._calls.append(call)
            if kind == "invalid":
                self._invalid.append(call)
                logger.warning("Invalid Bot API call %s: %s", call.method, call.reason)
            elif kind != "ok":
                self._rejected.append(call)
            if kind == "rate_limited":
                self._rate_limited.append(call)

    @property
    def calls(self) -> list[ApiCall]:
        """Every call so far, in the order they were answered."""
        with self._lock:
            return list(self._calls)

    @property
    def invalid(self) -> list[ApiCall]:
        """Calls that broke the Bot API contract."""
        with self._lock:
            return list(self._invalid)

    @property
    def rejected(self) -> list[ApiCall]:
        """Valid calls that failed."""
        with self._lock:
            return list(self._rejected)

    @property
    def rate_limited(self) -> list[ApiCall]:
        """Calls answered 429 by flood control."""
        with self._lock:
            return list(self._rate_limited)

    def describe(self, last: int = 15) -> str:
        """A readable dump of the latest calls and all invalid calls, for failure messages."""
        calls = self.calls
        lines = [f"Bot API calls (last {min(last, len(calls))} of {len(calls)}):"]
        for call in calls[-last:]:
            params = json.dumps(call.params, ensure_ascii=False, default=repr)
            lines.append(f"  {call.method} -> {call.status} {params[:300]}")
            if not call.ok:
                lines.append(f"      {call.reason}")
        lines.extend(f"invalid: {call.method}: {call.reason}" for call in self.invalid)
        return "\n".join(lines)

    def assert_valid(self) -> None:
        """Fail if any call broke the Bot API contract."""
        invalid = self.invalid
        if invalid:
            details = "\n".join(
                f"  {call.method} {call.params!r}: {call.reason}" for call in invalid
            )
            raise AssertionError(f"{len(invalid)} invalid Bot API call(s):\n{details}")
