"""The sales list (one page, or every sale streamed for the CSV) and one receipt with its returns and void.

The list's count of matching sales comes from ``summary_showroom_day`` when no receipt number is searched: a
year of a hundred showrooms is seven million sales, too many to count on every page.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlmodel import Session, col, select

from pos.central.models import (
    Payment,
    Product,
    ReturnLine,
    Sale,
    SaleLine,
    SaleReturn,
    SaleVoid,
    ShiftClose,
    Showroom,
)
from pos.central.office.common import COMPLETED, UNKNOWN, fetch_rows, local_text
from pos.central.staff_names import full_name_sql, full_names
from pos.errors import NotFound
from pos.money import format_bp
from pos.quantity import PIECE, WEIGHT, Quantity, display_unit
from pos.reports.period import Period
from pos.reports.table import INT, QTY, TEXT, VND, Column, Report
from pos.sales.models import PAYMENT_METHODS

ERASED = "(đã xóa dữ liệu cá nhân)"
SALE_STATUSES = {"": "Tất cả", "completed": "Đã hoàn tất", "voided": "Đã hủy", "returned": "Có trả hàng"}


@dataclass(frozen=True)
class SaleFilter:
    """The sales list's filters: the period, a showroom, a receipt number (or part of it), a status, and a
    customer: a phone number or a tax code, matched in every showroom that sends its customers."""

    period: Period
    showroom_id: int | None = None
    number: str = ""
    status: str = ""
    customer: str = ""


def customer_key(raw: str) -> str:
    """A phone ('0912 345 678', '+84 912…') or a tax code ('0101234567-001') as central stores them: digits,
    a branch tax code keeping its hyphen; '' when nothing usable was typed."""
    kept = "".join(ch for ch in raw.strip() if ch.isascii() and (ch.isdigit() or ch == "-")).strip("-")
    digits = kept.replace("-", "")
    if kept.startswith("84") and len(digits) == 11 and "-" not in kept:
        return "0" + digits[2:]
    return kept if 10 <= len(digits) <= 13 else ""


# The customer records of every showroom that are the same person or company: a phone or a tax code in common.
# An empty :phone or :tax_code matches nobody (NULLIF), an erased record nobody either (its fields are blank).
SAME_CUSTOMER = (
    "SELECT c.showroom_id, c.uuid FROM customer c WHERE c.erased_at IS NULL "
    "AND (c.phone = NULLIF(:phone, '') OR c.tax_code = NULLIF(:tax_code, ''))"
)


def sale_status(status: str, refunded_vnd: int) -> str:
    """A sale's state as the office lists it: voided, with goods returned, or completed."""
    return "Đã hủy" if status != COMPLETED else ("Có trả hàng" if refunded_vnd else "Hoàn tất")


def _sale_where(session: Session, f: SaleFilter) -> tuple[str, dict[str, Any], bool]:
    """WHERE clause, parameters, and whether the period was set aside (a whole receipt number was given)."""
    params: dict[str, Any] = {"start": f.period.start, "end": f.period.end, "erased": ERASED}
    clauses = []
    any_date = False
    number = f.number.strip().upper()
    exact = None
    if number:
        for shop in session.exec(select(Showroom)).all():
            if number.startswith(shop.code.upper() + "-") and (f.showroom_id in (None, shop.id)):
                exact = shop
                break
    if exact is not None:
        # A whole receipt number names its showroom: look it up by the (showroom, receipt) index, any date.
        clauses.append("s.showroom_id = :num_showroom AND upper(s.receipt_number) = :number")
        params.update(num_showroom=exact.id, number=number)
        any_date = True
    else:
        clauses.append("s.sold_on BETWEEN :start AND :end")
        if f.showroom_id is not None:
            clauses.append("s.showroom_id = :showroom")
            params["showroom"] = f.showroom_id
        if number:
            clauses.append("upper(s.receipt_number) LIKE :pattern")
            params["pattern"] = "%" + number.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    if f.customer:
        # The same person or company is a customer of each showroom it bought at, known by its phone or tax code.
        clauses.append(f"s.customer_uuid IS NOT NULL AND (s.showroom_id, s.customer_uuid) IN ({SAME_CUSTOMER})")
        params["phone"] = params["tax_code"] = customer_key(f.customer)
    if f.status == "completed":
        clauses.append("s.status = 'completed'")
    elif f.status == "voided":
        clauses.append("s.status = 'voided'")
    elif f.status == "returned":
        clauses.append("EXISTS (SELECT 1 FROM sale_return r WHERE r.sale_id = s.id)")
    return " AND ".join(clauses), params, any_date


