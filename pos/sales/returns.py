"""Returns against a receipt (trả hàng / hoàn tiền) and the manager's void of a shift's last sale (hủy đơn)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from pos.audit import log as audit
from pos.auth.models import User
from pos.auth.services import verify_manager
from pos.catalog.models import Product
from pos.customers import services as customers
from pos.db import utcnow
from pos.einvoice.issue import correct_sale, returned_lines
from pos.einvoice.settings import EinvoiceSettings
from pos.errors import Conflict, NotFound, ValidationError
from pos.inventory.ledger import record_movements
from pos.inventory.lots import return_parts
from pos.inventory.models import StockMovement
from pos.numbering import take_return_number
from pos.quantity import format_qty
from pos.sales.models import PAYMENT_METHODS, Payment, ReturnLine, Sale, SaleLine, SaleReturn, Shift
from pos.sales.receipt_data import english_names, refund_invoice_copy, vat_breakdown
from pos.sales.receipt_labels import Wording, printed_language
from pos.sales.receipts import SHOP_TZ, ReceiptData, ReceiptLine, ReceiptPayment
from pos.sync.contract import Fields
from pos.sync.outbox import enqueue
from pos.text import nfc

MAX_RETURN_QTY = 100_000
MAX_REASON_LEN = 200


@dataclass(frozen=True)
class ReturnableLine:
    """A line of a receipt with what can still be brought back."""

    line: SaleLine
    returned_qty: int
    refunded_vnd: int

    @property
    def returnable_qty(self) -> int:
        """Sold less already returned."""
        return self.line.qty - self.returned_qty


def normalize_receipt_number(raw: str | None) -> str:
    """A receipt number as typed or scanned: trimmed, upper case, no inner spaces."""
    return "".join(nfc(raw).split()).upper()


def find_sale(session: Session, receipt_number: str | None) -> Sale:
    """The sale with this receipt number (typed or scanned), or a clear refusal."""
    number = normalize_receipt_number(receipt_number)
    if not number:
        raise ValidationError("Vui lòng nhập hoặc quét số hóa đơn.", "receipt_number")
    if len(number) > 40:
        raise ValidationError("Số hóa đơn không hợp lệ.", "receipt_number")
    sale = session.exec(select(Sale).where(Sale.receipt_number == number)).first()
    if sale is None:
        raise NotFound(f"Không tìm thấy hóa đơn số {number}.", "receipt_number")
    return sale


def returnable_lines(session: Session, sale: Sale) -> list[ReturnableLine]:
    """Each line of a sale with the quantity and amount already returned."""
    lines = session.exec(select(SaleLine).where(SaleLine.sale_id == sale.id).order_by(SaleLine.line_no)).all()
    done = {
        line_id: (int(qty), int(amount))
        for line_id, qty, amount in session.execute(
            select(ReturnLine.sale_line_id, func.sum(ReturnLine.qty), func.sum(ReturnLine.amount_vnd))
            .where(ReturnLine.sale_line_id.in_([line.id for line in lines]))  # type: ignore[union-attr]
            .group_by(ReturnLine.sale_line_id)
        )
    }
    return [ReturnableLine(line, *done.get(line.id, (0, 0))) for line in lines]  # type: ignore[arg-type]


def default_refund_method(session: Session, sale: Sale) -> str:
    """The sale's own payment method; cash when it was split across methods."""
    methods = {p.method for p in session.exec(select(Payment).where(Payment.sale_id == sale.id))}
    return methods.pop() if len(methods) == 1 else "cash"


def refund_amount(line_total_vnd: int, sold_qty: int, returned_before: int, refunded_before_vnd: int, qty: int) -> int:
    """The refund for ``qty`` more units: line total × units / sold, the last unit taking the remainder.

    Computed on the running quantity, so returning a line in any number of steps refunds exactly its total.
    """
    after = returned_before + qty
    return line_total_vnd * after // sold_qty - refunded_before_vnd


def _year(moment: Any) -> int:
    """The calendar year in Vietnam."""
    return moment.astimezone(SHOP_TZ).year


def _reason(value: str | None) -> str:
    """A required reason, NFC, at most 200 characters."""
    text = nfc(value)
    if not text:
        raise ValidationError("Vui lòng nhập lý do.", "reason")
    if len(text) > MAX_REASON_LEN:
        raise ValidationError(f"Lý do dài tối đa {MAX_REASON_LEN} ký tự.", "reason")
    return text


def _username(session: Session, user_id: int | None) -> str:
    """A user's username for a payload."""
    user = session.get(User, user_id) if user_id is not None else None
    return user.username if user else ""


