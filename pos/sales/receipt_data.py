"""A recorded sale turned into the plain ReceiptData the receipt PDF and the thermal raster are drawn from.

The receipt's language is the sale's (chosen at the till, ``Sale.receipt_language``), so a reprint and the
refund receipt print as the first one did; its words come from one table (pos/sales/receipt_labels.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlmodel import Session, select

from pos.audit import log as audit
from pos.auth.models import User
from pos.baskets.receipt import paper_numbers, receipt_lines, sold_baskets
from pos.catalog.certificates import shown_stars
from pos.catalog.models import Product
from pos.catalog.story import stories_of
from pos.einvoice.figures import SoldLine, rate_parts
from pos.einvoice.issue import first_invoice_of_sale, invoice_ref, printed_number
from pos.einvoice.models import KINDS, Invoice
from pos.einvoice.rules import rules_on
from pos.money import format_vnd
from pos.numbering import format_invoice_number
from pos.sales.models import Payment, Sale, SaleLine, SaleReturn
from pos.sales.receipt_labels import Wording, printed_language
from pos.sales.receipts import SHOP_TZ, InvoiceCopy, ReceiptData, ReceiptPayment, VatBreakdown
from pos.sales.vietqr import build_vietqr_payload


def vat_breakdown(lines: Sequence[SoldLine]) -> list[VatBreakdown]:
    """VAT per rate, highest rate first, summed from the lines as they were sold."""
    return [VatBreakdown(part.rate_bp, part.gross_vnd, part.vat_vnd, part.mark) for part in rate_parts(lines)]


def _buyer_lines(invoice: Invoice, consumer_name: str, t: Wording) -> list[str]:
    """The buyer as the paper copy names them: only what the buyer gave, else the prescribed wording."""
    if invoice.buyer_company:
        out = [f"{t('buyer_company')}: {invoice.buyer_company}", f"{t('buyer_tax_code')}: {invoice.buyer_tax_code}"]
        out.append(f"{t('buyer_address')}: {invoice.buyer_address}")
        if invoice.buyer_name:
            out.append(f"{t('buyer_person')}: {invoice.buyer_name}")
        return out
    out = [f"{t('buyer')}: {invoice.buyer_name}"] if invoice.buyer_name else []
    for key, value in (
        ("buyer_tax_code", invoice.buyer_tax_code),
        ("buyer_address", invoice.buyer_address),
        ("buyer_id_number", invoice.buyer_id_number),
        ("buyer_phone", invoice.buyer_phone),
        ("buyer_email", invoice.buyer_email),
    ):
        if value:
            out.append(f"{t(key)}: {value}")
    return out or ([f"{t('buyer')}: {consumer_name}"] if consumer_name else [])


def invoice_wording(language: str) -> Wording:
    """The words of an invoice's copy in the sale's language: the Vietnamese always there (receipt_labels)."""
    return Wording(printed_language(language, is_invoice=True))


def invoice_copy(session: Session, invoice: Invoice, config: Mapping[str, Any], language: str = "vi") -> InvoiceCopy:
    """What the paper copy of an invoice prints beyond the receipt: title, symbol, number, code, buyer, lookup."""
    t = invoice_wording(language)
    rules = rules_on(invoice.issued_on)
    corrects = None
    if invoice.original_id:
        original = session.get(Invoice, invoice.original_id)
        if original is not None:
            how = "điều chỉnh giảm cho" if invoice.kind == "adjustment" else "thay thế cho"
            corrects = (
                f"Hóa đơn {KINDS[invoice.kind].lower()} {invoice_ref(invoice)} (mã CQT {invoice.mccqt}) {how} hóa đơn "
                f"{invoice_ref(original)}"
            )
    held = invoice.state == "held"  # after a restore, before its first sync: no number nor code yet
    qr = (
        ""
        if held
        else "|".join(
            [
                rules.lookup_url,
                str(config.get("SHOWROOM_TAX_CODE", "")),
                f"{invoice.form}{invoice.symbol}",
                format_invoice_number(invoice.number),
                f"{invoice.issued_on:%Y%m%d}",
                str(invoice.total_vnd),
                invoice.mccqt,
            ]
        )
    )
    url = rules.lookup_url.removeprefix("https://")
    lookup = t.vi("lookup", url=url) + (f"\n{t.en('lookup', url=url)}" if t.has_english else "")
    if held:
        lookup = "Dữ liệu vừa được khôi phục: số và mã CQT được cấp khi máy nối lại với văn phòng; in lại sau đó."
    return InvoiceCopy(
        title=rules.paper_titles[invoice.form],
        subtitle=rules.paper_subtitle,
        symbol=f"{invoice.form}{invoice.symbol}",
        number=printed_number(invoice),
        mccqt="chờ cấp" if held else invoice.mccqt,
        buyer=_buyer_lines(invoice, rules.consumer_name, t),
        lookup=lookup,
        lookup_qr=qr,
        net_vnd=invoice.total_vnd - invoice.vat_vnd if invoice.form == 1 else None,
        vat_vnd=invoice.vat_vnd if invoice.form == 1 else None,
        corrects=corrects,
    )


def refund_invoice_copy(
    session: Session, sale_return: SaleReturn, config: Mapping[str, Any], language: str = "vi"
) -> InvoiceCopy | None:
    """On a refund receipt: the invoice that corrects the sale's, saying which one it replaces."""
    invoice = session.exec(select(Invoice).where(Invoice.return_id == sale_return.id)).first()
    return invoice_copy(session, invoice, config, language) if invoice is not None else None


