"""How the page sees a chat: each message as HTML, with its buttons, picture or file."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from sandbox.botapi import FakeBotAPI, JsonDict, utf16_len

_TAGS = {
    "bold": ("<b>", "</b>"),
    "italic": ("<i>", "</i>"),
    "underline": ("<u>", "</u>"),
    "strikethrough": ("<s>", "</s>"),
    "code": ("<code>", "</code>"),
    "pre": ("<pre>", "</pre>"),
    "spoiler": ('<span class="spoiler">', "</span>"),
    "blockquote": ("<blockquote>", "</blockquote>"),
    "expandable_blockquote": ("<blockquote>", "</blockquote>"),
    "bot_command": ('<span class="command">', "</span>"),
}


def _tags(entity: Mapping[str, Any], text: str) -> tuple[str, str]:
    kind = entity.get("type")
    if kind in ("text_link", "url"):
        url = str(entity.get("url") or text)
        if url.startswith(("http://", "https://", "tg://")):
            return f'<a href="{escape(url)}" target="_blank" rel="noopener">', "</a>"
    return _TAGS.get(str(kind), ("", ""))


def entities_html(text: str, entities: Sequence[Mapping[str, Any]]) -> str:
    """Telegram text with entities (UTF-16 offsets, nested) as escaped HTML."""
    opens: dict[int, list[str]] = defaultdict(list)
    closes: dict[int, list[str]] = defaultdict(list)
    units = text.encode("utf-16-le", "surrogatepass")
    for entity in sorted(entities, key=lambda e: (e["offset"], -e["length"])):
        start, end = entity["offset"], entity["offset"] + entity["length"]
        inner = units[2 * start : 2 * end].decode("utf-16-le", "replace")
        begin, finish = _tags(entity, inner)
        opens[start].append(begin)
        closes[end].insert(0, finish)  # the entity opened last closes first
    out: list[str] = []
    offset = 0
    for char in text:
        out += closes.pop(offset, []) + opens.pop(offset, []) + [escape(char, quote=False)]
        offset += utf16_len(char)
    out += closes.pop(offset, [])
    return "".join(out)


def _buttons(message: Mapping[str, Any]) -> list[list[JsonDict]]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [
        [{"text": b["text"], "data": b.get("callback_data"), "url": b.get("url")} for b in row]
        for row in rows
    ]


def message_view(fake: FakeBotAPI, message: Mapping[str, Any]) -> JsonDict:
    """One message as the page shows it."""
    chat_id, message_id = message["chat"]["id"], message["message_id"]
    from_bot = message["from"]["id"] == fake.bot_user["id"]
    text = message.get("text", message.get("caption", ""))
    entities = message.get("entities", message.get("caption_entities")) or []
    view: JsonDict = {
        "id": message_id,
        "from_bot": from_bot,
        "text": text,
        "html": entities_html(text, entities),
        "date": message["date"],
        "edited": "edit_date" in message,
        "buttons": _buttons(message),
        "force_reply": from_bot and fake.asked_for_reply(chat_id, message_id),
        "reply_to": None,
        "photo": None,
        "document": None,
    }
    if "reply_to_message" in message:
        quoted = message["reply_to_message"]
        view["reply_to"] = str(quoted.get("text", quoted.get("caption", "")))[:120]
    if "photo" in message:
        view["photo"] = f"/files/{message['photo'][-1]['file_id']}"
    if "document" in message:
        document = message["document"]
        view["document"] = {
            "url": f"/files/{document['file_id']}",
            "name": document.get("file_name", "file"),
        }
    return view


def chat_view(fake: FakeBotAPI, chat_id: int) -> JsonDict:
    """A person's whole chat with the bot, and whether the bot is waiting for a reply."""
    messages = [message_view(fake, m) for m in fake.conversation(chat_id)]
    return {"messages": messages, "reply_to": awaiting_reply(messages)}


def awaiting_reply(messages: Sequence[Mapping[str, Any]]) -> int | None:
    """The bot's ForceReply question not answered yet, if any: the user's text answers it."""
    for message in reversed(messages):
        if not message["from_bot"]:
            return None
        if message["force_reply"]:
            return int(message["id"])
    return None
