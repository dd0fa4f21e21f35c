"""Company orders: a quote priced like a cart, confirmed into an order that holds stock, paid by transfer,
fulfilled as a sale through the till's own checkout, or cancelled (the stock is free again).

- A **quote** (báo giá) names a company customer, products and gift baskets, an optional discount on the
  whole order, pickup or delivery and a day. It is priced as the till would price it now (catalogue prices,
  the day's VAT, the promotions in force, the discount), and holds no stock.
- **Confirmed** by a manager it becomes an **order** (đơn đặt hàng): the stock it needs is held
  (pos/orders/reservations.py) under the till's own stock rule (pos/sales/stock_rule.py): where stock may not
  go negative an order is confirmed only for what is on hand and not held; the manager's confirmation is
  the approval of its discount, within the manager's cap. The promotions it was priced with stay its own.
- **Transfers** received are recorded as they arrive: a deposit, the balance, or the whole amount.
- **Fulfilled** (picked up or delivered), fully paid, it is written as a sale by ``complete_sale``: a cart
  is made of its lines in the same transaction and checked out with the transfers as its payments, the
  company as the e-invoice's buyer, the customer's points, the ledger and the outbox; the order's hold ends
  in the same transaction, so the stock is counted once. The order is not a sale before that: its transfers
  are in no shift, report or settlement until the sale is.
- **Cancelled**, its hold ends; transfers received are shown as due back to the company.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, select

from pos.audit import log as audit
from pos.baskets.sale import check_stock
from pos.catalog import services as catalog
from pos.catalog.models import Product
from pos.customers import services as customers
from pos.customers.models import Customer
from pos.einvoice.xml import Party
from pos.errors import Conflict, NotFound, ValidationError
from pos.money import format_bp, format_vnd, parse_vnd
from pos.numbering import take_order_number
from pos.orders import deliveries
from pos.orders.models import HANDOVER, PAYMENT_KINDS, CompanyOrder, OrderLine, OrderPayment
from pos.sales import cart as carts
from pos.sales.models import Cart, CartLine, Sale
from pos.sales.pricing import DiscountLimits, PricedSale
from pos.sales.vat import local_date
from pos.text import nfc

MAX_LINES = 60
MAX_QTY = 100_000


@dataclass
class OrderInput:
    """A quote as typed: the customer's phone, lines of (code, qty), the discount and the handover."""

    customer_phone: str = ""
    lines: list[tuple[str, Any]] = field(default_factory=list)
    discount_percent: str = ""
    handover: str = "pickup"
    delivery_address: str = ""
    due_on: str = ""
    valid_until: str = ""
    note: str = ""


@dataclass(frozen=True)
class PricedOrder:
    """An order's lines with their products, priced as the till prices a cart."""

    order: CompanyOrder
    customer: Customer
    items: list[carts.CartItem]
    priced: PricedSale
    payments: list[OrderPayment]
    paid_at_till_vnd: int = 0  # paid in cash or by card when parts of the order were handed over

    @property
    def paid_vnd(self) -> int:
        """Transfers received so far."""
        return sum(p.amount_vnd for p in self.payments)

    @property
    def due_vnd(self) -> int:
        """What is left to pay on the order as priced now (never below 0)."""
        return max(self.priced.total_vnd - self.paid_vnd - self.paid_at_till_vnd, 0)


