"""The figures of an invoice, drawn once from the sale's frozen lines: the XML and the printed copy only show them.

A line's amount before VAT is its total less the VAT the pricing gave it (pos/sales/pricing.py takes the VAT of
each rate from the sum sold at that rate and spreads it over the lines), so the lines add up to the summary of
each rate exactly and the summaries to the sale's total.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

from pos.catalog.models import VAT_MARKS
from pos.money import BP, vat_included
from pos.quantity import line_amount, qty_decimal
from pos.vnwords import amount_in_words

PAYMENT_CODES = {"cash": "TM", "card": "CK", "transfer": "CK"}  # a card payment is a non-cash transfer


class SoldLine(Protocol):
    """What the figures need of a sale line (SaleLine, or a line of what is left after a return)."""

    line_no: int
    sku: str
    name: str
    unit: str
    qty: int
    unit_price_vnd: int
    discount_vnd: int
    total_vnd: int
    vat_rate_bp: int
    vat_vnd: int
    vat_class: str
    sold_by: str  # "weight": qty in grams, unit_price_vnd per kg (pos/quantity.py)


@dataclass(frozen=True)
class InvoiceLine:
    """One line as the invoice states it; prices before VAT on a VAT invoice (form 1), with VAT on form 2."""

    line_no: int
    code: str
    name: str
    unit: str
    qty: Decimal  # in the unit stated: 2 pieces, or 0.350 kg
    unit_price: Decimal
    discount_vnd: int
    amount_vnd: int  # ThTien
    rate_bp: int
    vat_vnd: int
    gross_vnd: int  # what the buyer pays for the line
    mark: str = ""  # KCT, KKKNT: named by the mark, not the rate (pos/catalog/models.py VAT_MARKS)


@dataclass(frozen=True)
class RatePart:
    """Everything sold at one VAT rate (exempt goods, KCT, apart from those at 0 %)."""

    rate_bp: int
    net_vnd: int
    vat_vnd: int
    gross_vnd: int
    mark: str = ""


@dataclass(frozen=True)
class InvoiceFigures:
    """The invoice's lines, summaries per rate and totals."""

    form: int
    lines: list[InvoiceLine]
    rates: list[RatePart]
    net_vnd: int
    vat_vnd: int
    discount_vnd: int
    total_vnd: int
    words: str
    payment_code: str


def rate_parts(lines: Iterable[SoldLine]) -> list[RatePart]:
    """Net, VAT and gross per rate and mark, highest rate first, KCT and KKKNT last (the receipt's VAT table
    draws these too)."""
    by_rate: dict[tuple[str, int], tuple[int, int]] = {}
    for line in lines:
        key = (VAT_MARKS.get(line.vat_class, ""), line.vat_rate_bp)
        gross, vat = by_rate.get(key, (0, 0))
        by_rate[key] = (gross + line.total_vnd, vat + line.vat_vnd)
    ordered = sorted(by_rate.items(), key=lambda item: (item[0][0], -item[0][1]))
    return [RatePart(rate, gross - vat, vat, gross, mark) for (mark, rate), (gross, vat) in ordered]


def payment_code(methods: Iterable[str]) -> str:
    """HTTToan: TM (cash), CK (transfer or card), TM/CK when both or none is known."""
    codes = {PAYMENT_CODES.get(m, "TM/CK") for m in methods}
    return codes.pop() if len(codes) == 1 else "TM/CK"


def _unit_price(unit_price_vnd: int, rate_bp: int, form: int) -> Decimal:
    if form != 1 or rate_bp <= 0:
        return Decimal(unit_price_vnd)
    return (Decimal(unit_price_vnd) * BP / (BP + rate_bp)).quantize(Decimal("0.0001"), ROUND_HALF_UP)


def invoice_figures(form: int, lines: Sequence[SoldLine], methods: Iterable[str]) -> InvoiceFigures:
    """The figures of an invoice of ``form`` (1: VAT invoice, lines before VAT; 2: sales invoice, totals only)."""
    out: list[InvoiceLine] = []
    for line in lines:
        before_discount = line_amount(line.qty, line.unit_price_vnd, line.sold_by)
        if form == 1:
            amount = line.total_vnd - line.vat_vnd
            discount = before_discount - vat_included(before_discount, line.vat_rate_bp) - amount
        else:
            amount, discount = line.total_vnd, line.discount_vnd
        out.append(
            InvoiceLine(
                line_no=line.line_no,
                code=line.sku,
                name=line.name,
                unit=line.unit,
                qty=qty_decimal(line.qty, line.sold_by),
                unit_price=_unit_price(line.unit_price_vnd, line.vat_rate_bp, form),
                discount_vnd=discount,
                amount_vnd=amount,
                rate_bp=line.vat_rate_bp,
                vat_vnd=line.vat_vnd,
                gross_vnd=line.total_vnd,
                mark=VAT_MARKS.get(line.vat_class, ""),
            )
        )
    rates = rate_parts(lines)
    total = sum(part.gross_vnd for part in rates)
    vat = sum(part.vat_vnd for part in rates)
    return InvoiceFigures(
        form=form,
        lines=out,
        rates=rates,
        net_vnd=total - vat,
        vat_vnd=vat,
        discount_vnd=sum(line.discount_vnd for line in out),
        total_vnd=total,
        words=amount_in_words(total),
        payment_code=payment_code(methods),
    )


def decrease(figures: InvoiceFigures) -> InvoiceFigures:
    """The figures of an adjustment that takes ``figures`` off an invoice: every quantity and amount negative,
    unit prices and rates unchanged, the amount in words read as negative ("Âm …")."""
    lines = [
        replace(
            line,
            qty=-line.qty,
            discount_vnd=-line.discount_vnd,
            amount_vnd=-line.amount_vnd,
            vat_vnd=-line.vat_vnd,
            gross_vnd=-line.gross_vnd,
        )
        for line in figures.lines
    ]
    rates = [replace(p, net_vnd=-p.net_vnd, vat_vnd=-p.vat_vnd, gross_vnd=-p.gross_vnd) for p in figures.rates]
    return replace(
        figures,
        lines=lines,
        rates=rates,
        net_vnd=-figures.net_vnd,
        vat_vnd=-figures.vat_vnd,
        discount_vnd=-figures.discount_vnd,
        total_vnd=-figures.total_vnd,
        words=amount_in_words(-figures.total_vnd),
    )
