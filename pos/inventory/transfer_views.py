"""Transfer notes between showrooms (phiếu chuyển kho): the list, a new note out, one note, its receipt, its cancel."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func
from sqlmodel import Session, select

from pos.auth.access import bind_role
from pos.auth.services import full_names
from pos.catalog.models import Product
from pos.db import get_session, unit_of_work
from pos.errors import NotFound, PosError
from pos.inventory import stock, transfers
from pos.inventory.lots import lot_name
from pos.inventory.models import TRANSFER_REASONS, TRANSFER_STATUSES, Lot, StockLevel, Transfer, TransferLine
from pos.text import nfc

bp = Blueprint("transfers", __name__, url_prefix="/stock/transfers")
bind_role(bp, "manager")

FORM_ROWS = 8


def _today() -> Any:
    return stock.local_today(current_app.config.get("SHOWROOM_TIMEZONE", "Asia/Ho_Chi_Minh"))


def _code() -> str:
    return str(current_app.config.get("SHOWROOM_CODE", "SR"))


@bp.get("/")
def index() -> Any:
    """Notes out and in, those in transit first."""
    session = get_session()
    notes = transfers.list_transfers(session)
    counts = dict(
        session.execute(
            select(TransferLine.transfer_id, func.sum(TransferLine.qty)).group_by(TransferLine.transfer_id)
        ).all()
    )
    return render_template(
        "stock/transfers.html",
        notes=notes,
        counts=counts,
        statuses=TRANSFER_STATUSES,
        own_code=_code(),
        awaiting_pull=_awaiting_pull(session),
    )


def _awaiting_pull(session: Session) -> str:
    """The reason receiving and cancelling wait, after a restore ("" when they do not)."""
    return transfers.AWAITING_PULL_MESSAGE if transfers.is_awaiting_pull(session) else ""


def _expiry(lot: Lot) -> str:
    return f" · HSD {lot.expiry_date:%d/%m/%Y}" if lot.expiry_date else ""


def _choices() -> tuple[list[tuple[Product, int]], list[tuple[Lot, str]]]:
    """Products with stock to send (and their on hand), and the sellable lots of food products."""
    session = get_session()
    products = list(
        session.execute(
            select(Product, StockLevel.qty)
            .join(StockLevel, StockLevel.product_id == Product.id)
            .where(StockLevel.qty > 0, Product.is_active.is_(True))  # type: ignore[attr-defined]
            .order_by(Product.name_search, Product.id)
        ).all()
    )
    today = _today()
    lots = [
        (lot, f"{name} · {lot_name(lot)}{_expiry(lot)} · còn {lot.qty}")
        for lot, name in session.execute(
            select(Lot, Product.name)
            .join(Product, Product.id == Lot.product_id)
            .where(Lot.qty > 0, Lot.recalled_at.is_(None))  # type: ignore[union-attr]
            .order_by(Product.name_search, Lot.expiry_date)
        ).all()
        if lot.expiry_date is None or lot.expiry_date >= today
    ]
    return [(p, int(q)) for p, q in products], lots


def _render_new(form: dict[str, Any], errors: dict[str, str], status: int = 200) -> Any:
    products, lots = _choices()
    known = sorted(
        {t.other_showroom for t in get_session().exec(select(Transfer).where(Transfer.other_showroom != ""))}
    )
    body = render_template(
        "stock/transfer_new.html",
        form=form,
        errors=errors,
        products=products,
        lots=lots,
        known=known,
        rows=FORM_ROWS,
        own_code=_code(),
    )
    return body, status


@bp.get("/new")
def new() -> Any:
    """The form of a new transfer note."""
    return _render_new({"rows": [{} for _ in range(FORM_ROWS)]}, {})


@bp.post("/new")
def create() -> Any:
    """Make the note: the goods leave this showroom's stock now; the note travels with the next sync."""
    rows = [
        {k: nfc(request.form.get(f"{k}-{i}", "")).strip() for k in ("product_id", "lot_id", "qty")}
        for i in range(1, FORM_ROWS + 1)
    ]
    form = {"to": nfc(request.form.get("to", "")).strip()[:40], "note": nfc(request.form.get("note", "")), "rows": rows}
    lines = [transfers.TransferLineInput(r["product_id"] or None, r["qty"], r["lot_id"] or None) for r in rows]
    try:
        with unit_of_work() as session:
            note = transfers.create_transfer(
                session, form["to"], lines, current_user.id, showroom_code=_code(), today=_today(), note=form["note"]
            )
            number, note_id = note.number, note.id
    except NotFound:
        raise
    except PosError as exc:
        errors = dict(exc.details.get("errors") or {}) or {exc.field or "to": exc.message}
        return _render_new(form, errors, exc.status)
    flash(f"Đã lập phiếu chuyển kho {number}: hàng đã trừ khỏi kho, phiếu sẽ được gửi khi đồng bộ.", "success")
    return redirect(url_for("transfers.show", transfer_id=note_id))


