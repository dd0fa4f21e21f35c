"""The summary tables the office's reports read, kept in step with the raw sales tables.

Five tables (pos/central/models.py): ``summary_showroom_day`` (sale and return headers per showroom and
local day), ``summary_product_day`` (sale and return lines per showroom, day, product and the producer, OCOP
group and stars on the line), ``summary_product_month`` (the same per calendar month, so a year's report
reads twelve months rather than 365 days), ``summary_product_dekad`` (the same per ten days: the 1st to the
10th, the 11th to the 20th, the 21st to the month's end, so a period's partial months read dekads and at most
nine days at either end) and ``summary_promotion_day`` (what each central promotion priced per showroom and
day, read by promotion for the office's promotion report).

Every figure is a pure function of the raw tables over one *slice*, a (showroom, local day): a summary row
belongs to exactly one slice and a slice depends only on the raw rows of that showroom and day (plus the
product record, for a return line whose sale line never arrived). So the summaries are maintained by
recomputing slices with the same SQL the full rebuild runs:

* ``refresh_after_ingest`` is the one call the ingest makes, in its transaction, with what it just stored;
  it finds the slices those records touch (a void touches the voided sale's day and its returns' days; a
  product record that fills in a stub's stars and group touches every slice that summed it as unknown),
  deletes their rows and inserts them afresh, then recomputes the months and dekads of those slices from the days;
* ``rebuild`` recomputes every slice, month by month, from the raw tables (``pos central-rebuild-summaries``);
* ``check`` computes every figure from the raw tables again and compares (``pos central-check-summaries``).

Because the key of every row starts with the showroom, pushes of different showrooms never touch the same
summary row: they do not wait on each other.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, text

from pos.central.bulk import pipelined
from pos.money import part_sql

SHOWROOM_DAY_MEASURES = (
    "sales",
    "gross_vnd",
    "discount_vnd",
    "sales_vnd",
    "vat_vnd",
    "voided",
    "voided_vnd",
    "returns",
    "refunds_vnd",
    "returned_sales",
)
PRODUCT_KEYS = ("product_id", "producer_id", "ocop_group", "ocop_stars")
PRODUCT_MEASURES = (
    "lines",
    "qty_sold",
    "qty_returned",
    "grams_sold",
    "grams_returned",
    "gross_vnd",
    "discount_vnd",
    "sales_vnd",
    "vat_vnd",
    "refunds_vnd",
)

# The slices to compute: ``{sale}`` and ``{ret}`` are replaced by a condition on the sale (alias s) or sale line
# (alias sl) and on the return (alias r): either a join to the slice list or a range of days.
SHOWROOM_DAY_SQL = f"""
SELECT showroom_id, day, {", ".join(f"SUM({m})::bigint AS {m}" for m in SHOWROOM_DAY_MEASURES)}
FROM (
    SELECT s.showroom_id, s.sold_on AS day,
           COUNT(*) FILTER (WHERE s.status = 'completed') AS sales,
           COALESCE(SUM(s.subtotal_vnd) FILTER (WHERE s.status = 'completed'), 0) AS gross_vnd,
           COALESCE(SUM(s.line_discount_vnd + s.sale_discount_vnd) FILTER (WHERE s.status = 'completed'), 0)
               AS discount_vnd,
           COALESCE(SUM(s.total_vnd) FILTER (WHERE s.status = 'completed'), 0) AS sales_vnd,
           COALESCE(SUM(s.vat_vnd) FILTER (WHERE s.status = 'completed'), 0) AS vat_vnd,
           COUNT(*) FILTER (WHERE s.status <> 'completed') AS voided,
           COALESCE(SUM(s.total_vnd) FILTER (WHERE s.status <> 'completed'), 0) AS voided_vnd,
           0 AS returns, 0 AS refunds_vnd,
           COUNT(*) FILTER (WHERE EXISTS (SELECT 1 FROM sale_return x WHERE x.sale_id = s.id)) AS returned_sales
    FROM sale s
    WHERE {{sale}}
    GROUP BY s.showroom_id, s.sold_on
    UNION ALL
    SELECT r.showroom_id, r.returned_on, 0, 0, 0, 0, 0, 0, 0, COUNT(*), SUM(r.total_vnd), 0
    FROM sale_return r LEFT JOIN sale s ON s.id = r.sale_id
    WHERE s.status IS DISTINCT FROM 'voided' AND {{ret}}
    GROUP BY r.showroom_id, r.returned_on
) x
GROUP BY showroom_id, day
"""

# Each sale line of a slice once, each return line once; a return line takes the producer, stars and group of
# the sale line it came from, or of its product when that sale line is not (yet) at the central server.
# A line's gross is its total plus its discount (the arrival check holds that to qty × price, grams × price per
# kg for weighed goods). Quantities go to ``qty_*`` (pieces) or ``grams_*`` (goods sold by weight, as the
# product's record says: a stub takes its lines' word until the record comes), never one added to the other.
# The sale lines are summed per product first and the product read once per sum (how a product is sold is the
# same for all its lines), not once per line: the push's refresh took half as long.
_PIECES = "CASE WHEN p.sold_by = 'weight' THEN 0 ELSE {q} END"
_GRAMS = "CASE WHEN p.sold_by = 'weight' THEN {q} ELSE 0 END"
PRODUCT_DAY_SQL = f"""
SELECT showroom_id, day, product_id, producer_id, ocop_group, ocop_stars,
       {", ".join(f"SUM({m})::bigint AS {m}" for m in PRODUCT_MEASURES)}
