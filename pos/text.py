"""Text that comes in: Unicode NFC, and a folded form for searching without diacritics."""

from __future__ import annotations

import re
import unicodedata

# A lone surrogate ("\ud800" is valid JSON) cannot be encoded as UTF-8, so SQLite and every page would fail on it.
_SURROGATE = re.compile("[\ud800-\udfff]")
# PostgreSQL's text cannot hold NUL (the central server would fail on it); no one types it on purpose.
_NUL = "\x00"


def nfc(value: str | None) -> str:
    """Normalise to NFC and strip, so a name typed on one machine matches the same name typed on another."""
    if value is None:
        return ""
    return unicodedata.normalize("NFC", _SURROGATE.sub("\ufffd", str(value)).replace(_NUL, "")).strip()


def fold(value: str | None) -> str:
    """Lower case without diacritics: 'Bánh cốm Đình' -> 'banh com dinh'. Used for search keys."""
    text = unicodedata.normalize("NFD", nfc(value).lower()).replace("đ", "d")
    stripped = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    return " ".join(stripped.split())
