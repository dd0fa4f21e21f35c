"""Every series of numbers this software issues: keys of their counters, how they print, how they parse back.

Series (all taken inside the caller's transaction with ``pos.counters.next_value``, so a rolled-back sale
gives its number back and a committed one never reuses it):

- receipt ``SR01-2026-000123`` (counter ``receipt:SR01:2026``), return ``SR01-2026-R000012``
  (``return:SR01:2026``); between a restore and its first sync a series of the restore's own,
  ``SR01-2026-K<tag>-0001`` and ``SR01-2026-K<tag>-R0001`` (see ``pos/sync/restore.py``);
- e-invoice number (``SHDon``): 1, 2, 3… per form and symbol; the symbol carries the two-digit year
  (``1C26MAB``), so the series restarts on 1 January local time by taking a new counter
  (``invoice:1C26MAB``), never by resetting one;
- the tax authority code of a cash-register invoice (``MCCQT``), ``M1-26-AB12C-00100000042``: ``M``, the form,
  the year, the 5-character code the tax authority issued, 11 digits made here. The 11 digits are the till's
  3-digit issuer number followed by the invoice number on 8 digits (``SHDon`` has at most 8): as each issuer
  number belongs to one symbol, two tills (or showrooms) sharing the tax authority's code never make the same
  code, and the code needs no counter of its own that a restore could set back.

The central server reads the highest receipt and return numbers per year with the PostgreSQL patterns below,
built from the same formats.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlmodel import Session

from pos.catalog.models import Counter
from pos.counters import next_value

RESTORE_MARK = "sync:restored_at"
_DIGITS36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

RECEIPT_DIGITS = 6
RETURN_DIGITS = 6
RESTORED_DIGITS = 4
INVOICE_DIGITS = 8  # SHDon: at most 8 digits
ISSUER_DIGITS = 3
MCCQT_LENGTH = 23

_RECEIPT = re.compile(r"^(?P<showroom>[A-Z0-9]+)-(?P<year>\d{4})-(?:(?P<tag>K[0-9A-Z]+)-)?(?P<n>\d+)$")
_RETURN = re.compile(r"^(?P<showroom>[A-Z0-9]+)-(?P<year>\d{4})-(?:(?P<tag>K[0-9A-Z]+)-)?R(?P<n>\d+)$")
_MCCQT = re.compile(r"^M(?P<form>[1-6])-(?P<yy>\d{2})-(?P<prefix>[0-9A-Z]{5})-(?P<issuer>\d{3})(?P<n>\d{8})$")


@dataclass(frozen=True)
class ParsedNumber:
    """A receipt or return number read back: its showroom, year, restore tag (or None) and sequence."""

    showroom: str
    year: int
    n: int
    tag: str | None = None


def _base36(n: int) -> str:
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = _DIGITS36[r] + out
        if n == 0:
            return out


def restore_tag(session: Session) -> str | None:
    """'K' + the restore's time in base 36 while the database awaits its first post-restore sync, else None."""
    mark = session.get(Counter, RESTORE_MARK)
    return f"K{_base36(mark.value)}" if mark is not None and mark.value > 0 else None


# Receipts and returns ----------------------------------------------------------------------------------------


def receipt_key(showroom_code: str, year: int, tag: str | None = None) -> str:
    """The counter behind a showroom's receipt numbers for one year (and one restore's series)."""
    return f"receipt:{showroom_code}:{year}" + (f":{tag}" if tag else "")


def return_key(showroom_code: str, year: int, tag: str | None = None) -> str:
    """The counter behind a showroom's return numbers for one year (and one restore's series)."""
    return f"return:{showroom_code}:{year}" + (f":{tag}" if tag else "")


def format_receipt_number(showroom_code: str, year: int, n: int, tag: str | None = None) -> str:
    """SR01-2026-000123, or SR01-2026-K<tag>-0001 in a restore's series."""
    if tag:
        return f"{showroom_code}-{year}-{tag}-{n:0{RESTORED_DIGITS}d}"
    return f"{showroom_code}-{year}-{n:0{RECEIPT_DIGITS}d}"


def format_return_number(showroom_code: str, year: int, n: int, tag: str | None = None) -> str:
    """SR01-2026-R000012, or SR01-2026-K<tag>-R0001 in a restore's series."""
    if tag:
        return f"{showroom_code}-{year}-{tag}-R{n:0{RESTORED_DIGITS}d}"
    return f"{showroom_code}-{year}-R{n:0{RETURN_DIGITS}d}"


def _parse(pattern: re.Pattern[str], number: str) -> ParsedNumber | None:
    found = pattern.match(number or "")
    if found is None:
        return None
    return ParsedNumber(found["showroom"], int(found["year"]), int(found["n"]), found["tag"])