def _full_name(session: Session, user_id: int | None) -> str:
    """A user's full name for a payload (the office shows it; the username stays the key)."""
    user = session.get(User, user_id) if user_id is not None else None
    return user.full_name if user else ""


@dataclass(frozen=True)
class PlannedLine:
    """A quantity of one receipt line to take back, and its refund."""

    row: ReturnableLine
    qty: int
    amount_vnd: int


@dataclass(frozen=True)
class ReturnPlan:
    """A checked return, not yet written: shown to the cashier to confirm, then recorded as it is."""

    sale: Sale
    lines: list[PlannedLine]
    refund_method: str
    reason: str

    @property
    def total_vnd(self) -> int:
        """The refund."""
        return sum(line.amount_vnd for line in self.lines)


def plan_return(
    session: Session, sale_number: str, lines: Mapping[Any, Any], refund_method: str | None, reason: str
) -> ReturnPlan:
    """Check a return against its receipt and work out each refund; nothing is written."""
    sale = find_sale(session, sale_number)
    if sale.status == "voided":
        raise Conflict(f"Hóa đơn {sale.receipt_number} đã bị hủy, không thể trả hàng.", "receipt_number")
    available = {r.line.id: r for r in returnable_lines(session, sale)}
    wanted: list[tuple[ReturnableLine, int]] = []
    for raw_id, raw_qty in lines.items():
        try:
            line_id = int(raw_id)
        except (TypeError, ValueError):
            line_id = -1
        row = available.get(line_id)
        if row is None:
            raise ValidationError("Sản phẩm này không có trong hóa đơn.", "lines")
        name = row.line.name
        if isinstance(raw_qty, bool) or not isinstance(raw_qty, int):
            raise ValidationError(f"Số lượng trả của “{name}” phải là số nguyên.", f"qty_{line_id}")
        if raw_qty <= 0 or raw_qty > MAX_RETURN_QTY:
            raise ValidationError(f"Số lượng trả của “{name}” phải lớn hơn 0.", f"qty_{line_id}")
        if raw_qty > row.returnable_qty:
            most = format_qty(row.returnable_qty, row.line.sold_by, row.line.unit)
            raise ValidationError(f"“{name}” chỉ còn có thể trả tối đa {most}.", f"qty_{line_id}")
        wanted.append((row, raw_qty))
    if not wanted:
        raise ValidationError("Chọn ít nhất một sản phẩm và số lượng cần trả.", "lines")
    text = _reason(reason)
    method = refund_method or default_refund_method(session, sale)
    if method not in PAYMENT_METHODS:
        raise ValidationError("Phương thức hoàn tiền không hợp lệ.", "refund_method")
    wanted.sort(key=lambda item: item[0].line.line_no)
    planned = [
        PlannedLine(row, qty, refund_amount(row.line.total_vnd, row.line.qty, row.returned_qty, row.refunded_vnd, qty))
        for row, qty in wanted
    ]
    return ReturnPlan(sale, planned, method, text)


