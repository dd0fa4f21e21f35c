"""Baskets on paper: a sale's component lines folded back into the baskets the customer bought."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlmodel import Session, select

from pos.baskets.models import SaleBasket, SaleBasketLine
from pos.promotions.services import promotion_names
from pos.sales.models import SaleLine
from pos.sales.receipt_labels import Wording
from pos.sales.receipts import ReceiptLine

MIXED_RATES = -1  # a basket's components carry their own VAT rates: the receipt prints them per rate only


def sold_baskets(session: Session, sale_id: int) -> tuple[list[SaleBasket], dict[int, int]]:
    """The baskets of a sale and {sale line id: sale basket id} for its component lines."""
    rows = list(session.exec(select(SaleBasket).where(SaleBasket.sale_id == sale_id).order_by(SaleBasket.line_no)))
    if not rows:
        return [], {}
    links = session.exec(
        select(SaleBasketLine).where(SaleBasketLine.sale_basket_id.in_([r.id for r in rows]))  # type: ignore[attr-defined]
    ).all()
    return rows, {link.sale_line_id: link.sale_basket_id for link in links}


def paper_numbers(lines: Sequence[SaleLine], link: Mapping[int, int]) -> dict[int, int]:
    """Sale line number -> the line's number on paper, where each basket is one line (its components share it)."""
    numbers: dict[int, int] = {}
    basket_numbers: dict[int, int] = {}
    count = 0
    for line in lines:
        basket_id = link.get(line.id)  # type: ignore[arg-type]
        if basket_id is None or basket_id not in basket_numbers:
            count += 1
            if basket_id is not None:
                basket_numbers[basket_id] = count
        numbers[line.line_no] = count if basket_id is None else basket_numbers[basket_id]
    return numbers


def contents_of(
    basket: SaleBasket,
    lines: Sequence[SaleLine],
    english: Mapping[int, str] | None = None,
    t: Wording | None = None,
) -> tuple[str, ...]:
    """'2 Chè Tân Cương' for each component of one basket (quantities per basket), named in the receipt's language.

    ``english`` (product id -> English name) and ``t`` as for the receipt's own lines: '2 Tan Cuong green tea' in
    English, '2 Chè Tân Cương (Tan Cuong green tea)' bilingual.
    """
    t, english = t or Wording(), english or {}
    return tuple(
        f"{line.qty // max(basket.qty, 1)} {t.name(line.name, english.get(line.product_id, ''))}" for line in lines
    )


def receipt_lines(
    session: Session,
    sale_id: int,
    lines: Sequence[SaleLine],
    stars: Mapping[int, int] | None = None,
    english: Mapping[int, str] | None = None,
    t: Wording | None = None,
) -> list[ReceiptLine]:
    """The receipt's lines: ordinary lines as sold, each basket once with its contents (printed on request).

    ``stars`` (product id -> stars, for valid certificates only) marks the ordinary lines with OCOP stars;
    ``english`` (product id -> English name) names them, the baskets and the baskets' contents on an English or
    bilingual receipt; ``t`` is the receipt's wording (the contents are printed as one line each).
    """
    english = english or {}
    promo = promotion_names(session, [line.id for line in lines])  # type: ignore[misc]
    baskets, link = sold_baskets(session, sale_id)
    by_id = {b.id: b for b in baskets}
    members: dict[int, list[SaleLine]] = {}
    for line in lines:
        if line.id in link:
            members.setdefault(link[line.id], []).append(line)
    out = []
    for line in lines:
        basket_id = link.get(line.id)  # type: ignore[arg-type]
        if basket_id is None:
            out.append(
                ReceiptLine(
                    line.name,
                    line.qty,
                    line.unit,
                    line.unit_price_vnd,
                    line.discount_vnd,
                    line.total_vnd,
                    line.vat_rate_bp,
                    vat_class=line.vat_class,
                    promotion=promo.get(line.id, ""),  # type: ignore[arg-type]
                    sold_by=line.sold_by,
                    stars=(stars or {}).get(line.product_id),
                    name_en=english.get(line.product_id, ""),
                )
            )
        elif members[basket_id][0] is line:
            b = by_id[basket_id]
            out.append(
                ReceiptLine(
                    b.name,
                    b.qty,
                    "giỏ",
                    b.unit_price_vnd,
                    b.discount_vnd,
                    b.total_vnd,
                    MIXED_RATES,
                    contents=contents_of(b, members[basket_id], english, t),
                    promotion=promo.get(line.id, ""),  # type: ignore[arg-type]
                    name_en=english.get(b.product_id, ""),
                )
            )
    return out
