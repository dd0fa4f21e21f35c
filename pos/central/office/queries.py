"""The central office's reports over every showroom, aggregated in PostgreSQL.

What every sales figure counts (COUNTED): completed sales whose showroom-local day (``sold_on``) falls in
the period, less the goods brought back in the period (``returned_on``, at the amount refunded). Voided
sales count nowhere, nor do returns against them. Discounts are already inside each line's total.

Each report is one or two GROUP BY statements over the sync tables; only the grouped rows (at most one per
showroom, day, producer or product) reach Python. Figures by product, producer, province and OCOP class are
summed first per (showroom, product) or (showroom, producer) and only then rolled up through the catalogue
link, so a showroom product linked to a catalogue product counts as that catalogue product.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlmodel import Session, col, select

from pos.catalog.models import PRODUCER_KINDS, PRODUCT_GROUPS
from pos.central.models import (
    CHECK_STATUSES,
    Payment,
    ReturnLine,
    Sale,
    SaleLine,
    SaleReturn,
    SaleVoid,
    ShiftClose,
    Showroom,
)
from pos.errors import NotFound
from pos.money import div_round, format_bp, format_vnd
from pos.reports.period import Period
from pos.reports.queries import MEASURE_COLUMNS as SHOWROOM_MEASURE_COLUMNS
from pos.reports.queries import share_chart
from pos.reports.table import DATE, INT, SHARE, STARS, TEXT, VND, Column, Report
from pos.sales.models import PAYMENT_METHODS
from pos.text import fold

COMPLETED = "completed"
UNKNOWN = "(chưa rõ)"

COUNTED = (
    "Tính các đơn bán đã hoàn tất trong kỳ (theo ngày giờ Việt Nam tại cửa hàng), trừ hàng khách trả lại "
    "trong kỳ (tính vào ngày trả, theo số tiền đã hoàn). Không tính đơn đã hủy và hàng trả của đơn đã hủy. "
    "Giảm giá đã được trừ vào doanh thu. Chỉ gồm dữ liệu các cửa hàng đã đồng bộ về trung tâm."
)
COUNTED_LINKED = " Sản phẩm của cửa hàng đã liên kết với danh mục chung được cộng vào sản phẩm trong danh mục chung."

SCREEN_ROWS = 500  # a longer table is shown cut, with the whole of it in the CSV


@dataclass(frozen=True)
class OfficeQuery:
    """What the office asked for: the period, optionally one showroom, and each report's own settings."""

    period: Period
    showroom_id: int | None = None
    limit: int = 20
    sort: str = "net"  # top products: "net" or "qty"
    status: str = ""  # shifts: "", "ok", "mismatch" or "incomplete"
    now: datetime | None = None  # sync freshness is judged against this instant
    stale_days: int = 2


def _rows(session: Session, sql: str, params: dict[str, Any]) -> list[Any]:
    return list(session.execute(text(sql), params))


def _params(q: OfficeQuery) -> dict[str, Any]:
    params: dict[str, Any] = {"start": q.period.start, "end": q.period.end, "completed": COMPLETED}
    if q.showroom_id is not None:
        params["showroom"] = q.showroom_id
    return params


def _only(q: OfficeQuery, alias: str) -> str:
    """The showroom filter on one table alias (empty when all showrooms are asked for)."""
    return f" AND {alias}.showroom_id = :showroom" if q.showroom_id is not None else ""


def _share(part: int, whole: int) -> int:
    return div_round(part * 10_000, whole) if whole > 0 else 0


def local_text(moment: datetime | None, tz: tzinfo) -> str:
    """An aware instant as dd/mm/yyyy HH:MM in the office's zone ('' for none)."""
    return "" if moment is None else moment.astimezone(tz).strftime("%d/%m/%Y %H:%M")


def data_version(session: Session) -> tuple[int, int, int]:
    """Changes whenever report figures can: a push arrived, the office changed something, the catalogue moved."""
    row = session.execute(
        text(
            "SELECT (SELECT COALESCE(MAX(id), 0) FROM sync_log), (SELECT COALESCE(MAX(id), 0) FROM office_audit), "
            "(SELECT COALESCE(MAX(revision), 0) FROM catalog_state)"
        )
    ).one()
    return int(row[0]), int(row[1]), int(row[2])


def showroom_choices(session: Session) -> list[tuple[str, str]]:
    """(code, 'CODE – name') of every showroom, for the filter's select."""
    return [(s.code, f"{s.code} – {s.name}") for s in session.exec(select(Showroom).order_by(Showroom.code))]


def _showroom_label(q: OfficeQuery, session: Session) -> str:
    if q.showroom_id is None:
        return "Tất cả cửa hàng"
    shop = session.get(Showroom, q.showroom_id)
    return f"{shop.code} – {shop.name}" if shop else "Tất cả cửa hàng"


# --- Sales and returns per showroom, per day, per showroom-day (from the sale and return headers) -------------

FIGURE_KEYS = ("sales", "gross_vnd", "discount_vnd", "sales_vnd", "returns", "refunds_vnd", "voided")

