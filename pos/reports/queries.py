"""Manager reports, aggregated in SQL over sales, returns, payments and the stock ledger.

What every sales figure counts: completed sales whose time falls in the period (local showroom days),
less the goods customers brought back in the period (counted on the day of the return, against the
price actually paid). Voided sales count nowhere, nor do returns against them. Discounts are already
inside each line's total (SaleLine.total_vnd = qty x unit price - discount).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, bindparam, text
from sqlmodel import Session

from pos.catalog.certificates import CERTIFICATE_STATUSES, certificate_status
from pos.catalog.models import PRODUCT_GROUPS
from pos.db import UTCDateTime
from pos.money import div_round
from pos.quantity import WEIGHT, Quantity, amount_sql, display_unit, line_amount, min_stock_sql
from pos.reports.period import Period, local_midnight
from pos.reports.table import DATE, INT, KG, QTY, SHARE, STARS, VND, Column, Report
from pos.sales.models import PAYMENT_METHODS

COMPLETED = "completed"
STAR_LEVELS = (5, 4, 3, None)

COUNTED_SALES = (
    "Tính các đơn bán đã hoàn tất trong kỳ (theo giờ Việt Nam), trừ hàng khách trả lại trong kỳ "
    "(tính vào ngày trả, theo số tiền đã hoàn). Không tính đơn đã hủy và hàng trả của đơn đã hủy. "
    "Giảm giá đã được trừ vào doanh thu."
)


@dataclass(frozen=True)
class ReportQuery:
    """What the manager asked for: the period and each report's own settings."""

    period: Period
    today: date
    days: int = 0  # slow movers: no sale in this many days; certificates: expiring within
    limit: int = 20  # top sellers
    sort: str = "net"  # top sellers: "net" (doanh thu) or "qty" (số lượng)
    group: str = "product"  # stock value: per "product" or per "producer"
    low_stock_default: int = 5


# --- SQL helpers ---------------------------------------------------------------------------------------


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _local_day(session: Session, column: str, offset: int) -> str:
    """SQL for the local calendar day (YYYY-MM-DD) of a stored UTC timestamp."""
    if _dialect(session) == "postgresql":
        return f"to_char({column} + make_interval(secs => {offset}), 'YYYY-MM-DD')"
    return f"date({column}, '{offset:+d} seconds')"


def _local_hour(session: Session, column: str, offset: int) -> str:
    """SQL for the local hour (0-23) of a stored UTC timestamp."""
    if _dialect(session) == "postgresql":
        return f"CAST(EXTRACT(HOUR FROM {column} + make_interval(secs => {offset})) AS INTEGER)"
    if offset % 3600 == 0:
        # Stored as 'YYYY-MM-DD HH:MM:SS.ffffff': reading the hour digits is several times cheaper than strftime.
        return f"((CAST(substr({column}, 12, 2) AS INTEGER) + {offset // 3600 + 24}) % 24)"
    return f"CAST(strftime('%H', {column}, '{offset:+d} seconds') AS INTEGER)"


def fetch(session: Session, sql: str, params: dict[str, Any], **types: Any) -> list[Any]:
    """Run SQL with datetimes and dates bound through the model's own column types, and lists for ``IN :name``."""
    binds = []
    for name, value in params.items():
        if isinstance(value, datetime):
            binds.append(bindparam(name, type_=UTCDateTime()))
        elif isinstance(value, date):
            binds.append(bindparam(name, type_=Date()))
        elif isinstance(value, list | tuple | set | frozenset):
            binds.append(bindparam(name, expanding=True))  # "x IN :name"
    stmt: Any = text(sql).bindparams(*binds)
    if types:
        stmt = stmt.columns(**types)
    return list(session.execute(stmt, params).all())  # one fetchall, not a fetchone per row


def _period_params(period: Period) -> dict[str, Any]:
    return {"start": period.utc_start, "end": period.utc_end, "completed": COMPLETED}


# Each sale line of the period counted once, each return line of the period once, negative. Quantities go to
# qty_* (pieces) or grams_* (goods sold by weight), never one added to the other.
_PIECES = "CASE WHEN sl.sold_by = 'weight' THEN 0 ELSE {q} END"
_GRAMS = "CASE WHEN sl.sold_by = 'weight' THEN {q} ELSE 0 END"
NET_LINES = f"""
SELECT sl.product_id AS product_id, sl.producer_id AS producer_id,
       {_PIECES.format(q="sl.qty")} AS qty_sold, 0 AS qty_returned,
       {_GRAMS.format(q="sl.qty")} AS grams_sold, 0 AS grams_returned,
       {amount_sql("sl.qty", "sl.unit_price_vnd", "sl.sold_by")} AS gross_vnd,
       sl.discount_vnd AS discount_vnd, 0 AS refunds_vnd, sl.total_vnd AS net_vnd,
       {amount_sql("sl.qty", "sl.unit_cost_vnd", "sl.sold_by")} AS cost_vnd
FROM sale s JOIN saleline sl ON sl.sale_id = s.id
WHERE s.status = :completed AND s.created_at >= :start AND s.created_at < :end
UNION ALL
SELECT sl.product_id, sl.producer_id,
       0, {_PIECES.format(q="rl.qty")}, 0, {_GRAMS.format(q="rl.qty")}, 0,
       0, rl.amount_vnd, -rl.amount_vnd,
       -{amount_sql("rl.qty", "sl.unit_cost_vnd", "sl.sold_by")}
FROM salereturn r JOIN returnline rl ON rl.return_id = r.id
     JOIN saleline sl ON sl.id = rl.sale_line_id JOIN sale s ON s.id = sl.sale_id
WHERE s.status = :completed AND r.created_at >= :start AND r.created_at < :end
"""

