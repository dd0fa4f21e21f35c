"""Managers' pages for company orders: quotes, the order that holds stock, transfers, handover, cancelling."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from pos.auth.access import bind_role
from pos.baskets.services import components_of
from pos.db import get_session, unit_of_work, utcnow
from pos.errors import PosError, ValidationError
from pos.orders import deliveries
from pos.orders import services as orders
from pos.orders.delivery_views import till_settings
from pos.orders.models import HANDOVER, ORDER_STATUSES, PAYMENT_KINDS
from pos.orders.pdf import Seller, render_order
from pos.sales.models import Sale
from pos.sales.views import _allow_negative, _limits, _today, _tz

bp = Blueprint("orders", __name__, url_prefix="/orders")
bind_role(bp, "manager")

LINE_ROWS = 12


def _code() -> str:
    return str(current_app.config.get("SHOWROOM_CODE", "SR01"))


@bp.get("/")
def index() -> Any:
    """Quotes and orders, newest first, by status."""
    status = request.args.get("status", "")
    status = status if status in ORDER_STATUSES else ""
    session = get_session()
    rows = orders.list_orders(session, status)
    done = deliveries.delivery_progress(session, [o for o, _ in rows if o.status != "quote"])
    return render_template("orders/index.html", rows=rows, done=done, status=status, statuses=ORDER_STATUSES)


def _input() -> orders.OrderInput:
    f = request.form
    return orders.OrderInput(
        customer_phone=f.get("customer_phone", ""),
        lines=[(f.get(f"code_{i}", ""), f.get(f"qty_{i}", "")) for i in range(LINE_ROWS)],
        discount_percent=f.get("discount_percent", ""),
        handover=f.get("handover", "pickup"),
        delivery_address=f.get("delivery_address", ""),
        due_on=f.get("due_on", ""),
        valid_until=f.get("valid_until", ""),
        note=f.get("note", ""),
    )


def _form(data: orders.OrderInput, errors: dict[str, str], order_id: int | None, status: int = 200) -> Any:
    rows = (list(data.lines) + [("", "")] * LINE_ROWS)[:LINE_ROWS]
    return render_template(
        "orders/form.html", data=data, rows=rows, errors=errors, order_id=order_id, handover=list(HANDOVER.items())
    ), status


def _save(order_id: int | None) -> Any:
    data = _input()
    try:
        with unit_of_work() as session:
            order = orders.save_quote(
                session,
                data,
                actor_id=current_user.id,
                showroom_code=_code(),
                now=utcnow(),
                tz_name=_tz(),
                limits=_limits(),
                order_id=order_id,
            )
            order_id = order.id
    except ValidationError as exc:
        return _form(data, exc.details.get("errors") or {exc.field or "form": exc.message}, order_id, 422)
    flash(f"Đã lưu báo giá {order.number}.", "success")
    return redirect(url_for("orders.show", order_id=order_id))


@bp.route("/new", methods=["GET", "POST"])
def new() -> Any:
    """A new quote for a company customer."""
    if request.method == "POST":
        return _save(None)
    return _form(orders.OrderInput(customer_phone=request.args.get("phone", "")), {}, None)


@bp.route("/<int:order_id>/edit", methods=["GET", "POST"])
def edit(order_id: int) -> Any:
    """Change a quote (not yet ordered): its lines, discount, handover."""
    if request.method == "POST":
        return _save(order_id)
    session = get_session()
    po = orders.price_order(session, orders.get_order(session, order_id), _today(), _code())
    order = po.order
    data = orders.OrderInput(
        customer_phone=po.customer.phone or "",
        lines=[(item.product.sku, str(item.line.qty)) for item in po.items],
        discount_percent=f"{order.discount_bp / 100:g}".replace(".", ",") if order.discount_bp else "",
        handover=order.handover,
        delivery_address=order.delivery_address,
        due_on=order.due_on.strftime("%d/%m/%Y") if order.due_on else "",
        valid_until=order.valid_until.strftime("%d/%m/%Y") if order.valid_until else "",
        note=order.note,
    )
    return _form(data, {}, order_id)


@bp.get("/<int:order_id>")
def show(order_id: int) -> Any:
    """The quote or order: its lines priced, transfers received, what is due, and the next step."""
    session = get_session()
    order = orders.get_order(session, order_id)
    po = orders.price_order(session, order, _today(), _code())
    return render_template(
        "orders/show.html",
        po=po,
        order=order,
        lines=list(zip(po.items, po.priced.lines, strict=True)),
        sale=session.get(Sale, order.sale_id) if order.sale_id else None,
        statuses=ORDER_STATUSES,
        handover=HANDOVER,
        kinds=list(PAYMENT_KINDS.items()),
        payment_kinds=PAYMENT_KINDS,
        stock_problem=None if _allow_negative() else orders.stock_problem(session, order),
        changed=order.status == "ordered" and po.priced.total_vnd != order.quoted_total_vnd,
        today=_today(),
        done=deliveries.list_deliveries(session, order.id),  # type: ignore[arg-type]
        prepaid_left=deliveries.prepaid_left_vnd(session, order.id),  # type: ignore[arg-type]
    )


@bp.get("/<int:order_id>.pdf")
def pdf(order_id: int) -> Any:
    """The quote (or order) as the company receives it, A4."""
    session = get_session()
    po = orders.price_order(session, orders.get_order(session, order_id), _today(), _code())
    contents = {
        basket_id: [(c.qty, c.product.name) for c in comps]
        for basket_id, comps in components_of(session, [item.product.id for item in po.items]).items()  # type: ignore[misc]
    }
    body = render_order(po, Seller.from_config(current_app.config), _tz(), contents)
    name = f"{'bao-gia' if po.order.status == 'quote' else 'don-dat-hang'}-{po.order.number}.pdf"
    return Response(body, mimetype="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}"'})


def _act(order_id: int, done: str, action: Any) -> Any:
    """Run one step in its own unit of work; a refusal is said on the order's page."""
    try:
        with unit_of_work() as session:
            action(session)
    except PosError as exc:
        flash(exc.message, "error")
    else:
        flash(done, "success")
    return redirect(url_for("orders.show", order_id=order_id))


