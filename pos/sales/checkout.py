"""Completing a sale: one transaction from the cart to the sale, its payments, stock and outbox.

The sale is re-priced from the cart here, never taken from the page. Writes begin with BEGIN IMMEDIATE,
so the stock check and the movements that follow it cannot interleave with another till's sale.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from pos.auth.models import User
from pos.baskets import sale as baskets
from pos.baskets.services import Component, components_of
from pos.catalog.models import Producer, Product
from pos.customers import services as customers
from pos.customers.services import LoyaltyRule
from pos.einvoice.issue import issue_invoice
from pos.einvoice.settings import EinvoiceSettings
from pos.einvoice.xml import Party
from pos.errors import Conflict, Forbidden, PosError, ValidationError
from pos.inventory.ledger import record_movements
from pos.inventory.lots import Parts, Want, allocate
from pos.inventory.models import StockMovement
from pos.money import format_vnd
from pos.numbering import take_receipt_number
from pos.printing.models import Till
from pos.promotions.services import record_sale_promotions
from pos.quantity import display_unit
from pos.sales.cart import (
    CartItem,
    delete_cart,
    get_cart,
    line_base,
    line_discount,
    price_cart,
    sale_base,
    sale_discount,
)
from pos.sales.clock import check_clock
from pos.sales.discounts import approver_of, discount_issues, record_approvals
from pos.sales.models import Payment, Sale, SaleLine, Shift
from pos.sales.pricing import DiscountLimits, PaymentInput, PricedSale, settle_payments
from pos.sales.receipt_labels import DEFAULT_LANGUAGE, chosen_language
from pos.sales.vat import local_date
from pos.sync.contract import Fields
from pos.sync.outbox import enqueue

KEY_MIN, KEY_MAX = 8, 64


def open_shift(session: Session, cashier_id: int) -> Shift | None:
    """The cashier's open shift, if any."""
    return session.exec(
        select(Shift).where(Shift.cashier_id == cashier_id, Shift.status == "open").order_by(Shift.id.desc())  # type: ignore[union-attr]
    ).first()


def sale_by_key(session: Session, idempotency_key: str, cashier_id: int, cart_id: int) -> Sale | None:
    """The sale this cashier already made from this cart with this idempotency key (a retried request).

    A key belongs to one cashier and one cart: sent by another cashier, or for another cart, it is refused
    (it would hand over someone else's receipt and show the other cart as paid while it was never sold).
    """
    sale = session.exec(select(Sale).where(Sale.idempotency_key == idempotency_key)).first()
    if sale is not None and (sale.cashier_id != cashier_id or sale.cart_id != cart_id):
        raise Conflict(
            "Mã chống trùng này đã được dùng cho một đơn khác; đơn đang bán chưa được thanh toán. "
            "Hãy tải lại trang rồi thanh toán lại.",
            "idempotency_key",
        )
    return sale


def check_key(idempotency_key: Any) -> str:
    """The page's idempotency key: 8 to 64 letters, digits or hyphens (a UUID)."""
    key = idempotency_key if isinstance(idempotency_key, str) else ""
    if not (KEY_MIN <= len(key) <= KEY_MAX and key.isascii() and key.replace("-", "").isalnum()):
        raise ValidationError("Thiếu mã chống trùng đơn; hãy tải lại trang rồi thanh toán lại.", "idempotency_key")
    return key


