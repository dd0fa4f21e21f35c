"""Customers: the till finds or creates one by phone; managers see details, history, export and erase."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from pos.auth.access import role_required
from pos.customers import services as customers
from pos.db import get_session, unit_of_work
from pos.errors import NotFound, ValidationError
from pos.sales import cart as carts
from pos.sales.views import customers_to_central as to_central
from pos.sales.views import loyalty_rule
from pos.text import nfc

bp = Blueprint("customers", __name__)  # the till's two calls live under /till/api, the rest under /customers


@bp.post("/till/api/customer")
@role_required("cashier")
def till_attach() -> Any:
    """The cashier types a phone: the customer is found (or, with a name, created) and the cart is theirs."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ValidationError("Yêu cầu không hợp lệ.", "body")
    with unit_of_work(durable=False) as session:
        cart = carts.get_or_create_active_cart(session, current_user.id)
        customer = customers.find_by_phone(session, data.get("phone"))
        if customer is None:
            if not nfc(str(data.get("name") or "")):
                raise NotFound("Khách mới: nhập tên khách để tạo (số điện thoại chưa có).", "name")
            customer = customers.save_customer(session, data, current_user.id, to_central=to_central())
        customers.attach(session, cart.id, customer)  # type: ignore[arg-type]
        view = customers.till_view(customer, loyalty_rule())
    return jsonify({"customer": view})


@bp.post("/till/api/customer/clear")
@role_required("cashier")
def till_detach() -> Any:
    """The cart is for no one in particular again."""
    with unit_of_work(durable=False) as session:
        customers.detach(session, carts.get_or_create_active_cart(session, current_user.id).id)  # type: ignore[arg-type]
    return jsonify({"customer": None})


@bp.get("/customers/")
@role_required("manager")
def index() -> Any:
    """Customers by phone, name or company."""
    q = nfc(request.args.get("q", ""))[:60]
    session = get_session()
    return render_template(
        "customers/index.html", rows=customers.search(session, q), q=q, total=customers.count_customers(session)
    )


@bp.route("/customers/<int:customer_id>", methods=["GET", "POST"])
@role_required("manager")
def show(customer_id: int) -> Any:
    """A customer's details (editable), points and purchases."""
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        try:
            with unit_of_work() as session:
                customers.save_customer(
                    session, dict(request.form), current_user.id, customer_id, to_central=to_central()
                )
        except ValidationError as exc:
            errors, status = exc.details.get("errors") or {exc.field or "form": exc.message}, 422
        else:
            flash("Đã lưu thông tin khách hàng.", "success")
            return redirect(url_for("customers.show", customer_id=customer_id))
    session = get_session()
    customer = customers.get_customer(session, customer_id)
    data = dict(request.form) if errors else customer.model_dump()
    return render_template(
        "customers/show.html",
        customer=customer,
        data=data,
        errors=errors,
        sales=customers.history(session, customer_id),
        rule=loyalty_rule(),
    ), status


@bp.get("/customers/<int:customer_id>/export.json")
@role_required("manager")
def export(customer_id: int) -> Any:
    """Everything kept about the customer, as a file to hand over on request."""
    body = json.dumps(customers.export(get_session(), customer_id), ensure_ascii=False, indent=2)
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="khach-hang-{customer_id}.json"'},
    )


@bp.post("/customers/<int:customer_id>/erase")
@role_required("manager")
def erase(customer_id: int) -> Any:
    """Erase a customer's personal data on request; their purchases stay, anonymous."""
    with unit_of_work() as session:
        customers.erase(session, customer_id, current_user.id, to_central=to_central())
    flash("Đã xóa dữ liệu cá nhân của khách hàng; các đơn hàng vẫn giữ, không còn gắn với người này.", "success")
    return redirect(url_for("customers.index"))
