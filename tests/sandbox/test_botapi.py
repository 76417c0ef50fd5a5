"""Tests of the fake Telegram Bot API itself: raw HTTP calls and a real `telegram.Bot`."""

from __future__ import annotations

import asyncio
import html
import json
import logging
import ssl
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from telegram import Bot, BotCommand, ForceReply, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter
from telegram.request import HTTPXRequest

from sandbox.botapi import (
    DEFAULT_SPEC_PATH,
    SECRET_HEADER,
    SPEC_ENV_VAR,
    FakeBotAPI,
    TelegramHtmlParser,
    resolve_spec_path,
    utf16_len,
)

CHAT = 1001
ROOT = Path(__file__).resolve().parents[2]
# Every new httpx client loads the CA bundle (~50 ms) unless it is handed a ready SSL context.
TLS = ssl.create_default_context()


@pytest.fixture
def fake() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as server:
        yield server


@pytest.fixture
def small_spec(tmp_path: Path) -> Path:
    """A spec file in api.json's shape describing two methods, for tests of the api.json mode."""
    text = {"name": "text", "types": ["String"], "required": True, "description": ""}
    chat_id = {"name": "chat_id", "types": ["Integer", "String"], "required": True}
    methods = {
        "getMe": {"name": "getMe", "fields": []},
        "sendMessage": {"name": "sendMessage", "fields": [chat_id, text]},
    }
    path = tmp_path / "api.json"
    path.write_text(json.dumps({"methods": methods, "types": {}}), encoding="utf-8")
    return path


@pytest.fixture
def official_spec() -> Path:
    """The official spec's path; the test is skipped where it is absent (a clone on its own)."""
    path = resolve_spec_path()
    if not path.is_file():
        pytest.skip(f"needs the official Bot API spec, not found at {path}")
    return path


@pytest.fixture(params=["small_spec", "official_spec"])
def api_json(request: pytest.FixtureRequest) -> Path:
    """A spec in api.json's shape: the tests' own small one, and the official one where present."""
    return Path(request.getfixturevalue(request.param))


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    """One plain HTTP client for the module's raw calls."""
    with httpx.Client(timeout=5, verify=TLS) as client:
        yield client


def api_client(http: httpx.Client, fake: FakeBotAPI) -> httpx.Client:
    """Point the shared client at the method URLs of `fake`."""
    http.base_url = httpx.URL(f"{fake.base_url}{fake.token}/")
    return http


@pytest.fixture
def api(fake: FakeBotAPI, http: httpx.Client) -> httpx.Client:
    return api_client(http, fake)


@pytest.fixture
async def bot(fake: FakeBotAPI) -> AsyncIterator[Bot]:
    async with Bot(
        fake.token,
        base_url=fake.base_url,
        base_file_url=fake.base_file_url,
        request=HTTPXRequest(httpx_kwargs={"verify": TLS}),
        get_updates_request=HTTPXRequest(httpx_kwargs={"verify": TLS}),
    ) as bot:
        yield bot


def keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(d.title(), callback_data=d) for d in data]])


def raw_keyboard(**button: Any) -> str:
    return json.dumps({"inline_keyboard": [[{"text": "Button", **button}]]})


def keyboard_of(rows: int, per_row: int) -> str:
    button = {"text": "Button", "callback_data": "a"}
    return json.dumps({"inline_keyboard": [[button] * per_row for _ in range(rows)]})


# ---- a real python-telegram-bot Bot ------------------------------------------------------