def complete_sale(
    session: Session,
    cart_id: int,
    payments: Sequence[PaymentInput],
    cashier_id: int,
    idempotency_key: str,
    showroom_code: str,
    allow_negative: bool,
    now: datetime,
    *,
    tz_name: str = "Asia/Ho_Chi_Minh",
    limits: DiscountLimits | None = None,
    expected_total_vnd: int | None = None,
    clock_tolerance_s: int | None = None,
    einvoice: EinvoiceSettings | None = None,
    buyer: Party | None = None,
    till_code: str = "",
    loyalty: LoyaltyRule | None = None,
    priced_at: datetime | None = None,
    customer_to_central: bool = False,
    receipt_language: str = DEFAULT_LANGUAGE,
) -> Sale:
    """Turn the cashier's cart into a sale: lines, payments, stock movements, receipt number, outbox, and
    (when ``einvoice`` is set) its e-invoice, numbered and queued in the same transaction.

    A retried request with the same idempotency key returns the sale already made. With
    ``clock_tolerance_s`` (the till passes it), ``now`` must be a clock fit to date the sale (pos/sales/clock.py).
    ``priced_at``: promotions are those in force then, not now (a company order keeps those it was ordered with).
    ``customer_to_central`` (config [customers] send_to_central): the sale's record names its customer by uuid.
    ``receipt_language``: "vi", "en" or "vi+en", kept on the sale so that reprints and refunds print alike.
    """
    key = check_key(idempotency_key)
    language = chosen_language(receipt_language)
    existing = sale_by_key(session, key, cashier_id, cart_id)
    if existing is not None:
        return existing
    shift = open_shift(session, cashier_id)
    if shift is None:
        raise PosError("Chưa mở ca làm việc. Hãy mở ca trước khi bán hàng.", "shift")
    if clock_tolerance_s is not None:
        check_clock(session, shift, now, clock_tolerance_s)
    cart = get_cart(session, cart_id, cashier_id)
    if cart.status != "active":
        raise Conflict("Đơn này đang lưu tạm; hãy mở lại đơn trước khi thanh toán.", "cart")
    today = local_date(now, tz_name)
    items, priced = price_cart(session, cart, today, at=priced_at or now, showroom_code=showroom_code)
    if not items:
        raise ValidationError("Đơn chưa có sản phẩm nào.", "cart")
    limits = limits or DiscountLimits()
    issues = discount_issues(items, cart, limits)
    if issues:  # the hard cap and every approval, checked here whatever the till did before
        raise Forbidden(issues.message(limits), "approval")
    if expected_total_vnd is not None and expected_total_vnd != priced.total_vnd:
        raise Conflict(
            f"Tổng thanh toán vừa thay đổi thành {format_vnd(priced.total_vnd)} (giá hoặc thuế suất mới). "
            "Hãy kiểm tra lại đơn rồi thanh toán.",
            "total",
        )
    settled = settle_payments(payments, priced.total_vnd)
    # The stock was read inside this sale's write transaction (BEGIN IMMEDIATE): no other till can
    # have sold the last unit since. Baskets take those assembled ahead first, then their components.
    need = None if allow_negative else baskets.check_stock(session, [(i.product, i.line.qty) for i in items])
    in_basket = components_of(session, [item.product.id for item in items])  # type: ignore[misc]
    # Which lots each sale line leaves from (first expiry first, or the lot scanned); expired or recalled
    # refused. A basket's components leave their lots at the sale, whether assembled ahead or not.
    lots = allocate(session, _wants(items, in_basket), today, allow_negative=allow_negative)

    year = today.year
    receipt_number = take_receipt_number(session, showroom_code, year)  # a series of its own after a restore
    line_approvers = [approver_of(item.line, line_discount(item.line), line_base(item)) for item in items]
    sale_approver = approver_of(cart, sale_discount(cart), sale_base(items))
    approver_id = sale_approver or next((by for by in line_approvers if by), None)
    sale = Sale(
        receipt_number=receipt_number,
        idempotency_key=key,
        cart_id=cart.id,
        shift_id=shift.id,  # type: ignore[arg-type]
        cashier_id=cashier_id,
        subtotal_vnd=priced.subtotal_vnd,
        line_discount_vnd=priced.line_discount_vnd,
        sale_discount_vnd=priced.sale_discount_vnd,
        total_vnd=priced.total_vnd,
        vat_vnd=priced.vat_vnd,
        discount_approved_by_id=approver_id,
        sale_discount_approved_by_id=sale_approver,
        receipt_language=language,
        created_at=now,
    )
    session.add(sale)
    session.flush()
    lines, by_central = _write_lines(
        session, sale, items, priced, lots, line_approvers, cashier_id, now, need, in_basket
    )
    record_approvals(session, sale, _heads(items, lines, in_basket), priced)
    recorded = [
        Payment(
            sale_id=sale.id,  # type: ignore[arg-type]
            method=p.method,
            amount_vnd=p.amount_vnd,
            tendered_vnd=p.tendered_vnd,
            change_vnd=p.change_vnd,
            # A transfer is matched in the bank statement by the note the QR carried: the receipt number.
            reference=p.reference or (receipt_number if p.method == "transfer" else ""),
        )
        for p in settled
    ]
    session.add_all(recorded)
    customer = customers.at_checkout(session, cart.id, sale.id, settled, loyalty or LoyaltyRule(), now)  # type: ignore[arg-type]
    payload = _payload(session, sale, shift, lines, items, recorded, approver_id, by_central)
    if customer_to_central and customer is not None:
        payload["customer_uuid"] = str(customer.uuid)  # a reference only: the person travels as its own record
        customers.ensure_published(session, customer)
    enqueue(session, "sale", sale.uuid, payload)
    if einvoice is not None:
        till = till_code or _till_code(session, shift)
        methods = [p.method for p in settled]
        issue_invoice(session, einvoice, sale=sale, lines=lines, methods=methods, buyer=buyer, till_code=till, now=now)
    delete_cart(session, cart)
    return sale


