"""A company order handed over in parts (300 baskets on 20/01, 200 on 25/01): each part a delivery note
(phiếu giao hàng) and a sale of what leaves, through the till's own checkout.

- **What leaves**: any quantity of each line up to what is left of it. The delivery's lines stop being held
  (pos/orders/reservations.py) in the delivery's own transaction, and its sale takes the stock from the ledger
  (lots, baskets, promotions recorded, e-invoice) as any sale does; what is left stays held.
- **Its price**: the goods of the delivery priced as the till prices them, with the promotions the order was
  priced with and the order's discount (approved by the manager who confirmed it). The delivery that hands
  over the last of the order is capped at what is left of the order's confirmed total, so the company never
  pays more over its deliveries than it was quoted (parts priced alone round a đồng per line, and a
  combination price split across deliveries is given back there).
- **Its payment**: the order's transfers not yet used by earlier deliveries go first (each keeps its bank
  reference on the sale); whatever remains is paid at the till when the goods leave, in cash or by card,
  within the cashier's open shift, so cash goes into that drawer's count. A delivery is never left unpaid.
- **The e-invoice**: one per delivery, issued with its sale to the company as buyer (research §"What a POS
  must do" 2: one invoice per sale at checkout; goods handed over in parts are invoiced as each part is
  handed over). The delivery note names the invoice's sale; no invoice covers goods not yet handed over.
- **Cancelling the remainder** (pos/orders/services.py ``cancel``) ends the hold of what is left; the
  deliveries made stay sales. Transfers no delivery used are due back to the company.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, select

from pos.audit import log as audit
from pos.catalog import services as catalog
from pos.catalog.models import Product
from pos.customers import services as customers
from pos.customers.models import Customer
from pos.errors import Conflict, ValidationError
from pos.money import format_vnd
from pos.orders.models import CompanyOrder, OrderDelivery, OrderDeliveryLine, OrderLine, OrderPayment
from pos.orders.reservations import delivered_qty
from pos.quantity import format_qty, qty_number
from pos.sales import cart as carts
from pos.sales import pricing
from pos.sales.models import Cart, CartLine, Sale
from pos.sales.pricing import Discount, DiscountLimits, PaymentInput, PricedSale
from pos.sales.vat import local_date
from pos.text import nfc

AT_TILL = ("cash", "card")  # what a company may pay with when it picks its goods up


@dataclass(frozen=True)
class LineProgress:
    """One order line: ordered, handed over so far, and what is left."""

    line: OrderLine
    product: Product
    delivered: int

    @property
    def remaining(self) -> int:
        """Ordered less handed over."""
        return max(self.line.qty - self.delivered, 0)


@dataclass(frozen=True)
class DeliveryQuote:
    """What one delivery would hand over, cost and take from the transfers; what is due at the till."""

    quantities: dict[int, int]  # order line id -> qty now (only lines with something)
    items: list[carts.CartItem]
    priced: PricedSale
    cart_discount: Discount | None  # the sale's discount as the checkout applies it
    completes: bool  # hands over everything left of the order
    prepaid_vnd: int  # taken from the order's transfers
    due_now_vnd: int  # paid at the till

    @property
    def total_vnd(self) -> int:
        """What the delivery's sale comes to."""
        return self.priced.total_vnd


def progress(session: Session, order: CompanyOrder) -> list[LineProgress]:
    """Each line of the order with what has been handed over of it."""
    done = delivered_qty(session, [order.id])  # type: ignore[list-item]
    rows = session.exec(
        select(OrderLine, Product)
        .join(Product, Product.id == OrderLine.product_id)  # type: ignore[arg-type]
        .where(OrderLine.order_id == order.id)
        .order_by(OrderLine.position)  # type: ignore[arg-type]
    ).all()
    return [LineProgress(line, product, done.get(line.id, 0)) for line, product in rows]  # type: ignore[arg-type]


