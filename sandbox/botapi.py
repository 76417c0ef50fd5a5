"""The Telegram Bot API emulator, served over real HTTP: the sandbox's Telegram and the tests'.

`FakeBotAPI` runs a ``ThreadingHTTPServer`` on 127.0.0.1 that python-telegram-bot talks to through
``Bot(token, base_url=fake.base_url, base_file_url=fake.base_file_url)``. `kpibot sandbox` points
the real bot at it and lets people act in the chats from a web page; the end-to-end tests do the
same from code. Every call is decoded the way the Bot API server decodes it (query string,
url-encoded form, multipart form or JSON body) and checked against the official machine-readable
spec (``../shared/telegram-bot-api/api.json`` beside the repository, or ``$KPIBOT_BOT_API_SPEC``;
without it, built-in checks of the methods the emulator implements, and a warning says so):
unknown methods and parameters, missing required parameters, wrong types (recursively into
objects), the length limits documented in field descriptions (texts in UTF-16 code units after
entity parsing, ``callback_data`` in UTF-8 bytes) and Telegram's HTML parse mode. Invalid calls are
answered the way Telegram answers them and collected in ``fake.invalid_calls``.

The emulator keeps enough state to behave like Telegram: messages per chat (edits, "message is not
modified"), long-polling ``getUpdates``, webhooks, bot commands and uploaded files. Callers inject
user actions (``send_text``, ``press_button``, ``reply_to``), inject faults (``fail_next``,
``block``, optional flood control) and read ``messages``, ``conversation``, ``calls_of`` and
``wait_for``. Message dates come from the ``clock`` given (the sandbox's simulated time).
"""

from __future__ import annotations

import asyncio
import copy
import email.policy
import functools
import itertools
import json
import logging
import math
import os
import re
import socket
import socketserver
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage, MIMEPart
from email.parser import BytesParser
from email.utils import collapse_rfc2231_value
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import Any, ClassVar, Literal, TypeVar
from urllib.parse import parse_qsl, unquote, urlsplit

import httpx

logger = logging.getLogger(__name__)

# ../shared/telegram-bot-api/api.json beside the repository (this file is <repo>/sandbox/botapi.py).
DEFAULT_SPEC_PATH = Path(__file__).resolve().parents[2] / "shared" / "telegram-bot-api" / "api.json"
SPEC_ENV_VAR = "KPIBOT_BOT_API_SPEC"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

T = TypeVar("T")
CallKind = Literal["ok", "invalid", "rejected", "rate_limited"]
JsonDict = dict[str, Any]


# --------------------------------------------------------------------------------------------
# The spec
# --------------------------------------------------------------------------------------------

_LIMIT_RE = re.compile(r"\b(\d+)-(\d+) (character|byte)s?\b")
_AFTER_ENTITIES_RE = re.compile(r"after entit(?:y|ies) parsing")
_REQUIRED_IF_RE = re.compile(
    r"[Rr]equired if (\w+(?: and \w+)*) (?:is|are) not specified"
    r"|[Rr]equired if (\w+) isn't specified"
)
_FIXED_VALUE_RE = re.compile(r"(?:must be|always) [\"“]?([a-z0-9_]+)[\"”]?$")
_SCALAR_TYPES = frozenset({"Integer", "Float", "Boolean", "String", "InputFile"})
_ARRAY_PREFIX = "Array of "
_TEXT_FIELDS = frozenset({"text", "caption", "message_text"})


@dataclass(frozen=True)
class FieldSpec:
    """A method parameter or object field, with the rules derived from its description."""

    name: str
    types: tuple[str, ...]
    required: bool
    limit: tuple[int, int, str] | None = None
    after_entities: bool = False
    required_unless: tuple[str, ...] = ()
    fixed_value: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FieldSpec:
        """Build a field from its api.json entry."""
        description = str(data.get("description", ""))
        limit = _LIMIT_RE.search(description)
        required_if = _REQUIRED_IF_RE.search(description)
        fixed = _FIXED_VALUE_RE.search(description)
        return cls(
            name=data["name"],
            types=tuple(data["types"]),
            required=bool(data["required"]),
            limit=(int(limit[1]), int(limit[2]), limit[3]) if limit else None,
            after_entities=bool(_AFTER_ENTITIES_RE.search(description)),
            required_unless=(
                tuple((required_if[1] or required_if[2]).split(" and ")) if required_if else ()
            ),
            fixed_value=fixed[1] if fixed else None,
        )


@dataclass(frozen=True)
class ObjectSpec:
    """A Bot API method or type: its fields, or the subtypes it stands for."""

    name: str
    fields: Mapping[str, FieldSpec]
    subtypes: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ObjectSpec:
        """Build a method or type from its api.json entry."""
        fields = {f["name"]: FieldSpec.from_json(f) for f in data.get("fields", ())}
        return cls(data["name"], fields, tuple(data.get("subtypes", ())))

    def parse_mode_field(self, name: str) -> str | None:
        """Return the field holding the parse mode of text field `name`, if it has one."""
        if f"{name}_parse_mode" in self.fields:
            return f"{name}_parse_mode"
        if "parse_mode" in self.fields and (
            name in _TEXT_FIELDS or self.fields[name].after_entities
        ):
            return "parse_mode"
        return None


@dataclass(frozen=True)
class BotApiSpec:
    """The parsed Bot API spec: methods (looked up case-insensitively) and types."""

    source: Literal["api.json", "built-in"]
    methods: Mapping[str, ObjectSpec]
    types: Mapping[str, ObjectSpec]

    @classmethod
    def from_json(
        cls, data: Mapping[str, Any], source: Literal["api.json", "built-in"]
    ) -> BotApiSpec:
        """Build the spec from api.json-shaped data."""
        return cls(
            source=source,
            methods={name.lower(): ObjectSpec.from_json(m) for name, m in data["methods"].items()},
            types={name: ObjectSpec.from_json(t) for name, t in data["types"].items()},
        )

    def method(self, name: str) -> ObjectSpec | None:
        """Look up a method by its case-insensitive name."""
        return self.methods.get(name.lower())