SALE_SUMS = """
SELECT {key},
       COUNT(*) FILTER (WHERE s.status = :completed) AS sales,
       COALESCE(SUM(s.subtotal_vnd) FILTER (WHERE s.status = :completed), 0)::bigint AS gross_vnd,
       COALESCE(SUM(s.line_discount_vnd + s.sale_discount_vnd) FILTER (WHERE s.status = :completed), 0)::bigint
           AS discount_vnd,
       COALESCE(SUM(s.total_vnd) FILTER (WHERE s.status = :completed), 0)::bigint AS sales_vnd,
       COUNT(*) FILTER (WHERE s.status <> :completed) AS voided
FROM sale s
WHERE s.sold_on BETWEEN :start AND :end{only}
GROUP BY {group}
"""

RETURN_SUMS = """
SELECT {key}, COUNT(*) AS returns, SUM(r.total_vnd)::bigint AS refunds_vnd
FROM sale_return r LEFT JOIN sale s ON s.id = r.sale_id
WHERE r.returned_on BETWEEN :start AND :end AND s.status IS DISTINCT FROM 'voided'{only}
GROUP BY {group}
"""


def _empty_figures() -> dict[str, int]:
    return dict.fromkeys(FIGURE_KEYS, 0)


def _finish(row: dict[str, Any]) -> dict[str, Any]:
    row["net_vnd"] = row["sales_vnd"] - row["refunds_vnd"]
    row["average_vnd"] = div_round(row["sales_vnd"], row["sales"]) if row["sales"] else 0
    return row


def _figures_by(session: Session, q: OfficeQuery, sale_keys: list[str], return_keys: list[str]) -> dict[tuple, dict]:
    """Sale, void and return figures per key (showroom, day or both), keyed by the key's tuple."""
    params = _params(q)
    out: dict[tuple, dict[str, int]] = {}
    names = [f"k{i}" for i in range(len(sale_keys))]
    sale_sql = SALE_SUMS.format(
        key=", ".join(f"{k} AS {n}" for k, n in zip(sale_keys, names, strict=True)),
        group=", ".join(sale_keys),
        only=_only(q, "s"),
    )
    for r in _rows(session, sale_sql, params):
        slot = out.setdefault(tuple(getattr(r, n) for n in names), _empty_figures())
        for k in ("sales", "gross_vnd", "discount_vnd", "sales_vnd", "voided"):
            slot[k] = int(getattr(r, k))
    return_sql = RETURN_SUMS.format(
        key=", ".join(f"{k} AS {n}" for k, n in zip(return_keys, names, strict=True)),
        group=", ".join(return_keys),
        only=_only(q, "r"),
    )
    for r in _rows(session, return_sql, params):
        slot = out.setdefault(tuple(getattr(r, n) for n in names), _empty_figures())
        slot["returns"], slot["refunds_vnd"] = int(r.returns), int(r.refunds_vnd or 0)
    return out


def _figure_totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return _finish({k: sum(r[k] for r in rows) for k in FIGURE_KEYS})


FIGURE_COLUMNS = [
    Column("sales", "Số đơn", INT),
    Column("gross_vnd", "Tiền hàng", VND),
    Column("discount_vnd", "Giảm giá", VND),
    Column("sales_vnd", "Doanh thu bán", VND),
    Column("refunds_vnd", "Hoàn tiền trả hàng", VND),
    Column("net_vnd", "Doanh thu thuần", VND),
]


def _stale_cutoff(q: OfficeQuery) -> datetime:
    now = q.now or datetime.now().astimezone()
    return now - timedelta(days=q.stale_days)


def sync_state(shop: Showroom, q: OfficeQuery) -> tuple[str, str]:
    """(flag, Vietnamese text) of a showroom's sync freshness: flag 'stale' when it has gone quiet too long."""
    if not shop.is_active:
        return "", "Ngừng hoạt động"
    if shop.last_push_at is None:
        return "stale", "Chưa đồng bộ lần nào"
    if shop.last_push_at < _stale_cutoff(q):
        now = q.now or datetime.now().astimezone()
        return "stale", f"Quá hạn ({(now - shop.last_push_at).days} ngày chưa đồng bộ)"
    return "", "Bình thường"


def _shift_counts(session: Session, q: OfficeQuery) -> dict[int, dict[str, int]]:
    sql = f"""
        SELECT sc.showroom_id AS sid,
               COUNT(*) FILTER (WHERE sc.check_status = 'ok') AS ok,
               COUNT(*) FILTER (WHERE sc.check_status = 'mismatch') AS mismatch,
               COUNT(*) FILTER (WHERE sc.check_status = 'incomplete') AS incomplete
        FROM shift_close sc
        WHERE sc.closed_on BETWEEN :start AND :end{_only(q, "sc")}
        GROUP BY sc.showroom_id
    """
    return {
        r.sid: {"shifts_ok": int(r.ok), "shifts_mismatch": int(r.mismatch), "shifts_incomplete": int(r.incomplete)}
        for r in _rows(session, sql, _params(q))
    }