def _parse(session: Session, data: OrderInput, limits: DiscountLimits) -> tuple[Customer, dict[str, Any], list[Any]]:
    errors = catalog.FieldErrors()
    customer = None
    try:
        customer = customers.find_by_phone(session, data.customer_phone)
    except ValidationError as exc:
        errors.add("customer_phone", exc.message)
    else:
        if customer is None or customer.erased_at is not None:
            errors.add("customer_phone", "Không tìm thấy khách hàng có số điện thoại này; hãy tạo khách hàng trước.")
        elif not customer.company_name or not customer.tax_code:
            errors.add(
                "customer_phone",
                f"“{customer.name}” chưa có tên công ty và mã số thuế: bổ sung ở trang khách hàng trước khi báo giá.",
            )
    found: dict[int, tuple[Product, int]] = {}
    for n, (code, raw_qty) in enumerate(data.lines):
        code, qty_text = nfc(str(code or "")), nfc(str(raw_qty or ""))
        if not code and not qty_text:
            continue
        qty_text = qty_text or "1"  # the form's placeholder
        product = catalog.find_by_code(session, code) if code else None
        if product is None or not product.is_active:
            errors.add(f"code_{n}", f"Không tìm thấy sản phẩm có mã “{code}”." if code else "Chưa nhập mã sản phẩm.")
            continue
        if not (qty_text.isascii() and qty_text.isdigit()) or not 0 < int(qty_text) <= MAX_QTY:
            errors.add(f"qty_{n}", f"Số lượng “{product.name}” phải là số nguyên từ 1 đến {MAX_QTY}.")
            continue
        prior = found.get(product.id, (product, 0))[1]  # type: ignore[arg-type]
        found[product.id] = (product, prior + int(qty_text))  # type: ignore[index]
    if not found and not any(k.startswith("code_") for k in errors.errors):
        errors.add("code_0", "Báo giá cần ít nhất một sản phẩm hoặc giỏ quà.")
    if len(found) > MAX_LINES:
        errors.add("code_0", f"Một báo giá có tối đa {MAX_LINES} dòng.")
    fields: dict[str, Any] = {"discount_bp": 0}
    if nfc(data.discount_percent):
        try:
            fields["discount_bp"] = catalog.parse_percent_bp(data.discount_percent)
        except ValueError:
            errors.add("discount_percent", "Chiết khấu là phần trăm từ 0 đến 100, ví dụ 5 hoặc 7,5.")
        else:
            if fields["discount_bp"] > limits.manager_bp:
                cap = format_bp(limits.manager_bp)
                errors.add("discount_percent", f"Chiết khấu tối đa {cap} (mức quản lý được duyệt).")
    if data.handover not in HANDOVER:
        errors.add("handover", "Chọn khách đến lấy hay giao tận nơi.")
    fields["handover"] = data.handover if data.handover in HANDOVER else "pickup"
    fields["delivery_address"] = nfc(data.delivery_address)[:250]
    if fields["handover"] == "delivery" and not fields["delivery_address"]:
        errors.add("delivery_address", "Giao tận nơi: nhập địa chỉ giao hàng.")
    for name, label in (("due_on", "Ngày lấy / giao hàng"), ("valid_until", "Báo giá có hiệu lực đến")):
        try:
            fields[name] = catalog.parse_date(getattr(data, name))
        except ValueError:
            errors.add(name, f"{label}: ngày không hợp lệ (dd/mm/yyyy).")
    fields["note"] = nfc(data.note)[:500]
    errors.raise_if_any()
    return customer, fields, list(found.values())  # type: ignore[return-value]


def save_quote(
    session: Session,
    data: OrderInput,
    *,
    actor_id: int,
    showroom_code: str,
    now: datetime,
    tz_name: str,
    limits: DiscountLimits,
    order_id: int | None = None,
) -> CompanyOrder:
    """Create or edit a quote (only a quote is edited: an order's lines hold stock as confirmed); audited."""
    order = get_order(session, order_id) if order_id is not None else None
    if order is not None and order.status != "quote":
        raise Conflict("Chỉ sửa được báo giá chưa đặt hàng.", "order")
    customer, fields, lines = _parse(session, data, limits)
    if order is None:
        order = CompanyOrder(
            number=take_order_number(session, showroom_code, local_date(now, tz_name).year),
            customer_id=customer.id,  # type: ignore[arg-type]
            created_by_id=actor_id,
            created_at=now,
        )
    order.customer_id = customer.id  # type: ignore[assignment]
    for key, value in fields.items():
        setattr(order, key, value)
    order.priced_at = now
    session.add(order)
    session.flush()
    session.execute(delete(OrderLine).where(OrderLine.order_id == order.id))  # type: ignore[arg-type]
    session.add_all(
        OrderLine(order_id=order.id, product_id=p.id, qty=qty, position=i)  # type: ignore[arg-type]
        for i, (p, qty) in enumerate(lines)
    )
    session.flush()
    order.quoted_total_vnd = price_order(session, order, local_date(now, tz_name), showroom_code).priced.total_vnd
    audit.record(
        session,
        "order.quote",
        user_id=actor_id,
        entity="companyorder",
        entity_id=order.id,
        after={"number": order.number, "total_vnd": order.quoted_total_vnd, "lines": len(lines)},
    )
    session.flush()
    return order


