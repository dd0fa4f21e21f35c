"""Sync freshness of every showroom, and the central server's check of each closed shift (read as they are:
one row per showroom or per shift, a few hundred thousand a year at most, by the closing day's index; the shifts
a page at a time, every one streamed for the exports)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from pos.central.models import CHECK_STATUSES, Showroom
from pos.central.office.common import (
    OfficeQuery,
    fetch_rows,
    iter_rows,
    local_text,
    local_text_sql,
    only_showroom,
    paging,
    period_params,
    sync_state,
)
from pos.central.staff_names import full_name_join
from pos.money import format_vnd
from pos.reports.table import INT, VND, Column, Report
from pos.sales.models import PAYMENT_METHODS


def sync_report(session: Session, q: OfficeQuery) -> Report:
    """Every showroom's last push; those quiet for more than ``stale_days`` first, flagged."""
    now = q.now or datetime.now().astimezone()
    rows = []
    for shop in session.exec(select(Showroom).order_by(Showroom.code)):
        flag, state = sync_state(shop, q)
        rows.append(
            {
                "code": shop.code,
                "name": shop.name,
                "province": shop.province,
                "last_sync": local_text(shop.last_push_at, q.period.tz),
                "days_quiet": None if shop.last_push_at is None else (now - shop.last_push_at).days,
                "records": shop.records_received,
                "last_seq": shop.last_seq,
                "sync_state": state,
                "_flag": flag,
                "_showroom_id": shop.id,
            }
        )
    rows.sort(
        key=lambda r: (r["_flag"] != "stale", -(r["days_quiet"] if r["days_quiet"] is not None else 10**6), r["code"])
    )
    stale = sum(1 for r in rows if r["_flag"] == "stale")
    return Report(
        "sync",
        "Tình trạng đồng bộ dữ liệu",
        f"Cửa hàng quá {q.stale_days} ngày chưa đồng bộ về trung tâm được đánh dấu; "
        "số liệu bán hàng của các cửa hàng này có thể chưa đầy đủ.",
        [
            Column("code", "Mã"),
            Column("name", "Cửa hàng"),
            Column("province", "Tỉnh/thành"),
            Column("last_sync", "Đồng bộ lần cuối"),
            Column("days_quiet", "Số ngày chưa đồng bộ", INT),
            Column("records", "Bản ghi đã nhận", INT),
            Column("last_seq", "Số thứ tự bản ghi cuối", INT),
            Column("sync_state", "Tình trạng"),
        ],
        rows,
        None,
        as_of=now.astimezone(q.period.tz).date(),
        params={"stale": stale, "stale_days": q.stale_days},
    )


FIGURE_NAMES = {
    "sales_count": "Số đơn",
    "sales_total_vnd": "Doanh thu bán",
    "discounts_vnd": "Giảm giá",
    "voids_count": "Số đơn hủy",
    "refunds_total_vnd": "Hoàn tiền",
}


def check_text(detail: dict[str, Any] | None) -> str:
    """The central server's check of a shift in plain Vietnamese: what is missing, which figures differ."""
    detail = detail or {}
    parts = []
    if detail.get("missing_sales_count"):
        parts.append(f"Thiếu {detail['missing_sales_count']} đơn bán chưa về trung tâm")
    if detail.get("missing_returns_count"):
        parts.append(f"Thiếu {detail['missing_returns_count']} phiếu trả hàng chưa về trung tâm")
    if detail.get("unexpected"):
        parts.append(f"{len(detail['unexpected'])} chứng từ không có trong báo cáo đóng ca")
    for name, values in (detail.get("differences") or {}).items():
        if name.startswith("payments_by_method."):
            method = name.split(".", 1)[1]
            label = f"Thu {PAYMENT_METHODS.get(method, method).lower()}"
        else:
            label = FIGURE_NAMES.get(name, name)
        money = name.endswith("_vnd") or name.startswith("payments_by_method.")
        shown = [_amount(values.get("showroom", 0), money), _amount(values.get("central", 0), money)]
        parts.append(f"{label}: cửa hàng {shown[0]}, trung tâm {shown[1]}")
    return "; ".join(parts)


def _amount(value: int, money: bool) -> str:
    return format_vnd(int(value)) if money else f"{int(value):,}".replace(",", ".")


