"""Stock intake pages (nhập kho): the delivery form, the list and one intake; JSON helpers for the scanner."""

from __future__ import annotations

import math
from datetime import date, datetime
from itertools import zip_longest
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from pos.auth.access import bind_role
from pos.barcodes import BarcodeError, normalize_barcode
from pos.catalog.models import PRODUCT_GROUPS, VAT_CLASSES, Product
from pos.catalog.services import (
    ProductInput,
    create_product,
    find_by_code,
    get_producer,
    list_producers,
    search_products,
)
from pos.db import get_session, parse_id, unit_of_work
from pos.errors import NotFound, ValidationError
from pos.inventory.intake import (
    IntakeLineInput,
    count_intakes,
    get_intake,
    intake_by_uuid,
    intake_warnings,
    list_intakes,
    receive_stock,
)
from pos.inventory.ledger import on_hand_many
from pos.money import format_vnd
from pos.text import nfc

bp = Blueprint("inventory", __name__)
bind_role(bp, "manager")

PAGE_SIZE = 50
BLANK_ROWS = 8  # rows for typing codes when the page runs without JavaScript
LINE_FIELDS = ("product_id", "code", "qty", "unit_cost_vnd", "lot_code", "expiry_date")


def _today() -> date:
    """Today in the showroom's time zone (the server may run on UTC)."""
    return datetime.now(ZoneInfo(current_app.config.get("SHOWROOM_TIMEZONE", "Asia/Ho_Chi_Minh"))).date()


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name, "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None


def product_json(product: Product, on_hand: int | None = None) -> dict[str, Any]:
    """What the intake page's script needs to show and submit a line."""
    return {
        "id": product.id,
        "name": product.name,
        "sku": product.sku,
        "barcode": product.barcode,
        "unit": product.unit,
        "price_vnd": product.price_vnd,
        "price": format_vnd(product.price_vnd),
        "cost_vnd": product.cost_vnd,
        "is_food": product.is_food,
        "is_active": product.is_active,
        "producer_id": product.producer_id,
        "on_hand": on_hand,
    }


@bp.get("/intakes")
def intakes() -> Any:
    """Intakes, newest first, optionally of one producer."""
    session = get_session()
    producer_id = _int_arg("producer_id")
    total = count_intakes(session, producer_id)
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(max(_int_arg("page") or 1, 1), pages)
    return render_template(
        "inventory/intakes.html",
        rows=list_intakes(session, producer_id, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE),
        producers=list_producers(session),
        producer_id=producer_id,
        page=page,
        pages=pages,
        total=total,
    )


@bp.get("/intakes/<int:intake_id>")
def intake(intake_id: int) -> Any:
    """One intake: its lines, stock now, and the button for its labels."""
    detail = get_intake(get_session(), intake_id)
    return render_template("inventory/intake.html", detail=detail)


def _submitted_lines() -> list[IntakeLineInput]:
    columns = [request.form.getlist(f"line_{name}") for name in LINE_FIELDS]
    lines = []
    for n, values in enumerate(zip_longest(*columns, fillvalue=""), start=1):
        line = IntakeLineInput(**dict(zip(LINE_FIELDS, values, strict=True)), line_no=n)
        lines.append(line)
    return lines


def _line_rows(lines: list[IntakeLineInput], errors: dict[str, str]) -> list[dict[str, Any]]:
    """The lines as typed, with their product's name where it is known, to show the form again."""
    session = get_session()
    rows = []
    for line in lines:
        if not any(nfc(str(getattr(line, name) or "")) for name in LINE_FIELDS):
            continue
        product = None
        if str(line.product_id).strip().isdigit():
            wanted = parse_id(str(line.product_id))
            product = session.get(Product, wanted) if wanted else None
        elif nfc(line.code):
            product = find_by_code(session, line.code)
        row = {name: nfc(str(getattr(line, name) or "")) for name in LINE_FIELDS}
        row["product"] = product_json(product) if product is not None else None
        row["error"] = errors.get(f"line-{line.line_no}", "")
        rows.append(row)
    return rows


def _intake_form(form: dict[str, Any], rows: list[dict[str, Any]], errors: dict[str, str], status: int = 200) -> Any:
    session = get_session()
    return (
        render_template(
            "inventory/intake_form.html",
            form=form,
            rows=rows,
            errors=errors,
            blank_rows=BLANK_ROWS,
            producers=[(p.id, p.name) for p in list_producers(session, active_only=True)],
            groups=list(PRODUCT_GROUPS.items()),
            vat_classes=list(VAT_CLASSES.items()),
            today=_today(),
        ),
        status,
    )


