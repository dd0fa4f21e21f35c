"""The office's e-invoice pages: per showroom and day, invoices issued, sent, accepted, rejected and waiting; and
the list of invoices for the tax return (bảng kê hóa đơn), both with their CSV and XLSX twins.

The figures are the showrooms' own: each kind 'invoice' record carries an invoice's latest state, and the central
table keeps the newest (pos/central/ingest.py). "Sent" counts what the provider has been handed, whatever its
answer; "waiting" what has not reached it yet.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from pos.central.office.common import OfficeQuery, fetch_rows, iter_rows, only_showroom, paging
from pos.reports.table import DATE, INT, VND, Column, Report

STATE_NAMES = {
    "waiting": "Chờ gửi",
    "sent": "Đã gửi, chờ trả lời",
    "accepted": "Đã tiếp nhận, chuyển cơ quan thuế",
    "rejected": "Bị từ chối",
}
KIND_NAMES = {"original": "Gốc", "replacement": "Thay thế", "adjustment": "Điều chỉnh"}


def invoices_by_showroom_day(session: Session, q: OfficeQuery) -> Report:
    """Per showroom and local day: how many invoices were issued and where each stands."""
    rows = fetch_rows(
        session,
        f"""
        SELECT s.code, s.name, i.issued_on AS day, count(*) AS issued,
               count(*) FILTER (WHERE i.state IN ('sent', 'accepted', 'rejected')) AS sent,
               count(*) FILTER (WHERE i.state = 'accepted') AS accepted,
               count(*) FILTER (WHERE i.state = 'rejected') AS rejected,
               count(*) FILTER (WHERE i.state = 'waiting') AS waiting,
               coalesce(sum(i.total_vnd) FILTER (WHERE i.kind = 'original'), 0) AS total_vnd
          FROM invoice i JOIN showroom s ON s.id = i.showroom_id
         WHERE i.issued_on BETWEEN :start AND :end{only_showroom(q, "i")}
         GROUP BY s.code, s.name, i.issued_on
         ORDER BY s.code, i.issued_on
        """,
        {"start": q.period.start, "end": q.period.end, "showroom": q.showroom_id},
    )
    out = [dict(row._mapping) for row in rows]
    keys = ("issued", "sent", "accepted", "rejected", "waiting", "total_vnd")
    totals = {k: sum(int(r[k]) for r in out) for k in keys}
    return Report(
        "invoices",
        "Hóa đơn điện tử theo cửa hàng và ngày",
        "Mọi hóa đơn khởi tạo từ máy tính tiền (gốc và thay thế) theo trạng thái mới nhất cửa hàng đã đồng bộ; "
        "tổng tiền chỉ tính hóa đơn gốc.",
        [
            Column("day", "Ngày", DATE),
            Column("code", "Mã"),
            Column("name", "Cửa hàng"),
            Column("issued", "Đã lập", INT),
            Column("sent", "Đã gửi", INT),
            Column("accepted", "Đã tiếp nhận", INT),
            Column("rejected", "Bị từ chối", INT),
            Column("waiting", "Chờ gửi", INT),
            Column("total_vnd", "Tổng tiền hóa đơn gốc", VND),
        ],
        out,
        {"day": "Tổng cộng", **totals},
        period=q.period,
    )


INVOICE_WHERE = "FROM invoice i JOIN showroom s ON s.id = i.showroom_id WHERE i.issued_on BETWEEN :start AND :end"


def _invoice_row(row: Any) -> dict[str, Any]:
    r = dict(row._mapping)
    r["symbol"] = f"{r.pop('form')}{r['symbol']}"
    r["number"] = f"{int(r['number']):08d}"
    r["kind"] = KIND_NAMES.get(r["kind"], r["kind"])
    r["state"] = STATE_NAMES.get(r["state"], r["state"])
    r["buyer_name"] = r["buyer_name"] or "Người mua không lấy hóa đơn"
    return r


def invoice_list(session: Session, q: OfficeQuery) -> Report:
    """Bảng kê hóa đơn: every invoice of the period with its buyer, amounts before VAT, VAT and state (one invoice
    a sale from a cash register: a page of them on screen, the totals summed in SQL, every one in the exports)."""
    where = INVOICE_WHERE + only_showroom(q, "i")
    params = {"start": q.period.start, "end": q.period.end, "showroom": q.showroom_id}
    found = fetch_rows(
        session,
        "SELECT COUNT(*) AS n, COALESCE(SUM(i.total_vnd - i.vat_vnd), 0)::bigint AS net_vnd, "
        f"COALESCE(SUM(i.vat_vnd), 0)::bigint AS vat_vnd, COALESCE(SUM(i.total_vnd), 0)::bigint AS total_vnd {where}",
        params,
    )[0]
    pager, clause, page_params = paging(q, int(found.n))
    sql = f"""
        SELECT s.code, i.form, i.symbol, i.number, i.issued_on AS day, i.mccqt, i.kind, i.buyer_name,
               i.buyer_tax_code, i.total_vnd - i.vat_vnd AS net_vnd, i.vat_vnd, i.total_vnd, i.state, i.reason
        {where}
        ORDER BY s.code, i.form, i.symbol, i.number{clause}
    """
    if pager is None:
        out: Any = (_invoice_row(r) for r in iter_rows(session, sql, params))
    else:
        out = [_invoice_row(r) for r in fetch_rows(session, sql, {**params, **page_params})]
    totals = {k: int(getattr(found, k)) for k in ("net_vnd", "vat_vnd", "total_vnd")}
    return Report(
        "invoice_list",
        "Bảng kê hóa đơn điện tử",
        "Hóa đơn khởi tạo từ máy tính tiền theo ký hiệu và số; hóa đơn thay thế ghi số tiền còn lại sau thay thế.",
        [
            Column("code", "Cửa hàng"),
            Column("symbol", "Ký hiệu"),
            Column("number", "Số"),
            Column("day", "Ngày lập", DATE),
            Column("mccqt", "Mã CQT"),
            Column("kind", "Loại"),
            Column("buyer_name", "Người mua"),
            Column("buyer_tax_code", "MST người mua"),
            Column("net_vnd", "Chưa thuế", VND),
            Column("vat_vnd", "Thuế GTGT", VND),
            Column("total_vnd", "Tổng tiền", VND),
            Column("state", "Trạng thái"),
            Column("reason", "Lý do từ chối"),
        ],
        out,
        {"code": "Tổng cộng", **totals},
        period=q.period,
        params={"paging": pager},
    )