FROM (
    SELECT a.showroom_id, a.day, a.product_id, a.producer_id, a.ocop_group, a.ocop_stars, a.lines,
           {_PIECES.format(q="a.qty")} AS qty_sold, 0 AS qty_returned,
           {_GRAMS.format(q="a.qty")} AS grams_sold, 0 AS grams_returned,
           a.gross_vnd, a.discount_vnd, a.sales_vnd, a.vat_vnd, 0 AS refunds_vnd
    FROM (
        SELECT sl.showroom_id, sl.sold_on AS day, sl.product_id, sl.producer_id,
               COALESCE(sl.ocop_group, '') AS ocop_group, COALESCE(sl.ocop_stars, 0) AS ocop_stars,
               COUNT(*) AS lines, SUM(sl.qty) AS qty, SUM(sl.total_vnd + sl.discount_vnd) AS gross_vnd,
               SUM(sl.discount_vnd) AS discount_vnd, SUM(sl.total_vnd) AS sales_vnd, SUM(sl.vat_vnd) AS vat_vnd
        FROM sale_line sl
        WHERE NOT sl.is_voided AND {{line}}
        GROUP BY 1, 2, 3, 4, 5, 6
    ) a LEFT JOIN product p ON p.id = a.product_id
    UNION ALL
    SELECT r.showroom_id, r.returned_on, COALESCE(sl.product_id, rl.product_id, 0),
           COALESCE(sl.producer_id, p.producer_id, 0), COALESCE(sl.ocop_group, p.ocop_group, ''),
           COALESCE(sl.ocop_stars, p.ocop_stars, 0), 0, 0, {_PIECES.format(q="rl.qty")}, 0,
           {_GRAMS.format(q="rl.qty")}, 0, 0, 0, 0, rl.amount_vnd
    FROM sale_return r
    JOIN return_line rl ON rl.return_id = r.id
    LEFT JOIN sale_line sl ON sl.sale_id = r.sale_id AND sl.line_no = rl.sale_line_no
    LEFT JOIN product p ON p.id = COALESCE(sl.product_id, rl.product_id)
    WHERE NOT COALESCE(sl.is_voided, FALSE) AND {{ret}}
) x
GROUP BY showroom_id, day, product_id, producer_id, ocop_group, ocop_stars
"""

PROMOTION_MEASURES = (
    "sales",
    "lines",
    "qty_sold",
    "qty_returned",
    "grams_sold",
    "grams_returned",
    "sales_vnd",
    "refunds_vnd",
    "discount_vnd",
    "showroom_cost_vnd",
    "producer_cost_vnd",
)
# What each central promotion did (sale_line.promotion_uuid, sale version 5): the lines it priced on their sale's
# day, and on the return's day what came back of them, at the amount refunded and with the part of the promotion's
# discount the returned quantity takes back (half-up, money.part_sql, as the settlement counts it), by who bears
# it. A sale has one day, so counting its sales per day adds up over any period.
_RETURNED_SHARE = part_sql("sl.promotion_discount_vnd", "rl.qty", "sl.qty")
PROMOTION_DAY_SQL = f"""
SELECT showroom_id, day, promotion_uuid, COUNT(DISTINCT sale_id)::int AS sales,
       {", ".join(f"SUM({m})::bigint AS {m}" for m in PROMOTION_MEASURES[1:])}
