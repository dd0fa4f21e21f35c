"""The central office's pages for showrooms, their sync keys and the shared catalogue.

Every central user (role manager) sees all showrooms and keeps the catalogue; registering a showroom and
rotating or revoking its key need an admin. A secret is shown once, in the answer to the POST that made it
(never in a redirect, a flash message or a log), with ``Cache-Control: no-store``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlmodel import select

from pos.auth.access import bind_role, role_required
from pos.catalog.models import PRODUCER_KINDS, PRODUCT_GROUPS, VAT_CLASSES
from pos.catalog.services import parse_date
from pos.central import catalog as catalog_services
from pos.central import credentials, issues, staff_names
from pos.central.models import CHECK_STATUSES, ISSUE_PROBLEMS, CatalogProduct, ShiftClose, ShowroomCredential, SyncLog
from pos.db import get_session, unit_of_work, utcnow
from pos.errors import PosError, ValidationError
from pos.money import parse_vnd
from pos.reports.period import shop_timezone
from pos.text import nfc

main = Blueprint("main", __name__)
bp = Blueprint("office", __name__)
bind_role(bp, "manager")

DEFAULT_STALE_DAYS = 2


@main.get("/")
@login_required
def index() -> Any:
    """The central office's home: showrooms that have gone quiet, products awaiting a link."""
    session = get_session()
    rows = showroom_rows()
    return render_template(
        "central/index.html",
        stale=[r for r in rows if r["is_stale"]],
        showroom_count=len(rows),
        unlinked=catalog_services.count_unlinked(session),
        issue_count=sum(issues.count_issues(session).values()),
    )


@main.get("/healthz")
def healthz() -> dict[str, str]:
    """A liveness probe for scripts and tests."""
    return {"status": "ok", "role": "central"}


def stale_days() -> int:
    """After how many days without a push a showroom is flagged (config central.stale_days)."""
    return int(current_app.config.get("CENTRAL_STALE_DAYS", DEFAULT_STALE_DAYS))


def showroom_rows() -> list[dict[str, Any]]:
    """Every showroom with its live key and whether it has gone quiet for too long."""
    session = get_session()
    live = {
        c.showroom_id: c
        for c in session.exec(select(ShowroomCredential).where(ShowroomCredential.revoked_at.is_(None)))  # type: ignore[union-attr]
    }
    cutoff = utcnow() - timedelta(days=stale_days())
    return [
        {
            "showroom": s,
            "credential": live.get(s.id),
            "is_stale": s.last_push_at is None or s.last_push_at < cutoff,
            "days_quiet": None if s.last_push_at is None else (utcnow() - s.last_push_at).days,
        }
        for s in credentials.list_showrooms(session)
    ]


@bp.get("/sync-issues")
def sync_issues() -> Any:
    """Records the ingest held aside or flagged, newest first, by showroom and problem."""
    session = get_session()
    code = request.args.get("showroom", "").strip()
    shop = credentials.get_showroom(session, code) if code else None
    problem = request.args.get("problem", "")
    if problem not in ISSUE_PROBLEMS:
        problem = ""
    return render_template(
        "central/sync_issues.html",
        rows=issues.list_issues(
            session, shop.id if shop else None, problem, tz=shop_timezone(current_app.config.get("SHOWROOM_TIMEZONE"))
        ),
        counts=issues.count_issues(session, shop.id if shop else None),
        problems=ISSUE_PROBLEMS,
        problem=problem,
        shop=shop,
        showrooms=credentials.list_showrooms(session),
    )


# --- Showrooms and keys -----------------------------------------------------------------------------------------


@bp.get("/showrooms")
def showrooms() -> Any:
    """Every showroom: last sync, records received, key in use; the registration form for an admin."""
    return render_template("central/showrooms.html", rows=showroom_rows(), stale_days=stale_days(), form={}, errors={})


@bp.post("/showrooms")
@role_required("admin")
def register_showroom() -> Any:
    """Register a showroom and show its secret once."""
    form = {k: nfc(request.form.get(k, "")) for k in ("code", "name", "district", "province", "address")}
    try:
        with unit_of_work() as session:
            issued = credentials.register_showroom(
                session,
                form["code"],
                form["name"],
                form["province"],
                form["district"],
                form["address"],
                actor=current_user.username,
            )
    except PosError as exc:
        errors = {exc.field or "code": exc.message}
        return render_template(
            "central/showrooms.html", rows=showroom_rows(), stale_days=stale_days(), form=form, errors=errors
        ), exc.status
    return _secret_page(issued, "Đã đăng ký cửa hàng")


