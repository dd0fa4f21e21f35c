"""Intakes (phiếu nhập kho) and the stock ledger (sổ kho) from which on-hand figures come."""

from __future__ import annotations

import json
from datetime import date, datetime
from uuid import UUID, uuid4

from sqlmodel import Field, SQLModel

from pos.db import UTCDateTime, utcnow

MOVEMENT_KINDS: dict[str, str] = {
    "intake": "Nhập kho",
    "sale": "Bán hàng",
    "return": "Khách trả hàng",
    "void": "Hủy đơn",
    "adjustment": "Điều chỉnh tồn kho",
    "count": "Kiểm kê",
    "return_to_producer": "Trả hàng cho nhà sản xuất",
    "basket": "Đóng / tháo giỏ quà",
    "transfer_out": "Chuyển kho đi",
    "transfer_in": "Nhận chuyển kho",
    "transfer_cancel": "Hủy phiếu chuyển kho (hàng về lại)",
}

ADJUSTMENT_REASONS: dict[str, str] = {
    "damaged": "Hư hỏng",
    "lost": "Mất",
    "found": "Tìm thấy",
    "count": "Kiểm kê",
    "destroyed": "Tiêu hủy",
}


class Intake(SQLModel, table=True):
    """One delivery from one producer, recorded from their delivery note (phiếu giao hàng)."""

    id: int | None = Field(default=None, primary_key=True)
    uuid: UUID = Field(default_factory=uuid4, unique=True, index=True)
    producer_id: int = Field(foreign_key="producer.id", index=True)
    received_on: date
    delivery_note_number: str = Field(default="", max_length=60)
    note: str = Field(default="", max_length=500)
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class IntakeLine(SQLModel, table=True):
    """A product received in an intake, with its unit cost and, for food, its lot and expiry date."""

    id: int | None = Field(default=None, primary_key=True)
    intake_id: int = Field(foreign_key="intake.id", index=True)
    line_no: int
    product_id: int = Field(foreign_key="product.id", index=True)
    qty: int
    unit_cost_vnd: int = Field(default=0)
    lot_code: str = Field(default="", max_length=60)
    manufactured_on: date | None = None
    expiry_date: date | None = Field(default=None, index=True)


class StockMovement(SQLModel, table=True):
    """One line of the stock ledger: a signed change of a product's quantity and why."""

    id: int | None = Field(default=None, primary_key=True)
    uuid: UUID = Field(default_factory=uuid4, unique=True, index=True)
    product_id: int = Field(foreign_key="product.id", index=True)
    kind: str = Field(max_length=20, index=True)
    qty_delta: int
    unit_cost_vnd: int | None = None
    reason: str = Field(default="", max_length=20)
    note: str = Field(default="", max_length=500)
    intake_line_id: int | None = Field(default=None, foreign_key="intakeline.id")
    lot_id: int | None = Field(default=None, foreign_key="lot.id", index=True)
    sale_line_id: int | None = Field(default=None, foreign_key="saleline.id")
    return_line_id: int | None = Field(default=None, foreign_key="returnline.id")
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class StockLevel(SQLModel, table=True):
    """On hand per product: the running sum of the ledger, kept in the same transaction as each movement."""

    product_id: int = Field(foreign_key="product.id", primary_key=True)
    qty: int = Field(default=0)


class Lot(SQLModel, table=True):
    """A lot (lô hàng) of a food product on the shelf: its code, expiry date and quantity left.

    ``qty`` is kept like StockLevel, in the same transaction as every movement naming the lot; it equals
    ``opening_qty`` (what the lot held when lot tracking began, for lots migrated from older data) plus
    the sum of those movements. A recalled lot is never sold again, whatever its expiry date.
    """

    id: int | None = Field(default=None, primary_key=True)
    uuid: UUID = Field(default_factory=uuid4, unique=True, index=True)
    product_id: int = Field(foreign_key="product.id", index=True)
    intake_line_id: int | None = Field(default=None, foreign_key="intakeline.id")  # the delivery that opened it
    lot_code: str = Field(default="", max_length=60)
    manufactured_on: date | None = None
    expiry_date: date | None = Field(default=None, index=True)
    qty: int = Field(default=0)
    opening_qty: int = Field(default=0)
    barcode: str | None = Field(default=None, max_length=14, unique=True, index=True)  # its own label, if printed
    recalled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    recall_reason: str = Field(default="", max_length=500)
    recalled_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


TRANSFER_STATUSES: dict[str, str] = {
    "in_transit": "Đang chuyển",
    "received": "Đã nhận đủ",
    "differences": "Đã nhận, có chênh lệch",
    "cancelled": "Đã hủy",
}
TRANSFER_REASONS: dict[str, str] = {  # why what was received differs from what was sent
    "missing": "Thiếu hàng",
    "damaged": "Hư hỏng khi vận chuyển",
    "surplus": "Thừa hàng",
    "wrong_item": "Giao nhầm hàng",
    "other": "Lý do khác",
}


