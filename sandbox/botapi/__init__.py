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

A call comes in through `http_server` to `endpoint`, which decodes it (`decoding`), checks it
against the spec (`spec`, loaded by `spec_source`) with `validation` and `parse_mode` (Telegram's
HTML), applies `faults`, lets `state` act on it, and files it in `records`; `errors` holds the
error answers, `webhooks` delivers updates to a webhook, and `fake` assembles it all.
"""

from sandbox.botapi.decoding import decode_request
from sandbox.botapi.errors import ApiError, CallKind
from sandbox.botapi.fake import FakeBotAPI
from sandbox.botapi.faults import FloodControl
from sandbox.botapi.parse_mode import FormattedText, HtmlParseError, TelegramHtmlParser, utf16_len
from sandbox.botapi.records import ApiCall, FakeUser, StoredFile, UploadedFile
from sandbox.botapi.spec import BotApiSpec, FieldSpec, JsonDict, ObjectSpec
from sandbox.botapi.spec_source import DEFAULT_SPEC_PATH, SPEC_ENV_VAR, load_spec, resolve_spec_path
from sandbox.botapi.state import NOT_MODIFIED, QUERY_TOO_OLD, FakeState
from sandbox.botapi.validation import SpecValidator
from sandbox.botapi.webhooks import SECRET_HEADER

__all__ = [
    "DEFAULT_SPEC_PATH",
    "NOT_MODIFIED",
    "QUERY_TOO_OLD",
    "SECRET_HEADER",
    "SPEC_ENV_VAR",
    "ApiCall",
    "ApiError",
    "BotApiSpec",
    "CallKind",
    "FakeBotAPI",
    "FakeState",
    "FakeUser",
    "FieldSpec",
    "FloodControl",
    "FormattedText",
    "HtmlParseError",
    "JsonDict",
    "ObjectSpec",
    "SpecValidator",
    "StoredFile",
    "TelegramHtmlParser",
    "UploadedFile",
    "decode_request",
    "load_spec",
    "resolve_spec_path",
    "utf16_len",
]
