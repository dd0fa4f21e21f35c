"""Issuing invoices inside the sale's (or the return's) own transaction: number, MCCQT, frozen XML, queue.

The invoice table is the send queue: a row is born ``waiting`` in the same commit as its sale, so a sale is
never without its invoice and an invoice never without its sale, whatever happens to the network or the server.
A return or the void of a sale issues a replacement (the rules in force say which method, pos/einvoice/rules.py)
that refers to the latest invoice of that sale, with a number and code of its own; nothing is deleted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func
from sqlmodel import Session, select

from pos import numbering
from pos.einvoice import xml as invoice_xml
from pos.einvoice.figures import InvoiceFigures, SoldLine, decrease, invoice_figures
from pos.einvoice.models import Invoice
from pos.einvoice.rules import InvoiceRules, correction_method, rules_on
from pos.einvoice.settings import EinvoiceSettings
from pos.errors import PosError
from pos.money import vat_included
from pos.quantity import PIECE, line_amount
from pos.sales.models import Payment, ReturnLine, Sale, SaleLine, SaleReturn
from pos.sales.vat import local_date
from pos.sync.contract import Fields
from pos.sync.outbox import enqueue


def invoice_ref(invoice: Invoice) -> str:
    """'Mẫu số 1 ký hiệu C26MAB số 00000042 ngày 24/11/2026', as a correction names the invoice it corrects."""
    return (
        f"Mẫu số {invoice.form} ký hiệu {invoice.symbol} số {printed_number(invoice)} ngày {invoice.issued_on:%d/%m/%Y}"
    )


HELD_NUMBER = "chờ cấp số"


def printed_number(invoice: Invoice) -> str:
    """SHDon as printed; a held invoice (after a restore, before its first sync) has none yet."""
    return HELD_NUMBER if invoice.state == "held" else numbering.format_invoice_number(invoice.number)


def seller_party(settings: EinvoiceSettings) -> invoice_xml.Party:
    """The seller as every invoice names it."""
    return invoice_xml.Party(
        name=settings.seller_name,
        tax_code=settings.seller_tax_code,
        address=settings.seller_address,
        phone=settings.seller_phone,
    )


def buyer_party(invoice: Invoice) -> invoice_xml.Party:
    """The buyer stored on an invoice, as its XML names them."""
    return invoice_xml.Party(
        name=invoice.buyer_company or invoice.buyer_name,
        tax_code=invoice.buyer_tax_code,
        address=invoice.buyer_address,
        phone=invoice.buyer_phone,
        email=invoice.buyer_email,
        id_number=invoice.buyer_id_number,
        person=invoice.buyer_name if invoice.buyer_company else "",
    )


def _buyer_columns(buyer: invoice_xml.Party | None) -> dict[str, str]:
    if buyer is None:
        return {}
    company = buyer.name if buyer.tax_code and len(buyer.tax_code) != 12 else ""
    return {
        "buyer_name": buyer.person if company else buyer.name,
        "buyer_company": company,
        "buyer_tax_code": buyer.tax_code,
        "buyer_address": buyer.address,
        "buyer_id_number": buyer.id_number,
        "buyer_phone": buyer.phone,
        "buyer_email": buyer.email,
    }


@dataclass(frozen=True)
class Built:
    """An invoice's XML as built, and whether it follows the schema (the reason if not)."""

    xml: str
    problem: str


def build_xml(
    rules: InvoiceRules,
    header: invoice_xml.InvoiceHeader,
    settings: EinvoiceSettings,
    buyer: invoice_xml.Party,
    figures: InvoiceFigures,
) -> Built:
    """Build and validate; an invalid invoice is kept (with the reason) rather than holding up the till."""
    tree = invoice_xml.build_invoice_tree(rules, header, seller_party(settings), buyer, figures)
    problem = ""
    try:
        invoice_xml.validate(tree)
    except invoice_xml.InvalidInvoiceXml as exc:
        problem = f"Dữ liệu hóa đơn không đúng định dạng: {exc}"[:500]
    return Built(invoice_xml.serialize(tree).decode("utf-8"), problem)


