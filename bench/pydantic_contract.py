"""The sync contract as pydantic models (the central server's validation until msgspec replaced it), kept only so
bench/contract.py can compare the two on the same bodies. Not used by the app.

One push (``POST /api/v1/sync/batches``) is a ``Batch``: the showroom's code, the payload version and up to
``MAX_RECORDS`` outbox records, each ``{seq, kind, entity_uuid, created_at, payload}`` with the payload
shaped as pos/sync/payloads.py says for its kind. Numbers must be JSON integers (never floats or booleans);
text is limited to the central columns' sizes; unknown keys inside a payload are ignored (a newer showroom
may send more), unknown keys in the envelope or a record are refused. ``validation_error`` turns pydantic's
errors into the API's JSON error naming the first bad field, e.g. ``records[3].payload.lines[0].qty``.

static/openapi/sync-v1.json describes the same shapes; tests/http/test_sync_api.py holds the two together.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, Strict, TypeAdapter

PAYLOAD_VERSION = 1
MAX_RECORDS = 2000
MAX_VND = 10**15  # far above any real amount, well inside BIGINT
MAX_QTY = 10_000_000

Vnd = Annotated[int, Strict(), Field(ge=0, le=MAX_VND)]
SignedVnd = Annotated[int, Strict(), Field(ge=-MAX_VND, le=MAX_VND)]
Qty = Annotated[int, Strict(), Field(ge=1, le=MAX_QTY)]
Count = Annotated[int, Strict(), Field(ge=0, le=MAX_QTY)]
Bp = Annotated[int, Strict(), Field(ge=0, le=10_000)]
Stars = Annotated[int, Strict(), Field(ge=1, le=5)]
StrictBool = Annotated[bool, Strict()]
Code = Annotated[str, Field(pattern=r"^[a-z_]{1,12}$")]


def text(max_length: int, min_length: int = 0) -> Any:
    """A string of at most ``max_length`` characters (the central column's size)."""
    return Annotated[str, Strict(), Field(min_length=min_length, max_length=max_length)]


def _blank_is_none(value: Any) -> Any:
    return None if value == "" else value


# An empty string means "none" (what a showroom writes for a missing optional value).
OptionalUuid = Annotated[UUID | None, BeforeValidator(_blank_is_none, json_schema_input_type=UUID | Literal[""] | None)]
OptionalDate = Annotated[date | None, BeforeValidator(_blank_is_none, json_schema_input_type=date | Literal[""] | None)]


class _Payload(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ProducerIn(_Payload):
    uuid: UUID
    name: text(200, 1)
    kind: text(10)
    tax_code: text(20) | None = None
    province: text(80)
    district: text(80)
    phone: text(30)
    commission_bp: Bp
    is_active: StrictBool


class ProductIn(_Payload):
    uuid: UUID
    producer_uuid: UUID
    sku: text(40)
    barcode: text(14) | None = None
    name: text(200, 1)
    unit: text(20)
    price_vnd: Vnd
    vat_class: text(12)
    ocop_group: text(20)
    ocop_stars: Stars | None = None
    ocop_cert_number: text(60)
    ocop_cert_expiry: OptionalDate = None
    central_uuid: OptionalUuid = None
    is_active: StrictBool


class SaleLineIn(_Payload):
    line_no: Annotated[int, Strict(), Field(ge=1, le=100_000)]
    product_uuid: UUID
    producer_uuid: UUID
    name: text(200, 1)
    sku: text(40)
    barcode: text(14) | None = None
    unit: text(20)
    qty: Qty
    unit_price_vnd: Vnd
    discount_vnd: Vnd
    total_vnd: Vnd
    vat_rate_bp: Bp
    vat_vnd: Vnd


class PaymentIn(_Payload):
    method: Code
    amount_vnd: Vnd
    tendered_vnd: Vnd | None = None
    change_vnd: Vnd | None = None
    reference: text(80) = ""


class SaleIn(_Payload):
    uuid: UUID
    receipt_number: text(40, 1)
    shift_uuid: UUID
    cashier: text(60)
    created_at: AwareDatetime
    subtotal_vnd: Vnd
    line_discount_vnd: Vnd
    sale_discount_vnd: Vnd
    total_vnd: Vnd
    vat_vnd: Vnd
    discount_approved_by: text(60) | None = None
    lines: list[SaleLineIn] = Field(min_length=1, max_length=10_000)
    payments: list[PaymentIn] = Field(max_length=100)


class ReturnLineIn(_Payload):
    sale_line_no: Annotated[int, Strict(), Field(ge=1, le=100_000)]
    product_uuid: OptionalUuid = None
    qty: Qty
    amount_vnd: Vnd


class ReturnIn(_Payload):
    uuid: UUID
    return_number: text(40, 1)
    sale_uuid: UUID
    shift_uuid: UUID
    cashier: text(60)
    created_at: AwareDatetime
    refund_method: Code
    total_vnd: Vnd
    reason: text(200) = ""
    lines: list[ReturnLineIn] = Field(min_length=1, max_length=10_000)


class VoidIn(_Payload):
    sale_uuid: UUID
    receipt_number: text(40, 1)
    voided_at: AwareDatetime
    voided_by: text(60)
    reason: text(200) = ""


class ShiftCloseIn(_Payload):
    uuid: UUID
    cashier: text(60)
    till: text(10) = ""  # the till (drawer) counted; empty from showrooms before tills existed
    opened_at: AwareDatetime
    closed_at: AwareDatetime
    opening_float_vnd: Vnd
    sales_count: Count
    sales_total_vnd: Vnd
    refunds_total_vnd: Vnd
    voids_count: Count
    discounts_vnd: Vnd
    payments_by_method: dict[Code, SignedVnd]
    cash_in_vnd: Vnd
    cash_out_vnd: Vnd
    expected_cash_vnd: SignedVnd
    counted_cash_vnd: Vnd
    difference_vnd: SignedVnd
    sale_uuids: list[UUID] = Field(max_length=200_000)
    return_uuids: list[UUID] = Field(max_length=200_000)


class IntakeLineIn(_Payload):
    product_uuid: UUID
    qty: Qty
    unit_cost_vnd: Vnd
    lot_code: text(60) = ""
    expiry_date: OptionalDate = None


class IntakeIn(_Payload):
    uuid: UUID
    producer_uuid: UUID
    received_on: date
    delivery_note_number: text(60) = ""
    created_by: text(60) | None = None
    created_at: AwareDatetime
    lines: list[IntakeLineIn] = Field(min_length=1, max_length=10_000)


class StockMovementIn(_Payload):
    uuid: UUID
    product_uuid: UUID
    kind: text(20, 1)
    qty_delta: Annotated[int, Strict(), Field(ge=-MAX_QTY, le=MAX_QTY)]
    reason: text(20) = ""
    note: text(500) = ""
    created_by: text(60) | None = None
    created_at: AwareDatetime


class AuditIn(_Payload):
    uuid: UUID
    at: AwareDatetime
    user: text(60) | None = None
    action: text(40, 1)
    entity: text(40) = ""
    entity_id: text(40) = ""
    before: text(100_000) = ""
    after: text(100_000) = ""


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seq: Annotated[int, Strict(), Field(ge=1, le=2**62)]
    entity_uuid: UUID
    created_at: AwareDatetime


class ProducerRecord(_Record):
    kind: Literal["producer"]
    payload: ProducerIn


class ProductRecord(_Record):
    kind: Literal["product"]
    payload: ProductIn


class SaleRecord(_Record):
    kind: Literal["sale"]
    payload: SaleIn


class ReturnRecord(_Record):
    kind: Literal["return"]
    payload: ReturnIn


class VoidRecord(_Record):
    kind: Literal["void"]
    payload: VoidIn


class ShiftCloseRecord(_Record):
    kind: Literal["shift_close"]
    payload: ShiftCloseIn


class IntakeRecord(_Record):
    kind: Literal["intake"]
    payload: IntakeIn


class StockMovementRecord(_Record):
    kind: Literal["stock_adjustment"]
    payload: StockMovementIn


class AuditRecord(_Record):
    kind: Literal["audit"]
    payload: AuditIn


Record = Annotated[
    ProducerRecord
    | ProductRecord
    | SaleRecord
    | ReturnRecord
    | VoidRecord
    | ShiftCloseRecord
    | IntakeRecord
    | StockMovementRecord
    | AuditRecord,
    Field(discriminator="kind"),
]


class Batch(BaseModel):
    """One push: a showroom's outbox records in sequence order."""

    model_config = ConfigDict(extra="forbid")

    showroom: Annotated[str, Strict(), Field(pattern=r"^[A-Za-z0-9_.-]{1,20}$")]
    payload_version: Literal[1]
    records: list[Record] = Field(min_length=1, max_length=MAX_RECORDS)


batch_adapter = TypeAdapter(Batch)