def get_order(session: Session, order_id: Any) -> CompanyOrder:
    """An order by id, or NotFound."""
    order = session.get(CompanyOrder, order_id) if isinstance(order_id, int) else None
    if order is None:
        raise NotFound("Không tìm thấy đơn hàng / báo giá này.", "order_id")
    return order


def list_orders(session: Session, status: str = "") -> list[tuple[CompanyOrder, Customer]]:
    """Orders newest first, with their customer (one status, or all)."""
    query = select(CompanyOrder, Customer).join(Customer, Customer.id == CompanyOrder.customer_id)  # type: ignore[arg-type]
    if status:
        query = query.where(CompanyOrder.status == status)
    return list(session.exec(query.order_by(CompanyOrder.id.desc())).all())  # type: ignore[union-attr]


def _items(session: Session, order: CompanyOrder) -> list[carts.CartItem]:
    """The order's lines as cart items (not stored), with their products and stock on hand."""
    rows = session.exec(
        select(OrderLine, Product)
        .join(Product, Product.id == OrderLine.product_id)  # type: ignore[arg-type]
        .where(OrderLine.order_id == order.id)
        .order_by(OrderLine.position)  # type: ignore[arg-type]
    ).all()
    return [carts.CartItem(CartLine(cart_id=0, product_id=p.id, qty=line.qty), p) for line, p in rows]  # type: ignore[arg-type]


def price_order(session: Session, order: CompanyOrder, on: date, showroom_code: str) -> PricedOrder:
    """The order priced as the till would price its cart on ``on``, with the promotions of ``priced_at``."""
    items = _items(session, order)
    cart = Cart(cashier_id=0, discount_kind="percent" if order.discount_bp else "", discount_value=order.discount_bp)
    items, priced = carts.price_cart(session, cart, on, items, at=order.priced_at, showroom_code=showroom_code)
    payments = list(
        session.exec(select(OrderPayment).where(OrderPayment.order_id == order.id).order_by(OrderPayment.id)).all()  # type: ignore[arg-type]
    )
    customer = session.get(Customer, order.customer_id)
    at_till = sum(
        sale.total_vnd - delivery.prepaid_vnd
        for delivery, sale in deliveries.list_deliveries(session, order.id)  # type: ignore[arg-type]
        if sale is not None and sale.status != "voided"
    )
    return PricedOrder(order, customer, items, priced, payments, at_till)  # type: ignore[arg-type]


def confirm(
    session: Session, order_id: int, *, actor_id: int, allow_negative: bool, now: datetime, tz_name: str
) -> CompanyOrder:
    """The company accepts the quote: it becomes an order and holds its stock (the till's stock rule)."""
    order = get_order(session, order_id)
    if order.status != "quote":
        raise Conflict("Đơn này không còn là báo giá.", "order")
    if order.valid_until is not None and local_date(now, tz_name) > order.valid_until:
        raise Conflict(
            f"Báo giá đã hết hiệu lực ngày {order.valid_until:%d/%m/%Y}: sửa báo giá (giá mới) rồi đặt hàng.", "order"
        )
    items = _items(session, order)
    if not allow_negative:
        check_stock(session, [(item.product, item.line.qty) for item in items])  # other orders' holds count
    order.status, order.ordered_at, order.approved_by_id = "ordered", now, actor_id
    session.add(order)
    audit.record(
        session,
        "order.confirm",
        user_id=actor_id,
        entity="companyorder",
        entity_id=order.id,
        after={"number": order.number, "total_vnd": order.quoted_total_vnd, "discount_bp": order.discount_bp},
    )
    session.flush()
    return order


