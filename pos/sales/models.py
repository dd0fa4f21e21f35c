"""Sales (đơn bán hàng), payments, returns, carts and cash shifts (ca làm việc)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from pos.db import UTCDateTime, utcnow

PAYMENT_METHODS: dict[str, str] = {
    "cash": "Tiền mặt",
    "card": "Thẻ",
    "transfer": "Chuyển khoản (VietQR)",
    "points": "Điểm tích lũy",  # a customer's loyalty points (pos/customers/services.py)
}


class Shift(SQLModel, table=True):
    """A cashier's shift at the till, from the opening float to the counted drawer."""

    id: int | None = Field(default=None, primary_key=True)
    uuid: UUID = Field(default_factory=uuid4, unique=True, index=True)
    cashier_id: int = Field(foreign_key="user.id", index=True)
    till_id: int | None = Field(default=None, foreign_key="till.id", index=True)  # the drawer counted
    status: str = Field(default="open", max_length=10, index=True)  # open, closed
    opened_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    opening_float_vnd: int = Field(default=0)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    counted_cash_vnd: int | None = None
    count_detail: str = Field(default="", max_length=2000)  # JSON {note value: count}
    expected_cash_vnd: int | None = None
    difference_vnd: int | None = None
    signed_off_by_id: int | None = Field(default=None, foreign_key="user.id")
    z_report: str = Field(default="")  # JSON frozen at close; the Z report PDF is drawn from it


class CashMovement(SQLModel, table=True):
    """Cash put into or taken out of the drawer during a shift, with a reason."""

    id: int | None = Field(default=None, primary_key=True)
    uuid: UUID = Field(default_factory=uuid4, unique=True, index=True)
    shift_id: int = Field(foreign_key="shift.id", index=True)
    kind: str = Field(max_length=4)  # in, out
    amount_vnd: int
    reason: str = Field(max_length=200)
    created_by_id: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Sale(SQLModel, table=True):
    """A completed sale; lines keep the name, price and VAT rate as they were at the moment of sale."""

    # Reports select a period's sales by time and status without reading the table.
    __table_args__ = (Index("ix_sale_period", "created_at", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    uuid: UUID = Field(default_factory=uuid4, unique=True, index=True)
    receipt_number: str = Field(max_length=40, unique=True, index=True)
    idempotency_key: str = Field(max_length=64, unique=True)
    cart_id: int | None = None  # the cart it was sold from (gone since): its key serves no other cart
    shift_id: int = Field(foreign_key="shift.id", index=True)
    cashier_id: int = Field(foreign_key="user.id", index=True)
    status: str = Field(default="completed", max_length=10, index=True)  # completed, voided
    subtotal_vnd: int
    line_discount_vnd: int = Field(default=0)
    sale_discount_vnd: int = Field(default=0)
    total_vnd: int
    vat_vnd: int = Field(default=0)
    discount_approved_by_id: int | None = Field(default=None, foreign_key="user.id")  # the sale's or a line's
    sale_discount_approved_by_id: int | None = Field(default=None, foreign_key="user.id")
    reprint_count: int = Field(default=0)
    receipt_language: str = Field(default="vi", max_length=5)  # vi, en, vi+en: reprints and refunds follow it
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    voided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    voided_by_id: int | None = Field(default=None, foreign_key="user.id")
    void_reason: str = Field(default="", max_length=200)


class SaleLine(SQLModel, table=True):
    """One product on a sale, frozen as sold."""

    # Covering index for reports: a year's lines are summed from the index alone, never the table rows.
    __table_args__ = (
        Index(
            "ix_saleline_report",
            "sale_id",
            "product_id",
            "producer_id",
            "qty",
            "unit_price_vnd",
            "discount_vnd",
            "total_vnd",
            "unit_cost_vnd",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    sale_id: int = Field(foreign_key="sale.id", index=True)
    line_no: int
    product_id: int = Field(foreign_key="product.id", index=True)
    producer_id: int = Field(foreign_key="producer.id", index=True)
    name: str = Field(max_length=200)
    sku: str = Field(max_length=40)
    barcode: str | None = Field(default=None, max_length=14)
    unit: str = Field(default="cái", max_length=20)
    sold_by: str = Field(default="piece", max_length=10)  # "weight": qty in grams, unit_price_vnd per kg
    qty: int
    unit_price_vnd: int
    discount_vnd: int = Field(default=0)  # line discount plus its share of the sale discount
    total_vnd: int
    vat_rate_bp: int
    vat_vnd: int
    vat_class: str = Field(default="standard", max_length=12)  # the product's, when sold: KCT is not 0 %
    unit_cost_vnd: int = Field(default=0)
    discount_approved_by_id: int | None = Field(default=None, foreign_key="user.id")  # the line discount's


class Payment(SQLModel, table=True):
    """Money taken for a sale by one method; a split payment has several."""

    id: int | None = Field(default=None, primary_key=True)
    sale_id: int = Field(foreign_key="sale.id", index=True)
    method: str = Field(max_length=10)
    amount_vnd: int
    tendered_vnd: int | None = None
    change_vnd: int | None = None
    reference: str = Field(default="", max_length=80)


class SaleReturn(SQLModel, table=True):
    """Goods a customer brings back against a receipt, and the refund given."""

    id: int | None = Field(default=None, primary_key=True)
    uuid: UUID = Field(default_factory=uuid4, unique=True, index=True)
    return_number: str = Field(max_length=40, unique=True, index=True)
    idempotency_key: str = Field(max_length=64, unique=True)
    sale_id: int = Field(foreign_key="sale.id", index=True)
    shift_id: int = Field(foreign_key="shift.id", index=True)
    cashier_id: int = Field(foreign_key="user.id")
    refund_method: str = Field(max_length=10)
    total_vnd: int
    reason: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class ReturnLine(SQLModel, table=True):
    """A quantity of one sale line brought back."""

    id: int | None = Field(default=None, primary_key=True)
    return_id: int = Field(foreign_key="salereturn.id", index=True)
    sale_line_id: int = Field(foreign_key="saleline.id", index=True)
    qty: int
    amount_vnd: int


class Cart(SQLModel, table=True):
    """The sale being rung up at a till, kept server-side so a reload or a crash loses nothing."""

    id: int | None = Field(default=None, primary_key=True)
    uuid: UUID = Field(default_factory=uuid4, unique=True, index=True)
    cashier_id: int = Field(foreign_key="user.id", index=True)
    status: str = Field(default="active", max_length=10, index=True)  # active, parked
    label: str = Field(default="", max_length=80)
    discount_kind: str = Field(default="", max_length=8)  # "", percent, amount
    discount_value: int = Field(default=0)  # basis points or đồng
    discount_approved_by_id: int | None = Field(default=None, foreign_key="user.id")
    # What the approval covered: the discount's base and amount then (pos/sales/discounts.py re-checks them).
    discount_approved_base_vnd: int | None = None
    discount_approved_vnd: int | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CartLine(SQLModel, table=True):
    """A product in a cart."""

    id: int | None = Field(default=None, primary_key=True)
    cart_id: int = Field(foreign_key="cart.id", index=True)
    product_id: int = Field(foreign_key="product.id")
    lot_id: int | None = Field(default=None, foreign_key="lot.id")  # the lot the cashier chose; None: FEFO
    qty: int
    discount_kind: str = Field(default="", max_length=8)
    discount_value: int = Field(default=0)
    discount_approved_by_id: int | None = Field(default=None, foreign_key="user.id")
    # What the approval covered: the discount's base and amount then (pos/sales/discounts.py re-checks them).
    discount_approved_base_vnd: int | None = None
    discount_approved_vnd: int | None = None