MEASURES = """
SUM(x.qty_sold) AS qty_sold, SUM(x.qty_returned) AS qty_returned,
SUM(x.grams_sold) AS grams_sold, SUM(x.grams_returned) AS grams_returned, SUM(x.gross_vnd) AS gross_vnd,
SUM(x.discount_vnd) AS discount_vnd, SUM(x.refunds_vnd) AS refunds_vnd, SUM(x.net_vnd) AS net_vnd,
SUM(x.cost_vnd) AS cost_vnd
"""

PIECE_COLUMNS = [
    Column("qty_sold", "SL bán (cái)", INT),
    Column("qty_returned", "SL khách trả (cái)", INT),
    Column("qty_net", "SL thuần (cái)", INT),
]
WEIGHT_COLUMNS = [
    Column("grams_sold", "KL bán (kg)", KG),
    Column("grams_returned", "KL khách trả (kg)", KG),
    Column("grams_net", "KL thuần (kg)", KG),
]
MONEY_COLUMNS = [
    Column("gross_vnd", "Tiền hàng", VND),
    Column("discount_vnd", "Giảm giá", VND),
    Column("refunds_vnd", "Hoàn tiền trả hàng", VND),
    Column("net_vnd", "Doanh thu thuần", VND),
    Column("margin_vnd", "Lãi gộp", VND),
    Column("share_bp", "Tỷ trọng", SHARE),
]
MEASURE_KEYS = (
    "qty_sold",
    "qty_returned",
    "qty_net",
    "grams_sold",
    "grams_returned",
    "grams_net",
    "gross_vnd",
    "discount_vnd",
    "refunds_vnd",
    "net_vnd",
)
COUNTED_WEIGHT = (
    " Số lượng tính theo cái (đơn vị đếm của sản phẩm) cho hàng bán theo cái; hàng bán theo cân tính khối lượng "
    "theo kg ở các cột KL, không cộng vào số lượng."
)


def measure_columns(weighed: bool) -> list[Column]:
    """The columns of a sales breakdown: pieces, then kg when weighed goods are carried, then money."""
    return [*PIECE_COLUMNS, *(WEIGHT_COLUMNS if weighed else []), *MONEY_COLUMNS]


def carries_weighed(session: Session) -> bool:
    """Whether this showroom has any product sold by weight (its reports then show the kg columns)."""
    return bool(fetch(session, "SELECT 1 AS x FROM product WHERE sold_by = :w LIMIT 1", {"w": WEIGHT}))


def _measures(row: Any) -> dict[str, int]:
    """The sums of one group, with the derived net quantity and gross margin."""
    m = row._mapping
    keys = ("qty_sold", "qty_returned", "grams_sold", "grams_returned", "gross_vnd", "discount_vnd", "refunds_vnd")
    values = {k: int(m[k] or 0) for k in keys}
    values["net_vnd"] = int(m["net_vnd"] or 0)
    values["qty_net"] = values["qty_sold"] - values["qty_returned"]
    values["grams_net"] = values["grams_sold"] - values["grams_returned"]
    values["margin_vnd"] = values["net_vnd"] - int(m["cost_vnd"] or 0)
    return values


def _zero_measures() -> dict[str, int]:
    return dict.fromkeys((*MEASURE_KEYS, "margin_vnd"), 0)


def _add_shares(rows: list[dict[str, Any]], key: str = "net_vnd") -> dict[str, Any]:
    """Each row's share of the total (basis points), and the totals row."""
    totals: dict[str, Any] = {}
    for row in rows:
        for k, v in row.items():
            summed = k.endswith("_vnd") or k.startswith(("qty_", "grams_"))
            if summed and isinstance(v, int) and not isinstance(v, bool):
                totals[k] = totals.get(k, 0) + v
    whole = totals.get(key, 0)
    for row in rows:
        row["share_bp"] = div_round(row[key] * 10_000, whole) if whole > 0 else 0
    totals["share_bp"] = 10_000 if whole > 0 else 0
    return totals


# --- Sales breakdowns ----------------------------------------------------------------------------------


def _net_by(
    session: Session, period: Period, key: str, select_sql: str, join_sql: str, group_sql: str, **types: Any
) -> list[Any]:
    """Sum the period's lines per product (or producer) first, then join names to those few rows and regroup."""
    inner = f"SELECT x.{key} AS {key}, {MEASURES} FROM ({NET_LINES}) x GROUP BY x.{key}"
    sql = f"SELECT {select_sql}, {MEASURES} FROM ({inner}) x {join_sql} GROUP BY {group_sql}"
    return fetch(session, sql, _period_params(period), **types)


CERTIFICATE_COLUMN = Column("certificate", "Giấy chứng nhận OCOP")
CERTIFICATE_SQL = "p.ocop_stars AS stars, p.ocop_cert_expiry AS cert_until"  # read with cert_until=Date()


