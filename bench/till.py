"""Time the till over real HTTP on a showroom with 50,000 products and a year of sales (1,000,000 sale lines).

What is measured (issue 4, "Speed"):
- scan: POST /till/api/scan -> the priced cart as JSON, p50/p95/p99;
- sale: POST /till/api/checkout -> the committed sale (and the fresh cart), p50/p95/p99;
- raw: the same rows (sale, lines, stock movements, stock levels, payments, receipt counter, outbox) inserted
  and committed by plain sqlite3 with the app's pragmas (WAL, synchronous=FULL), in the same run, as a ratio;
- shift close: a shift of 1,000 sales closed through HTTP (POST /shifts/close, the blind count) plus its
  Z report PDF (GET /shifts/<id>/z.pdf);
- rss_mb: the server process's resident memory at the end (and its peak).

The showroom file is built once with raw sqlite3 (executemany in big transactions) and cached under bench/out/,
keyed by a hash of the migrations and the sizes; each run works on a fresh copy of it. The server is the real
one: ``pos serve`` (waitress) in a subprocess with POS_* variables pointing at that copy.

    .venv/bin/python bench/till.py [--products 50000] [--sale-lines 1000000] [--scans 2000] [--sales 500]

The last line of output is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import httpx
from werkzeug.security import generate_password_hash

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pos.barcodes import gtin_check_digit, instore_ean13  # noqa: E402
from pos.migrate import upgrade  # noqa: E402
from pos.money import vat_included  # noqa: E402
from pos.sales.pricing import cash_suggestions  # noqa: E402
from pos.text import fold  # noqa: E402

OUT = ROOT / "bench" / "out"
BUILD_VERSION = "till-1"  # bump when build() changes what it writes
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
SHOWROOM = "SR01"
PASSWORD = "bench-pass-123"
OPENING_FLOAT_VND = 2_000_000
NOTES = (500_000, 200_000, 100_000, 50_000, 20_000, 10_000, 5_000, 2_000, 1_000)
CHUNK = 50_000

KINDS = [
    "Chè",
    "Mật ong",
    "Nước mắm",
    "Gạo",
    "Cà phê",
    "Miến dong",
    "Bánh cốm",
    "Rượu",
    "Tương",
    "Khô gà",
    "Nấm hương",
    "Trà hoa vàng",
    "Mứt",
    "Khăn lụa",
    "Nón lá",
    "Gốm",
    "Tinh dầu",
    "Hạt điều",
    "Sâm",
    "Chả mực",
]
PLACES = [
    "Thái Nguyên",
    "Hà Giang",
    "Phú Quốc",
    "Đình Bảng",
    "Bát Tràng",
    "Vạn Phúc",
    "Sơn La",
    "Lào Cai",
    "Hạ Long",
    "Bến Tre",
    "Đắk Lắk",
    "Ninh Thuận",
    "Huế",
    "Hội An",
    "Cao Bằng",
    "Bắc Kạn",
]
SIZES = ["hộp 100g", "hộp 200g", "gói 500g", "chai 500ml", "lọ 250g", "túi 1kg", "bộ quà tặng", "hũ 300g"]
GROUPS = ["thuc_pham", "do_uong", "thao_duoc", "vai_may_mac", "luu_niem"]
UNITS = ["hộp", "gói", "chai", "lọ", "túi", "cái"]


# --- building the showroom file ---------------------------------------------------------------------------------


def ts(moment: datetime) -> str:
    """A UTC instant as SQLAlchemy stores it in SQLite."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def schema_hash() -> str:
    """A hash of every migration file, so a changed schema builds a new file."""
    digest = hashlib.sha256(BUILD_VERSION.encode())
    for path in sorted((ROOT / "migrations" / "versions").glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def standard_rate(day: date) -> int:
    """The standard VAT class's rate on a day, as the table seeded by the migration has it."""
    if day >= date(2027, 1, 1):
        return 1000
    return 800 if day >= date(2025, 7, 1) else 1000


RATES = {"reduced": 500, "zero": 0, "exempt": 0}


def product_barcode(i: int) -> str:
    """Most goods carry a producer's EAN-13 (893 = Vietnam); one in five an in-store code."""
    if i % 5 == 0:
        return instore_ean13(i)
    body = f"893{i:09d}"
    return body + gtin_check_digit(body)


def _drop_indexes(conn: sqlite3.Connection, tables: list[str]) -> list[str]:
    """Drop the bulk tables' indexes (rebuilt after loading, far faster than keeping them up to date)."""
    marks = ",".join("?" * len(tables))
    rows = conn.execute(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({marks})",
        tables,
    ).fetchall()
    for name, _sql in rows:
        conn.execute(f'DROP INDEX "{name}"')
    return [sql for _name, sql in rows]


def build(path: Path, n_products: int, target_lines: int, seed: int = 4) -> dict[str, Any]:
    """Fill a migrated database with products, a year of sales with payments and stock movements, and users."""
    rnd = random.Random(seed)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-1000000")
    conn.execute("PRAGMA temp_store=MEMORY")
    indexes = _drop_indexes(conn, ["sale", "saleline", "payment", "stockmovement", "shift"])
    conn.execute("BEGIN")
    today = datetime.now(TZ).date()
    start = today - timedelta(days=365)
    created = ts(datetime.combine(start - timedelta(days=30), datetime.min.time(), TZ))

    # Staff: the bench's cashier, a second cashier whose shift of 1,000 sales is closed, a manager.
    password_hash = generate_password_hash(PASSWORD)
    users = [
        (1, "thungan", "Nguyễn Thị Thu Ngân", "cashier"),
        (2, "thungan2", "Phạm Văn Hai", "cashier"),
        (3, "quanly", "Trần Văn Quản Lý", "manager"),
    ]
    conn.executemany(
        "INSERT INTO user (id, uuid, username, full_name, role, password_hash, is_active, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, 1, ?)",
        [(uid, uuid4().hex, name, full, role, password_hash, created) for uid, name, full, role in users],
    )

    n_producers = max(1, n_products // 100)
    conn.executemany(
        "INSERT INTO producer (id, uuid, name, name_search, kind, province, district, address, contact_name, phone, "
        "email, bank_account, commission_bp, is_consignment, is_active, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, 'htx', ?, '', '', '', ?, '', '', ?, 1, 1, ?, ?)",
        [
            (
                i,
                uuid4().hex,
                f"HTX {PLACES[i % len(PLACES)]} số {i}",
                fold(f"HTX {PLACES[i % len(PLACES)]} số {i}"),
                PLACES[i % len(PLACES)],
                f"09{i:08d}",
                1500 + 100 * (i % 6),
                created,
                created,
            )
            for i in range(1, n_producers + 1)
        ],
    )

    products: list[tuple[Any, ...]] = []
    for i in range(1, n_products + 1):
        name = f"{KINDS[i % len(KINDS)]} {PLACES[(i // 7) % len(PLACES)]} {SIZES[(i // 3) % len(SIZES)]} số {i}"
        price = rnd.choice([15, 25, 35, 45, 60, 85, 120, 150, 180, 250, 320, 450, 650, 900]) * 1000
        vat_class = "reduced" if i % 10 == 3 else "exempt" if i % 20 == 7 else "standard"
        products.append(
            (
                i,
                uuid4().hex,
                f"SP{i:06d}",
                product_barcode(i),
                name,
                fold(name),
                UNITS[i % len(UNITS)],
                price,
                price * rnd.choice([55, 60, 65, 70]) // 100,
                vat_class,
                GROUPS[i % len(GROUPS)],
                rnd.choice([3, 3, 4, 4, 5, None]),
                f"QĐ-{i}",
                1 + (i - 1) % n_producers,
                rnd.choice([None, 5, 10]),
                1 if i % 4 == 0 else 0,
                created,
                created,
            )
        )
    conn.executemany(
        "INSERT INTO product (id, uuid, sku, barcode, name, name_search, unit, price_vnd, cost_vnd, vat_class, "
        "ocop_group, ocop_stars, ocop_cert_number, producer_id, min_stock, is_food, is_active, created_at, "
        "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)",
        products,
    )
    # Every product was received once before the year began, with plenty to sell.
    conn.executemany(
        "INSERT INTO stockmovement (uuid, product_id, kind, qty_delta, unit_cost_vnd, reason, note, created_by_id, "
        "created_at) VALUES (?, ?, 'intake', 100000, ?, '', '', 3, ?)",
        [(uuid4().hex, p[0], p[8], created) for p in products],
    )

    # A long tail: a few hundred products sell most; every product sells now and then.
    cum_weights: list[float] = []
    total = 0.0
    for i in range(n_products):
        total += 1.0 / (1 + (i % 500)) + 0.002
        cum_weights.append(total)
    ids = list(range(1, n_products + 1))
    lines_per_sale = [1, 2, 3, 3, 4, 5, 5]
    days = 365
    sales_per_day = max(1, round(target_lines / (sum(lines_per_sale) / len(lines_per_sale)) / days))

    sale_rows: list[tuple[Any, ...]] = []
    line_rows: list[tuple[Any, ...]] = []
    pay_rows: list[tuple[Any, ...]] = []
    move_rows: list[tuple[Any, ...]] = []
    counters: dict[int, int] = {}
    sale_id = line_id = shift_id = 0
    n_sales = n_lines = 0

    def flush() -> None:
        conn.executemany(
            "INSERT INTO sale (id, uuid, receipt_number, idempotency_key, shift_id, cashier_id, status, "
            "subtotal_vnd, line_discount_vnd, sale_discount_vnd, total_vnd, vat_vnd, reprint_count, created_at, "
            "void_reason) VALUES (?, ?, ?, ?, ?, 1, 'completed', ?, ?, 0, ?, ?, 0, ?, '')",
            sale_rows,
        )
        conn.executemany(
            "INSERT INTO saleline (id, sale_id, line_no, product_id, producer_id, name, sku, barcode, unit, qty, "
            "unit_price_vnd, discount_vnd, total_vnd, vat_rate_bp, vat_vnd, unit_cost_vnd) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            line_rows,
        )
        conn.executemany(
            "INSERT INTO payment (sale_id, method, amount_vnd, tendered_vnd, change_vnd, reference) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            pay_rows,
        )
        conn.executemany(
            "INSERT INTO stockmovement (uuid, product_id, kind, qty_delta, unit_cost_vnd, reason, note, "
            "sale_line_id, created_by_id, created_at) VALUES (?, ?, 'sale', ?, ?, '', ?, ?, 1, ?)",
            move_rows,
        )
        for rows in (sale_rows, line_rows, pay_rows, move_rows):
            rows.clear()

    shift_rows = []
    for d in range(days):
        day = start + timedelta(days=d)
        rate_standard = standard_rate(day)
        for half, (open_h, close_h) in enumerate(((7, 14), (14, 21))):
            shift_id += 1
            opened = datetime(day.year, day.month, day.day, open_h, 30, tzinfo=TZ)
            shift_rows.append(
                (shift_id, uuid4().hex, ts(opened), ts(datetime(day.year, day.month, day.day, close_h, 0, tzinfo=TZ)))
            )
            for _ in range(sales_per_day // 2 + (sales_per_day % 2 if half else 0)):
                sale_id += 1
                at = opened + timedelta(seconds=rnd.random() * 6.5 * 3600)
                year = at.year
                counters[year] = counters.get(year, 0) + 1
                number = f"{SHOWROOM}-{year}-{counters[year]:06d}"
                chosen = rnd.choices(ids, cum_weights=cum_weights, k=rnd.choice(lines_per_sale))
                subtotal = discount = vat = 0
                for no, pid in enumerate(dict.fromkeys(chosen), start=1):
                    p = products[pid - 1]
                    qty = rnd.choice([1, 1, 1, 2, 3])
                    gross = qty * p[7]
                    disc = gross // 10 // 1000 * 1000 if rnd.random() < 0.03 else 0
                    rate = rate_standard if p[9] == "standard" else RATES[p[9]]
                    line_vat = vat_included(gross - disc, rate)
                    line_id += 1
                    line_rows.append(
                        (
                            line_id,
                            sale_id,
                            no,
                            pid,
                            p[13],
                            p[4],
                            p[2],
                            p[3],
                            p[6],
                            qty,
                            p[7],
                            disc,
                            gross - disc,
                            rate,
                            line_vat,
                            p[8],
                        )
                    )
                    move_rows.append((uuid4().hex, pid, -qty, p[8], number, line_id, ts(at)))
                    subtotal += gross
                    discount += disc
                    vat += line_vat
                    n_lines += 1
                total_vnd = subtotal - discount
                sale_rows.append(
                    (sale_id, uuid4().hex, number, uuid4().hex, shift_id, subtotal, discount, total_vnd, vat, ts(at))
                )
                roll = rnd.random()
                if roll < 0.55:
                    tendered = rnd.choice(cash_suggestions(total_vnd)[:3])
                    pay_rows.append((sale_id, "cash", total_vnd, tendered, tendered - total_vnd, ""))
                elif roll < 0.8:
                    pay_rows.append((sale_id, "card", total_vnd, None, None, f"{rnd.randrange(10**6):06d}"))
                elif roll < 0.95 or total_vnd < 200_000:
                    pay_rows.append((sale_id, "transfer", total_vnd, None, None, number))
                else:
                    pay_rows.append((sale_id, "cash", 100_000, 100_000, 0, ""))
                    pay_rows.append((sale_id, "transfer", total_vnd - 100_000, None, None, number))
                n_sales += 1
                if len(line_rows) >= CHUNK:
                    flush()
    flush()
    conn.executemany(
        "INSERT INTO shift (id, uuid, cashier_id, status, opened_at, opening_float_vnd, closed_at, count_detail, "
        "z_report) VALUES (?, ?, 1, 'closed', ?, 2000000, ?, '', '')",
        shift_rows,
    )
    # Today: both cashiers have an open shift (the second one's is filled and closed by the bench).
    now = datetime.now(UTC)
    open_shifts = {}
    for cashier_id in (1, 2):
        shift_id += 1
        conn.execute(
            "INSERT INTO shift (id, uuid, cashier_id, status, opened_at, opening_float_vnd, count_detail, z_report) "
            "VALUES (?, ?, ?, 'open', ?, ?, '', '')",
            (shift_id, uuid4().hex, cashier_id, ts(now - timedelta(hours=2)), OPENING_FLOAT_VND),
        )
        open_shifts[cashier_id] = shift_id
    conn.executemany(
        "INSERT INTO counter (name, value) VALUES (?, ?)",
        [(f"receipt:{SHOWROOM}:{year}", value) for year, value in counters.items()],
    )
    conn.execute(
        "INSERT INTO stocklevel (product_id, qty) SELECT product_id, SUM(qty_delta) FROM stockmovement "
        "GROUP BY product_id"
    )
    conn.execute("COMMIT")
    for sql in indexes:
        conn.execute(sql)
    conn.execute("ANALYZE")
    conn.execute("PRAGMA journal_mode=WAL")  # as the app opens it
    conn.close()
    return {"products": n_products, "producers": n_producers, "sales": n_sales, "sale_lines": n_lines}


def showroom_file(n_products: int, n_lines: int, rebuild: bool) -> tuple[Path, dict[str, Any], float]:
    """The cached showroom file for these sizes (built if missing), its counts and the seconds spent building."""
    OUT.mkdir(parents=True, exist_ok=True)
    cached = OUT / f"till-{n_products}-{n_lines}-{schema_hash()}.db"
    meta_path = cached.with_suffix(".json")
    if cached.exists() and meta_path.exists() and not rebuild:
        return cached, json.loads(meta_path.read_text()), 0.0
    for stale in OUT.glob(f"till-{n_products}-{n_lines}-*"):
        stale.unlink()
    t0 = time.perf_counter()
    partial = cached.with_suffix(".building")
    partial.unlink(missing_ok=True)
    upgrade(f"sqlite:///{partial.as_posix()}")
    counts = build(partial, n_products, n_lines)
    partial.rename(cached)
    meta_path.write_text(json.dumps(counts))
    return cached, counts, time.perf_counter() - t0


# --- the server -------------------------------------------------------------------------------------------------


@dataclass
class Server:
    """``pos serve`` (waitress) on a copy of the showroom file."""

    db: Path
    port: int
    process: subprocess.Popen[bytes] | None = None
    log: Path = field(default_factory=lambda: OUT / "till-server.log")

    def start(self) -> None:
        env = dict(os.environ)
        env.update(
            POS_DATABASE_URL=f"sqlite:///{self.db.as_posix()}",
            POS_INSTANCE_PATH=str(OUT / "instance"),
            POS_BACKUP_ENABLED="false",
            POS_SYNC_ENABLED="false",
        )
        command = [sys.executable, "-c", "from pos.cli import main; main()", "serve", "--port", str(self.port)]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"server exited; see {self.log}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise SystemExit("server did not start in 30 s")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def memory_mb(self) -> tuple[float, float]:
        """(resident now, peak resident) of the server process in MB."""
        assert self.process is not None
        try:
            import psutil  # type: ignore[import-not-found]

            rss = psutil.Process(self.process.pid).memory_info().rss / 2**20
        except ImportError:
            rss = None
        status = Path(f"/proc/{self.process.pid}/status")
        peak = None
        if status.exists():
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
            rss = rss if rss is not None else int(fields["VmRSS"].split()[0]) / 1024
            peak = int(fields["VmHWM"].split()[0]) / 1024
        return round(rss or 0.0, 1), round(peak or rss or 0.0, 1)

    def cpu_s(self) -> float:
        """CPU seconds (user + system) the server process has used so far; 0 where /proc is missing."""
        assert self.process is not None
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def login(url: str, username: str) -> httpx.Client:
    """An HTTP client with a logged-in session (cookie) like the cashier's browser."""
    client = httpx.Client(base_url=url, timeout=60)
    page = client.get("/login").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token, "no CSRF token on the login page"
    response = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token[1]})
    assert response.status_code == 302, f"login failed: {response.status_code}"
    return client


def page_token(client: httpx.Client, path: str) -> str:
    """The CSRF token a page carries (meta tag or hidden field)."""
    html = client.get(path).text
    found = re.search(r'name="csrf-token" content="([^"]+)"', html) or re.search(
        r'name="csrf_token"[^>]*value="([^"]+)"', html
    )
    assert found, f"no CSRF token on {path}"
    return found[1]


# --- measuring --------------------------------------------------------------------------------------------------


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) in milliseconds."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1))
    return round(ordered[rank] * 1000, 2)


