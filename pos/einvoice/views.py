"""The manager's e-invoice page (/einvoice): the queue by state, a rejected invoice corrected and resent, the XML,
and the day's XML files for the provider's upload portal."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlmodel import select

from pos.auth.access import bind_role
from pos.db import get_session, unit_of_work, utcnow
from pos.einvoice import manage, sender
from pos.einvoice.models import KINDS, STATES
from pos.einvoice.settings import app_settings
from pos.errors import PosError
from pos.numbering import format_invoice_number
from pos.reports.period import parse_dmy
from pos.sales.models import Sale
from pos.sales.vat import local_date

bp = Blueprint("einvoice", __name__)
bind_role(bp, "manager")


def _day(raw: str | None) -> date | None:
    """The filter's day, typed dd/mm/yyyy (or the ISO form of the export link)."""
    return parse_dmy(raw, "day") if raw else None


@bp.get("/einvoice")
def index() -> Any:
    """What waits, what was sent, what the provider refused."""
    session = get_session()
    state = request.args.get("state") or None
    day = _day(request.args.get("day"))
    invoices = manage.list_invoices(session, state, day, int(request.args.get("page", "1") or 1))
    sale_ids = {i.sale_id for i in invoices}
    receipts = dict(session.exec(select(Sale.id, Sale.receipt_number).where(Sale.id.in_(sale_ids))).all())  # type: ignore[union-attr]
    return render_template(
        "einvoice/index.html",
        settings=app_settings(current_app),
        summary=manage.summary(session),
        invoices=invoices,
        receipts=receipts,
        states=STATES,
        kinds=KINDS,
        state=state,
        day=day,
        today=local_date(utcnow(), current_app.config.get("SHOWROOM_TIMEZONE")),
        number=format_invoice_number,
    )


@bp.get("/einvoice/<int:invoice_id>")
def detail(invoice_id: int) -> Any:
    """One invoice: its state, its buyer (editable until it is accepted) and its XML."""
    session = get_session()
    invoice = manage.get_invoice(session, invoice_id)
    sale = session.get(Sale, invoice.sale_id)
    return render_template(
        "einvoice/detail.html",
        invoice=invoice,
        sale=sale,
        states=STATES,
        kinds=KINDS,
        number=format_invoice_number,
        errors={},
        form=None,
    )


@bp.post("/einvoice/<int:invoice_id>/buyer")
def correct_buyer(invoice_id: int) -> Any:
    """Correct the buyer of a rejected or waiting invoice and queue it again."""
    raw = {
        key: request.form.get(key, "")
        for key in ("name", "company", "tax_code", "address", "id_number", "phone", "email")
    }
    try:
        with unit_of_work() as session:
            manage.correct_buyer(session, invoice_id, raw, current_user.id, utcnow())
    except PosError as exc:
        session = get_session()
        invoice = manage.get_invoice(session, invoice_id)
        return (
            render_template(
                "einvoice/detail.html",
                invoice=invoice,
                sale=session.get(Sale, invoice.sale_id),
                states=STATES,
                kinds=KINDS,
                number=format_invoice_number,
                errors={(exc.field or "").removeprefix("buyer_"): exc.message},
                form=raw,
            ),
            422,
        )
    sender.wake(current_app)
    flash("Đã sửa thông tin người mua; hóa đơn được gửi lại.", "success")
    return redirect(url_for("einvoice.detail", invoice_id=invoice_id))


@bp.post("/einvoice/<int:invoice_id>/resend")
def resend(invoice_id: int) -> Any:
    """Send again now."""
    with unit_of_work() as session:
        manage.resend(session, invoice_id, current_user.id, utcnow())
    sender.wake(current_app)
    flash("Hóa đơn đã được đưa lại vào hàng chờ gửi.", "success")
    return redirect(url_for("einvoice.detail", invoice_id=invoice_id))


@bp.get("/einvoice/<int:invoice_id>.xml")
def xml(invoice_id: int) -> Any:
    """The invoice's XML as issued."""
    invoice = manage.get_invoice(get_session(), invoice_id)
    name = f"{invoice.form}{invoice.symbol}-{invoice.number:08d}.xml"
    return Response(
        invoice.xml, mimetype="application/xml", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@bp.get("/einvoice/export")
def export_day() -> Any:
    """The day's invoices as XML files in a zip (for the provider's upload portal)."""
    day = _day(request.args.get("day")) or local_date(utcnow(), current_app.config.get("SHOWROOM_TIMEZONE"))
    data = manage.day_export(get_session(), day)
    return Response(
        data,
        mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="hoadon-{day:%Y%m%d}.zip"'},
    )