class Transfer(SQLModel, table=True):
    """A transfer note (phiếu chuyển kho) between two showrooms, out from this one or in to it.

    An outgoing note takes its goods out of this ledger when it is made (in transit from then on); an
    incoming one is pulled from the central server and moves goods into this ledger when it is received.
    Both sides keep the same UUID and number; ``status`` follows the receiver's receipt, or the sender's
    cancel (``cancelled_*``) while nothing was received yet.
    """

    id: int | None = Field(default=None, primary_key=True)
    uuid: UUID = Field(default_factory=uuid4, unique=True, index=True)
    number: str = Field(max_length=40, index=True)
    direction: str = Field(max_length=3, index=True)  # out, in
    other_showroom: str = Field(max_length=20)  # the receiver's code for "out", the sender's for "in"
    status: str = Field(default="in_transit", max_length=12, index=True)
    note: str = Field(default="", max_length=500)
    created_by: str | None = Field(default=None, max_length=60)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    received_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    received_by: str | None = Field(default=None, max_length=60)
    receipt_note: str = Field(default="", max_length=500)
    cancelled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    cancelled_by: str | None = Field(default=None, max_length=60)
    cancel_reason: str = Field(default="", max_length=500)


class TransferLine(SQLModel, table=True):
    """A product (and lot) on a transfer note: sent, and what was counted in at the other end."""

    id: int | None = Field(default=None, primary_key=True)
    transfer_id: int = Field(foreign_key="transfer.id", index=True)
    line_no: int
    product_id: int | None = Field(default=None, foreign_key="product.id", index=True)  # known once here
    lot_id: int | None = Field(default=None, foreign_key="lot.id")
    name: str = Field(default="", max_length=200)
    unit: str = Field(default="", max_length=20)
    lot_code: str = Field(default="", max_length=60)
    expiry_date: date | None = None
    qty: int
    qty_received: int | None = None
    reason: str = Field(default="", max_length=20)
    note: str = Field(default="", max_length=200)
    wire: str = Field(default="")  # the line as the sender described it (JSON), to create what is missing here

    @property
    def sold_by(self) -> str:
        """How the sender sells it ("weight": the quantities are grams), as its line on the wire says."""
        try:
            return str(json.loads(self.wire or "{}").get("sold_by") or "piece")
        except ValueError:
            return "piece"


STOCKTAKE_STATUSES: dict[str, str] = {
    "open": "Đang kiểm kê",
    "approved": "Đã duyệt",
    "cancelled": "Đã hủy",
}


class Stocktake(SQLModel, table=True):
    """A stocktake session (phiên kiểm kê): a frozen moment, counts from the tills, a manager's approval.

    ``frozen_movement_id`` is the last ledger movement at the freeze: the book at the freeze is kept in
    StocktakeBook, and what moved after it is read from the ledger by movement id (ids only grow), so
    sales during the count are accounted for without trusting any clock.
    """

    id: int | None = Field(default=None, primary_key=True)
    uuid: UUID = Field(default_factory=uuid4, unique=True, index=True)
    status: str = Field(default="open", max_length=12, index=True)
    note: str = Field(default="", max_length=500)
    frozen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    frozen_movement_id: int = Field(default=0)
    opened_by_id: int | None = Field(default=None, foreign_key="user.id")
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_by_id: int | None = Field(default=None, foreign_key="user.id")


class StocktakeBook(SQLModel, table=True):
    """The book quantity of one product (or one lot of a lot-kept product) at a stocktake's freeze."""

    id: int | None = Field(default=None, primary_key=True)
    stocktake_id: int = Field(foreign_key="stocktake.id", index=True)
    product_id: int = Field(foreign_key="product.id")
    lot_id: int | None = Field(default=None, foreign_key="lot.id")
    book_qty: int


class StocktakeCount(SQLModel, table=True):
    """One scan or typed count (or a correction, negative) of a product or lot; a line's count is their sum.

    ``movement_mark`` is the last ledger movement when it was counted: movements up to it happened
    before the shelf was counted, those after it are on top of the count.
    """

    id: int | None = Field(default=None, primary_key=True)
    stocktake_id: int = Field(foreign_key="stocktake.id", index=True)
    product_id: int = Field(foreign_key="product.id")
    lot_id: int | None = Field(default=None, foreign_key="lot.id")
    qty_delta: int
    is_correction: bool = Field(default=False)
    movement_mark: int = Field(default=0)
    till_id: int | None = Field(default=None, foreign_key="till.id")
    counted_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