def certificate_cell(row: Any, today: date) -> str:
    """'Còn hiệu lực', 'Sắp hết hạn', 'Đã hết hạn' or 'Chưa có' for a product row read with CERTIFICATE_SQL."""
    return CERTIFICATE_STATUSES[certificate_status(row.stars, row.cert_until, today)]


def sales_by_product(session: Session, q: ReportQuery) -> Report:
    """Net sales of each product sold or returned in the period, best first."""
    rows = []
    for r in _net_by(
        session,
        q.period,
        "product_id",
        f"p.id AS product_id, p.sku AS sku, p.name AS name, pr.name AS producer, {CERTIFICATE_SQL}",
        "JOIN product p ON p.id = x.product_id JOIN producer pr ON pr.id = p.producer_id",
        "p.id, p.sku, p.name, pr.name, p.ocop_stars, p.ocop_cert_expiry",
        cert_until=Date(),
    ):
        certificate = certificate_cell(r, q.today)
        rows.append({"sku": r.sku, "name": r.name, "producer": r.producer, "certificate": certificate, **_measures(r)})
    rows.sort(key=lambda r: (-r["net_vnd"], -r["qty_net"], r["name"]))
    totals = _add_shares(rows)
    columns = [Column("sku", "Mã hàng"), Column("name", "Sản phẩm"), Column("producer", "Nhà sản xuất")]
    return Report(
        "products",
        "Doanh thu theo sản phẩm",
        COUNTED_SALES + COUNTED_WEIGHT,
        [*columns, CERTIFICATE_COLUMN, *measure_columns(carries_weighed(session))],
        rows,
        {"sku": "Tổng cộng", **totals},
        period=q.period,
    )


def sales_by_producer(session: Session, q: ReportQuery) -> Report:
    """Net sales per producer (the producer recorded on each sale line), with a share chart."""
    rows = []
    for r in _net_by(
        session,
        q.period,
        "producer_id",
        "pr.id AS producer_id, pr.name AS name, pr.phone AS phone",
        "JOIN producer pr ON pr.id = x.producer_id",
        "pr.id, pr.name, pr.phone",
    ):
        rows.append({"name": r.name, "phone": r.phone, **_measures(r)})
    rows.sort(key=lambda r: (-r["net_vnd"], r["name"]))
    totals = _add_shares(rows)
    return Report(
        "producers",
        "Doanh thu theo nhà sản xuất",
        COUNTED_SALES + COUNTED_WEIGHT,
        [Column("name", "Nhà sản xuất"), Column("phone", "Điện thoại"), *measure_columns(carries_weighed(session))],
        rows,
        {"name": "Tổng cộng", **totals},
        period=q.period,
        chart=share_chart("Tỷ trọng doanh thu thuần theo nhà sản xuất", rows, "name"),
    )


def sales_by_group(session: Session, q: ReportQuery) -> Report:
    """Net sales per OCOP product group (the product's current group)."""
    found = {
        r.grp: _measures(r)
        for r in _net_by(
            session,
            q.period,
            "product_id",
            "p.ocop_group AS grp",
            "JOIN product p ON p.id = x.product_id",
            "p.ocop_group",
        )
    }
    rows = [{"group": label, **found.pop(key, _zero_measures())} for key, label in PRODUCT_GROUPS.items()]
    rows += [{"group": key or "Khác", **m} for key, m in found.items()]  # a group code no longer listed
    totals = _add_shares(rows)
    return Report(
        "groups",
        "Doanh thu theo nhóm sản phẩm OCOP",
        COUNTED_SALES + " Nhóm sản phẩm theo danh mục hiện tại." + COUNTED_WEIGHT,
        [Column("group", "Nhóm sản phẩm"), *measure_columns(carries_weighed(session))],
        rows,
        {"group": "Tổng cộng", **totals},
        period=q.period,
        chart=share_chart("Tỷ trọng theo nhóm sản phẩm", rows, "group"),
    )


def sales_by_stars(session: Session, q: ReportQuery) -> Report:
    """Net sales per OCOP star rating (the product's current rating)."""
    found = {
        r.stars: _measures(r)
        for r in _net_by(
            session,
            q.period,
            "product_id",
            "p.ocop_stars AS stars",
            "JOIN product p ON p.id = x.product_id",
            "p.ocop_stars",
        )
    }
    rows = [{"stars": s, **found.pop(s, _zero_measures())} for s in STAR_LEVELS]
    rows += [{"stars": s, **m} for s, m in found.items()]
    totals = _add_shares(rows)
    return Report(
        "stars",
        "Doanh thu theo hạng sao OCOP",
        COUNTED_SALES + " Hạng sao theo danh mục hiện tại." + COUNTED_WEIGHT,
        [Column("stars", "Hạng sao OCOP", STARS), *measure_columns(carries_weighed(session))],
        rows,
        {"stars": "Tổng cộng", **totals},
        period=q.period,
        chart=share_chart("Tỷ trọng theo hạng sao", rows, "stars", lambda v: f"{v} sao" if v else "Chưa xếp hạng"),
    )