def _till_code(session: Session, shift: Shift) -> str:
    """The code of the till the shift counts (its invoice symbol may be its own), '' if none."""
    till = session.get(Till, shift.till_id) if shift.till_id else None
    return till.code if till else ""


def _heads(
    items: list[CartItem], lines: list[SaleLine], in_basket: dict[int, list[Component]]
) -> list[tuple[SaleLine, str]]:
    """The first sale line of each cart line and the name it was sold under (a basket: its components' lines)."""
    heads, at = [], 0
    for item in items:
        heads.append((lines[at], item.product.name))
        at += len(in_basket.get(item.product.id) or [None])  # type: ignore[arg-type]
    return heads


def _wants(items: list[CartItem], in_basket: dict[int, list[Component]]) -> list[Want]:
    """What each sale line takes out, in the order the lines are written (a basket: each component)."""
    wants = []
    for i in items:
        components = in_basket.get(i.product.id)  # type: ignore[arg-type]
        if components:
            wants += [Want(c.product, i.line.qty * c.qty) for c in components]
        else:
            wants.append(Want(i.product, i.line.qty, i.line.lot_id))
    return wants


def _write_lines(
    session: Session,
    sale: Sale,
    items: list[CartItem],
    priced: PricedSale,
    lots: list[Parts],
    approvers: list[int | None],
    cashier_id: int,
    now: datetime,
    need: baskets.Need | None,
    in_basket: dict[int, list[Component]],
) -> tuple[list[SaleLine], dict[int, dict[str, Any]]]:
    """Sale lines frozen as sold (a basket as its components' lines), and the stock movements of each (one
    per lot it leaves from); with the lines a central promotion priced (record_sale_promotions)."""
    lines: list[SaleLine] = []
    sold: list[baskets.SoldBasket] = []
    promoted: list[tuple[Any, list[SaleLine], list[int]]] = []
    for item, p, approver in zip(items, priced.lines, approvers, strict=True):
        product = item.product
        components = in_basket.get(product.id)  # type: ignore[arg-type]
        if components:
            parts = baskets.component_lines(
                sale.id,
                len(lines) + 1,
                product,
                components,
                p.qty,
                p.gross_vnd,
                p.discount_vnd,  # type: ignore[arg-type]
                p.part_vats_vnd,
                p.part_rates_bp,
                approver,
            )
            sold.append(
                baskets.SoldBasket(
                    product, components, p.qty, p.unit_price_vnd, p.gross_vnd, p.discount_vnd, p.total_vnd, parts
                )
            )
            lines.extend(parts)
            promoted.append((p, parts, [c.qty * c.product.price_vnd for c in components]))
            continue
        line = SaleLine(
            sale_id=sale.id,  # type: ignore[arg-type]
            line_no=len(lines) + 1,
            product_id=product.id,  # type: ignore[arg-type]
            producer_id=product.producer_id,
            name=product.name,
            sku=product.sku,
            barcode=product.barcode,
            unit=display_unit(product.sold_by, product.unit),
            sold_by=product.sold_by,
            qty=p.qty,
            unit_price_vnd=p.unit_price_vnd,
            discount_vnd=p.discount_vnd,
            total_vnd=p.total_vnd,
            vat_rate_bp=p.vat_rate_bp,
            vat_vnd=p.vat_vnd,
            vat_class=product.vat_class,
            unit_cost_vnd=product.cost_vnd,
            discount_approved_by_id=approver,
        )
        lines.append(line)
        promoted.append((p, [line], [1]))
    session.add_all(lines)
    session.flush()  # one batched INSERT; the movements need the lines' ids
    record_movements(
        session,
        [
            StockMovement(
                product_id=line.product_id,
                kind="sale",
                qty_delta=-qty,
                unit_cost_vnd=line.unit_cost_vnd,
                lot_id=lot_id,
                sale_line_id=line.id,
                note=sale.receipt_number,
                created_by_id=cashier_id,
                created_at=now,
            )
            for line, parts in zip(lines, lots, strict=True)
            for lot_id, qty in parts
        ],
    )
    baskets.record_sold_baskets(session, sale.id, sale.receipt_number, sold, need, cashier_id, now)  # type: ignore[arg-type]
    return lines, record_sale_promotions(session, promoted)


