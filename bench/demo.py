"""Time the demo's year of history (pos demo): the catalogue, then a year of sales, shifts and settlements.

Builds a migrated SQLite file per run, seeds it through pos.demo.seed with staff (so pos/demo_history.py runs),
and times the phases. For a ratio, raw sqlite3 inserts the same number of sale, line, payment and movement
rows (executemany, one transaction) into a copy of the same empty database. The last line is one JSON object.

    .venv/bin/python bench/demo.py [--runs 1]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import tempfile
import time
from datetime import date
from pathlib import Path
from uuid import uuid4

from sqlalchemy import func, select
from sqlmodel import Session

from pos.db import make_engine
from pos.demo import DEMO_USERS, demo_users, seed
from pos.demo_history import Staff
from pos.inventory.models import StockMovement
from pos.migrate import upgrade
from pos.sales.models import Payment, Sale, SaleLine

TODAY = date(2026, 11, 24)


def cpu() -> float:
    return time.process_time()


def run_seed(path: Path) -> dict[str, float | int]:
    engine = make_engine(f"sqlite:///{path.as_posix()}")
    started, cpu0 = time.perf_counter(), cpu()
    with Session(engine.execution_options(pos_write=True)) as s:
        users = demo_users(s, [u for u in DEMO_USERS if u[2] != "admin"])  # the till's staff, as pos demo makes them
        staff = Staff((users["thungan"].id, users["thungan2"].id), users["quanly"].id)  # type: ignore[arg-type]
        seed(s, today=TODAY, staff=staff, showroom={"code": "SR01"})
        s.commit()
        counts = {
            "sales": int(s.scalar(select(func.count()).select_from(Sale)) or 0),
            "lines": int(s.scalar(select(func.count()).select_from(SaleLine)) or 0),
            "payments": int(s.scalar(select(func.count()).select_from(Payment)) or 0),
            "movements": int(s.scalar(select(func.count()).select_from(StockMovement)) or 0),
        }
    engine.dispose()
    return {"wall_s": time.perf_counter() - started, "cpu_s": cpu() - cpu0, **counts}


def run_raw(path: Path, counts: dict[str, float | int]) -> float:
    """Raw sqlite3 writing as many rows of the same tables, with the same indexes, in one transaction."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA foreign_keys=OFF")
    started = time.perf_counter()
    with conn:
        conn.execute(
            "INSERT INTO shift (id, uuid, cashier_id, status, opened_at, opening_float_vnd, count_detail, z_report)"
            " VALUES (1, ?, 1, 'closed', '2026-01-01 01:00:00', 0, '', '')",
            (uuid4().hex,),
        )
        conn.executemany(
            "INSERT INTO sale (id, uuid, receipt_number, idempotency_key, shift_id, cashier_id, status, subtotal_vnd,"
            " line_discount_vnd, sale_discount_vnd, total_vnd, vat_vnd, reprint_count, created_at, void_reason)"
            " VALUES (?, ?, ?, ?, 1, 1, 'completed', 100000, 0, 0, 100000, 7407, 0, '2026-01-01 02:00:00', '')",
            [(i, uuid4().hex, f"SR01-2026-{i:06d}", f"k{i}") for i in range(1, int(counts["sales"]) + 1)],
        )
        conn.executemany(
            "INSERT INTO saleline (sale_id, line_no, product_id, producer_id, name, sku, unit, qty, unit_price_vnd,"
            " discount_vnd, total_vnd, vat_rate_bp, vat_vnd, unit_cost_vnd)"
            " VALUES (?, 1, 1, 1, 'x', 'SP1', 'cái', 1, 100000, 0, 100000, 800, 7407, 70000)",
            [(1 + i % int(counts["sales"]),) for i in range(int(counts["lines"]))],
        )
        conn.executemany(
            "INSERT INTO payment (sale_id, method, amount_vnd, reference) VALUES (?, 'cash', 100000, '')",
            [(i,) for i in range(1, int(counts["payments"]) + 1)],
        )
        conn.executemany(
            "INSERT INTO stockmovement (uuid, product_id, kind, qty_delta, reason, note, created_at)"
            " VALUES (?, 1, 'sale', -1, '', '', '2026-01-01 02:00:00')",
            [(uuid4().hex,) for _ in range(int(counts["movements"]))],
        )
    conn.close()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-demo-"))
    template = folder / "template.db"
    upgrade(f"sqlite:///{template.as_posix()}")
    results = []
    for n in range(args.runs):
        db, raw = folder / f"demo-{n}.db", folder / f"raw-{n}.db"
        shutil.copyfile(template, db)
        shutil.copyfile(template, raw)
        figures = run_seed(db)
        figures["raw_s"] = run_raw(raw, figures)
        results.append(figures)
        print(
            f"run {n + 1}: {figures['sales']} sales, {figures['lines']} lines, {figures['movements']} movements; "
            f"demo seed {figures['wall_s']:.2f} s wall, {figures['cpu_s']:.2f} s CPU; "
            f"raw sqlite3 inserting the rows alone {figures['raw_s']:.2f} s "
            f"(x{figures['wall_s'] / max(figures['raw_s'], 1e-9):.1f})"
        )
    load = os.getloadavg()[0]
    print(
        f"load average while measuring: {load:.1f} on {os.cpu_count()} cores (other helpers' work inflates wall time)"
    )
    best = min(results, key=lambda r: r["wall_s"])
    shutil.rmtree(folder, ignore_errors=True)
    print(
        json.dumps(
            {
                "bench": "demo",
                **{k: round(v, 3) if isinstance(v, float) else v for k, v in best.items()},
                "ratio_vs_raw": round(best["wall_s"] / max(best["raw_s"], 1e-9), 1),
                "load": round(load, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
