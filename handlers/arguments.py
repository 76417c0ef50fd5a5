"""What follows a command, as the user typed it."""

from __future__ import annotations

from datetime import date, datetime

from telegram import Message

from kpi.deductions import LABEL_PREFIX
from models.db import MAX_ID


def words(message: Message, count: int) -> list[str]:
    """The command's arguments (in a text or a caption): `count - 1` words, then the rest."""
    return (message.text or message.caption or "").split(maxsplit=count)[1:]


def rest(message: Message) -> str:
    """The whole text after the command, as typed ("" when there is none)."""
    found = words(message, 1)
    return found[0] if found else ""


def number(word: str) -> str | None:
    """The digits of a record number written `12` or `#12`; None when it is not one.

    ASCII digits only: `str.isdigit` also takes "²" or "①", which `int` refuses. A number past
    the largest id is none either.
    """
    digits = word.strip().removeprefix("#")
    if not (digits.isascii() and digits.isdigit() and len(digits) <= 12):
        return None
    return digits if int(digits) <= MAX_ID else None


def deduction_number(word: str) -> int | None:
    """A deduction's number written `D12`, `d12`, `12` or `#12`; None when it is not one."""
    bare = word.strip()
    if bare[:1].upper() == LABEL_PREFIX:
        bare = bare[1:]
    digits = number(bare)
    return int(digits) if digits is not None else None


def typed_day(word: str) -> date | None:
    """A day written DD/MM/YYYY, as Vietnamese write dates; None when it is not one."""
    try:
        return datetime.strptime(word.strip(), "%d/%m/%Y").date()
    except ValueError:
        return None
