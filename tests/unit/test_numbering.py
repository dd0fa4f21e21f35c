"""One module owns every series (pos/numbering.py): what it prints, it reads back; keys never collide."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos import numbering as nb
from pos.db import session_scope

CODES = st.from_regex(r"SR[0-9]{2}", fullmatch=True)
TAGS = st.none() | st.from_regex(r"K[0-9A-Z]{1,7}", fullmatch=True)


@given(CODES, st.integers(2000, 2100), st.integers(1, 10**9), TAGS)
def test_receipt_and_return_numbers_read_back(code: str, year: int, n: int, tag: str | None) -> None:
    receipt = nb.format_receipt_number(code, year, n, tag)
    ret = nb.format_return_number(code, year, n, tag)
    assert nb.parse_receipt_number(receipt) == nb.ParsedNumber(code, year, n, tag)
    assert nb.parse_return_number(ret) == nb.ParsedNumber(code, year, n, tag)
    assert nb.parse_receipt_number(ret) is None and nb.parse_return_number(receipt) is None


def test_formats_as_printed() -> None:
    assert nb.format_receipt_number("SR01", 2026, 123) == "SR01-2026-000123"
    assert nb.format_return_number("SR01", 2026, 12) == "SR01-2026-R000012"
    assert nb.format_receipt_number("SR01", 2026, 1, "KT5X") == "SR01-2026-KT5X-0001"
    assert nb.invoice_symbol(2026, "AB") == "C26MAB"
    assert nb.format_invoice_number(42) == "00000042"
    code = nb.format_mccqt(1, 2026, "AB12C", 1, 42)
    assert code == "M1-26-AB12C-00100000042" and len(code) == nb.MCCQT_LENGTH
    assert nb.parse_mccqt(code) == nb.ParsedMccqt(1, 26, "AB12C", 1, 42)
    assert nb.parse_mccqt("M1-26-AB12C-0010000004") is None


@given(st.integers(1, 6), st.integers(2000, 2099), st.integers(0, 999), st.integers(1, 10**8 - 1))
def test_mccqt_is_23_characters_and_reads_back(form: int, year: int, issuer: int, n: int) -> None:
    code = nb.format_mccqt(form, year, "0A1B2", issuer, n)
    assert len(code) == 23 and code.count("-") == 3
    assert nb.parse_mccqt(code) == nb.ParsedMccqt(form, year % 100, "0A1B2", issuer, n)


def test_mccqt_refuses_out_of_range() -> None:
    with pytest.raises(ValueError):
        nb.format_mccqt(1, 2026, "AB12C", 1000, 1)
    with pytest.raises(ValueError):
        nb.format_mccqt(1, 2026, "AB12C", 1, 10**8)


def test_series_take_their_own_counters(engine: Any) -> None:
    with session_scope(engine) as s:
        assert nb.peek_receipt_number(s, "SR01", 2026) == "SR01-2026-000001"
        assert nb.take_receipt_number(s, "SR01", 2026) == "SR01-2026-000001"
        assert nb.take_return_number(s, "SR01", 2026) == "SR01-2026-R000001"
        assert nb.take_invoice_number(s, 1, "C26MAB") == 1
        assert nb.take_invoice_number(s, 1, "C26MAB") == 2
        assert nb.take_invoice_number(s, 2, "C26MAB") == 1  # another form, another series
        assert nb.take_invoice_number(s, 1, "C27MAB") == 1  # a new year, a new symbol
        assert nb.take_receipt_number(s, "SR01", 2026) == "SR01-2026-000002"
