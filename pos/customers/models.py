"""Customers, the cart a customer is attached to, a sale's customer and the points ledger."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import CheckConstraint
from sqlmodel import Field, SQLModel

from pos.db import UTCDateTime, utcnow


class Customer(SQLModel, table=True):
    """A customer known by phone; only what a receipt, an invoice and the points need. Erased: no personal data."""

    # The database itself refuses a negative balance, whatever two tills do at once.
    __table_args__ = (CheckConstraint("points >= 0", name="ck_customer_points_not_negative"),)

    id: int | None = Field(default=None, primary_key=True)
    uuid: UUID = Field(default_factory=uuid4, unique=True, index=True)
    phone: str | None = Field(default=None, max_length=15, unique=True, index=True)  # digits only, 0xxxxxxxxx
    name: str = Field(default="", max_length=120)
    company_name: str = Field(default="", max_length=200)
    tax_code: str = Field(default="", max_length=20)
    address: str = Field(default="", max_length=250)
    points: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    erased_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class CartCustomer(SQLModel, table=True):
    """The customer a cart at the till is for, and the points they want to use on it."""

    cart_id: int = Field(foreign_key="cart.id", primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)


class LoyaltyEntry(SQLModel, table=True):
    """One change of a customer's points: earned on a sale, used on a sale, taken back on a return."""

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    sale_id: int | None = Field(default=None, foreign_key="sale.id", index=True)
    return_id: int | None = Field(default=None, foreign_key="salereturn.id")
    kind: str = Field(max_length=10)  # earn, redeem, return
    points: int  # signed
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SaleCustomer(SQLModel, table=True):
    """The customer a sale was made for."""

    sale_id: int = Field(foreign_key="sale.id", primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