# A fallback covering the methods the fake implements, in a compact notation: unindented lines
# name a method (lower-case initial) or type, `Type = Sub1 Sub2` lists subtypes, and indented
# lines are `name Type|Other [*] [description]` where `*` means required, `[]X` is "Array of X"
# and the description carries the rules FieldSpec understands. Types not described here are
# accepted as any JSON object.
_BUILTIN_SPEC = """
getMe
getUpdates
  offset Integer
  limit Integer
  timeout Integer
  allowed_updates []String
setWebhook
  url String *
  certificate InputFile
  ip_address String
  max_connections Integer
  allowed_updates []String
  drop_pending_updates Boolean
  secret_token String 1-256 characters
deleteWebhook
  drop_pending_updates Boolean
getWebhookInfo
sendMessage
  business_connection_id String
  chat_id Integer|String *
  message_thread_id Integer
  direct_messages_topic_id Integer
  text String * 1-4096 characters after entities parsing
  parse_mode String
  entities []MessageEntity
  link_preview_options LinkPreviewOptions
  disable_notification Boolean
  protect_content Boolean
  allow_paid_broadcast Boolean
  message_effect_id String
  suggested_post_parameters SuggestedPostParameters
  reply_parameters ReplyParameters
  reply_markup InlineKeyboardMarkup|ReplyKeyboardMarkup|ReplyKeyboardRemove|ForceReply
editMessageText
  business_connection_id String
  chat_id Integer|String Required if inline_message_id is not specified
  message_id Integer Required if inline_message_id is not specified
  inline_message_id String Required if chat_id and message_id are not specified
  text String 1-4096 characters after entities parsing; required if rich_message isn't specified
  parse_mode String
  entities []MessageEntity
  link_preview_options LinkPreviewOptions
  rich_message InputRichMessage required if text isn't specified
  reply_markup InlineKeyboardMarkup
editMessageReplyMarkup
  business_connection_id String
  chat_id Integer|String Required if inline_message_id is not specified
  message_id Integer Required if inline_message_id is not specified
  inline_message_id String Required if chat_id and message_id are not specified
  reply_markup InlineKeyboardMarkup
deleteMessage
  chat_id Integer|String *
  message_id Integer *
answerCallbackQuery
  callback_query_id String *
  text String 0-200 characters
  show_alert Boolean
  url String
  cache_time Integer
setMyCommands
  commands []BotCommand *
  scope BotCommandScope
  language_code String
getMyCommands
  scope BotCommandScope
  language_code String
deleteMyCommands
  scope BotCommandScope
  language_code String
sendDocument
  business_connection_id String
  chat_id Integer|String *
  message_thread_id Integer
  direct_messages_topic_id Integer
  document InputFile|String *
  thumbnail InputFile|String
  caption String 0-1024 characters after entities parsing
  parse_mode String
  caption_entities []MessageEntity
  disable_content_type_detection Boolean
  disable_notification Boolean
  protect_content Boolean
  allow_paid_broadcast Boolean
  message_effect_id String
  suggested_post_parameters SuggestedPostParameters
  reply_parameters ReplyParameters
  reply_markup InlineKeyboardMarkup|ReplyKeyboardMarkup|ReplyKeyboardRemove|ForceReply
sendPhoto
  business_connection_id String
  chat_id Integer|String *
  message_thread_id Integer
  direct_messages_topic_id Integer
  photo InputFile|String *
  caption String 0-1024 characters after entities parsing
  parse_mode String
  caption_entities []MessageEntity
  show_caption_above_media Boolean
  has_spoiler Boolean
  disable_notification Boolean
  protect_content Boolean
  allow_paid_broadcast Boolean
  message_effect_id String
  suggested_post_parameters SuggestedPostParameters
  reply_parameters ReplyParameters
  reply_markup InlineKeyboardMarkup|ReplyKeyboardMarkup|ReplyKeyboardRemove|ForceReply
getFile
  file_id String *
close
logOut
InlineKeyboardMarkup
  inline_keyboard [][]InlineKeyboardButton *
InlineKeyboardButton
  text String *
  icon_custom_emoji_id String
  style String
  url String
  callback_data String 1-64 bytes
  web_app WebAppInfo
  login_url LoginUrl
  switch_inline_query String
  switch_inline_query_current_chat String
  switch_inline_query_chosen_chat SwitchInlineQueryChosenChat
  copy_text CopyTextButton
  callback_game CallbackGame
  pay Boolean
ReplyKeyboardMarkup
  keyboard [][]KeyboardButton *
  is_persistent Boolean
  resize_keyboard Boolean
  one_time_keyboard Boolean
  input_field_placeholder String 1-64 characters
  selective Boolean
KeyboardButton
  text String *
  icon_custom_emoji_id String
  style String
  request_users KeyboardButtonRequestUsers
  request_chat KeyboardButtonRequestChat
  request_managed_bot KeyboardButtonRequestManagedBot
  request_contact Boolean
  request_location Boolean
  request_poll KeyboardButtonPollType
  web_app WebAppInfo
ReplyKeyboardRemove
  remove_keyboard Boolean *
  selective Boolean
ForceReply
  force_reply Boolean *
  input_field_placeholder String 1-64 characters
  selective Boolean
ReplyParameters
  message_id Integer *
  chat_id Integer|String
  allow_sending_without_reply Boolean
  quote String 0-1024 characters after entities parsing
  quote_parse_mode String
  quote_entities []MessageEntity
  quote_position Integer
  checklist_task_id Integer
  poll_option_id String
LinkPreviewOptions
  is_disabled Boolean
  url String
  prefer_small_media Boolean
  prefer_large_media Boolean
  show_above_text Boolean
MessageEntity
  type String *
  offset Integer *
  length Integer *
  url String
  user User
  language String
  custom_emoji_id String
  unix_time Integer
  date_time_format String
BotCommand
  command String * 1-32 characters
  description String * 1-256 characters
BotCommandScope = BotCommandScopeDefault BotCommandScopeAllPrivateChats \
BotCommandScopeAllGroupChats BotCommandScopeAllChatAdministrators BotCommandScopeChat \
BotCommandScopeChatAdministrators BotCommandScopeChatMember
BotCommandScopeDefault
  type String * must be default
BotCommandScopeAllPrivateChats
  type String * must be all_private_chats
BotCommandScopeAllGroupChats
  type String * must be all_group_chats
BotCommandScopeAllChatAdministrators
  type String * must be all_chat_administrators
BotCommandScopeChat
  type String * must be chat
  chat_id Integer|String *
BotCommandScopeChatAdministrators
  type String * must be chat_administrators
  chat_id Integer|String *
BotCommandScopeChatMember
  type String * must be chat_member
  chat_id Integer|String *
  user_id Integer *
"""