FROM (
    SELECT sl.showroom_id, sl.sold_on AS day, sl.promotion_uuid, sl.sale_id, 1 AS lines,
           {_PIECES.format(q="sl.qty")} AS qty_sold, 0 AS qty_returned,
           {_GRAMS.format(q="sl.qty")} AS grams_sold, 0 AS grams_returned,
           sl.total_vnd AS sales_vnd, 0 AS refunds_vnd, sl.promotion_discount_vnd AS discount_vnd,
           CASE WHEN sl.promotion_borne_by = 'producer' THEN 0 ELSE sl.promotion_discount_vnd END AS showroom_cost_vnd,
           CASE WHEN sl.promotion_borne_by = 'producer' THEN sl.promotion_discount_vnd ELSE 0 END AS producer_cost_vnd
    FROM sale_line sl LEFT JOIN product p ON p.id = sl.product_id
    WHERE sl.promotion_uuid IS NOT NULL AND NOT sl.is_voided AND {{line}}
    UNION ALL
    SELECT r.showroom_id, r.returned_on, sl.promotion_uuid, NULL, 0, 0, {_PIECES.format(q="rl.qty")}, 0,
           {_GRAMS.format(q="rl.qty")}, 0, rl.amount_vnd, -{_RETURNED_SHARE},
           CASE WHEN sl.promotion_borne_by = 'producer' THEN 0 ELSE -{_RETURNED_SHARE} END,
           CASE WHEN sl.promotion_borne_by = 'producer' THEN -{_RETURNED_SHARE} ELSE 0 END
    FROM sale_return r
    JOIN return_line rl ON rl.return_id = r.id
    JOIN sale_line sl ON sl.sale_id = r.sale_id AND sl.line_no = rl.sale_line_no
    LEFT JOIN product p ON p.id = sl.product_id
    WHERE sl.promotion_uuid IS NOT NULL AND NOT sl.is_voided AND {{ret}}
) x
GROUP BY showroom_id, day, promotion_uuid
"""

# The longer spans of the product summary, each summed from the days: its table, its date column, the SQL of the
# span's first day for a day ``{d}`` and of the next span's first day after a span starting ``{t}``.
SPANS = {
    "month": (
        "summary_product_month",
        "date_trunc('month', {d})::date",
        "CAST({t} + interval '1 month' AS date)",
    ),
    "dekad": (
        "summary_product_dekad",
        "CAST(date_trunc('month', {d}) + LEAST((EXTRACT(DAY FROM {d})::int - 1) / 10, 2) * interval '10 days' AS date)",
        "CASE WHEN EXTRACT(DAY FROM {t}) = 21 THEN CAST(date_trunc('month', {t}) + interval '1 month' AS date) "
        "ELSE {t} + 10 END",
    ),
}


def span_start(span: str, day: date) -> date:
    """The first day of the month or dekad holding ``day`` (as SPANS computes it in SQL)."""
    if span == "month":
        return day.replace(day=1)
    return day.replace(day=min((day.day - 1) // 10, 2) * 10 + 1)


def span_after(span: str, start: date) -> date:
    """The first day of the month or dekad after the one starting ``start``."""
    following_month = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    if span == "month" or start.day == 21:
        return following_month
    return start + timedelta(days=10)


def _span_sql(span: str) -> str:
    """The span's rows summed from ``summary_product_day d`` WHERE ``{day}``."""
    start = SPANS[span][1].format(d="d.day")
    return f"""
SELECT d.showroom_id, {start} AS {span}, {", ".join(f"d.{k}" for k in PRODUCT_KEYS)},
       {", ".join(f"SUM(d.{m})::bigint AS {m}" for m in PRODUCT_MEASURES)}
FROM summary_product_day d
WHERE {{day}}
GROUP BY d.showroom_id, {start}, {", ".join(f"d.{k}" for k in PRODUCT_KEYS)}
"""


