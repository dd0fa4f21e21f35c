"""Managers' pages for gift baskets: define, assemble ahead, take apart."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from pos.auth.access import bind_role
from pos.barcodes import instore_prefix
from pos.baskets import services as baskets
from pos.catalog.services import parse_int
from pos.db import get_session, unit_of_work, utcnow
from pos.errors import PosError, ValidationError
from pos.inventory.ledger import on_hand_many
from pos.text import nfc

bp = Blueprint("baskets", __name__, url_prefix="/baskets")
bind_role(bp, "manager")

FORM_ROWS = 10  # component rows on the form; a scanner fills one per scan


@bp.get("/")
def index() -> Any:
    """Every basket with its price, retail value of its contents, assembled stock and what can still be made."""
    return render_template("baskets/index.html", rows=baskets.list_baskets(get_session()))


def _input_from_form() -> baskets.BasketInput:
    form = request.form
    rows = [(form.get(f"code_{i}", ""), form.get(f"qty_{i}", "")) for i in range(FORM_ROWS)]
    return baskets.BasketInput(
        name=form.get("name", ""),
        price_vnd=form.get("price_vnd", ""),
        barcode=form.get("barcode", ""),
        components=rows,
        packaging=form.get("packaging", ""),
        is_active="is_active" in form,
    )


def _form(data: baskets.BasketInput, errors: dict[str, str], basket_id: int | None, status: int = 200) -> Any:
    rows = list(data.components) + [("", "")] * (FORM_ROWS - len(data.components))
    return render_template(
        "baskets/form.html", data=data, rows=rows[:FORM_ROWS], errors=errors, basket_id=basket_id
    ), status


def _save(basket_id: int | None) -> Any:
    data = _input_from_form()
    try:
        with unit_of_work() as session:
            basket = baskets.save_basket(
                session,
                data,
                showroom_name=str(current_app.config.get("SHOWROOM_NAME", "")),
                basket_id=basket_id,
                actor_id=current_user.id,
                instore_prefix=instore_prefix(current_app.config),
            )
    except ValidationError as exc:
        return _form(data, exc.details.get("errors") or {exc.field or "form": exc.message}, basket_id, 422)
    flash(f"Đã lưu giỏ quà “{basket.name}” (mã vạch {basket.barcode}).", "success")
    return redirect(url_for("baskets.show", basket_id=basket.id))


@bp.route("/new", methods=["GET", "POST"])
def new() -> Any:
    """Define a basket: name, price, barcode (blank: an in-store one), components scanned in, packaging."""
    if request.method == "GET":
        return _form(baskets.BasketInput(), {}, None)
    return _save(None)


@bp.route("/<int:basket_id>/edit", methods=["GET", "POST"])
def edit(basket_id: int) -> Any:
    """Change a basket's price, name or contents (sales already made keep what they sold)."""
    if request.method == "POST":
        return _save(basket_id)
    product, components = baskets.get_basket(get_session(), basket_id)
    data = baskets.BasketInput(
        name=product.name,
        price_vnd=product.price_vnd,
        barcode=product.barcode or "",
        components=[(c.product.barcode or c.product.sku, c.qty) for c in components if not c.is_packaging],
        packaging=next((c.product.barcode or c.product.sku for c in components if c.is_packaging), ""),
        is_active=product.is_active,
    )
    return _form(data, {}, basket_id)


@bp.get("/<int:basket_id>")
def show(basket_id: int) -> Any:
    """One basket: contents with each component's stock, assembled on hand, assemble and take-apart forms."""
    session = get_session()
    product, components = baskets.get_basket(session, basket_id)
    levels = on_hand_many(session, [product.id, *(c.product.id for c in components)])  # type: ignore[list-item]
    return render_template(
        "baskets/show.html",
        basket=product,
        components=components,
        levels=levels,
        assembled=levels[product.id],  # type: ignore[index]
        makeable=baskets.makeable(components, levels),
        retail_vnd=baskets.retail_value(components),
        price_note=baskets.describe_price(product.price_vnd, components),
    )


@bp.post("/<int:basket_id>/<any(assemble, disassemble):action>")
def move(basket_id: int, action: str) -> Any:
    """Assemble baskets ahead, or take assembled ones apart (stock moves on the ledger)."""
    try:
        qty = parse_int(nfc(request.form.get("qty", "")))
    except ValueError:
        qty = None
    try:
        with unit_of_work() as session:
            do = baskets.assemble if action == "assemble" else baskets.disassemble
            kwargs: dict[str, Any] = {"actor_id": current_user.id, "now": utcnow()}
            if action == "assemble":
                kwargs["allow_negative"] = False  # a basket on the shelf must really hold its goods
            do(session, basket_id, qty, **kwargs)
    except PosError as exc:
        flash(exc.message, "error")
    else:
        flash(f"Đã {'đóng' if action == 'assemble' else 'tháo'} {qty} giỏ.", "success")
    return redirect(url_for("baskets.show", basket_id=basket_id))