@bp.route("/intakes/new", methods=["GET", "POST"])
def new_intake() -> Any:
    """One form for a whole delivery; saving raises stock in one transaction."""
    if request.method == "GET":
        form = {
            "producer_id": _int_arg("producer_id"),
            "received_on": _today().strftime("%d/%m/%Y"),
            "delivery_note_number": "",
            "note": "",
            "intake_uuid": str(uuid4()),
        }
        return _intake_form(form, [], {})

    form = {
        key: nfc(request.form.get(key, "")) for key in ("producer_id", "received_on", "delivery_note_number", "note")
    }
    form["intake_uuid"] = request.form.get("intake_uuid", "")
    try:
        form_uuid: UUID | None = UUID(form["intake_uuid"])
    except ValueError:
        form_uuid = None
    lines = _submitted_lines()
    warning_days = int(current_app.config.get("STOCK_EXPIRY_WARNING_DAYS", 30))
    try:
        with unit_of_work() as session:
            # The same form saved twice (a double click, a reload) shows the intake already saved.
            earlier = intake_by_uuid(session, form_uuid) if form_uuid else None
            if earlier is not None:
                flash("Phiếu nhập kho này đã được lưu trước đó.", "info")
                return redirect(url_for("inventory.intake", intake_id=earlier.id))
            saved = receive_stock(
                session,
                form["producer_id"],
                form["received_on"],
                form["delivery_note_number"],
                lines,
                actor_id=current_user.id,
                note=form["note"],
                today=_today(),
                intake_uuid=form_uuid,
            )
            # Read back in the same transaction: the request's read session may predate this write.
            detail = get_intake(session, saved.id)  # type: ignore[arg-type]
    except ValidationError as exc:
        errors = exc.details.get("errors") or {exc.field or "form": exc.message}
        return _intake_form(form, _line_rows(lines, errors), errors, 422)
    flash(
        f"Đã lưu phiếu nhập kho số {saved.id}: {detail.total_qty} đơn vị, {len(detail.lines)} dòng hàng.",
        "success",
    )
    cert_days = int(current_app.config.get("OCOP_CERTIFICATE_WARNING_DAYS", 90))
    for warning in intake_warnings(detail.lines, _today(), warning_days, cert_days):
        flash(warning, "warning")
    return redirect(url_for("inventory.intake", intake_id=saved.id))


# --- JSON for the scanner-driven form (fetch with X-CSRFToken) ---------------------------------------------------


@bp.get("/intakes/api/lookup")
def api_lookup() -> Any:
    """The product a scanned code belongs to; 404 with the check-digit message or 'unknown' otherwise."""
    code = "".join(nfc(request.args.get("code", "")).split())[:20]
    session = get_session()
    product = find_by_code(session, code) if code else None
    if product is not None:
        stock = on_hand_many(session, [product.id])  # type: ignore[list-item]
        return jsonify({"product": product_json(product, stock[product.id])})  # type: ignore[index]
    try:
        barcode = normalize_barcode(code)
    except BarcodeError as exc:
        return jsonify({"error": str(exc), "field": "barcode", "unknown": False}), 404
    return jsonify({"error": f"Mã vạch {barcode} chưa có trong danh mục.", "unknown": True, "barcode": barcode}), 404


@bp.get("/intakes/api/products")
def api_search() -> Any:
    """Products of a producer whose name (with or without diacritics), barcode or SKU matches."""
    q = nfc(request.args.get("q", ""))[:100]
    producer_id = _int_arg("producer_id")
    if len(q) < 2:
        return jsonify({"products": []})
    rows = search_products(get_session(), q, producer_id=producer_id, limit=15)
    return jsonify({"products": [product_json(r.product, r.on_hand) for r in rows]})


@bp.post("/intakes/api/products")
def api_create_product() -> Any:
    """Create a product on the spot during an intake (the inline form); every field's problem comes back."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return jsonify({"error": "Dữ liệu gửi lên không hợp lệ."}), 400
    data = ProductInput.from_mapping(body, checkboxes=False)
    try:
        with unit_of_work() as session:
            get_producer(session, data.producer_id)
            product = create_product(
                session,
                data,
                actor_id=current_user.id,
                instore_prefix=str(current_app.config.get("LABELS_INSTORE_PREFIX", "20")),
            )
    except (ValidationError, NotFound) as exc:
        errors = exc.details.get("errors") or {exc.field or "form": exc.message}
        return jsonify({"error": exc.message, "field": exc.field, "errors": errors}), 422
    return jsonify({"product": product_json(product, 0)}), 201
