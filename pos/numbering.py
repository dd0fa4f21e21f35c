"""Every series of numbers this software issues: keys of their counters, how they print, how they parse back.

Series (all taken inside the caller's transaction with ``pos.counters.next_value``, so a rolled-back sale
gives its number back and a committed one never reuses it):

- receipt ``SR01-2026-000123`` (counter ``receipt:SR01:2026``), return ``SR01-2026-R000012``
  (``return:SR01:2026``); between a restore and its first sync a series of the restore's own,
  ``SR01-2026-K<tag>-0001`` and ``SR01-2026-K<tag>-R0001`` (see ``pos/sync/restore.py``);
- company order (quote, then order) ``SR01-2026-DH000012`` (counter ``order:SR01:2026``): one number from
  the quote to the order; orders stay in the showroom, so no restore series;
- e-invoice number (``SHDon``): 1, 2, 3… per form and symbol; the symbol carries the two-digit year
  (``1C26MAB``), so the series restarts on 1 January local time by taking a new counter
  (``invoice:1C26MAB``), never by resetting one;
- the tax authority code of a cash-register invoice (``MCCQT``), ``M1-26-AB12C-00100000042``: ``M``, the form,
  the year, the 5-character code the tax authority issued, 11 digits made here. The 11 digits are the till's
  3-digit issuer number followed by the invoice number on 8 digits (``SHDon`` has at most 8): as each issuer
  number belongs to one symbol, two tills (or showrooms) sharing the tax authority's code never make the same
  code, and the code needs no counter of its own that a restore could set back.
- between a restore and its first sync an invoice is *held*: it waits with a stand-in place (a negative
  number, counter ``invoice:1C26MAB:K<tag>``) and gets its real number and code, in order, when the first sync
  has moved the counter past the central server's (pos/einvoice/issue.py ``number_held_invoices``): the
  symbol is the tax authority's, so a restore cannot have a series of its own as receipts do.

- producer settlement ``DS-SR01-2026-0007`` (counter ``settlement:SR01:2026``);
- transfer note between showrooms ``CK-SR01-2026-0042`` (counter ``transfer:SR01:2026``): the sending
  showroom's code makes it unique across the network, so the receiver keeps the same number.

The central server reads the highest number of every series (``pg_highest_numbers_sql``) and answers them in
GET /api/v1/sync/state; ``central_counters`` turns that answer back into counter names, so that a restored
showroom moves every series past the central server's the same way (pos/sync/restore.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from pos.catalog.models import Counter
from pos.counters import next_value, next_values

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
    """PostgreSQL: per kind and sub-series the highest number the central server holds for one showroom.

    Kinds are those of ``CENTRAL_SERIES``: 'receipt' and 'return' per year (a restore's own series, with its
    "K…" part, is left out: the normal series goes on past the others), 'invoice' per form and symbol
    ("1C26MAB"). Bound parameter ``:showroom``; reads the central tables ``sale``, ``sale_return``, ``invoice``.
    """
    return f"""
    SELECT 'receipt' AS kind, substring(receipt_number FROM '-([0-9]{{4}})-[0-9]+$') AS year,
           max(substring(receipt_number FROM '-([0-9]+)$')::bigint) AS n
      FROM sale WHERE showroom_id = :showroom AND receipt_number ~ '{_PG_RECEIPT}' GROUP BY 2
    UNION ALL
    SELECT 'return', substring(return_number FROM '-([0-9]{{4}})-R[0-9]+$'),
           max(substring(return_number FROM '-R([0-9]+)$')::bigint)
      FROM sale_return WHERE showroom_id = :showroom AND return_number ~ '{_PG_RETURN}' GROUP BY 2
    UNION ALL
    SELECT 'invoice', form::text || symbol, max(number)::bigint
      FROM invoice WHERE showroom_id = :showroom AND number > 0 GROUP BY 2
    UNION ALL
    SELECT 'settlement', substring(number FROM '-([0-9]{{4}})-[0-9]+$'),
           max(substring(number FROM '-([0-9]+)$')::bigint)
      FROM settlement WHERE showroom_id = :showroom AND number ~ '{_PG_YEAR_SERIES}' GROUP BY 2
    UNION ALL
    SELECT 'transfer', substring(number FROM '-([0-9]{{4}})-[0-9]+$'),
           max(substring(number FROM '-([0-9]+)$')::bigint)
      FROM transfer WHERE from_showroom_id = :showroom AND number ~ '{_PG_YEAR_SERIES}' GROUP BY 2
    """


_PG_RECEIPT = "-[0-9]{4}-[0-9]{1,18}$"  # a normal receipt number's end: -YYYY-000123
_PG_RETURN = "-[0-9]{4}-R[0-9]{1,18}$"  # a normal return number's end: -YYYY-R000012
_PG_YEAR_SERIES = "^[A-Z]{2}-.+-[0-9]{4}-[0-9]{1,18}$"  # DS-SR01-2026-0007, CK-SR01-2026-0042


# Company orders ------------------------------------------------------------------------------------------------

ORDER_DIGITS = 6


def order_key(showroom_code: str, year: int) -> str:
    """The counter behind a showroom's company orders (quotes) of one year."""
    return f"order:{showroom_code}:{year}"