SALE_ORDER = "s.sold_on DESC, s.created_at DESC, s.id DESC"  # newest first; sold_on leads so a day index serves it

SALE_LIST_SELECT = (
    """
SELECT s.uuid, s.receipt_number, s.created_at, s.sold_on, """
    + full_name_sql("s.showroom_id", "s.cashier")
    + """ AS cashier,
       s.status, s.subtotal_vnd, s.customer_uuid,
       s.line_discount_vnd + s.sale_discount_vnd AS discount_vnd, s.total_vnd, sr.code, sr.name,
       (SELECT COALESCE(SUM(r.total_vnd), 0) FROM sale_return r WHERE r.sale_id = s.id)::bigint AS refunded_vnd,
       (SELECT string_agg(DISTINCT pm.method, ',') FROM payment pm WHERE pm.sale_id = s.id) AS methods,
       (SELECT CASE WHEN c.erased_at IS NOT NULL THEN :erased ELSE COALESCE(NULLIF(c.company_name, ''), c.name)
        END FROM customer c
        WHERE c.showroom_id = s.showroom_id AND c.uuid = s.customer_uuid) AS customer
FROM {source} JOIN showroom sr ON sr.id = s.showroom_id
WHERE {where}
ORDER BY {order}
"""
)


@dataclass
class SalePage:
    """One page of the sales list."""

    rows: list[dict[str, Any]]
    total: int
    page: int
    per_page: int
    any_date: bool = False

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _sale_row(r: Any, tz: tzinfo) -> dict[str, Any]:
    methods = [PAYMENT_METHODS.get(m, m) for m in (r.methods or "").split(",") if m]
    return {
        "receipt_number": r.receipt_number,
        "code": r.code,
        "name": r.name,
        "time": local_text(r.created_at, tz),
        "cashier": r.cashier,
        "subtotal_vnd": int(r.subtotal_vnd),
        "discount_vnd": int(r.discount_vnd),
        "total_vnd": int(r.total_vnd),
        "refunded_vnd": int(r.refunded_vnd),
        "methods": ", ".join(methods),
        "status": sale_status(r.status, r.refunded_vnd),
        "customer": r.customer or "",
        "_customer_uuid": str(r.customer_uuid) if r.customer_uuid else "",
        "_uuid": str(r.uuid),
        "_flag": "voided" if r.status != COMPLETED else "",
    }


def list_sales(session: Session, f: SaleFilter, page: int = 1, per_page: int = 50) -> SalePage:
    """One page of the sales matching the filter, newest first."""
    where, params, any_date = _sale_where(session, f)
    total = _count_sales(session, f)
    if total is None:
        total = int(session.execute(text(f"SELECT COUNT(*) FROM sale s WHERE {where}"), params).scalar_one())
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    # The page's sales are chosen first, so the per-sale look-ups run for 50 rows, not for the whole period.
    source = f"(SELECT s.* FROM sale s WHERE {where} ORDER BY {SALE_ORDER} LIMIT :limit OFFSET :offset) s"
    sql = SALE_LIST_SELECT.format(source=source, where="TRUE", order=SALE_ORDER)
    found = fetch_rows(session, sql, {**params, "limit": per_page, "offset": (page - 1) * per_page})
    return SalePage([_sale_row(r, f.period.tz) for r in found], total, page, per_page, any_date)


# How many sales of a day match each status, as summary_showroom_day keeps them.
SUMMARY_COUNTS = {"": "sales + voided", "completed": "sales", "voided": "voided", "returned": "returned_sales"}


