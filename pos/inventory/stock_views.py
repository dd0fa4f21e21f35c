"""Back-office stock pages: on hand per product, a product's history, adjustments, counts, expiring lots."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlmodel import select

from pos.auth.access import bind_role
from pos.catalog.models import Producer, Product
from pos.db import get_session, unit_of_work, utcnow
from pos.errors import NotFound, PosError
from pos.inventory import recall, stock
from pos.inventory.ledger import on_hand
from pos.inventory.lots import is_lot_kept, is_sellable, lots_of
from pos.inventory.models import ADJUSTMENT_REASONS
from pos.quantity import min_stock
from pos.reports.export import to_csv
from pos.text import nfc

bp = Blueprint("stock", __name__, url_prefix="/stock")
bind_role(bp, "manager")

PER_PAGE = 50
HISTORY_PER_PAGE = 100
MAX_EXPIRY_DAYS = 3650

_SIGNED_RE = re.compile(r"^([+-]?)(\d{1,9})$")


def _int_arg(name: str, default: int | None = None, low: int = 1, high: int = 10**9) -> int | None:
    """A whole-number query parameter; anything odd falls back to the default rather than failing."""
    raw = request.args.get(name, "").strip()
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9 or int(raw) < low:
        return default
    return min(int(raw), high)


def _producers() -> list[Producer]:
    return list(get_session().exec(select(Producer).order_by(Producer.name_search, Producer.id)))


def _today() -> Any:
    return stock.local_today(current_app.config.get("SHOWROOM_TIMEZONE", "Asia/Ho_Chi_Minh"))


@bp.get("/")
def index() -> Any:
    """On hand per product, searchable and filtered by producer or low stock."""
    q = nfc(request.args.get("q", ""))[:100]
    producer_id = _int_arg("producer")
    only_low = request.args.get("low") == "1"
    page = _int_arg("page", 1) or 1
    listing = stock.stock_list(
        get_session(),
        q=q,
        producer_id=producer_id,
        only_low=only_low,
        limit=PER_PAGE,
        offset=(page - 1) * PER_PAGE,
        low_stock_default=int(current_app.config.get("STOCK_LOW_STOCK_DEFAULT", 5)),
    )
    pages = max(1, -(-listing.total // PER_PAGE))
    return render_template(
        "stock/index.html",
        listing=listing,
        producers=_producers(),
        q=q,
        producer_id=producer_id,
        only_low=only_low,
        page=page,
        pages=pages,
    )


def _render_product(
    product_id: int, errors: dict[str, str] | None = None, form: dict[str, str] | None = None, status: int = 200
) -> Any:
    session = get_session()
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound("Không tìm thấy sản phẩm.")
    producer = session.get(Producer, product.producer_id)
    page = _int_arg("page", 1) or 1
    total = stock.movement_count(session, product_id)
    history = stock.movement_history(session, product_id, limit=HISTORY_PER_PAGE, offset=(page - 1) * HISTORY_PER_PAGE)
    default_min = int(current_app.config.get("STOCK_LOW_STOCK_DEFAULT", 5))
    body = render_template(
        "stock/product.html",
        product=product,
        producer=producer,
        on_hand=on_hand(session, product_id),
        min_stock=min_stock(product.min_stock, product.sold_by, default_min),
        history=history,
        page=page,
        pages=max(1, -(-total // HISTORY_PER_PAGE)),
        reasons=ADJUSTMENT_REASONS,
        lots=lots_of(session, [product_id]).get(product_id, []) if is_lot_kept(product) else [],
        today=_today(),
        is_sellable=is_sellable,
        errors=errors or {},
        form=form or {},
    )
    return body, status


@bp.get("/<int:product_id>")
def product(product_id: int) -> Any:
    """A product's stock: on hand, movement history with running balance, adjustment and count forms."""
    return _render_product(product_id)


