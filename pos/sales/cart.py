"""Carts at the till, kept in the database so a reload or a browser crash loses nothing.

Each cashier has one active cart; parked carts wait for the customer to come back. Prices are never
stored on a cart: every view re-prices it from the catalogue and the VAT table of the day.

This module holds the cart's state and what changes it (lines, quantities, park and resume) and prices it;
finding what a scan names is in ``scanning``, discounts and their approval in ``discounts``, the till's JSON
in ``till_json``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func
from sqlmodel import Session, select

from pos.audit import log as audit
from pos.baskets.sale import basket_parts
from pos.catalog.models import Product
from pos.customers.models import CartCustomer
from pos.db import parse_id, utcnow
from pos.errors import NotFound, ValidationError
from pos.inventory.ledger import on_hand
from pos.inventory.models import StockLevel
from pos.promotions.services import promotions_for
from pos.quantity import PIECE, WeightError, check_weight, is_weighed, item_count
from pos.sales import pricing
from pos.sales.models import Cart, CartLine
from pos.sales.pricing import Discount, LineInput, PricedSale
from pos.sales.vat import missing_rate, rates_on
from pos.text import nfc

QTY_MAX = 9999


@dataclass(frozen=True)
class CartItem:
    """A cart line with its product and the product's stock on hand, as priced together."""

    line: CartLine
    product: Product
    on_hand: int = 0


def get_or_create_active_cart(session: Session, cashier_id: int) -> Cart:
    """The cashier's active cart, created empty if there is none."""
    return active_cart_items(session, cashier_id, with_items=False)[0]


def active_cart_items(session: Session, cashier_id: int, with_items: bool = True) -> tuple[Cart, list[CartItem]]:
    """The cashier's active cart (created empty if there is none) and its items; a new cart needs no read."""
    cart = session.exec(
        select(Cart).where(Cart.cashier_id == cashier_id, Cart.status == "active").order_by(Cart.id)  # type: ignore[arg-type]
    ).first()
    if cart is None:
        cart = Cart(cashier_id=cashier_id)
        session.add(cart)
        session.flush()
        return cart, []
    return cart, cart_items(session, cart) if with_items else []


def get_cart(session: Session, cart_id: int, cashier_id: int) -> Cart:
    """One of this cashier's carts; NotFound for anyone else's or a sold one."""
    wanted = parse_id(cart_id)
    cart = session.get(Cart, wanted) if wanted else None
    if cart is None or cart.cashier_id != cashier_id:
        raise NotFound("Không tìm thấy đơn hàng này (có thể đã thanh toán). Hãy tải lại trang.", "cart")
    return cart


def cart_items(session: Session, cart: Cart) -> list[CartItem]:
    """The cart's lines with their products and stock on hand, in the order they were rung up."""
    rows = session.exec(
        select(CartLine, Product, StockLevel.qty)
        .join(Product, Product.id == CartLine.product_id)  # type: ignore[arg-type]
        .outerjoin(StockLevel, StockLevel.product_id == CartLine.product_id)  # type: ignore[arg-type]
        .where(CartLine.cart_id == cart.id)
        .order_by(CartLine.id)  # type: ignore[arg-type]
    ).all()
    return [CartItem(line, product, int(qty or 0)) for line, product, qty in rows]


def cart_line(session: Session, cart: Cart, line_id: Any) -> CartLine:
    """One line of this cart; NotFound for a line gone or on another cart."""
    wanted = parse_id(line_id) if isinstance(line_id, int) else None
    line = session.get(CartLine, wanted) if wanted else None
    if line is None or line.cart_id != cart.id:
        raise NotFound("Dòng này không còn trong đơn. Hãy tải lại trang.", "line")
    return line


def touch(cart: Cart) -> None:
    """Mark the cart as changed now (parked carts are listed newest first)."""
    cart.updated_at = utcnow()


def _check_qty(qty: Any, sold_by: str = PIECE) -> int:
    """A quantity a till can sell: an integer from 1 to 9999, or a weight in grams the till may take."""
    if is_weighed(sold_by):
        try:
            return check_weight(qty)
        except WeightError as exc:
            raise ValidationError(str(exc), "qty") from exc
    if isinstance(qty, bool) or not isinstance(qty, int):
        raise ValidationError("Số lượng phải là số nguyên.", "qty")
    if qty <= 0:
        raise ValidationError("Số lượng phải lớn hơn 0. Muốn bỏ sản phẩm thì bấm “Xóa”.", "qty")
    if qty > QTY_MAX:
        raise ValidationError(f"Số lượng tối đa cho một dòng là {QTY_MAX}.", "qty")
    return qty