def top_sellers(session: Session, q: ReportQuery) -> Report:
    """The best-selling products of the period, by net revenue or by net quantity."""
    full = sales_by_product(session, q)
    by_qty = q.sort == "qty"
    rows = sorted(
        full.rows,
        key=lambda r: (
            (-r["qty_net"], -r["grams_net"], -r["net_vnd"], r["name"])
            if by_qty
            else (-r["net_vnd"], -r["qty_net"], r["name"])
        ),
    )[: q.limit]
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
    return Report(
        "top",
        "Sản phẩm bán chạy",
        COUNTED_SALES
        + f" Xếp theo {'số lượng thuần' if by_qty else 'doanh thu thuần'}; tỷ trọng trên toàn bộ doanh thu.",
        [Column("rank", "Hạng", INT), *full.columns],
        rows,
        None,
        period=q.period,
        chart={
            "type": "bars",
            "title": f"{len(rows)} sản phẩm bán chạy nhất",
            "unit": "qty" if by_qty else "vnd",
            "labels": [r["name"] for r in rows],
            "values": [r["qty_net"] if by_qty else r["net_vnd"] for r in rows],
        },
        params={"limit": q.limit, "sort": q.sort},
    )


def share_chart(title: str, rows: list[dict[str, Any]], label_key: str, fmt: Callable[[Any], str] = str) -> dict:
    """Data for a share-of-total bar chart: the ten largest, the rest summed as 'Khác'."""
    positive = [r for r in rows if r["net_vnd"] > 0]
    positive.sort(key=lambda r: -r["net_vnd"])
    head, tail = positive[:10], positive[10:]
    labels = [fmt(r[label_key]) for r in head]
    values = [r["net_vnd"] for r in head]
    if tail:
        labels.append(f"Khác ({len(tail)})")
        values.append(sum(r["net_vnd"] for r in tail))
    return {"type": "share", "title": title, "unit": "vnd", "labels": labels, "values": values}


# --- Sales over time -----------------------------------------------------------------------------------

TIME_COLUMNS = [
    Column("sales", "Số đơn", INT),
    Column("gross_vnd", "Tiền hàng", VND),
    Column("discount_vnd", "Giảm giá", VND),
    Column("sales_vnd", "Doanh thu bán", VND),
    Column("returns", "Số phiếu trả", INT),
    Column("refunds_vnd", "Hoàn tiền trả hàng", VND),
    Column("net_vnd", "Doanh thu thuần", VND),
    Column("average_vnd", "Bình quân mỗi đơn", VND),
    Column("voided", "Đơn đã hủy (không tính)", INT),
]


def _sales_over(session: Session, period: Period, bucket: Callable[[str], str]) -> dict[Any, dict[str, int]]:
    """Sale, return and void figures per time bucket (a local day or hour)."""
    params = _period_params(period)
    out: dict[Any, dict[str, int]] = {}

    def slot(key: Any) -> dict[str, int]:
        return out.setdefault(
            key,
            dict.fromkeys(("sales", "gross_vnd", "discount_vnd", "sales_vnd", "returns", "refunds_vnd", "voided"), 0),
        )

    for r in fetch(
        session,
        f"SELECT {bucket('created_at')} AS k, COUNT(*) AS n, SUM(subtotal_vnd) AS gross, "
        "SUM(line_discount_vnd + sale_discount_vnd) AS discount, SUM(total_vnd) AS total "
        "FROM sale WHERE status = :completed AND created_at >= :start AND created_at < :end GROUP BY k",
        params,
    ):
        s = slot(r.k)
        s["sales"], s["gross_vnd"], s["discount_vnd"], s["sales_vnd"] = r.n, r.gross or 0, r.discount or 0, r.total or 0
    for r in fetch(
        session,
        f"SELECT {bucket('r.created_at')} AS k, COUNT(*) AS n, SUM(r.total_vnd) AS total "
        "FROM salereturn r JOIN sale s ON s.id = r.sale_id "
        "WHERE s.status = :completed AND r.created_at >= :start AND r.created_at < :end GROUP BY k",
        params,
    ):
        s = slot(r.k)
        s["returns"], s["refunds_vnd"] = r.n, r.total or 0
    for r in fetch(
        session,
        f"SELECT {bucket('created_at')} AS k, COUNT(*) AS n FROM sale "
        "WHERE status != :completed AND created_at >= :start AND created_at < :end GROUP BY k",
        params,
    ):
        slot(r.k)["voided"] = r.n
    return out


def _finish_time_row(row: dict[str, Any]) -> dict[str, Any]:
    row["net_vnd"] = row["sales_vnd"] - row["refunds_vnd"]
    row["average_vnd"] = div_round(row["sales_vnd"], row["sales"]) if row["sales"] else 0
    return row


def _time_totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    keys = ("sales", "gross_vnd", "discount_vnd", "sales_vnd", "returns", "refunds_vnd", "voided")
    return _finish_time_row({k: sum(r[k] for r in rows) for k in keys})


def sales_per_day(session: Session, q: ReportQuery) -> Report:
    """Sales of each local day of the period, days without sales included."""
    offset = q.period.offset_seconds
    found = _sales_over(session, q.period, lambda col: _local_day(session, col, offset))
    empty = {"sales": 0, "gross_vnd": 0, "discount_vnd": 0, "sales_vnd": 0, "returns": 0, "refunds_vnd": 0, "voided": 0}
    rows = [_finish_time_row({"day": d, **found.get(d.isoformat(), empty)}) for d in q.period.days]
    totals = _time_totals(rows)
    return Report(
        "daily",
        "Doanh thu theo ngày",
        COUNTED_SALES,
        [Column("day", "Ngày", DATE), *TIME_COLUMNS],
        rows,
        {"day": "Tổng cộng", **totals},
        period=q.period,
        chart={
            "type": "line",
            "title": "Doanh thu thuần theo ngày",
            "unit": "vnd",
            "labels": [d.strftime("%d/%m") for d in q.period.days],
            "values": [r["net_vnd"] for r in rows],
        },
    )