def sales_by_showroom(session: Session, q: OfficeQuery) -> Report:
    """Every showroom's sales of the period (quiet ones too), its shift checks and its sync freshness."""
    found = _figures_by(session, q, ["s.showroom_id"], ["r.showroom_id"])
    shifts = _shift_counts(session, q)
    shops = session.exec(select(Showroom).order_by(Showroom.code)).all()
    if q.showroom_id is not None:
        shops = [s for s in shops if s.id == q.showroom_id]
    rows = []
    for shop in shops:
        flag, state = sync_state(shop, q)
        row = _finish({**found.get((shop.id,), _empty_figures())})
        row.update(shifts.get(shop.id or 0, {"shifts_ok": 0, "shifts_mismatch": 0, "shifts_incomplete": 0}))
        row.update(
            code=shop.code,
            name=shop.name,
            province=shop.province,
            last_sync=local_text(shop.last_push_at, q.period.tz),
            sync_state=state,
            _flag=flag,
            _showroom_id=shop.id,
        )
        rows.append(row)
    rows.sort(key=lambda r: (-r["net_vnd"], r["code"]))
    totals = _figure_totals(rows)
    for key in ("shifts_ok", "shifts_mismatch", "shifts_incomplete"):
        totals[key] = sum(r[key] for r in rows)
    whole = totals["net_vnd"]
    for row in rows:
        row["share_bp"] = _share(row["net_vnd"], whole)
    totals["share_bp"] = 10_000 if whole > 0 else 0
    return Report(
        "showrooms",
        "Doanh thu theo cửa hàng",
        COUNTED + " Đối chiếu ca: ca đóng trong kỳ, so số liệu trung tâm nhận được với báo cáo đóng ca (Z).",
        [
            Column("code", "Mã"),
            Column("name", "Cửa hàng"),
            Column("province", "Tỉnh/thành"),
            Column("sales", "Số đơn", INT),
            Column("sales_vnd", "Doanh thu bán", VND),
            Column("refunds_vnd", "Hoàn tiền trả hàng", VND),
            Column("net_vnd", "Doanh thu thuần", VND),
            Column("share_bp", "Tỷ trọng", SHARE),
            Column("average_vnd", "Bình quân mỗi đơn", VND),
            Column("voided", "Đơn đã hủy (không tính)", INT),
            Column("shifts_ok", "Ca khớp", INT),
            Column("shifts_mismatch", "Ca không khớp", INT),
            Column("shifts_incomplete", "Ca chưa đủ dữ liệu", INT),
            Column("last_sync", "Đồng bộ lần cuối"),
            Column("sync_state", "Tình trạng đồng bộ"),
        ],
        rows,
        {"code": "Tổng cộng", **totals, "name": f"{len(rows)} cửa hàng"},
        period=q.period,
        chart=_bars("Doanh thu thuần theo cửa hàng", [(f"{r['code']} – {r['name']}", r["net_vnd"]) for r in rows]),
        params={"stale_days": q.stale_days, "hide_columns": ("province", "average_vnd", "sync_state")},
    )


def sales_by_day(session: Session, q: OfficeQuery) -> Report:
    """Each local day of the period (days without sales included), all showrooms or one."""
    found = _figures_by(session, q, ["s.sold_on"], ["r.returned_on"])
    showrooms_selling = {
        r.day: int(r.n)
        for r in _rows(
            session,
            "SELECT s.sold_on AS day, COUNT(DISTINCT s.showroom_id) AS n FROM sale s "
            f"WHERE s.sold_on BETWEEN :start AND :end AND s.status = :completed{_only(q, 's')} GROUP BY s.sold_on",
            _params(q),
        )
    }
    rows = [
        _finish({"day": d, **found.get((d,), _empty_figures()), "showrooms": showrooms_selling.get(d, 0)})
        for d in q.period.days
    ]
    totals = _figure_totals(rows)
    return Report(
        "days",
        "Doanh thu theo ngày",
        COUNTED,
        [
            Column("day", "Ngày", DATE),
            Column("showrooms", "Số cửa hàng có bán", INT),
            *FIGURE_COLUMNS,
            Column("average_vnd", "Bình quân mỗi đơn", VND),
            Column("voided", "Đơn đã hủy (không tính)", INT),
        ],
        rows,
        {"day": "Tổng cộng", **totals},
        period=q.period,
        chart={
            "type": "line",
            "title": f"Doanh thu thuần theo ngày – {_showroom_label(q, session)}",
            "unit": "vnd",
            "labels": [d.strftime("%d/%m") for d in q.period.days],
            "values": [r["net_vnd"] for r in rows],
        },
    )


HEATMAP_MAX_DAYS = 93