async def test_ptb_bot_round_trip_makes_no_invalid_call(fake: FakeBotAPI, bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (123, "kpi_test_bot", True)

    sent = await bot.send_message(
        CHAT, "<b>Xin chào</b> 😀 &amp; <i>bạn</i>", ParseMode.HTML, reply_markup=keyboard("yes")
    )
    assert sent.text == "Xin chào 😀 & bạn"
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [
        ("bold", 0, 8),
        ("italic", 14, 3),  # the emoji counts as two UTF-16 code units
    ]
    assert sent.reply_markup == keyboard("yes")
    assert sent.from_user is not None and sent.from_user.id == me.id

    edited = await bot.edit_message_text(
        "Đã <b>lưu</b>", CHAT, sent.message_id, parse_mode=ParseMode.HTML
    )
    assert isinstance(edited, type(sent)) and edited.edit_date is not None
    assert fake.last_message(CHAT)["text"] == "Đã lưu"
    assert "reply_markup" not in fake.last_message(CHAT)  # editing text without markup drops it

    content = bytes(range(256)) * 4 + b"\r\n--boundary\r\n"
    document = await bot.send_document(
        CHAT, content, filename="Báo cáo KPI.xlsx", caption="<b>Quý 3</b>", parse_mode="HTML"
    )
    assert document.document is not None and document.caption == "Quý 3"
    [stored] = fake.documents(CHAT)
    assert (stored.file_name, stored.content) == ("Báo cáo KPI.xlsx", content)
    file = await bot.get_file(document.document.file_id)
    assert bytes(await file.download_as_bytearray()) == content

    photo = await bot.send_photo(CHAT, b"\x89PNG fake")
    assert photo.photo and photo.photo[-1].file_size == 9

    assert [m["message_id"] for m in fake.messages(CHAT)] == [1, 2, 3]
    assert [c.method for c in fake.calls] == [
        "getMe",
        "getMe",
        "sendMessage",
        "editMessageText",
        "sendDocument",
        "getFile",
        "sendPhoto",
    ]
    fake.assert_no_invalid_calls()
    assert fake.rejected_calls == []


async def test_edit_errors_are_rejected_not_invalid(fake: FakeBotAPI, bot: Bot) -> None:
    sent = await bot.send_message(CHAT, "Hi", reply_markup=keyboard("a"))
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("Hi", CHAT, sent.message_id, reply_markup=keyboard("a"))
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_reply_markup(CHAT, sent.message_id, reply_markup=keyboard("a"))
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("Hi", CHAT, 999)

    await bot.edit_message_reply_markup(CHAT, sent.message_id, reply_markup=keyboard("b"))
    assert fake.last_message(CHAT)["reply_markup"] == keyboard("b").to_dict()
    assert await bot.delete_message(CHAT, sent.message_id)
    assert fake.messages(CHAT) == []

    assert [c.status for c in fake.rejected_calls] == [400, 400, 400]
    fake.assert_no_invalid_calls()


async def test_buttons_replies_and_callback_answers(fake: FakeBotAPI, bot: Bot) -> None:
    user = fake.user(CHAT, "An")
    await bot.send_message(CHAT, "Chọn:", reply_markup=keyboard("yes", "no"))
    with pytest.raises(ValueError, match="no button"):
        fake.press_button(user, fake.last_message(CHAT), "maybe")

    update_id = fake.press_button(user, fake.last_message(CHAT), "yes")
    [update] = await bot.get_updates(timeout=1)
    query = update.callback_query
    assert update.update_id == update_id and query is not None
    assert (query.data, query.from_user.first_name) == ("yes", "An")
    assert query.message is not None and query.message.message_id == 1

    assert await bot.answer_callback_query(query.id, text="Đã chọn")
    with pytest.raises(BadRequest, match="[Qq]uery is too old"):
        await bot.answer_callback_query(query.id)
    assert fake.callback_answers == [{"callback_query_id": query.id, "text": "Đã chọn"}]

    prompt = await bot.send_message(CHAT, "Lý do?", reply_markup=ForceReply())
    assert prompt.reply_markup is None  # Telegram only echoes inline keyboards
    fake.reply_to(user, fake.last_message(CHAT), "Vì vậy")
    [reply] = await bot.get_updates(offset=update_id + 1, timeout=1)
    assert reply.message is not None and reply.message.reply_to_message is not None
    assert (reply.message.text, reply.message.reply_to_message.text) == ("Vì vậy", "Lý do?")
    fake.assert_no_invalid_calls()


async def test_commands_are_stored_per_language_and_scope(fake: FakeBotAPI, bot: Bot) -> None:
    await bot.set_my_commands([BotCommand("start", "Bắt đầu")], language_code="vi")
    await bot.set_my_commands([BotCommand("help", "Help")])
    assert fake.commands("vi") == [{"command": "start", "description": "Bắt đầu"}]
    assert fake.commands() == [{"command": "help", "description": "Help"}]
    assert await bot.get_my_commands(language_code="vi") == (BotCommand("start", "Bắt đầu"),)
    await bot.delete_my_commands(language_code="vi")
    assert fake.commands("vi") == []
    fake.assert_no_invalid_calls()

    with pytest.raises(BadRequest, match="(?i)bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Start", "Capitalised")])
    assert len(fake.invalid_calls) == 1