def create_return(
    session: Session,
    sale_number: str,
    lines: Mapping[Any, Any],
    refund_method: str | None,
    reason: str,
    cashier_id: int,
    shift: Shift | None,
    idempotency_key: str,
    showroom_code: str = "SR01",
    einvoice: EinvoiceSettings | None = None,
) -> SaleReturn:
    """Take goods back against a receipt, put them back in stock and record the refund.

    An invoiced sale gets a replacement invoice for what the buyer keeps, in the same transaction.
    """
    key = nfc(idempotency_key)
    if not key or len(key) > 64:
        raise ValidationError("Yêu cầu không hợp lệ; vui lòng tải lại trang.", "idempotency_key")
    existing = session.exec(select(SaleReturn).where(SaleReturn.idempotency_key == key)).first()
    if existing is not None:
        return existing  # a double click or a retried request: the return already made
    if shift is None or shift.status != "open":
        raise Conflict("Cần mở ca làm việc trước khi trả hàng.")
    plan = plan_return(session, sale_number, lines, refund_method, reason)
    sale, method, text = plan.sale, plan.refund_method, plan.reason

    now = utcnow()
    refunded_before = int(
        session.scalar(select(func.coalesce(func.sum(SaleReturn.total_vnd), 0)).where(SaleReturn.sale_id == sale.id))
        or 0
    )
    number = take_return_number(session, showroom_code, _year(now))  # a series of its own after a restore
    sale_return = SaleReturn(
        return_number=number,
        idempotency_key=key,
        sale_id=sale.id,  # type: ignore[arg-type]
        shift_id=shift.id,  # type: ignore[arg-type]
        cashier_id=cashier_id,
        refund_method=method,
        total_vnd=plan.total_vnd,
        reason=text,
        created_at=now,
    )
    session.add(sale_return)
    session.flush()

    product_ids = [planned.row.line.product_id for planned in plan.lines]
    products = {p.id: p for p in session.exec(select(Product).where(Product.id.in_(product_ids)))}  # type: ignore[attr-defined]
    payload_lines = []
    for planned in plan.lines:
        row, qty, amount = planned.row, planned.qty, planned.amount_vnd
        return_line = ReturnLine(return_id=sale_return.id, sale_line_id=row.line.id, qty=qty, amount_vnd=amount)  # type: ignore[arg-type]
        session.add(return_line)
        session.flush()
        record_movements(  # back to the lots the line was sold from
            session,
            [
                StockMovement(
                    product_id=row.line.product_id,
                    kind="return",
                    qty_delta=part_qty,
                    unit_cost_vnd=row.line.unit_cost_vnd,
                    lot_id=lot_id,
                    note=number,
                    return_line_id=return_line.id,
                    created_by_id=cashier_id,
                    created_at=now,
                )
                for lot_id, part_qty in return_parts(session, row.line.id, row.line.product_id, qty)  # type: ignore[arg-type]
            ],
        )
        product = products.get(row.line.product_id)
        payload_lines.append(
            {
                "sale_line_no": row.line.line_no,
                "product_uuid": str(product.uuid) if product else "",
                "qty": qty,
                "amount_vnd": amount,
            }
        )

    payload: Fields = {
        "uuid": str(sale_return.uuid),
        "return_number": number,
        "sale_uuid": str(sale.uuid),
        "shift_uuid": str(shift.uuid),
        "cashier": _username(session, cashier_id),
        "cashier_name": _full_name(session, cashier_id),
        "created_at": now.isoformat(),
        "refund_method": method,
        "total_vnd": sale_return.total_vnd,
        "reason": text,
        "lines": payload_lines,  # type: ignore[typeddict-item]
    }
    enqueue(session, "return", sale_return.uuid, dict(payload))
    points_taken, points_short = customers.at_return(
        session,
        sale.id,  # type: ignore[arg-type]
        sale_return.id,  # type: ignore[arg-type]
        refunded_before,
        sale_return.total_vnd,
        now,
        cashier_id,
    )
    if einvoice is not None:
        correct_sale(session, einvoice, sale, now, return_id=sale_return.id)
    audit.record(
        session,
        "refund",
        user_id=cashier_id,
        entity="salereturn",
        entity_id=sale_return.id,
        after={
            "return_number": number,
            "receipt_number": sale.receipt_number,
            "refund_method": method,
            "total_vnd": sale_return.total_vnd,
            "reason": text,
            "points_taken": points_taken,
            "points_forgiven": points_short,
        },
    )
    session.flush()
    return sale_return


def get_return(session: Session, return_number: str) -> SaleReturn:
    """A return by its number, or NotFound."""
    number = normalize_receipt_number(return_number)
    found = session.exec(select(SaleReturn).where(SaleReturn.return_number == number)).first()
    if found is None:
        raise NotFound(f"Không tìm thấy phiếu hoàn tiền số {number}.")
    return found