def sales_by_showroom_day(session: Session, q: OfficeQuery) -> Report:
    """Net sales of every showroom on every day of the period: a long table, and a heat map under 93 days."""
    found = _figures_by(session, q, ["s.showroom_id", "s.sold_on"], ["r.showroom_id", "r.returned_on"])
    shops = {s.id: s for s in session.exec(select(Showroom).order_by(Showroom.code)).all()}
    if q.showroom_id is not None:
        shops = {k: v for k, v in shops.items() if k == q.showroom_id}
    rows = []
    for (sid, day), figures in found.items():
        shop = shops.get(sid)
        if shop is None:
            continue
        rows.append(_finish({"day": day, "code": shop.code, "name": shop.name, **figures, "_showroom_id": sid}))
    rows.sort(key=lambda r: (r["code"], r["day"]))
    totals = _figure_totals(rows)
    heatmap = None
    if len(q.period.days) <= HEATMAP_MAX_DAYS and shops:
        net = {(r["_showroom_id"], r["day"]): r["net_vnd"] for r in rows}
        heatmap = {
            "title": "Doanh thu thuần mỗi ngày của từng cửa hàng",
            "unit": "vnd",
            "days": [d.strftime("%d/%m") for d in q.period.days],
            "weekend": [d.weekday() >= 5 for d in q.period.days],
            "rows": [
                {
                    "label": f"{s.code} – {s.name}",
                    "code": s.code,
                    "values": [net.get((sid, d), 0) for d in q.period.days],
                }
                for sid, s in shops.items()
            ],
        }
    return Report(
        "showroom_days",
        "Doanh thu theo cửa hàng và ngày",
        COUNTED + " Chỉ liệt kê ngày cửa hàng có bán hoặc có trả hàng.",
        [
            Column("day", "Ngày", DATE),
            Column("code", "Mã"),
            Column("name", "Cửa hàng"),
            *FIGURE_COLUMNS,
            Column("voided", "Đơn đã hủy (không tính)", INT),
        ],
        rows,
        {"day": "Tổng cộng", **totals},
        period=q.period,
        params={"heatmap": heatmap, "heatmap_max_days": HEATMAP_MAX_DAYS},
    )


# --- Sales by what was sold (from the sale lines and return lines) ------------------------------------------------

# Each sale line of the period once, each return line of the period once (negative); a returned line takes the
# producer, stars and group of the sale line it came from.
NET_LINES = """
SELECT sl.showroom_id, sl.product_id, sl.producer_id, sl.ocop_stars AS stars, sl.ocop_group AS grp,
       sl.qty AS qty_sold, 0 AS qty_returned, sl.qty * sl.unit_price_vnd AS gross_vnd,
       sl.discount_vnd AS discount_vnd, 0 AS refunds_vnd, sl.total_vnd AS net_vnd
FROM sale_line sl
WHERE sl.sold_on BETWEEN :start AND :end AND NOT sl.is_voided{only_sl}
UNION ALL
SELECT r.showroom_id, COALESCE(sl.product_id, rl.product_id), COALESCE(sl.producer_id, p.producer_id),
       COALESCE(sl.ocop_stars, p.ocop_stars), COALESCE(sl.ocop_group, p.ocop_group),
       0, rl.qty, 0, 0, rl.amount_vnd, -rl.amount_vnd
FROM sale_return r
JOIN return_line rl ON rl.return_id = r.id
LEFT JOIN sale_line sl ON sl.sale_id = r.sale_id AND sl.line_no = rl.sale_line_no
LEFT JOIN product p ON p.id = rl.product_id
WHERE r.returned_on BETWEEN :start AND :end AND NOT COALESCE(sl.is_voided, FALSE){only_r}
"""

MEASURES = """
SUM(x.qty_sold)::bigint AS qty_sold, SUM(x.qty_returned)::bigint AS qty_returned,
SUM(x.gross_vnd)::bigint AS gross_vnd, SUM(x.discount_vnd)::bigint AS discount_vnd,
SUM(x.refunds_vnd)::bigint AS refunds_vnd, SUM(x.net_vnd)::bigint AS net_vnd
"""

MEASURE_KEYS = ("qty_sold", "qty_returned", "gross_vnd", "discount_vnd", "refunds_vnd", "net_vnd")

# The showroom reports' columns, less the gross margin: the centre has no cost prices.
MEASURE_COLUMNS = [c for c in SHOWROOM_MEASURE_COLUMNS if c.key != "margin_vnd"]


def _net_lines(q: OfficeQuery) -> str:
    return NET_LINES.format(only_sl=_only(q, "sl"), only_r=_only(q, "r"))


def _per(q: OfficeQuery, keys: str) -> str:
    """SQL: the net lines summed per ``keys`` (comma-separated columns of NET_LINES) and per showroom."""
    return f"SELECT x.showroom_id, {keys}, {MEASURES} FROM ({_net_lines(q)}) x GROUP BY x.showroom_id, {keys}"


def _measures(row: Any) -> dict[str, int]:
    values = {k: int(getattr(row, k) or 0) for k in MEASURE_KEYS}
    values["qty_net"] = values["qty_sold"] - values["qty_returned"]
    return values


def _add(into: dict[str, int], values: dict[str, int]) -> None:
    for k, v in values.items():
        into[k] = into.get(k, 0) + v


def _zero() -> dict[str, int]:
    return dict.fromkeys((*MEASURE_KEYS, "qty_net"), 0)


def _totals(rows: list[dict[str, Any]], label_key: str) -> dict[str, Any]:
    """The totals row, and each row's share of net revenue."""
    totals: dict[str, Any] = _zero()
    for row in rows:
        _add(totals, {k: row[k] for k in totals})
    whole = totals["net_vnd"]
    for row in rows:
        row["share_bp"] = _share(row["net_vnd"], whole)
    totals["share_bp"] = 10_000 if whole > 0 else 0
    totals[label_key] = "Tổng cộng"
    return totals


