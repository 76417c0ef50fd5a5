"""What the fake server remembers (chats, updates, webhook, commands, files) and how methods act."""

from __future__ import annotations

import copy
import itertools
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from sandbox.botapi.errors import ApiError
from sandbox.botapi.parse_mode import TelegramHtmlParser
from sandbox.botapi.records import FakeUser, StoredFile, UploadedFile
from sandbox.botapi.spec import JsonDict

logger = logging.getLogger(__name__)

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
_UPDATE_KINDS_OFF_BY_DEFAULT = frozenset(
    {"chat_member", "message_reaction", "message_reaction_count"}
)


@dataclass
class _Chat:
    info: JsonDict
    messages: dict[int, JsonDict] = field(default_factory=dict)
    last_message_id: int = 0
    force_reply: set[int] = field(default_factory=set)  # bot messages that asked for a reply


def _update_kind(update: Mapping[str, Any]) -> str:
    return next(key for key in update if key != "update_id")


def photo_size(stored: StoredFile, size: int | None = None) -> JsonDict:
    """The PhotoSize of a stored photo, as Telegram describes its largest size."""
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "width": 800,
        "height": 600,
        "file_size": len(stored.content) if size is None else size,
    }


def without_reply(message: Mapping[str, Any]) -> JsonDict:
    """Copy a message for nesting as ``reply_to_message``, which Telegram does not nest further."""
    return copy.deepcopy({k: v for k, v in message.items() if k != "reply_to_message"})


