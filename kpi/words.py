"""How people's words are compared: without case, Vietnamese diacritics or extra spaces."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Lower case without diacritics and with single spaces: "Sở  Nội vụ" reads "so noi vu"."""
    decomposed = unicodedata.normalize("NFD", text.casefold().replace("đ", "d"))
    bare = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return " ".join(bare.split())
