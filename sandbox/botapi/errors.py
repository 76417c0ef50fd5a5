"""The Bot API's error answers, and how the fake files the call that got one."""

from __future__ import annotations

from typing import Literal

from sandbox.botapi.spec import JsonDict

CallKind = Literal["ok", "invalid", "rejected", "rate_limited"]


class ApiError(Exception):
    """An error answer of the Bot API; `kind` says how the fake files the call."""

    def __init__(
        self,
        status: int,
        description: str,
        *,
        reason: str | None = None,
        retry_after: int | None = None,
        kind: CallKind = "rejected",
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.reason = reason or description
        self.retry_after = retry_after
        self.kind = kind

    def payload(self) -> JsonDict:
        """Return the JSON body Telegram would answer with."""
        body: JsonDict = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(description: str, detail: str | None = None) -> ApiError:
    """Return the 400 answer to an invalid call."""
    text = f"Bad Request: {description}"
    return ApiError(400, text, reason=f"{text} ({detail})" if detail else text, kind="invalid")