def sales_per_hour(session: Session, q: ReportQuery) -> Report:
    """Sales per hour of the day (local), summed over every day of the period."""
    offset = q.period.offset_seconds
    found = _sales_over(session, q.period, lambda col: _local_hour(session, col, offset))
    rows = [_finish_time_row({"hour": f"{h:02d}:00 – {h + 1:02d}:00", **found[h]}) for h in range(24) if h in found]
    totals = _time_totals(rows)
    return Report(
        "hourly",
        "Doanh thu theo giờ trong ngày",
        COUNTED_SALES + " Cộng dồn mọi ngày trong kỳ; chỉ liệt kê các khung giờ có giao dịch.",
        [Column("hour", "Khung giờ"), *TIME_COLUMNS],
        rows,
        {"hour": "Tổng cộng", **totals},
        period=q.period,
        chart={
            "type": "columns",
            "title": "Doanh thu thuần theo khung giờ",
            "unit": "vnd",
            "labels": [r["hour"][:5] for r in rows],
            "values": [r["net_vnd"] for r in rows],
        },
    )


# --- Payments --------------------------------------------------------------------------------------------


def sales_by_payment(session: Session, q: ReportQuery) -> Report:
    """Money taken per payment method, less refunds paid out by that method."""
    params = _period_params(q.period)
    taken = {
        r.method: (int(r.n), int(r.total or 0))
        for r in fetch(
            session,
            "SELECT p.method AS method, COUNT(*) AS n, SUM(p.amount_vnd) AS total "
            "FROM sale s JOIN payment p ON p.sale_id = s.id "
            "WHERE s.status = :completed AND s.created_at >= :start AND s.created_at < :end GROUP BY p.method",
            params,
        )
    }
    refunded = {
        r.method: (int(r.n), int(r.total or 0))
        for r in fetch(
            session,
            "SELECT r.refund_method AS method, COUNT(*) AS n, SUM(r.total_vnd) AS total "
            "FROM salereturn r JOIN sale s ON s.id = r.sale_id "
            "WHERE s.status = :completed AND r.created_at >= :start AND r.created_at < :end GROUP BY r.refund_method",
            params,
        )
    }
    rows = []
    for method in [*PAYMENT_METHODS, *sorted((set(taken) | set(refunded)) - set(PAYMENT_METHODS))]:
        n, total = taken.get(method, (0, 0))
        rn, rtotal = refunded.get(method, (0, 0))
        rows.append(
            {
                "method": PAYMENT_METHODS.get(method, method),
                "payments": n,
                "taken_vnd": total,
                "refunds": rn,
                "refunds_vnd": rtotal,
                "net_vnd": total - rtotal,
            }
        )
    totals = _add_shares(rows)
    totals["payments"] = sum(r["payments"] for r in rows)
    totals["refunds"] = sum(r["refunds"] for r in rows)
    return Report(
        "payments",
        "Doanh thu theo phương thức thanh toán",
        "Tính tiền thu của các đơn bán hoàn tất trong kỳ theo từng phương thức (đơn thanh toán nhiều cách được "
        "tách theo từng khoản), trừ tiền hoàn cho khách trả hàng trong kỳ theo phương thức hoàn. "
        "Không tính đơn đã hủy. Tiền mặt là số tiền của đơn, không phải số tiền khách đưa.",
        [
            Column("method", "Phương thức"),
            Column("payments", "Số lần thu", INT),
            Column("taken_vnd", "Tiền thu", VND),
            Column("refunds", "Số lần hoàn", INT),
            Column("refunds_vnd", "Tiền hoàn", VND),
            Column("net_vnd", "Thực thu", VND),
            Column("share_bp", "Tỷ trọng", SHARE),
        ],
        rows,
        {"method": "Tổng cộng", **totals},
        period=q.period,
        chart=share_chart("Tỷ trọng thực thu theo phương thức", rows, "method"),
    )


# --- Stock -------------------------------------------------------------------------------------------------

# One product per row: its quantity in its own unit (kg for goods sold by weight), with the unit beside it.
ON_HAND_COLUMNS = [Column("qty", "Tồn kho", QTY), Column("unit", "ĐVT")]


def _on_hand(row: Any) -> dict[str, Any]:
    """A stock row's quantity (grams or pieces, as the product is sold) and the unit it is shown in."""
    return {"qty": Quantity(int(row.qty), row.sold_by), "unit": display_unit(row.sold_by, row.unit)}