def _payload(
    session: Session,
    sale: Sale,
    shift: Shift,
    lines: list[SaleLine],
    items: list[CartItem],
    payments: list[Payment],
    approver_id: int | None,
    by_central: dict[int, dict[str, Any]],
) -> dict[str, Any]:
    """The sale as the central server stores it: uuids, names and prices as sold, and the central promotion that
    priced each line (``by_central``, by sale line id)."""
    producer_ids = {line.producer_id for line in lines}
    producers = dict(session.exec(select(Producer.id, Producer.uuid).where(Producer.id.in_(producer_ids))).all())  # type: ignore[union-attr]
    line_products = {item.product.id: item.product for item in items}
    line_products.update(
        {
            p.id: p
            for p in session.exec(
                select(Product).where(
                    Product.id.in_(  # type: ignore[union-attr]
                        {line.product_id for line in lines} - set(line_products)
                    )
                )
            ).all()
        }
    )
    cashier = session.get(User, sale.cashier_id)
    approver = session.get(User, approver_id) if approver_id else None
    payload: Fields = {
        "uuid": str(sale.uuid),
        "receipt_number": sale.receipt_number,
        "shift_uuid": str(shift.uuid),
        "cashier": cashier.username if cashier else "",
        "created_at": sale.created_at.isoformat(),
        "subtotal_vnd": sale.subtotal_vnd,
        "line_discount_vnd": sale.line_discount_vnd,
        "sale_discount_vnd": sale.sale_discount_vnd,
        "total_vnd": sale.total_vnd,
        "vat_vnd": sale.vat_vnd,
        "discount_approved_by": approver.username if approver else None,
        "cashier_name": cashier.full_name if cashier else "",
        "discount_approved_by_name": approver.full_name if approver else "",
        "lines": [
            _line_payload(
                line,
                line_products[line.product_id],
                str(producers[line.producer_id]),
                by_central.get(line.id),  # type: ignore[arg-type]
            )
            for line in lines
        ],
        "payments": [
            dict(
                method=p.method,
                amount_vnd=p.amount_vnd,
                tendered_vnd=p.tendered_vnd,
                change_vnd=p.change_vnd,
                reference=p.reference,
            )
            for p in payments
        ],
    }
    return dict(payload)


def _line_payload(line: SaleLine, product: Product, producer_uuid: str, promotion: Fields | None) -> Fields:
    payload: Fields = {
        "line_no": line.line_no,
        "product_uuid": str(product.uuid),
        "producer_uuid": producer_uuid,
        "name": line.name,
        "sku": line.sku,
        "barcode": line.barcode,
        "unit": line.unit,
        "qty": line.qty,
        "unit_price_vnd": line.unit_price_vnd,
        "discount_vnd": line.discount_vnd,
        "total_vnd": line.total_vnd,
        "vat_rate_bp": line.vat_rate_bp,
        "vat_vnd": line.vat_vnd,
        "sold_by": line.sold_by,
    }
    if promotion is not None:
        payload["promotion"] = promotion  # sale version 5: only a central office's promotion is named
    return payload


def complete_sale_once(
    begin: Callable[[], AbstractContextManager[Session]],
    then: Callable[[Session, Sale], None] | None = None,
    **kwargs: Any,
) -> Sale:
    """complete_sale in its own transaction; a concurrent twin with the same key yields the twin's sale.

    On SQLite BEGIN IMMEDIATE already serializes the two; on PostgreSQL the loser hits the unique key,
    and re-reading after its rollback finds the winner's sale. ``then(session, sale)`` runs in the same
    transaction after the sale (the till opens the next customer's cart there: one commit, one fsync); it
    must not raise, or the sale is rolled back with it.
    """
    try:
        with begin() as session:
            sale = complete_sale(session, **kwargs)
            if then is not None:
                then(session, sale)
            return sale
    except IntegrityError:
        with begin() as session:
            key = check_key(kwargs.get("idempotency_key"))
            sale = sale_by_key(session, key, kwargs["cashier_id"], kwargs["cart_id"])
            if sale is not None and then is not None:
                then(session, sale)
        if sale is None:
            raise
        return sale
