"""Quantities: goods sold by the piece (a count) or by weight (grams, priced per kg).

A product's ``sold_by`` says what its quantities count, everywhere they are stored (cart line, sale line, stock
ledger, lots, returns): whole pieces, or whole grams. Never a float. This module owns the two rules every
other place calls: the quantity in display units ("2", "0,350 kg") and a line's amount from the quantity and
the unit price (money.line_amount_vnd, half-up to the đồng), and the reading of a weight typed at the till.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func

from pos.money import format_vnd, line_amount_vnd

PIECE = "piece"
WEIGHT = "weight"
SOLD_BY: dict[str, str] = {PIECE: "Theo cái (đếm số lượng)", WEIGHT: "Theo cân (giá mỗi kg, cân đến gam)"}
GRAMS_PER_KG = 1000
WEIGHT_UNIT = "kg"  # what a weighed product's unit reads on screens, receipts and invoices
MIN_WEIGHT_G = 5  # below this a typed weight is a slip ("2" meant 2 kg), not goods on the scale
MAX_WEIGHT_G = 50_000  # a till's counter scale stops at 15–30 kg; 50 kg covers a sack weighed elsewhere


class WeightError(ValueError):
    """A weight the till cannot take; the message is Vietnamese, ready for the screen."""


def is_weighed(sold_by: str | None) -> bool:
    """True for goods sold by weight (quantities in grams, prices per kg)."""
    return sold_by == WEIGHT


def qty_per_price_unit(sold_by: str | None) -> int:
    """How many quantity units one price is for: 1 piece, or 1000 g (a kg)."""
    return GRAMS_PER_KG if is_weighed(sold_by) else 1


def line_amount(qty: int, unit_price_vnd: int, sold_by: str | None) -> int:
    """A line's amount before discounts: qty × unit price, a weighed line's rounded half-up to the đồng."""
    return line_amount_vnd(qty, unit_price_vnd, qty_per_price_unit(sold_by))


def signed_amount(qty: int, unit_price_vnd: int, sold_by: str | None) -> int:
    """line_amount of a quantity that may be negative (a stock level below zero, a count's shortfall), rounded
    half-up away from zero so that a shortfall is worth what the same surplus is."""
    amount = line_amount(abs(qty), unit_price_vnd, sold_by)
    return -amount if qty < 0 else amount


def min_stock(own: int | None, sold_by: str | None, default: int) -> int:
    """A product's reorder point in its own unit: its own, else the showroom's default, which counts pieces or
    kg (a default of 5 is 5 boxes, or 5 kg = 5.000 g of oranges, never 5 g)."""
    if own is not None:
        return own
    return default * qty_per_price_unit(sold_by)


def min_stock_column(own: Any, sold_by: Any, default: int) -> Any:
    """min_stock as a SQLAlchemy expression over the product's columns."""
    return func.coalesce(own, case((sold_by == WEIGHT, default * GRAMS_PER_KG), else_=default))


def min_stock_sql(own: str, sold_by: str, default: str) -> str:
    """min_stock as SQL text over columns, the default a bound parameter (':default')."""
    return f"COALESCE({own}, CASE WHEN {sold_by} = '{WEIGHT}' THEN {default} * {GRAMS_PER_KG} ELSE {default} END)"


def item_count(qty: int, sold_by: str | None) -> int:
    """What a line adds to a cart's count of items: its pieces, or 1 for one weighing of loose goods."""
    return 1 if is_weighed(sold_by) else qty


def display_unit(sold_by: str | None, unit: str) -> str:
    """The unit a quantity is shown in: "kg" for weighed goods, else the product's own (cái, hộp, chai…)."""
    return WEIGHT_UNIT if is_weighed(sold_by) else unit


def qty_decimal(qty: int, sold_by: str | None) -> Decimal:
    """The quantity in display units as an exact decimal: 350 g -> Decimal('0.350'), 2 pieces -> Decimal('2')."""
    if is_weighed(sold_by):
        return Decimal(qty).scaleb(-3).quantize(Decimal("0.001"))
    return Decimal(qty)


def qty_number(qty: int, sold_by: str | None) -> str:
    """The quantity as a number in display units, without its unit: '0,350' (kg) or '2'."""
    if is_weighed(sold_by):
        sign = "-" if qty < 0 else ""
        kg, grams = divmod(abs(qty), GRAMS_PER_KG)
        return f"{sign}{kg:,}".replace(",", ".") + f",{grams:03d}"
    return f"{qty:,}".replace(",", ".")


def format_qty(qty: int, sold_by: str | None, unit: str = "", signed: bool = False) -> str:
    """'0,350 kg' for 350 g of a weighed product; '2' (or '2 hộp' with a unit) for pieces; with ``signed`` a
    change: '+2', '-0,100 kg', '0'."""
    number = qty_number(qty, sold_by)
    if signed and qty > 0:
        number = "+" + number
    if is_weighed(sold_by):
        return f"{number} {WEIGHT_UNIT}"
    return f"{number} {unit}" if unit else number


class Quantity(int):
    """A quantity that knows how it is counted, for a column where pieces and weighed goods share rows.

    An int (pieces, or grams when sold by weight), so that it compares and sorts as the stored number; a report
    row of one product carries its quantity so (shown "1,250" beside its unit "kg", or "3" beside "hộp"); such
    a column is never summed, since grams and pieces do not add up.
    """

    sold_by: str

    def __new__(cls, amount: int, sold_by: str | None = PIECE) -> Quantity:
        value = super().__new__(cls, amount)
        value.sold_by = sold_by or PIECE
        return value

    @property
    def number(self) -> str:
        """'1,250' (kg) or '3'."""
        return qty_number(int(self), self.sold_by)

    @property
    def decimal(self) -> Decimal:
        """The quantity in display units, exact: Decimal('1.250') kg or Decimal('3')."""
        return qty_decimal(int(self), self.sold_by)

    @property
    def is_weighed(self) -> bool:
        return is_weighed(self.sold_by)

    def __str__(self) -> str:
        return format_qty(int(self), self.sold_by)

    def __repr__(self) -> str:
        return f"Quantity({int(self)}, {self.sold_by!r})"


def format_unit_price(unit_price_vnd: int, sold_by: str | None) -> str:
    """'120.000 ₫/kg' for a weighed product's price, '45.000 ₫' for a piece's."""
    return format_vnd(unit_price_vnd) + (f"/{WEIGHT_UNIT}" if is_weighed(sold_by) else "")


def format_line(qty: int, unit_price_vnd: int, sold_by: str | None) -> str:
    """The quantity line of a receipt: '0,350 kg × 120.000 ₫/kg', '2 × 45.000 ₫'."""
    return f"{format_qty(qty, sold_by)} × {format_unit_price(unit_price_vnd, sold_by)}"


_WEIGHT_TEXT = re.compile(r"^(\d{1,6})(?:[.,](\d{1,3}))?\s*(kg|g)?$")


def parse_weight(text: str) -> int:
    """A weight typed at the till, in grams: '350' or '350 g' (grams), '0,35' / '0.350' / '2 kg' (kilograms).

    A plain whole number is grams; a decimal separator (comma as Vietnamese write it, or a point) or "kg"
    makes it kilograms, to the gram. Zero, a fraction of a gram and weights past a scale's range are refused.
    """
    return check_weight(read_weight(text))


def read_weight(text: str) -> int:
    """The grams a typed weight says, as parse_weight reads it, without the till's bounds (a stock count of a
    crate may pass a counter scale's range; zero is a count too)."""
    cleaned = " ".join((text or "").strip().lower().split())
    match = _WEIGHT_TEXT.match(cleaned)
    if not match:
        raise WeightError(f"Khối lượng “{(text or '').strip()[:20]}” không đọc được: nhập số gam (350) hoặc kg (0,35).")
    whole, frac, unit = match.groups()
    if frac is not None and unit == "g":
        raise WeightError("Khối lượng tính đến gam: không nhập phần lẻ của gam.")
    if frac is not None or unit == "kg":
        return int(whole) * GRAMS_PER_KG + int((frac or "").ljust(3, "0"))
    return int(whole)


def check_weight(grams: int) -> int:
    """A weight in grams the till may sell: refused at zero, below MIN_WEIGHT_G and above MAX_WEIGHT_G."""
    if isinstance(grams, bool) or not isinstance(grams, int):
        raise WeightError("Khối lượng phải là số gam nguyên.")
    if grams <= 0:
        raise WeightError("Khối lượng phải lớn hơn 0. Muốn bỏ sản phẩm thì bấm “Xóa”.")
    if grams < MIN_WEIGHT_G:
        raise WeightError(
            f"Khối lượng {grams} g quá nhỏ. Nhập số gam (350) hoặc kg có dấu phẩy (0,35); 2 kg nhập “2 kg”."
        )
    if grams > MAX_WEIGHT_G:
        raise WeightError(f"Khối lượng {format_qty(grams, WEIGHT)} vượt quá {MAX_WEIGHT_G // GRAMS_PER_KG} kg.")
    return grams


def amount_sql(qty: str, unit_price: str, sold_by: str) -> str:
    """line_amount as SQL over columns (SQLite and PostgreSQL): half-up for a non-negative product.

    (2·q·p + d) div (2·d) with d = 1 or 1000 is floor(q·p/d + ½), exact in integers, the same as div_round.
    """
    per = f"(CASE WHEN {sold_by} = '{WEIGHT}' THEN {GRAMS_PER_KG} ELSE 1 END)"
    return f"((2 * {qty} * {unit_price} + {per}) / (2 * {per}))"


def amount_column(qty: Any, unit_price: Any, sold_by: Any) -> Any:
    """amount_sql as a SQLAlchemy expression over columns (stock value: qty × cost or price, per kg when weighed)."""
    per = case((sold_by == WEIGHT, GRAMS_PER_KG), else_=1)
    return (2 * qty * unit_price + per) // (2 * per)