def _count_sales(session: Session, f: SaleFilter) -> int | None:
    """The number of sales matching the filter, from the summaries; None when a receipt number or a customer
    is searched."""
    if f.number.strip() or f.customer or f.status not in SUMMARY_COUNTS:
        return None
    only = " AND d.showroom_id = :showroom" if f.showroom_id is not None else ""
    sql = (
        f"SELECT COALESCE(SUM({SUMMARY_COUNTS[f.status]}), 0) FROM summary_showroom_day d "
        f"WHERE d.day BETWEEN :start AND :end{only}"
    )
    params = {"start": f.period.start, "end": f.period.end, "showroom": f.showroom_id}
    return int(session.execute(text(sql), params).scalar_one())


SALE_LIST_COLUMNS = [
    Column("receipt_number", "Số hóa đơn"),
    Column("code", "Mã"),
    Column("name", "Cửa hàng"),
    Column("time", "Thời gian"),
    Column("cashier", "Thu ngân"),
    Column("customer", "Khách hàng"),
    Column("subtotal_vnd", "Tiền hàng", VND),
    Column("discount_vnd", "Giảm giá", VND),
    Column("total_vnd", "Tổng thanh toán", VND),
    Column("refunded_vnd", "Đã hoàn tiền", VND),
    Column("methods", "Hình thức thanh toán"),
    Column("status", "Trạng thái"),
]


def iter_sales(session: Session, f: SaleFilter, chunk: int = 5_000) -> Iterator[dict[str, Any]]:
    """Every sale matching the filter, newest first, streamed from a server-side cursor (for the CSV)."""
    where, params, _ = _sale_where(session, f)
    result = session.execute(
        text(SALE_LIST_SELECT.format(source="sale s", where=where, order=SALE_ORDER)).execution_options(
            yield_per=chunk, stream_results=True
        ),
        params,
    )
    for r in result:
        yield _sale_row(r, f.period.tz)


@dataclass
class ReturnView:
    """A return against the receipt, with each line's product name from the sale line it came from."""

    ret: SaleReturn
    lines: list[dict[str, Any]]


@dataclass
class ReceiptView:
    """One sale as the showroom issued it, with what happened to it afterwards."""

    sale: Sale
    showroom: Showroom
    lines: list[SaleLine]
    payments: list[Payment]
    vat: list[dict[str, int]]
    returns: list[ReturnView] = field(default_factory=list)
    void: SaleVoid | None = None
    shift: ShiftClose | None = None
    names: dict[str, str] = field(default_factory=dict)  # username -> full name, this showroom's
    weighed: set[int] = field(default_factory=set)  # the products of its lines sold by weight (qty in grams)

    def sold_by(self, product_id: int | None) -> str:
        """How a line's product is sold, as its record says: "weight" (grams, price per kg) or "piece"."""
        return WEIGHT if product_id in self.weighed else PIECE

    def who(self, username: str | None) -> str:
        """The full name of a username the records carry (the username when no record has named them)."""
        return self.names.get(username or "", username or "")

    @property
    def discount_vnd(self) -> int:
        return self.sale.line_discount_vnd + self.sale.sale_discount_vnd

    @property
    def refunded_vnd(self) -> int:
        return sum(r.ret.total_vnd for r in self.returns)