@dataclass(frozen=True)
class OrderProgress:
    """How much of an order has been handed over: units delivered and ordered, summed over its lines when they
    count alike (pieces, or grams of weighed goods), else the lines handed over in full."""

    delivered: int
    ordered: int
    sold_by: str  # "piece" or "weight"; "" when the lines count differently (then delivered/ordered are lines)
    unit: str  # the lines' unit when they share one ("giỏ"), else ""

    @property
    def is_complete(self) -> bool:
        return self.ordered > 0 and self.delivered >= self.ordered

    @property
    def text(self) -> str:
        """'300/500 giỏ đã giao', '1,500/2,000 kg đã giao', '2/3 dòng hàng đã giao'."""
        if not self.sold_by:
            return f"{self.delivered}/{self.ordered} dòng hàng đã giao"
        done = qty_number(self.delivered, self.sold_by)
        return f"{done}/{format_qty(self.ordered, self.sold_by, self.unit)} đã giao"


def delivery_progress(session: Session, orders: Sequence[CompanyOrder]) -> dict[int, OrderProgress]:
    """{order id: its progress} of these orders, in two queries whatever their number (for the lists)."""
    ids = [o.id for o in orders if o.id is not None]
    if not ids:
        return {}
    done = delivered_qty(session, ids)
    rows = session.exec(
        select(OrderLine.id, OrderLine.order_id, OrderLine.qty, Product.sold_by, Product.unit)
        .join(Product, Product.id == OrderLine.product_id)  # type: ignore[arg-type]
        .where(OrderLine.order_id.in_(ids))  # type: ignore[union-attr]
    ).all()
    lines: dict[int, list[tuple[int, int, str, str]]] = {order_id: [] for order_id in ids}
    for line_id, order_id, qty, sold_by, unit in rows:
        lines[order_id].append((qty, done.get(line_id, 0), sold_by, unit))
    found = {}
    for order_id, its in lines.items():
        kinds = {sold_by for _, _, sold_by, _ in its}
        if len(kinds) == 1:
            units = {unit for _, _, _, unit in its}
            found[order_id] = OrderProgress(
                sum(d for _, d, _, _ in its),
                sum(q for q, _, _, _ in its),
                kinds.pop(),
                units.pop() if len(units) == 1 else "",
            )
        else:  # grams and pieces never add up: count the lines handed over in full
            found[order_id] = OrderProgress(sum(1 for q, d, _, _ in its if d >= q), len(its), "", "")
    return found


def list_deliveries(session: Session, order_id: int) -> list[tuple[OrderDelivery, Sale | None]]:
    """The order's deliveries in order, with their sales (a voided one shows as such)."""
    rows = session.exec(
        select(OrderDelivery, Sale)
        .outerjoin(Sale, Sale.id == OrderDelivery.sale_id)  # type: ignore[arg-type]
        .where(OrderDelivery.order_id == order_id)
        .order_by(OrderDelivery.seq_no)  # type: ignore[arg-type]
    ).all()
    return [(d, s) for d, s in rows]


def _live(rows: list[tuple[OrderDelivery, Sale | None]]) -> list[tuple[OrderDelivery, Sale | None]]:
    return [(d, s) for d, s in rows if s is None or s.status != "voided"]


def delivered_total_vnd(session: Session, order_id: int) -> int:
    """What the deliveries that count came to."""
    return sum(s.total_vnd for _, s in _live(list_deliveries(session, order_id)) if s is not None)


def transfers(session: Session, order_id: int) -> list[OrderPayment]:
    """The transfers received for the order, oldest first."""
    return list(
        session.exec(select(OrderPayment).where(OrderPayment.order_id == order_id).order_by(OrderPayment.id)).all()  # type: ignore[arg-type]
    )


def prepaid_used_vnd(session: Session, order_id: int) -> int:
    """How much of the order's transfers the deliveries that count have taken."""
    return sum(d.prepaid_vnd for d, _ in _live(list_deliveries(session, order_id)))


def prepaid_left_vnd(session: Session, order_id: int) -> int:
    """Transfers received and not yet used by a delivery (due back to the company if the order ends here)."""
    return sum(p.amount_vnd for p in transfers(session, order_id)) - prepaid_used_vnd(session, order_id)


