"""One customer at the central office: who they are (only what central holds) and what they bought everywhere.

A customer is a customer of each showroom it bought at, under each showroom's own uuid. The page opens on one
of those records and gathers the purchases of every record of the same person or company (its phone or its tax
code, the rule of the sales list's filter: ``receipts.SAME_CUSTOMER``). An erased record has no phone or tax
code left, so its page shows its own purchases only, and nothing personal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlmodel import Session, col, select

from pos.central.models import Customer, Showroom
from pos.central.office.common import COMPLETED, fetch_rows, iter_rows, page_window
from pos.central.office.receipts import SALE_ORDER, SAME_CUSTOMER, sale_status
from pos.errors import NotFound
from pos.reports.table import DATE, INT, VND, Column, Report

PER_PAGE = 50


@dataclass(frozen=True)
class CustomerView:
    """The record the page opened on, and the showroom that knows it under that uuid."""

    uuid: UUID
    showroom: Showroom
    name: str
    phone: str
    company_name: str
    tax_code: str
    erased_at: datetime | None

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None

    @property
    def title(self) -> str:
        """How the page names the customer: the company when there is one, else the person."""
        if self.is_erased:
            return "Khách hàng đã xóa dữ liệu cá nhân"
        return self.company_name or self.name or self.phone or "Khách hàng"


def get_customer(session: Session, customer_uuid: UUID) -> CustomerView:
    """The customer record of this uuid as central holds it; NotFound when no showroom has sent it."""
    found = customer_record(session, customer_uuid)
    if found is None:
        raise NotFound("Trung tâm không có khách hàng này (cửa hàng chưa gửi khách hàng về trung tâm).")
    return found


def customer_record(session: Session, customer_uuid: UUID) -> CustomerView | None:
    """The customer record of this uuid as central holds it; None when no showroom has sent it (a sale can name a
    customer its showroom keeps to itself)."""
    found = session.exec(select(Customer).where(Customer.uuid == customer_uuid).order_by(col(Customer.id))).first()
    if found is None:
        return None
    showroom = session.get(Showroom, found.showroom_id)
    assert showroom is not None
    erased = found.erased_at is not None
    return CustomerView(
        uuid=found.uuid,
        showroom=showroom,
        # An erasure blanks these at ingest already; the page never shows them for an erased record regardless.
        name="" if erased else found.name,
        phone="" if erased else found.phone,
        company_name="" if erased else found.company_name,
        tax_code="" if erased else found.tax_code,
        erased_at=found.erased_at,
    )


def find_customer(session: Session, key: str) -> UUID | None:
    """A customer record having this phone or tax code (``customer_key``'s form), the latest changed; None if none."""
    sql = f"SELECT x.uuid FROM customer x WHERE (x.showroom_id, x.uuid) IN ({SAME_CUSTOMER}) ORDER BY x.updated_at DESC"
    found = fetch_rows(session, sql + " LIMIT 1", {"phone": key, "tax_code": key})
    return found[0].uuid if found else None


# The sales of every record of the same customer: this record, and (unless erased) those sharing its phone or tax.
PURCHASES_WHERE = f"""
s.customer_uuid IS NOT NULL AND (s.showroom_id, s.customer_uuid) IN (
    SELECT :own_showroom, CAST(:own_uuid AS uuid) UNION {SAME_CUSTOMER})
"""

PURCHASE_ROWS = f"""
SELECT s.uuid, s.receipt_number, s.sold_on, s.status, s.total_vnd, sr.code, sr.name,
       (SELECT COALESCE(SUM(r.total_vnd), 0) FROM sale_return r WHERE r.sale_id = s.id)::bigint AS refunded_vnd
FROM sale s JOIN showroom sr ON sr.id = s.showroom_id
WHERE {PURCHASES_WHERE}
ORDER BY {SALE_ORDER}{{page}}
"""

# Per showroom: every sale (the list's length), and what the completed ones came to, less what was refunded.
PER_SHOWROOM = f"""
SELECT sr.code, sr.name, COUNT(*) AS listed,
       COUNT(*) FILTER (WHERE s.status = :completed) AS sales,
       COALESCE(SUM(s.total_vnd) FILTER (WHERE s.status = :completed), 0)::bigint AS sales_vnd,
       COALESCE(SUM(ret.refunded_vnd) FILTER (WHERE s.status = :completed), 0)::bigint AS refunds_vnd,
       MAX(s.sold_on) FILTER (WHERE s.status = :completed) AS last_on
FROM sale s JOIN showroom sr ON sr.id = s.showroom_id
LEFT JOIN (SELECT r.sale_id, SUM(r.total_vnd) AS refunded_vnd FROM sale_return r GROUP BY r.sale_id) ret
       ON ret.sale_id = s.id
WHERE {PURCHASES_WHERE}
GROUP BY sr.code, sr.name
ORDER BY sr.code
"""

PURCHASE_COLUMNS = [
    Column("sold_on", "Ngày", DATE),
    Column("code", "Mã"),
    Column("name", "Cửa hàng"),
    Column("receipt_number", "Số hóa đơn"),
    Column("total_vnd", "Tổng thanh toán", VND),
    Column("refunded_vnd", "Đã hoàn tiền", VND),
    Column("status", "Trạng thái"),
]

SHOWROOM_COLUMNS = [
    Column("code", "Mã"),
    Column("name", "Cửa hàng"),
    Column("sales", "Số đơn", INT),
    Column("sales_vnd", "Tổng mua", VND),
    Column("refunds_vnd", "Hoàn tiền trả hàng", VND),
    Column("net_vnd", "Thực mua", VND),
    Column("last_on", "Lần mua cuối", DATE),
]


def _params(view: CustomerView) -> dict[str, Any]:
    return {
        "own_showroom": view.showroom.id,
        "own_uuid": str(view.uuid),
        # Blank for an erased record, and NULLIF'd in SAME_CUSTOMER: an empty phone matches nobody.
        "phone": view.phone,
        "tax_code": view.tax_code,
        "completed": COMPLETED,
    }


def _purchase_row(r: Any) -> dict[str, Any]:
    return {
        "sold_on": r.sold_on,
        "code": r.code,
        "name": r.name,
        "receipt_number": r.receipt_number,
        "total_vnd": int(r.total_vnd),
        "refunded_vnd": int(r.refunded_vnd),
        "status": sale_status(r.status, int(r.refunded_vnd)),
        "_uuid": str(r.uuid),
        "_flag": "voided" if r.status != COMPLETED else "",
    }


def per_showroom(session: Session, view: CustomerView) -> Report:
    """The customer's totals at each showroom it bought at (completed sales, less refunds), summed in SQL."""
    rows = []
    for r in fetch_rows(session, PER_SHOWROOM, _params(view)):
        sales_vnd, refunds_vnd = int(r.sales_vnd), int(r.refunds_vnd)
        rows.append(
            {
                "code": r.code,
                "name": r.name,
                "sales": int(r.sales),
                "sales_vnd": sales_vnd,
                "refunds_vnd": refunds_vnd,
                "net_vnd": sales_vnd - refunds_vnd,
                "last_on": r.last_on,
                "_listed": int(r.listed),
            }
        )
    totals = {k: sum(r[k] for r in rows) for k in ("sales", "sales_vnd", "refunds_vnd", "net_vnd")}
    last = [r["last_on"] for r in rows if r["last_on"]]
    return Report(
        "customer_showrooms",
        "Theo cửa hàng",
        "Đơn đã hoàn tất, trừ tiền đã hoàn khi trả hàng; đơn đã hủy có trong danh sách nhưng không được tính.",
        SHOWROOM_COLUMNS,
        rows,
        {"code": "Tổng cộng", "name": f"{len(rows)} cửa hàng", **totals, "last_on": max(last) if last else None},
    )


def purchases(
    session: Session, view: CustomerView, listed: int, page: int = 1, per_page: int | None = PER_PAGE
) -> Report:
    """The customer's sales at every showroom, newest first: one page of them (``per_page`` None: every one,
    streamed from a server-side cursor, for the CSV). ``listed`` is how many there are (per_showroom's count)."""
    pager, clause, page_params = page_window(page, per_page, listed)
    sql = PURCHASE_ROWS.format(page=clause)
    params = {**_params(view), **page_params}
    rows: Any
    if pager is None:
        rows = (_purchase_row(r) for r in iter_rows(session, sql, params))
    else:
        rows = [_purchase_row(r) for r in fetch_rows(session, sql, params)]
    return Report(
        "customer_sales",
        f"Mua hàng của {view.title}",
        "Mọi đơn bán các cửa hàng đã đồng bộ về có ghi khách hàng này, kể cả đơn đã hủy (không tính vào tổng).",
        PURCHASE_COLUMNS,
        rows,
        params={"paging": pager},
    )