@bp.get("/showrooms/<code>")
def showroom(code: str) -> Any:
    """One showroom: its keys, its recent pushes and the check of its recent shifts."""
    session = get_session()
    shop = credentials.get_showroom(session, code)
    keys = session.exec(
        select(ShowroomCredential)
        .where(ShowroomCredential.showroom_id == shop.id)
        .order_by(ShowroomCredential.created_at.desc())  # type: ignore[attr-defined]
    ).all()
    pushes = session.exec(
        select(SyncLog).where(SyncLog.showroom_id == shop.id).order_by(SyncLog.at.desc()).limit(20)  # type: ignore[attr-defined]
    ).all()
    shifts = session.exec(
        select(ShiftClose).where(ShiftClose.showroom_id == shop.id).order_by(ShiftClose.closed_at.desc()).limit(30)  # type: ignore[attr-defined]
    ).all()
    return render_template(
        "central/showroom.html",
        shop=shop,
        keys=keys,
        pushes=pushes,
        shifts=shifts,
        names=staff_names.full_names(session, shop.id),
        check_statuses=CHECK_STATUSES,
        stale_days=stale_days(),
        issue_counts=issues.count_issues(session, shop.id),
    )


@bp.post("/showrooms/<code>/rotate")
@role_required("admin")
def rotate(code: str) -> Any:
    """Issue a new secret for a showroom; the old one stops working at once."""
    with unit_of_work() as session:
        issued = credentials.rotate_credential(session, code, actor=current_user.username)
    return _secret_page(issued, "Đã cấp khóa đồng bộ mới")


@bp.post("/showrooms/<code>/revoke")
@role_required("admin")
def revoke(code: str) -> Any:
    """Revoke a showroom's key: it can push nothing until a new one is issued."""
    with unit_of_work() as session:
        credentials.revoke_credential(session, code, actor=current_user.username)
    flash(
        f"Đã thu hồi khóa đồng bộ của cửa hàng {code}; cửa hàng không gửi được dữ liệu cho đến khi có khóa mới.",
        "warning",
    )
    return redirect(url_for("office.showroom", code=code))


def _secret_page(issued: credentials.IssuedSecret, title: str) -> Any:
    response = current_app.make_response(
        render_template("central/secret.html", issued=issued, title=title, central_url=request.host_url.rstrip("/"))
    )
    response.headers["Cache-Control"] = "no-store"
    return response


# --- The shared catalogue -------------------------------------------------------------------------------------------


@bp.get("/catalog")
def catalog() -> Any:
    """The shared catalogue, searchable by name, SKU or barcode."""
    query = nfc(request.args.get("q", ""))
    rows = catalog_services.list_catalog_products(get_session(), query)
    return render_template("central/catalog.html", rows=rows, q=query, groups=PRODUCT_GROUPS)


@bp.route("/catalog/producers/new", methods=["GET", "POST"])
def new_catalog_producer() -> Any:
    """Add a producer to the catalogue."""
    form: dict[str, str] = {"kind": "htx"}
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = {
            k: nfc(request.form.get(k, ""))
            for k in ("name", "kind", "province", "district", "address", "phone", "tax_code")
        }
        try:
            with unit_of_work() as session:
                producer = catalog_services.create_catalog_producer(
                    session, catalog_services.CatalogProducerInput(**form), actor=current_user.username
                )
        except PosError as exc:
            errors = {exc.field or "name": exc.message}
        else:
            flash(f"Đã thêm nhà sản xuất “{producer.name}” vào danh mục chung.", "success")
            return redirect(url_for("office.catalog"))
    return render_template("central/catalog_producer_form.html", form=form, errors=errors, kinds=PRODUCER_KINDS), (
        422 if errors else 200
    )


PRODUCT_FIELDS = (
    "producer_id",
    "sku",
    "name",
    "suggested_price",
    "barcode",
    "unit",
    "vat_class",
    "ocop_group",
    "ocop_stars",
    "ocop_cert_number",
    "ocop_cert_expiry",
)