def issue_invoice(
    session: Session,
    settings: EinvoiceSettings,
    *,
    sale: Sale,
    lines: Sequence[SoldLine],
    methods: Iterable[str],
    buyer: invoice_xml.Party | None,
    till_code: str,
    now: datetime,
    kind: str = "original",
    original: Invoice | None = None,
    return_id: int | None = None,
    note: str = "",
) -> Invoice:
    """Number, code, build and queue one invoice in the caller's transaction.

    An adjustment (``kind="adjustment"``) takes ``lines`` off the invoice ``original``: its figures are those
    lines' figures, negative.
    """
    day = local_date(now, settings.tz_name)
    rules = rules_on(day)
    mine = settings.symbol_for(till_code)
    symbol = numbering.invoice_symbol(day.year, mine.letters)
    if symbol[3] not in rules.symbol_fourth_letters:
        raise PosError(f"Ký hiệu hóa đơn {symbol} không đúng quy định hiện hành.", "einvoice")
    tag = numbering.restore_tag(session)
    if tag is None:
        number = numbering.take_invoice_number(session, settings.form, symbol)
    else:  # after a restore: held, its stand-in place in the XML until the first sync numbers it
        number = numbering.take_held_invoice_place(session, settings.form, symbol, tag)
    mccqt = numbering.format_mccqt(settings.form, day.year, settings.tax_authority_code, mine.issuer, number)
    figures = invoice_figures(settings.form, lines, methods)
    if kind == "adjustment":
        figures = decrease(figures)
    reference = None
    if original is not None:
        reference = invoice_xml.Reference(
            kind=1 if kind == "replacement" else 2,
            form=original.form,
            symbol=original.symbol,
            number=abs(original.number),  # a held original's place: renumbered with it
            issued_on=original.issued_on,
            note=note or f"Thay thế cho hóa đơn {invoice_ref(original)}",
        )
    header = invoice_xml.InvoiceHeader(
        form=settings.form,
        symbol=symbol,
        number=number,
        issued_on=day,
        mccqt=mccqt,
        location=f"{settings.seller_name}, {settings.seller_address}".strip(", "),
        reference=reference,
    )
    built = build_xml(rules, header, settings, buyer or invoice_xml.Party(), figures)
    invoice = Invoice(
        sale_id=sale.id,  # type: ignore[arg-type]
        return_id=return_id,
        kind=kind,
        original_id=original.id if original else None,
        form=settings.form,
        symbol=symbol,
        number=number if tag is None else -number,
        mccqt=mccqt if tag is None else numbering.format_held_mccqt(tag, number),
        till_code=till_code,
        issued_at=now,
        issued_on=day,
        total_vnd=figures.total_vnd,
        vat_vnd=figures.vat_vnd,
        payment_code=figures.payment_code,
        xml=built.xml,
        state="rejected" if built.problem else "waiting" if tag is None else "held",
        reason=built.problem,
        next_attempt_at=now,
        updated_at=now,
        **_buyer_columns(buyer),
    )
    session.add(invoice)
    if tag is not None:
        return invoice  # the central server hears of it once it has its number (number_held_invoices)
    return_uuid = ""
    if return_id is not None:
        sale_return = session.get(SaleReturn, return_id)
        return_uuid = str(sale_return.uuid) if sale_return else ""
    enqueue_state(session, invoice, str(sale.uuid), return_uuid, str(original.uuid) if original else "")
    return invoice


def invoice_payload(invoice: Invoice, sale_uuid: str, return_uuid: str, original_uuid: str) -> Fields:
    """The invoice as the central server keeps it (its figures, buyer and state; not its XML)."""
    return {
        "uuid": str(invoice.uuid),
        "sale_uuid": sale_uuid,
        "return_uuid": return_uuid,
        "original_uuid": original_uuid,
        "kind": invoice.kind,
        "form": invoice.form,
        "symbol": invoice.symbol,
        "number": invoice.number,
        "mccqt": invoice.mccqt,
        "issued_at": invoice.issued_at.isoformat(),
        "issued_on": invoice.issued_on.isoformat(),
        "total_vnd": invoice.total_vnd,
        "vat_vnd": invoice.vat_vnd,
        "payment_code": invoice.payment_code,
        "buyer_name": invoice.buyer_company or invoice.buyer_name,
        "buyer_tax_code": invoice.buyer_tax_code,
        "state": invoice.state,
        "reason": invoice.reason,
        "provider_number": invoice.provider_number,
        "lookup_code": invoice.lookup_code,
        "updated_at": invoice.updated_at.isoformat(),
    }


