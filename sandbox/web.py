"""The page and its JSON API, served by tornado on the bot's own event loop.

Errors are answered as ``{"error": CODE, "detail": "one line in English"}``; the page shows CODE
in the reader's language.
"""

from __future__ import annotations

import json
import mimetypes
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from tornado.web import Application, HTTPError, RequestHandler, StaticFileHandler

from sandbox.botapi import StoredFile
from sandbox.clock import ClockError

if TYPE_CHECKING:
    from sandbox.server import Sandbox

STATIC = Path(__file__).resolve().parent / "static"
MAX_TEXT = 4096
_MAGIC = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"%PDF": "application/pdf",
}


class ApiError(HTTPError):
    """A request the sandbox refuses, with a code the page translates."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(status)
        self.code, self.detail = code, detail


class _Handler(RequestHandler):
    """Shared JSON plumbing."""

    sandbox: Sandbox

    def initialize(self, sandbox: Sandbox) -> None:
        """Keep the sandbox to act on."""
        self.sandbox = sandbox

    def set_default_headers(self) -> None:
        """Nothing the page fetches is cached."""
        self.set_header("Cache-Control", "no-store")

    def reply(self, data: Any, status: int = 200) -> None:
        """Answer with JSON."""
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(json.dumps(data, ensure_ascii=False))

    def body(self) -> dict[str, Any]:
        """The JSON object posted; only JSON, which other sites cannot post without asking."""
        if not self.request.headers.get("Content-Type", "").startswith("application/json"):
            raise ApiError(415, "bad_request", "send application/json")
        try:
            data = json.loads(self.request.body or b"{}")
        except ValueError:
            raise ApiError(400, "bad_request", "the body is not JSON") from None
        if not isinstance(data, dict):
            raise ApiError(400, "bad_request", "the body must be a JSON object")
        return data

    def chat_id(self, text: str) -> int:
        """A chat of someone in the sandbox."""
        try:
            self.sandbox.user(int(text))
        except (KeyError, ValueError):
            raise ApiError(404, "unknown_person", f"nobody has chat {text}") from None
        return int(text)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Errors as JSON, never a traceback page."""
        error = kwargs.get("exc_info", (None, None))[1]
        if isinstance(error, ApiError):
            self.reply({"error": error.code, "detail": error.detail}, status_code)
        else:
            self.reply({"error": "internal", "detail": self._reason}, status_code)


class PageHandler(_Handler):
    """GET /: the page."""

    def get(self) -> None:
        """Serve index.html."""
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish((STATIC / "index.html").read_bytes())


class PeopleHandler(_Handler):
    """GET /api/people: who one can be."""

    def get(self) -> None:
        """The roster, linked accounts only, and the guest."""
        self.reply({"people": self.sandbox.people()})


class StateHandler(_Handler):
    """GET /api/state: the clock and what is new, polled by the page."""

    def get(self) -> None:
        """The clock, the latest message id per chat, and the bot's invalid calls."""
        fake = self.sandbox.fake
        self.reply(
            {
                "clock": self.sandbox.clock_view(),
                "latest": {str(k): v for k, v in fake.last_message_ids().items()},
                "invalid_calls": len(fake.invalid_calls),
                "spec": fake.spec_source,
            }
        )


class ChatHandler(_Handler):
    """GET /api/chats/ID: a person's chat."""

    def get(self, chat: str) -> None:
        """Every message of the chat, as the page shows it."""
        self.reply(self.sandbox.chat(self.chat_id(chat)))


class TasksHandler(_Handler):
    """GET /api/chats/ID/tasks: the person's tasks (none for the guest)."""

    def get(self, chat: str) -> None:
        """Their tasks not cancelled, the earliest due first, each with its state."""
        self.reply({"tasks": self.sandbox.tasks(self.chat_id(chat))})


class MessageHandler(_Handler):
    """POST /api/chats/ID/messages {"text"}: write to the bot as that person."""

    def post(self, chat: str) -> None:
        """Send the text (a reply when the bot asked a question)."""
        chat_id, text = self.chat_id(chat), self.body().get("text")
        if not isinstance(text, str) or not text.strip():
            raise ApiError(400, "empty_text", "write something first")
        if len(text) > MAX_TEXT:
            raise ApiError(400, "text_too_long", f"at most {MAX_TEXT} characters")
        self.reply({"update_id": self.sandbox.send(chat_id, text)}, 202)


class ButtonHandler(_Handler):
    """POST /api/chats/ID/buttons {"message_id", "data"}: press an inline button."""

    async def post(self, chat: str) -> None:
        """Press it and give back the bot's answer."""
        chat_id, body = self.chat_id(chat), self.body()
        message_id, data = body.get("message_id"), body.get("data")
        if not isinstance(message_id, int) or not isinstance(data, str):
            raise ApiError(400, "bad_request", "message_id (number) and data (text) are needed")
        try:
            answer = await self.sandbox.press(chat_id, message_id, data)
        except ValueError as exc:
            raise ApiError(409, "button_gone", str(exc)) from None
        self.reply(answer)


class ClockHandler(_Handler):
    """GET /api/clock: the time; POST {"action": "next"|"day"|"jump", "to"}: move it."""

    def get(self) -> None:
        """The simulated time."""
        self.reply(self.sandbox.clock_view())

    async def post(self) -> None:
        """Move the clock forward and run the time-driven work due then."""
        body = self.body()
        action, to = body.get("action"), body.get("to")
        if not isinstance(action, str) or not (to is None or isinstance(to, str)):
            raise ApiError(400, "bad_request", "action (text) and to (text) are expected")
        try:
            self.reply(await self.sandbox.move(action, to))
        except ClockError as exc:
            raise ApiError(400, f"clock_{exc.code}", str(exc)) from None


class FileHandler(_Handler):
    """GET /files/FILE_ID: a picture or document the bot sent."""

    def get(self, file_id: str) -> None:
        """The file's bytes, documents as attachments."""
        stored = self.sandbox.file(file_id)
        if stored is None:
            raise HTTPError(404)
        mime_type = _content_type(stored)
        self.set_header("Content-Type", mime_type)
        if not mime_type.startswith("image/"):
            disposition = f"attachment; filename*=UTF-8''{quote(stored.file_name, safe='')}"
            self.set_header("Content-Disposition", disposition)
        self.finish(stored.content)


def _content_type(stored: StoredFile) -> str:
    """The file's type: as uploaded, else from its name, else from its first bytes."""
    if stored.mime_type != "application/octet-stream":
        return stored.mime_type
    guessed, _ = mimetypes.guess_type(stored.file_name)
    if guessed:
        return guessed
    for magic, mime_type in _MAGIC.items():
        if stored.content.startswith(magic):
            return mime_type
    return stored.mime_type


def make_app(sandbox: Sandbox) -> Application:
    """The tornado application of the page."""
    args = {"sandbox": sandbox}
    return Application(
        [
            (r"/", PageHandler, args),
            (r"/api/people", PeopleHandler, args),
            (r"/api/state", StateHandler, args),
            (r"/api/clock", ClockHandler, args),
            (r"/api/chats/(-?\d{1,15})", ChatHandler, args),
            (r"/api/chats/(-?\d{1,15})/messages", MessageHandler, args),
            (r"/api/chats/(-?\d{1,15})/tasks", TasksHandler, args),
            (r"/api/chats/(-?\d{1,15})/buttons", ButtonHandler, args),
            (r"/files/([A-Za-z0-9_-]{1,100})", FileHandler, args),
            (r"/static/(.*)", StaticFileHandler, {"path": str(STATIC)}),
        ],
        compress_response=True,
    )
