"""What a central promotion did across the network (/office/promotions/<id>/results): per showroom, its sales,
quantities (pieces apart from kg), revenue, the discount it gave and who bore it.

Read from ``summary_promotion_day`` (pos/central/summaries.py, kept in each push's transaction, rebuilt and
checked with the other summaries) by its index on the promotion: a few hundred rows per showroom and year at
most, never the sale lines. The period is the promotion's own: the lines it priced (it priced none outside its
period), less what came back of them whenever it came back.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlmodel import Session

from pos.central.models import CentralPromotion
from pos.central.office.common import fetch_rows, iter_rows, page_window
from pos.reports.table import INT, KG, VND, Column, Report

PER_PAGE = 100

COUNTED = (
    "Tính các dòng hàng chương trình này đã giảm giá trong các đơn bán đã hoàn tất (theo thời gian của chương "
    "trình), trừ hàng khách trả lại sau đó (theo số tiền đã hoàn, cùng phần giảm giá của số lượng trả). Không tính "
    "đơn đã hủy. Doanh thu là tiền khách trả cho các dòng đó (đã trừ khuyến mãi). Hàng cân tính theo kg, không cộng "
    "vào số cái. Chi phí khuyến mãi do cửa hàng hoặc nhà sản xuất chịu như lúc bán, như trong biên bản đối soát. "
    "Chỉ gồm dữ liệu các cửa hàng đã đồng bộ về trung tâm."
)

COLUMNS = [
    Column("code", "Mã"),
    Column("name", "Cửa hàng"),
    Column("sales", "Số đơn", INT),
    Column("qty", "Số lượng (cái)", INT),
    Column("grams", "Khối lượng (kg)", KG),
    Column("sales_vnd", "Doanh thu", VND),
    Column("discount_vnd", "Giảm giá khuyến mãi", VND),
    Column("showroom_cost_vnd", "Cửa hàng chịu", VND),
    Column("producer_cost_vnd", "Nhà sản xuất chịu", VND),
]
FIGURES = ("sales", "qty", "grams", "sales_vnd", "discount_vnd", "showroom_cost_vnd", "producer_cost_vnd")

# Per showroom: its days' rows summed (sales and returns net); the showrooms listed are those it is for (every
# active one, or its chosen list) and any other that sold under it (one taken off the list afterwards).
_FIGURES = """
SELECT d.showroom_id, SUM(d.sales)::bigint AS sales, SUM(d.qty_sold - d.qty_returned)::bigint AS qty,
       SUM(d.grams_sold - d.grams_returned)::bigint AS grams, SUM(d.sales_vnd - d.refunds_vnd)::bigint AS sales_vnd,
       SUM(d.discount_vnd)::bigint AS discount_vnd, SUM(d.showroom_cost_vnd)::bigint AS showroom_cost_vnd,
       SUM(d.producer_cost_vnd)::bigint AS producer_cost_vnd
FROM summary_promotion_day d
WHERE d.promotion_uuid = :uuid
GROUP BY d.showroom_id
"""
_SHOPS = """
SELECT sr.id FROM showroom sr WHERE :all_showrooms AND sr.is_active
UNION SELECT x.showroom_id FROM central_promotion_showroom x WHERE x.promotion_id = :promotion_id AND x.is_chosen
UNION SELECT f.showroom_id FROM figures f
"""
ROWS_SQL = f"""
WITH figures AS ({_FIGURES}), shops AS ({_SHOPS})
SELECT sr.code, sr.name, {", ".join(f"COALESCE(f.{k}, 0) AS {k}" for k in FIGURES)}
FROM shops JOIN showroom sr ON sr.id = shops.id LEFT JOIN figures f ON f.showroom_id = sr.id
ORDER BY sr.code{{page}}
"""
TOTALS_SQL = f"""
WITH figures AS ({_FIGURES}), shops AS ({_SHOPS})
SELECT (SELECT COUNT(*) FROM shops) AS showrooms, (SELECT COUNT(*) FROM figures WHERE sales > 0) AS selling,
       {", ".join(f"COALESCE((SELECT SUM({k}) FROM figures), 0)::bigint AS {k}" for k in FIGURES)}
"""


def _params(promotion: CentralPromotion) -> dict[str, Any]:
    return {"uuid": promotion.uuid, "promotion_id": promotion.id, "all_showrooms": promotion.all_showrooms}


def _row(r: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"code": r.code, "name": r.name}
    row.update({k: int(getattr(r, k)) for k in FIGURES})
    return row


def results(session: Session, promotion: CentralPromotion, page: int = 1, per_page: int | None = PER_PAGE) -> Report:
    """The promotion's figures per showroom, one page of them (``per_page`` None: every showroom, streamed from a
    server-side cursor, for the exports), with the whole network's totals."""
    params = _params(promotion)
    total = fetch_rows(session, TOTALS_SQL, params)[0]
    pager, clause, page_params = page_window(page, per_page, int(total.showrooms))
    sql = ROWS_SQL.format(page=clause)
    rows: list[dict[str, Any]] | Iterator[dict[str, Any]]
    if pager is None:
        rows = (_row(r) for r in iter_rows(session, sql, {**params, **page_params}))
    else:
        rows = [_row(r) for r in fetch_rows(session, sql, {**params, **page_params})]
    totals: dict[str, Any] = {"code": "Tổng cộng", "name": f"{int(total.showrooms)} cửa hàng"}
    totals.update({k: int(getattr(total, k)) for k in FIGURES})
    return Report(
        "promotion_results",
        f"Kết quả khuyến mãi “{promotion.name}”",
        COUNTED,
        COLUMNS,
        rows,  # type: ignore[arg-type]
        totals,
        params={"paging": pager, "selling": int(total.selling)},
    )