def _product_input(form: dict[str, str]) -> catalog_services.CatalogProductInput:
    """The form's text as typed values; a field that cannot be read raises ValidationError naming it."""
    try:
        price = parse_vnd(form.get("suggested_price", ""))
    except ValueError as exc:
        raise ValidationError("Giá bán đề xuất phải là số tiền, ví dụ 125.000.", "suggested_price") from exc
    if not (form.get("producer_id", "").isascii() and form.get("producer_id", "").isdigit()):
        raise ValidationError("Chọn nhà sản xuất trong danh mục chung.", "producer_id")
    stars = form.get("ocop_stars", "")
    if stars and not (stars.isascii() and stars.isdigit()):
        raise ValidationError("Hạng sao OCOP từ 1 đến 5.", "ocop_stars")
    try:
        expiry = parse_date(form.get("ocop_cert_expiry", ""))
    except ValueError as exc:
        raise ValidationError("Ngày hết hạn giấy chứng nhận theo dạng dd/mm/yyyy.", "ocop_cert_expiry") from exc
    return catalog_services.CatalogProductInput(
        producer_id=int(form["producer_id"]),
        sku=form.get("sku", ""),
        name=form.get("name", ""),
        suggested_price_vnd=price,
        barcode=form.get("barcode", ""),
        unit=form.get("unit", "") or "cái",
        vat_class=form.get("vat_class", "standard"),
        ocop_group=form.get("ocop_group", "thuc_pham"),
        ocop_stars=int(stars) if stars else None,
        ocop_cert_number=form.get("ocop_cert_number", ""),
        ocop_cert_expiry=expiry,
    )


@bp.route("/catalog/products/new", methods=["GET", "POST"])
def new_catalog_product() -> Any:
    """Add a product to the catalogue: barcode, OCOP stars and certificate, suggested price."""
    form: dict[str, str] = {"unit": "cái", "vat_class": "standard", "ocop_group": "thuc_pham"}
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = {k: nfc(request.form.get(k, "")) for k in PRODUCT_FIELDS}
        try:
            data = _product_input(form)
            with unit_of_work() as session:
                product = catalog_services.create_catalog_product(session, data, actor=current_user.username)
        except PosError as exc:
            errors = {exc.field or "name": exc.message}
        else:
            flash(f"Đã thêm “{product.name}” vào danh mục chung.", "success")
            return redirect(url_for("office.catalog"))
    return render_template(
        "central/catalog_product_form.html",
        form=form,
        errors=errors,
        producers=catalog_services.list_catalog_producers(get_session()),
        groups=PRODUCT_GROUPS,
        vat_classes=VAT_CLASSES,
    ), (422 if errors else 200)


@bp.get("/catalog/links")
def links() -> Any:
    """Showroom products not yet linked to the catalogue, with a likely match by barcode."""
    query = nfc(request.args.get("q", ""))
    session = get_session()
    return render_template(
        "central/links.html",
        rows=catalog_services.unlinked_products(session, query),
        total=catalog_services.count_unlinked(session),
        q=query,
    )


def _uuid(raw: str, field: str) -> UUID:
    try:
        return UUID(raw)
    except ValueError as exc:
        raise ValidationError("Mã sản phẩm không hợp lệ.", field) from exc


@bp.post("/catalog/links")
def link() -> Any:
    """Link a showroom product to a catalogue product given by its SKU or barcode."""
    product_uuid = _uuid(request.form.get("product_uuid", ""), "product_uuid")
    ref = nfc(request.form.get("catalog_ref", ""))
    session = get_session()
    target = session.exec(
        select(CatalogProduct).where((CatalogProduct.sku == ref) | (CatalogProduct.barcode == ref))
    ).first()
    if target is None:
        raise ValidationError(f"Không có sản phẩm mã hoặc mã vạch “{ref}” trong danh mục chung.", "catalog_ref")
    with unit_of_work() as write:
        product = catalog_services.link_product(write, product_uuid, target.uuid, actor=current_user.username)
    flash(f"Đã liên kết “{product.name}” với “{target.name}” trong danh mục chung.", "success")
    return redirect(url_for("office.links"))


@bp.post("/catalog/promote")
def promote() -> Any:
    """Put a showroom's own product into the catalogue, under the UUID it already has."""
    product_uuid = _uuid(request.form.get("product_uuid", ""), "product_uuid")
    try:
        price = parse_vnd(request.form.get("suggested_price", ""))
    except ValueError as exc:
        raise ValidationError("Giá bán đề xuất phải là số tiền, ví dụ 125.000.", "suggested_price") from exc
    with unit_of_work() as session:
        entry = catalog_services.promote_product(session, product_uuid, price, actor=current_user.username)
    flash(f"Đã đưa “{entry.name}” vào danh mục chung; các cửa hàng sẽ nhận ở lần đồng bộ sau.", "success")
    return redirect(url_for("office.links"))
