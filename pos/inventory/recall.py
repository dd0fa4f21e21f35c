"""Recall (thu hồi) of a lot: block it at once, and trace every receipt that sold it.

A producer or the food-safety authority names a lot (or the delivery note it came on); the manager
blocks it here, so the till refuses it from that moment, and the trace lists each receipt with its date,
the quantity sold from the lot, what came back since, and the cashier, exportable as CSV.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func
from sqlmodel import Session, select

from pos.audit import log as audit
from pos.auth.models import User
from pos.catalog.models import Producer, Product
from pos.errors import Conflict, ValidationError
from pos.inventory.lots import get_lot, lot_name, upper_first
from pos.inventory.models import Intake, IntakeLine, Lot, StockMovement
from pos.quantity import PIECE, Quantity, display_unit
from pos.reports.table import DATE, QTY, TEXT, Column, Report
from pos.sales.models import ReturnLine, Sale, SaleLine
from pos.text import nfc

REASON_MAX = 500


def recall_lot(session: Session, lot_id: int, reason: str, actor_id: int | None, now: datetime) -> Lot:
    """Block a lot for sale from now on, with the reason (the producer's notice, the authority's decision)."""
    lot = get_lot(session, lot_id)
    text = nfc(reason)
    if not text:
        raise ValidationError(
            "Nhập lý do thu hồi (ví dụ số công văn của nhà sản xuất hoặc cơ quan chức năng).", "reason"
        )
    if len(text) > REASON_MAX:
        raise ValidationError(f"Lý do thu hồi dài tối đa {REASON_MAX} ký tự.", "reason")
    if lot.recalled_at is not None:
        raise Conflict(f"{upper_first(lot_name(lot))} đã được thu hồi từ {lot.recalled_at:%d/%m/%Y}.", "lot_id")
    lot.recalled_at, lot.recall_reason, lot.recalled_by_id = now, text, actor_id
    session.add(lot)
    session.flush()
    audit.record(
        session,
        "lot.recall",
        user_id=actor_id,
        entity="lot",
        entity_id=lot.id,
        after={"product_id": lot.product_id, "lot_code": lot.lot_code, "qty": lot.qty, "reason": text},
    )
    return lot


@dataclass(frozen=True)
class LotInfo:
    """A lot with its product, producer and the delivery that opened it."""

    lot: Lot
    product: Product
    producer_name: str
    intake_id: int | None
    received_on: date | None
    delivery_note_number: str


def lot_info(session: Session, lot_ids: list[int]) -> list[LotInfo]:
    """The lots named, with what their page and the trace show about them."""
    if not lot_ids:
        return []
    rows = session.execute(
        select(Lot, Product, Producer.name, Intake.id, Intake.received_on, Intake.delivery_note_number)
        .join(Product, Product.id == Lot.product_id)
        .join(Producer, Producer.id == Product.producer_id)
        .outerjoin(IntakeLine, IntakeLine.id == Lot.intake_line_id)
        .outerjoin(Intake, Intake.id == IntakeLine.intake_id)
        .where(Lot.id.in_(lot_ids))  # type: ignore[union-attr]
        .order_by(Lot.id)
    ).all()
    return [LotInfo(lot, product, name, iid, day, note or "") for lot, product, name, iid, day, note in rows]


def lots_of_delivery(session: Session, delivery_note_number: str) -> list[int]:
    """The lots a producer's delivery note (phiếu giao hàng) brought in, whichever intake recorded it."""
    number = nfc(delivery_note_number)
    if not number:
        raise ValidationError("Nhập số phiếu giao hàng.", "note")
    ids = session.exec(
        select(StockMovement.lot_id)
        .join(IntakeLine, IntakeLine.id == StockMovement.intake_line_id)  # type: ignore[arg-type]
        .join(Intake, Intake.id == IntakeLine.intake_id)  # type: ignore[arg-type]
        .where(
            func.upper(Intake.delivery_note_number) == number.upper(),
            StockMovement.kind == "intake",
            StockMovement.lot_id.is_not(None),  # type: ignore[union-attr]
        )
        .distinct()
    ).all()
    return sorted(int(i) for i in ids if i is not None)


@dataclass(frozen=True)
class TraceRow:
    """One receipt that sold from a recalled lot."""

    receipt_number: str
    sold_at: datetime
    product_name: str
    lot_code: str
    expiry_date: date | None
    qty_sold: int
    qty_back: int  # returned by the customer or voided since, back into the lot
    unit: str
    status: str
    cashier: str
    sold_by: str = PIECE  # "weight": the quantities are grams

    @property
    def qty_out(self) -> int:
        """Still with the customer."""
        return self.qty_sold - self.qty_back