def parse_quantities(lines: list[LineProgress], raw: Mapping[str, Any]) -> dict[int, int]:
    """{order line id: qty} from the form's ``qty_<line id>`` fields (blank: 0); at least one unit, never more
    than is left of a line."""
    errors = catalog.FieldErrors()
    out: dict[int, int] = {}
    for lp in lines:
        key = f"qty_{lp.line.id}"
        text = nfc(str(raw.get(key) or "")).replace(".", "")
        if not text:
            continue
        if not (text.isascii() and text.isdigit()) or int(text) > lp.remaining:
            errors.add(key, f"“{lp.product.name}”: giao từ 0 đến {lp.remaining} (số còn lại của đơn).")
            continue
        if int(text):
            out[lp.line.id] = int(text)  # type: ignore[index]
    if not out and not errors.errors:
        errors.add("qty", "Nhập số lượng giao lần này cho ít nhất một dòng.")
    errors.raise_if_any()
    return out


def _cart_items(lines: list[LineProgress], quantities: Mapping[int, int]) -> list[carts.CartItem]:
    return [
        carts.CartItem(CartLine(cart_id=0, product_id=lp.product.id, qty=quantities[lp.line.id]), lp.product)  # type: ignore[arg-type,index]
        for lp in lines
        if quantities.get(lp.line.id)  # type: ignore[arg-type]
    ]


def quote_delivery(
    session: Session, order: CompanyOrder, quantities: Mapping[int, int], today: date, showroom_code: str
) -> DeliveryQuote:
    """The delivery of ``quantities`` priced, and how it is paid: the order's unused transfers, then the till."""
    lines = progress(session, order)
    items = _cart_items(lines, quantities)
    if not items:
        raise ValidationError("Nhập số lượng giao lần này cho ít nhất một dòng.", "qty")
    completes = all(quantities.get(lp.line.id, 0) == lp.remaining for lp in lines)  # type: ignore[arg-type]
    discount = Discount("percent", order.discount_bp) if order.discount_bp else None
    cart = Cart(cashier_id=0, discount_kind=discount.kind if discount else "", discount_value=order.discount_bp)
    items, priced = carts.price_cart(session, cart, today, items, at=order.priced_at, showroom_code=showroom_code)
    if completes:
        left = order.quoted_total_vnd - delivered_total_vnd(session, order.id)  # type: ignore[arg-type]
        over = priced.total_vnd - max(left, 0)
        if over > 0:  # the last part gives back what the parts priced alone came to above the order's total
            amount = min(priced.sale_discount_vnd + over, carts.sale_base(items))
            discount = Discount("amount", amount)
            cart = Cart(cashier_id=0, discount_kind="amount", discount_value=amount)
            items, priced = carts.price_cart(
                session, cart, today, items, at=order.priced_at, showroom_code=showroom_code
            )
    prepaid = min(prepaid_left_vnd(session, order.id), priced.total_vnd)  # type: ignore[arg-type]
    return DeliveryQuote(dict(quantities), items, priced, discount, completes, prepaid, priced.total_vnd - prepaid)


def _transfer_payments(session: Session, order_id: int, amount_vnd: int) -> list[PaymentInput]:
    """``amount_vnd`` of the order's transfers, oldest first after what earlier deliveries took, each with its
    bank reference (one transfer may pay two deliveries)."""
    skip, out = prepaid_used_vnd(session, order_id), []
    for payment in transfers(session, order_id):
        usable = payment.amount_vnd - min(skip, payment.amount_vnd)
        skip -= payment.amount_vnd - usable
        take = min(usable, amount_vnd)
        if take > 0:
            out.append(PaymentInput("transfer", take, payment.reference))
            amount_vnd -= take
    return out


