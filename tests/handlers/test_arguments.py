"""What follows a command, as typed: words, the rest of the text, record numbers."""

from __future__ import annotations

import pytest
from telegram import Chat, Message

from handlers.arguments import deduction_number, number, rest, words
from tests.factories import local


def message(text: str) -> Message:
    return Message(1, local("2026-11-02"), Chat(1, Chat.PRIVATE), text=text)


@pytest.mark.parametrize(
    ("text", "count", "expected"),
    [
        (
            "/deduct NV1 task_quality 2 Nộp  chậm\nhai lần",
            3,
            ["NV1", "task_quality", "2 Nộp  chậm\nhai lần"],
        ),
        ("/deduct NV1", 3, ["NV1"]),
        ("/appeal", 2, []),
    ],
)
def test_words_then_the_rest_as_typed(text: str, count: int, expected: list[str]) -> None:
    assert words(message(text), count) == expected


def test_the_rest_of_the_text() -> None:
    assert rest(message("/open  Báo cáo <quý IV>  ")) == "Báo cáo <quý IV>  "
    assert rest(message("/open")) == ""


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("12", "12"),
        ("#12", "12"),
        (" #007 ", "007"),
        ("12a", None),
        ("", None),
        ("1" * 13, None),
        ("2147483647", "2147483647"),  # the largest id
        ("2147483648", None),  # no record has it
        ("²", None),  # digits to str.isdigit, not to int
        ("①", None),
        ("١٢", None),  # Arabic-Indic digits: ASCII only
        ("１２", None),
    ],
)
def test_record_numbers(word: str, expected: str | None) -> None:
    assert number(word) == expected


@pytest.mark.parametrize(
    ("word", "expected"),
    [("D12", 12), ("d12", 12), ("12", 12), ("#12", 12), ("D", None), ("DD12", None), ("Đ12", None)],
)
def test_deduction_numbers_with_or_without_their_prefix(word: str, expected: int | None) -> None:
    assert deduction_number(word) == expected