async def test_group_chat_commands_carry_utf16_entities(fake: FakeBotAPI, bot: Bot) -> None:
    user = fake.user(7, "Bình")
    fake.send_text(user, "/kpi@kpi_test_bot quý 3", chat_type="group", chat_id=-500)
    [update] = await bot.get_updates()
    message = update.message
    assert message is not None and message.chat.type == "group" and message.chat.id == -500
    assert [(e.type, e.offset, e.length) for e in message.entities] == [("bot_command", 0, 17)]
    assert message.text is not None and message.parse_entity(message.entities[0]) == (
        "/kpi@kpi_test_bot"
    )
    with pytest.raises(ValueError, match="negative"):
        fake.send_text(user, "hi", chat_type="group", chat_id=5)


# ---- validation, over raw HTTP -----------------------------------------------------------


INVALID_CALLS = [
    ("sendMessage", {"chat_id": "1"}, "message text is empty"),
    ("sendMessage", {"chat_id": "1", "text": "  "}, "message text is empty"),
    ("editMessageText", {"chat_id": "1", "message_id": "x", "text": "Hi"}, '"message_id" must be'),
    ("editMessageText", {"text": "Hi"}, 'parameter "chat_id" is required'),
    ("sendMessage", {"chat_id": "1", "text": "a" * 4097}, "message is too long"),
    ("sendMessage", {"chat_id": "1", "text": "😀" * 2049}, "message is too long"),
    (
        "sendMessage",
        {"chat_id": "1", "text": "<b>" + "a" * 4097 + "</b>", "parse_mode": "HTML"},
        "message is too long",
    ),
    ("sendMessage", {"chat_id": "1", "text": "x", "bogus": "1"}, 'unknown parameter "bogus"'),
    ("sendMessage", {"chat_id": "1", "text": "x", "disable_notification": "yes"}, "Boolean"),
    ("sendMessage", {"chat_id": "1", "text": "x", "parse_mode": "html5"}, "unsupported parse_mode"),
    (
        "sendMessage",
        {"chat_id": "1", "text": "x", "reply_markup": raw_keyboard(callback_data="a" * 65)},
        "BUTTON_DATA_INVALID",
    ),
    (
        "sendMessage",
        {"chat_id": "1", "text": "x", "reply_markup": raw_keyboard(callback_data="ậ" * 22)},
        "BUTTON_DATA_INVALID",  # 22 characters but 66 bytes
    ),
    (
        "sendMessage",
        {"chat_id": "1", "text": "x", "reply_markup": raw_keyboard(text=5, callback_data="a")},
        '"reply_markup.inline_keyboard[0][0].text" must be String',
    ),
    (
        "sendMessage",
        {"chat_id": "1", "text": "x", "reply_markup": raw_keyboard(callback="a")},
        'unknown parameter "reply_markup.inline_keyboard[0][0].callback"',
    ),
    (
        "sendMessage",
        {"chat_id": "1", "text": "x", "reply_markup": '{"force_reply": "yes"}'},
        '"reply_markup.force_reply" must be Boolean',
    ),
    ("sendMessage", {"chat_id": "1", "text": "x", "reply_markup": "{oops"}, "can't parse reply"),
    (
        "sendMessage",
        {"chat_id": "1", "text": "x", "reply_markup": keyboard_of(rows=34, per_row=3)},
        "reply markup is too long",  # 102 buttons
    ),
    (
        "editMessageReplyMarkup",
        {"chat_id": "1", "message_id": "1", "reply_markup": keyboard_of(rows=1, per_row=9)},
        "reply markup is too long",
    ),
    (
        "setMyCommands",
        {"commands": '[{"command": "start", "description": "x"}]', "scope": '{"type": "all"}'},
        "unsupported BotCommandScope",
    ),
    (
        "setMyCommands",
        {"commands": '[{"command": "start"}]'},
        'parameter "commands[0].description" is required',
    ),
    ("setWebhook", {"url": "https://x.y/hook", "secret_token": "a b"}, "secret token contains"),
]