def _builtin_spec_json() -> JsonDict:
    """Expand `_BUILTIN_SPEC` into the shape of api.json."""
    methods: JsonDict = {}
    types: JsonDict = {}
    fields: list[JsonDict] = []
    for line in _BUILTIN_SPEC.replace("\\\n", "").strip().splitlines():
        if line.startswith("  "):
            name, type_list, *rest = line.split(maxsplit=2)
            tail = rest[0] if rest else ""
            array_types = [t.replace("[]", _ARRAY_PREFIX) for t in type_list.split("|")]
            fields.append(
                {
                    "name": name,
                    "types": array_types,
                    "required": tail.startswith("*"),
                    "description": tail.removeprefix("*").strip(),
                }
            )
        elif " = " in line:
            name, subtypes = line.split(" = ")
            types[name] = {"name": name, "subtypes": subtypes.split()}
        else:
            fields = []
            (methods if line[0].islower() else types)[line] = {"name": line, "fields": fields}
    return {"methods": methods, "types": types}


def resolve_spec_path(spec_path: str | Path | None = None) -> Path:
    """Return the spec file to use: the argument, else $KPIBOT_BOT_API_SPEC, else the default."""
    if spec_path is not None:
        return Path(spec_path)
    from_env = os.environ.get(SPEC_ENV_VAR)
    return Path(from_env) if from_env else DEFAULT_SPEC_PATH


@functools.cache
def load_spec(path: Path) -> BotApiSpec:
    """Parse the spec at `path` once per process, falling back to the built-in spec."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        logger.warning("Official Bot API spec not found at %s; using built-in checks", path)
        return BotApiSpec.from_json(_builtin_spec_json(), source="built-in")
    return BotApiSpec.from_json(data, source="api.json")


# --------------------------------------------------------------------------------------------
# Errors and call records
# --------------------------------------------------------------------------------------------


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


def _bad_request(description: str, detail: str | None = None) -> ApiError:
    """Return the 400 answer to an invalid call."""
    text = f"Bad Request: {description}"
    return ApiError(400, text, reason=f"{text} ({detail})" if detail else text, kind="invalid")


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


# --------------------------------------------------------------------------------------------
# HTML parse mode
# --------------------------------------------------------------------------------------------


class HtmlParseError(ValueError):
    """Markup that Telegram would refuse in HTML parse mode."""


@dataclass(frozen=True)
class FormattedText:
    """Plain text and entities resulting from parsing formatted text."""

    text: str
    entities: tuple[JsonDict, ...] = ()


def utf16_len(text: str) -> int:
    """Return the length of `text` in UTF-16 code units, the unit Telegram counts in."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


@dataclass
class _OpenTag:
    name: str
    attrs: dict[str, str]
    offset: int
    language: str | None = None


_ENTITY_RE = re.compile(r"&(?:(lt|gt|amp|quot)|#(\d+)|#[xX]([0-9a-fA-F]+));")
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