def trace(session: Session, lot_ids: list[int]) -> list[TraceRow]:
    """Every receipt that sold from these lots, oldest first, with what has come back since."""
    if not lot_ids:
        return []
    sold = session.execute(
        select(
            StockMovement.lot_id,
            StockMovement.sale_line_id,
            func.sum(-StockMovement.qty_delta),
        )
        .where(StockMovement.lot_id.in_(lot_ids), StockMovement.kind == "sale")  # type: ignore[union-attr]
        .group_by(StockMovement.lot_id, StockMovement.sale_line_id)
    ).all()
    if not sold:
        return []
    back: dict[tuple[int, int], int] = {}
    voided = session.execute(
        select(StockMovement.lot_id, StockMovement.sale_line_id, func.sum(StockMovement.qty_delta))
        .where(StockMovement.lot_id.in_(lot_ids), StockMovement.kind == "void")  # type: ignore[union-attr]
        .group_by(StockMovement.lot_id, StockMovement.sale_line_id)
    ).all()
    returned = session.execute(
        select(StockMovement.lot_id, ReturnLine.sale_line_id, func.sum(StockMovement.qty_delta))
        .join(ReturnLine, ReturnLine.id == StockMovement.return_line_id)  # type: ignore[arg-type]
        .where(StockMovement.lot_id.in_(lot_ids), StockMovement.kind == "return")  # type: ignore[union-attr]
        .group_by(StockMovement.lot_id, ReturnLine.sale_line_id)
    ).all()
    for lot_id, line_id, qty in [*voided, *returned]:
        back[(lot_id, line_id)] = back.get((lot_id, line_id), 0) + int(qty)
    line_ids = {line_id for _, line_id, _ in sold}
    lines = {
        line.id: (line, sale, name)
        for line, sale, name in session.execute(
            select(SaleLine, Sale, User.full_name)
            .join(Sale, Sale.id == SaleLine.sale_id)
            .outerjoin(User, User.id == Sale.cashier_id)
            .where(SaleLine.id.in_(line_ids))  # type: ignore[union-attr]
        )
    }
    lots = {lot.id: lot for lot in session.exec(select(Lot).where(Lot.id.in_(lot_ids)))}  # type: ignore[union-attr]
    rows = []
    for lot_id, line_id, qty in sold:
        line, sale, cashier = lines[line_id]
        lot = lots[lot_id]
        rows.append(
            TraceRow(
                receipt_number=sale.receipt_number,
                sold_at=sale.created_at,
                product_name=line.name,
                lot_code=lot.lot_code,
                expiry_date=lot.expiry_date,
                qty_sold=int(qty),
                qty_back=back.get((lot_id, line_id), 0),
                unit=line.unit,
                sold_by=line.sold_by,
                status="Đã hủy" if sale.status == "voided" else "Đã bán",
                cashier=cashier or "",
            )
        )
    rows.sort(key=lambda r: (r.sold_at, r.receipt_number, r.product_name))
    return rows


def trace_report(rows: list[TraceRow], title: str, tz_name: str) -> Report:
    """The trace as a Report, for the CSV export (same columns as the page)."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(tz_name)
    return Report(
        name="recall",
        title=title,
        counted="Mỗi dòng là một hóa đơn đã bán hàng thuộc lô bị thu hồi; “Đã trả lại” gồm khách trả hàng và hủy đơn.",
        columns=[
            Column("receipt_number", "Số hóa đơn"),
            Column("sold_on", "Ngày bán", DATE),
            Column("sold_time", "Giờ bán"),
            Column("product", "Sản phẩm"),
            Column("lot", "Số lô"),
            Column("expiry", "Hạn sử dụng", DATE),
            Column("qty_sold", "Số lượng bán", QTY),
            Column("qty_back", "Đã trả lại", QTY),
            Column("qty_out", "Còn ở khách", QTY),
            Column("unit", "Đơn vị"),
            Column("status", "Tình trạng", TEXT),
            Column("cashier", "Thu ngân"),
        ],
        rows=[
            {
                "receipt_number": r.receipt_number,
                "sold_on": r.sold_at.astimezone(zone).date(),
                "sold_time": f"{r.sold_at.astimezone(zone):%H:%M}",
                "product": r.product_name,
                "lot": r.lot_code,
                "expiry": r.expiry_date,
                "qty_sold": Quantity(r.qty_sold, r.sold_by),
                "qty_back": Quantity(r.qty_back, r.sold_by),
                "qty_out": Quantity(r.qty_out, r.sold_by),
                "unit": display_unit(r.sold_by, r.unit),
                "status": r.status,
                "cashier": r.cashier,
            }
            for r in rows
        ],
        totals={"receipt_number": "Cộng", **_quantity_totals(rows)},
    )


def _quantity_totals(rows: list[TraceRow]) -> dict[str, Quantity]:
    """The quantity columns summed, when every row is counted the same way (grams and pieces never add up)."""
    kinds = {r.sold_by for r in rows}
    if len(kinds) != 1:
        return {}
    (sold_by,) = kinds
    return {
        "qty_sold": Quantity(sum(r.qty_sold for r in rows), sold_by),
        "qty_back": Quantity(sum(r.qty_back for r in rows), sold_by),
        "qty_out": Quantity(sum(r.qty_out for r in rows), sold_by),
    }
