"""Telegram's HTML parse mode: the text and entities a message's markup stands for."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from sandbox.botapi.spec import JsonDict


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