class TelegramHtmlParser:
    """Parses Telegram's HTML parse mode like the Bot API server, but refuses a bare '&' in text."""

    ENTITY_TYPES: ClassVar[Mapping[str, str]] = {
        "b": "bold",
        "strong": "bold",
        "i": "italic",
        "em": "italic",
        "u": "underline",
        "ins": "underline",
        "s": "strikethrough",
        "strike": "strikethrough",
        "del": "strikethrough",
        "code": "code",
        "pre": "pre",
        "a": "text_link",
        "span": "spoiler",
        "tg-spoiler": "spoiler",
        "blockquote": "blockquote",
        "tg-emoji": "custom_emoji",
        "tg-time": "date_time",
    }

    def __init__(self, source: str) -> None:
        self._src = source
        self._pos = 0
        self._out: list[str] = []
        self._length = 0
        self._open: list[_OpenTag] = []
        self._entities: list[JsonDict] = []

    @classmethod
    def parse(cls, source: str) -> FormattedText:
        """Return the text and entities of `source`, or raise `HtmlParseError`."""
        return cls(source)._run()

    def _run(self) -> FormattedText:
        src = self._src
        while self._pos < len(src):
            if src[self._pos] == "&":
                self._emit(self._read_entity(strict=True))
            elif src.startswith("</", self._pos):
                self._end_tag()
            elif src[self._pos] == "<":
                self._start_tag()
            else:
                self._emit(src[self._pos])
                self._pos += 1
        if self._open:
            name = self._open[-1].name
            raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{name}"')
        entities = sorted(self._entities, key=lambda e: (e["offset"], -e["length"]))
        return FormattedText("".join(self._out), tuple(entities))

    def _emit(self, text: str) -> None:
        self._out.append(text)
        self._length += utf16_len(text)

    def _byte_offset(self, index: int) -> int:
        return len(self._src[:index].encode("utf-8", "surrogatepass"))

    def _read_entity(self, *, strict: bool) -> str:
        """Decode the character reference at the cursor and move past it."""
        match = _ENTITY_RE.match(self._src, self._pos)
        if match is None:
            if strict:
                offset = self._byte_offset(self._pos)
                raise HtmlParseError(
                    f'Character "&" at byte offset {offset} must be escaped as "&amp;"'
                )
            self._pos += 1
            return "&"
        named, decimal, hexadecimal = match.groups()
        self._pos = match.end()
        if named:
            return _NAMED_ENTITIES[named]
        code = int(decimal) if decimal else int(hexadecimal, 16)
        if not 0 < code <= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            offset = self._byte_offset(match.start())
            raise HtmlParseError(f"Invalid character reference at byte offset {offset}")
        return chr(code)

    def _skip_spaces(self) -> None:
        while self._pos < len(self._src) and self._src[self._pos].isspace():
            self._pos += 1

    def _scan_name(self, stop: str) -> str:
        start = self._pos
        src = self._src
        while self._pos < len(src) and not src[self._pos].isspace() and src[self._pos] not in stop:
            self._pos += 1
        return src[start : self._pos].lower()

    def _start_tag(self) -> None:
        begin = self._pos
        offset = self._byte_offset(begin)
        self._pos += 1
        name = self._scan_name(">")
        if self._pos >= len(self._src):
            raise HtmlParseError(f"Unclosed start tag at byte offset {offset}")
        if name not in self.ENTITY_TYPES:
            raise HtmlParseError(f'Unsupported start tag "{name}" at byte offset {offset}')
        attrs: dict[str, str] = {}
        while True:
            self._skip_spaces()
            if self._pos >= len(self._src):
                raise HtmlParseError(f"Unclosed start tag at byte offset {offset}")
            if self._src[self._pos] == ">":
                self._pos += 1
                break
            attr = self._scan_name("=>")
            if not attr:
                raise HtmlParseError(
                    f'Empty attribute name in the tag "{name}" at byte offset {offset}'
                )
            self._skip_spaces()
            if self._src.startswith("=", self._pos):
                self._pos += 1
                attrs[attr] = self._attribute_value(offset)
            elif name == "blockquote" and attr == "expandable":
                attrs[attr] = ""
            else:
                raise HtmlParseError(
                    "Expected equal sign in declaration of an attribute of the tag "
                    f'"{name}" at byte offset {offset}'
                )
        self._check_attributes(name, attrs)
        self._open.append(_OpenTag(name, attrs, self._length))

    def _attribute_value(self, tag_offset: int) -> str:
        self._skip_spaces()
        src = self._src
        if self._pos >= len(src):
            raise HtmlParseError(f"Unclosed start tag at byte offset {tag_offset}")
        quote = src[self._pos]
        if quote not in "\"'":
            start = self._pos
            while self._pos < len(src) and (src[self._pos].isalnum() or src[self._pos] in ".-"):
                self._pos += 1
            if self._pos < len(src) and not src[self._pos].isspace() and src[self._pos] != ">":
                offset = self._byte_offset(start)
                raise HtmlParseError(f"Unexpected end of name token at byte offset {offset}")
            return src[start : self._pos].lower()
        self._pos += 1
        value: list[str] = []
        while self._pos < len(src) and src[self._pos] != quote:
            if src[self._pos] == "&":
                value.append(self._read_entity(strict=False))
            else:
                value.append(src[self._pos])
                self._pos += 1
        if self._pos >= len(src):
            raise HtmlParseError(f"Unclosed start tag at byte offset {tag_offset}")
        self._pos += 1
        return "".join(value)

    @staticmethod
    def _check_attributes(name: str, attrs: Mapping[str, str]) -> None:
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise HtmlParseError('Tag "span" must have class "tg-spoiler"')
        if name == "tg-emoji" and not attrs.get("emoji-id", "").isdigit():
            raise HtmlParseError("Custom emoji entity must contain a valid custom emoji identifier")
        if name == "tg-time" and not attrs.get("unix", "").isdigit():
            raise HtmlParseError("Date-time entity must contain a valid Unix time")

    def _end_tag(self) -> None:
        begin = self._pos
        offset = self._byte_offset(begin)
        if not self._open:
            raise HtmlParseError(f"Unexpected end tag at byte offset {offset}")
        self._pos += 2
        name = self._scan_name(">")
        self._skip_spaces()
        if not self._src.startswith(">", self._pos):
            raise HtmlParseError(f"Unclosed end tag at byte offset {offset}")
        self._pos += 1
        tag = self._open[-1]
        if name and name != tag.name:
            raise HtmlParseError(
                f'Unmatched end tag at byte offset {offset}, expected "</{tag.name}>", '
                f'found "</{name}>"'
            )
        self._open.pop()
        self._add_entity(tag)

    def _add_entity(self, tag: _OpenTag) -> None:
        language = tag.attrs.get("class", "").removeprefix("language-")
        if tag.name == "code" and self._open and self._open[-1].name == "pre" and language:
            self._open[-1].language = language
            return
        length = self._length - tag.offset
        if length == 0 or (tag.name == "a" and not tag.attrs.get("href")):
            return
        entity: JsonDict = {"type": self.ENTITY_TYPES[tag.name], "offset": tag.offset}
        entity["length"] = length
        if tag.name == "a":
            entity["url"] = tag.attrs["href"]
        elif tag.name == "pre" and tag.language:
            entity["language"] = tag.language
        elif tag.name == "blockquote" and "expandable" in tag.attrs:
            entity["type"] = "expandable_blockquote"
        elif tag.name == "tg-emoji":
            entity["custom_emoji_id"] = tag.attrs["emoji-id"]
        elif tag.name == "tg-time":
            entity["unix_time"] = int(tag.attrs["unix"])
            if "format" in tag.attrs:
                entity["date_time_format"] = tag.attrs["format"]
        self._entities.append(entity)


# --------------------------------------------------------------------------------------------
# Request decoding and validation
# --------------------------------------------------------------------------------------------

_INTEGER_RE = re.compile(r"[+-]?\d+")
_FLOAT_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_BOOLEANS = {"true": True, "false": False, "1": True, "0": False}
_PARSE_MODES = frozenset({"", "html", "markdown", "markdownv2"})
_LENGTH_ERRORS = {  # Telegram's own wording for some fields; other fields get a generic one
    "text": "message is too long",
    "caption": "message caption is too long",
    "callback_data": "BUTTON_DATA_INVALID",
}
_PATTERNS: Mapping[tuple[str, str], tuple[re.Pattern[str], str]] = {
    ("BotCommand", "command"): (re.compile(r"[a-z0-9_]+"), "BOT_COMMAND_INVALID"),
    ("setWebhook", "secret_token"): (
        re.compile(r"[A-Za-z0-9_-]+"),
        "secret token contains unallowed characters",
    ),
}


def decode_request(
    query: str, content_type: str, body: bytes
) -> tuple[dict[str, str], dict[str, UploadedFile]]:
    """Split a request into raw string fields and uploaded files, as the Bot API server does."""
    fields = dict(parse_qsl(query, keep_blank_values=True))
    files: dict[str, UploadedFile] = {}
    mime = content_type.partition(";")[0].strip().lower()
    if mime == "application/json":
        data = json.loads(body or b"{}")
        if not isinstance(data, dict):
            raise ValueError("the JSON body must be an object")
        fields.update(
            {
                k: v if isinstance(v, str) else json.dumps(v)
                for k, v in data.items()
                if v is not None
            }
        )
    elif mime == "application/x-www-form-urlencoded":
        fields.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    elif mime == "multipart/form-data":
        form_fields, files = _parse_multipart(content_type, body)
        fields.update(form_fields)
    elif body:
        raise ValueError(f"unsupported Content-Type {content_type!r}")
    return fields, files


