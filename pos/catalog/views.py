"""Back office pages for producers, products and price-list imports (manager only)."""

from __future__ import annotations

import io
import math
import re
import secrets
import time
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from pos.auth.access import bind_role
from pos.barcodes import instore_prefix
from pos.catalog.models import PRODUCER_KINDS, PRODUCT_GROUPS, VAT_CLASSES
from pos.catalog.price_list import COLUMN_LABELS, COLUMNS, STATUS_LABELS, apply_price_list, preview_price_list
from pos.catalog.services import (
    ProducerInput,
    ProductInput,
    count_products,
    create_producer,
    create_product,
    get_producer,
    get_product,
    list_producers,
    product_counts,
    search_products,
    update_producer,
    update_product,
)
from pos.catalog.story import get_story
from pos.csv_export import csv_writer
from pos.db import get_session, unit_of_work
from pos.errors import NotFound, ValidationError
from pos.money import format_vnd
from pos.quantity import SOLD_BY
from pos.text import nfc

bp = Blueprint("catalog", __name__)
bind_role(bp, "manager")

PAGE_SIZE = 50
UPLOAD_DIR = "price_lists"
UPLOAD_MAX_AGE_S = 24 * 3600
_TOKEN_RE = re.compile(r"^[0-9a-f]{32}$")


def _field_errors(exc: ValidationError) -> dict[str, str]:
    return exc.details.get("errors") or {exc.field or "form": exc.message}


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name, "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None


def _instore_prefix() -> str:
    return instore_prefix(current_app.config)


# --- producers ------------------------------------------------------------------------------------------------


@bp.get("/producers")
def producers() -> Any:
    """The list of producers."""
    session = get_session()
    q = nfc(request.args.get("q", ""))[:100]
    return render_template(
        "catalog/producers.html",
        producers=list_producers(session, q),
        counts=product_counts(session),
        kinds=PRODUCER_KINDS,
        q=q,
    )


def _producer_form(data: ProducerInput, errors: dict[str, str], producer_id: int | None, status: int = 200) -> Any:
    return (
        render_template(
            "catalog/producer_form.html",
            data=data,
            errors=errors,
            producer_id=producer_id,
            kinds=list(PRODUCER_KINDS.items()),
        ),
        status,
    )


@bp.route("/producers/new", methods=["GET", "POST"])
def new_producer() -> Any:
    """Register a producer."""
    if request.method == "GET":
        return _producer_form(ProducerInput(), {}, None)
    data = ProducerInput.from_mapping(request.form)
    try:
        with unit_of_work() as session:
            producer = create_producer(session, data, actor_id=current_user.id)
    except ValidationError as exc:
        return _producer_form(data, _field_errors(exc), None, 422)
    flash(f"Đã thêm nhà sản xuất “{producer.name}”.", "success")
    return redirect(url_for("catalog.producers"))


@bp.route("/producers/<int:producer_id>/edit", methods=["GET", "POST"])
def edit_producer(producer_id: int) -> Any:
    """Edit a producer."""
    producer = get_producer(get_session(), producer_id)
    if request.method == "GET":
        return _producer_form(ProducerInput.from_producer(producer), {}, producer_id)
    data = ProducerInput.from_mapping(request.form)
    try:
        with unit_of_work() as session:
            producer = update_producer(session, producer_id, data, actor_id=current_user.id)
    except ValidationError as exc:
        return _producer_form(data, _field_errors(exc), producer_id, 422)
    flash(f"Đã lưu nhà sản xuất “{producer.name}”.", "success")
    return redirect(url_for("catalog.producers"))


# --- products -------------------------------------------------------------------------------------------------


@bp.get("/products")
def products() -> Any:
    """The catalogue: search by name (with or without diacritics), barcode or SKU, with filters and paging."""
    session = get_session()
    filters: dict[str, Any] = {
        "q": nfc(request.args.get("q", ""))[:100],
        "producer_id": _int_arg("producer_id"),
        "stars": _int_arg("stars") if _int_arg("stars") in (3, 4, 5) else None,
        "group": request.args.get("group") if request.args.get("group") in PRODUCT_GROUPS else None,
        "low_stock": request.args.get("low") == "1",
        "active": None if request.args.get("all") == "1" else True,
        "low_stock_default": int(current_app.config.get("STOCK_LOW_STOCK_DEFAULT", 5)),
    }
    total = count_products(session, **filters)
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(max(_int_arg("page") or 1, 1), pages)
    rows = search_products(session, **filters, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    # The pager keeps every filter; empty ones are left out of the address.
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "catalog/products.html",
        rows=rows,
        total=total,
        page=page,
        pages=pages,
        args=args,
        filters=filters,
        producers=list_producers(session),
        groups=PRODUCT_GROUPS,
        show_all=filters["active"] is None,
    )