@pytest.mark.parametrize(("method", "data", "expected"), INVALID_CALLS)
def test_invalid_calls_answer_400(
    fake: FakeBotAPI, api: httpx.Client, method: str, data: dict[str, str], expected: str
) -> None:
    response = api.post(method, data=data)
    body = response.json()
    assert (response.status_code, body["ok"], body["error_code"]) == (400, False, 400)
    assert body["description"].startswith("Bad Request: ")
    assert expected in body["description"]
    [invalid] = fake.invalid_calls
    assert invalid.method == method and invalid.reason and expected in invalid.reason
    with pytest.raises(AssertionError, match="invalid Bot API call"):
        fake.assert_no_invalid_calls()


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("<b>unclosed", 'Can\'t find end tag corresponding to start tag "b"'),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("<foo>x</foo>", 'Unsupported start tag "foo" at byte offset 0'),
        ("AT&T", 'Character "&" at byte offset 2 must be escaped'),
        ("&nbsp;", 'Character "&" at byte offset 0'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("<b><i>x</b></i>", "Unmatched end tag"),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler"'),
        ("<a href>x</a>", "Expected equal sign"),
        ("<b", "Unclosed start tag"),
        ("<tg-emoji>x</tg-emoji>", "custom emoji identifier"),
    ],
)
def test_invalid_html_is_refused(
    fake: FakeBotAPI, api: httpx.Client, text: str, error: str
) -> None:
    response = api.post("sendMessage", data={"chat_id": 1, "text": text, "parse_mode": "HTML"})
    assert response.status_code == 400
    assert response.json()["description"].startswith("Bad Request: can't parse entities: ")
    assert error in response.json()["description"]
    assert len(fake.invalid_calls) == 1


@pytest.mark.parametrize(
    ("source", "text", "entities"),
    [
        ("&lt;b&gt;", "<b>", []),
        ("<b>ok</b>", "ok", [{"type": "bold", "offset": 0, "length": 2}]),
        ("a > b &quot;&#65;&#x1F600;", 'a > b "A😀', []),
        (
            '<B>x<i>y</i></B> <a href="https://x.vn/?a=1&b=2">l</a>',
            "xy l",
            [
                {"type": "bold", "offset": 0, "length": 2},
                {"type": "italic", "offset": 1, "length": 1},
                {"type": "text_link", "offset": 3, "length": 1, "url": "https://x.vn/?a=1&b=2"},
            ],
        ),
        (
            '<pre><code class="language-python">p</code></pre><tg-spoiler>s</tg-spoiler>',
            "ps",
            [
                {"type": "pre", "offset": 0, "length": 1, "language": "python"},
                {"type": "spoiler", "offset": 1, "length": 1},
            ],
        ),
        (
            '<blockquote expandable>q</blockquote><span class="tg-spoiler">s</span>',
            "qs",
            [
                {"type": "expandable_blockquote", "offset": 0, "length": 1},
                {"type": "spoiler", "offset": 1, "length": 1},
            ],
        ),
        (
            "<s>1</s><u>2</u><code>3</code>",
            "123",
            [
                {"type": "strikethrough", "offset": 0, "length": 1},
                {"type": "underline", "offset": 1, "length": 1},
                {"type": "code", "offset": 2, "length": 1},
            ],
        ),
        (
            "<b>" + "😀" * 2048 + "</b>",
            "😀" * 2048,
            [{"type": "bold", "offset": 0, "length": 4096}],
        ),
    ],
)
def test_valid_html_is_parsed(
    fake: FakeBotAPI, api: httpx.Client, source: str, text: str, entities: list[Any]
) -> None:
    response = api.post("sendMessage", data={"chat_id": 1, "text": source, "parse_mode": "html"})
    assert response.status_code == 200, response.json()
    message = response.json()["result"]
    assert (message["text"], message.get("entities", [])) == (text, entities)
    fake.assert_no_invalid_calls()