def sales_by_producer(session: Session, q: OfficeQuery) -> Report:
    """Net sales per producer (a producer linked to the catalogue counts as the catalogue's), best first."""
    sql = f"""
        SELECT pr.catalog_producer_id AS cid,
               CASE WHEN pr.catalog_producer_id IS NULL THEN pr.id END AS pid,
               COALESCE(cp.name, pr.name) AS name, COALESCE(cp.kind, pr.kind) AS kind,
               COALESCE(NULLIF(cp.province, ''), pr.province) AS province,
               COUNT(DISTINCT per.showroom_id) AS showrooms,
               SUM(per.qty_sold)::bigint AS qty_sold, SUM(per.qty_returned)::bigint AS qty_returned,
               SUM(per.gross_vnd)::bigint AS gross_vnd, SUM(per.discount_vnd)::bigint AS discount_vnd,
               SUM(per.refunds_vnd)::bigint AS refunds_vnd, SUM(per.net_vnd)::bigint AS net_vnd
        FROM ({_per(q, "x.producer_id")}) per
        LEFT JOIN producer pr ON pr.id = per.producer_id
        LEFT JOIN catalog_producer cp ON cp.id = pr.catalog_producer_id
        GROUP BY 1, 2, 3, 4, 5
    """
    rows = [
        {
            "name": r.name or UNKNOWN,
            "kind": PRODUCER_KINDS.get(r.kind or "", r.kind or ""),
            "province": r.province or UNKNOWN,
            "showrooms": int(r.showrooms),
            **_measures(r),
        }
        for r in _rows(session, sql, _params(q))
    ]
    rows.sort(key=lambda r: (-r["net_vnd"], r["name"]))
    totals = _totals(rows, "name")
    totals["kind"] = f"{len(rows)} nhà sản xuất"
    return Report(
        "producers",
        "Doanh thu theo nhà sản xuất",
        COUNTED + " Nhà sản xuất ghi trên từng dòng bán; nhà sản xuất đã liên kết danh mục chung tính chung một dòng.",
        [
            Column("name", "Nhà sản xuất"),
            Column("kind", "Loại hình"),
            Column("province", "Tỉnh/thành"),
            Column("showrooms", "Số cửa hàng bán", INT),
            *MEASURE_COLUMNS,
        ],
        rows,
        totals,
        period=q.period,
        chart=share_chart("Tỷ trọng doanh thu thuần theo nhà sản xuất", rows, "name"),
    )


_PROVINCE_PREFIX = re.compile(r"^(tinh|thanh pho|tp\.?)\s+", re.IGNORECASE)


def province_key(name: str) -> str:
    """'TP. Hà Nội', 'Thành phố Hà Nội' and 'ha noi' are one province: folded, without the 'tỉnh/TP' prefix."""
    folded = " ".join(fold(name or "").replace(".", ". ").split())
    return _PROVINCE_PREFIX.sub("", folded).strip()


def sales_by_province(session: Session, q: OfficeQuery) -> Report:
    """Net sales per province of origin (the producer's province), with a share chart."""
    sql = f"""
        SELECT COALESCE(NULLIF(cp.province, ''), pr.province, '') AS province,
               COALESCE('c' || pr.catalog_producer_id::text, 'p' || pr.id::text, '') AS producer_key,
               {MEASURES.replace("x.", "per.")}
        FROM ({_per(q, "x.producer_id")}) per
        LEFT JOIN producer pr ON pr.id = per.producer_id
        LEFT JOIN catalog_producer cp ON cp.id = pr.catalog_producer_id
        GROUP BY 1, 2
    """
    merged: dict[str, dict[str, Any]] = {}
    spellings: dict[str, dict[str, int]] = {}
    for r in _rows(session, sql, _params(q)):
        raw = (r.province or "").strip()
        key = province_key(raw)
        slot = merged.setdefault(key, {"producers": set(), **_zero()})
        slot["producers"].add(r.producer_key)
        _add(slot, _measures(r))
        if raw:
            counts = spellings.setdefault(key, {})
            counts[raw] = counts.get(raw, 0) + 1
    rows = []
    for key, slot in merged.items():
        names = spellings.get(key)
        label = max(sorted(names), key=lambda n: names[n]) if names else UNKNOWN  # the usual spelling
        rows.append(
            {
                "province": label,
                **{k: v for k, v in slot.items() if k != "producers"},
                "producers": len(slot["producers"]),
            }
        )
    rows.sort(key=lambda r: (-r["net_vnd"], r["province"]))
    totals = _totals(rows, "province")
    totals["producers"] = sum(r["producers"] for r in rows)
    return Report(
        "provinces",
        "Doanh thu theo tỉnh/thành xuất xứ",
        COUNTED + " Xuất xứ là tỉnh/thành của nhà sản xuất (theo danh mục chung nếu đã liên kết); "
        "các cách viết khác nhau của cùng một tỉnh (có dấu/không dấu, “TP.”, “Tỉnh”) được gộp.",
        [Column("province", "Tỉnh/thành xuất xứ"), Column("producers", "Số nhà sản xuất", INT), *MEASURE_COLUMNS],
        rows,
        totals,
        period=q.period,
        chart=share_chart("Tỷ trọng doanh thu thuần theo tỉnh/thành xuất xứ", rows, "province"),
    )


STAR_COLUMNS = ((5, "5 sao"), (4, "4 sao"), (3, "3 sao"))


