"""Time every manager report over a year of one showroom (about 300,000 sale lines).

Builds a migrated SQLite file, fills it fast with raw sqlite3 (one transaction, executemany), then runs each
report through the same code the pages use, over the whole year and over the last month, plus the HTML page
of each report and a month's producer settlement with its PDF. Prints the figures; the last line of output is
one JSON object (slowest_report_s, per-report times).

    .venv/bin/python bench/reports.py [--lines 300000] [--db /tmp/bench-reports.db] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from uuid import uuid4

from sqlmodel import Session

from pos.db import make_engine
from pos.migrate import upgrade
from pos.reports.period import Period, shop_timezone
from pos.reports.queries import REPORTS, ReportQuery, build_report
from pos.settlement.pdf import StatementMeta, render_statement
from pos.settlement.services import compute_settlement

TZ = shop_timezone("Asia/Ho_Chi_Minh")
YEAR_START = date(2025, 1, 1)
YEAR_END = date(2025, 12, 31)
TODAY = date(2026, 1, 10)
GROUPS = ["thuc_pham", "do_uong", "thao_duoc", "vai_may_mac", "luu_niem"]
RUNS = 3


def ts(moment: datetime) -> str:
    """A UTC instant as SQLAlchemy stores it in SQLite."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def build(path: Path, target_lines: int, seed: int = 6) -> dict[str, int]:
    """Fill a migrated database with a year of sales, returns, voids and stock movements."""
    rnd = random.Random(seed)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("BEGIN")
    created = ts(datetime(2024, 12, 1, tzinfo=UTC))
    conn.execute(
        "INSERT INTO user (id, uuid, username, full_name, role, password_hash, is_active, created_at) "
        "VALUES (1, ?, 'thungan', 'Thu Ngân', 'cashier', 'x', 1, ?)",
        (uuid4().hex, created),
    )
    n_producers, n_products = 60, 1500
    conn.executemany(
        "INSERT INTO producer (id, uuid, name, name_search, kind, province, district, address, contact_name, phone, "
        "email, bank_account, commission_bp, is_consignment, is_active, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, 'htx', 'Hà Nội', '', '', '', ?, '', '', ?, 1, 1, ?, ?)",
        [
            (
                i,
                uuid4().hex,
                f"HTX Sản xuất số {i}",
                f"htx san xuat so {i}",
                f"09{i:08d}",
                1500 + 100 * (i % 6),
                created,
                created,
            )
            for i in range(1, n_producers + 1)
        ],
    )
    products = []
    for i in range(1, n_products + 1):
        price = rnd.choice([35, 45, 60, 85, 120, 150, 180, 250, 320, 450]) * 1000
        cost = price * rnd.choice([55, 60, 65, 70]) // 100
        expiry = (TODAY + timedelta(days=rnd.randint(-60, 900))).isoformat()
        products.append(
            (
                i,
                uuid4().hex,
                f"SP{i:05d}",
                f"Sản phẩm OCOP số {i}",
                f"san pham ocop so {i}",
                price,
                cost,
                GROUPS[i % len(GROUPS)],
                rnd.choice([3, 3, 4, 4, 5, None]),
                f"QĐ-{i}",
                expiry,
                1 + (i - 1) % n_producers,
                rnd.choice([None, None, 5, 10, 20]),
                created,
                created,
            )
        )
    conn.executemany(
        "INSERT INTO product (id, uuid, sku, name, name_search, unit, price_vnd, cost_vnd, vat_class, ocop_group, "
        "ocop_stars, ocop_cert_number, ocop_cert_expiry, producer_id, min_stock, is_food, is_active, created_at, "
        "updated_at) VALUES (?, ?, ?, ?, ?, 'cái', ?, ?, 'standard', ?, ?, ?, ?, ?, ?, 0, 1, ?, ?)",
        products,
    )
    # Popular products sell far more than the tail; a few never sell (slow movers).
    weights = [1.0 / (1 + (i % 300)) if i % 97 else 0.0 for i in range(n_products)]
    price_of = {p[0]: p[5] for p in products}
    cost_of = {p[0]: p[6] for p in products}
    producer_of = {p[0]: p[11] for p in products}

    movements: list[tuple] = []
    intake_at = ts(datetime(2024, 12, 20, 2, tzinfo=UTC))
    for pid in price_of:
        movements.append((uuid4().hex, pid, "intake", 400, cost_of[pid], "", "", None, None, None, 1, intake_at))

    days = (YEAR_END - YEAR_START).days + 1
    sales_per_day = max(1, target_lines // 3 // days)
    sale_rows, line_rows, pay_rows, ret_rows, rline_rows = [], [], [], [], []
    sale_id = line_id = ret_id = rline_id = 0
    shift_rows = []
    sold_since: dict[int, int] = {}
    for d in range(days):
        day = YEAR_START + timedelta(days=d)
        shift_id = d + 1
        opened = datetime(day.year, day.month, day.day, 7, 30, tzinfo=TZ)
        shift_rows.append((shift_id, uuid4().hex, 1, "closed", ts(opened), 1_000_000, ts(opened + timedelta(hours=14))))
        for _ in range(sales_per_day):
            sale_id += 1
            at = opened + timedelta(minutes=30 + rnd.random() * 13 * 60)
            n_lines = rnd.choice([1, 2, 3, 3, 4, 5, 3])
            chosen = rnd.choices(range(1, n_products + 1), weights=weights, k=n_lines)
            subtotal = total = discount = 0
            lines = []
            for no, pid in enumerate(chosen, start=1):
                line_id += 1
                qty = rnd.choice([1, 1, 1, 2, 3])
                price = price_of[pid]
                disc = qty * price // 10 if rnd.random() < 0.05 else 0
                lines.append(
                    (
                        line_id,
                        sale_id,
                        no,
                        pid,
                        producer_of[pid],
                        f"Sản phẩm OCOP số {pid}",
                        f"SP{pid:05d}",
                        qty,
                        price,
                        disc,
                        qty * price - disc,
                        800,
                        0,
                        cost_of[pid],
                    )
                )
                subtotal += qty * price
                discount += disc
                total += qty * price - disc
            voided = rnd.random() < 0.003
            sale_rows.append(
                (
                    sale_id,
                    uuid4().hex,
                    f"SR01-2025-{sale_id:06d}",
                    uuid4().hex,
                    shift_id,
                    1,
                    "voided" if voided else "completed",
                    subtotal,
                    discount,
                    0,
                    total,
                    0,
                    ts(at),
                    ts(at + timedelta(minutes=3)) if voided else None,
                )
            )
            line_rows += lines
            if total > 300_000 and rnd.random() < 0.3:
                pay_rows += [(sale_id, "cash", 200_000), (sale_id, "transfer", total - 200_000)]
            else:
                pay_rows.append((sale_id, rnd.choice(["cash", "cash", "card", "transfer"]), total))
            for line in lines:
                sold_since[line[3]] = sold_since.get(line[3], 0) + line[7]
                movements.append((uuid4().hex, line[3], "sale", -line[7], None, "", "", None, line[0], None, 1, ts(at)))
                if voided:
                    movements.append(
                        (
                            uuid4().hex,
                            line[3],
                            "void",
                            line[7],
                            None,
                            "",
                            "",
                            None,
                            line[0],
                            None,
                            1,
                            ts(at + timedelta(minutes=3)),
                        )
                    )
            if not voided and rnd.random() < 0.01:
                ret_id += 1
                back = at + timedelta(days=rnd.randint(0, 5), hours=1)
                first = lines[0]
                rline_id += 1
                ret_rows.append(
                    (
                        ret_id,
                        uuid4().hex,
                        f"TH-{ret_id:06d}",
                        uuid4().hex,
                        sale_id,
                        shift_id,
                        1,
                        "cash",
                        first[10] // first[7],
                        ts(back),
                    )
                )
                rline_rows.append((rline_id, ret_id, first[0], 1, first[10] // first[7]))
                movements.append((uuid4().hex, first[3], "return", 1, None, "", "", None, None, rline_id, 1, ts(back)))
        if d % 30 == 15:  # monthly restock of most of what sold, and a count
            for pid, sold in sorted(sold_since.items()):
                qty = sold * rnd.choice([8, 9, 10, 11]) // 10
                movements.append(
                    (uuid4().hex, pid, "intake", qty, cost_of[pid], "", "", None, None, None, 1, ts(opened))
                )
            sold_since.clear()
            for pid in range(2, n_products + 1, 50):
                movements.append((uuid4().hex, pid, "count", -1, None, "count", "", None, None, None, 1, ts(opened)))

    conn.executemany(
        "INSERT INTO shift (id, uuid, cashier_id, status, opened_at, opening_float_vnd, closed_at, count_detail, "
        "z_report) VALUES (?, ?, ?, ?, ?, ?, ?, '', '')",
        shift_rows,
    )
    conn.executemany(
        "INSERT INTO sale (id, uuid, receipt_number, idempotency_key, shift_id, cashier_id, status, subtotal_vnd, "
        "line_discount_vnd, sale_discount_vnd, total_vnd, vat_vnd, reprint_count, created_at, voided_at, void_reason) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, '')",
        sale_rows,
    )
    conn.executemany(
        "INSERT INTO saleline (id, sale_id, line_no, product_id, producer_id, name, sku, unit, qty, unit_price_vnd, "
        "discount_vnd, total_vnd, vat_rate_bp, vat_vnd, unit_cost_vnd) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, 'cái', ?, ?, ?, ?, ?, ?, ?)",
        line_rows,
    )
    conn.executemany("INSERT INTO payment (sale_id, method, amount_vnd, reference) VALUES (?, ?, ?, '')", pay_rows)
    conn.executemany(
        "INSERT INTO salereturn (id, uuid, return_number, idempotency_key, sale_id, shift_id, cashier_id, "
        "refund_method, total_vnd, reason, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?)",
        ret_rows,
    )
    conn.executemany(
        "INSERT INTO returnline (id, return_id, sale_line_id, qty, amount_vnd) VALUES (?, ?, ?, ?, ?)", rline_rows
    )
    conn.executemany(
        "INSERT INTO stockmovement (uuid, product_id, kind, qty_delta, unit_cost_vnd, reason, note, intake_line_id, "
        "sale_line_id, return_line_id, created_by_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        movements,
    )
    conn.execute(
        "INSERT INTO stocklevel (product_id, qty) "
        "SELECT product_id, SUM(qty_delta) FROM stockmovement GROUP BY product_id"
    )
    conn.commit()
    conn.execute("ANALYZE")
    conn.close()
    return {
        "products": n_products,
        "producers": n_producers,
        "sales": len(sale_rows),
        "sale_lines": len(line_rows),
        "returns": len(ret_rows),
        "voids": sum(1 for s in sale_rows if s[6] == "voided"),
        "movements": len(movements),
    }


def timed(fn, runs: int = RUNS) -> tuple[list[float], object]:
    """Run fn ``runs`` times; the wall-clock seconds of each run and the last result."""
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return times, result


def _load() -> list[float] | None:
    """The 1, 5 and 15 minute load averages where the platform has them (not on Windows)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=300_000, help="sale lines to generate (default 300000)")
    parser.add_argument("--db", type=Path, default=None, help="database file (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the database file")
    args = parser.parse_args()

    args.db = args.db or Path(tempfile.gettempdir()) / "bench-reports.db"
    args.db.unlink(missing_ok=True)
    url = f"sqlite:///{args.db.as_posix()}"
    t0 = time.perf_counter()
    upgrade(url)
    counts = build(args.db, args.lines)
    build_s = time.perf_counter() - t0
    print(f"Built {args.db} in {build_s:.1f} s: " + ", ".join(f"{k}={v:,}" for k, v in counts.items()))

    engine = make_engine(url)
    year = Period(YEAR_START, YEAR_END, TZ)
    month = Period(date(2025, 12, 1), YEAR_END, TZ)
    results: dict[str, dict[str, float]] = {}
    print(f"\n{'report':<14}{'period':>8}{'rows':>7}{'min s':>9}{'median s':>10}{'max s':>9}")
    for name, spec in REPORTS.items():
        for label, period in (("year", year), ("month", month)):
            if not spec.uses_period and label == "month":
                continue
            q = ReportQuery(period=period, today=TODAY, days=spec.default_days, low_stock_default=5)

            def run(name: str = name, q: ReportQuery = q) -> object:
                with Session(engine) as s:
                    return build_report(s, name, q)

            times, report = timed(run)
            key = f"{name}_{label}" if spec.uses_period else name
            results[key] = {"min_s": min(times), "median_s": statistics.median(times), "max_s": max(times)}
            print(
                f"{name:<14}{label if spec.uses_period else '-':>8}{len(report.rows):>7}"  # type: ignore[attr-defined]
                f"{min(times):>9.3f}{statistics.median(times):>10.3f}{max(times):>9.3f}"
            )

    # The pages themselves (query + template), over HTTP-less WSGI with a logged-in manager.
    from pos import create_app
    from pos.auth.services import create_user
    from pos.db import session_scope

    app = create_app(
        overrides={
            "DATABASE_URL": url,
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "INSTANCE_PATH": str(args.db.parent),
        }
    )
    with session_scope(engine) as s:
        create_user(s, "quanly", "Quản Lý", "manager", "quanly-pass")
    client = app.test_client()
    client.post("/login", data={"username": "quanly", "password": "quanly-pass"})
    pages: dict[str, float] = {}
    for name in REPORTS:

        def get(name: str = name) -> object:
            response = client.get(f"/reports/{name}", query_string={"from": "01/01/2025", "to": "31/12/2025"})
            assert response.status_code == 200, (name, response.status_code)
            return response

        times, _ = timed(get)
        pages[name] = max(times)
    print("\nPages over the year (max of 3, query + HTML): " + ", ".join(f"{k} {v:.3f} s" for k, v in pages.items()))
    export_times = {}
    for fmt in ("csv", "xlsx"):
        times, _ = timed(
            lambda fmt=fmt: client.get(
                "/reports/products/export." + fmt, query_string={"from": "01/01/2025", "to": "31/12/2025"}
            )
        )
        export_times[fmt] = max(times)
    print(f"Exports of the year by product: csv {export_times['csv']:.3f} s, xlsx {export_times['xlsx']:.3f} s")

    def settle() -> object:
        with Session(engine) as s:
            return compute_settlement(s, 1, month)

    settle_times, figures = timed(settle)
    meta = StatementMeta("DS-SR01-2026-0001", TODAY, "Quản Lý", "Điểm OCOP", "Hà Nội", "0101234567", "024")
    pdf_times, pdf = timed(lambda: render_statement(figures, meta), runs=1)  # type: ignore[arg-type]
    print(
        f"Settlement of producer 1 for December: {len(figures['lines'])} lines, "  # type: ignore[index]
        f"compute {max(settle_times):.3f} s, PDF {pdf_times[0]:.3f} s ({len(pdf):,} bytes)"
    )  # type: ignore[arg-type]
    engine.dispose()

    slowest = max(results.items(), key=lambda kv: kv[1]["max_s"])
    summary = {
        "sale_lines": counts["sale_lines"],
        "sales": counts["sales"],
        "slowest_report": slowest[0],
        "slowest_report_s": round(slowest[1]["max_s"], 4),
        "slowest_page_s": round(max(pages.values()), 4),
        "reports_s": {k: round(v["max_s"], 4) for k, v in results.items()},
        "pages_s": {k: round(v, 4) for k, v in pages.items()},
        "export_s": {k: round(v, 4) for k, v in export_times.items()},
        "settlement_month_s": round(max(settle_times), 4),
        "settlement_pdf_s": round(pdf_times[0], 4),
        "build_s": round(build_s, 1),
        "load_average": _load(),  # other work on the machine slows every figure
    }
    if not args.keep:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{args.db}{suffix}").unlink(missing_ok=True)
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