def summary(values: list[float]) -> str:
    return (
        f"p50 {pct(values, 50):.2f} ms, p95 {pct(values, 95):.2f} ms, p99 {pct(values, 99):.2f} ms, "
        f"max {max(values) * 1000:.2f} ms (n={len(values)})"
    )


@dataclass
class Catalogue:
    """What the bench knows of the products: codes to scan, weighted like the year's sales."""

    barcodes: list[str]
    cum_weights: list[float]
    rows: dict[int, tuple[Any, ...]]

    @classmethod
    def load(cls, db: Path) -> Catalogue:
        conn = sqlite3.connect(db)
        rows = {
            r[0]: r
            for r in conn.execute(
                "SELECT p.id, p.uuid, p.sku, p.barcode, p.name, p.unit, p.price_vnd, p.cost_vnd, p.vat_class, "
                "p.producer_id, pr.uuid FROM product p JOIN producer pr ON pr.id = p.producer_id ORDER BY p.id"
            )
        }
        conn.close()
        total, cum = 0.0, []
        for i in range(len(rows)):
            total += 1.0 / (1 + (i % 500)) + 0.002
            cum.append(total)
        return cls([r[3] for r in rows.values()], cum, rows)

    def pick(self, rnd: random.Random) -> str:
        return rnd.choices(self.barcodes, cum_weights=self.cum_weights)[0]