PRODUCT_MONTH_SQL = _span_sql("month")
PRODUCT_DEKAD_SQL = _span_sql("dekad")


def _span_refresh_sql(span: str) -> str:
    """Insert the spans of the slice list (t.day is a span's first day), read by a range of the (showroom, day) key."""
    table, _, following = SPANS[span]
    return f"""
INSERT INTO {table} (showroom_id, {span}, {", ".join(PRODUCT_KEYS)}, {", ".join(PRODUCT_MEASURES)})
SELECT d.showroom_id, t.day, {", ".join(f"d.{k}" for k in PRODUCT_KEYS)},
       {", ".join(f"SUM(d.{m})::bigint" for m in PRODUCT_MEASURES)}
FROM (SELECT * FROM unnest(CAST(:sids AS integer[]), CAST(:days AS date[])) AS t(sid, day)) t
JOIN summary_product_day d
  ON d.showroom_id = t.sid AND d.day >= t.day AND d.day < {following.format(t="t.day")}
GROUP BY d.showroom_id, t.day, {", ".join(f"d.{k}" for k in PRODUCT_KEYS)}
"""


SHOWROOM_DAY_COLUMNS = ("showroom_id", "day", *SHOWROOM_DAY_MEASURES)
PRODUCT_DAY_COLUMNS = ("showroom_id", "day", *PRODUCT_KEYS, *PRODUCT_MEASURES)
PRODUCT_MONTH_COLUMNS = ("showroom_id", "month", *PRODUCT_KEYS, *PRODUCT_MEASURES)
PRODUCT_DEKAD_COLUMNS = ("showroom_id", "dekad", *PRODUCT_KEYS, *PRODUCT_MEASURES)
PROMOTION_DAY_COLUMNS = ("showroom_id", "day", "promotion_uuid", *PROMOTION_MEASURES)
# The tables recomputed per (showroom, day) slice: the table, its SQL's kind and its columns.
DAY_TABLES = (
    ("summary_showroom_day", "showroom_day", SHOWROOM_DAY_COLUMNS),
    ("summary_product_day", "product_day", PRODUCT_DAY_COLUMNS),
    ("summary_promotion_day", "promotion_day", PROMOTION_DAY_COLUMNS),
)

# The slice list, bound as two parallel arrays; a join to it lets PostgreSQL use the (showroom, day) indexes.
SLICES = "(SELECT * FROM unnest(CAST(:sids AS integer[]), CAST(:days AS date[])) AS t(sid, day))"


def _in_slices(showroom: str, day: str) -> str:
    return f"({showroom}, {day}) IN {SLICES}"


def _in_range(day: str) -> str:
    return f"{day} BETWEEN :start AND :end"


def _source(kind: str, where: Callable[[str, str], str]) -> str:
    """The summary SQL of ``kind`` restricted by ``where(showroom column, day column)``."""
    if kind == "showroom_day":
        return SHOWROOM_DAY_SQL.format(
            sale=where("s.showroom_id", "s.sold_on"), ret=where("r.showroom_id", "r.returned_on")
        )
    sql = PROMOTION_DAY_SQL if kind == "promotion_day" else PRODUCT_DAY_SQL
    return sql.format(line=where("sl.showroom_id", "sl.sold_on"), ret=where("r.showroom_id", "r.returned_on"))


def _range_where(_showroom: str, day: str) -> str:
    return _in_range(day)


def _slice_where(showroom: str, day: str) -> str:
    return _in_slices(showroom, day)


# --- Keeping them in step with the ingest ---------------------------------------------------------------------


@dataclass
class Refreshed:
    """What one refresh recomputed."""

    slices: int = 0
    months: int = 0
    dekads: int = 0


