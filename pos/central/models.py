"""The central server's tables, on a MetaData of their own (PostgreSQL).

Three families:

* who may push: ``showroom``, ``showroom_credential`` (a derived key, never the secret), ``sync_nonce``;
* what arrived: ``sync_record`` (every outbox record exactly once, unique per showroom and sequence
  number), ``sync_batch`` (each accepted push body once, compressed: the records' payloads as sent) and
  ``sync_log`` (one row per accepted push);
* what the office queries, materialised from those records: ``producer``, ``product`` and
  ``showroom_product`` (the showroom's own SKU and price), ``sale``, ``sale_line``, ``payment``,
  ``sale_return``, ``return_line``, ``sale_void``, ``shift_close`` (with the reconciliation check),
  ``intake``, ``intake_line``, ``stock_movement``, ``audit_entry``, ``staff_name`` (who a username is);
* the office's own: the shared catalogue (``catalog_producer``, ``catalog_product``, ``catalog_state``),
  ``central_user`` and ``office_audit``.

Conventions: money is BIGINT đồng (``*_vnd``), rates are basis points, times are ``timestamptz``; a sale's
local business day is kept in ``sold_on`` (the showroom's time zone) so reports by day use an index (one per
showroom and day, and one by day alone for the reports over all showrooms).
Entities from showrooms keep their showroom UUID as identity; a product or producer that a sale refers to
before its own record arrives is created as a stub (``is_stub``) and filled in when the record comes.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import (
    BigInteger,
    Column,
    Computed,
    DateTime,
    ForeignKey,
    Index,
    LargeBinary,
    PrimaryKeyConstraint,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from pos.db import utcnow

central_registry = registry()


class CentralModel(SQLModel, registry=central_registry):
    """Base of every central table: a MetaData of its own, so showroom and central schemas never mix."""


metadata = central_registry.metadata

TZ = DateTime(timezone=True)

CENTRAL_ROLES: dict[str, str] = {
    "manager": "Cán bộ văn phòng trung tâm",
    "admin": "Quản trị hệ thống",
}
CENTRAL_ROLE_RANK = {"manager": 2, "admin": 3}

CHECK_STATUSES: dict[str, str] = {
    "ok": "Khớp",
    "mismatch": "Không khớp",
    "incomplete": "Chưa đủ dữ liệu",
}


def _bigint_fk(target: str, *, nullable: bool = False, index: bool = True) -> Any:
    """A BIGINT foreign key column (for the tables that grow by millions of rows)."""
    return Field(
        default=None if nullable else ...,
        sa_column=Column(BigInteger, ForeignKey(target), nullable=nullable, index=index),
    )


def _money(default: int | None = 0) -> Any:
    return Field(default=default, sa_type=BigInteger)


# --- Showrooms and their credentials ----------------------------------------------------------------------


class Showroom(CentralModel, table=True):
    """A showroom registered with the central office; ``last_*`` are kept by every accepted push."""

    __tablename__ = "showroom"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=20, unique=True, index=True)
    name: str = Field(max_length=200)
    district: str = Field(default="", max_length=80)
    province: str = Field(default="", max_length=80, index=True)
    address: str = Field(default="", max_length=250)
    is_active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=TZ)
    last_push_at: datetime | None = Field(default=None, sa_type=TZ)
    last_seq: int = Field(default=0, sa_type=BigInteger)  # highest sequence number held
    records_received: int = Field(default=0, sa_type=BigInteger)
    # The catalogue revision of the last complete pull served (its last page): what the office says it received.
    catalog_sent_revision: int = Field(default=0, sa_type=BigInteger, sa_column_kwargs={"server_default": "0"})


class ShowroomCredential(CentralModel, table=True):
    """A showroom's signing key K = HMAC-SHA256(secret, "ocop-sync-v1|" + code); the secret itself is never kept.

    At most one credential of a showroom is live (``revoked_at`` empty); rotating revokes the old one.
    """

    __tablename__ = "showroom_credential"

    id: int | None = Field(default=None, primary_key=True)
    showroom_id: int = Field(foreign_key="showroom.id", index=True)
    key_id: str = Field(max_length=16)  # short fingerprint shown to people, never enough to sign
    verifier: str = Field(max_length=64)  # hex K
    created_at: datetime = Field(default_factory=utcnow, sa_type=TZ)
    created_by: str = Field(default="", max_length=60)
    revoked_at: datetime | None = Field(default=None, sa_type=TZ)
    revoked_by: str = Field(default="", max_length=60)


class SyncNonce(CentralModel, table=True):
    """A signed request already seen; a second request with the same nonce is refused as a replay."""

    __tablename__ = "sync_nonce"

    showroom_id: int = Field(foreign_key="showroom.id", primary_key=True)
    nonce: str = Field(max_length=64, primary_key=True)
    seen_at: datetime = Field(default_factory=utcnow, sa_type=TZ, index=True)


class SyncRecord(CentralModel, table=True):
    """One outbox record, stored exactly once per (showroom, seq): its payload is in the batch it came in.

    ``batch_id`` names the ``sync_batch`` whose body holds the payload as sent (pos/central/batches.py); rows
    stored before batches were kept carry the payload itself in ``payload`` (JSONB) and no batch.
    """

    __tablename__ = "sync_record"
    __table_args__ = (UniqueConstraint("showroom_id", "seq", name="uq_sync_record_showroom_seq"),)

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    showroom_id: int  # no foreign key (a check per record): see INGEST_REFERENCES in pos/central/ingest.py
    seq: int = Field(sa_type=BigInteger)
    kind: str = Field(max_length=30)
    entity_uuid: UUID
    payload: dict[str, Any] | None = Field(default=None, sa_type=JSONB)
    batch_id: int | None = Field(default=None, sa_type=BigInteger)
    created_at: datetime = Field(sa_type=TZ)  # when the showroom wrote it
    received_at: datetime = Field(default_factory=utcnow, sa_type=TZ)


class SyncBatch(CentralModel, table=True):
    """One accepted push body, kept once as it came (gzip), for the payloads of the records it brought."""

    __tablename__ = "sync_batch"
    __table_args__ = (Index("ix_sync_batch_showroom_at", "showroom_id", "received_at"),)

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    showroom_id: int = Field(foreign_key="showroom.id")
    received_at: datetime = Field(default_factory=utcnow, sa_type=TZ)
    first_seq: int = Field(sa_type=BigInteger)
    last_seq: int = Field(sa_type=BigInteger)
    records: int
    body: bytes = Field(sa_type=LargeBinary)  # gzip of the JSON body (the bytes the showroom signed, when gzip)


class SyncLog(CentralModel, table=True):
    """One accepted push: how many records came, how many were new."""

    __tablename__ = "sync_log"
    __table_args__ = (Index("ix_sync_log_showroom_at", "showroom_id", "at"),)

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    showroom_id: int = Field(foreign_key="showroom.id")
    at: datetime = Field(default_factory=utcnow, sa_type=TZ)
    first_seq: int = Field(sa_type=BigInteger)
    last_seq: int = Field(sa_type=BigInteger)
    records: int
    new_records: int
    duplicates: int
    body_bytes: int = Field(default=0)
    remote_addr: str = Field(default="", max_length=64)


ISSUE_PROBLEMS: dict[str, str] = {
    "uuid_collision": "Trùng mã UUID với bản ghi của cửa hàng khác",
    "foreign_reference": "Tham chiếu bản ghi của cửa hàng khác",
    "unknown_reference": "Tham chiếu bản ghi trung tâm chưa có",
    "inconsistent": "Số liệu không khớp nhau",
    "resent_differs": "Gửi lại cùng số thứ tự nhưng nội dung khác",
    "clock": "Thời điểm bán đáng ngờ",
    "second_receipt": "Phiếu chuyển kho đã có biên nhận; biên nhận thứ hai không được ghi",
}
# The record was not counted:
HELD_PROBLEMS = {"foreign_reference", "unknown_reference", "inconsistent", "second_receipt"}


class SyncIssue(CentralModel, table=True):
    """Something about an arriving record the office must see: held aside (never counted) or only flagged.

    A held record stays in ``sync_record`` (acknowledged, so the showroom's queue moves on) but is not
    materialised into the office's tables; ``problem`` is a key of ISSUE_PROBLEMS, ``detail`` says what
    was found (the other showroom, the figures that disagree).
    """

    __tablename__ = "sync_issue"
    __table_args__ = (Index("ix_sync_issue_showroom_at", "showroom_id", "at"),)

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    showroom_id: int = Field(foreign_key="showroom.id")
    seq: int = Field(sa_type=BigInteger)
    kind: str = Field(max_length=30)
    entity_uuid: UUID
    problem: str = Field(max_length=20, index=True)
    is_held: bool = Field(default=False)  # not counted in the office's figures
    other_showroom_id: int | None = Field(default=None, foreign_key="showroom.id")
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JSONB)
    at: datetime = Field(default_factory=utcnow, sa_type=TZ)


# --- The shared catalogue (kept by the office) ---------------------------------------------------------------


class CatalogState(CentralModel, table=True):
    """A single row: the catalogue's revision, bumped by every change (showrooms pull ``since`` one)."""

    __tablename__ = "catalog_state"

    id: int = Field(default=1, primary_key=True)
    revision: int = Field(default=0, sa_type=BigInteger)


class CatalogProducer(CentralModel, table=True):
    """A producer in the shared catalogue."""

    __tablename__ = "catalog_producer"

    id: int | None = Field(default=None, primary_key=True)
    uuid: UUID = Field(default_factory=uuid4, unique=True, index=True)
    name: str = Field(max_length=200)
    name_search: str = Field(default="", max_length=200, index=True)
    kind: str = Field(default="htx", max_length=10)
    tax_code: str | None = Field(default=None, max_length=20)
    province: str = Field(default="", max_length=80)
    district: str = Field(default="", max_length=80)
    address: str = Field(default="", max_length=250)
    phone: str = Field(default="", max_length=30)
    is_active: bool = Field(default=True)
    revision: int = Field(default=0, sa_type=BigInteger, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=TZ)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=TZ)


