"""Sales by what was sold: per producer, province of origin, OCOP group and stars, and the best sellers.

Read from ``summary_product_month``, ``summary_product_dekad`` and ``summary_product_day``
(pos/central/summaries.py). Each summed row is
joined to its product or producer and rolled up through the catalogue link in one aggregate, so a showroom
product linked to a catalogue product counts as that catalogue product, and a showroom is counted once
(COUNT DISTINCT) however many days or linked products it sold.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from sqlmodel import Session

from pos.catalog.models import PRODUCER_KINDS, PRODUCT_GROUPS
from pos.central.office.common import (
    COUNTED,
    COUNTED_LINKED,
    UNKNOWN,
    OfficeQuery,
    fetch_rows,
    only_showroom,
    period_params,
    share_bp,
)
from pos.central.summaries import span_after, span_start
from pos.reports.queries import COUNTED_WEIGHT, share_chart
from pos.reports.queries import measure_columns as showroom_measure_columns
from pos.reports.table import INT, SHARE, STARS, VND, Column, Report
from pos.text import fold

# The summed lines of the period: whole calendar months from ``summary_product_month``, whole dekads of the partial
# months from ``summary_product_dekad``, the few days left at either end from ``summary_product_day``; unknown keys
# (stored as 0 or '') back to NULL.
FACT_COLUMNS = """
d.showroom_id, NULLIF(d.product_id, 0) AS product_id, NULLIF(d.producer_id, 0) AS producer_id,
NULLIF(d.ocop_stars, 0) AS stars, NULLIF(d.ocop_group, '') AS grp,
d.qty_sold, d.qty_returned, d.grams_sold, d.grams_returned,
d.gross_vnd, d.discount_vnd, d.refunds_vnd, d.sales_vnd - d.refunds_vnd AS net_vnd
"""


def _whole_spans(start: date, end: date, span: str) -> tuple[list[date], list[tuple[date, date]]]:
    """The whole months or dekads inside [start, end] (their first days) and the day ranges left over."""
    first = start if span_start(span, start) == start else span_after(span, span_start(span, start))
    spans: list[date] = []
    following = first
    while span_after(span, following) - timedelta(days=1) <= end:
        spans.append(following)
        following = span_after(span, following)
    if not spans:
        return [], [(start, end)]
    ranges = []
    if start < spans[0]:
        ranges.append((start, spans[0] - timedelta(days=1)))
    if following <= end:  # the first day after the last whole span
        ranges.append((following, end))
    return spans, ranges


def split_period(start: date, end: date) -> tuple[list[date], list[date], list[tuple[date, date]]]:
    """The whole calendar months inside [start, end], the whole dekads of what is left, and the days left over
    (at most nine at either end)."""
    months, rest = _whole_spans(start, end, "month")
    dekads: list[date] = []
    days: list[tuple[date, date]] = []
    for first, last in rest:
        found, left = _whole_spans(first, last, "dekad")
        dekads += found
        days += left
    return months, dekads, days


def _facts(q: OfficeQuery) -> tuple[str, dict[str, Any]]:
    """SQL of the period's summed lines (one row per showroom, product, producer, stars, group and month or day)."""
    months, dekads, ranges = split_period(q.period.start, q.period.end)
    params = period_params(q)
    parts = []
    for span, starts in (("month", months), ("dekad", dekads)):
        if starts:
            params[f"{span}s"] = starts
            parts.append(
                f"SELECT {FACT_COLUMNS} FROM summary_product_{span} d "
                f"WHERE d.{span} = ANY(:{span}s){only_showroom(q, 'd')}"
            )
    for i, (first, last) in enumerate(ranges):
        params[f"from{i}"], params[f"to{i}"] = first, last
        parts.append(
            f"SELECT {FACT_COLUMNS} FROM summary_product_day d "
            f"WHERE d.day BETWEEN :from{i} AND :to{i}{only_showroom(q, 'd')}"
        )
    return " UNION ALL ".join(parts), params