def _for_display(data: ProductInput) -> ProductInput:
    """Numbers and dates as a person types them: '125.000', '31/12/2027'; typed text is shown as typed."""
    shown = replace(data)
    if isinstance(data.price_vnd, int):
        shown.price_vnd = format_vnd(data.price_vnd, symbol=False)
    if isinstance(data.ocop_cert_expiry, date):
        shown.ocop_cert_expiry = data.ocop_cert_expiry.strftime("%d/%m/%Y")
    return shown


def _product_form(data: ProductInput, errors: dict[str, str], product_id: int | None, status: int = 200) -> Any:
    session = get_session()
    product = get_product(session, product_id) if product_id else None
    producers = [p for p in list_producers(session) if p.is_active or (product and p.id == product.producer_id)]
    return (
        render_template(
            "catalog/product_form.html",
            data=_for_display(data),
            errors=errors,
            product=product,
            producers=[(p.id, p.name) for p in producers],
            groups=list(PRODUCT_GROUPS.items()),
            vat_classes=list(VAT_CLASSES.items()),
            sold_by=list(SOLD_BY.items()),
        ),
        status,
    )


@bp.route("/products/new", methods=["GET", "POST"])
def new_product() -> Any:
    """Add a product; a blank barcode gets an in-store EAN-13."""
    if request.method == "GET":
        data = ProductInput(producer_id=_int_arg("producer_id"))
        return _product_form(data, {}, None)
    data = ProductInput.from_mapping(request.form)
    try:
        with unit_of_work() as session:
            product = create_product(session, data, actor_id=current_user.id, instore_prefix=_instore_prefix())
    except ValidationError as exc:
        return _product_form(data, _field_errors(exc), None, 422)
    flash(f"Đã thêm sản phẩm “{product.name}” (mã vạch {product.barcode}).", "success")
    return redirect(url_for("catalog.products", q=product.sku))


@bp.route("/products/<int:product_id>/edit", methods=["GET", "POST"])
def edit_product(product_id: int) -> Any:
    """Edit a product; a price change is audited."""
    product = get_product(get_session(), product_id)
    if request.method == "GET":
        story = get_story(get_session(), product_id)
        return _product_form(ProductInput.from_product(product, story), {}, product_id)
    data = ProductInput.from_mapping(request.form)
    try:
        with unit_of_work() as session:
            product = update_product(
                session, product_id, data, actor_id=current_user.id, instore_prefix=_instore_prefix()
            )
    except ValidationError as exc:
        return _product_form(data, _field_errors(exc), product_id, 422)
    flash(f"Đã lưu sản phẩm “{product.name}”.", "success")
    return redirect(url_for("catalog.products", q=product.sku))


@bp.route("/products/<int:product_id>/certificates", methods=["GET", "POST"])
def certificates(product_id: int) -> Any:
    """A product's OCOP certificates (history, newest first) and the form to record a new one (re-rating)."""
    from pos.catalog import certificates as certs
    from pos.inventory.stock import local_today

    product = get_product(get_session(), product_id)
    today = local_today(current_app.config.get("SHOWROOM_TIMEZONE", "Asia/Ho_Chi_Minh"))
    months = int(current_app.config.get("OCOP_CERTIFICATE_MONTHS", certs.DEFAULT_MONTHS))
    keys = ("cert_number", "cert_authority", "cert_issued_on", "cert_stars")
    form = {key: nfc(request.form.get(key, "")) for key in keys}
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            with unit_of_work() as session:
                made = certs.record_certificate(
                    session,
                    product_id,
                    form["cert_number"],
                    form["cert_authority"],
                    form["cert_issued_on"],
                    form["cert_stars"],
                    months=months,
                    actor_id=current_user.id,
                    today=today,
                )
                until = made.valid_until
        except ValidationError as exc:
            errors = _field_errors(exc)
        else:
            flash(f"Đã ghi giấy chứng nhận OCOP số {form['cert_number']}, hiệu lực đến {until:%d/%m/%Y}.", "success")
            return redirect(url_for("catalog.certificates", product_id=product_id))
    history = certs.certificate_history(get_session(), product_id)
    body = render_template(
        "catalog/certificates.html",
        product=product,
        history=history,
        today=today,
        months=months,
        form=form,
        errors=errors,
    )
    return body, 422 if errors else 200


# --- price-list import ------------------------------------------------------------------------------------------


def _upload_dir() -> Path:
    path = Path(current_app.instance_path) / UPLOAD_DIR
    path.mkdir(parents=True, exist_ok=True)
    return path


def _forget_old_uploads(folder: Path) -> None:
    """Uploads never confirmed are dropped after a day."""
    cutoff = time.time() - UPLOAD_MAX_AGE_S
    for path in folder.glob("*.csv"):
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)


