"""The shape every report takes: titled columns, rows of plain values, a totals row, and what is counted.

The page, the CSV and the XLSX are all drawn from one ``Report``, so they cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pos.money import format_vnd
from pos.quantity import WEIGHT, Quantity, qty_decimal, qty_number
from pos.reports.period import Period, format_dmy

# Column kinds: how a value is shown and exported. Grams and pieces are never added together: a column summed
# over many products is either pieces (INT, headed "(cái)") or KG (grams of goods sold by weight, shown and
# exported in kg, "1,250" under a "(kg)" header); a column of one product per row is QTY (a pos.quantity
# Quantity, "1,250" or "3", beside a column saying its unit, ĐVT) and has no total.
TEXT, INT, VND, SHARE, DATE, STARS, KG, QTY = "text", "int", "vnd", "share", "date", "stars", "kg", "qty"
NUMERIC_KINDS = {INT, VND, SHARE, KG, QTY}


@dataclass(frozen=True)
class Column:
    """One column: the row key, its Vietnamese header and its kind."""

    key: str
    header: str
    kind: str = TEXT

    @property
    def numeric(self) -> bool:
        return self.kind in NUMERIC_KINDS


@dataclass
class Report:
    """A computed report, ready to render or export."""

    name: str
    title: str
    counted: str  # what is counted and what is left out, shown on the page and in the XLSX
    columns: list[Column]
    rows: list[dict[str, Any]]
    totals: dict[str, Any] | None = None
    period: Period | None = None
    as_of: date | None = None  # reports of the present state (stock, certificates) say when
    chart: dict[str, Any] | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def column(self, key: str) -> Column:
        """The column with this key."""
        return next(c for c in self.columns if c.key == key)

    def subtitle(self) -> str:
        """'Kỳ báo cáo: 01/03/2026 – 31/03/2026' or 'Tại ngày 05/03/2026'."""
        if self.period is not None:
            return f"Kỳ báo cáo: {self.period.label()}"
        if self.as_of is not None:
            return f"Tại ngày {format_dmy(self.as_of)}"
        return ""


def display_rows(report: Report, columns: list[Column]) -> list[tuple[dict[str, Any], list[tuple[str, str]]]]:
    """Each row with its cells as (css class, text), formatted once in Python rather than cell by cell in Jinja."""
    classes = [("num" if c.numeric else f"text k-{c.key}", c.numeric) for c in columns]
    out = []
    for row in report.rows:
        cells = []
        for c, (css, numeric) in zip(columns, classes, strict=True):
            value = row.get(c.key)
            negative = numeric and isinstance(value, int) and value < 0
            cells.append((f"{css} neg" if negative else css, cell_text(value, c.kind)))
        out.append((row, cells))
    return out


def share_text(share_bp: int) -> str:
    """1250 -> '12,5%' (one decimal, comma as Vietnamese write it)."""
    whole, frac = divmod(int(share_bp), 100)
    return f"{whole},{frac // 10}%"


def cell_text(value: Any, kind: str) -> str:
    """A value as shown on screen (money '1.250.000 ₫', dates dd/mm/yyyy); no rating reads 'Chưa xếp hạng'."""
    if kind == STARS and value in (None, "", 0):
        return "Chưa xếp hạng"
    if value is None or value == "":
        return ""
    if kind == VND:
        return format_vnd(int(value))
    if kind == INT:
        return f"{int(value):,}".replace(",", ".")
    if kind == KG:
        return qty_number(int(value), WEIGHT)
    if kind == QTY:
        return value.number if isinstance(value, Quantity) else f"{int(value):,}".replace(",", ".")
    if kind == SHARE:
        return share_text(value)
    if kind == DATE:
        return format_dmy(value) if isinstance(value, date) else str(value)
    if kind == STARS:
        return f"{value} sao" if value else "Chưa xếp hạng"
    return str(value)


def export_value(value: Any, kind: str) -> Any:
    """A value as written to CSV: numbers bare (so Excel can sum them), dates dd/mm/yyyy."""
    if value is None:
        return cell_text(value, kind) if kind == STARS else ""
    if kind in (INT, VND):
        return int(value)
    if kind == KG:
        return qty_decimal(int(value), WEIGHT)  # 1.250: a number with a decimal point, as CSV readers expect
    if kind == QTY:
        return value.decimal if isinstance(value, Quantity) else int(value)
    return cell_text(value, kind)