def enqueue_state(
    session: Session,
    invoice: Invoice,
    sale_uuid: str = "",
    return_uuid: str | None = None,
    original_uuid: str | None = None,
) -> None:
    """Put the invoice's current state in the outbox (the uuids looked up when the caller does not know them)."""
    if not sale_uuid:
        sale = session.get(Sale, invoice.sale_id)
        sale_uuid = str(sale.uuid) if sale else ""
    if return_uuid is None:
        sale_return = session.get(SaleReturn, invoice.return_id) if invoice.return_id else None
        return_uuid = str(sale_return.uuid) if sale_return else ""
    if original_uuid is None:
        original = session.get(Invoice, invoice.original_id) if invoice.original_id else None
        original_uuid = str(original.uuid) if original else ""
    enqueue(session, "invoice", invoice.uuid, dict(invoice_payload(invoice, sale_uuid, return_uuid, original_uuid)))


def invoice_of_sale(session: Session, sale_id: int | None) -> Invoice | None:
    """The latest invoice of a sale (a replacement once there is one), or None if it was never invoiced."""
    return session.exec(select(Invoice).where(Invoice.sale_id == sale_id).order_by(Invoice.id.desc())).first()  # type: ignore[union-attr]


def first_invoice_of_sale(session: Session, sale_id: int | None) -> Invoice | None:
    """The sale's original invoice (what its receipt is the paper copy of)."""
    return session.exec(select(Invoice).where(Invoice.sale_id == sale_id).order_by(Invoice.id)).first()  # type: ignore[arg-type]


@dataclass(frozen=True)
class KeptLine:
    """What the buyer keeps of a sale line after every return so far."""

    line_no: int
    sku: str
    name: str
    unit: str
    qty: int
    unit_price_vnd: int
    discount_vnd: int
    total_vnd: int
    vat_rate_bp: int
    vat_vnd: int
    vat_class: str
    sold_by: str = PIECE


def kept_lines(session: Session, sale: Sale, voided: bool = False) -> list[KeptLine]:
    """The sale's lines less everything returned (none at all after a void)."""
    if voided:
        return []
    lines = session.exec(select(SaleLine).where(SaleLine.sale_id == sale.id).order_by(SaleLine.line_no)).all()
    rows = session.exec(
        select(ReturnLine.sale_line_id, func.sum(ReturnLine.qty), func.sum(ReturnLine.amount_vnd))  # type: ignore[call-overload]
        .join(SaleReturn, SaleReturn.id == ReturnLine.return_id)
        .where(SaleReturn.sale_id == sale.id)
        .group_by(ReturnLine.sale_line_id)
    ).all()
    returned = {line_id: (int(qty), int(amount)) for line_id, qty, amount in rows}
    kept = []
    for line in lines:
        qty_back, amount_back = returned.get(line.id, (0, 0))
        qty = line.qty - qty_back
        if qty <= 0:
            continue
        total = line.total_vnd - amount_back
        vat = line.vat_vnd if not qty_back else vat_included(total, line.vat_rate_bp)
        kept.append(
            KeptLine(
                line_no=line.line_no,
                sku=line.sku,
                name=line.name,
                unit=line.unit,
                qty=qty,
                unit_price_vnd=line.unit_price_vnd,
                discount_vnd=line_amount(qty, line.unit_price_vnd, line.sold_by) - total,
                total_vnd=total,
                vat_rate_bp=line.vat_rate_bp,
                vat_vnd=vat,
                vat_class=line.vat_class,
                sold_by=line.sold_by,
            )
        )
    return kept


def returned_lines(session: Session, return_id: int) -> list[KeptLine]:
    """What one return brought back, line by line (an adjustment takes these off the invoice)."""
    rows = session.exec(
        select(ReturnLine, SaleLine)
        .join(SaleLine, SaleLine.id == ReturnLine.sale_line_id)  # type: ignore[arg-type]
        .where(ReturnLine.return_id == return_id)
        .order_by(SaleLine.line_no)
    ).all()
    return [
        KeptLine(
            line_no=line.line_no,
            sku=line.sku,
            name=line.name,
            unit=line.unit,
            qty=back.qty,
            unit_price_vnd=line.unit_price_vnd,
            discount_vnd=line_amount(back.qty, line.unit_price_vnd, line.sold_by) - back.amount_vnd,
            total_vnd=back.amount_vnd,
            vat_rate_bp=line.vat_rate_bp,
            vat_vnd=vat_included(back.amount_vnd, line.vat_rate_bp),
            vat_class=line.vat_class,
            sold_by=line.sold_by,
        )
        for back, line in rows
    ]