@dataclass
class Stored:
    """What a push just stored that can move a figure: the days of the sales it inserted, and UUIDs as the showroom
    sent them."""

    sold_on: set[date] = field(default_factory=set)  # the local days of the sales inserted now
    voided_sales: list[UUID] = field(default_factory=list)
    returns: list[UUID] = field(default_factory=list)
    # Held products whose record changed what their rows were summed with: how they are sold, stars, group or
    # producer (a stub's record always does). One sent again unchanged (a new price) moves nothing: looking for its
    # rows read every day of its showroom, 0.85 s for 300 products over a year.
    products: list[UUID] = field(default_factory=list)

    @classmethod
    def of(cls, records: Iterable[Any], sold_on: Iterable[date] = (), products: Iterable[UUID] = ()) -> Stored:
        """From the new records of a push (each with ``kind`` and a decoded ``payload``), the days of the sales
        it inserted and the held products whose record changed their figures."""
        stored = cls(sold_on=set(sold_on), products=list(products))
        for record in records:
            if record.kind == "void":
                stored.voided_sales.append(record.payload.sale_uuid)
            elif record.kind == "return":
                stored.returns.append(record.payload.uuid)
        return stored


def refresh_after_ingest(conn: Connection, showroom_id: int, stored: Stored) -> Refreshed:
    """Recompute, in the ingest's transaction, every summary row the records just stored can have moved."""
    slices = touched_slices(conn, showroom_id, stored)
    return refresh_slices(conn, slices)


# A sale inserted now counts on its day and nowhere else (a return names its sale by id, so none can be held
# for a sale not held before). A void also takes its returns out of theirs.
_VOIDED_SLICES = (
    "SELECT s.showroom_id, s.sold_on FROM sale s WHERE s.showroom_id = %(sid)s AND s.uuid = ANY(%(u)s) "
    "UNION SELECT r.showroom_id, r.returned_on FROM sale_return r "
    "WHERE r.showroom_id = %(sid)s AND r.sale_uuid = ANY(%(u)s)"
)
# A return counts on its day, and marks its sale (on the sale's day) as having a return.
_RETURN_SLICES = (
    "SELECT r.showroom_id, r.returned_on FROM sale_return r WHERE r.showroom_id = %(sid)s AND r.uuid = ANY(%(u)s) "
    "UNION SELECT s.showroom_id, s.sold_on FROM sale_return r JOIN sale s ON s.id = r.sale_id "
    "WHERE r.showroom_id = %(sid)s AND r.uuid = ANY(%(u)s)"
)
# A product record fills in the stars and group of lines that arrived before it (summed as unknown), and gives its
# stars, group and producer to return lines whose sale line is not here; it also says whether it is sold by weight,
# which moves its quantities between pieces and grams where they were summed otherwise (a product sent before its
# records said so).
_PRODUCT_SLICES = (
    "WITH p AS (SELECT id, sold_by FROM product WHERE first_showroom_id = %(sid)s AND uuid = ANY(%(u)s)) "
    "SELECT d.showroom_id, d.day FROM summary_product_day d "
    "WHERE d.product_id IN (SELECT id FROM p) AND d.ocop_group = '' "
    "UNION SELECT d.showroom_id, d.day FROM summary_product_day d JOIN p ON p.id = d.product_id "
    "WHERE d.showroom_id = %(sid)s AND CASE WHEN p.sold_by = 'weight' THEN d.qty_sold <> 0 OR d.qty_returned <> 0 "
    "ELSE d.grams_sold <> 0 OR d.grams_returned <> 0 END "
    "UNION SELECT r.showroom_id, r.returned_on FROM return_line rl JOIN sale_return r ON r.id = rl.return_id "
    "WHERE rl.product_id IN (SELECT id FROM p) AND NOT EXISTS "
    "(SELECT 1 FROM sale_line sl WHERE sl.sale_id = r.sale_id AND sl.line_no = rl.sale_line_no)"
)


def touched_slices(conn: Connection, showroom_id: int, stored: Stored) -> set[tuple[int, date]]:
    """The (showroom, local day) slices whose figures depend on what was stored (the lookups in one round trip)."""
    slices = {(showroom_id, day) for day in stored.sold_on}
    lookups = [
        (sql, {"sid": showroom_id, "u": sorted(set(uuids))})
        for sql, uuids in (
            (_VOIDED_SLICES, stored.voided_sales),
            (_RETURN_SLICES, stored.returns),
            (_PRODUCT_SLICES, stored.products),
        )
        if uuids
    ]
    for rows in pipelined(conn, lookups) if lookups else []:
        slices |= {(int(sid), day) for sid, day in rows}
    return slices