def english_names(session: Session, language: str, product_ids: Sequence[int]) -> dict[int, str]:
    """Product id -> the English name its story tells, for a receipt printed with English (none in Vietnamese)."""
    if language == "vi":
        return {}
    return {pid: story.name_en for pid, story in stories_of(session, product_ids).items() if story.name_en}


def transfer_payload(config: Mapping[str, Any], amount_vnd: int, receipt_number: str) -> str | None:
    """The VietQR for a transfer of exactly ``amount_vnd`` to the showroom's bank, noted with the receipt."""
    if amount_vnd <= 0:
        return None
    try:
        return build_vietqr_payload(
            str(config.get("BANK_BIN", "")), str(config.get("BANK_ACCOUNT", "")), amount_vnd, receipt_number
        )
    except ValueError:
        return None  # bank not configured: the receipt prints without a QR rather than failing


def _bank_reference(payment: Payment, receipt_number: str) -> str | None:
    """The card slip's or the bank's reference the cashier typed; a transfer noted only with the receipt
    number (the QR's own note) has none worth printing."""
    reference = payment.reference or ""
    if payment.method == "transfer" and reference in (receipt_number, ""):
        return None
    return reference or None


def discount_approvals(
    session: Session,
    sale: Sale,
    lines: list[SaleLine],
    t: Wording | None = None,
    english: Mapping[int, str] | None = None,
    numbers: Mapping[int, int] | None = None,
) -> tuple[str, ...]:
    """'Giảm giá dòng 1 (Mật ong bạc hà): Trần Văn A duyệt', one per approved discount, for the receipt.

    The product named as the receipt names it (``english``: product id -> English name, see ``english_names``),
    the line by its number there (``numbers``: sale line number -> number on paper, see ``paper_numbers``).
    """
    t, english, numbers = t or Wording(), english or {}, numbers or {}

    def name(user_id: int) -> str:
        user = session.get(User, user_id)
        return user.full_name if user else "?"

    found = [
        t.naming(
            "approval_line",
            line.name,
            english.get(line.product_id, ""),
            n=numbers.get(line.line_no, line.line_no),
            by=name(line.discount_approved_by_id),
        )
        for line in lines
        if line.discount_approved_by_id
    ]
    if sale.sale_discount_approved_by_id:
        amount = format_vnd(sale.sale_discount_vnd)
        found.append(t("approval_sale", amount=amount, by=name(sale.sale_discount_approved_by_id)))
    return tuple(found)