def _per_showroom(q: OfficeQuery, key: str) -> tuple[str, dict[str, Any]]:
    """SQL of the period's summed lines with one row per showroom and ``key`` (``product_id`` or ``producer_id``)
    and the measures, for a report that counts the showrooms.

    Over a year the month rows are twelve per showroom and product (360,000 for 100 showrooms): summed per pair
    first, COUNT DISTINCT then sorts the 30,000 pairs instead of every row (top products over a year with partial
    months at both ends: 0.64-0.88 s → 0.50-0.61 s, best and median of seven; over a whole year 0.49-0.62 →
    0.33-0.49 s). A period read from one month or one range of days has about one row per pair already: the extra
    step gains nothing there and is left out."""
    facts, params = _facts(q)
    if sum(map(len, split_period(q.period.start, q.period.end))) <= 1:
        return facts, params
    sums = ", ".join(f"SUM(x.{k})::bigint AS {k}" for k in MEASURE_KEYS)
    return f"SELECT x.showroom_id, x.{key}, {sums} FROM ({facts}) x GROUP BY 1, 2", params


MEASURES = """
SUM(x.qty_sold)::bigint AS qty_sold, SUM(x.qty_returned)::bigint AS qty_returned,
SUM(x.grams_sold)::bigint AS grams_sold, SUM(x.grams_returned)::bigint AS grams_returned,
SUM(x.gross_vnd)::bigint AS gross_vnd, SUM(x.discount_vnd)::bigint AS discount_vnd,
SUM(x.refunds_vnd)::bigint AS refunds_vnd, SUM(x.net_vnd)::bigint AS net_vnd
"""

MEASURE_KEYS = (
    "qty_sold",
    "qty_returned",
    "grams_sold",
    "grams_returned",
    "gross_vnd",
    "discount_vnd",
    "refunds_vnd",
    "net_vnd",
)


def measure_columns(session: Session) -> list[Column]:
    """The showroom reports' columns (pieces, kg when the network carries weighed goods, money), less the gross
    margin: the centre has no cost prices."""
    weighed = bool(fetch_rows(session, "SELECT 1 FROM product WHERE sold_by = 'weight' LIMIT 1", {}))
    return [c for c in showroom_measure_columns(weighed) if c.key != "margin_vnd"]


def _per_producer(q: OfficeQuery) -> tuple[str, dict[str, Any]]:
    """SQL and parameters: the period's figures per producer (``cid`` a catalogue producer, which every producer
    linked to it counts as, else ``pid`` the showroom's own producer; both NULL for lines of no known producer),
    with the number of showrooms that sold it.

    The rows (summed per showroom and producer, see ``_per_showroom``) are joined to their producer and aggregated
    once, straight to the producer: joining first and summing per showroom and catalogue producer, then again, cost
    3-6 times as long over a year of 100 showrooms (354,000 month rows)."""
    sql, params = _per_showroom(q, "producer_id")
    return (
        f"""
        SELECT pr.catalog_producer_id AS cid, CASE WHEN pr.catalog_producer_id IS NULL THEN pr.id END AS pid,
               COUNT(DISTINCT x.showroom_id) AS showrooms, {MEASURES}
        FROM ({sql}) x LEFT JOIN producer pr ON pr.id = x.producer_id
        GROUP BY 1, 2
        """,
        params,
    )


# A producer's name, kind and province: the catalogue's when linked (its province, else a linked producer's).
PRODUCER_INFO = """
LEFT JOIN producer pr ON pr.id = per.pid
LEFT JOIN catalog_producer cp ON cp.id = per.cid
"""
PRODUCER_PROVINCE = """
COALESCE(NULLIF(cp.province, ''), pr.province,
         (SELECT MIN(o.province) FROM producer o WHERE o.catalog_producer_id = per.cid AND o.province <> ''), '')
"""


def _measures(row: Any) -> dict[str, int]:
    values = {k: int(getattr(row, k) or 0) for k in MEASURE_KEYS}
    values["qty_net"] = values["qty_sold"] - values["qty_returned"]
    values["grams_net"] = values["grams_sold"] - values["grams_returned"]
    return values


def _add(into: dict[str, int], values: dict[str, int]) -> None:
    for k, v in values.items():
        into[k] = into.get(k, 0) + v


def _zero() -> dict[str, int]:
    return dict.fromkeys((*MEASURE_KEYS, "qty_net", "grams_net"), 0)


def _totals(rows: list[dict[str, Any]], label_key: str) -> dict[str, Any]:
    """The totals row, and each row's share of net revenue."""
    totals: dict[str, Any] = _zero()
    for row in rows:
        _add(totals, {k: row[k] for k in totals})
    whole = totals["net_vnd"]
    for row in rows:
        row["share_bp"] = share_bp(row["net_vnd"], whole)
    totals["share_bp"] = 10_000 if whole > 0 else 0
    totals[label_key] = "Tổng cộng"
    return totals