def _star_key(stars: int | None) -> str:
    if stars is None:
        return "none"
    return str(stars) if stars >= 3 else "low"


def sales_by_ocop(session: Session, q: OfficeQuery) -> Report:
    """Net sales per OCOP product group (rows) and star rating (columns), as recorded on each sale line."""
    sql = f"""
        SELECT per.grp AS grp, per.stars AS stars, {MEASURES.replace("x.", "per.")}
        FROM ({_per(q, "x.grp, x.stars")}) per
        GROUP BY 1, 2
    """
    cells: dict[str | None, dict[str, dict[str, int]]] = {}
    for r in _rows(session, sql, _params(q)):
        by_star = cells.setdefault(r.grp, {})
        _add(by_star.setdefault(_star_key(r.stars), _zero()), _measures(r))
    has_low = any("low" in by_star for by_star in cells.values())
    star_keys = [str(s) for s, _ in STAR_COLUMNS] + (["low"] if has_low else []) + ["none"]
    labels = dict((str(s), label) for s, label in STAR_COLUMNS) | {"low": "Dưới 3 sao", "none": "Chưa xếp hạng"}
    groups: list[tuple[str | None, str]] = list(PRODUCT_GROUPS.items())
    groups += [(g, g) for g in cells if g is not None and g not in PRODUCT_GROUPS]
    if None in cells:
        groups.append((None, "Chưa rõ nhóm"))
    rows = []
    for key, label in groups:
        by_star = cells.get(key, {})
        row: dict[str, Any] = {"group": label, **_zero()}
        for star in star_keys:
            row[f"net_{star}"] = by_star.get(star, {}).get("net_vnd", 0)
            _add(row, {k: v for k, v in by_star.get(star, _zero()).items()})
        rows.append(row)
    totals = _totals(rows, "group")
    for star in star_keys:
        totals[f"net_{star}"] = sum(r[f"net_{star}"] for r in rows)
    star_totals = [(labels[s], totals[f"net_{s}"]) for s in star_keys]
    return Report(
        "ocop",
        "Doanh thu theo hạng sao OCOP và nhóm sản phẩm",
        COUNTED
        + " Hạng sao và nhóm sản phẩm như trên dòng bán (tại thời điểm bán); số ở các cột sao là doanh thu thuần.",
        [
            Column("group", "Nhóm sản phẩm"),
            *[Column(f"net_{s}", labels[s], VND) for s in star_keys],
            Column("qty_net", "SL thuần", INT),
            Column("net_vnd", "Doanh thu thuần", VND),
            Column("share_bp", "Tỷ trọng", SHARE),
        ],
        rows,
        totals,
        period=q.period,
        chart={
            "type": "share",
            "title": "Tỷ trọng doanh thu thuần theo hạng sao OCOP",
            "unit": "vnd",
            "labels": [label for label, value in star_totals if value],
            "values": [value for _, value in star_totals if value],
        },
    )


def top_products(session: Session, q: OfficeQuery) -> Report:
    """The best sellers across showrooms: a product linked to the catalogue counts as the catalogue product."""
    order = "qty_net DESC, net_vnd DESC" if q.sort == "qty" else "net_vnd DESC, qty_net DESC"
    sql = f"""
        SELECT p.catalog_product_id AS cid,
               CASE WHEN p.catalog_product_id IS NULL THEN per.product_id END AS pid,
               COUNT(DISTINCT per.showroom_id) AS showrooms,
               {MEASURES.replace("x.", "per.")},
               (SUM(per.qty_sold) - SUM(per.qty_returned))::bigint AS qty_net,
               SUM(SUM(per.net_vnd)) OVER ()::bigint AS whole_vnd
        FROM ({_per(q, "x.product_id")}) per
        LEFT JOIN product p ON p.id = per.product_id
        GROUP BY 1, 2
        ORDER BY {order}, cid NULLS LAST, pid
        LIMIT :limit
    """
    found = _rows(session, sql, {**_params(q), "limit": q.limit})
    catalog = _catalog_names(session, [r.cid for r in found if r.cid is not None])
    own = _product_names(session, [r.pid for r in found if r.pid is not None])
    whole = int(found[0].whole_vnd or 0) if found else 0
    rows = []
    for rank, r in enumerate(found, start=1):
        info = catalog.get(r.cid) if r.cid is not None else own.get(r.pid)
        info = info or {"name": UNKNOWN, "producer": "", "barcode": "", "stars": None, "link": ""}
        values = _measures(r)
        rows.append(
            {
                "rank": rank,
                **info,
                "showrooms": int(r.showrooms),
                **values,
                "share_bp": _share(values["net_vnd"], whole),
            }
        )
    by_qty = q.sort == "qty"
    return Report(
        "top",
        "Sản phẩm bán chạy",
        COUNTED
        + COUNTED_LINKED
        + f" Xếp theo {'số lượng thuần' if by_qty else 'doanh thu thuần'}; tỷ trọng trên toàn bộ doanh thu thuần.",
        [
            Column("rank", "Hạng", INT),
            Column("name", "Sản phẩm"),
            Column("producer", "Nhà sản xuất"),
            Column("barcode", "Mã vạch"),
            Column("stars", "Hạng sao OCOP", STARS),
            Column("link", "Danh mục chung"),
            Column("showrooms", "Số cửa hàng bán", INT),
            *MEASURE_COLUMNS,
        ],
        rows,
        None,
        period=q.period,
        chart={
            "type": "bars",
            "title": f"{len(rows)} sản phẩm bán chạy nhất",
            "unit": "qty" if by_qty else "vnd",
            "labels": [r["name"] for r in rows[:20]],
            "values": [r["qty_net"] if by_qty else r["net_vnd"] for r in rows[:20]],
        },
        params={
            "limit": q.limit,
            "sort": q.sort,
            "hide_columns": ("qty_sold", "qty_returned", "gross_vnd", "discount_vnd"),  # in the CSV
        },
    )


