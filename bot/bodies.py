"""Request bodies read within a limit: refused by their Content-Length before reading, or as
soon as a streamed body passes the limit. The webhook and the API both read them so."""

from __future__ import annotations

from starlette.requests import Request

MAX_BODY = 1024 * 1024  # bytes; Telegram's updates and the API's requests are far smaller


class BadLength(ValueError):
    """The Content-Length header is not a number."""


class TooLarge(ValueError):
    """The body is over MAX_BODY."""


def refuse_early(request: Request) -> None:
    """Raise BadLength or TooLarge from the headers alone, before any byte of the body."""
    length = request.headers.get("content-length")
    if length is None:
        return
    if not (length.isascii() and length.isdigit()):
        raise BadLength(length)
    if int(length) > MAX_BODY:
        raise TooLarge(length)


async def read_body(request: Request) -> bytes:
    """The whole body, or TooLarge as soon as it passes MAX_BODY (after refuse_early)."""
    refuse_early(request)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise TooLarge(str(len(body)))
    return bytes(body)
