"""Text that comes in: Unicode NFC, and a folded form for searching without diacritics."""

from __future__ import annotations

import unicodedata


def nfc(value: str | None) -> str:
    """Normalise to NFC and strip, so a name typed on one machine matches the same name typed on another."""
    if value is None:
        return ""
    return unicodedata.normalize("NFC", str(value)).strip()


def fold(value: str | None) -> str:
    """Lower case without diacritics: 'Bánh cốm Đình' -> 'banh com dinh'. Used for search keys."""
    text = unicodedata.normalize("NFD", nfc(value).lower()).replace("đ", "d")
    stripped = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    return " ".join(stripped.split())