CASHIER_JOIN, CASHIER = full_name_join("sc.showroom_id", "sc.cashier")
# Problems first, then the newest. The sort keys lead the inner row: PostgreSQL then compares two shifts without
# walking past their text columns to reach the keys (a year's 73,000 shifts sorted in 0.20 instead of 0.29 s).
# The outer ORDER BY is the inner one, so PostgreSQL sorts once; it only drops the keys.
SHIFT_ROWS = f"""
SELECT cashier, opened, closed, sales_count, sales_total_vnd, refunds_total_vnd, voids_count, difference_vnd,
       check_status, check_detail, code, name, showroom_id
FROM (SELECT CASE sc.check_status WHEN 'mismatch' THEN 0 WHEN 'incomplete' THEN 1 ELSE 2 END AS problem_rank,
             sc.closed_at, sc.id, {CASHIER} AS cashier,
             {{opened}} AS opened, {{closed}} AS closed, sc.sales_count, sc.sales_total_vnd, sc.refunds_total_vnd,
             sc.voids_count, sc.difference_vnd, sc.check_status,
             CASE WHEN sc.check_status <> 'ok' THEN sc.check_detail END AS check_detail,
             sr.code, sr.name, sr.id AS showroom_id
      FROM shift_close sc JOIN showroom sr ON sr.id = sc.showroom_id{CASHIER_JOIN}
      WHERE sc.closed_on BETWEEN :start AND :end{{only}}{{status}}
      ORDER BY 1, 2 DESC, 3 DESC) shifts
ORDER BY problem_rank, closed_at DESC, id DESC{{page}}
"""


def _shift_row(r: Any) -> dict[str, Any]:
    """One shift as the report shows it (its times already written in the office's zone by the query)."""
    cashier, opened, closed, sales, total, refunds, voids, difference, status, detail, code, name, showroom = r
    return {
        "code": code,
        "name": name,
        "cashier": cashier,
        "opened": opened,
        "closed": closed,
        "sales_count": sales,
        "sales_total_vnd": total,
        "refunds_total_vnd": refunds,
        "voids_count": voids,
        "difference_vnd": difference,
        "status": CHECK_STATUSES.get(status, status),
        "detail": check_text(detail) if detail else "",
        "_flag": "" if status == "ok" else status,
        "_status": status,
        "_showroom_id": showroom,
    }


def shift_report(session: Session, q: OfficeQuery) -> Report:
    """Shifts closed in the period with the central server's check (ok / mismatch / incomplete), problems first:
    a page of them on screen, every one in the exports."""
    status_filter = " AND sc.check_status = :status" if q.status in CHECK_STATUSES else ""
    params = {**period_params(q), "status": q.status}
    tz = q.period.tz
    counts = dict.fromkeys(CHECK_STATUSES, 0)  # over every status, so the filter's buttons show what is there
    for r in fetch_rows(
        session,
        "SELECT sc.check_status AS status, COUNT(*) AS n FROM shift_close sc "
        f"WHERE sc.closed_on BETWEEN :start AND :end{only_showroom(q, 'sc')} GROUP BY sc.check_status",
        params,
    ):
        counts[r.status] = int(r.n)
    shown = counts.get(q.status, 0) if status_filter else sum(counts.values())
    pager, clause, page_params = paging(q, shown)
    opened, tz_param = local_text_sql("sc.opened_at", tz)
    closed, _ = local_text_sql("sc.closed_at", tz)
    sql = SHIFT_ROWS.format(
        only=only_showroom(q, "sc"), status=status_filter, page=clause, opened=opened, closed=closed
    )
    params |= tz_param
    if pager is None:
        rows: Any = map(_shift_row, iter_rows(session, sql, params))
    else:
        rows = [_shift_row(r) for r in fetch_rows(session, sql, {**params, **page_params})]
    return Report(
        "shifts",
        "Đối chiếu ca làm việc",
        "Các ca đóng trong kỳ. Trung tâm so số đơn, doanh thu bán, giảm giá, đơn hủy, hoàn tiền và tiền thu theo "
        "từng hình thức với báo cáo đóng ca (Z) của cửa hàng: Khớp; Không khớp (đủ chứng từ nhưng có số khác); "
        "Chưa đủ dữ liệu (còn đơn bán hoặc phiếu trả của ca chưa đồng bộ về). Chênh lệch két là tiền đếm thực tế "
        "trừ tiền theo sổ, do cửa hàng ghi.",
        [
            Column("code", "Mã"),
            Column("name", "Cửa hàng"),
            Column("cashier", "Thu ngân"),
            Column("opened", "Mở ca"),
            Column("closed", "Đóng ca"),
            Column("sales_count", "Số đơn", INT),
            Column("sales_total_vnd", "Doanh thu bán", VND),
            Column("refunds_total_vnd", "Hoàn tiền", VND),
            Column("voids_count", "Đơn hủy", INT),
            Column("difference_vnd", "Chênh lệch két", VND),
            Column("status", "Đối chiếu"),
            Column("detail", "Chi tiết"),
        ],
        rows,
        None,
        period=q.period,
        params={"counts": counts, "hide_columns": ("code", "voids_count"), "paging": pager},
    )