@dataclass
class Run:
    """What ringing up the sales over HTTP measured: wall times, the server's CPU, the carts sold."""

    scan_times: list[float] = field(default_factory=list)
    sale_times: list[float] = field(default_factory=list)
    scan_cpu_s: float = 0.0  # the server process's CPU time spent while scans were in flight
    sale_cpu_s: float = 0.0
    carts: list[list[tuple[str, int]]] = field(default_factory=list)


def http_sales(
    client: httpx.Client,
    token: str,
    catalogue: Catalogue,
    scans: int,
    sales: int,
    rnd: random.Random,
    cpu: Callable[[], float],
) -> Run:
    """Ring up ``sales`` sales by ``scans`` scans in all, timing each scan and each checkout."""
    headers = {"Accept": "application/json", "X-CSRFToken": token}
    per_sale = [1] * sales
    for _ in range(max(0, scans - sales)):
        per_sale[rnd.randrange(sales)] += 1
    run = Run()
    for n_scans in per_sale:
        cart: dict[str, Any] = {}
        codes: list[str] = []
        for _ in range(n_scans):
            # One scan in six is a second unit of something already in the cart.
            code = rnd.choice(codes) if codes and rnd.random() < 1 / 6 else catalogue.pick(rnd)
            codes.append(code)
            c0, t0 = cpu(), time.perf_counter()
            response = client.post("/till/api/scan", json={"code": code}, headers=headers)
            cart = response.json()
            run.scan_times.append(time.perf_counter() - t0)
            run.scan_cpu_s += cpu() - c0
            assert response.status_code == 200, cart
        total = cart["total_vnd"]
        roll = rnd.random()
        if roll < 0.6:
            payments = [{"method": "cash", "amount_vnd": rnd.choice(cart["cash_suggestions"][:3])}]
        elif roll < 0.85:
            payments = [{"method": "card", "amount_vnd": total, "reference": f"{rnd.randrange(10**6):06d}"}]
        else:
            payments = [{"method": "transfer", "amount_vnd": total}]
        body = {
            "cart_id": cart["id"],
            "payments": payments,
            "idempotency_key": str(uuid4()),
            "expected_total_vnd": total,
        }
        c0, t0 = cpu(), time.perf_counter()
        response = client.post("/till/api/checkout", json=body, headers=headers)
        result = response.json()
        run.sale_times.append(time.perf_counter() - t0)
        run.sale_cpu_s += cpu() - c0
        assert response.status_code == 200 and not result["cart"]["lines"], result
        run.carts.append([(line["barcode"], line["qty"]) for line in cart["lines"]])
    return run


