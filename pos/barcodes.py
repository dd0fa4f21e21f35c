"""Retail barcodes (EAN-13, EAN-8, UPC-A): check digits, validation, in-store codes.

Pure functions on strings; the database keeps the never-reused counter behind ``instore_ean13``.
"""

from __future__ import annotations

from typing import Literal

BarcodeKind = Literal["ean13", "ean8", "upca"]

_KIND_BY_LENGTH: dict[int, BarcodeKind] = {13: "ean13", 12: "upca", 8: "ean8"}

# GS1 "restricted circulation" prefixes 20–29: never issued to a company, free for use inside the shop.
INSTORE_PREFIXES = tuple(str(p) for p in range(20, 30))


class BarcodeError(ValueError):
    """A barcode that cannot be used; the message is Vietnamese, ready for the screen."""


def gtin_check_digit(body: str) -> str:
    """The GS1 mod-10 check digit for a GTIN body (every code without its last digit)."""
    if not body or not (body.isascii() and body.isdigit()):
        raise BarcodeError("Mã vạch chỉ gồm chữ số")
    # Weights 3, 1, 3, … counted from the rightmost body digit, the same rule for GTIN-8/12/13/14.
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return str(-total % 10)


def normalize_barcode(raw: str) -> str:
    """Strip whitespace and return the code if it is a valid EAN-13, EAN-8 or UPC-A; else BarcodeError."""
    # Scanners add a trailing newline, people type "893 4563 13816 5": drop every kind of space.
    code = "".join((raw or "").split())
    if not code:
        raise BarcodeError("Chưa nhập mã vạch")
    if not (code.isascii() and code.isdigit()):
        raise BarcodeError("Mã vạch chỉ gồm chữ số")
    if len(code) not in _KIND_BY_LENGTH:
        raise BarcodeError(f"Mã vạch phải có 8, 12 hoặc 13 chữ số (đang có {len(code)})")
    expected = gtin_check_digit(code[:-1])
    if code[-1] != expected:
        raise BarcodeError(f"Mã vạch sai số kiểm tra: số cuối phải là {expected}")
    return code


def barcode_kind(code: str) -> BarcodeKind:
    """'ean13', 'ean8' or 'upca' for a valid code (validated first, so a bad code raises)."""
    return _KIND_BY_LENGTH[len(normalize_barcode(code))]


def gtin14(code: str) -> str:
    """The 14-digit form GS1 compares codes in: a UPC-A scanned as 13 digits ("0…") is the same product."""
    return normalize_barcode(code).zfill(14)


def instore_ean13(number: int, prefix: str = "20") -> str:
    """The in-store EAN-13 for sequence ``number``: prefix, number zero-padded, check digit."""
    if not (prefix.isascii() and prefix.isdigit() and prefix[:2] in INSTORE_PREFIXES and len(prefix) <= 11):
        raise BarcodeError(f"Tiền tố mã vạch nội bộ phải bắt đầu bằng 20–29 (đang là {prefix!r})")
    width = 12 - len(prefix)
    if not 0 <= number < 10**width:
        raise BarcodeError(f"Số thứ tự {number} vượt quá {10**width - 1} — hết mã vạch nội bộ với tiền tố {prefix}")
    body = f"{prefix}{number:0{width}d}"
    return body + gtin_check_digit(body)


def is_instore(code: str) -> bool:
    """True for a valid EAN-13 from the restricted-circulation range 20–29."""
    try:
        code = normalize_barcode(code)
    except BarcodeError:
        return False
    return len(code) == 13 and code[:2] in INSTORE_PREFIXES