def _render_show(transfer_id: int, errors: dict[str, str] | None = None, form: Any = None, status: int = 200) -> Any:
    session = get_session()
    note = transfers.get_transfer(session, transfer_id)
    # Who did what here is shown by full name; the other showroom's staff only by the login its note carries.
    ours = [note.created_by, note.cancelled_by] if note.direction == "out" else [note.received_by]
    body = render_template(
        "stock/transfer.html",
        note=note,
        names=full_names(session, ours),
        lines=transfers.transfer_lines(session, transfer_id),
        statuses=TRANSFER_STATUSES,
        reasons=TRANSFER_REASONS,
        errors=errors or {},
        form=form or {},
        awaiting_pull=_awaiting_pull(session),
    )
    return body, status


@bp.get("/<int:transfer_id>")
def show(transfer_id: int) -> Any:
    """One note: its lines, and for a note in transit to here the receipt form."""
    return _render_show(transfer_id)


@bp.post("/<int:transfer_id>/receive")
def receive(transfer_id: int) -> Any:
    """Count the goods in: what arrived enters this stock now; the receipt goes back with the next sync."""
    session = get_session()
    lines = transfers.transfer_lines(session, transfer_id)
    form = {
        line.line_no: {k: nfc(request.form.get(f"{k}-{line.line_no}", "")).strip() for k in ("qty", "reason", "note")}
        for line in lines
    }
    counted = [transfers.ReceivedLine(n, v["qty"], v["reason"], v["note"]) for n, v in form.items()]
    note = nfc(request.form.get("note", ""))
    try:
        with unit_of_work() as uow:
            done = transfers.receive_transfer(uow, transfer_id, counted, current_user.id, note=note)
            number, status = done.number, done.status
    except NotFound:
        raise
    except PosError as exc:
        errors = dict(exc.details.get("errors") or {}) or {exc.field or "note": exc.message}
        return _render_show(transfer_id, errors, {**form, "note": note}, exc.status)
    flash(f"Đã nhận hàng theo phiếu {number} ({TRANSFER_STATUSES[status].lower()}); hàng đã cộng vào kho.", "success")
    return redirect(url_for("transfers.show", transfer_id=transfer_id))


@bp.post("/<int:transfer_id>/cancel")
def cancel(transfer_id: int) -> Any:
    """Call a note back before it is received: its goods return to this stock now; the cancel goes with the sync."""
    reason = nfc(request.form.get("reason", ""))
    try:
        with unit_of_work() as uow:
            done = transfers.cancel_transfer(uow, transfer_id, current_user.id, reason=reason)
            number, other = done.number, done.other_showroom
    except NotFound:
        raise
    except PosError as exc:
        errors = {exc.field or "reason": exc.message}
        return _render_show(transfer_id, errors, {"reason": reason}, exc.status)
    flash(
        f"Đã hủy phiếu {number}: hàng đã cộng lại vào kho; cửa hàng {other} sẽ không nhận được phiếu này sau khi "
        "đồng bộ.",
        "success",
    )
    return redirect(url_for("transfers.show", transfer_id=transfer_id))