def raw_sales(
    db: Path, catalogue: Catalogue, carts: list[list[tuple[str, int]]], n: int, shift_id: int, cashier_id: int
) -> tuple[list[float], int]:
    """The rows of ``n`` sales (the carts rung up over HTTP, again) committed by plain sqlite3; times, cash taken."""
    by_code = {row[3]: row for row in catalogue.rows.values()}
    conn = sqlite3.connect(db, isolation_level=None, timeout=30)
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON", "busy_timeout=30000"):
        conn.execute(f"PRAGMA {pragma}")
    shift_uuid = conn.execute("SELECT uuid FROM shift WHERE id = ?", (shift_id,)).fetchone()[0]
    cashier = conn.execute("SELECT username FROM user WHERE id = ?", (cashier_id,)).fetchone()[0]
    rates = {"standard": standard_rate(datetime.now(TZ).date()), **RATES}
    times: list[float] = []
    cash_kept = 0
    for i in range(n):
        cart = carts[i % len(carts)]
        now = datetime.now(UTC)
        lines = []
        for code, qty in cart:
            p = by_code[code]
            rate = rates[p[8]]
            gross = qty * p[6]
            lines.append((p, qty, gross, rate, vat_included(gross, rate)))
        total = sum(line[2] for line in lines)
        tendered = cash_suggestions(total)[min(i % 3, len(cash_suggestions(total)) - 1)]
        t0 = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        year = datetime.now(TZ).year
        counter = f"receipt:{SHOWROOM}:{year}"
        row = conn.execute("UPDATE counter SET value = value + 1 WHERE name = ? RETURNING value", (counter,)).fetchone()
        if row is None:
            conn.execute("INSERT INTO counter (name, value) VALUES (?, 1)", (counter,))
        number = f"{SHOWROOM}-{year}-{(row[0] if row else 1):06d}"
        sale_uuid = uuid4()
        sale_id = conn.execute(
            "INSERT INTO sale (uuid, receipt_number, idempotency_key, shift_id, cashier_id, status, subtotal_vnd, "
            "line_discount_vnd, sale_discount_vnd, total_vnd, vat_vnd, reprint_count, created_at, void_reason) "
            "VALUES (?, ?, ?, ?, ?, 'completed', ?, 0, 0, ?, ?, 0, ?, '')",
            (
                sale_uuid.hex,
                number,
                str(uuid4()),
                shift_id,
                cashier_id,
                total,
                total,
                sum(x[4] for x in lines),
                ts(now),
            ),
        ).lastrowid
        payload_lines = []
        for no, (p, qty, gross, rate, vat) in enumerate(lines, start=1):
            line_id = conn.execute(
                "INSERT INTO saleline (sale_id, line_no, product_id, producer_id, name, sku, barcode, unit, qty, "
                "unit_price_vnd, discount_vnd, total_vnd, vat_rate_bp, vat_vnd, unit_cost_vnd) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)",
                (sale_id, no, p[0], p[9], p[4], p[2], p[3], p[5], qty, p[6], gross, rate, vat, p[7]),
            ).lastrowid
            conn.execute(
                "INSERT INTO stockmovement (uuid, product_id, kind, qty_delta, unit_cost_vnd, reason, note, "
                "sale_line_id, created_by_id, created_at) VALUES (?, ?, 'sale', ?, ?, '', ?, ?, ?, ?)",
                (uuid4().hex, p[0], -qty, p[7], number, line_id, cashier_id, ts(now)),
            )
            conn.execute(
                "INSERT INTO stocklevel (product_id, qty) VALUES (?, ?) "
                "ON CONFLICT (product_id) DO UPDATE SET qty = stocklevel.qty + excluded.qty",
                (p[0], -qty),
            )
            payload_lines.append(
                {
                    "line_no": no,
                    "product_uuid": str(p[1]),
                    "producer_uuid": str(p[10]),
                    "name": p[4],
                    "sku": p[2],
                    "barcode": p[3],
                    "unit": p[5],
                    "qty": qty,
                    "unit_price_vnd": p[6],
                    "discount_vnd": 0,
                    "total_vnd": gross,
                    "vat_rate_bp": rate,
                    "vat_vnd": vat,
                }
            )
        conn.execute(
            "INSERT INTO payment (sale_id, method, amount_vnd, tendered_vnd, change_vnd, reference) "
            "VALUES (?, 'cash', ?, ?, ?, '')",
            (sale_id, total, tendered, tendered - total),
        )
        payload = {
            "uuid": str(sale_uuid),
            "receipt_number": number,
            "shift_uuid": shift_uuid,
            "cashier": cashier,
            "created_at": now.isoformat(),
            "subtotal_vnd": total,
            "line_discount_vnd": 0,
            "sale_discount_vnd": 0,
            "total_vnd": total,
            "vat_vnd": sum(x[4] for x in lines),
            "discount_approved_by": None,
            "lines": payload_lines,
            "payments": [
                {
                    "method": "cash",
                    "amount_vnd": total,
                    "tendered_vnd": tendered,
                    "change_vnd": tendered - total,
                    "reference": "",
                }
            ],
        }
        conn.execute(
            "INSERT INTO outboxrecord (kind, entity_uuid, payload, created_at) VALUES ('sale', ?, ?, ?)",
            (str(sale_uuid), json.dumps(payload, ensure_ascii=False, separators=(",", ":")), ts(now)),
        )
        conn.execute("COMMIT")
        times.append(time.perf_counter() - t0)
        cash_kept += total
    conn.close()
    return times, cash_kept