def sales_by_producer(session: Session, q: OfficeQuery) -> Report:
    """Net sales per producer (a producer linked to the catalogue counts as the catalogue's), best first."""
    per, params = _per_producer(q)
    sql = f"""
        SELECT per.*, COALESCE(cp.name, pr.name) AS name, COALESCE(cp.kind, pr.kind) AS kind,
               {PRODUCER_PROVINCE} AS province
        FROM ({per}) per {PRODUCER_INFO}
    """
    rows = [
        {
            "name": r.name or UNKNOWN,
            "kind": PRODUCER_KINDS.get(r.kind or "", r.kind or ""),
            "province": r.province or UNKNOWN,
            "showrooms": int(r.showrooms),
            **_measures(r),
        }
        for r in fetch_rows(session, sql, params)
    ]
    rows.sort(key=lambda r: (-r["net_vnd"], r["name"]))
    totals = _totals(rows, "name")
    totals["kind"] = f"{len(rows)} nhà sản xuất"
    return Report(
        "producers",
        "Doanh thu theo nhà sản xuất",
        COUNTED
        + " Nhà sản xuất ghi trên từng dòng bán; nhà sản xuất đã liên kết danh mục chung tính chung một dòng."
        + COUNTED_WEIGHT,
        [
            Column("name", "Nhà sản xuất"),
            Column("kind", "Loại hình"),
            Column("province", "Tỉnh/thành"),
            Column("showrooms", "Số cửa hàng bán", INT),
            *measure_columns(session),
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
    per, params = _per_producer(q)
    sql = f"""
        SELECT {PRODUCER_PROVINCE} AS province,
               COALESCE('c' || per.cid::text, 'p' || per.pid::text, '') AS producer_key, per.*
        FROM ({per}) per {PRODUCER_INFO}
    """
    merged: dict[str, dict[str, Any]] = {}
    spellings: dict[str, dict[str, int]] = {}
    for r in fetch_rows(session, sql, params):
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
        "các cách viết khác nhau của cùng một tỉnh (có dấu/không dấu, “TP.”, “Tỉnh”) được gộp." + COUNTED_WEIGHT,
        [
            Column("province", "Tỉnh/thành xuất xứ"),
            Column("producers", "Số nhà sản xuất", INT),
            *measure_columns(session),
        ],
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
    facts, params = _facts(q)
    sql = f"SELECT x.grp AS grp, x.stars AS stars, {MEASURES} FROM ({facts}) x GROUP BY 1, 2"
    cells: dict[str | None, dict[str, dict[str, int]]] = {}
    for r in fetch_rows(session, sql, params):
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
            *[c for c in measure_columns(session) if c.key in ("qty_net", "grams_net")],
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
    order = "qty_net DESC, grams_net DESC, net_vnd DESC" if q.sort == "qty" else "net_vnd DESC, qty_net DESC"
    facts, params = _per_showroom(q, "product_id")
    sql = f"""
        SELECT p.catalog_product_id AS cid,
               CASE WHEN p.catalog_product_id IS NULL THEN x.product_id END AS pid,
               COUNT(DISTINCT x.showroom_id) AS showrooms,
               {MEASURES},
               (SUM(x.qty_sold) - SUM(x.qty_returned))::bigint AS qty_net,
               (SUM(x.grams_sold) - SUM(x.grams_returned))::bigint AS grams_net,
               SUM(SUM(x.net_vnd)) OVER ()::bigint AS whole_vnd
        FROM ({facts}) x
        LEFT JOIN product p ON p.id = x.product_id
        GROUP BY 1, 2
        ORDER BY {order}, cid NULLS LAST, pid
        LIMIT :limit
    """
    found = fetch_rows(session, sql, {**params, "limit": q.limit})
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
                "share_bp": share_bp(values["net_vnd"], whole),
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
            *measure_columns(session),
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
            "hide_columns": ("qty_sold", "qty_returned", "grams_sold", "grams_returned", "gross_vnd", "discount_vnd"),
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
        for r in fetch_rows(session, sql, {"ids": ids})
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
        for r in fetch_rows(session, sql, {"ids": ids})
    }
