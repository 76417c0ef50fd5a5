"""Telegram's limits on a message, and the two ways the bot keeps within them.

Telegram refuses a text over 4,096 characters, counted as UTF-16 code units of what is left once
the HTML markup is parsed, a keyboard of more than 100 buttons, and an answer to a button over
200 characters. Someone's words quoted in a list are shortened (`shorten`); a list too long for
one message is cut into pages, each a message of its own with its own buttons (`paginate`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from html import escape, unescape
from typing import TypeVar

from locales.i18n import Translator

MESSAGE_LIMIT = 4096  # characters of a message's text, after its markup is parsed
BUTTON_LIMIT = 100  # buttons of an inline keyboard
ANSWER_LIMIT = 200  # characters of the answer to a pressed button
PAGE_MARK = 40  # room kept on every page for "(page 12/12)" in any language

TITLE_IN_LIST = 60  # characters of a code's title where a list names it
NAME_IN_LIST = 60  # characters of a person's name (or code, or unit) in a list
REASON_IN_LIST = 300  # characters of a reason in a list

_TAG = re.compile(r"<[^>]*>")
Item = TypeVar("Item")


def visible_length(html: str) -> int:
    """How long Telegram counts an HTML text: UTF-16 code units of the text without its markup."""
    text = unescape(_TAG.sub("", html))
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def shorten(text: str, most: int) -> str:
    """Someone's text to quote in a list, HTML-escaped, on one line; a long one is cut with "…"."""
    text = " ".join(text.split())
    if len(text) > most:
        text = text[: most - 1].rstrip() + "…"
    return escape(text)


def paginate(
    items: Sequence[Item],
    text: Callable[[Item], str],
    *,
    reserved: int = 0,
    buttons: Callable[[Item], int] = lambda _item: 0,
    most: int | None = None,
) -> list[list[Item]]:
    """The items in order, cut into pages that each fit in one message.

    A page holds the items' texts (a line each) within the message's limit less `reserved` (the
    page's title and headings) and `PAGE_MARK`, their buttons within a keyboard's, and at most
    `most` items. No items, no pages.
    """
    room = MESSAGE_LIMIT - reserved - PAGE_MARK
    pages: list[list[Item]] = []
    length = count = 0
    for item in items:
        size, keys = visible_length(text(item)) + 1, buttons(item)  # + 1: its line break
        full = length + size > room or count + keys > BUTTON_LIMIT
        if not pages or full or (most is not None and len(pages[-1]) >= most):
            pages.append([])
            length = count = 0
        pages[-1].append(item)
        length, count = length + size, count + keys
    return pages


def page_title(tr: Translator, title: str, number: int, pages: int) -> str:
    """A page's title: the list's title, and which page this is when there are several."""
    if pages > 1:
        return title + " " + tr._("(page {page}/{pages})", page=number, pages=pages)
    return title


def paged_lines(tr: Translator, title: str, lines: Sequence[str]) -> list[str]:
    """A titled list of lines as the texts of as many messages as it takes, pages numbered."""
    pages = paginate(lines, str, reserved=visible_length(title)) or [[]]
    return [
        "\n".join([page_title(tr, title, number, len(pages)), *page])
        for number, page in enumerate(pages, start=1)
    ]