def slow_movers(session: Session, q: ReportQuery) -> Report:
    """Products still in stock with no completed sale in the last ``days`` days."""
    days = q.days or 60
    cutoff = local_midnight(q.today - timedelta(days=days - 1), q.period.tz)
    rows = []
    for r in fetch(
        session,
        "SELECT p.sku AS sku, p.name AS name, pr.name AS producer, l.qty AS qty, p.cost_vnd AS cost, "
        f"p.price_vnd AS price, p.sold_by AS sold_by, p.unit AS unit, {CERTIFICATE_SQL}, "
        # Lines are written in sale order, so walking the product's index backwards finds its last sale at
        # once, where MAX(created_at) would read every line the product ever had.
        "(SELECT s.created_at FROM saleline sl JOIN sale s ON s.id = sl.sale_id "
        " WHERE sl.product_id = p.id AND s.status = :completed ORDER BY sl.id DESC LIMIT 1) AS last_sale "
        "FROM stocklevel l JOIN product p ON p.id = l.product_id JOIN producer pr ON pr.id = p.producer_id "
        # The recent lines are few: collect the products they name once, rather than probe each product's history.
        "WHERE l.qty > 0 AND p.id NOT IN (SELECT sl.product_id FROM sale s JOIN saleline sl ON sl.sale_id = s.id "
        " WHERE s.status = :completed AND s.created_at >= :cutoff)",
        {"completed": COMPLETED, "cutoff": cutoff},
        last_sale=UTCDateTime(),
        cert_until=Date(),
    ):
        last = r.last_sale.astimezone(q.period.tz).date() if r.last_sale else None
        rows.append(
            {
                "sku": r.sku,
                "name": r.name,
                "producer": r.producer,
                **_on_hand(r),
                "last_sale": last if last else "Chưa bán lần nào",
                "idle_days": (q.today - last).days if last else None,
                "cost_value_vnd": line_amount(int(r.qty), int(r.cost), r.sold_by),
                "retail_value_vnd": line_amount(int(r.qty), int(r.price), r.sold_by),
                "certificate": certificate_cell(r, q.today),
            }
        )
    rows.sort(key=lambda r: (r["idle_days"] is not None, -(r["idle_days"] or 0), -r["cost_value_vnd"]))
    totals = {
        "sku": "Tổng cộng",
        "cost_value_vnd": sum(r["cost_value_vnd"] for r in rows),
        "retail_value_vnd": sum(r["retail_value_vnd"] for r in rows),
    }
    return Report(
        "slow",
        "Sản phẩm bán chậm",
        f"Sản phẩm còn tồn kho nhưng không có đơn bán hoàn tất nào trong {days} ngày gần nhất "
        "(tính cả hôm nay). Không tính đơn đã hủy. Giá trị tồn theo giá nhập gần nhất và giá bán hiện tại.",
        [
            Column("sku", "Mã hàng"),
            Column("name", "Sản phẩm"),
            Column("producer", "Nhà sản xuất"),
            CERTIFICATE_COLUMN,
            *ON_HAND_COLUMNS,
            Column("last_sale", "Bán lần cuối", DATE),
            Column("idle_days", "Số ngày không bán", INT),
            Column("cost_value_vnd", "Giá trị tồn (giá nhập)", VND),
            Column("retail_value_vnd", "Giá trị tồn (giá bán)", VND),
        ],
        rows,
        totals,
        as_of=q.today,
        params={"days": days},
    )