def get_receipt(session: Session, sale_uuid: UUID) -> ReceiptView:
    """The receipt of one sale: lines, discounts, VAT by rate, payments, returns and void; NotFound if unknown."""
    sale = session.exec(select(Sale).where(Sale.uuid == sale_uuid).order_by(col(Sale.id))).first()
    if sale is None:
        raise NotFound("Không có đơn bán này ở trung tâm (có thể cửa hàng chưa đồng bộ).")
    showroom = session.get(Showroom, sale.showroom_id)
    assert showroom is not None
    lines = list(session.exec(select(SaleLine).where(SaleLine.sale_id == sale.id).order_by(col(SaleLine.line_no))))
    payments = list(session.exec(select(Payment).where(Payment.sale_id == sale.id).order_by(col(Payment.id))))
    vat: dict[int, dict[str, int]] = {}
    for line in lines:
        slot = vat.setdefault(line.vat_rate_bp, {"rate_bp": line.vat_rate_bp, "gross_vnd": 0, "vat_vnd": 0})
        slot["gross_vnd"] += line.total_vnd
        slot["vat_vnd"] += line.vat_vnd
    by_no = {line.line_no: line for line in lines}
    returns = []
    for ret in session.exec(
        select(SaleReturn)
        .where(SaleReturn.showroom_id == sale.showroom_id, SaleReturn.sale_uuid == sale.uuid)
        .order_by(col(SaleReturn.created_at))
    ):
        rlines = session.exec(
            select(ReturnLine).where(ReturnLine.return_id == ret.id).order_by(col(ReturnLine.sale_line_no))
        )
        returns.append(
            ReturnView(
                ret,
                [
                    {
                        "line_no": rl.sale_line_no,
                        "name": by_no[rl.sale_line_no].name if rl.sale_line_no in by_no else UNKNOWN,
                        "unit": by_no[rl.sale_line_no].unit if rl.sale_line_no in by_no else "",
                        "qty": rl.qty,
                        "product_id": rl.product_id,
                        "amount_vnd": rl.amount_vnd,
                    }
                    for rl in rlines
                ],
            )
        )
    void = session.exec(
        select(SaleVoid).where(SaleVoid.showroom_id == sale.showroom_id, SaleVoid.sale_uuid == sale.uuid)
    ).first()
    shift = session.exec(
        select(ShiftClose).where(ShiftClose.showroom_id == sale.showroom_id, ShiftClose.uuid == sale.shift_uuid)
    ).first()
    return ReceiptView(
        sale=sale,
        showroom=showroom,
        lines=lines,
        payments=payments,
        vat=[vat[rate] for rate in sorted(vat, reverse=True)],
        returns=returns,
        void=void,
        shift=shift,
        names=full_names(session, sale.showroom_id),
        weighed=set(
            session.exec(
                select(Product.id).where(
                    col(Product.id).in_({line.product_id for line in lines}), Product.sold_by == WEIGHT
                )
            )
        ),  # type: ignore[arg-type]
    )


def receipt_report(view: ReceiptView) -> Report:
    """The receipt's lines as a table (for its CSV)."""
    rows = [
        {
            "line_no": line.line_no,
            "sku": line.sku,
            "barcode": line.barcode or "",
            "name": line.name,
            "unit": display_unit(view.sold_by(line.product_id), line.unit),
            "qty": Quantity(line.qty, view.sold_by(line.product_id)),
            "unit_price_vnd": line.unit_price_vnd,
            "discount_vnd": line.discount_vnd,
            "total_vnd": line.total_vnd,
            "vat_rate": format_bp(line.vat_rate_bp),
            "vat_vnd": line.vat_vnd,
        }
        for line in view.lines
    ]
    totals = {
        "name": "Tổng cộng",
        # Grams and pieces never add up: the quantity is totalled only when every line counts the same way.
        **({"qty": sum(r["qty"] for r in rows)} if len({r["qty"].sold_by for r in rows}) == 1 else {}),
        "discount_vnd": sum(r["discount_vnd"] for r in rows),
        "total_vnd": sum(r["total_vnd"] for r in rows),
        "vat_vnd": sum(r["vat_vnd"] for r in rows),
    }
    return Report(
        "receipt",
        f"Hóa đơn {view.sale.receipt_number}",
        "Các dòng hàng của hóa đơn như cửa hàng đã xuất; thành tiền đã trừ giảm giá, giá đã bao gồm thuế GTGT.",
        [
            Column("line_no", "STT", INT),
            Column("sku", "Mã hàng"),
            Column("barcode", "Mã vạch"),
            Column("name", "Sản phẩm"),
            Column("unit", "Đơn vị"),
            Column("qty", "SL", QTY),
            Column("unit_price_vnd", "Đơn giá", VND),
            Column("discount_vnd", "Giảm giá", VND),
            Column("total_vnd", "Thành tiền", VND),
            Column("vat_rate", "Thuế suất GTGT", TEXT),
            Column("vat_vnd", "Tiền thuế GTGT", VND),
        ],
        rows,
        totals,
        as_of=view.sale.sold_on,
    )