def parse_adjustment_qty(raw: str, reason: str) -> int:
    """A quantity typed for an adjustment; an unsigned number takes the direction the reason implies.

    "2" for damaged or lost means two fewer, "2" for found two more; a sign typed explicitly is kept as
    typed, so "+2" with "damaged" is refused by the domain rule rather than silently flipped.
    """
    text = nfc(raw).replace("−", "-").replace(" ", "").replace(".", "")
    match = _SIGNED_RE.match(text)
    if match is None:
        raise ValueError(raw)
    sign, digits = match.groups()
    value = int(digits)
    if sign == "-" or (not sign and reason in stock.DECREASING_REASONS):
        return -value
    return value


@bp.post("/<int:product_id>/adjust")
def adjust(product_id: int) -> Any:
    """Record a stock adjustment with its reason."""
    form = {key: nfc(request.form.get(key, "")) for key in ("qty_delta", "reason", "note", "lot_id")}
    errors: dict[str, str] = {}
    if form["reason"] not in ADJUSTMENT_REASONS:
        errors["reason"] = "Chọn lý do điều chỉnh."
    try:
        qty_delta = parse_adjustment_qty(form["qty_delta"], form["reason"])
    except ValueError:
        errors["qty_delta"] = "Nhập số lượng là số nguyên, ví dụ 2 hoặc -2."
    if errors:
        return _render_product(product_id, errors, form, 422)
    try:
        with unit_of_work() as session:
            movement = stock.adjust_stock(
                session,
                product_id,
                qty_delta,
                form["reason"],
                form["note"],
                current_user.id,
                allow_negative=bool(current_app.config.get("STOCK_ALLOW_NEGATIVE", False)),
                lot_id=_lot_arg(form["lot_id"]),
            )
            after = on_hand(session, product_id)
    except NotFound:
        raise
    except PosError as exc:
        return _render_product(product_id, {exc.field or "qty_delta": exc.message}, form, exc.status)
    flash(
        f"Đã điều chỉnh tồn kho ({ADJUSTMENT_REASONS[movement.reason].lower()}): "
        f"{movement.qty_delta:+d}. Tồn kho hiện là {after}.",
        "success",
    )
    return redirect(url_for("stock.product", product_id=product_id))


@bp.post("/<int:product_id>/count")
def count(product_id: int) -> Any:
    """Record a stock count: on hand becomes the counted figure."""
    form = {key: nfc(request.form.get(key, "")) for key in ("counted_qty", "count_note", "count_lot_id")}
    raw = form["counted_qty"].replace(".", "").replace(" ", "")
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
        return _render_product(product_id, {"counted_qty": "Nhập số đếm thực tế là số nguyên không âm."}, form, 422)
    try:
        with unit_of_work() as session:
            before = on_hand(session, product_id)
            movement = stock.count_stock(
                session,
                product_id,
                int(raw),
                form["count_note"],
                current_user.id,
                lot_id=_lot_arg(form["count_lot_id"]),
            )
    except NotFound:
        raise
    except PosError as exc:
        field = {"note": "count_note", "lot_id": "count_lot_id"}.get(exc.field or "", "counted_qty")
        return _render_product(product_id, {field: exc.message}, form, exc.status)
    if movement is None:
        flash(f"Đã ghi nhận kiểm kê: số đếm khớp với sổ ({before}), tồn kho không đổi.", "success")
    else:
        flash(
            f"Đã ghi nhận kiểm kê: tồn kho từ {before} thành {before + movement.qty_delta} "
            f"(chênh lệch {movement.qty_delta:+d}).",
            "success",
        )
    return redirect(url_for("stock.product", product_id=product_id))


@bp.get("/expiry")
def expiry() -> Any:
    """Lots whose expiry date is near or past, for products still in stock."""
    default_days = int(current_app.config.get("STOCK_EXPIRY_WARNING_DAYS", 30))
    days = _int_arg("days", default_days, low=0, high=MAX_EXPIRY_DAYS)
    today = _today()
    lots = stock.expiring_lots(get_session(), days, today)  # type: ignore[arg-type]
    return render_template(
        "stock/expiry.html",
        lots=lots,
        days=days,
        default_days=default_days,
        today=today,
        expired_count=sum(1 for lot in lots if lot.is_expired),
    )


def _lot_arg(raw: str) -> int | None:
    """A lot id from a form's select; anything else is no lot (the service then asks for one if needed)."""
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 12 else None