def stock_value(session: Session, q: ReportQuery) -> Report:
    """Stock on hand valued at last unit cost and at the current retail price."""
    per_producer = q.group == "producer"
    negative = fetch(session, "SELECT COUNT(*) AS n FROM stocklevel WHERE qty < 0", {})[0].n
    if per_producer:
        found = fetch(
            session,
            "SELECT pr.name AS name, pr.phone AS phone, COUNT(*) AS products, "
            f"SUM({_PIECES.format(q='l.qty').replace('sl.', 'p.')}) AS qty, "
            f"SUM({_GRAMS.format(q='l.qty').replace('sl.', 'p.')}) AS grams, "
            f"SUM({amount_sql('l.qty', 'p.cost_vnd', 'p.sold_by')}) AS cost, "
            f"SUM({amount_sql('l.qty', 'p.price_vnd', 'p.sold_by')}) AS retail "
            "FROM stocklevel l JOIN product p ON p.id = l.product_id JOIN producer pr ON pr.id = p.producer_id "
            "WHERE l.qty > 0 GROUP BY pr.id, pr.name, pr.phone ORDER BY cost DESC, pr.name",
            {},
        )
        rows = [
            {
                "name": r.name,
                "phone": r.phone,
                "products": int(r.products),
                "qty_on_hand": int(r.qty or 0),
                "grams_on_hand": int(r.grams or 0),
                "cost_value_vnd": int(r.cost or 0),
                "retail_value_vnd": int(r.retail or 0),
            }
            for r in found
        ]
        head = [Column("name", "Nhà sản xuất"), Column("phone", "Điện thoại"), Column("products", "Số sản phẩm", INT)]
    else:
        found = fetch(
            session,
            "SELECT p.sku AS sku, p.name AS name, pr.name AS producer, l.qty AS qty, p.cost_vnd AS cost, "
            "p.price_vnd AS price, p.sold_by AS sold_by, p.unit AS unit "
            "FROM stocklevel l JOIN product p ON p.id = l.product_id JOIN producer pr ON pr.id = p.producer_id "
            "WHERE l.qty > 0 ORDER BY pr.name, p.name",
            {},
        )
        rows = [
            {
                "sku": r.sku,
                "name": r.name,
                "producer": r.producer,
                **_on_hand(r),
                "cost_vnd": int(r.cost),
                "price_vnd": int(r.price),
                "cost_value_vnd": line_amount(int(r.qty), int(r.cost), r.sold_by),
                "retail_value_vnd": line_amount(int(r.qty), int(r.price), r.sold_by),
            }
            for r in found
        ]
        head = [
            Column("sku", "Mã hàng"),
            Column("name", "Sản phẩm"),
            Column("producer", "Nhà sản xuất"),
        ]
    for row in rows:
        row["margin_vnd"] = row["retail_value_vnd"] - row["cost_value_vnd"]
    totals = _add_shares(rows, "cost_value_vnd")
    totals.pop("cost_vnd", None)
    totals.pop("price_vnd", None)
    totals["products"] = sum(r.get("products", 1) for r in rows)
    first = head[0].key
    if per_producer:
        tail = [Column("qty_on_hand", "Tồn kho (cái)", INT), Column("grams_on_hand", "Tồn kho (kg)", KG)]
    else:  # a weighed product's prices are per kg
        tail = [*ON_HAND_COLUMNS, Column("cost_vnd", "Giá nhập", VND), Column("price_vnd", "Giá bán", VND)]
    tail += [
        Column("cost_value_vnd", "Giá trị theo giá nhập", VND),
        Column("retail_value_vnd", "Giá trị theo giá bán", VND),
        Column("margin_vnd", "Chênh lệch", VND),
        Column("share_bp", "Tỷ trọng (giá nhập)", SHARE),
    ]
    counted = (
        "Hàng đang tồn (số lượng lớn hơn 0) nhân với giá nhập gần nhất của sản phẩm và giá bán hiện tại; "
        "hàng bán theo cân tính theo kg với giá mỗi kg."
    )
    if negative:
        counted += f" {negative} sản phẩm đang âm kho không được tính; cần kiểm kê."
    return Report(
        "stock_value",
        "Giá trị tồn kho",
        counted,
        head + tail,
        rows,
        {first: "Tổng cộng", **totals},
        as_of=q.today,
        chart=share_chart(
            "Tỷ trọng giá trị tồn kho (giá nhập) theo nhà sản xuất",
            [{"name": r["name"], "net_vnd": r["cost_value_vnd"]} for r in rows],
            "name",
        )
        if per_producer
        else None,
        params={"group": "producer" if per_producer else "product"},
    )


REORDER_POINT = min_stock_sql("p.min_stock", "p.sold_by", ":default")


def reorder_list(session: Session, q: ReportQuery) -> Report:
    """Active products below their minimum stock, grouped by producer with the producer's phone."""
    since = local_midnight(q.today - timedelta(days=29), q.period.tz)
    rows = [
        {
            "producer": r.producer,
            "phone": r.phone,
            "sku": r.sku,
            "name": r.name,
            **_on_hand(r),
            "min_qty": Quantity(int(r.min_qty), r.sold_by),
            "short": Quantity(int(r.min_qty) - int(r.qty), r.sold_by),
            "sold_30": Quantity(int(r.sold_30 or 0), r.sold_by),
            "certificate": certificate_cell(r, q.today),
        }
        for r in fetch(
            session,
            "SELECT pr.name AS producer, pr.phone AS phone, p.sku AS sku, p.name AS name, "
            f"{CERTIFICATE_SQL}, p.sold_by AS sold_by, p.unit AS unit, "
            f"COALESCE(l.qty, 0) AS qty, {REORDER_POINT} AS min_qty, "
            "recent.qty AS sold_30 "
            "FROM product p JOIN producer pr ON pr.id = p.producer_id "
            "LEFT JOIN stocklevel l ON l.product_id = p.id "
            "LEFT JOIN (SELECT sl.product_id AS product_id, SUM(sl.qty) AS qty FROM sale s "
            " JOIN saleline sl ON sl.sale_id = s.id WHERE s.status = :completed AND s.created_at >= :since "
            " GROUP BY sl.product_id) recent ON recent.product_id = p.id "
            f"WHERE p.is_active = :active AND COALESCE(l.qty, 0) < {REORDER_POINT} "
            "ORDER BY pr.name, pr.id, p.name",
            {"default": q.low_stock_default, "completed": COMPLETED, "since": since, "active": True},
            cert_until=Date(),
        )
    ]
    return Report(
        "reorder",
        "Danh sách cần đặt hàng theo nhà sản xuất",
        "Sản phẩm đang kinh doanh có tồn kho dưới mức tối thiểu của sản phẩm (hoặc mức mặc định "
        f"{q.low_stock_default} cái, hay {q.low_stock_default} kg với hàng cân, khi sản phẩm chưa đặt mức riêng). "
        "“Bán 30 ngày” là số lượng bán trong 30 ngày "
        "gần nhất, không tính đơn đã hủy.",
        [
            Column("producer", "Nhà sản xuất"),
            Column("phone", "Điện thoại"),
            Column("sku", "Mã hàng"),
            Column("name", "Sản phẩm"),
            *ON_HAND_COLUMNS,
            Column("min_qty", "Tồn tối thiểu", QTY),
            Column("short", "Thiếu", QTY),
            Column("sold_30", "Bán 30 ngày", QTY),
            CERTIFICATE_COLUMN,
        ],
        rows,
        None,
        as_of=q.today,
        params={"group_by": "producer", "hide_columns": ["producer", "phone"]},
    )


