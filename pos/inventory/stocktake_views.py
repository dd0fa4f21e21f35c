"""Stocktake pages (kiểm kê): the manager opens, reviews and approves; any staff counts with a scanner at a till."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlmodel import select

from pos.auth.access import bind_role, role_required
from pos.barcodes import scale_layouts
from pos.db import get_session, unit_of_work
from pos.errors import Conflict, NotFound, PosError, wants_json
from pos.inventory import stocktake as st
from pos.inventory.lots import lot_name
from pos.inventory.models import STOCKTAKE_STATUSES, StocktakeCount
from pos.printing import tills
from pos.quantity import format_qty
from pos.text import nfc

bp = Blueprint("stocktake", __name__, url_prefix="/stocktake")
bind_role(bp, "cashier")  # counting is staff work; opening, approving and cancelling need a manager

RECENT = 15


def _till_id() -> int | None:
    """The till this browser stands at (the count entry says which till counted), None when none is set up."""
    try:
        till = tills.till_from_cookie(get_session(), current_app.secret_key, request.cookies.get(tills.COOKIE))  # type: ignore[arg-type]
    except Conflict:
        return None
    return till.id


def _id_arg(raw: str | None) -> int | None:
    text = nfc(raw)
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 12 else None


@bp.get("/")
@role_required("manager")
def index() -> Any:
    """Stocktakes, newest first, and the form to open one."""
    session = get_session()
    return render_template(
        "stocktake/index.html",
        stocktakes=st.list_stocktakes(session),
        current=st.open_stocktake(session),
        statuses=STOCKTAKE_STATUSES,
    )


@bp.post("/")
@role_required("manager")
def start() -> Any:
    """Open a session: the book is frozen now."""
    try:
        with unit_of_work() as session:
            made = st.start_stocktake(session, request.form.get("note", ""), current_user.id)
            made_id = made.id
    except PosError as exc:
        flash(exc.message, "error")
        return redirect(url_for("stocktake.index"))
    flash("Đã mở phiên kiểm kê: sổ kho đã được chốt. Nhân viên quét hàng ở trang Đếm hàng.", "success")
    return redirect(url_for("stocktake.detail", stocktake_id=made_id))


@bp.get("/<int:stocktake_id>")
@role_required("manager")
def detail(stocktake_id: int) -> Any:
    """The differences: book at the freeze, moved before the count, expected, counted, difference."""
    summary = st.report(get_session(), stocktake_id)
    return render_template("stocktake/detail.html", report=summary, statuses=STOCKTAKE_STATUSES)


@bp.post("/<int:stocktake_id>/approve")
@role_required("manager")
def approve(stocktake_id: int) -> Any:
    """Move the ledger by every difference, in one transaction."""
    try:
        with unit_of_work() as session:
            moved = st.approve_stocktake(session, stocktake_id, current_user.id)
            changed = len(moved)
    except NotFound:
        raise
    except PosError as exc:
        flash(exc.message, "error")
        return redirect(url_for("stocktake.detail", stocktake_id=stocktake_id))
    flash(f"Đã duyệt kiểm kê: điều chỉnh tồn kho {changed} dòng chênh lệch.", "success")
    return redirect(url_for("stocktake.detail", stocktake_id=stocktake_id))


@bp.post("/<int:stocktake_id>/cancel")
@role_required("manager")
def cancel(stocktake_id: int) -> Any:
    """Close the session without touching the stock."""
    try:
        with unit_of_work() as session:
            st.cancel_stocktake(session, stocktake_id, request.form.get("reason", ""), current_user.id)
    except NotFound:
        raise
    except PosError as exc:
        flash(exc.message, "error")
        return redirect(url_for("stocktake.detail", stocktake_id=stocktake_id))
    flash("Đã hủy phiên kiểm kê; tồn kho không thay đổi.", "success")
    return redirect(url_for("stocktake.detail", stocktake_id=stocktake_id))


def _count_page(
    error: str | None = None,
    choice: dict[str, Any] | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> Any:
    session = get_session()
    current = st.open_stocktake(session)
    lines, recent = [], []
    if current is not None:
        lines = st.report(session, current.id).counted  # type: ignore[arg-type]
        names = {(line.product_id, line.lot_id): line for line in lines}
        entries = session.exec(
            select(StocktakeCount)
            .where(StocktakeCount.stocktake_id == current.id, StocktakeCount.counted_by_id == current_user.id)
            .order_by(StocktakeCount.id.desc())  # type: ignore[union-attr]
            .limit(RECENT)
        ).all()
        recent = [(entry, names.get((entry.product_id, entry.lot_id))) for entry in entries]
    body = render_template(
        "stocktake/count.html",
        current=current,
        lines=lines,
        recent=recent,
        error=error,
        choice=choice,
        form=form or {},
    )
    return body, status


@bp.get("/count")
def count_page() -> Any:
    """The counter's page: scan (or type a code and a quantity), see what this session has counted so far."""
    return _count_page()


@bp.post("/<int:stocktake_id>/count")
def count(stocktake_id: int) -> Any:
    """One scan or typed count; the page comes back ready for the next scan."""
    form = {key: nfc(request.form.get(key, "")) for key in ("code", "qty", "lot_id")}
    try:
        with unit_of_work() as session:
            done = st.count_item(
                session,
                stocktake_id,
                form["code"],
                form["qty"],  # blank: one piece scanned (a weighed product's count needs its weight)
                lot_id=_id_arg(form["lot_id"]),
                till_id=_till_id(),
                actor_id=current_user.id,
                layouts=scale_layouts(current_app.config),
            )
            what = done.product.name + (f" – {lot_name(done.lot)}" if done.lot else "")
            sold_by, unit = done.product.sold_by, done.product.unit
    except PosError as exc:
        if wants_json():
            return jsonify({"error": exc.message, "field": exc.field, **exc.details}), exc.status
        choice = exc.details if isinstance(exc, st.LotChoiceNeeded) else None
        return _count_page(exc.message, choice, form, exc.status)
    message = f"Đã đếm +{format_qty(done.added, sold_by, unit)} “{what}”: tổng {format_qty(done.total, sold_by)}."
    if wants_json():
        return jsonify({"message": message, "total": done.total})
    flash(message, "success")
    return redirect(url_for("stocktake.count_page"))


@bp.post("/<int:stocktake_id>/correct")
def correct(stocktake_id: int) -> Any:
    """Set a line's count to the figure typed (a miscount or a double scan)."""
    product_id = _id_arg(request.form.get("product_id"))
    lot_id = _id_arg(request.form.get("lot_id"))
    try:
        if product_id is None:
            raise NotFound("Không tìm thấy sản phẩm.")
        with unit_of_work() as session:
            done = st.correct_count(
                session,
                stocktake_id,
                product_id,
                lot_id,
                request.form.get("counted_qty", ""),
                till_id=_till_id(),
                actor_id=current_user.id,
            )
            name, total = done.product.name, format_qty(done.total, done.product.sold_by)
    except PosError as exc:
        return _count_page(exc.message, None, None, exc.status)
    flash(f"Đã sửa số đếm “{name}” thành {total}.", "success")
    return redirect(url_for("stocktake.count_page"))
