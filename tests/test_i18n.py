"""The catalogs: complete in vi and en, placeholders intact, in step with the code."""

from __future__ import annotations

import re
import string
from datetime import date
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from locales.i18n import LOCALES, Translator, pick_locale, translations
from tests.factories import HANOI

ROOT = Path(__file__).resolve().parents[1]
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}


def catalog(locale: str) -> Catalog:
    with (ROOT / "locales" / locale / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=locale)


def fields(text: str) -> set[str]:
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name}


def code_messages() -> set[str]:
    found: set[str] = set()
    for package in ("bot", "handlers", "scheduler", "notices"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / package, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            found.add(message if isinstance(message, str) else message[0])
    return found


def entries(locale: str) -> list[Message]:
    return [m for m in catalog(locale) if m.id]


@pytest.mark.parametrize("locale", LOCALES)
def test_every_message_is_translated(locale: str) -> None:
    untranslated = [
        m.id
        for m in entries(locale)
        if m.fuzzy or not all(m.string if isinstance(m.string, tuple) else [m.string])
    ]
    assert untranslated == []


@pytest.mark.parametrize("locale", LOCALES)
def test_placeholders_match_the_source(locale: str) -> None:
    for message in entries(locale):
        sources = message.id if isinstance(message.id, tuple) else (message.id,)
        targets = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = set().union(*(fields(s) for s in sources))
        for target in targets:
            assert fields(target) <= expected, (message.id, target)
            if len(targets) == 1:
                assert fields(target) == expected, (message.id, target)


@pytest.mark.parametrize("locale", LOCALES)
def test_catalog_holds_every_message_of_the_code(locale: str) -> None:
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in entries(locale)}
    assert code_messages() - ids == set(), "run scripts/i18n and translate the new messages"


def test_no_message_hides_inside_an_f_string() -> None:
    """pybabel cannot see a literal passed to _() within an f-string: it would stay English."""
    hidden = re.compile(r"\{[\w.]*_\(\s*[\"']")
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for package in ("bot", "handlers", "scheduler", "notices", "sandbox")
        for path in sorted((ROOT / package).rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if hidden.search(line)
    ]
    assert found == []


def test_vietnamese_names_placeholders_in_vietnamese() -> None:
    """What a user is to type is named in Vietnamese (/open TIÊU_ĐỀ, not /open TITLE); fields in
    braces and commands in <code> are not the user's words."""
    english = re.compile(r"\b(?:TITLE|ID|REASON|CODE|CRITERION|POINTS|QUARTER|TOKEN|TEXT)\b")
    found = [
        text
        for message in entries("vi")
        for text in (message.string if isinstance(message.string, tuple) else [message.string])
        if english.search(re.sub(r"\{[^}]*\}|<code>.*?</code>", "", text))
    ]
    assert found == []


@pytest.mark.parametrize("locale", LOCALES)
def test_compiled_catalog_matches_the_po_file(locale: str) -> None:
    compiled = translations(locale)
    for message in entries(locale):
        if isinstance(message.id, str):
            assert compiled.gettext(message.id) == message.string, "run scripts/i18n"


def test_vietnamese_is_the_default_and_formats_like_vietnamese() -> None:
    tr = Translator("vi", HANOI)
    assert tr._("What you can do") == "Các chức năng đồng chí có thể sử dụng"
    assert tr.date(date(2026, 11, 28)) == "28/11/2026"
    assert tr.number(Decimal("12.5")) == "12,5"
    assert Translator("en", ZoneInfo("UTC")).date(date(2026, 11, 28)) == "28 Nov 2026"


@pytest.mark.parametrize(
    ("chosen", "roster", "telegram", "expected"),
    [
        ("en", "vi", "vi", "en"),
        (None, "en", "vi", "en"),
        (None, None, "en-US", "en"),
        (None, None, "fr", "vi"),
        (None, None, None, "vi"),
    ],
)
def test_locale_precedence(
    chosen: str | None, roster: str | None, telegram: str | None, expected: str
) -> None:
    assert pick_locale(chosen=chosen, roster=roster, telegram=telegram, default="vi") == expected