def sold_stars(session: Session, sale: Sale, lines: list[SaleLine]) -> dict[int, int]:
    """OCOP stars per product of the sale, only where the certificate was valid on the day of the sale.

    The day of the sale, not of the print: a reprint says what the original said.
    """
    day = sale.created_at.astimezone(SHOP_TZ).date()
    products = session.exec(select(Product).where(Product.id.in_({line.product_id for line in lines})))  # type: ignore[union-attr]
    return {p.id: n for p in products if (n := shown_stars(p, day)) is not None}  # type: ignore[misc]


def receipt_for_sale(
    session: Session,
    sale: Sale,
    config: Mapping[str, Any],
    copy_number: int = 0,
    show_contents: bool = False,
    language: str | None = None,
) -> ReceiptData:
    """Everything printed on a sale's receipt; ``copy_number`` > 0 prints it as the n-th copy (BẢN SAO).

    ``language``: a copy asked for in another language than the sale's (None: the sale's); an invoice's copy
    keeps its Vietnamese whatever is asked (``printed_language``).

    A gift basket prints as one line (its contents under it with ``show_contents``); VAT stays per rate.
    """
    lines = list(session.exec(select(SaleLine).where(SaleLine.sale_id == sale.id).order_by(SaleLine.line_no)).all())
    payments = list(session.exec(select(Payment).where(Payment.sale_id == sale.id).order_by(Payment.id)).all())  # type: ignore[arg-type]
    cashier = session.get(User, sale.cashier_id)
    invoice = first_invoice_of_sale(session, sale.id)
    language = language or sale.receipt_language
    t = Wording(printed_language(language, invoice is not None))
    baskets, link = sold_baskets(session, sale.id)  # type: ignore[arg-type]
    english = english_names(
        session, language, [line.product_id for line in lines] + [basket.product_id for basket in baskets]
    )
    return ReceiptData(
        showroom_name=str(config.get("SHOWROOM_NAME", "")),
        showroom_address=str(config.get("SHOWROOM_ADDRESS", "")),
        showroom_tax_code=str(config.get("SHOWROOM_TAX_CODE", "")),
        showroom_phone=str(config.get("SHOWROOM_PHONE") or "") or None,
        receipt_number=sale.receipt_number,
        issued_at=sale.created_at,
        cashier_name=cashier.full_name if cashier else "",
        lines=receipt_lines(session, sale.id, lines, sold_stars(session, sale, lines), english, t),  # type: ignore[arg-type]
        subtotal_vnd=sale.subtotal_vnd,
        discount_vnd=sale.line_discount_vnd + sale.sale_discount_vnd,
        total_vnd=sale.total_vnd,
        vat=vat_breakdown(lines),
        payments=[
            ReceiptPayment(
                method=p.method,
                amount_vnd=p.amount_vnd,
                tendered_vnd=p.tendered_vnd,
                change_vnd=p.change_vnd,
                reference=_bank_reference(p, sale.receipt_number),
                paid_at=sale.created_at if p.method != "cash" else None,
            )
            for p in payments
        ],
        footer=str(config.get("RECEIPT_FOOTER", "")),
        footer_en=str(config.get("RECEIPT_FOOTER_EN", "")),
        language=language,
        # Paid in full before it was recorded: a QR here would invite the customer to transfer a second time.
        # The QR to pay is shown on the till's screen (and the customer screen) before payment.
        vietqr_payload=None,
        is_copy=copy_number > 0,
        copy_number=copy_number,
        note=t("voided") if sale.status == "voided" else None,
        approvals=discount_approvals(session, sale, lines, t, english, paper_numbers(lines, link)),
        invoice=invoice_copy(session, invoice, config, language) if invoice is not None else None,
        show_contents=show_contents,
    )


def count_reprint(session: Session, sale: Sale, user_id: int, language: str | None = None) -> int:
    """Count and audit one more print of a receipt; returns its copy number (printed as BẢN SAO).

    ``language``: the copy's, when asked for in another language than the sale's (audited with the copy).
    """
    sale.reprint_count += 1
    session.add(sale)
    audit.record(
        session,
        "receipt.reprint",
        user_id=user_id,
        entity="sale",
        entity_id=sale.id,
        after={
            "receipt_number": sale.receipt_number,
            "copy": sale.reprint_count,
            "language": language or sale.receipt_language,
        },
    )
    return sale.reprint_count