def format_order_number(showroom_code: str, year: int, n: int) -> str:
    """SR01-2026-DH000012 (DH: đơn hàng; the quote keeps its number when it becomes an order)."""
    return f"{showroom_code}-{year}-DH{n:0{ORDER_DIGITS}d}"


def take_order_number(session: Session, showroom_code: str, year: int) -> str:
    """The next company order number (the caller's transaction)."""
    return format_order_number(showroom_code, year, next_value(session, order_key(showroom_code, year)))


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


def held_invoice_key(form: int, symbol: str, tag: str) -> str:
    """The counter of the stand-in places of invoices held between a restore (``tag``) and its first sync."""
    return f"{invoice_key(form, symbol)}:{tag}"


def take_held_invoice_place(session: Session, form: int, symbol: str, tag: str) -> int:
    """A held invoice's stand-in place: 1, 2, 3… per restore; stored as a negative number until numbered."""
    return next_value(session, held_invoice_key(form, symbol, tag))


def format_held_mccqt(tag: str, place: int) -> str:
    """The stand-in of a held invoice's code, KT5ZK3G-000001: never a code's structure, never a real code."""
    return f"{tag}-{place:06d}"


# What the central server holds, series by series ----------------------------------------------------------------

_SUB_YEAR = re.compile(r"^\d{4}$")
_SUB_INVOICE = re.compile(r"^(?P<form>[1-6])(?P<symbol>[CK][0-9]{2}[A-Z][A-Z]{2})$")


def _by_year(series_key: Callable[[str, int], str]) -> Callable[[str, str], str | None]:
    def key(showroom_code: str, sub: str) -> str | None:
        return series_key(showroom_code, int(sub)) if _SUB_YEAR.match(sub) else None

    return key


def _invoice_sub_key(_showroom_code: str, sub: str) -> str | None:
    found = _SUB_INVOICE.match(sub)
    return invoice_key(int(found["form"]), found["symbol"]) if found else None


# kind (as pg_highest_numbers_sql names it; the state answer's field is ``<kind>_max``) -> the counter name of
# one of its sub-series (None for a sub-series this software never numbers).
CENTRAL_SERIES: dict[str, Callable[[str, str], str | None]] = {
    "receipt": _by_year(receipt_key),
    "return": _by_year(return_key),
    "invoice": _invoice_sub_key,
    "settlement": _by_year(lambda code, year: settlement_key(code, year)),  # defined further down
    "transfer": _by_year(lambda code, year: transfer_key(code, year)),
}


def central_counters(showroom_code: str, central: Mapping[str, Any]) -> dict[str, int]:
    """The state answer's ``receipt_max``, ``return_max``, ``invoice_max``, ``settlement_max``,
    ``transfer_max`` as {counter name: highest held}."""
    out: dict[str, int] = {}
    for kind, key in CENTRAL_SERIES.items():
        found = central.get(f"{kind}_max") or {}
        if not isinstance(found, Mapping):
            continue
        for sub, highest in found.items():
            name = key(showroom_code, str(sub))
            if name is not None and isinstance(highest, int) and not isinstance(highest, bool) and highest > 0:
                out[name] = highest
    return out


# Settlements and transfer notes ---------------------------------------------------------------------------------

SETTLEMENT_DIGITS = 4
TRANSFER_DIGITS = 4


def settlement_key(showroom_code: str, year: int) -> str:
    """The counter behind a showroom's settlement numbers for one year."""
    return f"settlement:{showroom_code}:{year}"


def transfer_key(showroom_code: str, year: int) -> str:
    """The counter behind a showroom's transfer note numbers for one year."""
    return f"transfer:{showroom_code}:{year}"


def take_settlement_number(session: Session, showroom_code: str, year: int) -> str:
    """The next producer settlement number: DS-SR01-2026-0007."""
    return take_settlement_numbers(session, showroom_code, year, 1)[0]


def take_settlement_numbers(session: Session, showroom_code: str, year: int, n: int) -> list[str]:
    """The next ``n`` settlement numbers, in order (one period closed for several producers)."""
    values = next_values(session, settlement_key(showroom_code, year), n)
    return [f"DS-{showroom_code}-{year}-{v:0{SETTLEMENT_DIGITS}d}" for v in values]


def take_transfer_number(session: Session, showroom_code: str, year: int) -> str:
    """The next transfer note number of this (sending) showroom: CK-SR01-2026-0042."""
    n = next_value(session, transfer_key(showroom_code, year))
    return f"CK-{showroom_code}-{year}-{n:0{TRANSFER_DIGITS}d}"