class CatalogProduct(CentralModel, table=True):
    """A product in the shared catalogue: barcode, OCOP stars and certificate, suggested price."""

    __tablename__ = "catalog_product"

    id: int | None = Field(default=None, primary_key=True)
    uuid: UUID = Field(default_factory=uuid4, unique=True, index=True)
    producer_id: int = Field(foreign_key="catalog_producer.id", index=True)
    sku: str = Field(max_length=40, unique=True)
    barcode: str | None = Field(default=None, max_length=14, unique=True)
    name: str = Field(max_length=200)
    name_search: str = Field(default="", max_length=200, index=True)
    unit: str = Field(default="cái", max_length=20)
    vat_class: str = Field(default="standard", max_length=12)
    ocop_group: str = Field(default="thuc_pham", max_length=20)
    ocop_stars: int | None = None
    ocop_cert_number: str = Field(default="", max_length=60)
    ocop_cert_expiry: date | None = None
    suggested_price_vnd: int = _money()
    is_food: bool = Field(default=False)
    is_active: bool = Field(default=True)
    revision: int = Field(default=0, sa_type=BigInteger, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=TZ)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=TZ)


# --- Producers and products as the showrooms report them ----------------------------------------------------


class Producer(CentralModel, table=True):
    """A producer as showrooms report it (one row per UUID, latest record wins)."""

    __tablename__ = "producer"
    __table_args__ = (UniqueConstraint("first_showroom_id", "uuid", name="uq_producer_showroom_uuid"),)

    id: int | None = Field(default=None, primary_key=True)
    uuid: UUID = Field(index=True)
    name: str = Field(max_length=200)
    # Folded once, when written (migration 0022): the office's accent-insensitive filters read it.
    name_folded: str | None = Field(default=None, sa_column=Column(Text, Computed("fold_text(name)", persisted=True)))
    kind: str = Field(default="", max_length=10)
    tax_code: str | None = Field(default=None, max_length=20)
    province: str = Field(default="", max_length=80, index=True)
    district: str = Field(default="", max_length=80)
    phone: str = Field(default="", max_length=30)
    commission_bp: int = Field(default=0)
    is_active: bool = Field(default=True)
    is_stub: bool = Field(default=False)  # known only from a sale line so far
    catalog_producer_id: int | None = Field(default=None, foreign_key="catalog_producer.id", index=True)
    first_showroom_id: int = Field(foreign_key="showroom.id")  # the showroom that reported it, and owns it
    updated_at: datetime = Field(default_factory=utcnow, sa_type=TZ)