def parse_receipt_number(number: str) -> ParsedNumber | None:
    """'SR01-2026-000123' -> ParsedNumber('SR01', 2026, 123); None for anything else (a return number too)."""
    return _parse(_RECEIPT, number)


def parse_return_number(number: str) -> ParsedNumber | None:
    """'SR01-2026-R000012' -> ParsedNumber('SR01', 2026, 12); None for anything else."""
    return _parse(_RETURN, number)


def take_receipt_number(session: Session, showroom_code: str, year: int) -> str:
    """The next receipt number: SR01-2026-000123, or SR01-2026-K<tag>-0001 between a restore and its sync."""
    tag = restore_tag(session)
    return format_receipt_number(showroom_code, year, next_value(session, receipt_key(showroom_code, year, tag)), tag)


def take_return_number(session: Session, showroom_code: str, year: int) -> str:
    """The next return number: SR01-2026-R000012, or SR01-2026-K<tag>-R0001 between a restore and its sync."""
    tag = restore_tag(session)
    return format_return_number(showroom_code, year, next_value(session, return_key(showroom_code, year, tag)), tag)


def peek_receipt_number(session: Session, showroom_code: str, year: int) -> str:
    """The number the next sale will most likely get (shown with the VietQR before it is taken)."""
    tag = restore_tag(session)
    current = session.get(Counter, receipt_key(showroom_code, year, tag))
    return format_receipt_number(showroom_code, year, (current.value if current else 0) + 1, tag)


def pg_highest_numbers_sql() -> str:
    """PostgreSQL: per kind ('receipt', 'return') and year the highest number of the normal series.

    A restore's own series (with its "K…" part) is left out: the normal series goes on past the others.
    Bound parameter ``:showroom``; reads the central tables ``sale`` and ``sale_return``.
    """
    return f"""
    SELECT 'receipt' AS kind, substring(receipt_number FROM '-([0-9]{{4}})-[0-9]+$') AS year,
           max(substring(receipt_number FROM '-([0-9]+)$')::bigint) AS n
      FROM sale WHERE showroom_id = :showroom AND receipt_number ~ '{_PG_RECEIPT}' GROUP BY 2
    UNION ALL
    SELECT 'return', substring(return_number FROM '-([0-9]{{4}})-R[0-9]+$'),
           max(substring(return_number FROM '-R([0-9]+)$')::bigint)
      FROM sale_return WHERE showroom_id = :showroom AND return_number ~ '{_PG_RETURN}' GROUP BY 2
    """


_PG_RECEIPT = "-[0-9]{4}-[0-9]{1,18}$"  # a normal receipt number's end: -YYYY-000123
_PG_RETURN = "-[0-9]{4}-R[0-9]{1,18}$"  # a normal return number's end: -YYYY-R000012


# E-invoices ---------------------------------------------------------------------------------------------------


def invoice_symbol(year: int, letters: str, kind: str = "C", channel: str = "M") -> str:
    """KHHDon without the form: 'C' (has a tax authority code), the two-digit year, 'M' (cash register), 2 letters."""
    return f"{kind}{year % 100:02d}{channel}{letters}"


def invoice_key(form: int, symbol: str) -> str:
    """The counter of invoice numbers of one form and symbol (the symbol holds the year: a new year, a new key)."""
    return f"invoice:{form}{symbol}"


def take_invoice_number(session: Session, form: int, symbol: str) -> int:
    """The next SHDon of a form and symbol, gapless and never reused (the caller's transaction)."""
    n = next_value(session, invoice_key(form, symbol))
    if n >= 10**INVOICE_DIGITS:
        raise OverflowError("invoice numbers of this symbol are exhausted")
    return n


def format_invoice_number(n: int) -> str:
    """SHDon as printed: 00000042 (8 digits)."""
    return f"{n:0{INVOICE_DIGITS}d}"


def format_mccqt(form: int, year: int, prefix: str, issuer: int, n: int) -> str:
    """M1-26-AB12C-00100000042: form, two-digit year, the tax authority's 5 characters, issuer + invoice number."""
    if not 0 <= issuer < 10**ISSUER_DIGITS or not 0 < n < 10**INVOICE_DIGITS:
        raise ValueError("issuer or invoice number out of range")
    return f"M{form}-{year % 100:02d}-{prefix}-{issuer:0{ISSUER_DIGITS}d}{n:0{INVOICE_DIGITS}d}"


@dataclass(frozen=True)
class ParsedMccqt:
    """An MCCQT read back."""

    form: int
    yy: int
    prefix: str
    issuer: int
    n: int


def parse_mccqt(code: str) -> ParsedMccqt | None:
    """'M1-26-AB12C-00100000042' -> ParsedMccqt(1, 26, 'AB12C', 1, 42); None for anything else."""
    found = _MCCQT.match(code or "")
    if found is None:
        return None
    return ParsedMccqt(int(found["form"]), int(found["yy"]), found["prefix"], int(found["issuer"]), int(found["n"]))