def _parse_multipart(
    content_type: str, body: bytes
) -> tuple[dict[str, str], dict[str, UploadedFile]]:
    """Parse a multipart/form-data body with the stdlib email parser."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = BytesParser(_class=EmailMessage, policy=email.policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise ValueError("malformed multipart body")
    fields: dict[str, str] = {}
    files: dict[str, UploadedFile] = {}
    for part in message.iter_parts():
        name = _header_param(part, "name")
        payload = part.get_payload(decode=True)
        if name is None or not isinstance(payload, bytes):
            raise ValueError("malformed multipart part")
        filename = _header_param(part, "filename")
        if filename is None:
            fields[name] = payload.decode("utf-8")
        else:
            files[name] = UploadedFile(name, filename, payload, part.get_content_type())
    return fields, files


def _header_param(part: MIMEPart, param: str) -> str | None:
    """Return a Content-Disposition parameter, undoing the parser's surrogate escapes."""
    value = part.get_param(param, header="content-disposition")
    if value is None:
        return None
    text = collapse_rfc2231_value(value)
    return text.encode("utf-8", "surrogateescape").decode("utf-8")


def _attached(value: str, files: Mapping[str, UploadedFile]) -> UploadedFile | None:
    """Return the uploaded file an ``attach://<name>`` value refers to."""
    return files.get(value.removeprefix("attach://")) if value.startswith("attach://") else None


def _type_error(path: str, types: tuple[str, ...]) -> ApiError:
    return _bad_request(f'parameter "{path}" must be {" or ".join(types)}')


class SpecValidator:
    """Decodes and checks Bot API calls against a `BotApiSpec`."""

    def __init__(self, spec: BotApiSpec) -> None:
        self._spec = spec

    def validate(
        self, method: ObjectSpec, fields: Mapping[str, str], files: Mapping[str, UploadedFile]
    ) -> JsonDict:
        """Return the decoded parameters of a call, or raise `ApiError` (kind "invalid")."""
        raw: dict[str, str | UploadedFile] = dict(fields)
        raw.update({name: file for name, file in files.items() if name in method.fields})
        params = {
            name: self._decode(method.fields[name], value, files)
            if name in method.fields
            else value
            for name, value in raw.items()
        }
        self._check_object(params, method, "", files)
        return params

    def _decode(
        self, spec: FieldSpec, raw: str | UploadedFile, files: Mapping[str, UploadedFile]
    ) -> Any:
        """Turn a form value into the Python value its spec type says it is."""
        if isinstance(raw, UploadedFile):
            if "InputFile" in spec.types:
                return raw
            raise _type_error(spec.name, spec.types)
        for type_name in spec.types:
            if type_name == "Integer" and _INTEGER_RE.fullmatch(raw):
                return int(raw)
            if type_name == "Float" and _FLOAT_RE.fullmatch(raw):
                return float(raw)
            if type_name == "Boolean" and raw.lower() in _BOOLEANS:
                return _BOOLEANS[raw.lower()]
            if type_name == "String":
                return raw
            if type_name == "InputFile" and _attached(raw, files):
                return _attached(raw, files)
            if type_name not in _SCALAR_TYPES:
                try:
                    return json.loads(raw)
                except ValueError:
                    raise _bad_request(f"can't parse {spec.name} JSON object", raw[:80]) from None
        raise _type_error(spec.name, spec.types)

    def _check_object(
        self, obj: Mapping[str, Any], spec: ObjectSpec, path: str, files: Mapping[str, UploadedFile]
    ) -> None:
        prefix = f"{path}." if path else ""
        for key in obj:
            if key not in spec.fields:
                raise _bad_request(
                    f'unknown parameter "{prefix}{key}"', f"not a field of {spec.name}"
                )
        for field_spec in spec.fields.values():
            full_path = prefix + field_spec.name
            if obj.get(field_spec.name) is None:
                needed = field_spec.required or (
                    field_spec.required_unless
                    and all(obj.get(other) is None for other in field_spec.required_unless)
                )
                if not needed:
                    continue
                if field_spec.name == "text":
                    raise _bad_request("message text is empty", f"{spec.name} needs text")
                raise _bad_request(f'parameter "{full_path}" is required', spec.name)
            self._check_value(obj[field_spec.name], field_spec.types, full_path, files)
            if isinstance(obj[field_spec.name], str):
                self._check_text(obj, spec, field_spec, full_path)

    def _check_value(
        self, value: Any, types: tuple[str, ...], path: str, files: Mapping[str, UploadedFile]
    ) -> None:
        """Accept `value` if it matches any of `types`; else raise the most relevant error."""
        errors: list[tuple[int, ApiError]] = []
        for type_name in types:
            try:
                self._check_type(value, type_name, path, files)
            except ApiError as error:
                errors.append((self._affinity(value, type_name), error))
            else:
                return
        raise max(errors, key=lambda scored: scored[0])[1]

    def _check_type(
        self, value: Any, type_name: str, path: str, files: Mapping[str, UploadedFile]
    ) -> None:
        if type_name.startswith(_ARRAY_PREFIX):
            if not isinstance(value, list):
                raise _type_error(path, (type_name,))
            item_type = (type_name.removeprefix(_ARRAY_PREFIX),)
            for index, item in enumerate(value):
                self._check_value(item, item_type, f"{path}[{index}]", files)
            return
        if type_name in _SCALAR_TYPES:
            if not self._is_scalar(value, type_name, files):
                raise _type_error(path, (type_name,))
            return
        if not isinstance(value, dict):
            raise _type_error(path, (type_name,))
        spec = self._spec.types.get(type_name)
        if spec is None:
            return  # types the spec does not describe are accepted as any object
        if spec.subtypes:
            self._check_value(value, self._subtype_candidates(spec, value, path), path, files)
        elif spec.fields:
            self._check_object(value, spec, path, files)

    def _subtype_candidates(
        self, spec: ObjectSpec, value: Mapping[str, Any], path: str
    ) -> tuple[str, ...]:
        """Pick the subtypes whose discriminator (e.g. ``type: "chat"``) matches `value`."""
        subtypes = [self._spec.types[name] for name in spec.subtypes if name in self._spec.types]
        discriminated = {
            sub.name: [(f.name, f.fixed_value) for f in sub.fields.values() if f.fixed_value]
            for sub in subtypes
        }
        matching = tuple(
            name
            for name, pairs in discriminated.items()
            if pairs and all(value.get(key) == fixed for key, fixed in pairs)
        )
        if matching or not any(discriminated.values()):
            return matching or spec.subtypes
        allowed = sorted(fixed for pairs in discriminated.values() for _, fixed in pairs)
        raise _bad_request(f'unsupported {spec.name} in parameter "{path}"', f"expected {allowed}")

    @staticmethod
    def _is_scalar(value: Any, type_name: str, files: Mapping[str, UploadedFile]) -> bool:
        if type_name == "Integer":
            return isinstance(value, int) and not isinstance(value, bool)
        if type_name == "Float":
            return isinstance(value, int | float) and not isinstance(value, bool)
        if type_name == "Boolean":
            return isinstance(value, bool)
        if type_name == "String":
            return isinstance(value, str)
        return isinstance(value, UploadedFile) or (
            isinstance(value, str) and _attached(value, files) is not None
        )

    def _affinity(self, value: Any, type_name: str) -> int:
        """Score how plausibly `value` was meant to be a `type_name`, to pick the error to show."""
        if type_name.startswith(_ARRAY_PREFIX):
            return int(isinstance(value, list))
        if not isinstance(value, dict) or type_name in _SCALAR_TYPES:
            return 0
        spec = self._spec.types.get(type_name)
        names = set(spec.fields) if spec else set()
        for subtype in spec.subtypes if spec else ():
            names.update(self._spec.types[subtype].fields if subtype in self._spec.types else ())
        return 1 + len(names & value.keys())

    @staticmethod
    def _check_text(
        obj: Mapping[str, Any], spec: ObjectSpec, field_spec: FieldSpec, path: str
    ) -> None:
        """Check parse modes, HTML markup, patterns and length limits of a string field."""
        value: str = obj[field_spec.name]
        if field_spec.name.endswith("parse_mode"):
            if value.lower() not in _PARSE_MODES:
                raise _bad_request("unsupported parse_mode", f"{path}={value!r}")
            return
        pattern = _PATTERNS.get((spec.name, field_spec.name))
        if pattern and not pattern[0].fullmatch(value):
            raise _bad_request(pattern[1], f"{path}={value!r}")
        mode_field = spec.parse_mode_field(field_spec.name)
        mode = obj.get(mode_field) if mode_field else None
        mode = mode.lower() if isinstance(mode, str) else ""
        text = value
        if mode == "html":
            try:
                text = TelegramHtmlParser.parse(value).text
            except HtmlParseError as error:
                raise _bad_request(f"can't parse entities: {error}", path) from None
        if field_spec.limit is None or mode not in ("", "html"):
            return  # Markdown is not parsed, so its length after parsing is unknown
        low, high, unit = field_spec.limit
        if field_spec.name == "text" and low and not text.strip():
            raise _bad_request("message text is empty", path)
        if unit == "byte":
            size, unit_name = len(text.encode("utf-8")), "bytes"
        elif mode_field or field_spec.after_entities:
            size, unit_name = utf16_len(text), "UTF-16 code units"
        else:
            size, unit_name = len(text), "characters"
        if not low <= size <= high:
            description = f'parameter "{path}" must be {low}-{high} {unit}s long'
            if size > high or field_spec.name == "callback_data":
                description = _LENGTH_ERRORS.get(field_spec.name, description)
            raise _bad_request(description, f"{path} is {size} {unit_name}, allowed {low}-{high}")


