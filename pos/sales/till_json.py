"""The till's JSON: the cart as the till page draws it, every figure computed here as plain values.

The page (static/js/till.js) only formats what it gets; a change of what the till shows changes this file.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session

from pos.inventory.lots import is_lot_kept, is_sellable, lots_of, next_lot_note
from pos.money import format_bp
from pos.orders.reservations import reserved_many
from pos.quantity import display_unit, format_qty, format_unit_price, item_count
from pos.sales import pricing
from pos.sales.cart import CartItem, count_parked, line_base, line_discount, price_cart, sale_base, sale_discount
from pos.sales.discounts import approver_of, discount_issues
from pos.sales.models import Cart
from pos.sales.pricing import DiscountLimits


def cart_view(
    session: Session,
    cart: Cart,
    today: date,
    limits: DiscountLimits,
    allow_negative: bool = True,
    items: list[CartItem] | None = None,
    warning_days: int = 30,
    showroom_code: str = "",
) -> dict[str, Any]:
    """The cart as the till page shows it: every figure computed here, as plain JSON-ready values.

    ``items`` are the cart's items as a change just left them (scan_items); without them they are read.
    """
    items, priced = price_cart(session, cart, today, items, showroom_code=showroom_code)
    unapproved = discount_issues(items, cart, limits)
    lots = lots_of(session, [item.product.id for item in items if is_lot_kept(item.product)], with_stock_only=True)  # type: ignore[misc]
    held = reserved_many(session, [item.product.id for item in items]) if items else {}  # type: ignore[misc]
    lines = []
    for item, p in zip(items, priced.lines, strict=True):
        product, line = item.product, item.line
        kept = held.get(product.id, 0)  # type: ignore[arg-type]
        stock = item.on_hand - kept  # what the till may sell: stock held for company orders is not
        product_lots = lots.get(product.id, [])  # type: ignore[arg-type]
        lot, lot_warning = next_lot_note(product_lots, line.lot_id, today, warning_days)
        lines.append(
            {
                "id": line.id,
                "product_id": product.id,
                "name": product.name,
                "sku": product.sku,
                "barcode": product.barcode,
                "unit": display_unit(product.sold_by, product.unit),
                "sold_by": product.sold_by,
                "qty": line.qty,  # grams for goods sold by weight
                "qty_text": format_qty(line.qty, product.sold_by),
                "unit_price_vnd": p.unit_price_vnd,
                "unit_price_text": format_unit_price(p.unit_price_vnd, product.sold_by),
                "gross_vnd": p.gross_vnd,
                "discount": {"kind": line.discount_kind, "value": line.discount_value} if line.discount_kind else None,
                "discount_approved": approver_of(line, line_discount(line), line_base(item)) is not None,
                "line_discount_vnd": p.line_discount_vnd,
                "sale_discount_vnd": p.sale_discount_vnd,
                "total_vnd": p.total_vnd,
                "vat_rate_bp": p.vat_rate_bp,
                "vat_vnd": p.vat_vnd,
                "on_hand": stock,
                "reserved": kept,
                "is_basket": bool(p.part_totals_vnd),
                "promotion": {"id": p.promotion_id, "name": p.promotion_name, "discount_vnd": p.promo_vnd}
                if p.promotion_id
                else None,
                "short": not allow_negative and not p.part_totals_vnd and line.qty > stock,
                "needs_approval": line.id in unapproved,
                # The lot it will be sold from (chosen, or first expiry first), its warning, and the others.
                "lot": {"id": lot.id, "code": lot.lot_code, "expiry_date": _iso(lot.expiry_date)} if lot else None,
                "lot_chosen": line.lot_id is not None,
                "lot_warning": lot_warning,
                "lots": [
                    {"id": x.id, "code": x.lot_code, "expiry_date": _iso(x.expiry_date), "qty": x.qty}
                    for x in product_lots
                    if is_sellable(x, today) and x.qty > 0
                ],
            }
        )
    return {
        "id": cart.id,
        "uuid": str(cart.uuid),
        "label": cart.label,
        "lines": lines,
        "items": sum(item_count(item.line.qty, item.product.sold_by) for item in items),
        "subtotal_vnd": priced.subtotal_vnd,
        "line_discount_vnd": priced.line_discount_vnd,
        "sale_discount": {"kind": cart.discount_kind, "value": cart.discount_value} if cart.discount_kind else None,
        "sale_discount_approved": approver_of(cart, sale_discount(cart), sale_base(items)) is not None,
        "sale_discount_vnd": priced.sale_discount_vnd,
        "discount_vnd": priced.discount_vnd,
        "total_vnd": priced.total_vnd,
        "vat": [
            {
                "rate_bp": part.rate_bp,
                "rate": format_bp(part.rate_bp),
                "gross_vnd": part.gross_vnd,
                "vat_vnd": part.vat_vnd,
            }
            for part in priced.vat
        ],
        "vat_vnd": priced.vat_vnd,
        "cash_suggestions": pricing.cash_suggestions(priced.total_vnd),
        "needs_approval": bool(unapproved),
        "parked_count": count_parked(session, cart.cashier_id),
        "vat_date": today.isoformat(),
    }


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None