def expiring_certificates(session: Session, q: ReportQuery) -> Report:
    """OCOP certificates already expired or expiring within ``days`` days."""
    days = q.days or 90
    rows = []
    for r in fetch(
        session,
        "SELECT p.sku AS sku, p.name AS name, p.ocop_cert_number AS cert, "
        f"{CERTIFICATE_SQL}, pr.name AS producer, pr.phone AS phone, COALESCE(l.qty, 0) AS qty, "
        "p.sold_by AS sold_by, p.unit AS unit "
        "FROM product p JOIN producer pr ON pr.id = p.producer_id LEFT JOIN stocklevel l ON l.product_id = p.id "
        "WHERE p.is_active = :active AND p.ocop_cert_expiry IS NOT NULL AND p.ocop_cert_expiry <= :limit "
        "ORDER BY p.ocop_cert_expiry, p.name",
        {"active": True, "limit": q.today + timedelta(days=days)},
        cert_until=Date(),
    ):
        # The one rule (catalog/certificates.py), with this report's warning days; "soon" is the row's colour.
        status = certificate_status(r.stars, r.cert_until, q.today, days)
        rows.append(
            {
                "sku": r.sku,
                "name": r.name,
                "producer": r.producer,
                "phone": r.phone,
                "stars": r.stars,
                "cert": r.cert,
                "expiry": r.cert_until,
                "days_left": (r.cert_until - q.today).days,
                "status": CERTIFICATE_STATUSES[status],
                **_on_hand(r),
                "_flag": "soon" if status == "expiring" else status,
            }
        )
    expired = sum(1 for r in rows if r["_flag"] == "expired")
    return Report(
        "certificates",
        "Giấy chứng nhận OCOP sắp hết hạn và đã hết hạn",
        f"Sản phẩm đang kinh doanh có giấy chứng nhận OCOP hết hạn trong {days} ngày tới; "
        f"{expired} sản phẩm đã hết hạn (tô đỏ) cần ngừng ghi hạng sao hoặc xin đánh giá lại.",
        [
            Column("sku", "Mã hàng"),
            Column("name", "Sản phẩm"),
            Column("producer", "Nhà sản xuất"),
            Column("phone", "Điện thoại"),
            Column("stars", "Hạng sao OCOP", STARS),
            Column("cert", "Số giấy chứng nhận"),
            Column("expiry", "Ngày hết hạn", DATE),
            Column("days_left", "Còn (ngày)", INT),
            Column("status", "Tình trạng"),
            *ON_HAND_COLUMNS,
        ],
        rows,
        None,
        as_of=q.today,
        params={"days": days},
    )


# --- The list of reports ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportSpec:
    """A report on the index page: its title, what it answers, how to build it and what it asks for."""

    name: str
    title: str
    summary: str
    build: Callable[[Session, ReportQuery], Report]
    uses_period: bool = True
    params: tuple[str, ...] = field(default_factory=tuple)  # extra fields: days, limit, sort, group
    default_days: int = 0


REPORTS: dict[str, ReportSpec] = {
    spec.name: spec
    for spec in (
        ReportSpec("daily", "Doanh thu theo ngày", "Từng ngày trong kỳ, có biểu đồ", sales_per_day),
        ReportSpec("hourly", "Doanh thu theo giờ", "Khung giờ đông khách", sales_per_hour),
        ReportSpec("products", "Theo sản phẩm", "Số lượng, doanh thu, lãi gộp từng sản phẩm", sales_by_product),
        ReportSpec("producers", "Theo nhà sản xuất", "Doanh thu và tỷ trọng từng nhà sản xuất", sales_by_producer),
        ReportSpec("groups", "Theo nhóm sản phẩm", "Thực phẩm, đồ uống, thảo dược…", sales_by_group),
        ReportSpec("stars", "Theo hạng sao OCOP", "3 sao, 4 sao, 5 sao", sales_by_stars),
        ReportSpec("payments", "Theo phương thức thanh toán", "Tiền mặt, thẻ, chuyển khoản", sales_by_payment),
        ReportSpec(
            "top", "Sản phẩm bán chạy", "Xếp hạng theo doanh thu hoặc số lượng", top_sellers, params=("limit", "sort")
        ),
        ReportSpec(
            "slow",
            "Sản phẩm bán chậm",
            "Còn tồn nhưng lâu không bán",
            slow_movers,
            uses_period=False,
            params=("days",),
            default_days=60,
        ),
        ReportSpec(
            "stock_value",
            "Giá trị tồn kho",
            "Theo giá nhập và giá bán",
            stock_value,
            uses_period=False,
            params=("group",),
        ),
        ReportSpec(
            "reorder", "Cần đặt hàng", "Dưới mức tồn tối thiểu, theo nhà sản xuất", reorder_list, uses_period=False
        ),
        ReportSpec(
            "certificates",
            "Giấy chứng nhận OCOP",
            "Sắp hết hạn và đã hết hạn",
            expiring_certificates,
            uses_period=False,
            params=("days",),
            default_days=90,
        ),
    )
}


def build_report(session: Session, name: str, q: ReportQuery) -> Report:
    """Compute one report by name."""
    return REPORTS[name].build(session, q)