# --------------------------------------------------------------------------------------------
# Server state and method behaviour
# --------------------------------------------------------------------------------------------

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


def _without_reply(message: Mapping[str, Any]) -> JsonDict:
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
            "getfile": self._get_file,
        }

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
            content["reply_to_message"] = _without_reply(target) if target else None
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
        size = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "width": 800,
            "height": 600,
            "file_size": len(stored.content),
        }
        return self._send(params, {"photo": [size], **self._caption(params)})

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


# --------------------------------------------------------------------------------------------
# Faults and flood control
# --------------------------------------------------------------------------------------------


@dataclass
class _Fault:
    status: int
    retry_after: int
    description: str | None
    remaining: int

    def error(self) -> ApiError:
        if self.status == HTTPStatus.TOO_MANY_REQUESTS:
            description = self.description or f"Too Many Requests: retry after {self.retry_after}"
            return ApiError(self.status, description, retry_after=self.retry_after)
        try:
            default = HTTPStatus(self.status).phrase
        except ValueError:
            default = "Error"
        return ApiError(self.status, self.description or default)


def _is_message_send(method: str) -> bool:
    name = method.lower()
    return (name.startswith(("send", "copymessage", "forwardmessage"))) and name != "sendchataction"


class FloodControl:
    """Token buckets approximating Telegram's limits on sending messages."""

    OVERALL = (30.0, 30.0)  # capacity (burst), refill per second
    PRIVATE_CHAT = (3.0, 1.0)
    GROUP_CHAT = (20.0, 20.0 / 60.0)

    def __init__(self) -> None:
        self._buckets: dict[object, tuple[float, float]] = {}

    def acquire(self, chat_id: object, now: float) -> int:
        """Take a message slot for `chat_id`; return 0, or the seconds to wait if flooded."""
        limits: list[tuple[object, tuple[float, float]]] = [("overall", self.OVERALL)]
        if chat_id is not None:
            private = isinstance(chat_id, int) and chat_id > 0
            limits.append((chat_id, self.PRIVATE_CHAT if private else self.GROUP_CHAT))
        levels: dict[object, float] = {}
        wait = 0.0
        for key, (capacity, rate) in limits:
            tokens, last = self._buckets.get(key, (capacity, now))
            levels[key] = min(capacity, tokens + (now - last) * rate)
            if levels[key] < 1:
                wait = max(wait, (1 - levels[key]) / rate)
        if wait:
            return max(1, math.ceil(wait))
        for key, level in levels.items():
            self._buckets[key] = (level - 1, now)
        return 0


# --------------------------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------------------------

_API_PATH_RE = re.compile(r"/bot([^/]+)/([A-Za-z0-9_]+)/?")
_FILE_PATH_RE = re.compile(r"/file/bot([^/]+)/(.+)")


