"""A company's quote that becomes an order, its lines and the transfers it was paid with."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID, uuid4

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from pos.db import UTCDateTime, utcnow

ORDER_STATUSES: dict[str, str] = {
    "quote": "Báo giá",
    "ordered": "Đã đặt hàng (đang giữ hàng)",
    "fulfilled": "Đã giao",
    "cancelled": "Đã hủy",
}
HANDOVER: dict[str, str] = {"pickup": "Khách đến lấy", "delivery": "Giao tận nơi"}
PAYMENT_KINDS: dict[str, str] = {"deposit": "Đặt cọc", "balance": "Thanh toán phần còn lại", "full": "Thanh toán đủ"}


class CompanyOrder(SQLModel, table=True):
    """A quote (báo giá) for a company customer; confirmed it becomes an order (đơn đặt hàng) that holds stock.

    One number from the quote to the order (``SR01-2026-DH000012``, pos/numbering.py). Fulfilled, it is the
    sale ``sale_id``, made through the till's own checkout.
    """

    __table_args__ = (Index("ix_companyorder_status", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    uuid: UUID = Field(default_factory=uuid4, unique=True, index=True)
    number: str = Field(max_length=40, unique=True, index=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    status: str = Field(default="quote", max_length=10)  # quote, ordered, fulfilled, cancelled
    discount_bp: int = Field(default=0)  # the company's discount on the whole order, approved by the manager
    handover: str = Field(default="pickup", max_length=10)  # pickup, delivery
    delivery_address: str = Field(default="", max_length=250)
    due_on: date | None = None  # the day the goods are picked up or delivered
    valid_until: date | None = None  # how long the quote's prices hold
    note: str = Field(default="", max_length=500)
    quoted_total_vnd: int = Field(default=0)  # the total as last quoted (and as ordered)
    priced_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)  # promotions as of this moment
    created_by_id: int = Field(foreign_key="user.id")
    approved_by_id: int | None = Field(default=None, foreign_key="user.id")  # the manager who confirmed it
    sale_id: int | None = Field(default=None, foreign_key="sale.id")
    cancel_reason: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    ordered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    fulfilled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    cancelled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class OrderLine(SQLModel, table=True):
    """A product or a gift basket on a quote, and how many."""

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="companyorder.id", index=True)
    product_id: int = Field(foreign_key="product.id", index=True)
    qty: int
    position: int = Field(default=0)


class OrderPayment(SQLModel, table=True):
    """A bank transfer received for an order: a deposit, the balance, or the whole amount."""

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="companyorder.id", index=True)
    kind: str = Field(max_length=10)  # deposit, balance, full
    amount_vnd: int
    reference: str = Field(max_length=80)  # the bank's reference of the transfer
    received_on: date
    recorded_by_id: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class OrderDelivery(SQLModel, table=True):
    """One handover of an order, in part or of all that was left: its delivery note (phiếu giao hàng) and the
    sale it was (``sale_id``, made through the till's checkout).

    ``prepaid_vnd``: how much of the order's transfers this delivery's sale took; the rest of its total was
    paid at the till when the goods left. A delivery whose sale was voided counts no more (its goods are back
    in stock and held for the order again, its transfers free for the next delivery).
    """

    id: int | None = Field(default=None, primary_key=True)
    uuid: UUID = Field(default_factory=uuid4, unique=True, index=True)
    order_id: int = Field(foreign_key="companyorder.id", index=True)
    seq_no: int  # 1, 2, 3 … within the order
    number: str = Field(max_length=40, unique=True)  # SR01-2026-DH000012-GH02
    sale_id: int | None = Field(default=None, foreign_key="sale.id", unique=True)
    prepaid_vnd: int = Field(default=0)
    receiver_name: str = Field(default="", max_length=120)  # who signed for the goods
    note: str = Field(default="", max_length=500)
    delivered_by_id: int = Field(foreign_key="user.id")
    delivered_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class OrderDeliveryLine(SQLModel, table=True):
    """How many of one order line a delivery handed over."""

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="orderdelivery.id", index=True)
    order_line_id: int = Field(foreign_key="orderline.id", index=True)
    qty: int