def deliver(
    session: Session,
    order_id: int,
    *,
    quantities: Mapping[int, int] | None,
    paid_now: Sequence[PaymentInput],
    receiver_name: str,
    note: str,
    cashier_id: int,
    showroom_code: str,
    allow_negative: bool,
    now: datetime,
    tz_name: str,
    limits: DiscountLimits,
    checkout: dict[str, Any],
    expected_total_vnd: int | None = None,
) -> OrderDelivery:
    """Hand over ``quantities`` (None: everything left) of a confirmed order: a delivery note and its sale.

    ``paid_now``: cash (what the customer handed over) or card, for what the transfers do not cover.
    ``checkout`` holds the rest of ``complete_sale``'s settings as the till passes them (e-invoice, loyalty).
    A catalogue price changed since the order refuses the delivery (the quote is made again), as does a
    total other than ``expected_total_vnd`` (the one the cashier was shown).
    """
    from pos.orders import services as orders  # services calls this module to fulfil an order at once
    from pos.sales.checkout import complete_sale

    order = orders.get_order(session, order_id)
    if order.status != "ordered":
        raise Conflict("Chỉ giao được đơn đã đặt hàng, chưa giao hết và chưa hủy.", "order")
    today = local_date(now, tz_name)
    whole = orders.price_order(session, order, today, showroom_code)
    if whole.priced.total_vnd != order.quoted_total_vnd:
        raise Conflict(
            f"Giá đã thay đổi từ khi đặt hàng: tổng nay là {format_vnd(whole.priced.total_vnd)} "
            f"(đặt hàng: {format_vnd(order.quoted_total_vnd)}). Hãy làm lại báo giá với khách.",
            "order",
        )
    lines = progress(session, order)
    if quantities is None:
        quantities = {lp.line.id: lp.remaining for lp in lines if lp.remaining}  # type: ignore[misc]
    quote = quote_delivery(session, order, quantities, today, showroom_code)
    if expected_total_vnd is not None and expected_total_vnd != quote.total_vnd:
        raise Conflict(f"Số tiền lần giao này nay là {format_vnd(quote.total_vnd)}; kiểm tra lại rồi giao.", "total")
    for p in paid_now:
        if p.method not in AT_TILL:
            raise ValidationError("Tại quầy khách trả bằng tiền mặt hoặc thẻ.", "payments")
    paid = [p for p in paid_now if p.amount_vnd]
    if quote.due_now_vnd == 0 and paid:
        raise ValidationError("Chuyển khoản đã đủ cho lần giao này; không cần thu thêm tại quầy.", "payments")
    if quote.due_now_vnd > 0 and not paid:
        raise ValidationError(
            f"Còn phải thu tại quầy {format_vnd(quote.due_now_vnd)} (tiền mặt hoặc thẻ) trước khi giao hàng.",
            "payments",
        )

    payments = _transfer_payments(session, order.id, quote.prepaid_vnd) + paid  # type: ignore[arg-type]
    seq_no = len(list_deliveries(session, order.id)) + 1  # type: ignore[arg-type]
    delivery = OrderDelivery(
        order_id=order.id,  # type: ignore[arg-type]
        seq_no=seq_no,
        number=f"{order.number}-GH{seq_no:02d}",
        prepaid_vnd=quote.prepaid_vnd,
        receiver_name=nfc(receiver_name)[:120],
        note=nfc(note)[:500],
        delivered_by_id=cashier_id,
        delivered_at=now,
    )
    session.add(delivery)
    session.flush()
    # The delivery's lines stop being held before the sale's stock check: the stock is counted once.
    session.add_all(
        OrderDeliveryLine(delivery_id=delivery.id, order_line_id=line_id, qty=qty)  # type: ignore[arg-type]
        for line_id, qty in quote.quantities.items()
    )
    if quote.completes:
        order.status, order.fulfilled_at = "fulfilled", now
        session.add(order)
    session.flush()
    cart = Cart(cashier_id=cashier_id, label=delivery.number)
    session.add(cart)
    session.flush()
    session.add_all(
        CartLine(cart_id=cart.id, product_id=item.product.id, qty=item.line.qty)  # type: ignore[arg-type]
        for item in quote.items
    )
    if quote.cart_discount is not None:
        cart.discount_kind, cart.discount_value = quote.cart_discount.kind, quote.cart_discount.value
        # The manager's confirmation approved the order's discount; it covers it on each delivery.
        base = carts.sale_base(quote.items)
        amount = pricing.discount_amount(base, quote.cart_discount)
        carts.set_approval(cart, (order.approved_by_id or cashier_id, base, amount))
    session.flush()
    customer = session.get(Customer, order.customer_id)
    customers.attach(session, cart.id, customer)  # type: ignore[arg-type]
    sale = complete_sale(
        session,
        cart_id=cart.id,  # type: ignore[arg-type]
        payments=payments,
        cashier_id=cashier_id,
        idempotency_key=f"delivery-{delivery.uuid}",
        showroom_code=showroom_code,
        allow_negative=allow_negative,
        now=now,
        tz_name=tz_name,
        limits=limits,
        expected_total_vnd=quote.total_vnd,
        buyer=orders.buyer_of(customer),  # type: ignore[arg-type]
        priced_at=order.priced_at,
        **checkout,
    )
    delivery.sale_id = sale.id
    if quote.completes:
        order.sale_id = sale.id  # the sale that completed the order
    session.add_all([delivery, order])
    audit.record(
        session,
        "order.deliver",
        user_id=cashier_id,
        entity="companyorder",
        entity_id=order.id,
        after={
            "number": order.number,
            "delivery": delivery.number,
            "receipt_number": sale.receipt_number,
            "total_vnd": sale.total_vnd,
            "prepaid_vnd": quote.prepaid_vnd,
            "paid_at_till_vnd": quote.due_now_vnd,
            "lines": {str(k): v for k, v in quote.quantities.items()},
            "completes": quote.completes,
        },
    )
    session.flush()
    return delivery