def add_item(
    session: Session, cart: Cart, product: Product, qty: int, stock: int | None = None, lot_id: int | None = None
) -> tuple[CartLine, list[CartItem]]:
    """Add ``qty`` of a sellable product (``stock`` on hand, if already read): a new line, or more on its line.

    A pack scanned by its lot's own label (``lot_id``) has a line of its own, sold from that lot; so has each
    weighing of goods sold by weight (``qty`` in grams), as the receipt lists each pack as it was weighed.
    Returns the line and the cart's items as they now stand.
    """
    qty = _check_qty(qty, product.sold_by)
    # The cart is read once, with its products and stock: the line to add to is found in it, and the
    # same items go on to price the cart for the answer (a scan is the till's most frequent request).
    items = cart_items(session, cart)
    item = None
    if not is_weighed(product.sold_by):
        item = next((i for i in items if i.line.product_id == product.id and i.line.lot_id == lot_id), None)
    if item is None:
        line = CartLine(cart_id=cart.id, product_id=product.id, lot_id=lot_id, qty=qty)  # type: ignore[arg-type]
        session.add(line)
    else:
        line = item.line
        line.qty = _check_qty(line.qty + qty)
    touch(cart)
    session.flush()
    if item is None:
        items.append(CartItem(line, product, on_hand(session, product.id) if stock is None else stock))  # type: ignore[arg-type]
    drop_lapsed_approvals(session, cart, items)
    return line, items


def line_discount(line: CartLine) -> Discount | None:
    """The discount typed on a line, if any."""
    return Discount(line.discount_kind, line.discount_value) if line.discount_kind else None


def sale_discount(cart: Cart) -> Discount | None:
    """The discount typed on the whole sale, if any."""
    return Discount(cart.discount_kind, cart.discount_value) if cart.discount_kind else None


def line_base(item: CartItem) -> int:
    """What a line discount applies to: the line's quantity times today's price."""
    return pricing.line_gross(item.line.qty, item.product.price_vnd, item.product.sold_by)


def sale_base(items: list[CartItem]) -> int:
    """What a sale discount applies to: every line after its own discount."""
    total = 0
    for item in items:
        gross = line_base(item)
        total += gross - pricing.discount_amount(gross, line_discount(item.line))
    return total


def recheck_discounts(session: Session, cart: Cart, items: list[CartItem] | None = None) -> list[CartItem]:
    """After a change to the cart: every discount still fits what it applies to, and approvals still hold.

    No discount may exceed its base whatever the quantities become (ValidationError, the change is undone);
    an approval whose base changed so that it no longer covers its discount is dropped (audited), and the
    till asks for a manager again. Returns the cart's items as they now stand.
    """
    if items is None:
        items = cart_items(session, cart)
    pricing.discount_amount(sale_base(items), sale_discount(cart))  # sale_base checks each line's discount
    drop_lapsed_approvals(session, cart, items)
    return items


def drop_lapsed_approvals(session: Session, cart: Cart, items: list[CartItem]) -> None:
    """Forget the approvals that no longer cover their discount on the cart as it now stands (audited)."""
    for item in items:
        _drop_if_lapsed(session, cart, item.line, line_discount(item.line), line_base(item), f"line:{item.product.sku}")
    _drop_if_lapsed(session, cart, cart, sale_discount(cart), sale_base(items), "sale")


def _drop_if_lapsed(
    session: Session, cart: Cart, holder: Cart | CartLine, discount: Discount | None, base_vnd: int, what: str
) -> None:
    if holder.discount_approved_by_id is None or discount is None:
        return
    if pricing.approval_holds(discount, base_vnd, holder.discount_approved_base_vnd, holder.discount_approved_vnd):
        return
    audit.record(
        session,
        "discount.approval.lapsed",
        user_id=cart.cashier_id,
        entity="cart",
        entity_id=cart.id,
        before={
            "approved_by_id": holder.discount_approved_by_id,
            "base_vnd": holder.discount_approved_base_vnd,
            "amount_vnd": holder.discount_approved_vnd,
        },
        after={
            "on": what,
            "kind": discount.kind,
            "value": discount.value,
            "base_vnd": base_vnd,
            "amount_vnd": pricing.nominal_amount(base_vnd, discount),
        },
    )
    set_approval(holder, None)


def set_approval(holder: Cart | CartLine, approval: tuple[int, int, int] | None) -> None:
    """Record on a line or the cart who approved its discount, on which base, for how much (None: no one)."""
    by, base, amount = approval if approval is not None else (None, None, None)
    holder.discount_approved_by_id, holder.discount_approved_base_vnd, holder.discount_approved_vnd = by, base, amount


def set_qty(session: Session, cart: Cart, line_id: int, qty: Any) -> CartLine:
    """Set a line's quantity (1 to 9999, or grams of a weighed product); removing a line is its own action."""
    line = cart_line(session, cart, line_id)
    product = session.get(Product, line.product_id)
    line.qty = _check_qty(qty, product.sold_by if product else PIECE)
    touch(cart)
    session.flush()
    recheck_discounts(session, cart)
    return line


def remove_line(session: Session, cart: Cart, line_id: int) -> None:
    """Take a line off the cart."""
    session.delete(cart_line(session, cart, line_id))
    session.flush()
    if not cart_items(session, cart):
        clear_sale_discount(cart)  # a discount on nothing would block the next sale
    touch(cart)
    recheck_discounts(session, cart)


def clear_cart(session: Session, cart: Cart) -> None:
    """Empty the cart (the customer left without buying)."""
    session.execute(delete(CartLine).where(CartLine.cart_id == cart.id))  # type: ignore[arg-type]
    clear_sale_discount(cart)
    touch(cart)
    session.flush()


