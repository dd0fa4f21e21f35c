"""Stock intake pages (nhập kho): the delivery form, the list and one intake; JSON helpers for the scanner."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from datetime import date, datetime
from itertools import zip_longest
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlmodel import Session

from pos.auth.access import bind_role
from pos.barcodes import BarcodeError, instore_prefix, normalize_barcode
from pos.catalog.models import PRODUCT_GROUPS, VAT_CLASSES, Product
from pos.catalog.services import (
    ProductInput,
    create_product,
    find_by_code,
    get_producer,
    list_producers,
    search_products,
    validate_product,
)
from pos.db import get_session, parse_id, unit_of_work
from pos.errors import NotFound, PosError, ValidationError
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
        "sold_by": product.sold_by,  # "weight": the line's quantity is a weight (grams, or kg with a comma)
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
        product: dict[str, Any] | None = None
        draft = _draft_fields(line.product_id)
        if draft is not None:  # a product still to be created: shown again as typed, if it still checks
            try:
                product = _draft_json(draft, validate_product(session, ProductInput.from_mapping(draft, False)))
            except PosError:
                product = None
        elif str(line.product_id).strip().isdigit():
            wanted = parse_id(str(line.product_id))
            found = session.get(Product, wanted) if wanted else None
            product = product_json(found) if found is not None else None
        elif nfc(line.code):
            found = find_by_code(session, line.code)
            product = product_json(found) if found is not None else None
        row = {name: nfc(str(getattr(line, name) or "")) for name in LINE_FIELDS}
        row["product"] = product
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
                _create_drafts(session, lines, form["producer_id"], current_user.id),
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
    """Check a product typed in the intake's inline form; it is created only when the intake is saved.

    Nothing is written here: the answer is a draft line (its id "new:" + the fields) that the intake form
    carries, so an abandoned intake leaves no product behind. Every field's problem comes back.
    """
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return jsonify({"error": "Dữ liệu gửi lên không hợp lệ."}), 400
    data = ProductInput.from_mapping(body, checkboxes=False)
    try:
        session = get_session()
        get_producer(session, data.producer_id)
        clean = validate_product(session, data, None)
    except (ValidationError, NotFound) as exc:
        errors = exc.details.get("errors") or {exc.field or "form": exc.message}
        return jsonify({"error": exc.message, "field": exc.field, "errors": errors}), 422
    fields = {key: body.get(key, "") for key in DRAFT_FIELDS}
    return jsonify({"product": _draft_json(fields, clean)}), 200


# The inline form's fields, carried by the intake form as the draft line's product id.
DRAFT_FIELDS = ("producer_id", "name", "price_vnd", "unit", "ocop_group", "ocop_stars", "vat_class", "barcode")
DRAFT_PREFIX = "new:"


def _draft_json(fields: dict[str, Any], clean: dict[str, Any]) -> dict[str, Any]:
    """A product not yet created, as the intake page shows and submits its line."""
    return {
        "id": DRAFT_PREFIX + json.dumps({k: str(v) for k, v in fields.items()}, ensure_ascii=False),
        "name": clean["name"],
        "sku": "SKU mới",
        "barcode": clean.get("barcode") or "",
        "unit": clean["unit"],
        "price_vnd": clean["price_vnd"],
        "price": format_vnd(clean["price_vnd"]),
        "cost_vnd": 0,
        "is_food": bool(clean.get("is_food")),
        "is_active": True,
        "producer_id": clean["producer_id"],
        "on_hand": 0,
        "is_new": True,
    }


def _draft_fields(product_id: Any) -> dict[str, Any] | None:
    """The fields of a draft line's product id, or None for an ordinary id."""
    text = str(product_id or "")
    if not text.startswith(DRAFT_PREFIX):
        return None
    try:
        fields = json.loads(text[len(DRAFT_PREFIX) :])
    except ValueError:
        fields = None
    return fields if isinstance(fields, dict) else {}


def _create_drafts(
    session: Session, lines: list[IntakeLineInput], producer_id: Any, actor_id: int
) -> list[IntakeLineInput]:
    """In the intake's own transaction: create each draft line's product, so both commit or neither does.

    The lines come back with the new products' ids; the typed lines stay as they were, to show again.
    """
    ready = []
    for line in lines:
        fields = _draft_fields(line.product_id)
        if fields is None:
            ready.append(line)
            continue
        fields["producer_id"] = producer_id  # the intake's producer, whatever the draft said
        try:
            product = create_product(
                session,
                ProductInput.from_mapping(fields, checkboxes=False),
                actor_id=actor_id,
                instore_prefix=instore_prefix(current_app.config),
            )
        except (ValidationError, NotFound) as exc:
            message = f"Dòng {line.line_no}: sản phẩm mới “{fields.get('name', '')}”: {exc.message}"
            raise ValidationError(message, f"line-{line.line_no}", errors={f"line-{line.line_no}": message}) from exc
        ready.append(replace(line, product_id=product.id))
    return ready