def refund_receipt_data(session: Session, sale_return: SaleReturn, config: Mapping[str, Any]) -> ReceiptData:
    """What the refund receipt (phiếu hoàn tiền) prints, from the return as recorded, in the sale's language."""
    sale = session.get(Sale, sale_return.sale_id)
    back = returned_lines(session, sale_return.id)  # type: ignore[arg-type]
    language = sale.receipt_language if sale else "vi"
    invoice = refund_invoice_copy(session, sale_return, config, language)
    t = Wording(printed_language(language, invoice is not None))
    products = dict(
        session.exec(select(SaleLine.line_no, SaleLine.product_id).where(SaleLine.sale_id == sale_return.sale_id)).all()
    )
    english = english_names(session, language, list(products.values()))
    lines = [
        ReceiptLine(
            name=line.name,
            qty=line.qty,
            unit=line.unit,
            unit_price_vnd=line.unit_price_vnd,
            discount_vnd=line.discount_vnd,
            total_vnd=line.total_vnd,
            vat_rate_bp=line.vat_rate_bp,
            vat_class=line.vat_class,
            sold_by=line.sold_by,
            name_en=english.get(products.get(line.line_no, 0), ""),
        )
        for line in back
    ]
    subtotal = sum(line.total_vnd + line.discount_vnd for line in lines)
    cashier = session.get(User, sale_return.cashier_id)
    return ReceiptData(
        showroom_name=str(config.get("SHOWROOM_NAME", "")),
        showroom_address=str(config.get("SHOWROOM_ADDRESS", "")),
        showroom_tax_code=str(config.get("SHOWROOM_TAX_CODE", "")),
        showroom_phone=config.get("SHOWROOM_PHONE") or None,
        receipt_number=sale_return.return_number,
        issued_at=sale_return.created_at,
        cashier_name=cashier.full_name if cashier else "",
        lines=lines,
        subtotal_vnd=subtotal,
        discount_vnd=subtotal - sale_return.total_vnd,
        total_vnd=sale_return.total_vnd,
        vat=vat_breakdown(back),  # the same figures as the adjustment invoice draws
        payments=[ReceiptPayment(sale_return.refund_method, sale_return.total_vnd)],
        footer=str(config.get("RECEIPT_FOOTER", "")),
        footer_en=str(config.get("RECEIPT_FOOTER_EN", "")),
        language=language,
        kind="refund",
        original_receipt_number=sale.receipt_number if sale else None,
        note=f"{t('return_reason')}: {sale_return.reason}" if sale_return.reason else None,
        invoice=invoice,
    )


def last_sale(session: Session, shift: Shift) -> Sale | None:
    """The most recent sale rung up in a shift, whatever its status."""
    return session.exec(select(Sale).where(Sale.shift_id == shift.id).order_by(Sale.id.desc())).first()  # type: ignore[union-attr]


def void_last_sale(
    session: Session,
    shift: Shift,
    manager_username: str | None,
    manager_password: str | None,
    reason: str,
    actor_id: int | None = None,
    einvoice: EinvoiceSettings | None = None,
) -> Sale:
    """Cancel the last sale of an open shift with a manager's credentials; its stock comes back.

    An invoiced sale is never cancelled at the tax authority (the rules have no such procedure): its invoice
    stays as issued, and a replacement invoice with no goods, referring to it, goes through the same queue.
    """
    manager = verify_manager(session, manager_username, manager_password)
    if shift.status != "open":
        raise Conflict("Chỉ hủy được đơn của ca đang mở.")
    text = _reason(reason)
    sale = last_sale(session, shift)
    if sale is None:
        raise NotFound("Ca này chưa có đơn bán hàng nào để hủy.")
    if sale.status == "voided":
        raise Conflict(f"Đơn cuối của ca ({sale.receipt_number}) đã được hủy; chỉ hủy được đơn cuối cùng.")
    has_returns = session.scalar(select(func.count()).where(SaleReturn.sale_id == sale.id))
    if has_returns:
        raise Conflict(f"Hóa đơn {sale.receipt_number} đã có trả hàng; không thể hủy đơn.")

    now = utcnow()
    before = {"status": sale.status}
    sale.status = "voided"
    sale.voided_at = now
    sale.voided_by_id = manager.id
    sale.void_reason = text
    session.add(sale)
    for line in session.exec(select(SaleLine).where(SaleLine.sale_id == sale.id)).all():
        record_movements(  # each lot gets back what it gave
            session,
            [
                StockMovement(
                    product_id=line.product_id,
                    kind="void",
                    qty_delta=qty,
                    unit_cost_vnd=line.unit_cost_vnd,
                    lot_id=lot_id,
                    note=sale.receipt_number,
                    sale_line_id=line.id,
                    created_by_id=manager.id,
                    created_at=now,
                )
                for lot_id, qty in return_parts(session, line.id, line.product_id, line.qty)  # type: ignore[arg-type]
            ],
        )
    payload: Fields = {
        "sale_uuid": str(sale.uuid),
        "receipt_number": sale.receipt_number,
        "voided_at": now.isoformat(),
        "voided_by": manager.username,
        "voided_by_name": manager.full_name,
        "reason": text,
    }
    enqueue(session, "void", sale.uuid, dict(payload))
    if einvoice is not None:
        correct_sale(session, einvoice, sale, now, voided=True)
    audit.record(
        session,
        "sale.void",
        user_id=manager.id,
        entity="sale",
        entity_id=sale.id,
        before=before,
        after={
            "status": "voided",
            "receipt_number": sale.receipt_number,
            "total_vnd": sale.total_vnd,
            "reason": text,
            "requested_by": _username(session, actor_id),
        },
    )
    session.flush()
    return sale