@dataclass(frozen=True)
class NoteRow:
    """A line of a delivery note: ordered, handed over before, this time, and left after it."""

    product: Product
    ordered: int
    before: int
    now: int

    @property
    def after(self) -> int:
        """What is left of the line once this delivery has left."""
        return max(self.ordered - self.before - self.now, 0)


@dataclass(frozen=True)
class DeliveryNote:
    """Everything the delivery note prints."""

    order: CompanyOrder
    customer: Customer
    delivery: OrderDelivery
    sale: Sale | None
    rows: list[NoteRow]
    paid_at_till: list[tuple[str, int]]  # (method, amount) paid when the goods left

    @property
    def is_void(self) -> bool:
        """Its sale was voided afterwards: the goods came back."""
        return self.sale is not None and self.sale.status == "voided"


def delivery_note(session: Session, delivery_id: Any) -> DeliveryNote:
    """The delivery note of one delivery, or NotFound."""
    from pos.errors import NotFound
    from pos.sales.models import Payment

    delivery = session.get(OrderDelivery, delivery_id) if isinstance(delivery_id, int) else None
    if delivery is None:
        raise NotFound("Không tìm thấy phiếu giao hàng này.", "delivery_id")
    order = session.get(CompanyOrder, delivery.order_id)
    assert order is not None
    earlier = {
        d.id
        for d, _ in _live(list_deliveries(session, order.id))
        if d.seq_no < delivery.seq_no  # type: ignore[arg-type]
    }
    before: dict[int, int] = {}
    now: dict[int, int] = {}
    for dl, d_id in session.exec(
        select(OrderDeliveryLine, OrderDeliveryLine.delivery_id)
        .join(
            OrderDelivery,
            OrderDelivery.id == OrderDeliveryLine.delivery_id,  # type: ignore[arg-type]
        )
        .where(OrderDelivery.order_id == order.id)
    ).all():
        if d_id == delivery.id:
            now[dl.order_line_id] = now.get(dl.order_line_id, 0) + dl.qty
        elif d_id in earlier:
            before[dl.order_line_id] = before.get(dl.order_line_id, 0) + dl.qty
    rows = [
        NoteRow(lp.product, lp.line.qty, before.get(lp.line.id, 0), now.get(lp.line.id, 0))  # type: ignore[arg-type]
        for lp in progress(session, order)
    ]
    sale = session.get(Sale, delivery.sale_id) if delivery.sale_id else None
    paid = (
        [
            (p.method, p.amount_vnd)
            for p in session.exec(select(Payment).where(Payment.sale_id == sale.id).order_by(Payment.id)).all()  # type: ignore[arg-type]
            if p.method != "transfer"
        ]
        if sale is not None
        else []
    )
    customer = session.get(Customer, order.customer_id)
    return DeliveryNote(order, customer, delivery, sale, rows, paid)  # type: ignore[arg-type]
