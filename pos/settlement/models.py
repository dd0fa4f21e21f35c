"""Settlements with producers (biên bản đối soát): a closed period and its figures, frozen."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID, uuid4

from sqlmodel import Field, SQLModel

from pos.db import UTCDateTime, utcnow

SETTLEMENT_STATUSES: dict[str, str] = {
    "closed": "Đã chốt",
    "paid": "Đã thanh toán",
}


class Settlement(SQLModel, table=True):
    """A producer's settled period (local days, both ends included); figures is the JSON printed on the statement."""

    id: int | None = Field(default=None, primary_key=True)
    uuid: UUID = Field(default_factory=uuid4, unique=True, index=True)
    number: str = Field(max_length=40, unique=True, index=True)
    producer_id: int = Field(foreign_key="producer.id", index=True)
    period_start: date
    period_end: date
    status: str = Field(default="closed", max_length=10, index=True)
    is_consignment: bool = Field(default=True)
    commission_bp: int = Field(default=0)
    net_sales_vnd: int = Field(default=0)
    commission_vnd: int = Field(default=0)
    amount_owed_vnd: int = Field(default=0)
    figures: str = Field(default="")  # JSON, frozen at closing; never recomputed
    note: str = Field(default="", max_length=500)
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    paid_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    paid_by_id: int | None = Field(default=None, foreign_key="user.id")
    paid_reference: str = Field(default="", max_length=120)
