"""Discounts at the till: on a line or on the whole sale, within the cashier's limit or approved by a manager.

A discount above the cashier's limit needs a manager (one who is logged in, or whose credentials were
typed at the till, checked by ``pos.auth.services.verify_manager``); nobody may go above the manager's
limit. Every approval is audited.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
    recheck_discounts,
    sale_base,
    sale_discount,
    set_approval,
    touch,
)
from pos.sales.models import Cart, CartLine, Sale, SaleLine
from pos.sales.pricing import Discount, DiscountLimits, PricedSale


class ApprovalRequired(Forbidden):
    """A discount above the cashier's limit: the page asks for a manager's credentials and retries."""


@dataclass(frozen=True)
class DiscountIssues:
    """Discounts the cart may not be sold with: {line id (None for the whole sale): what it is}."""

    unapproved: dict[int | None, str] = field(default_factory=dict)  # above the cashier's limit, no approval holds
    over_cap: dict[int | None, str] = field(default_factory=dict)  # above what even a manager may give

    def __bool__(self) -> bool:
        return bool(self.unapproved or self.over_cap)

    def __contains__(self, key: int | None) -> bool:
        return key in self.unapproved or key in self.over_cap

    def message(self, limits: DiscountLimits) -> str:
        """Why the checkout is refused, naming each discount."""
        parts = []
        if self.over_cap:
            parts.append(
                f"Giảm giá vượt mức tối đa {format_bp(limits.manager_bp)}, kể cả khi quản lý duyệt: "
                f"{', '.join(self.over_cap.values())}. Hãy sửa lại giảm giá đó."
            )
        if self.unapproved:
            parts.append(
                "Giảm giá vượt hạn mức thu ngân mà chưa có quản lý duyệt (hoặc đơn đã thay đổi sau khi duyệt): "
                f"{', '.join(self.unapproved.values())}. Hãy nhập lại giảm giá để quản lý duyệt."
            )
        return " ".join(parts)


def discount_issues(items: list[CartItem], cart: Cart, limits: DiscountLimits) -> DiscountIssues:
    """The discounts above the hard cap, and those above the cashier's limit that no approval covers.

    An approval covers its discount on the base it was given for (pricing.approval_holds): a quantity,
    a line or a price changed since may leave it short, and a discount within the limit can drift above it
    when the quantity under an amount discount falls. The checkout refuses both, whatever happened before.
    """
    issues = DiscountIssues()
    checks: list[tuple[int | None, str, Cart | CartLine, Discount | None, int]] = [
        (item.line.id, item.product.name, item.line, line_discount(item.line), line_base(item)) for item in items
    ]
    checks.append((None, "giảm giá cả đơn", cart, sale_discount(cart), sale_base(items)))
    for key, name, holder, discount, base in checks:
        if discount is None:
            continue
        if pricing.exceeds_limit(discount, base, limits.manager_bp):
            issues.over_cap[key] = name
        elif pricing.exceeds_limit(discount, base, limits.cashier_bp) and not _approved(holder, discount, base):
            issues.unapproved[key] = name
    return issues


def _approved(holder: Cart | CartLine, discount: Discount, base_vnd: int) -> bool:
    if holder.discount_approved_by_id is None:
        return False
    return pricing.approval_holds(discount, base_vnd, holder.discount_approved_base_vnd, holder.discount_approved_vnd)


def approver_of(holder: Cart | CartLine, discount: Discount | None, base_vnd: int) -> int | None:
    """Who approved this discount, if their approval still covers it."""
    return holder.discount_approved_by_id if discount is not None and _approved(holder, discount, base_vnd) else None


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
) -> tuple[int, int, int] | None:
    """(approver, base, amount) of a discount above the cashier's limit (None if it needs none); audited."""
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
    amount = pricing.discount_amount(base_vnd, discount)
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
            "amount_vnd": amount,
            "base_vnd": base_vnd,
            "cashier_id": actor_id,
        },
    )
    return approved_by, base_vnd, amount


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
    approval = _authorize(
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
    set_approval(line, approval)
    touch(cart)
    session.flush()
    recheck_discounts(session, cart)  # the sale discount's base moved with this line
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
    approval = _authorize(
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
    set_approval(cart, approval)
    touch(cart)
    session.flush()
    return cart


def record_approvals(session: Session, sale: Sale, heads: list[tuple[SaleLine, str]], priced: PricedSale) -> None:
    """Audit, against the sale and its receipt number, each approved discount it was sold with: who, what, how much.

    ``heads`` holds the first sale line of each priced line and its name: a basket, written as its components'
    lines, is audited once, on its first line's number and under the basket's own name.
    """
    approved: list[tuple[str, int | None, int, int, str]] = [
        (f"line:{line.line_no}", line.discount_approved_by_id, p.line_discount_vnd, p.gross_vnd, name)
        for (line, name), p in zip(heads, priced.lines, strict=True)
    ]
    approved.append(
        ("sale", sale.sale_discount_approved_by_id, priced.sale_discount_vnd, priced.net_before_sale_discount_vnd, "")
    )
    for on, by, amount, base, name in approved:
        if by is None:
            continue
        user = session.get(User, by)
        audit.record(
            session,
            "sale.discount.approved",
            user_id=by,
            entity="sale",
            entity_id=sale.id,
            after={
                "on": on,
                "name": name,
                "amount_vnd": amount,
                "base_vnd": base,
                "approved_by": user.username if user else "",
                "cashier_id": sale.cashier_id,
                "receipt_number": sale.receipt_number,
            },
        )