class _Server(ThreadingHTTPServer):
    """The HTTP server; tracks connections so that `stop()` can close them."""

    daemon_threads = False
    block_on_close = True

    def __init__(self, fake: FakeBotAPI) -> None:
        self.fake = fake
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _RequestHandler)

    def server_bind(self) -> None:
        """Bind without HTTPServer's reverse DNS lookup of the host name."""
        socketserver.TCPServer.server_bind(self)
        self.server_name = "127.0.0.1"
        self.server_port = int(self.socket.getsockname()[1])

    def track(self, connection: socket.socket, *, open_: bool) -> None:
        """Remember or forget an open client connection."""
        with self._connections_lock:
            if open_:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def close_connections(self) -> None:
        """Shut down every client connection so their handler threads end."""
        with self._connections_lock:
            for connection in self._connections:
                try:
                    connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Log handler errors (mostly clients that went away) instead of printing them."""
        logger.debug("Error serving %r from %s", request, client_address, exc_info=True)


class _RequestHandler(BaseHTTPRequestHandler):
    """Reads a request, hands it to the fake and writes the answer."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else headers and body in two packets cost 40 ms per call
    server: _Server

    def setup(self) -> None:
        """Register the connection with the server."""
        super().setup()
        self.server.track(self.connection, open_=True)

    def finish(self) -> None:
        """Unregister the connection."""
        try:
            super().finish()
        finally:
            self.server.track(self.connection, open_=False)

    def do_GET(self) -> None:
        """Serve a GET request."""
        self._serve()

    def do_POST(self) -> None:
        """Serve a POST request."""
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        """Log requests at debug level instead of printing them."""
        logger.debug("%s %s", self.address_string(), format % args)

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() != "chunked":
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))
        chunks = []
        while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
            chunks.append(self.rfile.read(size))
            self.rfile.readline()
        while self.rfile.readline().strip():
            pass  # trailer headers
        return b"".join(chunks)

    def _serve(self) -> None:
        url = urlsplit(self.path)
        status, content_type, body = self.server.fake.serve_http(
            unquote(url.path), url.query, self.headers.get("Content-Type", ""), self._read_body()
        )
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


# --------------------------------------------------------------------------------------------
# The fake
# --------------------------------------------------------------------------------------------

_COMMAND_RE = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{1,64})?(?=\s|$)")