class Product(CentralModel, table=True):
    """A product as showrooms report it; ``catalog_product_id`` links it to the shared catalogue."""

    __tablename__ = "product"
    __table_args__ = (UniqueConstraint("first_showroom_id", "uuid", name="uq_product_showroom_uuid"),)

    id: int | None = Field(default=None, primary_key=True)
    uuid: UUID = Field(index=True)
    producer_id: int | None = Field(default=None, foreign_key="producer.id", index=True)
    sku: str = Field(default="", max_length=40)
    barcode: str | None = Field(default=None, max_length=14, index=True)  # in-store codes repeat across showrooms
    name: str = Field(max_length=200)
    # Folded once, when written (migration 0022): the office's accent-insensitive filters read it.
    name_folded: str | None = Field(default=None, sa_column=Column(Text, Computed("fold_text(name)", persisted=True)))
    unit: str = Field(default="", max_length=20)
    vat_class: str = Field(default="", max_length=12)
    ocop_group: str | None = Field(default=None, max_length=20, index=True)
    ocop_stars: int | None = Field(default=None, index=True)
    ocop_cert_number: str = Field(default="", max_length=60)
    ocop_cert_expiry: date | None = None
    is_active: bool = Field(default=True)
    is_stub: bool = Field(default=False)
    # "weight": the showroom counts it in grams and prices it per kg (pos/quantity.py); a stub takes its lines'
    sold_by: str = Field(default="piece", max_length=10, sa_column_kwargs={"server_default": "piece"})
    # Its story as the showroom tells it (pos/catalog/story.py): blank when none was told.
    name_en: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})
    description_vi: str = Field(default="", max_length=500, sa_column_kwargs={"server_default": ""})
    description_en: str = Field(default="", max_length=500, sa_column_kwargs={"server_default": ""})
    origin_commune: str = Field(default="", max_length=80, sa_column_kwargs={"server_default": ""})
    origin_district: str = Field(default="", max_length=80, sa_column_kwargs={"server_default": ""})
    origin_province: str = Field(default="", max_length=80, sa_column_kwargs={"server_default": ""})
    producer_story: str = Field(default="", max_length=2000, sa_column_kwargs={"server_default": ""})
    trace_url: str = Field(default="", max_length=500, sa_column_kwargs={"server_default": ""})
    catalog_product_id: int | None = Field(default=None, foreign_key="catalog_product.id", index=True)
    link_revision: int = Field(default=0, sa_type=BigInteger, index=True)  # catalogue revision of the link
    first_showroom_id: int = Field(foreign_key="showroom.id")  # the showroom that reported it, and owns it
    updated_at: datetime = Field(default_factory=utcnow, sa_type=TZ)


class ShowroomProduct(CentralModel, table=True):
    """What one showroom calls a product and what it charges for it."""

    __tablename__ = "showroom_product"

    showroom_id: int = Field(foreign_key="showroom.id", primary_key=True)
    product_id: int = Field(foreign_key="product.id", primary_key=True, index=True)
    sku: str = Field(default="", max_length=40)
    name: str = Field(default="", max_length=200)
    price_vnd: int = _money()
    is_active: bool = Field(default=True)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=TZ)


# --- Sales, returns, voids and shifts --------------------------------------------------------------------------