def _psycopg(sql: str) -> str:
    """SQL written with ``:name`` parameters (SQLAlchemy's text) in psycopg's ``%(name)s`` style."""
    return re.sub(r"(?<![:\w]):([a-z_]+)\b", r"%(\1)s", sql)


def refresh_slices(conn: Connection, slices: Iterable[tuple[int, date]]) -> Refreshed:
    """Delete and recompute the summary rows of these (showroom, day) slices, then their months and dekads (in one
    round trip)."""
    ordered = sorted(set(slices))
    if not ordered:
        return Refreshed()
    params = {"sids": [s for s, _ in ordered], "days": [d for _, d in ordered]}
    statements: list[tuple[str, dict[str, Any]]] = []
    for table, kind, columns in DAY_TABLES:
        statements.append((f"DELETE FROM {table} WHERE {_in_slices('showroom_id', 'day')}", params))
        statements.append((f"INSERT INTO {table} ({', '.join(columns)}) {_source(kind, _slice_where)}", params))
    counted = {}
    for span in SPANS:
        spans = sorted({(sid, span_start(span, day)) for sid, day in ordered})
        span_params = {"sids": [s for s, _ in spans], "days": [m for _, m in spans]}
        statements.append((f"DELETE FROM {SPANS[span][0]} WHERE {_in_slices('showroom_id', span)}", span_params))
        statements.append((_span_refresh_sql(span), span_params))
        counted[span] = len(spans)
    pipelined(conn, [(_psycopg(sql), values) for sql, values in statements])
    return Refreshed(len(ordered), counted["month"], counted["dekad"])


# --- Rebuilding and checking from the raw tables ----------------------------------------------------------------


