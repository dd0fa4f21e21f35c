"""Handing company orders over at the till: the orders waiting, a delivery in part or in full, paid from the
order's transfers and the rest in cash or by card in the cashier's shift, and its delivery note (A4 PDF)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from pos.auth.access import bind_role
from pos.baskets.services import components_of
from pos.db import get_session, unit_of_work, utcnow
from pos.einvoice.settings import app_settings
from pos.errors import PosError, ValidationError
from pos.money import parse_vnd
from pos.orders import deliveries
from pos.orders import services as orders
from pos.orders.models import HANDOVER
from pos.orders.pdf import Seller, render_delivery_note
from pos.sales.pricing import PaymentInput
from pos.sales.views import _allow_negative, _limits, _today, _tz, customers_to_central, loyalty_rule
from pos.text import nfc

bp = Blueprint("deliveries", __name__, url_prefix="/orders")
bind_role(bp, "cashier")


def _code() -> str:
    return str(current_app.config.get("SHOWROOM_CODE", "SR01"))


def till_settings() -> dict[str, Any]:
    """How this till checks a delivery out: the cashier, the showroom, stock rule, clock, caps, e-invoice."""
    return {
        "cashier_id": current_user.id,
        "showroom_code": _code(),
        "allow_negative": _allow_negative(),
        "now": utcnow(),
        "tz_name": _tz(),
        "limits": _limits(),
        "checkout": {
            "einvoice": app_settings(current_app),
            "loyalty": loyalty_rule(),
            "customer_to_central": customers_to_central(),
        },
    }


@bp.get("/pickups")
def pickups() -> Any:
    """Confirmed orders waiting to be picked up or delivered, the next due first."""
    session = get_session()
    rows = orders.list_orders(session, "ordered")
    rows.sort(key=lambda row: (row[0].due_on is None, row[0].due_on or _today(), row[0].id))
    done = deliveries.delivery_progress(session, [o for o, _ in rows])
    return render_template("orders/pickups.html", rows=rows, done=done, handover=HANDOVER)


def _paid_now() -> list[PaymentInput]:
    """What the cashier took at the till: one amount, cash (what was handed over) or card (with its slip code)."""
    f = request.form
    raw = nfc(f.get("amount", ""))
    if not raw:
        return []
    method = f.get("method", "cash")
    try:
        amount = parse_vnd(raw)
    except ValueError:
        raise ValidationError("Số tiền không hợp lệ, ví dụ 5.000.000.", "amount") from None
    return [PaymentInput(method, amount, nfc(f.get("reference", ""))[:80])]


SHOWN = {"qty", "payments", "total", "amount", "reference", "receiver_name", "note", "method"}


def _shown(field: str | None) -> str:
    """Where the page says a refusal: beside its field, else at the top (no shift open, stock, approval …)."""
    field = "amount" if field == "tendered" else field or ""
    return field if field in SHOWN or field.startswith("qty_") else "form"


def _page(order_id: int, quote: Any = None, errors: dict[str, str] | None = None, status: int = 200) -> Any:
    session = get_session()
    order = orders.get_order(session, order_id)
    po = orders.price_order(session, order, _today(), _code())
    lines = deliveries.progress(session, order)
    return render_template(
        "orders/deliver.html",
        order=order,
        po=po,
        lines=lines,
        done=deliveries.list_deliveries(session, order.id),  # type: ignore[arg-type]
        prepaid_left=deliveries.prepaid_left_vnd(session, order.id),  # type: ignore[arg-type]
        quote=quote,
        form=request.form if request.method == "POST" else {},
        errors=errors or {},
        handover=HANDOVER,
    ), status


@bp.get("/<int:order_id>/deliver")
def deliver_form(order_id: int) -> Any:
    """The order's lines with what is left, the deliveries made and the form for the next one."""
    return _page(order_id)


@bp.post("/<int:order_id>/deliver")
def deliver(order_id: int) -> Any:
    """Work out what a delivery costs (Tính tiền), or hand it over: its sale, stock and delivery note."""
    session = get_session()
    order = orders.get_order(session, order_id)
    if order.status != "ordered":  # a second click, or another till handed the rest over meanwhile
        return _page(order_id, None, {"form": "Đơn này đã giao hết hoặc đã hủy: không còn gì để giao."}, 409)
    try:
        quantities = deliveries.parse_quantities(deliveries.progress(session, order), request.form)
        quote = deliveries.quote_delivery(session, order, quantities, _today(), _code())
    except ValidationError as exc:
        return _page(order_id, None, exc.details.get("errors") or {exc.field or "qty": exc.message}, 422)
    except PosError as exc:
        return _page(order_id, None, {"form": exc.message}, 409)
    if request.form.get("action") != "deliver":
        return _page(order_id, quote)
    expected = request.form.get("expected_total_vnd", "")
    made: dict[str, Any] = {}
    try:
        paid_now = _paid_now()
        with unit_of_work() as write:
            made["delivery"] = deliveries.deliver(
                write,
                order_id,
                quantities=quantities,
                paid_now=paid_now,
                receiver_name=request.form.get("receiver_name", ""),
                note=request.form.get("note", ""),
                **till_settings(),
                expected_total_vnd=int(expected) if expected.isascii() and expected.isdigit() else None,
            )
    except PosError as exc:
        return _page(
            order_id, quote, {_shown(exc.field): exc.message}, 422 if isinstance(exc, ValidationError) else 409
        )
    delivery = made["delivery"]
    flash(f"Đã giao hàng: phiếu giao hàng {delivery.number}. In phiếu để hai bên ký.", "success")
    return redirect(url_for(".deliver_form", order_id=order_id, printed=delivery.id))


@bp.get("/deliveries/<int:delivery_id>.pdf")
def note_pdf(delivery_id: int) -> Any:
    """The delivery note of one handover, A4, for both sides to sign."""
    session = get_session()
    note = deliveries.delivery_note(session, delivery_id)
    contents = {
        basket_id: [(c.qty, c.product.name) for c in comps]
        for basket_id, comps in components_of(session, [row.product.id for row in note.rows]).items()  # type: ignore[misc]
    }
    body = render_delivery_note(note, Seller.from_config(current_app.config), _tz(), contents)
    name = f"phieu-giao-hang-{note.delivery.number}.pdf"
    return Response(body, mimetype="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}"'})
