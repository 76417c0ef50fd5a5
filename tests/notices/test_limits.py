"""Telegram's limits: text measured as Telegram counts it, shortening, paging."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from locales.i18n import Translator
from notices.limits import (
    BUTTON_LIMIT,
    MESSAGE_LIMIT,
    PAGE_MARK,
    paged_lines,
    paginate,
    shorten,
    visible_length,
)
from sandbox.botapi import TelegramHtmlParser, utf16_len

TR = Translator("vi", ZoneInfo("Asia/Ho_Chi_Minh"))


@pytest.mark.parametrize(
    ("html", "length"),
    [
        ("<b>An &amp; Bình</b>", 9),
        ("&lt;b&gt;", 3),
        ("😀", 2),  # two UTF-16 code units, as Telegram counts
        ('<a href="https://x.y">x</a>', 1),
        ("", 0),
    ],
)
def test_visible_length_counts_what_telegram_counts(html: str, length: int) -> None:
    assert visible_length(html) == length


@given(st.text(st.characters(exclude_categories=["Cs"]), max_size=300), st.integers(2, 120))
def test_shorten_escapes_cuts_and_agrees_with_telegram(text: str, most: int) -> None:
    short = shorten(text, most)
    parsed = TelegramHtmlParser.parse(short).text
    assert len(parsed) <= most
    assert visible_length(short) == utf16_len(parsed)
    assert "\n" not in parsed
    if len(" ".join(text.split())) > most:
        assert parsed.endswith("…")


def test_a_short_text_is_kept_as_it_is() -> None:
    assert shorten("Tờ trình <số 5>", 60) == "Tờ trình &lt;số 5&gt;"


def test_pages_keep_within_the_buttons_and_the_text() -> None:
    assert paginate([], str) == []
    by_buttons = paginate(list(range(40)), str, buttons=lambda _item: 3)
    assert [len(page) for page in by_buttons] == [33, 7]
    long_lines = ["x" * 1000] * 9
    assert [len(page) for page in paginate(long_lines, str)] == [4, 4, 1]
    assert [len(page) for page in paginate(long_lines, str, reserved=1100)] == [2, 2, 2, 2, 1]
    assert [len(page) for page in paginate(list(range(25)), str, most=10)] == [10, 10, 5]


@given(st.lists(st.text(max_size=500), max_size=60), st.integers(0, 1000))
def test_every_page_fits(lines: list[str], reserved: int) -> None:
    pages = paginate(lines, shorten_line, reserved=reserved, buttons=lambda _line: 3)
    assert [line for page in pages for line in page] == lines
    for page in pages:
        text = "\n".join(shorten_line(line) for line in page)
        assert visible_length(text) + reserved + PAGE_MARK <= MESSAGE_LIMIT
        assert len(page) * 3 <= BUTTON_LIMIT


def shorten_line(line: str) -> str:
    return shorten(line, 400)


def test_a_list_on_one_page_has_no_page_number() -> None:
    assert paged_lines(TR, "<b>Mã</b>", ["#1", "#2"]) == ["<b>Mã</b>\n#1\n#2"]


def test_a_long_list_numbers_its_pages() -> None:
    texts = paged_lines(TR, "<b>Mã</b>", ["y" * 2000] * 3)
    assert [text.splitlines()[0] for text in texts] == [
        "<b>Mã</b> (trang 1/2)",
        "<b>Mã</b> (trang 2/2)",
    ]
    assert all(visible_length(text) <= MESSAGE_LIMIT for text in texts)