def _catalog_names(session: Session, ids: list[int]) -> dict[int, dict[str, Any]]:
    if not ids:
        return {}
    sql = """
        SELECT c.id, c.name, c.barcode, c.sku, c.ocop_stars, cp.name AS producer
        FROM catalog_product c JOIN catalog_producer cp ON cp.id = c.producer_id WHERE c.id = ANY(:ids)
    """
    return {
        r.id: {
            "name": r.name,
            "producer": r.producer,
            "barcode": r.barcode or r.sku,
            "stars": r.ocop_stars,
            "link": "Đã liên kết",
        }
        for r in _rows(session, sql, {"ids": ids})
    }


def _product_names(session: Session, ids: list[int]) -> dict[int, dict[str, Any]]:
    if not ids:
        return {}
    sql = """
        SELECT p.id, p.name, p.barcode, p.sku, p.ocop_stars, pr.name AS producer, sr.code AS showroom
        FROM product p LEFT JOIN producer pr ON pr.id = p.producer_id
        LEFT JOIN showroom sr ON sr.id = p.first_showroom_id WHERE p.id = ANY(:ids)
    """
    return {
        r.id: {
            "name": r.name,
            "producer": r.producer or UNKNOWN,
            "barcode": r.barcode or r.sku,
            "stars": r.ocop_stars,
            "link": f"Chưa liên kết (hàng của {r.showroom})" if r.showroom else "Chưa liên kết",
        }
        for r in _rows(session, sql, {"ids": ids})
    }


def _bars(title: str, items: list[tuple[str, int]], top: int = 15) -> dict[str, Any]:
    """A bar chart of the ``top`` largest values, the rest summed as 'Khác'."""
    items = sorted(items, key=lambda item: -item[1])
    head, tail = items[:top], items[top:]
    labels = [label for label, _ in head]
    values = [value for _, value in head]
    if tail:
        labels.append(f"Khác ({len(tail)})")
        values.append(sum(value for _, value in tail))
    return {"type": "bars", "title": title, "unit": "vnd", "labels": labels, "values": values}


# --- Sync freshness and shift reconciliation ------------------------------------------------------------------


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
        f"Cửa hàng quá {q.stale_days} ngày chưa đồng bộ về trung tâm được đánh dấu (cấu hình central.stale_days); "
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


def shift_report(session: Session, q: OfficeQuery) -> Report:
    """Shifts closed in the period with the central server's check (ok / mismatch / incomplete), problems first."""
    status_filter = " AND sc.check_status = :status" if q.status in CHECK_STATUSES else ""
    sql = f"""
        SELECT sc.id, sc.uuid, sc.cashier, sc.opened_at, sc.closed_at, sc.sales_count, sc.sales_total_vnd,
               sc.refunds_total_vnd, sc.voids_count, sc.difference_vnd, sc.check_status, sc.check_detail,
               sc.checked_at, sr.code, sr.name, sr.id AS showroom_id
        FROM shift_close sc JOIN showroom sr ON sr.id = sc.showroom_id
        WHERE sc.closed_on BETWEEN :start AND :end{_only(q, "sc")}{status_filter}
        ORDER BY CASE sc.check_status WHEN 'mismatch' THEN 0 WHEN 'incomplete' THEN 1 ELSE 2 END,
                 sc.closed_at DESC, sc.id DESC
    """
    params = {**_params(q), "status": q.status}
    tz = q.period.tz
    counts = dict.fromkeys(CHECK_STATUSES, 0)  # over every status, so the filter's buttons show what is there
    for r in _rows(
        session,
        "SELECT sc.check_status AS status, COUNT(*) AS n FROM shift_close sc "
        f"WHERE sc.closed_on BETWEEN :start AND :end{_only(q, 'sc')} GROUP BY sc.check_status",
        params,
    ):
        counts[r.status] = int(r.n)
    rows = []
    for r in _rows(session, sql, params):
        rows.append(
            {
                "code": r.code,
                "name": r.name,
                "cashier": r.cashier,
                "opened": local_text(r.opened_at, tz),
                "closed": local_text(r.closed_at, tz),
                "sales_count": r.sales_count,
                "sales_total_vnd": int(r.sales_total_vnd),
                "refunds_total_vnd": int(r.refunds_total_vnd),
                "voids_count": r.voids_count,
                "difference_vnd": int(r.difference_vnd),
                "status": CHECK_STATUSES.get(r.check_status, r.check_status),
                "detail": check_text(r.check_detail),
                "_flag": "" if r.check_status == "ok" else r.check_status,
                "_status": r.check_status,
                "_showroom_id": r.showroom_id,
            }
        )
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
        params={"counts": counts, "hide_columns": ("code", "voids_count")},
    )


