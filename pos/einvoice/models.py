"""E-invoices (hóa đơn điện tử) issued at the till, each with its frozen XML and its place in the send queue."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID, uuid4

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from pos.db import UTCDateTime, utcnow

STATES: dict[str, str] = {
    "waiting": "Chờ gửi",
    "sent": "Đã gửi, chưa có trả lời",
    "accepted": "Đã tiếp nhận, chuyển cơ quan thuế",
    "rejected": "Bị từ chối",
    "held": "Chờ cấp số (sau khôi phục dữ liệu)",
}
KINDS: dict[str, str] = {"original": "Hóa đơn gốc", "replacement": "Thay thế", "adjustment": "Điều chỉnh"}


class Invoice(SQLModel, table=True):
    """One invoice: numbered and coded in the sale's (or return's) transaction, never deleted, never renumbered.

    ``uuid`` is the provider's idempotency key (Viettel's transactionUuid). ``xml`` is the invoice as issued,
    in the tax authority's format; a manager's correction of the buyer rewrites it before it is sent.
    """

    __table_args__ = (
        UniqueConstraint("form", "symbol", "number", name="uq_invoice_number"),
        Index("ix_invoice_queue", "state", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    uuid: UUID = Field(default_factory=uuid4, unique=True, index=True)
    sale_id: int = Field(foreign_key="sale.id", index=True)
    return_id: int | None = Field(default=None, foreign_key="salereturn.id", index=True)
    kind: str = Field(default="original", max_length=12)  # original, replacement, adjustment
    original_id: int | None = Field(default=None, foreign_key="invoice.id")
    form: int
    symbol: str = Field(max_length=6)
    number: int
    mccqt: str = Field(max_length=23, unique=True)
    till_code: str = Field(default="", max_length=20)
    issued_at: datetime = Field(sa_type=UTCDateTime)
    issued_on: date = Field(index=True)  # the local day
    total_vnd: int
    vat_vnd: int = Field(default=0)
    payment_code: str = Field(max_length=8)  # TM, CK, TM/CK
    buyer_name: str = Field(default="", max_length=200)
    buyer_company: str = Field(default="", max_length=400)
    buyer_tax_code: str = Field(default="", max_length=14)
    buyer_address: str = Field(default="", max_length=400)
    buyer_id_number: str = Field(default="", max_length=12)
    buyer_phone: str = Field(default="", max_length=20)
    buyer_email: str = Field(default="", max_length=100)
    xml: str = Field(sa_column=Column(Text, nullable=False))
    state: str = Field(default="waiting", max_length=10)
    reason: str = Field(default="", max_length=500)
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    accepted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    provider_number: str = Field(default="", max_length=40)  # the provider's invoiceNo
    lookup_code: str = Field(default="", max_length=60)  # the provider's reservationCode (tra cứu)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