def _json_bytes(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


class FakeBotAPI:
    """The Bot API emulator for the sandbox and the tests; see the module docstring."""

    def __init__(
        self,
        token: str = "123:TEST",
        spec_path: str | Path | None = None,
        rate_limits: bool = False,
        *,
        bot_username: str = "kpi_test_bot",
        bot_name: str = "KPI Bot",
        clock: Callable[[], float] = time.time,
    ) -> None:
        bot_id, _, _ = token.partition(":")
        if not bot_id.isdigit():
            raise ValueError(f"token {token!r} must start with the numeric bot id")
        self.token = token
        self.rate_limits = rate_limits
        self.spec = load_spec(resolve_spec_path(spec_path))
        self.bot_user: JsonDict = {
            "id": int(bot_id),
            "is_bot": True,
            "first_name": bot_name,
            "username": bot_username,
        }
        self._validator = SpecValidator(self.spec)
        self._cond = threading.Condition(threading.RLock())
        self._state = FakeState(self.bot_user, self._cond, clock)
        self._flood = FloodControl()
        self._faults: dict[str, list[_Fault]] = {}
        self._blocked: set[int] = set()
        self._calls: list[ApiCall] = []
        self._invalid: list[ApiCall] = []
        self._rejected: list[ApiCall] = []
        self._rate_limited: list[ApiCall] = []
        self._deliveries: list[tuple[int, int]] = []
        self._server: _Server | None = None
        self._client: httpx.Client | None = None
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()

    # ---- lifecycle ----

    def start(self) -> FakeBotAPI:
        """Start serving on a free port of 127.0.0.1."""
        if self._server is not None:
            raise RuntimeError("FakeBotAPI is already running")
        self._server = _Server(self)
        self._threads = [
            threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.01},
                name="fake-bot-api-http",
            ),
            threading.Thread(target=self._run_webhook_delivery, name="fake-bot-api-webhook"),
        ]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, end long polls and close every connection."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        with self._cond:
            self._state.close()
        server.shutdown()
        server.close_connections()
        server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        if self._client is not None:
            self._client.close()
            self._client = None

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

    # ---- serving ----

    def serve_http(
        self, path: str, query: str, content_type: str, body: bytes
    ) -> tuple[int, str, bytes]:
        """Answer one HTTP request: (status, content type, body)."""
        file_match = _FILE_PATH_RE.fullmatch(path)
        if file_match:
            return self._serve_file(*file_match.groups())
        api_match = _API_PATH_RE.fullmatch(path)
        if api_match is None:
            not_found = ApiError(404, "Not Found")
            return 404, "application/json", _json_bytes(not_found.payload())
        token, method = api_match.groups()
        try:
            fields, files = decode_request(query, content_type, body)
        except ValueError as error:
            invalid = _bad_request("can't parse request body", str(error))
            self._record(
                ApiCall(method, {}, time.time(), 400, invalid.payload(), invalid.reason), "invalid"
            )
            return 400, "application/json", _json_bytes(invalid.payload())
        status, payload = self._call_api(token, method, fields, files)
        return status, "application/json", _json_bytes(payload)

    def _serve_file(self, token: str, file_path: str) -> tuple[int, str, bytes]:
        with self._cond:
            stored = next((f for f in self._state.files.values() if f.file_path == file_path), None)
        if token != self.token or stored is None:
            return 404, "application/json", _json_bytes(ApiError(404, "Not Found").payload())
        return 200, stored.mime_type, stored.content

    def _call_api(
        self, token: str, name: str, fields: dict[str, str], files: dict[str, UploadedFile]
    ) -> tuple[int, JsonDict]:
        started = time.time()
        method = self.spec.method(name)
        method_name = method.name if method else name
        params: JsonDict = {**fields, **files}
        try:
            if token != self.token:
                raise ApiError(401, "Unauthorized", reason="wrong bot token", kind="invalid")
            if method is not None:
                params = self._validator.validate(method, fields, files)
            elif self.spec.source == "api.json":
                raise ApiError(404, "Not Found", reason=f"unknown method {name!r}", kind="invalid")
            with self._cond:
                self._check_faults(method_name, params)
                result = self._state.handle(method_name, params)
        except ApiError as error:
            call = ApiCall(
                method_name, params, started, error.status, error.payload(), error.reason
            )
            self._record(call, error.kind)
            return error.status, error.payload()
        payload = {"ok": True, "result": result}
        self._record(ApiCall(method_name, params, started, 200, payload), "ok")
        return 200, payload

    def _check_faults(self, method: str, params: JsonDict) -> None:
        faults = self._faults.get(method.lower())
        if faults:
            fault = faults[0]
            fault.remaining -= 1
            if fault.remaining <= 0:
                faults.pop(0)
            raise fault.error()
        chat_id = params.get("chat_id")
        if isinstance(chat_id, int) and chat_id in self._blocked:
            if chat_id > 0:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            raise ApiError(403, "Forbidden: bot was kicked from the group chat")
        if self.rate_limits and _is_message_send(method):
            retry_after = self._flood.acquire(chat_id, time.monotonic())
            if retry_after:
                raise ApiError(
                    429,
                    f"Too Many Requests: retry after {retry_after}",
                    retry_after=retry_after,
                    kind="rate_limited",
                )

    def _record(self, call: ApiCall, kind: CallKind) -> None:
        with self._cond:
            self._calls.append(call)
            if kind == "invalid":
                self._invalid.append(call)
                logger.warning("Invalid Bot API call %s: %s", call.method, call.reason)
            elif kind != "ok":
                self._rejected.append(call)
            if kind == "rate_limited":
                self._rate_limited.append(call)

    # ---- webhook delivery ----

    def _http_client(self) -> httpx.Client:
        """The client that POSTs to webhooks, made on first use (making one takes ~50 ms)."""
        with self._cond:
            if self._client is None:
                self._client = httpx.Client(timeout=5.0)
            return self._client

    def _run_webhook_delivery(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(
                    lambda: (
                        self._stopping.is_set() or self._state.next_webhook_delivery() is not None
                    )
                )
                delivery = self._state.next_webhook_delivery()
                if self._stopping.is_set() or delivery is None:
                    return
            url, secret, update = delivery
            status = self._post_update(url, secret, update)
            with self._cond:
                if update in self._state.pending:
                    self._state.pending.remove(update)
                self._deliveries.append((update["update_id"], status))

    def _post_update(self, url: str, secret: str | None, update: JsonDict) -> int:
        """POST an update, retrying briefly like Telegram; 0 means the URL was unreachable."""
        headers = {SECRET_HEADER: secret} if secret else {}
        deadline = time.monotonic() + 5.0
        status = 0
        while not self._stopping.is_set():
            try:
                status = self._http_client().post(url, json=update, headers=headers).status_code
            except httpx.TransportError:
                status = 0
            if 0 < status < 500 or time.monotonic() > deadline:
                break
            self._stopping.wait(0.05)
        return status

    async def deliver_webhook(
        self, update: Mapping[str, Any] | int, secret: str | None = None
    ) -> int:
        """POST an update (or the update with this id) to the webhook; return the HTTP status.

        `secret` overrides the stored secret token; pass "" to send no secret header.
        """
        with self._cond:
            url = self._state.webhook.get("url")
            stored_secret = self._state.webhook.get("secret_token")
            body = self._state.updates_by_id[update] if isinstance(update, int) else dict(update)
        if not url:
            raise RuntimeError("no webhook is set; the bot must call setWebhook first")
        token = stored_secret if secret is None else secret
        headers = {SECRET_HEADER: token} if token else {}
        post = functools.partial(self._http_client().post, url, json=body, headers=headers)
        return (await asyncio.to_thread(post)).status_code

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
            content = {"text": text, "reply_to_message": _without_reply(current)}
            reply = self._state.add_message(chat, user.to_dict(), content)
            return self._state.push_update("message", reply)

    # ---- faults ----

    def fail_next(
        self,
        method: str,
        status: int = 429,
        retry_after: int = 3,
        count: int = 1,
        description: str | None = None,
    ) -> None:
        """Make the next `count` calls of `method` fail with `status` (429 carries retry_after)."""
        if self.spec.source == "api.json" and self.spec.method(method) is None:
            raise ValueError(f"unknown Bot API method {method!r}")
        with self._cond:
            fault = _Fault(status, retry_after, description, count)
            self._faults.setdefault(method.lower(), []).append(fault)

    def block(self, chat_id: int) -> None:
        """Make every call for `chat_id` fail with 403, as if the user blocked the bot."""
        with self._cond:
            self._blocked.add(chat_id)

    def unblock(self, chat_id: int) -> None:
        """Undo `block`."""
        with self._cond:
            self._blocked.discard(chat_id)

    # ---- queries ----

    @property
    def calls(self) -> list[ApiCall]:
        """Every call so far, in the order they were answered."""
        with self._cond:
            return list(self._calls)

    @property
    def invalid_calls(self) -> list[ApiCall]:
        """Calls that broke the Bot API contract (bugs in the bot)."""
        with self._cond:
            return list(self._invalid)

    @property
    def rejected_calls(self) -> list[ApiCall]:
        """Valid calls that failed: not found, not modified, blocked, injected faults, floods."""
        with self._cond:
            return list(self._rejected)

    @property
    def rate_limited(self) -> list[ApiCall]:
        """Calls answered 429 by the flood control of ``rate_limits=True``."""
        with self._cond:
            return list(self._rate_limited)

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
        with self._cond:
            return list(self._deliveries)

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
        calls = self.calls
        lines = [f"Bot API calls (last {min(last, len(calls))} of {len(calls)}):"]
        for call in calls[-last:]:
            params = json.dumps(call.params, ensure_ascii=False, default=repr)
            lines.append(f"  {call.method} -> {call.status} {params[:300]}")
            if not call.ok:
                lines.append(f"      {call.reason}")
        lines.extend(f"invalid: {call.method}: {call.reason}" for call in self.invalid_calls)
        return "\n".join(lines)

    def assert_no_invalid_calls(self) -> None:
        """Fail if the bot broke the Bot API contract."""
        invalid = self.invalid_calls
        if invalid:
            details = "\n".join(
                f"  {call.method} {call.params!r}: {call.reason}" for call in invalid
            )
            raise AssertionError(f"{len(invalid)} invalid Bot API call(s):\n{details}")

    async def wait_for(
        self, predicate: Callable[[], T], timeout: float = 5.0, what: str = "condition"
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
        self, chat_id: int, count: int = 1, timeout: float = 5.0
    ) -> list[JsonDict]:
        """Wait until the bot has `count` messages in a chat; return them all."""

        def enough() -> list[JsonDict]:
            messages = self.messages(chat_id)
            return messages if len(messages) >= count else []

        return await self.wait_for(enough, timeout, f"{count} bot message(s) in chat {chat_id}")