def _month_end(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def raw_months(conn: Connection) -> list[date]:
    """The first day of every month in which a sale was sold or a return made."""
    row = conn.execute(
        text(
            "SELECT LEAST((SELECT MIN(sold_on) FROM sale), (SELECT MIN(returned_on) FROM sale_return)), "
            "GREATEST((SELECT MAX(sold_on) FROM sale), (SELECT MAX(returned_on) FROM sale_return))"
        )
    ).one()
    if row[0] is None:
        return []
    months, month = [], row[0].replace(day=1)
    while month <= row[1]:
        months.append(month)
        month = _month_end(month) + timedelta(days=1)
    return months


def rebuild(conn: Connection, *, progress: Callable[[date, int], None] | None = None) -> int:
    """Recompute every summary row from the raw tables, month by month; returns the rows written."""
    if not _by_weight(conn):
        return 0  # an upgrade still before revision 0015: that revision builds them
    tables = ["summary_showroom_day", "summary_product_day", "summary_product_month"]
    dekads = _has_table(conn, "summary_product_dekad")
    if dekads:
        tables.append("summary_product_dekad")
    # An upgrade from before revision 0020 (sale lines naming their promotion) leaves that summary to 0020.
    day_tables = [t for t in DAY_TABLES if t[0] != "summary_promotion_day" or _has_table(conn, t[0])]
    tables += [t[0] for t in day_tables if t[0] == "summary_promotion_day"]
    for table in tables:
        conn.execute(text(f"TRUNCATE {table}"))
    rows = 0
    for month in raw_months(conn):
        params = {"start": month, "end": _month_end(month)}
        written = 0
        for table, kind, columns in day_tables:
            sql = f"INSERT INTO {table} ({', '.join(columns)}) {_source(kind, _range_where)}"
            written += conn.execute(text(sql), params).rowcount
        written += conn.execute(
            text(
                f"INSERT INTO summary_product_month ({', '.join(PRODUCT_MONTH_COLUMNS)}) "
                + PRODUCT_MONTH_SQL.format(day=_in_range("d.day"))
            ),
            params,
        ).rowcount
        if dekads:
            written += _insert_dekads(conn, _in_range("d.day"), params)
        rows += written
        if progress is not None:
            progress(month, written)
    for table in tables:
        conn.execute(text(f"ANALYZE {table}"))
    return rows


def _insert_dekads(conn: Connection, where: str, params: dict[str, Any]) -> int:
    sql = f"INSERT INTO summary_product_dekad ({', '.join(PRODUCT_DEKAD_COLUMNS)}) " + PRODUCT_DEKAD_SQL.format(
        day=where
    )
    return conn.execute(text(sql), params).rowcount


def fill_dekads(conn: Connection) -> int:
    """The dekads summed from the daily product summary as it stands (revision 0012, on a server with sales)."""
    if not _by_weight(conn):
        return 0  # an upgrade from before revision 0003: revision 0015 builds every summary
    conn.execute(text("TRUNCATE summary_product_dekad"))
    written = _insert_dekads(conn, "TRUE", {})
    conn.execute(text("ANALYZE summary_product_dekad"))
    return written


def _has_table(conn: Connection, name: str) -> bool:
    return conn.execute(text("SELECT to_regclass(:name) IS NOT NULL"), {"name": name}).scalar_one()


def _by_weight(conn: Connection) -> bool:
    """Whether the schema has revision 0015's columns (how products are sold, grams apart from pieces), which the
    summary SQL reads and writes. Revisions 0003 and 0012 build summaries when upgrading a server with sales; on
    an upgrade from before 0015 they leave that to 0015."""
    return bool(
        conn.execute(
            text(
                "SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() "
                "AND table_name = 'summary_product_day' AND column_name = 'grams_sold')"
            )
        ).scalar_one()
    )


@dataclass
class CheckResult:
    """Rows that differ between the summaries and the raw tables, per table (empty when all agree)."""

    differences: dict[str, int]
    examples: dict[str, list[tuple[Any, ...]]]
    rows_checked: dict[str, int]

    @property
    def ok(self) -> bool:
        return not any(self.differences.values())


def check(conn: Connection, *, examples: int = 5) -> CheckResult:
    """Compute every summary again from the raw tables (the months and dekads through the days' SQL) and compare
    row by row."""
    differences: dict[str, int] = {}
    found: dict[str, list[tuple[Any, ...]]] = {}
    checked: dict[str, int] = {}
    months = raw_months(conn)
    start, end = (months[0], _month_end(months[-1])) if months else (date(2000, 1, 1), date(2000, 1, 1))
    fresh = {
        "summary_showroom_day": (SHOWROOM_DAY_COLUMNS, _source("showroom_day", _range_where)),
        "summary_product_day": (PRODUCT_DAY_COLUMNS, _source("product_day", _range_where)),
        "summary_promotion_day": (PROMOTION_DAY_COLUMNS, _source("promotion_day", _range_where)),
        # The months are checked against the raw lines too, through the same day SQL.
        "summary_product_month": (
            PRODUCT_MONTH_COLUMNS,
            PRODUCT_MONTH_SQL.replace(
                "summary_product_day d", "(" + _source("product_day", _range_where) + ") d"
            ).format(day="TRUE"),
        ),
        "summary_product_dekad": (
            PRODUCT_DEKAD_COLUMNS,
            PRODUCT_DEKAD_SQL.replace(
                "summary_product_day d", "(" + _source("product_day", _range_where) + ") d"
            ).format(day="TRUE"),
        ),
    }
    for table, (columns, sql) in fresh.items():
        stored = f"SELECT {', '.join(columns)} FROM {table}"
        diff = (
            f"WITH fresh AS ({sql}), stored AS ({stored}) "
            "SELECT 'raw' AS side, * FROM (SELECT * FROM fresh EXCEPT ALL SELECT * FROM stored) a "
            "UNION ALL SELECT 'summary', * FROM (SELECT * FROM stored EXCEPT ALL SELECT * FROM fresh) b"
        )
        rows = list(
            conn.execute(
                text(f"SELECT COUNT(*) OVER () AS n, d.* FROM ({diff}) d LIMIT :n"),
                {"start": start, "end": end, "n": max(examples, 1)},
            )
        )
        differences[table] = int(rows[0][0]) if rows else 0
        found[table] = [tuple(r)[1:] for r in rows[:examples]]
        checked[table] = int(conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one())
    return CheckResult(differences, found, checked)