def clear_sale_discount(cart: Cart) -> None:
    """Take the discount on the whole sale off, with its approval."""
    cart.discount_kind, cart.discount_value = "", 0
    set_approval(cart, None)


def park(session: Session, cart: Cart, label: str = "") -> Cart:
    """Put the sale aside (lưu tạm) and give the cashier a new empty cart."""
    if not cart_items(session, cart):
        raise ValidationError("Đơn đang trống, không có gì để lưu tạm.", "cart")
    cart.status = "parked"
    cart.label = nfc(label)[:80]
    touch(cart)
    session.flush()
    return get_or_create_active_cart(session, cart.cashier_id)


def resume(session: Session, cashier_id: int, cart_id: int) -> Cart:
    """Bring a parked sale back; the sale on screen is parked in its place (or dropped if empty)."""
    target = get_cart(session, cart_id, cashier_id)
    if target.status != "parked":
        raise NotFound("Đơn này không nằm trong danh sách lưu tạm.", "cart")
    current = session.exec(select(Cart).where(Cart.cashier_id == cashier_id, Cart.status == "active")).all()
    for cart in current:
        if cart_items(session, cart):
            cart.status = "parked"
            cart.label = cart.label or "Đơn đang bán dở"
        else:
            delete_cart(session, cart)
    target.status = "active"
    touch(target)
    session.flush()
    return target


def delete_cart(session: Session, cart: Cart) -> None:
    """Remove a cart and its lines (after the sale, or an empty cart)."""
    session.execute(delete(CartLine).where(CartLine.cart_id == cart.id))  # type: ignore[arg-type]
    session.execute(delete(CartCustomer).where(CartCustomer.cart_id == cart.id))  # type: ignore[arg-type]
    session.delete(cart)
    session.flush()


def list_parked(session: Session, cashier_id: int, today: date, showroom_code: str = "") -> list[dict[str, Any]]:
    """This cashier's parked sales, newest first, with their item count and total."""
    carts = session.exec(
        select(Cart).where(Cart.cashier_id == cashier_id, Cart.status == "parked").order_by(Cart.updated_at.desc())  # type: ignore[attr-defined]
    ).all()
    rates = rates_on(session, today)
    parked = []
    for cart in carts:
        items = cart_items(session, cart)
        parts = basket_parts(session, items, rates, today)
        priced = _price(
            items, sale_discount(cart), rates, today, parts, line_promotions(session, items, None, showroom_code)
        )
        parked.append(
            {
                "id": cart.id,
                "label": cart.label,
                "parked_at": cart.updated_at.isoformat(),
                "items": sum(item_count(item.line.qty, item.product.sold_by) for item in items),
                "names": ", ".join(item.product.name for item in items[:3]) + ("…" if len(items) > 3 else ""),
                "total_vnd": priced.total_vnd,
            }
        )
    return parked


def count_parked(session: Session, cashier_id: int) -> int:
    """How many sales this cashier has parked."""
    return int(session.scalar(select(func.count()).where(Cart.cashier_id == cashier_id, Cart.status == "parked")) or 0)


def _price(
    items: list[CartItem],
    discount: Discount | None,
    rates: dict[str, int],
    today: date,
    parts: dict[int, tuple[tuple[int, int], ...]],
    promos: list[Any],
) -> PricedSale:
    inputs = []
    for item, promo in zip(items, promos, strict=True):
        basket = parts.get(item.product.id)  # type: ignore[arg-type]
        if not basket and item.product.vat_class not in rates:
            raise missing_rate(item.product.vat_class, today)
        rate = 0 if basket else rates[item.product.vat_class]
        line = LineInput(
            item.line.qty,
            item.product.price_vnd,
            rate,
            line_discount(item.line),
            basket or (),
            promo.discount_vnd if promo else 0,
            promo.offer.id if promo else None,
            promo.offer.name if promo else "",
            item.product.sold_by,
        )
        inputs.append(line)
    return pricing.price_sale(inputs, discount)


def line_promotions(session: Session, items: list[CartItem], at: datetime | None, showroom_code: str) -> list[Any]:
    """The promotion each item gets now (or at ``at``), by the one rule of pos/promotions/engine.py."""
    return promotions_for(session, [(i.product, i.line.qty) for i in items], at or utcnow(), showroom_code)


def price_cart(
    session: Session,
    cart: Cart,
    on: date,
    items: list[CartItem] | None = None,
    *,
    at: datetime | None = None,
    showroom_code: str = "",
) -> tuple[list[CartItem], PricedSale]:
    """The cart's lines (read now unless given) priced with today's catalogue prices and the VAT rates of ``on``.

    Promotions are those in force at ``at`` (default: now) in the showroom ``showroom_code``.
    """
    if items is None:
        items = cart_items(session, cart)
    rates = rates_on(session, on)
    parts = basket_parts(session, items, rates, on)
    promos = line_promotions(session, items, at, showroom_code)
    return items, _price(items, sale_discount(cart), rates, on, parts, promos)
