"""Stock across the network at scale: the office's stock pages over 100 showrooms, and a stock snapshot's ingest.

    python bench/network.py                                  # 100 showrooms x 2,000 products (200,000 levels)
    python bench/network.py --showrooms 10 --products 500   # a quick run

What it does (figures printed as it goes, the last line one JSON object):

1. a fresh PostgreSQL database at the central schema's head ($POS_BENCH_PG_URL, a libpq URL of the server, else
   the local one; dropped afterwards unless --keep), showrooms registered by the real service;
2. the *bulk path*, INSERT ... SELECT over generate_series with the columns the ingest writes: per showroom its
   producers and products (a tenth of them rated, certificates lapsing over the next two years), one stock level
   per product, lots for a tenth of them (expiry dates over the next year, one in fifty recalled), settlements,
   and transfer notes between random showrooms (one in ten still in transit);
3. one complete stock snapshot of a showroom (every product and lot) pushed through the real ingest
   (``ingest_batch``), timed, against a raw COPY of the same rows into a table of the same shape in the same run;
4. every network stock page and a CSV through the real Flask app, all showrooms and one, the best of --repeat.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import psycopg
from sqlmodel import select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pos import create_app  # noqa: E402
from pos.central.api import parse_batch  # noqa: E402
from pos.central.credentials import register_showroom  # noqa: E402
from pos.central.ingest import ingest_batch  # noqa: E402
from pos.central.migrate import upgrade as central_upgrade  # noqa: E402
from pos.central.models import Showroom  # noqa: E402
from pos.central.users import create_central_user  # noqa: E402
from pos.db import ENGINE_KEY, make_engine, session_scope  # noqa: E402

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def say(text: str) -> None:
    print(text, flush=True)


BULK = [
    # producers: 20 per showroom
    """INSERT INTO producer (uuid, name, kind, province, district, phone, commission_bp, is_active, is_stub,
                             first_showroom_id, updated_at)
       SELECT gen_random_uuid(), 'HTX ' || s.code || ' số ' || n, 'htx', 'Hà Nội', '', '', 1500, true, false, s.id,
              now()
         FROM showroom s CROSS JOIN generate_series(1, 20) n""",
    # products: --products per showroom, a tenth of them rated with a certificate lapsing within two years
    """INSERT INTO product (uuid, producer_id, sku, name, unit, vat_class, ocop_group, ocop_stars, ocop_cert_number,
                            ocop_cert_expiry, is_active, is_stub, link_revision, first_showroom_id, updated_at)
       SELECT gen_random_uuid(), (SELECT min(id) FROM producer p WHERE p.first_showroom_id = s.id) + n %% 20,
              'SP' || lpad(n::text, 5, '0'), 'Sản phẩm OCOP số ' || n, 'hộp', 'standard', 'thuc_pham',
              CASE WHEN n %% 10 = 0 THEN 3 + n %% 3 END, CASE WHEN n %% 10 = 0 THEN 'QĐ ' || n ELSE '' END,
              CASE WHEN n %% 10 = 0 THEN current_date + (n * 7 + s.id) %% 730 END, true, false, 0, s.id, now()
         FROM showroom s CROSS JOIN generate_series(1, %(products)s) n""",
    """INSERT INTO showroom_product (showroom_id, product_id, sku, name, price_vnd, is_active, updated_at)
       SELECT first_showroom_id, id, sku, name, 100000, true, now() FROM product""",
    """INSERT INTO stock_level (showroom_id, product_id, qty, seq, as_of)
       SELECT first_showroom_id, id, (id * 37) %% 120 - 5, 1, now() FROM product""",
    """INSERT INTO stock_lot (uuid, showroom_id, product_id, lot_code, expiry_date, qty, recalled_at, recall_reason,
                              seq, as_of)
       SELECT gen_random_uuid(), first_showroom_id, id, 'L' || id, current_date + (id * 13) %% 365 - 20,
              (id * 7) %% 40, CASE WHEN id %% 50 = 0 THEN now() END, CASE WHEN id %% 50 = 0 THEN 'Công văn' ELSE '' END,
              1, now()
         FROM product WHERE id %% 10 = 3""",
    """INSERT INTO settlement (uuid, showroom_id, seq, number, producer_id, period_start, period_end, status,
                               is_consignment, commission_bp, net_sales_vnd, commission_vnd, amount_owed_vnd,
                               closed_at, paid_reference, quantities)
       SELECT gen_random_uuid(), p.first_showroom_id, 1, 'DS-' || p.id || '-' || m, p.id,
              date_trunc('month', current_date)::date - (m * 30),
              date_trunc('month', current_date)::date - (m * 30) + 29,
              CASE WHEN m > 1 THEN 'paid' ELSE 'closed' END, true, 1500, 1000000 * m, 150000 * m, 850000 * m, now(), '',
              '{}'::jsonb
         FROM producer p CROSS JOIN generate_series(1, 12) m""",
    """INSERT INTO transfer (uuid, number, from_showroom_id, to_showroom_code, seq, status, created_at, note, lines,
                             qty_sent, qty_received, receipt_note, revision)
       SELECT gen_random_uuid(), 'CK-' || a.code || '-2026-' || lpad(n::text, 4, '0'), a.id,
              (SELECT code FROM showroom WHERE id = 1 + (a.id + n) %% %(showrooms)s), n,
              CASE WHEN n %% 10 = 0 THEN 'in_transit' ELSE 'received' END, now() - n * interval '1 hour', '',
              jsonb_build_array(jsonb_build_object('line_no', 1, 'product_uuid',
                  (SELECT uuid::text FROM product WHERE first_showroom_id = a.id ORDER BY id LIMIT 1 OFFSET n %% 50),
                  'name', 'Sản phẩm', 'qty', 5)),
              5, CASE WHEN n %% 10 = 0 THEN NULL ELSE 5 END, '', a.id * 100000 + n
         FROM showroom a CROSS JOIN generate_series(1, %(transfers)s) n""",
]


def snapshot_document(conn: psycopg.Connection, code: str) -> dict[str, Any]:
    """A complete snapshot of one showroom: every product and lot it holds, as the showroom would send it."""
    levels = conn.execute(
        "SELECT p.uuid::text, l.qty FROM stock_level l JOIN product p ON p.id = l.product_id "
        "JOIN showroom s ON s.id = l.showroom_id WHERE s.code = %s",
        (code,),
    ).fetchall()
    lots = conn.execute(
        "SELECT l.uuid::text, p.uuid::text, l.qty + 1, l.lot_code, l.expiry_date::text FROM stock_lot l "
        "JOIN product p ON p.id = l.product_id JOIN showroom s ON s.id = l.showroom_id WHERE s.code = %s",
        (code,),
    ).fetchall()
    now = datetime.now(UTC).isoformat()
    payload = {
        "uuid": str(uuid4()),
        "taken_at": now,
        "complete": True,
        "levels": [{"product_uuid": u, "qty": q + 1} for u, q in levels],
        "lots": [{"uuid": u, "product_uuid": p, "qty": q, "lot_code": c, "expiry_date": e} for u, p, q, c, e in lots],
    }
    record = {
        "seq": 10,
        "kind": "stock_snapshot",
        "entity_uuid": payload["uuid"],
        "created_at": now,
        "payload": payload,
    }
    return {"showroom": code, "payload_version": 1, "records": [record]}


def raw_copy(conn: psycopg.Connection, document: dict[str, Any]) -> float:
    """Seconds to COPY the snapshot's rows into tables of the stock tables' shape (the database's own speed)."""
    conn.execute("CREATE TEMP TABLE raw_level (LIKE stock_level) ON COMMIT DROP")
    conn.execute("CREATE TEMP TABLE raw_lot (LIKE stock_lot INCLUDING DEFAULTS) ON COMMIT DROP")
    payload = document["records"][0]["payload"]
    started = time.perf_counter()
    with conn.cursor() as cur:
        with cur.copy("COPY raw_level (showroom_id, product_id, qty, seq, as_of) FROM STDIN") as copy:
            for n, level in enumerate(payload["levels"], start=1):
                copy.write_row((1, n, level["qty"], 10, payload["taken_at"]))
        with cur.copy(
            "COPY raw_lot (uuid, showroom_id, product_id, lot_code, expiry_date, qty, recall_reason, seq, as_of) "
            "FROM STDIN"
        ) as copy:
            for n, lot in enumerate(payload["lots"], start=1):
                row = (lot["uuid"], 1, n, lot["lot_code"], lot["expiry_date"], lot["qty"], "", 10, payload["taken_at"])
                copy.write_row(row)
    took = time.perf_counter() - started
    conn.rollback()
    return took


def time_pages(app: Any, repeat: int, showroom: str) -> dict[str, float]:
    """Seconds of each network page (best of ``repeat``) through the real app, logged in as the office."""
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0] if 'name="csrf_token"' in page else ""
    answer = client.post("/login", data={"username": "bench", "password": "bench-matkhau", "csrf_token": token})
    assert answer.status_code in (302, 303), answer.status_code
    paths = []
    for slug in ("levels", "lots", "certificates", "transfers", "settlements"):
        paths += [f"/office/stock/{slug}", f"/office/stock/{slug}?showroom={showroom}"]
    paths += [
        "/office/stock/levels?page=1000",
        "/office/stock/levels?view=product",
        "/office/stock/levels?product=số 77",
        "/office/stock/levels?producer=số 3",
        "/office/stock/lots?days=365",
        f"/office/stock/levels.csv?showroom={showroom}",
    ]
    out: dict[str, float] = {}
    for path in paths:
        best = None
        for _ in range(repeat):
            started = time.perf_counter()
            response = client.get(path)
            response.get_data()
            took = time.perf_counter() - started
            assert response.status_code == 200, (path, response.status_code)
            best = took if best is None else min(best, took)
        out[path] = round(best or 0.0, 3)
        say(f"  {path:<48} {out[path]:.3f} s")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--showrooms", type=int, default=100)
    parser.add_argument("--products", type=int, default=2000)
    parser.add_argument("--transfers", type=int, default=200, help="transfer notes sent per showroom")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true")
    a = parser.parse_args()
    server = os.environ.get("POS_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"pos_bench_network_{secrets.token_hex(4)}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    libpq = server.rsplit("/", 1)[0] + f"/{name}"
    url = libpq.replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        central_upgrade(url)
        engine = make_engine(url)
        with session_scope(engine) as s:
            for n in range(1, a.showrooms + 1):
                register_showroom(s, f"SR{n:03d}", f"Cửa hàng {n}", "Hà Nội")
            create_central_user(s, "bench", "Văn phòng", "manager", "bench-matkhau")
        started = time.perf_counter()
        with psycopg.connect(libpq) as conn:
            for sql in BULK:
                conn.execute(sql, {"products": a.products, "transfers": a.transfers, "showrooms": a.showrooms})
            conn.commit()
            conn.execute("ANALYZE")
            conn.commit()
            levels = conn.execute("SELECT count(*) FROM stock_level").fetchone()[0]  # type: ignore[index]
            lots = conn.execute("SELECT count(*) FROM stock_lot").fetchone()[0]  # type: ignore[index]
            document = snapshot_document(conn, "SR002")
            copy_s = min(raw_copy(conn, document) for _ in range(a.repeat))
        say(f"bulk path: {levels} stock levels, {lots} lots in {time.perf_counter() - started:.1f} s")

        body = json.dumps(document).encode()
        ingest_s = None
        for _ in range(a.repeat):
            batch, payloads = parse_batch(body)
            began = time.perf_counter()
            with session_scope(engine) as s:
                showroom = s.exec(select(Showroom).where(Showroom.code == "SR002")).one()
                ingest_batch(s, showroom, batch, payloads, tz=TZ)
                s.rollback()  # the same snapshot again next time
            took = time.perf_counter() - began
            ingest_s = took if ingest_s is None else min(ingest_s, took)
        rows = len(document["records"][0]["payload"]["levels"]) + len(document["records"][0]["payload"]["lots"])
        say(f"one complete snapshot ({rows} rows): ingest {ingest_s:.3f} s, raw COPY {copy_s:.4f} s")

        app = create_app(overrides={"ROLE": "central", "DATABASE_URL": url, "TESTING": True})
        pages = time_pages(app, a.repeat, "SR002")
        slowest = max(pages, key=pages.get)  # type: ignore[arg-type]
        say(f"slowest page {slowest} {pages[slowest]:.3f} s")
        print(
            json.dumps(
                {
                    "showrooms": a.showrooms,
                    "stock_levels": levels,
                    "lots": lots,
                    "snapshot_rows": rows,
                    "snapshot_ingest_s": round(ingest_s or 0.0, 4),
                    "snapshot_copy_s": round(copy_s, 4),
                    "snapshot_copy_ratio": round(copy_s / ingest_s, 3) if ingest_s else None,
                    "slowest_page": slowest,
                    "slowest_page_s": pages[slowest],
                    "pages_s": pages,
                },
                ensure_ascii=False,
            )
        )
        engine.dispose()
        app.extensions[ENGINE_KEY].dispose()
    finally:
        if not a.keep:
            with psycopg.connect(server, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
