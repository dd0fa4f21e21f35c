"""The shape of every outbox record: the contract between a showroom and the central server.

Each kind is self-contained: uuids rather than local ids, names and prices as they were, so the central
server can store the record without asking the showroom anything. Dates and times are ISO 8601 strings
(times in UTC with offset), money is int đồng, rates int basis points. Builders in the feature modules
return these dicts; enqueue() stores them as JSON.
"""

from __future__ import annotations

from typing import TypedDict

PAYLOAD_VERSION = 1


class ProducerPayload(TypedDict):
    """kind 'producer': a producer created or edited (sent whole each time)."""

    uuid: str
    name: str
    kind: str  # htx, hkd, dn
    tax_code: str | None
    province: str
    district: str
    phone: str
    commission_bp: int
    is_active: bool


class ProductPayload(TypedDict):
    """kind 'product': a product created or edited, with this showroom's selling price."""

    uuid: str
    producer_uuid: str
    sku: str
    barcode: str | None
    name: str
    unit: str
    price_vnd: int
    vat_class: str
    ocop_group: str
    ocop_stars: int | None
    ocop_cert_number: str
    ocop_cert_expiry: str | None  # YYYY-MM-DD
    central_uuid: str | None
    is_active: bool


class SaleLinePayload(TypedDict):
    line_no: int
    product_uuid: str
    producer_uuid: str
    name: str
    sku: str
    barcode: str | None
    unit: str
    qty: int
    unit_price_vnd: int
    discount_vnd: int
    total_vnd: int
    vat_rate_bp: int
    vat_vnd: int


class PaymentPayload(TypedDict):
    method: str  # cash, card, transfer
    amount_vnd: int
    tendered_vnd: int | None
    change_vnd: int | None
    reference: str


class SalePayload(TypedDict):
    """kind 'sale': a completed sale, as printed on its receipt."""

    uuid: str
    receipt_number: str
    shift_uuid: str
    cashier: str  # username
    created_at: str
    subtotal_vnd: int
    line_discount_vnd: int
    sale_discount_vnd: int
    total_vnd: int
    vat_vnd: int
    discount_approved_by: str | None
    lines: list[SaleLinePayload]
    payments: list[PaymentPayload]


class ReturnLinePayload(TypedDict):
    sale_line_no: int
    product_uuid: str
    qty: int
    amount_vnd: int


class ReturnPayload(TypedDict):
    """kind 'return': goods brought back against a receipt, and the refund."""

    uuid: str
    return_number: str
    sale_uuid: str
    shift_uuid: str
    cashier: str
    created_at: str
    refund_method: str
    total_vnd: int
    reason: str
    lines: list[ReturnLinePayload]


class VoidPayload(TypedDict):
    """kind 'void': a sale cancelled by a manager."""

    sale_uuid: str
    receipt_number: str
    voided_at: str
    voided_by: str
    reason: str


class ShiftClosePayload(TypedDict):
    """kind 'shift_close': the Z report's figures, so the central server can check its sums per shift."""

    uuid: str
    cashier: str
    till: str  # the till's code (Q1, Q2 ...): whose drawer was counted
    opened_at: str
    closed_at: str
    opening_float_vnd: int
    sales_count: int
    sales_total_vnd: int  # completed, not voided
    refunds_total_vnd: int
    voids_count: int
    discounts_vnd: int
    payments_by_method: dict[str, int]  # net of refunds by that method
    cash_in_vnd: int
    cash_out_vnd: int
    expected_cash_vnd: int
    counted_cash_vnd: int
    difference_vnd: int
    sale_uuids: list[str]
    return_uuids: list[str]


class IntakeLinePayload(TypedDict):
    product_uuid: str
    qty: int
    unit_cost_vnd: int
    lot_code: str
    expiry_date: str | None


class IntakePayload(TypedDict):
    """kind 'intake': a delivery received from a producer."""

    uuid: str
    producer_uuid: str
    received_on: str
    delivery_note_number: str
    created_by: str | None
    created_at: str
    lines: list[IntakeLinePayload]


class StockMovementPayload(TypedDict):
    """kind 'stock_adjustment': an adjustment, count or return to producer (one movement)."""

    uuid: str
    product_uuid: str
    kind: str  # adjustment, count, return_to_producer
    qty_delta: int
    reason: str
    note: str
    created_by: str | None
    created_at: str


class AuditPayload(TypedDict):
    """kind 'audit': one audit log entry."""

    uuid: str
    at: str
    user: str | None
    action: str
    entity: str
    entity_id: str
    before: str
    after: str


KINDS = {
    "producer": ProducerPayload,
    "product": ProductPayload,
    "sale": SalePayload,
    "return": ReturnPayload,
    "void": VoidPayload,
    "shift_close": ShiftClosePayload,
    "intake": IntakePayload,
    "stock_adjustment": StockMovementPayload,
    "audit": AuditPayload,
}