def _upload_path(token: str) -> Path | None:
    if not _TOKEN_RE.match(token or ""):
        return None
    path = _upload_dir() / f"{token}.csv"
    return path if path.exists() else None


def _size_text(size: int | None) -> str:
    """2_000_000 -> '2 MB', 1_500_000 -> '1,5 MB' (Vietnamese decimal comma)."""
    if not size:
        return ""
    return f"{size / 1_000_000:.1f}".rstrip("0").rstrip(".").replace(".", ",") + " MB"


def _import_page(status: int = 200, **context: Any) -> Any:
    session = get_session()
    context.setdefault("preview", None)
    context.setdefault("error", "")
    context.setdefault("producer_id", None)
    return (
        render_template(
            "catalog/import.html",
            producers=[(p.id, p.name) for p in list_producers(session, active_only=True)],
            columns=COLUMNS,
            column_labels=COLUMN_LABELS,
            status_labels=STATUS_LABELS,
            max_upload=_size_text(current_app.config.get("MAX_CONTENT_LENGTH")),
            **context,
        ),
        status,
    )


@bp.route("/products/import", methods=["GET", "POST"])
def import_price_list() -> Any:
    """Upload a producer's CSV price list and show what importing it would do."""
    if request.method == "GET":
        return _import_page(producer_id=_int_arg("producer_id"))
    producer_id = request.form.get("producer_id", "")
    upload = request.files.get("file")
    data = upload.read() if upload is not None else b""
    session = get_session()
    try:
        producer = get_producer(session, producer_id)
    except NotFound:
        return _import_page(422, error="Chưa chọn nhà sản xuất của bảng giá.")
    if upload is None or not upload.filename:
        return _import_page(422, error="Chưa chọn tệp CSV.", producer_id=producer.id)
    try:
        preview = preview_price_list(session, producer.id, data)  # type: ignore[arg-type]
    except ValidationError as exc:
        return _import_page(422, error=exc.message, producer_id=producer.id)
    folder = _upload_dir()
    _forget_old_uploads(folder)
    token = secrets.token_hex(16)
    (folder / f"{token}.csv").write_bytes(data)
    return _import_page(
        200 if preview.is_clean else 422,
        preview=preview,
        producer=producer,
        producer_id=producer.id,
        token=token,
        filename=nfc(upload.filename)[:120],
    )


@bp.post("/products/import/confirm")
def confirm_import() -> Any:
    """Write a previewed price list, all rows in one transaction (checked again first)."""
    token = request.form.get("token", "")
    path = _upload_path(token)
    if path is None:
        flash("Tệp đã tải lên không còn trên máy (quá hạn hoặc đã nhập). Vui lòng tải lại tệp.", "error")
        return redirect(url_for("catalog.import_price_list"))
    producer = get_producer(get_session(), request.form.get("producer_id", ""))
    data = path.read_bytes()
    try:
        with unit_of_work() as session:
            preview = apply_price_list(
                session, producer.id, data, actor_id=current_user.id, instore_prefix=_instore_prefix()
            )  # type: ignore[arg-type]
    except ValidationError as exc:
        # The catalogue changed since the preview: show the file's problems again, nothing written.
        try:
            preview = preview_price_list(get_session(), producer.id, data)  # type: ignore[arg-type]
        except ValidationError:
            preview = None
        return _import_page(
            422, error=exc.message, preview=preview, producer=producer, producer_id=producer.id, token=token
        )
    path.unlink(missing_ok=True)
    flash(
        f"Đã nhập bảng giá của {producer.name}: {preview.count('new')} sản phẩm mới, "
        f"{preview.count('update')} sản phẩm cập nhật, {preview.count('unchanged')} không đổi.",
        "success",
    )
    return redirect(url_for("catalog.products", producer_id=producer.id))


SAMPLE_ROWS = [
    ["sku", "barcode", "name", "unit", "price_vnd", "vat_class", "ocop_group", "ocop_stars"]
    + ["cert_number", "cert_expiry"],
    ["CHE-TC-100", "8934563138165", "Chè Tân Cương đặc biệt 100g", "hộp", 120000, "standard", "thuc_pham", 4]
    + ["QĐ 123/QĐ-UBND", "31/12/2027"],
    ["", "", "Giỏ mây tre đan", "cái", 185000, "standard", "luu_niem", 3, "", ""],
]


@bp.get("/products/import/sample.csv")
def price_list_sample() -> Any:
    """A sample price list to fill in (UTF-8 with BOM, so Excel shows the accents)."""
    out = io.StringIO()
    writer = csv_writer(out)
    for row in SAMPLE_ROWS:
        writer.writerow(row)
    return current_app.response_class(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=bang-gia-mau.csv"},
    )