@bp.post("/<int:order_id>/confirm")
def confirm(order_id: int) -> Any:
    """The company accepted the quote: it becomes an order and its stock is held."""
    return _act(
        order_id,
        "Đã chuyển báo giá thành đơn đặt hàng; hàng đã được giữ cho đơn.",
        lambda s: orders.confirm(
            s, order_id, actor_id=current_user.id, allow_negative=_allow_negative(), now=utcnow(), tz_name=_tz()
        ),
    )


@bp.post("/<int:order_id>/payments")
def payment(order_id: int) -> Any:
    """A bank transfer received for the order."""
    f = request.form
    return _act(
        order_id,
        "Đã ghi nhận chuyển khoản.",
        lambda s: orders.record_payment(
            s,
            order_id,
            kind=f.get("kind", ""),
            amount=f.get("amount", ""),
            reference=f.get("reference", ""),
            received_on=f.get("received_on", ""),
            actor_id=current_user.id,
            today=_today(),
            showroom_code=_code(),
        ),
    )


@bp.post("/<int:order_id>/fulfil")
def fulfil(order_id: int) -> Any:
    """The goods are picked up or delivered: the order becomes a sale (receipt, e-invoice to the company)."""
    made: dict[str, Any] = {}

    def run(session: Any) -> None:
        made["sale"] = orders.fulfil(session, order_id, **till_settings())

    answer = _act(order_id, "Đã giao hàng: đơn đã thành hóa đơn bán hàng.", run)
    if "sale" in made:
        return redirect(url_for("till.receipt", number=made["sale"].receipt_number))
    return answer


@bp.post("/<int:order_id>/cancel")
def cancel(order_id: int) -> Any:
    """Cancel the quote or order; the stock it held is free again."""
    return _act(
        order_id,
        "Đã hủy đơn; hàng giữ cho đơn đã được trả lại cho quầy bán.",
        lambda s: orders.cancel(
            s, order_id, reason=request.form.get("reason", ""), actor_id=current_user.id, now=utcnow()
        ),
    )