class Sale(CentralModel, table=True):
    """A completed sale as its receipt showed it; ``status`` becomes voided when its void arrives."""

    __tablename__ = "sale"
    __table_args__ = (
        UniqueConstraint("showroom_id", "uuid", name="uq_sale_showroom_uuid"),
        Index("ix_sale_showroom_sold_on", "showroom_id", "sold_on"),
        Index("ix_sale_showroom_receipt", "showroom_id", "receipt_number"),
        Index("ix_sale_sold_on_created_at", "sold_on", "created_at"),  # all-showroom reports by day
        # A customer's purchases: only the sales that name a customer are in it.
        Index(
            "ix_sale_showroom_customer",
            "showroom_id",
            "customer_uuid",
            postgresql_where=text("customer_uuid IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    uuid: UUID = Field(index=True)
    showroom_id: int  # no foreign key (a check per sale): see INGEST_REFERENCES in pos/central/ingest.py
    seq: int = Field(sa_type=BigInteger)
    receipt_number: str = Field(max_length=40)
    shift_uuid: UUID = Field(index=True)
    cashier: str = Field(max_length=60)
    created_at: datetime = Field(sa_type=TZ)
    sold_on: date  # the showroom's local day
    status: str = Field(default="completed", max_length=10)
    subtotal_vnd: int = _money()
    line_discount_vnd: int = _money()
    sale_discount_vnd: int = _money()
    total_vnd: int = _money()
    vat_vnd: int = _money()
    discount_approved_by: str | None = Field(default=None, max_length=60)
    voided_at: datetime | None = Field(default=None, sa_type=TZ)
    voided_by: str | None = Field(default=None, max_length=60)
    void_reason: str = Field(default="", max_length=200)
    # The showroom's customer (customer.uuid of the same showroom), sent only where the showroom sends customers.
    customer_uuid: UUID | None = None


class SaleLine(CentralModel, table=True):
    """One line of a sale, with the product's OCOP stars and group as known when it arrived."""

    __tablename__ = "sale_line"
    __table_args__ = (
        UniqueConstraint("sale_id", "line_no", name="uq_sale_line_sale_line_no"),
        Index("ix_sale_line_showroom_sold_on", "showroom_id", "sold_on"),
        Index("ix_sale_line_sold_on", "sold_on"),
        # The lines still waiting for their product's record to give them stars (migration 0023).
        Index("ix_sale_line_unrated", "product_id", postgresql_where=text("ocop_group IS NULL")),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    sale_id: int = Field(sa_type=BigInteger)  # no foreign keys on the line tables: see INGEST_REFERENCES
    showroom_id: int
    sold_on: date
    line_no: int
    product_id: int = Field(index=True)
    producer_id: int = Field(index=True)
    name: str = Field(max_length=200)
    sku: str = Field(max_length=40)
    barcode: str | None = Field(default=None, max_length=14)
    unit: str = Field(default="", max_length=20)
    qty: int
    unit_price_vnd: int = _money()
    discount_vnd: int = _money()
    total_vnd: int = _money()
    vat_rate_bp: int
    vat_vnd: int = _money()
    ocop_stars: int | None = None
    ocop_group: str | None = Field(default=None, max_length=20)
    is_voided: bool = Field(default=False)
    # The central promotion that priced it (sale version 5): its UUID, its part of ``discount_vnd`` and who bears
    # it. NULL on every other line (no promotion, a showroom's own, or sent before version 5): a NULL costs a line
    # nothing, so the year's lines stay as long as they were.
    promotion_uuid: UUID | None = None
    promotion_discount_vnd: int | None = _money(None)
    promotion_borne_by: str | None = Field(default=None, max_length=10)


class Payment(CentralModel, table=True):
    """Money taken for a sale by one method."""

    __tablename__ = "payment"

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    sale_id: int = Field(sa_type=BigInteger, index=True)  # no foreign keys: see INGEST_REFERENCES
    showroom_id: int
    method: str = Field(max_length=10)
    amount_vnd: int = _money()
    tendered_vnd: int | None = _money(None)
    change_vnd: int | None = _money(None)
    reference: str = Field(default="", max_length=80)


class SaleVoid(CentralModel, table=True):
    """A sale cancelled by a manager (one per sale)."""

    __tablename__ = "sale_void"
    __table_args__ = (UniqueConstraint("showroom_id", "sale_uuid", name="uq_sale_void_showroom_sale_uuid"),)

    id: int | None = Field(default=None, primary_key=True)
    sale_uuid: UUID = Field(index=True)
    showroom_id: int = Field(foreign_key="showroom.id", index=True)
    seq: int = Field(sa_type=BigInteger)
    receipt_number: str = Field(max_length=40)
    voided_at: datetime = Field(sa_type=TZ)
    voided_by: str = Field(max_length=60)
    reason: str = Field(default="", max_length=200)


class SaleReturn(CentralModel, table=True):
    """Goods brought back against a receipt, and the refund."""

    __tablename__ = "sale_return"
    __table_args__ = (
        UniqueConstraint("showroom_id", "uuid", name="uq_sale_return_showroom_uuid"),
        Index("ix_sale_return_showroom_returned_on", "showroom_id", "returned_on"),
        Index("ix_sale_return_returned_on", "returned_on"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    uuid: UUID = Field(index=True)
    showroom_id: int = Field(foreign_key="showroom.id")
    seq: int = Field(sa_type=BigInteger)
    return_number: str = Field(max_length=40)
    sale_uuid: UUID = Field(index=True)
    sale_id: int | None = _bigint_fk("sale.id", nullable=True)
    shift_uuid: UUID = Field(index=True)
    cashier: str = Field(max_length=60)
    created_at: datetime = Field(sa_type=TZ)
    returned_on: date
    refund_method: str = Field(max_length=10)
    total_vnd: int = _money()
    reason: str = Field(default="", max_length=200)


class ReturnLine(CentralModel, table=True):
    """A quantity of one sale line brought back."""

    __tablename__ = "return_line"

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    return_id: int = _bigint_fk("sale_return.id")
    sale_line_no: int
    product_id: int | None = Field(default=None, foreign_key="product.id", index=True)
    qty: int
    amount_vnd: int = _money()


class ShiftClose(CentralModel, table=True):
    """A closed shift with the showroom's own totals (its Z report) and the central server's check of them.

    ``check_status``: ok (what central holds adds up to the showroom's totals), mismatch (it is all there but
    a figure differs), incomplete (a sale or return of the shift has not arrived); ``check_detail`` names
    each figure that differs with both values, and the missing UUIDs.
    """

    __tablename__ = "shift_close"
    __table_args__ = (
        UniqueConstraint("showroom_id", "uuid", name="uq_shift_close_showroom_uuid"),
        Index("ix_shift_close_showroom_closed_on", "showroom_id", "closed_on"),
        Index("ix_shift_close_closed_on", "closed_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    uuid: UUID = Field(index=True)
    showroom_id: int = Field(foreign_key="showroom.id")
    seq: int = Field(sa_type=BigInteger)
    cashier: str = Field(max_length=60)
    till: str = Field(default="", max_length=10)  # the showroom's till (drawer): Q1, Q2 ...
    opened_at: datetime = Field(sa_type=TZ)
    closed_at: datetime = Field(sa_type=TZ)
    closed_on: date
    opening_float_vnd: int = _money()
    sales_count: int
    sales_total_vnd: int = _money()
    refunds_total_vnd: int = _money()
    voids_count: int
    discounts_vnd: int = _money()
    payments_by_method: dict[str, int] = Field(sa_type=JSONB)
    cash_in_vnd: int = _money()
    cash_out_vnd: int = _money()
    expected_cash_vnd: int = _money()
    counted_cash_vnd: int = _money()
    difference_vnd: int = _money()
    sale_uuids: list[str] = Field(sa_type=JSONB)
    return_uuids: list[str] = Field(sa_type=JSONB)
    check_status: str = Field(default="incomplete", max_length=12, index=True)
    check_detail: dict[str, Any] = Field(default_factory=dict, sa_type=JSONB)
    checked_at: datetime | None = Field(default=None, sa_type=TZ)


class StaffName(CentralModel, table=True):
    """A showroom's staff member as the office shows them: the username the records carry, and the full name.

    Kept from the records that carry both (sales, returns, voids, shift closes since their versions 2–3), the
    newest seq winning, so one rename shows on every page; a username with no row is shown as it is.
    """

    __tablename__ = "staff_name"
    __table_args__ = (PrimaryKeyConstraint("showroom_id", "username", name="pk_staff_name"),)

    showroom_id: int = Field(foreign_key="showroom.id")
    username: str = Field(max_length=60)
    full_name: str = Field(max_length=120)
    seq: int = Field(sa_type=BigInteger)  # the record that last named them


# --- Stock ------------------------------------------------------------------------------------------------------


class Intake(CentralModel, table=True):
    """A delivery a showroom received from a producer."""

    __tablename__ = "intake"
    __table_args__ = (UniqueConstraint("showroom_id", "uuid", name="uq_intake_showroom_uuid"),)

    id: int | None = Field(default=None, primary_key=True)
    uuid: UUID = Field(index=True)
    showroom_id: int = Field(foreign_key="showroom.id", index=True)
    seq: int = Field(sa_type=BigInteger)
    producer_id: int = Field(foreign_key="producer.id", index=True)
    received_on: date
    delivery_note_number: str = Field(default="", max_length=60)
    created_by: str | None = Field(default=None, max_length=60)
    created_at: datetime = Field(sa_type=TZ)


class IntakeLine(CentralModel, table=True):
    """A product received in an intake."""

    __tablename__ = "intake_line"

    id: int | None = Field(default=None, primary_key=True)
    intake_id: int = Field(foreign_key="intake.id", index=True)
    line_no: int
    product_id: int = Field(foreign_key="product.id", index=True)
    qty: int
    unit_cost_vnd: int = _money()
    lot_code: str = Field(default="", max_length=60)
    expiry_date: date | None = None


class StockMovement(CentralModel, table=True):
    """A stock adjustment, count or return to producer at a showroom."""

    __tablename__ = "stock_movement"
    __table_args__ = (UniqueConstraint("showroom_id", "uuid", name="uq_stock_movement_showroom_uuid"),)

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    uuid: UUID = Field(index=True)
    showroom_id: int = Field(foreign_key="showroom.id", index=True)
    seq: int = Field(sa_type=BigInteger)
    product_id: int = Field(foreign_key="product.id", index=True)
    kind: str = Field(max_length=20)
    qty_delta: int
    reason: str = Field(default="", max_length=20)
    note: str = Field(default="", max_length=500)
    created_by: str | None = Field(default=None, max_length=60)
    created_at: datetime = Field(sa_type=TZ)


class AuditEntry(CentralModel, table=True):
    """A showroom's audit log entry (who did what, when)."""

    __tablename__ = "audit_entry"
    __table_args__ = (
        UniqueConstraint("showroom_id", "uuid", name="uq_audit_entry_showroom_uuid"),
        Index("ix_audit_entry_showroom_at", "showroom_id", "at"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    uuid: UUID = Field(index=True)
    showroom_id: int = Field(foreign_key="showroom.id")
    seq: int = Field(sa_type=BigInteger)
    at: datetime = Field(sa_type=TZ)
    username: str | None = Field(default=None, max_length=60)
    action: str = Field(max_length=40)
    entity: str = Field(default="", max_length=40)
    entity_id: str = Field(default="", max_length=40)
    before: str = Field(default="")
    after: str = Field(default="")


# --- The office's own ---------------------------------------------------------------------------------------------


class CentralUser(CentralModel, table=True):
    """A central-office login; every central user sees all showrooms, an admin also manages credentials."""

    __tablename__ = "central_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=60, unique=True, index=True)
    full_name: str = Field(max_length=120)
    role: str = Field(default="manager", max_length=12)
    password_hash: str = Field(max_length=255)
    is_active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=TZ)

    # Flask-Login's interface
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)

    def has_role(self, role: str) -> bool:
        """Whether this user's role is at least ``role``; a showroom role name maps to the nearest one."""
        wanted = CENTRAL_ROLE_RANK.get(role, 2 if role in ("cashier", "manager") else 3)
        return CENTRAL_ROLE_RANK.get(self.role, 0) >= wanted


class OfficeAudit(CentralModel, table=True):
    """What the central office did: showrooms registered, credentials rotated or revoked, links made."""

    __tablename__ = "office_audit"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=TZ, index=True)
    username: str = Field(default="", max_length=60)
    action: str = Field(max_length=40)
    entity: str = Field(default="", max_length=40)
    entity_id: str = Field(default="", max_length=60)
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JSONB)


# --- Summaries the office reads (kept by pos/central/summaries.py in each push's transaction) -------------------


def _count() -> Any:
    return Field(default=0)


class SummaryShowroomDay(CentralModel, table=True):
    """One showroom's sales, voids and returns of one local day, from the sale and return headers.

    Sales count on their ``sold_on``, returns on their ``returned_on`` (none against a voided sale);
    ``returned_sales`` counts the day's sales that have any return at all (the sales list's filter).
    """

    __tablename__ = "summary_showroom_day"
    __table_args__ = (Index("ix_summary_showroom_day_day", "day"),)

    showroom_id: int = Field(primary_key=True)
    day: date = Field(primary_key=True)
    sales: int = _count()
    gross_vnd: int = _money()
    discount_vnd: int = _money()
    sales_vnd: int = _money()
    vat_vnd: int = _money()
    voided: int = _count()
    voided_vnd: int = _money()
    returns: int = _count()
    refunds_vnd: int = _money()
    returned_sales: int = _count()


_PRODUCT_KEYS = ("product_id", "producer_id", "ocop_group", "ocop_stars")


class _ProductFigures(CentralModel):
    """What is summed per product: sale lines on their day, return lines (negative in net) on theirs.

    Unknown keys are 0 (ids, stars) or '' (group), so that every key column can be in the primary key.
    """

    showroom_id: int = Field(primary_key=True)
    product_id: int = Field(primary_key=True)
    producer_id: int = Field(primary_key=True)
    ocop_group: str = Field(primary_key=True, max_length=20)
    ocop_stars: int = Field(primary_key=True)
    lines: int = _count()
    qty_sold: int = Field(default=0, sa_type=BigInteger)  # pieces of goods sold by the piece
    qty_returned: int = Field(default=0, sa_type=BigInteger)
    grams_sold: int = Field(default=0, sa_type=BigInteger, sa_column_kwargs={"server_default": "0"})  # by weight
    grams_returned: int = Field(default=0, sa_type=BigInteger, sa_column_kwargs={"server_default": "0"})
    gross_vnd: int = _money()
    discount_vnd: int = _money()
    sales_vnd: int = _money()
    vat_vnd: int = _money()
    refunds_vnd: int = _money()


class SummaryProductDay(_ProductFigures, table=True):
    """Per local day, showroom, product and the producer, OCOP group and stars recorded on its lines."""

    __tablename__ = "summary_product_day"
    __table_args__ = (
        PrimaryKeyConstraint("showroom_id", "day", *_PRODUCT_KEYS, name="pk_summary_product_day"),
        Index("ix_summary_product_day_day", "day"),
        # The few rows of products known only from their lines so far, found when the product's record comes.
        Index("ix_summary_product_day_unknown", "product_id", postgresql_where=text("ocop_group = ''")),
    )

    day: date = Field(primary_key=True)


class SummaryProductMonth(_ProductFigures, table=True):
    """The same per calendar month (``month`` is its first day): a year's report reads twelve of these."""

    __tablename__ = "summary_product_month"
    __table_args__ = (
        PrimaryKeyConstraint("showroom_id", "month", *_PRODUCT_KEYS, name="pk_summary_product_month"),
        Index("ix_summary_product_month_month", "month"),
    )

    month: date = Field(primary_key=True)


class SummaryProductDekad(_ProductFigures, table=True):
    """The same per ten days (``dekad`` is its first day: the 1st, 11th or 21st, the last one to the month's end),
    so that a period's partial months are read as dekads plus at most nine days at either end."""

    __tablename__ = "summary_product_dekad"
    __table_args__ = (
        PrimaryKeyConstraint("showroom_id", "dekad", *_PRODUCT_KEYS, name="pk_summary_product_dekad"),
        Index("ix_summary_product_dekad_dekad", "dekad"),
    )

    dekad: date = Field(primary_key=True)


class SummaryPromotionDay(CentralModel, table=True):
    """What a central promotion did at one showroom on one local day: the lines it priced (on their sale's day)
    and what came back of them (on the return's day), the discount it gave net of the returned part, and that
    discount by who bears it. Kept with the other summaries (pos/central/summaries.py), read by promotion."""

    __tablename__ = "summary_promotion_day"
    __table_args__ = (
        PrimaryKeyConstraint("showroom_id", "day", "promotion_uuid", name="pk_summary_promotion_day"),
        Index("ix_summary_promotion_day_promotion", "promotion_uuid", "day"),
    )

    showroom_id: int = Field(primary_key=True)
    day: date = Field(primary_key=True)
    promotion_uuid: UUID = Field(primary_key=True)
    sales: int = _count()  # completed sales with a line it priced (a sale has one day: days add up)
    lines: int = _count()
    qty_sold: int = Field(default=0, sa_type=BigInteger)  # pieces of goods sold by the piece
    qty_returned: int = Field(default=0, sa_type=BigInteger)
    grams_sold: int = Field(default=0, sa_type=BigInteger)  # goods sold by weight, never added to the pieces
    grams_returned: int = Field(default=0, sa_type=BigInteger)
    sales_vnd: int = _money()  # the lines' totals, after the promotion and any other discount
    refunds_vnd: int = _money()
    discount_vnd: int = _money()  # what it took off, less the returned part (half-up, as the settlement)
    showroom_cost_vnd: int = _money()  # of that, borne by the showroom
    producer_cost_vnd: int = _money()  # and by the producer


# --- E-invoices ------------------------------------------------------------------------------------------------


class Invoice(CentralModel, table=True):
    """A showroom's e-invoice and its latest state (kind 'invoice' records, the newest seq winning)."""

    __tablename__ = "invoice"
    __table_args__ = (
        UniqueConstraint("showroom_id", "uuid", name="uq_invoice_showroom_uuid"),
        # Not unique: a showroom restored from an old backup must still be able to sync; the office lists repeats.
        Index("ix_invoice_showroom_issued_on", "showroom_id", "issued_on"),
        Index("ix_invoice_number", "showroom_id", "form", "symbol", "number"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    uuid: UUID
    showroom_id: int = Field(foreign_key="showroom.id")
    seq: int = Field(sa_type=BigInteger)  # the record that last changed it
    sale_uuid: UUID = Field(index=True)
    return_uuid: UUID | None = None
    original_uuid: UUID | None = None
    kind: str = Field(max_length=12)
    form: int
    symbol: str = Field(max_length=6)
    number: int
    mccqt: str = Field(max_length=23, index=True)
    issued_at: datetime = Field(sa_type=TZ)
    issued_on: date
    total_vnd: int = _money()
    vat_vnd: int = _money()
    payment_code: str = Field(max_length=8)
    buyer_name: str = Field(default="", max_length=400)
    buyer_tax_code: str = Field(default="", max_length=14)
    state: str = Field(max_length=10)
    reason: str = Field(default="", max_length=500)
    provider_number: str = Field(default="", max_length=40)
    lookup_code: str = Field(default="", max_length=60)
    updated_at: datetime = Field(sa_type=TZ)


class Customer(CentralModel, table=True):
    """A showroom's customer (kind 'customer' records, the newest seq winning), where the showroom sends them.

    Only what a company invoice needs; an erasure at the showroom blanks every personal field here too.
    """

    __tablename__ = "customer"
    __table_args__ = (UniqueConstraint("showroom_id", "uuid", name="uq_customer_showroom_uuid"),)

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    uuid: UUID
    showroom_id: int = Field(foreign_key="showroom.id")
    seq: int = Field(sa_type=BigInteger)  # the record that last changed it
    name: str = Field(default="", max_length=120)
    phone: str = Field(default="", max_length=15, index=True)
    company_name: str = Field(default="", max_length=200)
    tax_code: str = Field(default="", max_length=20)
    address: str = Field(default="", max_length=250)
    erased_at: datetime | None = Field(default=None, sa_type=TZ)
    updated_at: datetime = Field(sa_type=TZ)


# --- Stock across the network, transfers between showrooms, settlements ------------------------------------------


class StockLevel(CentralModel, table=True):
    """On hand per showroom and product, as the showroom's own ledger keeps it (kind 'stock_snapshot').

    ``seq`` is the snapshot record that last set it: a replayed or older snapshot never moves it back.
    """

    __tablename__ = "stock_level"
    __table_args__ = (PrimaryKeyConstraint("showroom_id", "product_id", name="pk_stock_level"),)

    showroom_id: int = Field(foreign_key="showroom.id")
    product_id: int = Field(foreign_key="product.id", index=True)
    qty: int
    seq: int = Field(sa_type=BigInteger)
    as_of: datetime = Field(sa_type=TZ)


class StockLot(CentralModel, table=True):
    """A lot on a showroom's shelf with its expiry date, what is left and whether it was recalled."""

    __tablename__ = "stock_lot"
    __table_args__ = (
        UniqueConstraint("showroom_id", "uuid", name="uq_stock_lot_showroom_uuid"),
        Index("ix_stock_lot_expiry", "expiry_date"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    uuid: UUID
    showroom_id: int = Field(foreign_key="showroom.id")
    product_id: int = Field(foreign_key="product.id", index=True)
    lot_code: str = Field(default="", max_length=60)
    expiry_date: date | None = None
    manufactured_on: date | None = None
    qty: int
    recalled_at: datetime | None = Field(default=None, sa_type=TZ)
    recall_reason: str = Field(default="", max_length=500)
    seq: int = Field(sa_type=BigInteger)
    as_of: datetime = Field(sa_type=TZ)


TRANSFER_STATUSES: dict[str, str] = {
    "in_transit": "Đang chuyển",
    "received": "Đã nhận đủ",
    "differences": "Đã nhận, có chênh lệch",
    "cancelled": "Đã hủy",
}


class Transfer(CentralModel, table=True):
    """A transfer note from one showroom to another: pushed by the sender, pulled by the receiver, closed by the
    receiver's receipt. ``revision`` orders every change for the showrooms' pulls (taken under a lock, so a
    pull never skips a change that commits later)."""

    __tablename__ = "transfer"
    __table_args__ = (Index("ix_transfer_to_code_revision", "to_showroom_code", "revision"),)

    id: int | None = Field(default=None, primary_key=True)
    uuid: UUID = Field(unique=True)
    number: str = Field(max_length=40)
    from_showroom_id: int = Field(foreign_key="showroom.id", index=True)
    to_showroom_code: str = Field(max_length=20)
    seq: int = Field(sa_type=BigInteger)
    status: str = Field(default="in_transit", max_length=12, index=True)
    created_at: datetime = Field(sa_type=TZ)
    created_by: str | None = Field(default=None, max_length=60)
    note: str = Field(default="", max_length=500)
    lines: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONB)  # as sent, then with what was received
    # Folded once, when written (migration 0022): the office's accent-insensitive filters read it.
    lines_folded: str | None = Field(
        default=None, sa_column=Column(Text, Computed("fold_text(lines::text)", persisted=True))
    )
    qty_sent: int = Field(default=0)
    qty_received: int | None = None
    received_at: datetime | None = Field(default=None, sa_type=TZ)
    received_by: str | None = Field(default=None, max_length=60)
    receipt_note: str = Field(default="", max_length=500)
    cancelled_at: datetime | None = Field(default=None, sa_type=TZ)  # the sender's cancel (kind 'transfer_cancel')
    cancelled_by: str | None = Field(default=None, max_length=60)
    cancel_reason: str = Field(default="", max_length=500)
    revision: int = Field(default=0, sa_type=BigInteger, index=True)


class Settlement(CentralModel, table=True):
    """A showroom's closed settlement with a producer, as frozen at the showroom (kind 'settlement')."""

    __tablename__ = "settlement"
    __table_args__ = (
        UniqueConstraint("showroom_id", "uuid", name="uq_settlement_showroom_uuid"),
        Index("ix_settlement_producer_period", "producer_id", "period_end"),
    )

    id: int | None = Field(default=None, primary_key=True)
    uuid: UUID
    showroom_id: int = Field(foreign_key="showroom.id", index=True)
    seq: int = Field(sa_type=BigInteger)
    number: str = Field(max_length=40)
    producer_id: int = Field(foreign_key="producer.id")
    period_start: date
    period_end: date
    status: str = Field(max_length=10)
    is_consignment: bool = Field(default=True)
    commission_bp: int = Field(default=0)
    net_sales_vnd: int = _money()
    commission_vnd: int = _money()
    amount_owed_vnd: int = _money()
    closed_at: datetime = Field(sa_type=TZ)
    closed_by: str | None = Field(default=None, max_length=60)
    paid_at: datetime | None = Field(default=None, sa_type=TZ)
    paid_reference: str = Field(default="", max_length=120)
    quantities: dict[str, Any] = Field(default_factory=dict, sa_type=JSONB)


# --- Promotions set at the central office (pulled by the chosen showrooms with the catalogue) ----------------------


class CentralPromotion(CentralModel, table=True):
    """A dated promotion for every showroom or a chosen list, with the kinds a showroom knows (pos/promotions).

    ``revision`` is the catalogue's (pos/central/catalog.py): every change is pulled with the catalogue.
    ``ever_all``: once set for every showroom, every showroom may hold it, so every one hears of later changes
    (to withdraw it where it no longer applies). ``ended_at``: ended at the office, for good.
    """

    __tablename__ = "central_promotion"

    id: int | None = Field(default=None, primary_key=True)
    uuid: UUID = Field(default_factory=uuid4, unique=True)
    name: str = Field(max_length=120)
    kind: str = Field(max_length=10)  # price, percent, bxgy, combo
    target: str = Field(default="product", max_length=10)  # product, producer, group, stars
    target_value: str = Field(default="", max_length=40)  # catalogue producer UUID, group code or stars
    percent_bp: int = Field(default=0)
    price_vnd: int = _money()
    buy_qty: int = Field(default=0)
    get_qty: int = Field(default=0)
    starts_at: datetime = Field(sa_type=TZ)
    ends_at: datetime = Field(sa_type=TZ)  # the start of its last minute
    borne_by: str = Field(default="showroom", max_length=10)
    all_showrooms: bool = Field(default=True)
    ever_all: bool = Field(default=False)
    ended_at: datetime | None = Field(default=None, sa_type=TZ)
    ended_by: str = Field(default="", max_length=60)
    revision: int = Field(default=0, sa_type=BigInteger, index=True)
    created_by: str = Field(default="", max_length=60)
    created_at: datetime = Field(default_factory=utcnow, sa_type=TZ)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=TZ)


class CentralPromotionItem(CentralModel, table=True):
    """A catalogue product a central promotion names (its products, or one item of a combination)."""

    __tablename__ = "central_promotion_item"

    id: int | None = Field(default=None, primary_key=True)
    promotion_id: int = Field(foreign_key="central_promotion.id", index=True)
    catalog_product_id: int = Field(foreign_key="catalog_product.id", index=True)
    qty: int = Field(default=1)


class CentralPromotionShowroom(CentralModel, table=True):
    """A showroom on a promotion's list; ``is_chosen`` false once taken off it (it still hears of the change)."""

    __tablename__ = "central_promotion_showroom"

    promotion_id: int = Field(foreign_key="central_promotion.id", primary_key=True)
    showroom_id: int = Field(foreign_key="showroom.id", primary_key=True, index=True)
    is_chosen: bool = Field(default=True)


class SettlementLine(CentralModel, table=True):
    """One product of a showroom's settlement (kind 'settlement' version 2): net quantity and amount in the
    period, its share of the commission, the promotion cost by who bears it. Frozen like the settlement."""

    __tablename__ = "settlement_line"
    __table_args__ = (UniqueConstraint("settlement_id", "line_no", name="uq_settlement_line_no"),)

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    settlement_id: int = Field(foreign_key="settlement.id")
    line_no: int
    product_uuid: UUID | None = None
    sku: str = Field(default="", max_length=40)
    name: str = Field(max_length=200)
    # Folded once, when written (migration 0022): the office's accent-insensitive filters read it.
    name_folded: str | None = Field(default=None, sa_column=Column(Text, Computed("fold_text(name)", persisted=True)))
    qty: int = Field(sa_type=BigInteger)
    amount_vnd: int = _money()
    commission_vnd: int = _money()
    promo_showroom_vnd: int = _money()
    promo_producer_vnd: int = _money()
