"""Discounts at the till: on a line or on the whole sale, within the cashier's limit or approved by a manager.

A discount above the cashier's limit needs a manager (one who is logged in, or whose credentials were
typed at the till, checked by ``pos.auth.services.verify_manager``); nobody may go above the manager's
limit. Every approval is audited.
"""

from __future__ import annotations

from sqlmodel import Session

from pos.audit import log as audit
from pos.auth.models import User
from pos.errors import Forbidden, ValidationError
from pos.money import BP, format_bp, format_vnd
from pos.sales import pricing
from pos.sales.cart import (
    CartItem,
    cart_items,
    cart_line,
    line_base,
    line_discount,
    sale_base,
    sale_discount,
    touch,
)
from pos.sales.models import Cart, CartLine
from pos.sales.pricing import Discount, DiscountLimits


class ApprovalRequired(Forbidden):
    """A discount above the cashier's limit: the page asks for a manager's credentials and retries."""


def unapproved_discounts(items: list[CartItem], cart: Cart, limits: DiscountLimits) -> dict[int | None, str]:
    """{line id (None for the whole sale): name} of discounts above the cashier's limit with no approval.

    A discount within the limit can drift above it when the quantity under an amount discount falls.
    """
    found: dict[int | None, str] = {}
    for item in items:
        discount = line_discount(item.line)
        if (
            discount
            and item.line.discount_approved_by_id is None
            and pricing.exceeds_limit(discount, line_base(item), limits.cashier_bp)
        ):
            found[item.line.id] = item.product.name
    discount = sale_discount(cart)
    if (
        discount
        and cart.discount_approved_by_id is None
        and pricing.exceeds_limit(discount, sale_base(items), limits.cashier_bp)
    ):
        found[None] = "giảm giá cả đơn"
    return found


def _authorize(
    session: Session,
    cart: Cart,
    discount: Discount | None,
    base_vnd: int,
    *,
    what: str,
    limits: DiscountLimits,
    actor_id: int,
    actor_is_manager: bool,
    approver: User | None,
) -> int | None:
    """Who approved a discount above the cashier's limit (None if it needs no approval); audited."""
    if discount is None or not pricing.needs_approval(discount, base_vnd, limits):
        return None
    if actor_is_manager:
        approved_by = actor_id
    elif approver is None:
        raise ApprovalRequired(
            f"Giảm giá {_describe(discount, base_vnd)} vượt hạn mức {format_bp(limits.cashier_bp)} của thu ngân: "
            "cần quản lý duyệt.",
            "approval",
        )
    else:
        approved_by = approver.id  # type: ignore[assignment]
    audit.record(
        session,
        "discount.approve",
        user_id=approved_by,
        entity="cart",
        entity_id=cart.id,
        after={
            "on": what,
            "kind": discount.kind,
            "value": discount.value,
            "amount_vnd": pricing.discount_amount(base_vnd, discount),
            "base_vnd": base_vnd,
            "cashier_id": actor_id,
        },
    )
    return approved_by


def _describe(discount: Discount, base_vnd: int) -> str:
    """'15%' or '30.000 ₫ (15%)' for messages."""
    if discount.kind == "percent":
        return format_bp(discount.value)
    percent = discount.value * BP // base_vnd if base_vnd else 0
    return f"{format_vnd(discount.value)} (khoảng {format_bp(percent)})"


def set_line_discount(
    session: Session,
    cart: Cart,
    line_id: int,
    discount: Discount | None,
    *,
    limits: DiscountLimits,
    actor_id: int,
    actor_is_manager: bool = False,
    approver: User | None = None,
) -> CartLine:
    """Set (or with None, remove) a line's discount; above the cashier's limit a manager must approve."""
    line = cart_line(session, cart, line_id)
    item = next(i for i in cart_items(session, cart) if i.line.id == line.id)
    approved_by = _authorize(
        session,
        cart,
        discount,
        line_base(item),
        what=f"line:{item.product.sku}",
        limits=limits,
        actor_id=actor_id,
        actor_is_manager=actor_is_manager,
        approver=approver,
    )
    line.discount_kind = discount.kind if discount else ""
    line.discount_value = discount.value if discount else 0
    line.discount_approved_by_id = approved_by
    touch(cart)
    session.flush()
    pricing.discount_amount(sale_base(cart_items(session, cart)), sale_discount(cart))  # the sale's still fits
    return line


def set_sale_discount(
    session: Session,
    cart: Cart,
    discount: Discount | None,
    *,
    limits: DiscountLimits,
    actor_id: int,
    actor_is_manager: bool = False,
    approver: User | None = None,
) -> Cart:
    """Set (or with None, remove) the discount on the whole sale, spread over the lines when priced."""
    items = cart_items(session, cart)
    if discount is not None and not items:
        raise ValidationError("Đơn chưa có sản phẩm nào để giảm giá.", "discount_value")
    approved_by = _authorize(
        session,
        cart,
        discount,
        sale_base(items),
        what="sale",
        limits=limits,
        actor_id=actor_id,
        actor_is_manager=actor_is_manager,
        approver=approver,
    )
    cart.discount_kind = discount.kind if discount else ""
    cart.discount_value = discount.value if discount else 0
    cart.discount_approved_by_id = approved_by
    touch(cart)
    session.flush()
    return cart
