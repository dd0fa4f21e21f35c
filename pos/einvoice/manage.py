"""The manager's side of the queue: what waits and what was rejected, correcting a buyer, resending, and the
day's XML files for the provider's upload portal."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from pos.audit import log as audit
from pos.einvoice import xml as invoice_xml
from pos.einvoice.buyer import clean_buyer
from pos.einvoice.issue import _buyer_columns, enqueue_state, issued_on_day
from pos.einvoice.models import STATES, Invoice
from pos.einvoice.rules import rules_on
from pos.errors import Conflict, NotFound, ValidationError

PAGE = 100


@dataclass(frozen=True)
class QueueSummary:
    """How many invoices are in each state."""

    counts: dict[str, int]
    oldest_waiting_at: datetime | None


def summary(session: Session) -> QueueSummary:
    """Counts per state and the oldest invoice not yet accepted."""
    rows = session.exec(select(Invoice.state, func.count()).group_by(Invoice.state)).all()  # type: ignore[call-overload]
    counts = {state: 0 for state in STATES} | {state: int(n) for state, n in rows}
    oldest = session.exec(select(func.min(Invoice.issued_at)).where(Invoice.state.in_(("waiting", "sent")))).one()  # type: ignore[attr-defined]
    return QueueSummary(counts, oldest)


def list_invoices(session: Session, state: str | None = None, day: date | None = None, page: int = 1) -> list[Invoice]:
    """Invoices newest first, of one state and/or day."""
    query = select(Invoice)
    if state:
        if state not in STATES:
            raise ValidationError("Trạng thái không hợp lệ.", "state")
        query = query.where(Invoice.state == state)
    if day:
        query = query.where(Invoice.issued_on == day)
    offset = (max(page, 1) - 1) * PAGE
    return list(session.exec(query.order_by(Invoice.id.desc()).offset(offset).limit(PAGE)).all())  # type: ignore[union-attr]


def get_invoice(session: Session, invoice_id: int) -> Invoice:
    """One invoice, or NotFound."""
    invoice = session.get(Invoice, invoice_id)
    if invoice is None:
        raise NotFound("Không tìm thấy hóa đơn này.")
    return invoice


def _editable(invoice: Invoice) -> None:
    if invoice.state == "accepted":
        raise Conflict(
            "Hóa đơn đã được nhà cung cấp tiếp nhận; muốn sửa phải lập hóa đơn thay thế (trả hàng hoặc hủy đơn).",
            "state",
        )


def correct_buyer(
    session: Session, invoice_id: int, raw: dict[str, Any], actor_id: int | None, now: datetime
) -> Invoice:
    """Change the buyer of an invoice not yet accepted (a rejected tax code, a misspelt name) and queue it again."""
    invoice = get_invoice(session, invoice_id)
    _editable(invoice)
    buyer = clean_buyer(raw) or invoice_xml.Party()
    before = {k: getattr(invoice, k) for k in ("buyer_name", "buyer_company", "buyer_tax_code", "state", "reason")}
    invoice.xml = invoice_xml.replace_buyer(invoice.xml, rules_on(invoice.issued_on), buyer)
    for key, value in ({k: "" for k in before if k.startswith("buyer_")} | _buyer_columns(buyer)).items():
        setattr(invoice, key, value)
    if invoice.state == "rejected":
        invoice.state, invoice.reason = "waiting", ""
    invoice.next_attempt_at, invoice.updated_at = now, now
    session.add(invoice)
    enqueue_state(session, invoice)
    audit.record(
        session,
        "invoice.correct_buyer",
        user_id=actor_id,
        entity="invoice",
        entity_id=invoice.id,
        before=before,
        after={k: getattr(invoice, k) for k in before},
    )
    return invoice


def resend(session: Session, invoice_id: int, actor_id: int | None, now: datetime) -> Invoice:
    """Queue a rejected (or long-waiting) invoice again now; it is looked up first if it may have arrived."""
    invoice = get_invoice(session, invoice_id)
    _editable(invoice)
    before = {"state": invoice.state, "reason": invoice.reason}
    if invoice.state == "rejected":
        invoice.state = "waiting"
    invoice.next_attempt_at, invoice.updated_at = now, now
    session.add(invoice)
    enqueue_state(session, invoice)
    audit.record(
        session,
        "invoice.resend",
        user_id=actor_id,
        entity="invoice",
        entity_id=invoice.id,
        before=before,
        after={"state": invoice.state},
    )
    return invoice


def day_export(session: Session, day: date) -> bytes:
    """A zip of the day's invoices as XML files (1C26MAB-00000042.xml), for the provider's upload portal."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for invoice in issued_on_day(session, day):
            archive.writestr(f"{invoice.form}{invoice.symbol}-{invoice.number:08d}.xml", invoice.xml.encode("utf-8"))
    return buf.getvalue()