def test_limits_are_inclusive(fake: FakeBotAPI, api: httpx.Client) -> None:
    for text, data in [("a" * 4096, "a" * 64), ("😀" * 2048, "ậ" * 21)]:
        response = api.post(
            "sendMessage",
            data={"chat_id": 1, "text": text, "reply_markup": raw_keyboard(callback_data=data)},
        )
        assert response.status_code == 200
    for rows, per_row in [(100, 1), (12, 8)]:
        markup = keyboard_of(rows=rows, per_row=per_row)
        response = api.post("sendMessage", data={"chat_id": 1, "text": "x", "reply_markup": markup})
        assert response.status_code == 200
    fake.assert_no_invalid_calls()


@given(st.text(st.characters(exclude_categories=["Cs"]), max_size=50))
def test_escaped_text_parses_back_to_itself(text: str) -> None:
    parsed = TelegramHtmlParser.parse(html.escape(text, quote=False))
    assert (parsed.text, parsed.entities) == (text, ())
    assert utf16_len(text) == len(text.encode("utf-16-le")) // 2


def test_requests_are_decoded_like_the_bot_api(fake: FakeBotAPI, api: httpx.Client) -> None:
    assert api.post("sendMessage", json={"chat_id": 1, "text": "json body"}).status_code == 200
    assert api.get("SENDMESSAGE", params={"chat_id": 1, "text": "query"}).status_code == 200
    upload = api.post(
        "sendDocument",
        data={"chat_id": "1", "caption": "x"},
        files={"document": ("r.bin", b"\x00\xff\r\n", "application/x-bin")},
    )
    assert upload.status_code == 200
    assert upload.json()["result"]["document"]["file_name"] == "r.bin"
    assert [m.get("text") for m in fake.messages(1)] == ["json body", "query", None]
    assert fake.documents(1)[0].content == b"\x00\xff\r\n"
    assert fake.calls_of("sendmessage")[0].params == {"chat_id": 1, "text": "json body"}
    fake.assert_no_invalid_calls()


def test_wrong_token(fake: FakeBotAPI, api: httpx.Client) -> None:
    wrong = api.post(f"{fake.base_url}999:WRONG/getMe")
    assert wrong.status_code == 401
    assert wrong.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    assert [c.status for c in fake.invalid_calls] == [401]


def test_unknown_method_with_an_api_json_spec(api_json: Path, http: httpx.Client) -> None:
    with FakeBotAPI(spec_path=api_json) as fake:
        api = api_client(http, fake)
        response = api.post("sendMesage", data={"chat_id": 1, "text": "x"})
        known = api.post("sendMessage", data={"chat_id": 1, "text": "x"})
        with pytest.raises(ValueError, match="unknown Bot API method"):
            fake.fail_next("sendMesage")
    assert fake.spec_source == "api.json"
    assert (response.status_code, response.json()["description"]) == (404, "Not Found")
    assert known.status_code == 200
    assert [c.status for c in fake.invalid_calls] == [404]


# ---- updates: long polling and webhooks --------------------------------------------------