# --- Sales list and one receipt -------------------------------------------------------------------------------

SALE_STATUSES = {"": "Tất cả", "completed": "Đã hoàn tất", "voided": "Đã hủy", "returned": "Có trả hàng"}


@dataclass(frozen=True)
class SaleFilter:
    """The sales list's filters: the period, a showroom, a receipt number (or part of it), a status."""

    period: Period
    showroom_id: int | None = None
    number: str = ""
    status: str = ""


def _sale_where(session: Session, f: SaleFilter) -> tuple[str, dict[str, Any], bool]:
    """WHERE clause, parameters, and whether the period was set aside (a whole receipt number was given)."""
    params: dict[str, Any] = {"start": f.period.start, "end": f.period.end}
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
    if f.status == "completed":
        clauses.append("s.status = 'completed'")
    elif f.status == "voided":
        clauses.append("s.status = 'voided'")
    elif f.status == "returned":
        clauses.append("EXISTS (SELECT 1 FROM sale_return r WHERE r.sale_id = s.id)")
    return " AND ".join(clauses), params, any_date


SALE_ORDER = "s.sold_on DESC, s.created_at DESC, s.id DESC"  # newest first; sold_on leads so a day index serves it

SALE_LIST_SELECT = """
SELECT s.uuid, s.receipt_number, s.created_at, s.sold_on, s.cashier, s.status, s.subtotal_vnd,
       s.line_discount_vnd + s.sale_discount_vnd AS discount_vnd, s.total_vnd, sr.code, sr.name,
       (SELECT COALESCE(SUM(r.total_vnd), 0) FROM sale_return r WHERE r.sale_id = s.id)::bigint AS refunded_vnd,
       (SELECT string_agg(DISTINCT pm.method, ',') FROM payment pm WHERE pm.sale_id = s.id) AS methods
FROM {source} JOIN showroom sr ON sr.id = s.showroom_id
WHERE {where}
ORDER BY {order}
"""


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
    status = "Đã hủy" if r.status != COMPLETED else ("Có trả hàng" if r.refunded_vnd else "Hoàn tất")
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
        "status": status,
        "_uuid": str(r.uuid),
        "_flag": "voided" if r.status != COMPLETED else "",
    }


def list_sales(session: Session, f: SaleFilter, page: int = 1, per_page: int = 50) -> SalePage:
    """One page of the sales matching the filter, newest first."""
    where, params, any_date = _sale_where(session, f)
    total = int(session.execute(text(f"SELECT COUNT(*) FROM sale s WHERE {where}"), params).scalar_one())
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    # The page's sales are chosen first, so the per-sale look-ups run for 50 rows, not for the whole period.
    source = f"(SELECT s.* FROM sale s WHERE {where} ORDER BY {SALE_ORDER} LIMIT :limit OFFSET :offset) s"
    sql = SALE_LIST_SELECT.format(source=source, where="TRUE", order=SALE_ORDER)
    found = _rows(session, sql, {**params, "limit": per_page, "offset": (page - 1) * per_page})
    return SalePage([_sale_row(r, f.period.tz) for r in found], total, page, per_page, any_date)


SALE_LIST_COLUMNS = [
    Column("receipt_number", "Số hóa đơn"),
    Column("code", "Mã"),
    Column("name", "Cửa hàng"),
    Column("time", "Thời gian"),
    Column("cashier", "Thu ngân"),
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

    @property
    def discount_vnd(self) -> int:
        return self.sale.line_discount_vnd + self.sale.sale_discount_vnd

    @property
    def refunded_vnd(self) -> int:
        return sum(r.ret.total_vnd for r in self.returns)


def get_receipt(session: Session, sale_uuid: UUID) -> ReceiptView:
    """The receipt of one sale: lines, discounts, VAT by rate, payments, returns and void; NotFound if unknown."""
    sale = session.exec(select(Sale).where(Sale.uuid == sale_uuid)).first()
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
        select(SaleReturn).where(SaleReturn.sale_uuid == sale.uuid).order_by(col(SaleReturn.created_at))
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
                        "amount_vnd": rl.amount_vnd,
                    }
                    for rl in rlines
                ],
            )
        )
    void = session.exec(select(SaleVoid).where(SaleVoid.sale_uuid == sale.uuid)).first()
    shift = session.exec(select(ShiftClose).where(ShiftClose.uuid == sale.shift_uuid)).first()
    return ReceiptView(
        sale=sale,
        showroom=showroom,
        lines=lines,
        payments=payments,
        vat=[vat[rate] for rate in sorted(vat, reverse=True)],
        returns=returns,
        void=void,
        shift=shift,
    )


def receipt_report(view: ReceiptView) -> Report:
    """The receipt's lines as a table (for its CSV)."""
    rows = [
        {
            "line_no": line.line_no,
            "sku": line.sku,
            "barcode": line.barcode or "",
            "name": line.name,
            "unit": line.unit,
            "qty": line.qty,
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
        "qty": sum(r["qty"] for r in rows),
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
            Column("qty", "SL", INT),
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