def _render_lot(lot_id: int, errors: dict[str, str] | None = None, status: int = 200) -> Any:
    session = get_session()
    (info,) = recall.lot_info(session, [lot_id]) or [None]
    if info is None:
        raise NotFound("Không tìm thấy lô hàng này.")
    rows = recall.trace(session, [lot_id])
    body = render_template(
        "stock/lot.html",
        info=info,
        rows=rows,
        today=_today(),
        sellable=is_sellable(info.lot, _today()),
        removal_reasons={key: ADJUSTMENT_REASONS[key] for key in stock.REMOVAL_REASONS},
        errors=errors or {},
        form={key: nfc(request.form.get(key, "")) for key in ("reason", "note", "recall_reason")},
    )
    return body, status


@bp.get("/lots/<int:lot_id>")
def lot(lot_id: int) -> Any:
    """A lot: what it holds, its expiry, the recall and removal forms, and every receipt that sold it."""
    return _render_lot(lot_id)


@bp.post("/lots/<int:lot_id>/recall")
def recall_lot(lot_id: int) -> Any:
    """Block the lot for sale at once (thu hồi)."""
    try:
        with unit_of_work() as session:
            found = recall.recall_lot(session, lot_id, request.form.get("recall_reason", ""), current_user.id, utcnow())
            name = found.lot_code or f"#{found.id}"
    except NotFound:
        raise
    except PosError as exc:
        return _render_lot(lot_id, {"recall_reason": exc.message}, exc.status)
    flash(f"Đã thu hồi lô {name}: quầy thu ngân không bán lô này nữa.", "success")
    return redirect(url_for("stock.lot", lot_id=lot_id))


@bp.post("/lots/<int:lot_id>/remove")
def remove_lot(lot_id: int) -> Any:
    """Take everything left of the lot off the stock (hư hỏng / tiêu hủy) in one step."""
    try:
        with unit_of_work() as session:
            movement = stock.remove_lot(
                session, lot_id, request.form.get("reason", ""), request.form.get("note", ""), current_user.id
            )
            removed = -movement.qty_delta
    except NotFound:
        raise
    except PosError as exc:
        return _render_lot(
            lot_id, {exc.field if exc.field in ("reason", "note") else "reason": exc.message}, exc.status
        )
    flash(f"Đã xuất khỏi kho {removed} đơn vị của lô ({ADJUSTMENT_REASONS[movement.reason].lower()}).", "success")
    return redirect(url_for("stock.lot", lot_id=lot_id))


def _trace_csv(lot_ids: list[int], title: str, filename: str) -> Response:
    rows = recall.trace(get_session(), lot_ids)
    report = recall.trace_report(rows, title, current_app.config.get("SHOWROOM_TIMEZONE", "Asia/Ho_Chi_Minh"))
    return Response(
        to_csv(report),
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/lots/<int:lot_id>/sales.csv")
def lot_csv(lot_id: int) -> Any:
    """The lot's trace as CSV (Excel opens it with Vietnamese intact)."""
    (info,) = recall.lot_info(get_session(), [lot_id]) or [None]
    if info is None:
        raise NotFound("Không tìm thấy lô hàng này.")
    title = f"Truy xuất lô {info.lot.lot_code or info.lot.id} – {info.product.name}"
    return _trace_csv([lot_id], title, f"truy-xuat-lo-{info.lot.id}.csv")


@bp.get("/recall")
def recall_search() -> Any:
    """Find the lots of a producer's delivery note and trace every receipt that sold them."""
    number = nfc(request.args.get("note", ""))[:60]
    session = get_session()
    lot_ids = recall.lots_of_delivery(session, number) if number else []
    if number and request.args.get("format") == "csv":
        return _trace_csv(lot_ids, f"Truy xuất phiếu giao hàng {number}", "truy-xuat-phieu-giao-hang.csv")
    return render_template(
        "stock/recall.html",
        number=number,
        lots=recall.lot_info(session, lot_ids),
        rows=recall.trace(session, lot_ids),
        today=_today(),
    )
