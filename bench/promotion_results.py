"""What a central promotion did across the network, at network scale: the office's results page and its CSV, read
from the promotion summary, against the same figures read from the sale lines by an index on the promotion.

    python bench/promotion_results.py                     # 100 showrooms x 90 days x 200 sales (~6.3 M lines)
    python bench/promotion_results.py --showrooms 10 --days 30 --sales 100     # a quick run

What it does (figures printed as it goes, the last line one JSON object):

1. a fresh PostgreSQL database at the central schema's head, filled by bench/central.py's bulk path (sales, lines,
   voids, returns), then three central promotions marked on the lines as the ingest stores them (sale version 5):
   "big" on a third of the products at every showroom over the last 30 days, "long" on a few products over the
   whole run, "small" at ten showrooms for a week; the discount 15 % of the line, borne by the producer or the
   showroom by product;
2. the summaries built by the real rebuild (pos.central.summaries.rebuild, with summary_promotion_day), and checked;
3. the "big" promotion's page and CSV through the real Flask app, best of --repeat;
4. the raw alternative in the same run: a partial index on sale_line (promotion_uuid, sold_on), built here only,
   and the same per-showroom figures (sales, pieces, revenue net of returns, discount net of the returned part,
   cost by who bears it) summed from the lines and their returns; checked equal to the page's;
5. what the promotion summary adds to a push: ``refresh_slices`` of ten promoted showroom-days with every summary
   table, against the same without the promotion table (rolled back each time), best of --repeat.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import io
import json
import os
import secrets
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pos import create_app  # noqa: E402
from pos.central import summaries  # noqa: E402
from pos.central.credentials import register_showroom  # noqa: E402
from pos.central.migrate import upgrade as central_upgrade  # noqa: E402
from pos.central.users import create_central_user  # noqa: E402
from pos.db import ENGINE_KEY, make_engine, session_scope  # noqa: E402
from pos.money import part_sql  # noqa: E402

_spec = importlib.util.spec_from_file_location("bench_central", ROOT / "bench" / "central.py")
assert _spec is not None and _spec.loader is not None
bench_central = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_central)

say = bench_central.say

# The same figures as pos/central/office/promotion_results.py, from the lines: a partial index finds the promotion's
# lines, their returns by the return tables' indexes on the sale.
SHARE = part_sql("sl.promotion_discount_vnd", "rl.qty", "sl.qty")
RAW_SQL = f"""
WITH pl AS (
    SELECT sl.* FROM sale_line sl WHERE sl.promotion_uuid = %(u)s AND NOT sl.is_voided
), sold AS (
    SELECT showroom_id, COUNT(DISTINCT sale_id) AS sales, SUM(qty) AS qty, SUM(total_vnd) AS sales_vnd,
           SUM(promotion_discount_vnd) AS discount_vnd,
           SUM(promotion_discount_vnd) FILTER (WHERE promotion_borne_by = 'showroom') AS showroom_vnd
    FROM pl GROUP BY showroom_id
), back AS (
    SELECT sl.showroom_id, SUM(rl.qty) AS qty, SUM(rl.amount_vnd) AS refunds_vnd, SUM({SHARE}) AS share_vnd,
           SUM({SHARE}) FILTER (WHERE sl.promotion_borne_by = 'showroom') AS showroom_vnd
    FROM pl sl JOIN sale_return r ON r.sale_id = sl.sale_id
    JOIN return_line rl ON rl.return_id = r.id AND rl.sale_line_no = sl.line_no
    GROUP BY sl.showroom_id
)
SELECT s.code, sold.sales, sold.qty - COALESCE(back.qty, 0), sold.sales_vnd - COALESCE(back.refunds_vnd, 0),
       sold.discount_vnd - COALESCE(back.share_vnd, 0),
       COALESCE(sold.showroom_vnd, 0) - COALESCE(back.showroom_vnd, 0)