def record_payment(
    session: Session,
    order_id: int,
    *,
    kind: str,
    amount: str,
    reference: str,
    received_on: str,
    actor_id: int,
    today: date,
    showroom_code: str,
) -> OrderPayment:
    """A bank transfer received for an order (deposit, balance or the whole); never more than is due."""
    order = get_order(session, order_id)
    if order.status != "ordered":
        raise Conflict("Chỉ ghi nhận chuyển khoản cho đơn đã đặt hàng, chưa giao.", "order")
    errors = catalog.FieldErrors()
    if kind not in PAYMENT_KINDS:
        errors.add("kind", "Chọn loại thanh toán: đặt cọc, phần còn lại hay thanh toán đủ.")
    value = 0
    try:
        value = parse_vnd(amount)
    except ValueError:
        errors.add("amount", "Số tiền không hợp lệ, ví dụ 5.000.000.")
    ref = nfc(reference)[:80]
    if not ref:
        errors.add("reference", "Nhập mã giao dịch chuyển khoản (in trên sao kê ngân hàng).")
    day = today
    try:
        day = catalog.parse_date(received_on) or today
    except ValueError:
        errors.add("received_on", "Ngày nhận tiền không hợp lệ (dd/mm/yyyy).")
    errors.raise_if_any()
    paid = price_order(session, order, today, showroom_code)
    if value <= 0 or value > paid.due_vnd:
        raise ValidationError(
            f"Số tiền phải lớn hơn 0 và không quá số còn phải trả ({format_vnd(paid.due_vnd)}).", "amount"
        )
    payment = OrderPayment(
        order_id=order.id,  # type: ignore[arg-type]
        kind=kind,
        amount_vnd=value,
        reference=ref,
        received_on=day,
        recorded_by_id=actor_id,
    )
    session.add(payment)
    session.flush()
    audit.record(
        session,
        "order.payment",
        user_id=actor_id,
        entity="companyorder",
        entity_id=order.id,
        after={"number": order.number, "kind": kind, "amount_vnd": value, "reference": ref},
    )
    return payment


def buyer_of(customer: Customer) -> Party:
    """The company as the e-invoice's buyer (its person: the customer's name)."""
    return Party(
        name=customer.company_name or customer.name,
        tax_code=customer.tax_code,
        address=customer.address,
        person=customer.name if customer.company_name else "",
    )


def fulfil(
    session: Session,
    order_id: int,
    *,
    cashier_id: int,
    showroom_code: str,
    allow_negative: bool,
    now: datetime,
    tz_name: str,
    limits: DiscountLimits,
    checkout: dict[str, Any],
) -> Sale:
    """Everything left of the order, paid by transfer, leaves with the company: one delivery, one sale.

    The delivery (pos/orders/deliveries.py) is priced as the till prices its goods now, with the promotions
    of the order; a price changed since the order refuses it with the new total (the quote is made again).
    """
    order = get_order(session, order_id)
    if order.status != "ordered":
        raise Conflict("Chỉ giao được đơn đã đặt hàng, chưa giao và chưa hủy.", "order")
    lines = deliveries.progress(session, order)
    left = {lp.line.id: lp.remaining for lp in lines if lp.remaining}
    quote = deliveries.quote_delivery(session, order, left, local_date(now, tz_name), showroom_code)  # type: ignore[arg-type]
    if quote.due_now_vnd:
        raise Conflict(
            f"Đơn chưa thanh toán đủ: còn {format_vnd(quote.due_now_vnd)}. Ghi nhận chuyển khoản trước khi giao "
            "hàng, hoặc giao tại quầy và thu tiền mặt hay thẻ.",
            "payments",
        )
    delivery = deliveries.deliver(
        session,
        order_id,
        quantities=None,
        paid_now=[],
        receiver_name="",
        note="",
        cashier_id=cashier_id,
        showroom_code=showroom_code,
        allow_negative=allow_negative,
        now=now,
        tz_name=tz_name,
        limits=limits,
        checkout=checkout,
    )
    return session.get(Sale, delivery.sale_id)  # type: ignore[return-value]


def cancel(session: Session, order_id: int, *, reason: str, actor_id: int, now: datetime) -> CompanyOrder:
    """Cancel a quote or an order: its stock is free again; transfers received are due back to the company."""
    order = get_order(session, order_id)
    if order.status not in ("quote", "ordered"):
        raise Conflict("Đơn đã giao hoặc đã hủy, không hủy được nữa.", "order")
    text = nfc(reason)[:200]
    if not text:
        raise ValidationError("Nhập lý do hủy đơn.", "reason")
    before = order.status
    order.status, order.cancelled_at, order.cancel_reason = "cancelled", now, text
    session.add(order)
    audit.record(
        session,
        "order.cancel",
        user_id=actor_id,
        entity="companyorder",
        entity_id=order.id,
        before={"status": before},
        after={"number": order.number, "reason": text},
    )
    session.flush()
    return order


def stock_problem(session: Session, order: CompanyOrder) -> str | None:
    """Why a quote cannot be ordered now where stock may not go negative (the till's own check), or None."""
    if order.status != "quote":
        return None
    try:
        check_stock(session, [(item.product, item.line.qty) for item in _items(session, order)])
    except Conflict as exc:
        return exc.message
    return None