def note_counts(amount_vnd: int) -> dict[str, str]:
    """The drawer counted note by note, exactly ``amount_vnd`` (the form's fields)."""
    counts = {}
    for note in NOTES:
        counts[f"note_{note}"], amount_vnd = str(amount_vnd // note), amount_vnd % note
    assert amount_vnd == 0, "a cash total that is not a whole number of thousands"
    return counts


def close_shift(client: httpx.Client, shift_id: int, expected_cash_vnd: int) -> tuple[float, float]:
    """Close the shift through the page (blind count, matching the book) and fetch its Z PDF; seconds of each."""
    token = page_token(client, "/shifts/close")
    t0 = time.perf_counter()
    response = client.post("/shifts/close", data={"csrf_token": token, **note_counts(expected_cash_vnd)})
    close_s = time.perf_counter() - t0
    assert response.status_code == 302 and f"/shifts/{shift_id}" in response.headers["location"], response.text[:500]
    t0 = time.perf_counter()
    pdf = client.get(f"/shifts/{shift_id}/z.pdf")
    z_s = time.perf_counter() - t0
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF"), pdf.status_code
    return close_s, z_s


def timed(label: str, fn: Callable[[], Any]) -> Any:
    t0 = time.perf_counter()
    result = fn()
    print(f"{label}: {time.perf_counter() - t0:.1f} s", flush=True)
    return result


def _load() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def _counts(db: Path) -> Iterator[tuple[str, int]]:
    conn = sqlite3.connect(db)
    for table in ("product", "sale", "saleline", "stockmovement", "payment", "outboxrecord"):
        yield table, conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]  # noqa: S608
    conn.close()