class FakeState:
    """Everything the fake server remembers, and the behaviour of the methods it implements.

    Callers must hold `cond`; long polling waits on it.
    """

    def __init__(
        self,
        bot_user: JsonDict,
        cond: threading.Condition,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.bot_user = bot_user
        self.cond = cond
        self.clock = clock
        self.chats: dict[int, _Chat] = {}
        self.files: dict[str, StoredFile] = {}
        self.pending: list[JsonDict] = []
        self.updates_by_id: dict[int, JsonDict] = {}
        self.open_queries: set[str] = set()
        self.callback_answers: list[JsonDict] = []
        self.commands: dict[tuple[str, str], list[JsonDict]] = {}
        self.webhook: JsonDict = {}
        self.allowed_updates: list[str] = []
        self.closed = False
        self._poll_generation = 0
        self._update_ids = itertools.count(700_000_001)
        self._file_numbers = itertools.count(1)
        self._query_ids = itertools.count(4_000_000_000_001)
        self._handlers: dict[str, Callable[[JsonDict], Any]] = {
            "getme": self._get_me,
            "getupdates": self._get_updates,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "sendmessage": self._send_message,
            "editmessagetext": self._edit_message_text,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "deletemessage": self._delete_message,
            "answercallbackquery": self._answer_callback_query,
            "setmycommands": self._set_my_commands,
            "getmycommands": self._get_my_commands,
            "deletemycommands": self._delete_my_commands,
            "senddocument": self._send_document,
            "sendphoto": self._send_photo,
            "sendmediagroup": self._send_media_group,
            "getfile": self._get_file,
        }

    @property
    def methods(self) -> frozenset[str]:
        """The methods given behaviour here (lower-case), beyond succeeding with ``true``."""
        return frozenset(self._handlers)

    def handle(self, method: str, params: JsonDict) -> Any:
        """Run a validated call; methods without behaviour just succeed with ``true``."""
        handler = self._handlers.get(method.lower())
        return handler(params) if handler else True

    def close(self) -> None:
        """Wake every waiting long poll so the server can stop."""
        self.closed = True
        self.cond.notify_all()

    # ---- chats, messages, updates ----

    def chat(
        self, chat_id: int, chat_type: str | None = None, user: FakeUser | None = None
    ) -> _Chat:
        """Return the chat with `chat_id`, creating it on first use."""
        chat = self.chats.get(chat_id)
        if chat is None:
            chat = self.chats[chat_id] = _Chat({"id": chat_id})
            if chat_id > 0:
                chat.info.update(type="private", first_name=f"User {chat_id}")
            else:
                chat.info.update(type=chat_type or "group", title=f"Test group {chat_id}")
        if user is not None and chat_id == user.id:
            private = {
                k: v for k, v in user.to_dict().items() if k not in ("is_bot", "language_code")
            }
            chat.info.update(private, type="private")
        return chat

    def add_message(self, chat: _Chat, sender: JsonDict, content: JsonDict) -> JsonDict:
        """Store a new message in `chat` and return it."""
        chat.last_message_id += 1
        message = {
            "message_id": chat.last_message_id,
            "from": sender,
            "chat": dict(chat.info),
            "date": int(self.clock()),
            **{key: value for key, value in content.items() if value is not None},
        }
        chat.messages[chat.last_message_id] = message
        return message

    def find_message(self, chat_id: Any, message_id: Any) -> JsonDict | None:
        """Return the stored message, or None."""
        chat = self.chats.get(chat_id) if isinstance(chat_id, int) else None
        return chat.messages.get(message_id) if chat else None

    def bot_messages(self, chat_id: int) -> list[JsonDict]:
        """Return copies of the bot's current messages in a chat, in send order."""
        chat = self.chats.get(chat_id)
        messages = chat.messages.values() if chat else ()
        return [copy.deepcopy(m) for m in messages if m["from"]["id"] == self.bot_user["id"]]

    def push_update(self, kind: str, payload: JsonDict) -> int:
        """Queue an update for getUpdates or the webhook and return its id."""
        update_id = next(self._update_ids)
        update = {"update_id": update_id, kind: copy.deepcopy(payload)}
        self.updates_by_id[update_id] = update
        self.pending.append(update)
        self.cond.notify_all()
        return update_id

    def new_callback_query(self, user: FakeUser, message: JsonDict, data: str) -> JsonDict:
        """Create a callback query that the bot may answer once."""
        query_id = str(next(self._query_ids))
        self.open_queries.add(query_id)
        return {
            "id": query_id,
            "from": user.to_dict(),
            "message": copy.deepcopy(message),
            "chat_instance": str(8_000_000_000_000_000_000 + message["chat"]["id"]),
            "data": data,
        }

    def drop_unwanted_updates(self) -> None:
        """Forget queued updates of kinds the bot did not ask for, as Telegram does."""
        wanted = set(self.allowed_updates)
        for update in list(self.pending):
            kind = _update_kind(update)
            if (kind not in wanted) if wanted else (kind in _UPDATE_KINDS_OFF_BY_DEFAULT):
                logger.info("Dropping update %s: %r is not in allowed_updates", update, kind)
                self.pending.remove(update)

    def next_webhook_delivery(self) -> tuple[str, str | None, JsonDict] | None:
        """Return (url, secret, update) for the next update to POST, if in webhook mode."""
        self.drop_unwanted_updates()
        if not self.webhook or not self.pending:
            return None
        return self.webhook["url"], self.webhook.get("secret_token"), self.pending[0]

    # ---- getMe, updates and webhooks ----

    def _get_me(self, _params: JsonDict) -> JsonDict:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _get_updates(self, params: JsonDict) -> list[JsonDict]:
        offset = params.get("offset", 0)
        limit = min(max(params.get("limit", 100), 1), 100)
        deadline = time.monotonic() + max(params.get("timeout", 0), 0)
        if "allowed_updates" in params:
            self.allowed_updates = list(params["allowed_updates"])
        self._poll_generation += 1
        generation = self._poll_generation
        self.cond.notify_all()
        while True:
            if self.webhook:
                raise ApiError(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; "
                    "use deleteWebhook to delete the webhook first",
                )
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only "
                    "one bot instance is running",
                )
            if offset > 0:
                self.pending = [u for u in self.pending if u["update_id"] >= offset]
            elif offset < 0:
                self.pending = self.pending[offset:]
            self.drop_unwanted_updates()
            remaining = deadline - time.monotonic()
            if self.pending or self.closed or remaining <= 0:
                return copy.deepcopy(self.pending[:limit])
            self.cond.wait(remaining)

    def _set_webhook(self, params: JsonDict) -> bool:
        url: str = params["url"]
        if url and not url.startswith(("http://", "https://")):
            raise ApiError(400, "Bad Request: bad webhook: invalid webhook URL specified")
        if params.get("drop_pending_updates"):
            self.pending.clear()
        if "allowed_updates" in params:
            self.allowed_updates = list(params["allowed_updates"])
        secret, max_connections = params.get("secret_token"), params.get("max_connections", 40)
        self.webhook = (
            {"url": url, "secret_token": secret, "max_connections": max_connections} if url else {}
        )
        self.cond.notify_all()
        return True

    def _delete_webhook(self, params: JsonDict) -> bool:
        if params.get("drop_pending_updates"):
            self.pending.clear()
        self.webhook = {}
        self.cond.notify_all()
        return True

    def _get_webhook_info(self, _params: JsonDict) -> JsonDict:
        info: JsonDict = {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self.pending),
        }
        if self.webhook:
            info["max_connections"] = self.webhook["max_connections"]
        if self.allowed_updates:
            info["allowed_updates"] = list(self.allowed_updates)
        return info

    # ---- messages ----

    def _bot_chat(self, chat_id: Any) -> _Chat:
        if not isinstance(chat_id, int):
            raise ApiError(
                400, "Bad Request: chat not found", reason=f"chat_id {chat_id!r} is not an id"
            )
        return self.chat(chat_id)

    @staticmethod
    def _formatted(params: JsonDict, text_key: str, entities_key: str) -> JsonDict:
        """Return the message text/caption and its entities, parsed as Telegram would."""
        text: str = params[text_key]
        mode = str(params.get("parse_mode") or "").lower()
        if mode == "html":
            parsed = TelegramHtmlParser.parse(text)
            return {text_key: parsed.text, entities_key: list(parsed.entities) or None}
        entities = None if mode else params.get(entities_key)
        return {text_key: text, entities_key: entities or None}

    def _send(self, params: JsonDict, content: JsonDict) -> JsonDict:
        chat = self._bot_chat(params["chat_id"])
        reply = params.get("reply_parameters")
        if reply:
            target = self.find_message(reply.get("chat_id", chat.info["id"]), reply["message_id"])
            if target is None and not reply.get("allow_sending_without_reply"):
                raise ApiError(400, "Bad Request: message to be replied not found")
            content["reply_to_message"] = without_reply(target) if target else None
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            content["reply_markup"] = markup  # Message only echoes inline keyboards
        message = self.add_message(chat, self.bot_user, content)
        if isinstance(markup, dict) and markup.get("force_reply"):
            chat.force_reply.add(message["message_id"])
        return copy.deepcopy(message)

    def _send_message(self, params: JsonDict) -> JsonDict:
        return self._send(params, self._formatted(params, "text", "entities"))

    def _editable_message(self, params: JsonDict) -> JsonDict:
        message = self.find_message(params["chat_id"], params["message_id"])
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        if message["from"]["id"] != self.bot_user["id"]:
            raise ApiError(400, "Bad Request: message can't be edited")
        return message

    def _apply_edit(self, message: JsonDict, content: JsonDict, markup: Any) -> JsonDict:
        markup = markup if isinstance(markup, dict) and markup.get("inline_keyboard") else None
        current = {key: message.get(key) for key in content}
        if current == content and message.get("reply_markup") == markup:
            raise ApiError(400, NOT_MODIFIED)
        for key, value in {**content, "reply_markup": markup}.items():
            if value is None:
                message.pop(key, None)
            else:
                message[key] = value
        message["edit_date"] = int(self.clock())
        return copy.deepcopy(message)

    def _edit_message_text(self, params: JsonDict) -> JsonDict | bool:
        if params.get("inline_message_id") is not None:
            return True
        message = self._editable_message(params)
        if "text" not in message:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        content = self._formatted(params, "text", "entities") if "text" in params else {}
        return self._apply_edit(message, content, params.get("reply_markup"))

    def _edit_message_reply_markup(self, params: JsonDict) -> JsonDict | bool:
        if params.get("inline_message_id") is not None:
            return True
        return self._apply_edit(self._editable_message(params), {}, params.get("reply_markup"))

    def _delete_message(self, params: JsonDict) -> bool:
        if self.find_message(params["chat_id"], params["message_id"]) is None:
            raise ApiError(400, "Bad Request: message to delete not found")
        del self.chats[params["chat_id"]].messages[params["message_id"]]
        return True

    def _answer_callback_query(self, params: JsonDict) -> bool:
        if params["callback_query_id"] not in self.open_queries:
            raise ApiError(400, QUERY_TOO_OLD)
        self.open_queries.remove(params["callback_query_id"])
        self.callback_answers.append(dict(params))
        return True

    # ---- commands ----

    @staticmethod
    def commands_key(scope: Mapping[str, Any] | None, language_code: str | None) -> tuple[str, str]:
        """Return the key commands are stored under for a scope and language."""
        return json.dumps(scope or {"type": "default"}, sort_keys=True), language_code or ""

    def _set_my_commands(self, params: JsonDict) -> bool:
        key = self.commands_key(params.get("scope"), params.get("language_code"))
        self.commands[key] = copy.deepcopy(params["commands"])
        return True

    def _get_my_commands(self, params: JsonDict) -> list[JsonDict]:
        key = self.commands_key(params.get("scope"), params.get("language_code"))
        return copy.deepcopy(self.commands.get(key, []))

    def _delete_my_commands(self, params: JsonDict) -> bool:
        self.commands.pop(self.commands_key(params.get("scope"), params.get("language_code")), None)
        return True

    # ---- files ----

    def _store_file(self, kind: str, value: UploadedFile | str) -> StoredFile:
        if isinstance(value, str):
            if value in self.files:
                return self.files[value]
            if not value.startswith(("http://", "https://")):
                raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
            value = UploadedFile(kind, PurePosixPath(urlsplit(value).path).name or kind, b"")
        number = next(self._file_numbers)
        suffix = PurePosixPath(value.filename).suffix
        stored = StoredFile(
            file_id=f"{'BQAC' if kind == 'document' else 'AgAC'}AgUAAx{number:012d}",
            file_unique_id=f"AgAD{number:06d}",
            file_path=f"{kind}s/file_{number}{suffix}",
            file_name=value.filename,
            mime_type=value.content_type,
            content=value.content,
        )
        self.files[stored.file_id] = stored
        return stored

    def _caption(self, params: JsonDict) -> JsonDict:
        return self._formatted(params, "caption", "caption_entities") if "caption" in params else {}

    def _send_document(self, params: JsonDict) -> JsonDict:
        stored = self._store_file("document", params["document"])
        return self._send(params, {"document": stored.to_dict(), **self._caption(params)})

    def _send_photo(self, params: JsonDict) -> JsonDict:
        stored = self._store_file("photo", params["photo"])
        return self._send(params, {"photo": [photo_size(stored)], **self._caption(params)})

    def _send_media_group(self, params: JsonDict) -> list[JsonDict]:
        media = params["media"]
        kinds = {item.get("type") for item in media}
        if not 2 <= len(media) <= 10:
            raise ApiError(400, "Bad Request: wrong number of messages specified")
        if len(kinds) > 1 and kinds & {"document", "audio"}:
            raise ApiError(400, "Bad Request: document can't be mixed with other media types")
        group = str(next(self._file_numbers) + 13_000_000_000_000_000)
        sent = []
        for item in media:
            stored = self._store_file(item["type"], item["media"])
            content = (
                {"photo": [photo_size(stored)]}
                if item["type"] == "photo"
                else {item["type"]: stored.to_dict()}
            )
            caption = self._caption(item)
            single = {k: v for k, v in params.items() if k != "media"}
            sent.append(self._send(single, {**content, **caption, "media_group_id": group}))
        return sent

    def store_user_file(self, kind: str, file_name: str, content: bytes) -> StoredFile:
        """Keep a file a user sends, so the bot may send it again by its file_id."""
        return self._store_file(kind, UploadedFile(kind, file_name, content))

    def _get_file(self, params: JsonDict) -> JsonDict:
        stored = self.files.get(params["file_id"])
        if stored is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content),
            "file_path": stored.file_path,
        }