FROM sold JOIN showroom s ON s.id = sold.showroom_id LEFT JOIN back ON back.showroom_id = sold.showroom_id
ORDER BY s.code
"""


def mark_promotions(conn: psycopg.Connection, first: date, last: date, showrooms: int) -> dict[str, Any]:
    """Three central promotions and the lines they priced (15 % of the line, its borne_by by product)."""
    found: dict[str, Any] = {}
    spans = {
        "big": (last - timedelta(days=29), last, "sl.product_id %% 3 = 0", showrooms),
        "long": (first, last, "sl.product_id %% 97 = 1", showrooms),
        "small": (last - timedelta(days=6), last, "sl.product_id %% 5 = 2", min(10, showrooms)),
    }
    for name, (start, end, which, shops) in spans.items():
        uuid = uuid4()
        promotion_id = conn.execute(
            """
            INSERT INTO central_promotion (uuid, name, kind, target, target_value, percent_bp, price_vnd, buy_qty,
                                           get_qty, starts_at, ends_at, borne_by, all_showrooms, ever_all, revision,
                                           ended_by, created_by, created_at, updated_at)
            VALUES (%(u)s, %(n)s, 'percent', 'product', '', 1500, 0, 0, 0, %(a)s::date - interval '7 hours',
                    %(b)s::date + interval '17 hours', 'producer', TRUE, TRUE, 1, '', 'bench', now(), now())
            RETURNING id
            """,
            {"u": uuid, "n": f"Khuyến mãi {name}", "a": start, "b": end},
        ).fetchone()[0]  # type: ignore[index]
        started = time.perf_counter()
        marked = conn.execute(
            f"""
            UPDATE sale_line sl SET promotion_uuid = %(u)s,
                   promotion_discount_vnd = (sl.qty * sl.unit_price_vnd * 15 + 50) / 100,
                   promotion_borne_by = CASE WHEN sl.product_id %% 2 = 0 THEN 'producer' ELSE 'showroom' END
             WHERE sl.sold_on BETWEEN %(a)s AND %(b)s AND sl.showroom_id <= %(shops)s AND {which}
               AND sl.promotion_uuid IS NULL
            """,
            {"u": uuid, "a": start, "b": end, "shops": shops},
        ).rowcount
        conn.commit()
        found[name] = {"id": promotion_id, "uuid": uuid, "lines": marked}
        say(f"  {name}: {marked:,} lines marked in {time.perf_counter() - started:.1f} s")
    return found


def best(repeat: int, run: Any) -> tuple[float, Any]:
    """The best seconds of ``repeat`` runs of ``run()``, and its last result."""
    seconds, result = None, None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        took = time.perf_counter() - started
        seconds = took if seconds is None else min(seconds, took)
    return seconds or 0.0, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--showrooms", type=int, default=100)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--sales", type=int, default=200, help="sales per showroom per day")
    parser.add_argument("--products", type=int, default=3000)
    parser.add_argument("--assortment", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the database (its name is printed)")
    a = parser.parse_args()

    server = os.environ.get("POS_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"pos_bench_promoreport_{secrets.token_hex(4)}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = bench_central.sqlalchemy_url(server, name)
    load = os.getloadavg()
    say(f"database {name}; load average {load[0]:.2f} on {os.cpu_count()} cores")
    try:
        central_upgrade(url)
        engine = make_engine(url)
        with session_scope(engine) as s:
            for n in range(1, a.showrooms + 1):
                register_showroom(s, f"SR{n:03d}", f"Điểm bán OCOP {n}", "Hà Nội", "", actor="bench")
            create_central_user(s, "bench", "Văn phòng (bench)", "manager", "bench-matkhau")
        last_day = date(2026, 11, 30)
        first_day = last_day - timedelta(days=a.days - 1)
        started = time.perf_counter()
        with psycopg.connect(bench_central.libpq_url(server, name)) as conn:
            conn.execute("SET synchronous_commit TO off")
            counts = bench_central.bulk_load(conn, a, first_day)
            promotions = mark_promotions(conn, first_day, last_day, a.showrooms)
            conn.autocommit = True
            conn.execute("VACUUM ANALYZE")
        say(f"bulk path: {counts['sales']:,} sales, {counts['lines']:,} lines in {time.perf_counter() - started:.0f} s")

        started = time.perf_counter()
        with engine.begin() as conn:
            summaries.rebuild(conn)
        rebuild_s = time.perf_counter() - started
        started = time.perf_counter()
        with engine.connect() as conn:
            checked = summaries.check(conn)
            summary_rows = conn.exec_driver_sql("SELECT COUNT(*) FROM summary_promotion_day").scalar_one()
        check_s = time.perf_counter() - started
        say(f"rebuild {rebuild_s:.1f} s; check {checked.differences} in {check_s:.1f} s; {summary_rows:,} rows")

        big = promotions["big"]
        app = create_app(
            overrides={"ROLE": "central", "DATABASE_URL": url, "INSTANCE_PATH": tempfile.mkdtemp(prefix="bench-")}
        )
        client = app.test_client()
        token = bench_central.CSRF_RE.search(client.get("/login").get_data(as_text=True))
        client.post(
            "/login",
            data={"username": "bench", "password": "bench-matkhau", "csrf_token": token.group(1) if token else ""},
        )
        path = f"/office/promotions/{big['id']}/results"

        def get(url_path: str) -> bytes:
            response = client.get(url_path)
            assert response.status_code == 200, (url_path, response.status_code)
            return response.get_data()

        page_s, _ = best(a.repeat, lambda: get(path))
        csv_s, body = best(a.repeat, lambda: get(path + ".csv"))
        shown = {
            r["Mã"]: (
                int(r["Số đơn"]),
                int(r["Số lượng (cái)"]),
                int(r["Doanh thu"]),
                int(r["Giảm giá khuyến mãi"]),
                int(r["Cửa hàng chịu"]),
            )
            for r in csv.DictReader(io.StringIO(body.decode("utf-8-sig")))
            if r["Mã"] != "Tổng cộng"
        }
        say(f"office page {page_s:.3f} s, CSV {csv_s:.3f} s ({len(shown)} showrooms)")

        with psycopg.connect(bench_central.libpq_url(server, name), autocommit=True) as raw:
            started = time.perf_counter()
            raw.execute(
                "CREATE INDEX ix_bench_sale_line_promotion ON sale_line (promotion_uuid, sold_on) "
                "WHERE promotion_uuid IS NOT NULL"
            )
            raw.execute("ANALYZE sale_line")
            index_s = time.perf_counter() - started
            index_mb = raw.execute("SELECT pg_relation_size('ix_bench_sale_line_promotion')").fetchone()[0] / 1e6  # type: ignore[index]
            raw.execute("SET jit = off")
            raw_s, rows = best(a.repeat, lambda: raw.execute(RAW_SQL, {"u": big["uuid"]}).fetchall())
            plan = "\n".join(r[0] for r in raw.execute("EXPLAIN " + RAW_SQL, {"u": big["uuid"]}).fetchall())
        by_raw = {code: tuple(int(v) for v in rest) for code, *rest in rows}
        same = all(by_raw[code] == shown[code] for code in by_raw) and all(
            shown[code][0] == 0 for code in shown if code not in by_raw
        )
        say(f"raw lines by a partial index: {raw_s:.3f} s (index {index_mb:.0f} MB built in {index_s:.1f} s)")
        say(f"  uses the index: {'ix_bench_sale_line_promotion' in plan}; same figures: {same}")

        # What the promotion summary adds to a push's refresh: ten promoted showroom-days.
        slices = [(n, last_day - timedelta(days=d)) for n in range(1, 6) for d in range(2)]
        every = summaries.DAY_TABLES
        without = tuple(t for t in every if t[0] != "summary_promotion_day")

        def refresh(tables: Any) -> None:
            summaries.DAY_TABLES = tables
            try:
                with engine.connect() as conn:
                    trans = conn.begin()
                    summaries.refresh_slices(conn, slices)
                    trans.rollback()
            finally:
                summaries.DAY_TABLES = every

        with_s, _ = best(a.repeat, lambda: refresh(every))
        without_s, _ = best(a.repeat, lambda: refresh(without))
        say(
            f"refresh of {len(slices)} slices: {with_s * 1000:.0f} ms with the promotion summary, "
            f"{without_s * 1000:.0f} ms without"
        )
        app.extensions[ENGINE_KEY].dispose()
        engine.dispose()
        figures = {
            "showrooms": a.showrooms,
            "days": a.days,
            "sales": counts["sales"],
            "lines": counts["lines"],
            "promoted_lines": {k: v["lines"] for k, v in promotions.items()},
            "summary_promotion_rows": int(summary_rows),
            "rebuild_s": round(rebuild_s, 1),
            "page_s": round(page_s, 3),
            "csv_s": round(csv_s, 3),
            "raw_index_s": round(raw_s, 3),
            "page_vs_raw_index": round(page_s / raw_s, 3) if raw_s else None,
            "raw_index_mb": round(index_mb, 1),
            "raw_same_figures": same,
            "refresh_10_slices_ms": round(with_s * 1000, 1),
            "refresh_10_slices_without_promotions_ms": round(without_s * 1000, 1),
            "refresh_ratio": round(with_s / without_s, 2) if without_s else None,
            "summaries_match": checked.ok,
            "load_average": round(load[0], 2),
        }
        print(json.dumps(figures), flush=True)
    finally:
        if not a.keep:
            with psycopg.connect(server, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