def correct_sale(
    session: Session,
    settings: EinvoiceSettings,
    sale: Sale,
    now: datetime,
    *,
    return_id: int | None = None,
    voided: bool = False,
    till_code: str = "",
) -> Invoice | None:
    """After a return or a void: the invoice that corrects the sale's (None if it had none).

    The dated rules (pos/einvoice/rules.py ``corrections``) say how per case: a replacement states what the
    buyer keeps (nothing after a void or a full return) and replaces the sale's invoice in force; an
    adjustment takes what came back off it, in negative lines. Both refer to that invoice (form, symbol,
    number, date); a sale corrected once keeps that way for its later corrections.
    """
    invoices = session.exec(select(Invoice).where(Invoice.sale_id == sale.id).order_by(Invoice.id)).all()  # type: ignore[arg-type]
    if not invoices:
        return None
    in_force = [i for i in invoices if i.kind != "adjustment"][-1]  # the original or its latest replacement
    first_fix = next((i.kind for i in invoices if i.kind != "original"), None)
    session.flush()  # the return's lines must be visible to kept_lines
    kept = kept_lines(session, sale, voided)
    case = "void" if voided else "partial_return" if kept else "full_return"
    method = correction_method(rules_on(local_date(now, settings.tz_name)), case, first_fix)
    methods = session.exec(select(Payment.method).where(Payment.sale_id == sale.id)).all()
    what = "hủy đơn" if voided else "trả hàng"
    if method == "adjustment":
        lines: Sequence[SoldLine] = (
            returned_lines(session, return_id) if return_id is not None else kept_lines(session, sale)
        )
        note = f"Điều chỉnh giảm cho hóa đơn {invoice_ref(in_force)} ({what})"
    else:
        lines, note = kept, f"Thay thế cho hóa đơn {invoice_ref(in_force)} ({what})"
    return issue_invoice(
        session,
        settings,
        sale=sale,
        lines=lines,
        methods=methods,
        buyer=buyer_party(in_force),
        till_code=till_code or in_force.till_code,
        now=now,
        kind=method,
        original=in_force,
        return_id=return_id,
        note=note,
    )


def issued_on_day(session: Session, day: date) -> list[Invoice]:
    """A day's invoices in number order (the XML export for the provider's upload portal)."""
    return list(
        session.exec(
            select(Invoice).where(Invoice.issued_on == day).order_by(Invoice.symbol, Invoice.number)  # type: ignore[arg-type]
        ).all()
    )


def number_held_invoices(session: Session, tag: str | None, now: datetime) -> int:
    """Give the invoices held since a restore their numbers and codes, in the order they were issued.

    Called by the first sync after the restore, once every counter is past the central server's: each takes
    the next number of its form and symbol, its code follows from it, its XML (SHDon, MCCQT, and the number
    of a held invoice it corrects) is rewritten and checked, and it joins the send queue and the outbox.
    """
    held = session.exec(select(Invoice).where(Invoice.state == "held").order_by(Invoice.id)).all()  # type: ignore[arg-type]
    given: dict[int, tuple[Invoice, str]] = {}  # id -> the invoice, numbered, and how it was named while held
    for invoice in held:
        tree = invoice_xml.validate_bytes(invoice.xml)
        held_ref = invoice_ref(invoice)
        stand_in = numbering.parse_mccqt(tree.findtext("MCCQT") or "")
        if stand_in is None:
            raise PosError(f"Hóa đơn chờ cấp số {invoice.mccqt} có dữ liệu hỏng.", "einvoice")
        number = numbering.take_invoice_number(session, invoice.form, invoice.symbol)
        mccqt = numbering.format_mccqt(invoice.form, stand_in.yy, stand_in.prefix, stand_in.issuer, number)
        corrected = None
        if invoice.original_id in given:
            original, original_held_ref = given[invoice.original_id]
            corrected = invoice_xml.Renamed(original.number, original_held_ref, invoice_ref(original))
        invoice.number, invoice.mccqt, invoice.state = number, mccqt, "waiting"
        invoice.next_attempt_at = invoice.updated_at = now
        invoice.xml = invoice_xml.renumber(tree, number, mccqt, corrected)
        given[invoice.id] = (invoice, held_ref)  # type: ignore[index]
    session.flush()
    for invoice in held:
        enqueue_state(session, invoice)
    return len(held)
