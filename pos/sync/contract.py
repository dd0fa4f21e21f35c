"""The sync contract: the only definition of every outbox record kind, with its version, for both sides.

A showroom's feature builds a record as one of these structs and publishes it with ``publish`` (one call,
pos/sync/outbox.py); the showroom's client sends the outbox as a ``Batch``; the central server decodes and
validates the body with ``decode_batch`` (the same structs) and materialises it (pos/central/ingest.py);
the OpenAPI document (static/openapi/sync-v1.json) is generated from them (pos/central/openapi.py).

Decoding is msgspec's: on the same batches it is many times faster than JSON parsing plus pydantic
(``python bench/contract.py`` measures both). Rules of the wire: numbers are JSON integers (never floats or
booleans); text is limited to the central columns' sizes; times are RFC 3339 with an offset; unknown keys
inside a payload are ignored (a newer showroom may send more), unknown keys in the envelope or a record are
refused.

Versions: each kind has a version (``KIND_VERSIONS``); a record says which version it was written in
(``v``, 1 when absent). A record newer than this server knows is refused with a clear message; an older one
is accepted, which is why a field added in a later version always has a default.

Adding a kind: write its payload struct (a ``Payload`` subclass), one line ``Xxx = record("xxx", XxxIn)``
with its version, and add it to ``RECORD_TYPES``; the central server's ingest says what to do with it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, ClassVar, Literal, Union
from uuid import UUID

import msgspec
from msgspec import Meta, Struct

MAX_RECORDS = 2000
MAX_VND = 10**15  # far above any real amount, well inside BIGINT
MAX_QTY = 10_000_000
BATCH_VERSION = 1  # the envelope's own version (Batch.payload_version)

Vnd = Annotated[int, Meta(ge=0, le=MAX_VND)]
SignedVnd = Annotated[int, Meta(ge=-MAX_VND, le=MAX_VND)]
Qty = Annotated[int, Meta(ge=1, le=MAX_QTY)]
Count = Annotated[int, Meta(ge=0, le=MAX_QTY)]
LineNo = Annotated[int, Meta(ge=1, le=100_000)]
Bp = Annotated[int, Meta(ge=0, le=10_000)]
Stars = Annotated[int, Meta(ge=1, le=5)]
Code = Annotated[str, Meta(pattern=r"^[a-z_]{1,12}$")]
Time = Annotated[datetime, Meta(tz=True)]
# A showroom writes "" for a missing optional UUID or date: decoded as text, read through the properties.
_UUID = r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"
BlankOrUuid = Annotated[str, Meta(pattern=f"^({_UUID})?$")]
BlankOrDate = Annotated[str, Meta(pattern=r"^(\d{4}-\d{2}-\d{2})?$")]


Fields = dict[str, Any]  # a payload as a feature writes it (plain JSON values), checked when it is published


def text(max_length: int, min_length: int = 0) -> Any:
    """A string of at most ``max_length`` characters (the central column's size)."""
    return Annotated[str, Meta(min_length=min_length, max_length=max_length)]


def _uuid_or_none(value: str | None) -> UUID | None:
    return UUID(value) if value else None


def _date_or_none(value: str | None, field: str = "") -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        raise ValueError(f"`{field}` không phải ngày hợp lệ (YYYY-MM-DD)") from None


class Payload(Struct, kw_only=True, omit_defaults=False):
    """Base of every record's payload (unknown keys ignored)."""


# --- The payloads --------------------------------------------------------------------------------------------


class ProducerIn(Payload):
    """kind 'producer': a producer created or edited (sent whole each time)."""

    uuid: UUID
    name: text(200, 1)
    kind: text(10)  # htx, hkd, dn
    province: text(80)
    district: text(80)
    phone: text(30)
    commission_bp: Bp
    is_active: bool
    tax_code: text(20) | None = None


class ProductIn(Payload):
    """kind 'product': a product created or edited, with this showroom's selling price."""

    uuid: UUID
    producer_uuid: UUID
    sku: text(40)
    name: text(200, 1)
    unit: text(20)
    price_vnd: Vnd
    vat_class: text(12)
    ocop_group: text(20)
    ocop_cert_number: text(60)
    is_active: bool
    barcode: text(14) | None = None
    ocop_stars: Stars | None = None
    ocop_cert_expiry_text: BlankOrDate | None = msgspec.field(default=None, name="ocop_cert_expiry")
    central_uuid_text: BlankOrUuid | None = msgspec.field(default=None, name="central_uuid")
    # since version 2: how it is sold ("weight": quantities in grams, price_vnd per kg; pos/quantity.py), and its
    # story (pos/catalog/story.py), every part optional; older showrooms' records read as pieces with no story
    sold_by: Literal["piece", "weight"] = "piece"
    name_en: text(200) = ""
    description_vi: text(500) = ""
    description_en: text(500) = ""
    origin_commune: text(80) = ""
    origin_district: text(80) = ""
    origin_province: text(80) = ""
    producer_story: text(2000) = ""
    trace_url: text(500) = ""

    def __post_init__(self) -> None:
        _date_or_none(
            self.ocop_cert_expiry_text, "ocop_cert_expiry"
        )  # a ValueError here refuses the record, naming the field

    @property
    def ocop_cert_expiry(self) -> date | None:
        return _date_or_none(self.ocop_cert_expiry_text)

    @property
    def central_uuid(self) -> UUID | None:
        return _uuid_or_none(self.central_uuid_text)


class LinePromotionIn(Payload):
    """The central office's promotion that priced a sale line (since sale version 5): its UUID at the central
    server, what it took off the line (inside the line's ``discount_vnd``) and who bears that, as the showroom
    recorded it for its settlement. A showroom's own promotion is never sent: the central server holds no record
    of it to report on, and the showroom's own promotion report counts it."""

    uuid: UUID
    discount_vnd: Vnd
    borne_by: Literal["showroom", "producer"]


class SaleLineIn(Payload):
    line_no: LineNo
    product_uuid: UUID
    producer_uuid: UUID
    name: text(200, 1)
    sku: text(40)
    unit: text(20)
    qty: Qty
    unit_price_vnd: Vnd
    discount_vnd: Vnd  # the line's own discount and its share of the sale's
    total_vnd: Vnd
    vat_rate_bp: Bp
    vat_vnd: Vnd
    barcode: text(14) | None = None
    # since version 3: "weight" when qty is grams and unit_price_vnd the price per kg (pos/quantity.py)
    sold_by: Literal["piece", "weight"] = "piece"
    # since version 5: the central promotion that priced it; absent for no promotion or a showroom's own
    promotion: LinePromotionIn | None = None


class PaymentIn(Payload):
    method: Code  # cash, card, transfer
    amount_vnd: Vnd
    tendered_vnd: Vnd | None = None
    change_vnd: Vnd | None = None
    reference: text(80) = ""


class SaleIn(Payload):
    """kind 'sale': a completed sale, as printed on its receipt."""

    uuid: UUID
    receipt_number: text(40, 1)
    shift_uuid: UUID
    cashier: text(60)  # username
    created_at: Time
    subtotal_vnd: Vnd
    line_discount_vnd: Vnd
    sale_discount_vnd: Vnd
    total_vnd: Vnd
    vat_vnd: Vnd
    lines: Annotated[list[SaleLineIn], Meta(min_length=1, max_length=10_000)]
    payments: Annotated[list[PaymentIn], Meta(max_length=100)]
    discount_approved_by: text(60) | None = None
    cashier_name: text(120) = ""  # since version 2: the staff's full names; empty from older showrooms
    discount_approved_by_name: text(120) = ""
    # since version 4: the customer's uuid (never the person), only where [customers] send_to_central is true
    customer_uuid_text: BlankOrUuid | None = msgspec.field(default=None, name="customer_uuid")

    @property
    def customer_uuid(self) -> UUID | None:
        return _uuid_or_none(self.customer_uuid_text)


class ReturnLineIn(Payload):
    sale_line_no: LineNo
    qty: Qty
    amount_vnd: Vnd
    product_uuid_text: BlankOrUuid | None = msgspec.field(default=None, name="product_uuid")

    @property
    def product_uuid(self) -> UUID | None:
        return _uuid_or_none(self.product_uuid_text)


class ReturnIn(Payload):
    """kind 'return': goods brought back against a receipt, and the refund."""

    uuid: UUID
    return_number: text(40, 1)
    sale_uuid: UUID
    shift_uuid: UUID
    cashier: text(60)
    created_at: Time
    refund_method: Code
    total_vnd: Vnd
    lines: Annotated[list[ReturnLineIn], Meta(min_length=1, max_length=10_000)]
    reason: text(200) = ""
    cashier_name: text(120) = ""  # since version 2


class VoidIn(Payload):
    """kind 'void': a sale cancelled by a manager."""

    sale_uuid: UUID
    receipt_number: text(40, 1)
    voided_at: Time
    voided_by: text(60)
    reason: text(200) = ""
    voided_by_name: text(120) = ""  # since version 2


class ShiftCloseIn(Payload):
    """kind 'shift_close': the Z report's figures, so the central server can check its sums per shift."""

    uuid: UUID
    cashier: text(60)
    opened_at: Time
    closed_at: Time
    opening_float_vnd: Vnd
    sales_count: Count
    sales_total_vnd: Vnd  # completed, not voided
    refunds_total_vnd: Vnd
    voids_count: Count
    discounts_vnd: Vnd
    payments_by_method: dict[Code, SignedVnd]  # net of refunds by that method
    cash_in_vnd: Vnd
    cash_out_vnd: Vnd
    expected_cash_vnd: SignedVnd
    counted_cash_vnd: Vnd
    difference_vnd: SignedVnd
    sale_uuids: Annotated[list[UUID], Meta(max_length=200_000)]
    return_uuids: Annotated[list[UUID], Meta(max_length=200_000)]
    till: text(10) = ""  # since version 2: the till (drawer) counted, Q1, Q2 …; empty from older showrooms
    cashier_name: text(120) = ""  # since version 3: the cashier's full name


class IntakeLineIn(Payload):
    product_uuid: UUID
    qty: Qty
    unit_cost_vnd: Vnd
    lot_code: text(60) = ""
    expiry_date_text: BlankOrDate | None = msgspec.field(default=None, name="expiry_date")

    def __post_init__(self) -> None:
        _date_or_none(self.expiry_date_text, "expiry_date")

    @property
    def expiry_date(self) -> date | None:
        return _date_or_none(self.expiry_date_text)


class IntakeIn(Payload):
    """kind 'intake': a delivery received from a producer."""

    uuid: UUID
    producer_uuid: UUID
    received_on: date
    created_at: Time
    lines: Annotated[list[IntakeLineIn], Meta(min_length=1, max_length=10_000)]
    delivery_note_number: text(60) = ""
    created_by: text(60) | None = None


class StockMovementIn(Payload):
    """kind 'stock_adjustment': an adjustment, count or return to producer (one movement)."""

    uuid: UUID
    product_uuid: UUID
    kind: text(20, 1)  # adjustment, count, return_to_producer
    qty_delta: Annotated[int, Meta(ge=-MAX_QTY, le=MAX_QTY)]
    created_at: Time
    reason: text(20) = ""
    note: text(500) = ""
    created_by: text(60) | None = None


class AuditIn(Payload):
    """kind 'audit': one audit log entry."""

    uuid: UUID
    at: Time
    action: text(40, 1)
    user: text(60) | None = None
    entity: text(40) = ""
    entity_id: text(40) = ""
    before: text(100_000) = ""
    after: text(100_000) = ""


class InvoiceIn(Payload):
    """kind 'invoice': an e-invoice as issued, sent again whole at each change of its state."""

    uuid: UUID
    sale_uuid: UUID
    kind: Literal["original", "replacement", "adjustment"]
    form: Annotated[int, Meta(ge=1, le=6)]
    symbol: Annotated[str, Meta(pattern=r"^[CK][0-9]{2}[A-Z]{3}$")]
    number: Annotated[int, Meta(ge=1, le=99_999_999)]
    mccqt: Annotated[str, Meta(pattern=r"^M[1-6]-[0-9]{2}-[0-9A-Z]{5}-[0-9]{11}$")]
    issued_at: Time
    issued_on: date
    total_vnd: SignedVnd  # since version 2 signed: an adjustment that decreases an invoice is negative
    vat_vnd: SignedVnd
    payment_code: Literal["TM", "CK", "TM/CK"]
    state: Literal["waiting", "sent", "accepted", "rejected"]
    updated_at: Time
    buyer_name: text(400) = ""
    buyer_tax_code: text(14) = ""
    reason: text(500) = ""
    provider_number: text(40) = ""
    lookup_code: text(60) = ""
    return_uuid_text: BlankOrUuid | None = msgspec.field(default=None, name="return_uuid")
    original_uuid_text: BlankOrUuid | None = msgspec.field(default=None, name="original_uuid")

    @property
    def return_uuid(self) -> UUID | None:
        return _uuid_or_none(self.return_uuid_text)

    @property
    def original_uuid(self) -> UUID | None:
        return _uuid_or_none(self.original_uuid_text)


class CustomerIn(Payload):
    """kind 'customer': a showroom's customer, sent only where config [customers] send_to_central is true.

    The least a company invoice and a customer known across showrooms need; no points, no purchases. An
    erased customer is sent once more with ``erased`` true and every personal field blank: central blanks its
    copy too.
    """

    uuid: UUID
    name: text(120)
    phone: text(15) = ""
    company_name: text(200) = ""
    tax_code: text(20) = ""
    address: text(250) = ""
    erased: bool = False


class StockLevelIn(Payload):
    product_uuid: UUID
    qty: Annotated[int, Meta(ge=-MAX_QTY, le=MAX_QTY)]  # a ledger may go below zero (sold before intake)


class StockLotIn(Payload):
    uuid: UUID
    product_uuid: UUID
    qty: Annotated[int, Meta(ge=-MAX_QTY, le=MAX_QTY)]
    lot_code: text(60) = ""
    expiry_date_text: BlankOrDate | None = msgspec.field(default=None, name="expiry_date")
    manufactured_on_text: BlankOrDate | None = msgspec.field(default=None, name="manufactured_on")
    recalled_at: Time | None = None
    recall_reason: text(500) = ""

    def __post_init__(self) -> None:
        _date_or_none(self.expiry_date_text, "expiry_date")
        _date_or_none(self.manufactured_on_text, "manufactured_on")

    @property
    def expiry_date(self) -> date | None:
        return _date_or_none(self.expiry_date_text)

    @property
    def manufactured_on(self) -> date | None:
        return _date_or_none(self.manufactured_on_text)


class StockSnapshotIn(Payload):
    """kind 'stock_snapshot': on hand (StockLevel) and lots as the showroom's ledger keeps them, at ``taken_at``.

    ``complete``: every product and lot the showroom holds (a product left out has nothing on hand); otherwise
    only those whose stock moved since the previous snapshot. Exact figures, never recomputed at the centre.
    """

    uuid: UUID
    taken_at: Time
    complete: bool
    levels: Annotated[list[StockLevelIn], Meta(max_length=200_000)]
    lots: Annotated[list[StockLotIn], Meta(max_length=200_000)] = []


class TransferLineIn(Payload):
    """A product sent on a transfer note, described whole so that the receiving showroom can carry it."""

    line_no: LineNo
    product_uuid: UUID
    producer_uuid: UUID
    sku: text(40)
    name: text(200, 1)
    unit: text(20)
    qty: Qty
    price_vnd: Vnd
    unit_cost_vnd: Vnd = 0
    producer_name: text(200) = ""
    producer_kind: text(10) = ""
    producer_province: text(80) = ""
    barcode: text(14) | None = None
    vat_class: text(12) = ""
    ocop_group: text(20) = ""
    ocop_stars: Stars | None = None
    ocop_cert_number: text(60) = ""
    ocop_cert_expiry_text: BlankOrDate | None = msgspec.field(default=None, name="ocop_cert_expiry")
    central_uuid_text: BlankOrUuid | None = msgspec.field(default=None, name="central_uuid")
    lot_uuid_text: BlankOrUuid | None = msgspec.field(default=None, name="lot_uuid")
    lot_code: text(60) = ""
    expiry_date_text: BlankOrDate | None = msgspec.field(default=None, name="expiry_date")
    manufactured_on_text: BlankOrDate | None = msgspec.field(default=None, name="manufactured_on")
    is_food: bool = False  # since version 2: kept in lots (the receiver carries it the same way)
    # since version 3: "weight" when qty is grams and the prices are per kg (the receiver sells it the same way)
    sold_by: Literal["piece", "weight"] = "piece"

    def __post_init__(self) -> None:
        for name in ("ocop_cert_expiry", "expiry_date", "manufactured_on"):
            _date_or_none(getattr(self, f"{name}_text"), name)

    @property
    def expiry_date(self) -> date | None:
        return _date_or_none(self.expiry_date_text)


class TransferIn(Payload):
    """kind 'transfer': a transfer note (phiếu chuyển kho) out to another showroom; the goods are in transit."""

    uuid: UUID
    number: text(40, 1)
    to_showroom: Annotated[str, Meta(pattern=r"^[A-Za-z0-9_.-]{1,20}$")]
    created_at: Time
    lines: Annotated[list[TransferLineIn], Meta(min_length=1, max_length=1000)]
    created_by: text(60) | None = None
    note: text(500) = ""


class TransferReceiptLineIn(Payload):
    line_no: LineNo
    qty_received: Count
    reason: text(20) = ""  # when it differs from what was sent: damaged, missing, surplus, wrong_item
    note: text(200) = ""


class TransferReceiptIn(Payload):
    """kind 'transfer_receipt': what the receiving showroom counted in, line by line, with the differences.

    One per note: the same receipt sent again (same ``received_at``) changes nothing; another receipt of a note
    already received is held aside (sync issue ``second_receipt``) and changes nothing either.
    """

    uuid: UUID  # the transfer's
    number: text(40, 1)
    from_showroom: Annotated[str, Meta(pattern=r"^[A-Za-z0-9_.-]{1,20}$")]
    received_at: Time
    lines: Annotated[list[TransferReceiptLineIn], Meta(min_length=1, max_length=1000)]
    received_by: text(60) | None = None
    note: text(500) = ""


class TransferCancelIn(Payload):
    """kind 'transfer_cancel': the sender called back a note before it was received; its goods are back in the
    sender's ledger. The receiver refuses to receive a note it knows is cancelled; a receipt that counted goods in
    before the receiver knew (offline) still stands, and the sender's cancel is then undone (pos/inventory)."""

    uuid: UUID  # the transfer's
    number: text(40, 1)
    to_showroom: Annotated[str, Meta(pattern=r"^[A-Za-z0-9_.-]{1,20}$")]
    cancelled_at: Time
    cancelled_by: text(60) | None = None
    reason: text(500) = ""


class SettlementLineIn(Payload):
    """One product of a settlement: net of returns and late voids in the period (so it may be below zero)."""

    line_no: LineNo
    sku: text(40)
    name: text(200, 1)
    qty: Annotated[int, Meta(ge=-MAX_QTY, le=MAX_QTY)]
    amount_vnd: SignedVnd  # net sales of the product
    commission_vnd: SignedVnd  # its share of the settlement's commission
    promo_showroom_vnd: SignedVnd = 0  # promotion cost borne by the showroom
    promo_producer_vnd: SignedVnd = 0  # promotion cost borne by the producer
    product_uuid_text: BlankOrUuid | None = msgspec.field(default=None, name="product_uuid")

    @property
    def product_uuid(self) -> UUID | None:
        return _uuid_or_none(self.product_uuid_text)


class SettlementIn(Payload):
    """kind 'settlement': a closed producer settlement as frozen, sent again whole when it is paid."""

    uuid: UUID
    number: text(40, 1)
    producer_uuid: UUID
    period_start: date
    period_end: date
    status: Literal["closed", "paid"]
    is_consignment: bool
    commission_bp: Bp
    net_sales_vnd: SignedVnd
    commission_vnd: SignedVnd
    amount_owed_vnd: SignedVnd
    closed_at: Time
    closed_by: text(60) | None = None
    paid_at: Time | None = None
    paid_reference: text(120) = ""
    quantities: dict[text(30), SignedVnd] = {}  # the statement's quantity totals (opening, sold, closing …)
    # since version 2: its lines, one per product sold (empty from older showrooms)
    lines: Annotated[list[SettlementLineIn], Meta(max_length=100_000)] = []


# --- What showrooms pull -----------------------------------------------------------------------------------------


class PromotionItemOut(Struct, kw_only=True, forbid_unknown_fields=True):
    """A product a central promotion names, by its catalogue link: the catalogue product's UUID and barcode."""

    catalog_uuid: UUID
    qty: Annotated[int, Meta(ge=1, le=99)] = 1
    barcode: text(14) | None = None


class CentralPromotionOut(Struct, kw_only=True, forbid_unknown_fields=True):
    """A promotion set at the central office, as a chosen showroom pulls it with the catalogue (``promotions``).

    Sent again whole at every change. ``is_active`` is false once the office ended it, and also for a showroom
    taken off its list (which received it before): either way the showroom stops applying it. A showroom never
    on its list never receives it. ``target_value``: the catalogue producer's UUID (target producer), an OCOP
    group code (group) or 3-5 (stars, that rating and above); products (target product, or a combination's
    items) are named in ``items`` by their catalogue link, never by a showroom's own id. Times are the first
    minute's start and the last minute's start, so a period typed 01/02 00:00 - 15/02 23:59 covers 23:59:59.
    """

    uuid: UUID
    name: text(120, 1)
    kind: Literal["price", "percent", "bxgy", "combo"]
    target: Literal["product", "producer", "group", "stars"]
    starts_at: Time
    ends_at: Time
    borne_by: Literal["showroom", "producer"]
    is_active: bool
    revision: Annotated[int, Meta(ge=0)]
    target_value: text(40) = ""
    percent_bp: Bp = 0
    price_vnd: Vnd = 0
    buy_qty: Annotated[int, Meta(ge=0, le=99)] = 0
    get_qty: Annotated[int, Meta(ge=0, le=99)] = 0
    items: Annotated[list[PromotionItemOut], Meta(max_length=100)] = []


def pulled_promotions(rows: Any) -> list[CentralPromotionOut]:
    """A catalogue answer's ``promotions`` validated by their one definition (ContractError otherwise)."""
    try:
        return msgspec.convert(rows or [], list[CentralPromotionOut])
    except msgspec.ValidationError as exc:
        message, field, _ = validation_error(exc, prefix="promotions")
        raise ContractError(message, field) from exc


# --- The records: one line per kind --------------------------------------------------------------------------

Seq = Annotated[int, Meta(ge=1, le=2**62)]


class RecordBase(Struct, kw_only=True, forbid_unknown_fields=True, tag_field="kind"):
    """An outbox record: its seq, the entity's UUID, when it was written, the kind's version, the payload."""

    KIND: ClassVar[str]
    VERSION: ClassVar[int]
    PAYLOAD: ClassVar[type[Payload]]

    seq: Seq
    entity_uuid: UUID
    created_at: Time
    v: Annotated[int, Meta(ge=1)] = 1

    @property
    def kind(self) -> str:
        return self.KIND


def record(kind: str, payload: type[Payload], version: int = 1) -> type[RecordBase]:
    """The record struct of one kind: ``{seq, kind, entity_uuid, created_at, v, payload}``."""
    name = "".join(part.title() for part in kind.split("_")) + "Record"
    cls = msgspec.defstruct(
        name,
        [("payload", payload)],
        bases=(RecordBase,),
        tag=kind,
        kw_only=True,
        forbid_unknown_fields=True,
        module=__name__,
    )
    cls.KIND = kind  # type: ignore[attr-defined]
    cls.VERSION = version  # type: ignore[attr-defined]
    cls.PAYLOAD = payload  # type: ignore[attr-defined]
    return cls


ProducerRecord = record("producer", ProducerIn)
ProductRecord = record("product", ProductIn, version=2)
SaleRecord = record("sale", SaleIn, version=5)
ReturnRecord = record("return", ReturnIn, version=2)
VoidRecord = record("void", VoidIn, version=2)
ShiftCloseRecord = record("shift_close", ShiftCloseIn, version=3)
IntakeRecord = record("intake", IntakeIn)
StockMovementRecord = record("stock_adjustment", StockMovementIn)
AuditRecord = record("audit", AuditIn)
InvoiceRecord = record("invoice", InvoiceIn, version=2)
CustomerRecord = record("customer", CustomerIn)
StockSnapshotRecord = record("stock_snapshot", StockSnapshotIn)
TransferRecord = record("transfer", TransferIn, version=3)
TransferReceiptRecord = record("transfer_receipt", TransferReceiptIn)
TransferCancelRecord = record("transfer_cancel", TransferCancelIn)
SettlementRecord = record("settlement", SettlementIn, version=2)

RECORD_TYPES: tuple[type[RecordBase], ...] = (
    ProducerRecord,
    ProductRecord,
    SaleRecord,
    ReturnRecord,
    VoidRecord,
    ShiftCloseRecord,
    IntakeRecord,
    StockMovementRecord,
    AuditRecord,
    InvoiceRecord,
    CustomerRecord,
    StockSnapshotRecord,
    TransferRecord,
    TransferReceiptRecord,
    TransferCancelRecord,
    SettlementRecord,
)
KINDS: dict[str, type[RecordBase]] = {cls.KIND: cls for cls in RECORD_TYPES}
KIND_VERSIONS: dict[str, int] = {kind: cls.VERSION for kind, cls in KINDS.items()}
AnyRecord = Union[RECORD_TYPES]  # noqa: UP007  (built from the tuple above)


class Batch(Struct, kw_only=True, forbid_unknown_fields=True):
    """One push: a showroom's outbox records in sequence order."""

    showroom: Annotated[str, Meta(pattern=r"^[A-Za-z0-9_.-]{1,20}$")]
    payload_version: Annotated[int, Meta(ge=1)]
    records: Annotated[list[AnyRecord], Meta(min_length=1, max_length=MAX_RECORDS)]


_decoder = msgspec.json.Decoder(Batch)
_encoder = msgspec.json.Encoder()


def decode_batch(data: bytes) -> Batch:
    """The batch in ``data`` (JSON bytes), validated; msgspec.ValidationError or DecodeError otherwise."""
    return _decoder.decode(data)


def to_json_values(value: Any) -> Any:
    """Plain JSON values (UUIDs and times as text) of contract structs, for an answer built with jsonify."""
    return msgspec.to_builtins(value)


def encode(value: Any) -> bytes:
    """JSON bytes of a contract struct (or plain data holding them)."""
    return _encoder.encode(value)


# --- Publishing (showroom) and the version rule (central) ------------------------------------------------------


class ContractError(ValueError):
    """A record that the contract does not allow: an unknown kind, a bad payload, a version too new."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def check_payload(kind: str, payload: Any) -> Payload:
    """The payload of a ``kind`` record validated by its definition (a showroom checks before it stores it)."""
    record_type = KINDS.get(kind)
    if record_type is None:
        raise ContractError(f"Loại bản ghi “{kind}” chưa có trong hợp đồng đồng bộ (pos/sync/contract.py).", "kind")
    try:
        return msgspec.convert(payload, record_type.PAYLOAD)
    except msgspec.ValidationError as exc:
        message, field, _ = validation_error(exc, prefix="payload")
        raise ContractError(message, field) from exc


def too_new(batch: Batch) -> ContractError | None:
    """A refusal when the batch or one of its records is of a version newer than this server knows."""
    if batch.payload_version > BATCH_VERSION:
        return ContractError(
            f"Gói dữ liệu phiên bản {batch.payload_version} mới hơn phiên bản máy chủ trung tâm hỗ trợ "
            f"({BATCH_VERSION}); hãy cập nhật máy chủ trung tâm.",
            "payload_version",
        )
    for index, record in enumerate(batch.records):
        if record.v > record.VERSION:
            return ContractError(
                f"Bản ghi loại {record.KIND} phiên bản {record.v} mới hơn phiên bản máy chủ trung tâm hỗ trợ "
                f"({record.VERSION}); hãy cập nhật máy chủ trung tâm.",
                f"records[{index}].v",
            )
    return None


# --- Errors that name the field ------------------------------------------------------------------------------

_PHRASES = [  # (how msgspec's message begins, the problem in Vietnamese)
    ("Object missing required field", "bị thiếu"),
    ("Object contains unknown field", "không được phép có"),
    ("Expected `int`, got", "phải là số nguyên"),
    ("Expected `bool`, got", "phải là true hoặc false"),
    ("Expected `str`, got", "phải là chuỗi ký tự"),
    ("Expected `array`, got", "phải là một danh sách"),
    ("Expected `object`, got", "phải là một đối tượng"),
    ("Expected `str` of length <=", "quá dài"),
    ("Expected `str` of length >=", "không được để trống"),
    ("Expected `array` of length >=", "không được để trống"),
    ("Expected `array` of length <=", "có quá nhiều phần tử"),
    ("Expected `object` of length", "có quá nhiều phần tử"),
    ("Expected `int` >=", "nhỏ hơn giá trị cho phép"),
    ("Expected `int` <=", "lớn hơn giá trị cho phép"),
    ("Expected `str` matching regex", "có ký tự không hợp lệ"),
    ("Invalid UUID", "không phải UUID hợp lệ"),
    ("Invalid RFC3339 encoded datetime", "không phải thời điểm hợp lệ (ISO 8601 có múi giờ)"),
    ("Expected `datetime` with a timezone", "phải có múi giờ"),
    ("Invalid RFC3339 encoded date", "không phải ngày hợp lệ (YYYY-MM-DD)"),
    ("Invalid value", "có giá trị không được hỗ trợ"),
    ("Expected `null`", "phải để trống (null)"),
]


def validation_error(exc: msgspec.ValidationError, prefix: str = "") -> tuple[str, str, list[dict[str, str]]]:
    """(Vietnamese message, the field, ``[{field, problem, detail}]``) for an invalid body or payload."""
    detail = str(exc)
    text_part, _, where = detail.partition(" - at `")
    path = where.rstrip("`").removeprefix("$").removeprefix(".")
    named = text_part.split("`")
    own = text_part.startswith("`")  # raised by a struct's own check: "`field` problem"
    if (
        own
        or text_part.startswith(("Object missing required field", "Object contains unknown field"))
        and len(named) > 1
    ):
        path = f"{path}.{named[1]}" if path else named[1]
    if prefix:
        path = f"{prefix}.{path}" if path and not path.startswith("[") else f"{prefix}{path}"
    field = path or "body"
    problem = next((phrase for start, phrase in _PHRASES if text_part.startswith(start)), "không hợp lệ")
    if own:
        problem = named[-1].strip()
    if text_part.startswith("Expected `int`, got `float`") or text_part.startswith("Expected `int`, got `bool`"):
        problem = "phải là số nguyên"
    message = f"Dữ liệu đồng bộ không hợp lệ: trường {field} {problem}."
    return message, field, [{"field": field, "problem": problem, "detail": detail}]