async def test_get_updates_long_polls_and_honours_offset_and_limit(fake: FakeBotAPI) -> None:
    user = fake.user(42)
    async with httpx.AsyncClient(base_url=f"{fake.base_url}{fake.token}/", verify=TLS) as client:
        started = time.monotonic()
        poll = asyncio.create_task(client.post("getUpdates", data={"timeout": 5}))
        await asyncio.sleep(0.1)
        assert not poll.done()
        first = fake.send_text(user, "/start")
        [update] = (await poll).json()["result"]
        assert time.monotonic() - started < 2
        assert update["update_id"] == first
        assert update["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]

        second = fake.send_text(user, "hai")
        unconfirmed = (await client.post("getUpdates", data={"limit": 1})).json()["result"]
        assert [u["update_id"] for u in unconfirmed] == [first]
        rest = (await client.post("getUpdates", data={"offset": first + 1})).json()["result"]
        assert [u["update_id"] for u in rest] == [second]
        empty = await client.post("getUpdates", data={"offset": second + 1, "timeout": 0.05})
        assert empty.status_code == 400  # timeout is an Integer
        started = time.monotonic()
        empty = await client.post("getUpdates", data={"offset": second + 1, "timeout": 0})
        assert empty.json()["result"] == [] and time.monotonic() - started < 1


async def test_newer_get_updates_terminates_older_one(fake: FakeBotAPI) -> None:
    async with httpx.AsyncClient(base_url=f"{fake.base_url}{fake.token}/", verify=TLS) as client:
        older = asyncio.create_task(client.post("getUpdates", data={"timeout": 5}))
        await asyncio.sleep(0.1)
        newer = await client.post("getUpdates", data={"timeout": 0})
        assert newer.status_code == 200
        response = await older
        assert response.status_code == 409
        assert response.json()["description"].startswith("Conflict: terminated by other")


@contextmanager
def webhook_receiver(secret: str) -> Iterator[tuple[str, list[tuple[str | None, Any]]]]:
    """A tiny webhook endpoint that answers 403 to a wrong secret, like PTB's."""
    received: list[tuple[str | None, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            token = self.headers.get(SECRET_HEADER)
            received.append((token, body))
            self.send_response(200 if token == secret else 403)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            logging.getLogger(__name__).debug(format, *args)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hook", received
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


async def test_webhook_mode_posts_updates(fake: FakeBotAPI, api: httpx.Client) -> None:
    user = fake.user(42)
    with webhook_receiver("s3cret") as (url, received):
        assert api.post("setWebhook", data={"url": url, "secret_token": "s3cret"}).json()["ok"]
        assert api.post("getWebhookInfo").json()["result"]["url"] == url
        conflict = api.post("getUpdates")
        assert conflict.status_code == 409 and "webhook is active" in conflict.json()["description"]

        update_id = fake.send_text(user, "qua webhook")
        await fake.wait_for(lambda: fake.webhook_deliveries, timeout=3)
        assert fake.webhook_deliveries == [(update_id, 200)]
        assert received[0][0] == "s3cret"
        assert received[0][1]["message"]["text"] == "qua webhook"

        assert await fake.deliver_webhook(update_id, secret="wrong") == 403
        assert await fake.deliver_webhook(update_id) == 200

        assert api.post("deleteWebhook").json()["ok"] and fake.webhook_url == ""
        fake.send_text(user, "polling again")
        [update] = api.post("getUpdates").json()["result"]
        assert update["message"]["text"] == "polling again"
    assert len(received) == 3
    fake.assert_no_invalid_calls()


# ---- faults and flood control ------------------------------------------------------------


async def test_injected_faults(
    fake: FakeBotAPI, api: httpx.Client, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.fail_next("sendMessage", status=429, retry_after=3)
    response = api.post("sendMessage", data={"chat_id": 1, "text": "x"})
    assert response.status_code == 429
    assert response.json() == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 3",
        "parameters": {"retry_after": 3},
    }
    assert api.post("sendMessage", data={"chat_id": 1, "text": "x"}).status_code == 200

    monkeypatch.setenv("PTB_TIMEDELTA", "1")  # else PTB 22 warns when building RetryAfter
    fake.fail_next("sendMessage", status=429, retry_after=7)
    with pytest.raises(RetryAfter) as retry:
        await bot.send_message(1, "x")
    assert retry.value.retry_after.total_seconds() == 7  # type: ignore[union-attr]

    fake.fail_next("sendMessage", status=500, count=2)
    for _ in range(2):
        with pytest.raises(NetworkError, match="Internal Server Error"):
            await bot.send_message(1, "x")
    fake.fail_next("getMe", status=502)
    assert api.post("getMe").json()["description"] == "Bad Gateway"

    fake.block(77)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(77, "x")
    blocked = api.post("sendMessage", data={"chat_id": 77, "text": "x"})
    assert (blocked.status_code, blocked.json()["error_code"]) == (403, 403)
    fake.unblock(77)
    await bot.send_message(77, "x")

    assert [c.status for c in fake.rejected_calls] == [429, 429, 500, 500, 502, 403, 403]
    fake.assert_no_invalid_calls()


def test_rate_limits_answer_429_per_private_chat(http: httpx.Client) -> None:
    with FakeBotAPI(rate_limits=True) as fake:
        api = api_client(http, fake)
        statuses = [
            api.post("sendMessage", data={"chat_id": 5, "text": "x"}).status_code for _ in range(4)
        ]
        other_chat = api.post("sendMessage", data={"chat_id": 6, "text": "x"})
        [limited] = fake.rate_limited
    assert statuses == [200, 200, 200, 429]
    assert other_chat.status_code == 200
    assert limited.response["parameters"]["retry_after"] >= 1
    assert fake.invalid_calls == [] and fake.rejected_calls == [limited]


# ---- spec loading and helpers ------------------------------------------------------------


def test_builtin_spec_when_the_official_one_is_missing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, http: httpx.Client
) -> None:
    with caplog.at_level(logging.WARNING), FakeBotAPI(spec_path=tmp_path / "none.json") as fake:
        assert fake.spec_source == "built-in"
        api = api_client(http, fake)
        assert api.post("getMe").json()["result"]["username"] == "kpi_test_bot"
        ok = api.post("sendMessage", data={"chat_id": 1, "text": "<b>ok</b>", "parse_mode": "HTML"})
        bad = api.post("sendMessage", data={"chat_id": 1, "text": "AT&T", "parse_mode": "HTML"})
        missing = api.post("sendMessage", data={"chat_id": 1})
        scope = api.post("getMyCommands", data={"scope": '{"type": "chat", "chat_id": 1}'})
        other = api.post("sendChatAction", data={"chat_id": 1, "action": "typing"})
    assert ok.status_code == 200 and scope.status_code == 200 and other.json()["result"] is True
    assert bad.status_code == 400 and missing.status_code == 400
    assert len(fake.invalid_calls) == 2
    assert "spec not found" in caplog.text and "built-in" in caplog.text
    assert str(tmp_path / "none.json") in caplog.text


def test_the_builtin_spec_describes_every_method_the_fake_implements(tmp_path: Path) -> None:
    with FakeBotAPI(spec_path=tmp_path / "none.json") as fake:
        assert fake.spec_source == "built-in"
        assert sorted(m for m in fake.methods if fake.spec.method(m) is None) == []


def test_spec_path_from_environment(
    small_spec: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert DEFAULT_SPEC_PATH == ROOT.parent / "shared" / "telegram-bot-api" / "api.json"
    monkeypatch.setenv(SPEC_ENV_VAR, str(small_spec))
    assert FakeBotAPI().spec_source == "api.json"
    monkeypatch.setenv(SPEC_ENV_VAR, str(tmp_path / "absent.json"))
    assert FakeBotAPI().spec_source == "built-in"


async def test_wait_helpers(fake: FakeBotAPI, bot: Bot) -> None:
    async def send_later() -> None:
        await asyncio.sleep(0.05)
        await bot.send_message(CHAT, "một")
        await bot.send_message(CHAT, "hai")

    task = asyncio.create_task(send_later())
    messages = await fake.wait_for_messages(CHAT, 2, timeout=2)
    await task
    assert [m["text"] for m in messages] == ["một", "hai"]

    with pytest.raises(AssertionError, match=r"(?s)waiting for 3 bot message.*sendMessage"):
        await fake.wait_for_messages(CHAT, 3, timeout=0.05)
    with pytest.raises(AssertionError, match="sent no message to chat 5"):
        fake.last_message(5)