def checks(db: Path, since_sale_id: int) -> dict[str, int]:
    """After the run: stock levels that differ from their ledger, and gaps or doubles in this year's receipts."""
    conn = sqlite3.connect(db)
    mismatches = conn.execute(
        "SELECT COUNT(*) FROM stocklevel l JOIN (SELECT product_id, SUM(qty_delta) AS total FROM stockmovement "
        "GROUP BY product_id) m ON m.product_id = l.product_id WHERE l.qty != m.total"
    ).fetchone()[0]
    year = datetime.now(TZ).year
    numbers = sorted(
        int(number.rsplit("-", 1)[1])
        for (number,) in conn.execute(
            "SELECT receipt_number FROM sale WHERE id > ? AND receipt_number LIKE ?", (since_sale_id, f"%-{year}-%")
        )
    )
    conn.close()
    gaps = sum(b - a - 1 for a, b in zip(numbers, numbers[1:], strict=False)) + (len(numbers) - len(set(numbers)))
    return {"ledger_mismatches": mismatches, "receipt_gaps": gaps, "receipts_checked": len(numbers)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=50_000)
    parser.add_argument("--sale-lines", type=int, default=1_000_000, help="past sale lines (about 3.3 per sale)")
    parser.add_argument("--scans", type=int, default=2_000, help="scans over HTTP (spread over the sales)")
    parser.add_argument("--sales", type=int, default=500, help="sales completed over HTTP")
    parser.add_argument("--shift-sales", type=int, default=1_000, help="sales in the shift that is closed")
    parser.add_argument("--port", type=int, default=8330)
    parser.add_argument("--rebuild", action="store_true", help="build the showroom file again")
    parser.add_argument("--keep", action="store_true", help="keep the working copy bench/out/till-run.db")
    args = parser.parse_args()
    rnd = random.Random(11)

    cached, counts, build_s = showroom_file(args.products, args.sale_lines, args.rebuild)
    print(
        f"Showroom file {cached.name}: "
        + ", ".join(f"{k} {v:,}" for k, v in counts.items())
        + (f" (built in {build_s:.1f} s)" if build_s else " (cached)"),
        flush=True,
    )
    db = OUT / "till-run.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    timed("Working copy", lambda: shutil.copyfile(cached, db))
    conn = sqlite3.connect(db)
    open_shifts = dict(conn.execute("SELECT cashier_id, id FROM shift WHERE status = 'open'").fetchall())
    conn.close()
    catalogue = Catalogue.load(db)

    server = Server(db, args.port)
    server.start()
    try:
        cashier = login(server.url, "thungan")
        token = page_token(cashier, "/till/")
        # Warm up: the first requests load templates and fill caches; not counted.
        http_sales(cashier, token, catalogue, 40, 10, random.Random(1), server.cpu_s)
        run = timed(
            f"{args.scans:,} scans and {args.sales:,} sales over HTTP",
            lambda: http_sales(cashier, token, catalogue, args.scans, args.sales, rnd, server.cpu_s),
        )
        scan_times, sale_times, carts = run.scan_times, run.sale_times, run.carts
        scan_cpu_ms = round(run.scan_cpu_s / len(scan_times) * 1000, 2)
        sale_cpu_ms = round(run.sale_cpu_s / len(sale_times) * 1000, 2)
        print(f"  scan -> cart:  {summary(scan_times)}; server CPU {scan_cpu_ms:.2f} ms a scan")
        print(f"  pay -> sale:   {summary(sale_times)}; server CPU {sale_cpu_ms:.2f} ms a sale")

        closer = login(server.url, "thungan2")
        raw_times, cash_kept = timed(
            f"{args.shift_sales:,} sales by raw sqlite3 into the second cashier's shift",
            lambda: raw_sales(db, catalogue, carts, args.shift_sales, open_shifts[2], 2),
        )
        print(f"  raw sale:      {summary(raw_times)}")
        close_s, z_s = close_shift(closer, open_shifts[2], OPENING_FLOAT_VND + cash_kept)
        print(f"Shift of {args.shift_sales:,} sales: close {close_s * 1000:.0f} ms + Z PDF {z_s * 1000:.0f} ms (HTTP)")
        rss, peak = server.memory_mb()
        print(f"Server memory: {rss} MB resident, peak {peak} MB")
    finally:
        server.stop()
    print("Rows after the run: " + ", ".join(f"{table} {n:,}" for table, n in _counts(db)))
    found = checks(db, counts["sales"])
    print(
        f"Checks: {found['ledger_mismatches']} stock levels differ from their ledger; "
        f"{found['receipt_gaps']} gaps or doubles among the {found['receipts_checked']:,} receipt numbers of the run"
    )
    if not args.keep:
        for suffix in ("", "-wal", "-shm", ".pos-lock"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)

    result = {
        "scan_p50_ms": pct(scan_times, 50),
        "scan_p95_ms": pct(scan_times, 95),
        "scan_p99_ms": pct(scan_times, 99),
        "sale_p50_ms": pct(sale_times, 50),
        "sale_p95_ms": pct(sale_times, 95),
        "sale_p99_ms": pct(sale_times, 99),
        "scan_server_cpu_ms": scan_cpu_ms,  # mean CPU per request: less moved by other load than wall times
        "sale_server_cpu_ms": sale_cpu_ms,
        "raw_sale_p50_ms": pct(raw_times, 50),
        "raw_sale_p95_ms": pct(raw_times, 95),
        "raw_sale_p99_ms": pct(raw_times, 99),
        "sale_vs_raw_ratio": round(pct(sale_times, 95) / pct(raw_times, 95), 2),
        "shift_close_s": round(close_s + z_s, 3),
        "shift_close_post_s": round(close_s, 3),
        "z_pdf_s": round(z_s, 3),
        "shift_sales": args.shift_sales,
        "rss_mb": rss,
        "rss_peak_mb": peak,
        **{k: v for k, v in found.items() if k != "receipts_checked"},
        "products": counts["products"],
        "sale_lines": counts["sale_lines"],
        "sales_before": counts["sales"],
        "scans": len(scan_times),
        "sales": len(sale_times),
        "build_s": round(build_s, 1),
        "load_average": _load(),
    }
    load = result["load_average"]
    if load and load[0] > (os.cpu_count() or 1):
        print(f"Note: the machine was busy (load {load[0]} on {os.cpu_count()} CPUs); the tails above suffer from it.")
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
