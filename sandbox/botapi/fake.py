"""`FakeBotAPI`: the emulator's face to the sandbox and the tests (see the package docstring)."""

from __future__ import annotations

import asyncio
import copy
import re
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from sandbox.botapi.endpoint import Endpoint
from sandbox.botapi.faults import Faults
from sandbox.botapi.http_server import HttpServer
from sandbox.botapi.parse_mode import utf16_len
from sandbox.botapi.records import ApiCall, CallLog, FakeUser, StoredFile
from sandbox.botapi.spec import BotApiSpec, JsonDict
from sandbox.botapi.spec_source import load_spec, resolve_spec_path
from sandbox.botapi.state import FakeState, photo_size, without_reply
from sandbox.botapi.webhooks import WebhookDelivery

T = TypeVar("T")
WAIT = 20.0  # seconds a test waits for the bot by default: ample on a loaded 2-core machine

_COMMAND_RE = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{1,64})?(?=\s|$)")


class FakeBotAPI:
    """The Bot API emulator for the sandbox and the tests; see the package docstring."""

    def __init__(
        self,
        token: str = "123:TEST",
        spec_path: str | Path | None = None,
        rate_limits: bool = False,
        *,
        bot_username: str = "kpi_test_bot",
        bot_name: str = "KPI Bot",
        clock: Callable[[], float] = time.time,
        port: int = 0,
    ) -> None:
        bot_id, _, _ = token.partition(":")
        if not bot_id.isdigit():
            raise ValueError(f"token {token!r} must start with the numeric bot id")
        self.token = token
        self.spec: BotApiSpec = load_spec(resolve_spec_path(spec_path))
        self.bot_user: JsonDict = {
            "id": int(bot_id),
            "is_bot": True,
            "first_name": bot_name,
            "username": bot_username,
        }
        self._cond = threading.Condition(threading.RLock())
        self._state = FakeState(self.bot_user, self._cond, clock)
        self._faults = Faults(rate_limits=rate_limits)
        self._log = CallLog(self._cond)
        self._endpoint = Endpoint(token, self.spec, self._state, self._faults, self._log)
        self._webhooks = WebhookDelivery(self._state)
        self._server: HttpServer | None = None
        self._port = port  # 0: any free port
        self._threads: list[threading.Thread] = []

    # ---- lifecycle ----

    def start(self) -> FakeBotAPI:
        """Start serving on 127.0.0.1, on the port given at creation or else a free one."""
        if self._server is not None:
            raise RuntimeError("FakeBotAPI is already running")
        self._server = HttpServer(self._endpoint, self._port)
        self._threads = [
            threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.01},
                name="fake-bot-api-http",
            ),
            threading.Thread(target=self._webhooks.run, name="fake-bot-api-webhook"),
        ]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, end long polls and close every connection."""
        server, self._server = self._server, None
        if server is None:
            return
        self._webhooks.stop()
        with self._cond:
            self._state.close()
        server.shutdown()
        server.close_connections()
        server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._webhooks.close()

    def __enter__(self) -> FakeBotAPI:
        """Start the server."""
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop the server."""
        self.stop()

    @property
    def port(self) -> int:
        """The TCP port the server listens on."""
        if self._server is None:
            raise RuntimeError("FakeBotAPI is not running; call start() first")
        return self._server.server_port

    @property
    def base_url(self) -> str:
        """The ``base_url`` for python-telegram-bot, which appends the token and method."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """The ``base_file_url`` for python-telegram-bot."""
        return f"http://127.0.0.1:{self.port}/file/bot"

    @property
    def spec_source(self) -> str:
        """Which spec validates calls: "api.json" or "built-in"."""
        return self.spec.source

    @property
    def rate_limits(self) -> bool:
        """Whether message sends meet Telegram's flood control (429 with retry_after)."""
        return self._faults.rate_limits

    # ---- webhook delivery ----

    async def deliver_webhook(
        self, update: Mapping[str, Any] | int, secret: str | None = None
    ) -> int:
        """POST an update (or the update with this id) to the webhook; return the HTTP status.

        `secret` overrides the stored secret token; pass "" to send no secret header.
        """
        return await self._webhooks.deliver(update, secret)

    # ---- injecting user actions ----

    def user(
        self,
        user_id: int,
        first_name: str = "Test User",
        language_code: str | None = "vi",
        *,
        last_name: str | None = None,
        username: str | None = None,
    ) -> FakeUser:
        """Return a Telegram user to act as."""
        return FakeUser(user_id, first_name, language_code, last_name, username)

    def send_text(
        self, user: FakeUser, text: str, chat_type: str = "private", chat_id: int | None = None
    ) -> int:
        """Inject a text message from `user`; return the update id."""
        if chat_type == "private":
            if chat_id not in (None, user.id):
                raise ValueError("a private chat's id is the user's id")
            chat_id = user.id
        elif chat_id is None:
            chat_id = -user.id
        if chat_type != "private" and chat_id >= 0:
            raise ValueError(f"a {chat_type} chat needs a negative chat id")
        content: JsonDict = {"text": text}
        command = _COMMAND_RE.match(text)
        if command:
            length = utf16_len(command.group())
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        with self._cond:
            chat = self._state.chat(chat_id, chat_type, user)
            message = self._state.add_message(chat, user.to_dict(), content)
            return self._state.push_update("message", message)

    def _message_now(self, message: Mapping[str, Any]) -> JsonDict:
        current = self._state.find_message(message["chat"]["id"], message["message_id"])
        if current is None:
            raise ValueError(f"message {message['message_id']} is not in the fake's store")
        return current

    def press_button(
        self, user: FakeUser, message: Mapping[str, Any], callback_data: str, *, check: bool = True
    ) -> int:
        """Inject a press on an inline button of a bot message; return the update id.

        With `check`, the message's current keyboard must have a button with this data.
        """
        with self._cond:
            current = self._message_now(message)
            rows = current.get("reply_markup", {}).get("inline_keyboard", [])
            data = [button.get("callback_data") for row in rows for button in row]
            if check and callback_data not in data:
                raise ValueError(f"no button with callback_data {callback_data!r}; have {data}")
            query = self._state.new_callback_query(user, current, callback_data)
            return self._state.push_update("callback_query", query)

    def reply_to(self, user: FakeUser, message: Mapping[str, Any], text: str) -> int:
        """Inject a text reply to `message` (e.g. answering a ForceReply); return the update id."""
        with self._cond:
            current = self._message_now(message)
            chat = self._state.chat(current["chat"]["id"], current["chat"]["type"], user)
            content = {"text": text, "reply_to_message": without_reply(current)}
            reply = self._state.add_message(chat, user.to_dict(), content)
            return self._state.push_update("message", reply)

    def send_file(
        self,
        user: FakeUser,
        file_name: str,
        content: bytes = b"%PDF-1.4 fake",
        *,
        photo: bool = False,
        caption: str | None = None,
        reply_to: Mapping[str, Any] | None = None,
        size: int | None = None,
        media_group_id: str | None = None,
    ) -> JsonDict:
        """Inject a document (or a photo) from `user` in their private chat; return the message.

        `size` pretends the file is that large (Telegram's `file_size`) without sending as much.
        """
        with self._cond:
            stored = self._state.store_user_file(
                "photo" if photo else "document", file_name, content
            )
            content_: JsonDict = (
                {"photo": [photo_size(stored, size)]}
                if photo
                else {"document": {**stored.to_dict(), "file_size": size or len(content)}}
            )
            if caption is not None:
                content_["caption"] = caption
                command = _COMMAND_RE.match(caption)
                if command:
                    length = utf16_len(command.group())
                    content_["caption_entities"] = [
                        {"type": "bot_command", "offset": 0, "length": length}
                    ]
            if reply_to is not None:
                content_["reply_to_message"] = without_reply(self._message_now(reply_to))
            content_["media_group_id"] = media_group_id
            chat = self._state.chat(user.id, "private", user)
            message = self._state.add_message(chat, user.to_dict(), content_)
            self._state.push_update("message", message)
            return copy.deepcopy(message)

    # ---- faults ----

    def fail_next(
        self,
        method: str,
        status: int = 429,
        retry_after: int = 3,
        count: int = 1,
        description: str | None = None,
        chat_id: int | None = None,
    ) -> None:
        """Make the next `count` calls of `method` fail with `status` (429 carries retry_after).

        With `chat_id`, only calls for that chat fail; calls for other chats go through.
        """
        if self.spec.source == "api.json" and self.spec.method(method) is None:
            raise ValueError(f"unknown Bot API method {method!r}")
        with self._cond:
            self._faults.fail_next(method, status, retry_after, count, description, chat_id)

    def block(self, chat_id: int) -> None:
        """Make every call for `chat_id` fail with 403, as if the user blocked the bot."""
        with self._cond:
            self._faults.block(chat_id)

    def unblock(self, chat_id: int) -> None:
        """Undo `block`."""
        with self._cond:
            self._faults.unblock(chat_id)

    # ---- queries ----

    @property
    def calls(self) -> list[ApiCall]:
        """Every call so far, in the order they were answered."""
        return self._log.calls

    @property
    def invalid_calls(self) -> list[ApiCall]:
        """Calls that broke the Bot API contract (bugs in the bot)."""
        return self._log.invalid

    @property
    def rejected_calls(self) -> list[ApiCall]:
        """Valid calls that failed: not found, not modified, blocked, injected faults, floods."""
        return self._log.rejected

    @property
    def rate_limited(self) -> list[ApiCall]:
        """Calls answered 429 by the flood control of ``rate_limits=True``."""
        return self._log.rate_limited

    @property
    def callback_answers(self) -> list[JsonDict]:
        """Parameters of every successful answerCallbackQuery."""
        with self._cond:
            return copy.deepcopy(self._state.callback_answers)

    @property
    def webhook_url(self) -> str:
        """The URL set by setWebhook, or ""."""
        with self._cond:
            return str(self._state.webhook.get("url", ""))

    @property
    def webhook_deliveries(self) -> list[tuple[int, int]]:
        """(update_id, HTTP status) of updates POSTed to the webhook; status 0 = unreachable."""
        return self._webhooks.deliveries

    def calls_of(self, method: str) -> list[ApiCall]:
        """Every call of `method` (case-insensitive)."""
        return [call for call in self.calls if call.method.lower() == method.lower()]

    def messages(self, chat_id: int) -> list[JsonDict]:
        """The bot's messages in a chat as Message dicts, in send order, with edits applied."""
        with self._cond:
            return self._state.bot_messages(chat_id)

    def last_message(self, chat_id: int) -> JsonDict:
        """The bot's latest message in a chat; AssertionError if there is none."""
        messages = self.messages(chat_id)
        if not messages:
            raise AssertionError(
                f"the bot sent no message to chat {chat_id}\n{self.describe_calls()}"
            )
        return messages[-1]

    def conversation(self, chat_id: int) -> list[JsonDict]:
        """Every message in a chat, the user's and the bot's, in order, with edits applied."""
        with self._cond:
            chat = self._state.chats.get(chat_id)
            return copy.deepcopy(list(chat.messages.values())) if chat else []

    def last_message_ids(self) -> dict[int, int]:
        """The id of the latest message in every chat (ids only grow: a cheap "anything new?")."""
        with self._cond:
            return {chat_id: chat.last_message_id for chat_id, chat in self._state.chats.items()}

    def asked_for_reply(self, chat_id: int, message_id: int) -> bool:
        """Whether the bot sent this message with ForceReply (Message objects do not say)."""
        with self._cond:
            chat = self._state.chats.get(chat_id)
            return chat is not None and message_id in chat.force_reply

    def file(self, file_id: str) -> StoredFile | None:
        """A file the bot sent, by its file_id."""
        with self._cond:
            return self._state.files.get(file_id)

    def callback_answer(self, update_id: int) -> JsonDict | None:
        """The bot's answerCallbackQuery to the button press of this update, once it came."""
        with self._cond:
            query_id = self._state.updates_by_id[update_id]["callback_query"]["id"]
            answers = self._state.callback_answers
            return next((a for a in answers if a["callback_query_id"] == query_id), None)

    def documents(self, chat_id: int) -> list[StoredFile]:
        """Files the bot sent to a chat as documents, in send order."""
        with self._cond:
            return [
                self._state.files[m["document"]["file_id"]]
                for m in self._state.bot_messages(chat_id)
                if "document" in m
            ]

    def photos(self, chat_id: int) -> list[StoredFile]:
        """Pictures the bot sent to a chat, in send order."""
        with self._cond:
            return [
                self._state.files[m["photo"][-1]["file_id"]]
                for m in self._state.bot_messages(chat_id)
                if "photo" in m
            ]

    def commands(
        self, language_code: str | None = None, scope: Mapping[str, Any] | None = None
    ) -> list[JsonDict]:
        """The bot commands set for a language ("" or None: all languages) and scope."""
        with self._cond:
            key = FakeState.commands_key(scope, language_code)
            return copy.deepcopy(self._state.commands.get(key, []))

    def describe_calls(self, last: int = 15) -> str:
        """A readable dump of the latest calls and all invalid calls, for failure messages."""
        return self._log.describe(last)

    def assert_no_invalid_calls(self) -> None:
        """Fail if the bot broke the Bot API contract."""
        self._log.assert_valid()

    @property
    def methods(self) -> frozenset[str]:
        """The Bot API methods this fake implements (lower-case)."""
        return self._state.methods

    async def wait_for(
        self, predicate: Callable[[], T], timeout: float = WAIT, what: str = "condition"
    ) -> T:
        """Poll `predicate` until it returns something truthy, and return that."""
        deadline = time.monotonic() + timeout
        while not (result := predicate()):
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"timed out after {timeout}s waiting for {what}\n{self.describe_calls()}"
                )
            await asyncio.sleep(0.01)
        return result

    async def wait_for_messages(
        self, chat_id: int, count: int = 1, timeout: float = WAIT
    ) -> list[JsonDict]:
        """Wait until the bot has `count` messages in a chat; return them all."""

        def enough() -> list[JsonDict]:
            messages = self.messages(chat_id)
            return messages if len(messages) >= count else []

        return await self.wait_for(enough, timeout, f"{count} bot message(s) in chat {chat_id}")
