"""Sync speed, end to end: showroom outbox (SQLite) -> HTTP over loopback -> waitress -> PostgreSQL.

    python bench/sync.py

Measures, in sale lines per second:
  1. one showroom-day (800 sales, about 3,000 lines) pushed by the real client into the real central server;
  2. a 30-day backlog (24,000 sales, about 90,000 lines) pushed the same way;
  3. the same backlog's sale, line and payment rows loaded by raw psycopg COPY into copies of the central
     tables (with their indexes), in the same run: the ceiling, and the push's distance from it;
  (with the CPU time each side spent on 2 and 3: the central server's process, its PostgreSQL backends and the
  showroom's client; steadier than the wall time on a machine others load);
  4. 100 showrooms pushing at once (threads, each with its own SQLite outbox and key), checked afterwards
     showroom by showroom.
The central server runs as `pos serve` (waitress, 8 threads) in a subprocess; the client pushes with its default
batch size (pos/sync/client.py). PostgreSQL is taken from
$POS_BENCH_PG_URL (a libpq URL of the server, e.g. postgresql://postgres@127.0.0.1:5432/postgres), else the
local server; the script creates its own database and drops it afterwards. $BENCH_CONCURRENT_SALES sets the
sales per showroom in step 4 (default 800, a full day). The last line printed is one JSON object.
"""

from __future__ import annotations

import json
import os
import resource
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy import insert

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pos.central.credentials import register_showroom  # noqa: E402
from pos.central.migrate import upgrade as central_upgrade  # noqa: E402
from pos.db import make_engine, session_scope  # noqa: E402
from pos.migrate import upgrade as showroom_upgrade  # noqa: E402
from pos.money import vat_included  # noqa: E402, F401  (the samples' VAT)
from pos.sync.client import SyncSettings, run_sync  # noqa: E402
from pos.sync.models import OutboxRecord  # noqa: E402
from pos.sync.samples import Record, SampleShowroom, line_count  # noqa: E402

DAY = date(2026, 11, 1)
SALES_PER_DAY = 800
BACKLOG_DAYS = 30
SHOWROOMS = 100
POS = [sys.executable, "-c", "from pos.cli import main; main()"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sqlalchemy_url(server: str, name: str) -> str:
    return server.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1) + f"/{name}"


class Showroom:
    """A showroom's SQLite outbox filled with sample records, and its sync settings."""

    def __init__(self, folder: Path, template: Path, code: str, secret: str, central: str, records: list[Record]):
        self.code = code
        self.records = records
        self.lines = line_count(records)
        path = folder / f"{code}.db"
        shutil.copyfile(template, path)
        self.engine = make_engine(f"sqlite:///{path.as_posix()}")
        with session_scope(self.engine) as s:
            s.execute(
                insert(OutboxRecord),
                [
                    {
                        "kind": r.kind,
                        "entity_uuid": r.entity_uuid,
                        "payload": json.dumps(r.payload, ensure_ascii=False, separators=(",", ":")),
                        "created_at": r.created_at,
                    }
                    for r in records
                ],
            )
        self.settings = SyncSettings(central_url=central, showroom_code=code, secret=secret, timeout_s=300, retries=2)

    def push(self) -> tuple[float, Any]:
        started = time.perf_counter()
        result = run_sync(self.engine, self.settings, pull=False)
        return time.perf_counter() - started, result


def records_for(code: str, days: int, sales: int, seed: int) -> list[Record]:
    shop = SampleShowroom(code, seed=seed)
    out = shop.catalogue_records(datetime.combine(DAY, datetime.min.time(), UTC))
    for n in range(days):
        out += shop.day(DAY + timedelta(days=n), sales=sales)
    return out


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used so far (Linux's /proc; 0 where it cannot be read)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    """This process's CPU time (every thread: the client pushes from here)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def database_cpu(conn: psycopg.Connection, name: str) -> dict[int, float]:
    """CPU time so far of every PostgreSQL backend on database ``name``, by process id (a local server only;
    ``conn`` in autocommit, so that each reading sees the backends connected by then)."""
    found = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (name,))
    return {pid: cpu_seconds(pid) for (pid,) in found}


def spent(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds the backends used between two readings (one that connected meanwhile started at 0)."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def central_lines(conn: psycopg.Connection, code: str) -> tuple[int, int, int]:
    """Records, sales and lines the central server holds for a showroom."""
    row = conn.execute(
        "SELECT (SELECT count(*) FROM sync_record r WHERE r.showroom_id = s.id), "
        "(SELECT count(*) FROM sale x WHERE x.showroom_id = s.id), "
        "(SELECT count(*) FROM sale_line l WHERE l.showroom_id = s.id) FROM showroom s WHERE s.code = %s",
        (code,),
    ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2])


def copy_backlog(conn: psycopg.Connection, records: list[Record]) -> float:
    """Load the backlog's sales, lines and payments by raw COPY into copies of the tables; seconds taken."""
    for table in ("sale", "sale_line", "payment"):
        conn.execute(f"CREATE TABLE copy_{table} (LIKE {table} INCLUDING DEFAULTS INCLUDING INDEXES)")
    products = {str(u): i for i, u in conn.execute("SELECT id, uuid FROM product")}
    producers = {str(u): i for i, u in conn.execute("SELECT id, uuid FROM producer")}
    conn.commit()
    sales, lines, payments = [], [], []
    for sale_id, r in enumerate((r for r in records if r.kind == "sale"), start=1):
        p = r.payload
        sold_on = datetime.fromisoformat(p["created_at"]).date()
        sales.append(
            (sale_id, p["uuid"], 1, 1, p["receipt_number"], p["shift_uuid"], p["cashier"], p["created_at"], sold_on,
             "completed", p["subtotal_vnd"], p["line_discount_vnd"], p["sale_discount_vnd"], p["total_vnd"],
             p["vat_vnd"], "")
        )  # fmt: skip
        for ln in p["lines"]:
            lines.append(
                (sale_id, 1, sold_on, ln["line_no"], products[ln["product_uuid"]], producers[ln["producer_uuid"]],
                 ln["name"], ln["sku"], ln["barcode"], ln["unit"], ln["qty"], ln["unit_price_vnd"], ln["discount_vnd"],
                 ln["total_vnd"], ln["vat_rate_bp"], ln["vat_vnd"], None, None, False)
            )  # fmt: skip
        for pay in p["payments"]:
            payments.append(
                (sale_id, 1, pay["method"], pay["amount_vnd"], pay["tendered_vnd"], pay["change_vnd"], pay["reference"])
            )
    started = time.perf_counter()
    with conn.cursor() as cur:
        for table, columns, rows in [
            (
                "copy_sale",
                "id, uuid, showroom_id, seq, receipt_number, shift_uuid, cashier, created_at, sold_on, status, "
                "subtotal_vnd, line_discount_vnd, sale_discount_vnd, total_vnd, vat_vnd, void_reason",
                sales,
            ),
            (
                "copy_sale_line",
                "sale_id, showroom_id, sold_on, line_no, product_id, producer_id, name, sku, barcode, unit, qty, "
                "unit_price_vnd, discount_vnd, total_vnd, vat_rate_bp, vat_vnd, ocop_stars, ocop_group, is_voided",
                lines,
            ),
            (
                "copy_payment",
                "sale_id, showroom_id, method, amount_vnd, tendered_vnd, change_vnd, reference",
                payments,
            ),
        ]:
            with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
    conn.commit()
    return time.perf_counter() - started


def main() -> None:
    server = os.environ.get("POS_BENCH_PG_URL") or "postgresql://postgres@127.0.0.1:5432/postgres"
    concurrent_sales = int(os.environ.get("BENCH_CONCURRENT_SALES") or SALES_PER_DAY)
    name = f"pos_bench_{secrets.token_hex(4)}"
    with psycopg.connect(server, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    work = Path(tempfile.mkdtemp(prefix="pos-bench-"))
    central_proc: subprocess.Popen[bytes] | None = None
    figures: dict[str, Any] = {}
    try:
        url = sqlalchemy_url(server, name)
        central_upgrade(url)
        template = work / "template.db"
        showroom_upgrade(f"sqlite:///{template.as_posix()}")
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("POS_")}
        env.update(POS_ROLE="central", POS_DATABASE_URL=url, POS_INSTANCE_PATH=str(work / "central"))
        log = (work / "central.log").open("wb")
        central_proc = subprocess.Popen(
            [*POS, "serve", "--port", str(port), "--threads", "8"], env=env, stdout=log, stderr=log
        )
        central = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                if httpx.get(f"{central}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        codes = ["BDAY", "B30D"] + [f"C{n:03d}" for n in range(1, SHOWROOMS + 1)]
        engine = make_engine(url)
        with session_scope(engine) as s:
            keys = {code: register_showroom(s, code, f"Cửa hàng {code}", "Hà Nội").secret for code in codes}
        engine.dispose()
        pg = psycopg.connect(server.rsplit("/", 1)[0] + f"/{name}")
        watch = psycopg.connect(server.rsplit("/", 1)[0] + f"/{name}", autocommit=True)  # the CPU readings
        cpus = os.cpu_count()
        print(f"central: waitress 8 threads at {central}; PostgreSQL database {name}; {cpus} CPUs")

        # 1. One showroom-day.
        day = Showroom(work, template, "BDAY", keys["BDAY"], central, records_for("BDAY", 1, SALES_PER_DAY, 1))
        seconds, result = day.push()
        assert result.ok, result.error
        held = central_lines(pg, "BDAY")
        assert held == (len(day.records), SALES_PER_DAY, day.lines), held
        figures["day_lines"] = day.lines
        figures["day_seconds"] = round(seconds, 3)
        figures["day_lines_per_s"] = round(day.lines / seconds)
        print(f"1 showroom-day: {SALES_PER_DAY} sales, {day.lines} lines, {result.batches} batches in {seconds:.2f} s "
              f"= {figures['day_lines_per_s']} lines/s")  # fmt: skip

        # 2. A 30-day backlog.
        backlog = Showroom(
            work, template, "B30D", keys["B30D"], central, records_for("B30D", BACKLOG_DAYS, SALES_PER_DAY, 2)
        )
        cpu = (cpu_seconds(central_proc.pid), database_cpu(watch, name), own_cpu_seconds())
        seconds, result = backlog.push()
        figures["backlog_server_cpu_s"] = round(cpu_seconds(central_proc.pid) - cpu[0], 2)
        figures["backlog_database_cpu_s"] = round(spent(cpu[1], database_cpu(watch, name)), 2)
        figures["backlog_client_cpu_s"] = round(own_cpu_seconds() - cpu[2], 2)
        assert result.ok, result.error
        held = central_lines(pg, "B30D")
        assert held == (len(backlog.records), BACKLOG_DAYS * SALES_PER_DAY, backlog.lines), held
        figures["backlog_lines"] = backlog.lines
        figures["backlog_seconds"] = round(seconds, 2)
        figures["backlog_lines_per_s"] = round(backlog.lines / seconds)
        figures["backlog_records_per_s"] = round(len(backlog.records) / seconds)
        print(f"30-day backlog: {BACKLOG_DAYS * SALES_PER_DAY} sales, {backlog.lines} lines, {result.batches} batches "
              f"in {seconds:.2f} s = {figures['backlog_lines_per_s']} lines/s")  # fmt: skip

        # 3. The same rows by raw COPY.
        cpu = (database_cpu(watch, name), own_cpu_seconds())
        seconds = copy_backlog(pg, backlog.records)
        figures["copy_database_cpu_s"] = round(spent(cpu[0], database_cpu(watch, name)), 2)
        figures["copy_client_cpu_s"] = round(own_cpu_seconds() - cpu[1], 2)  # its rows built before the clock starts
        figures["copy_seconds"] = round(seconds, 2)
        figures["copy_lines_per_s"] = round(backlog.lines / seconds)
        figures["copy_to_push_ratio"] = round(figures["copy_lines_per_s"] / figures["backlog_lines_per_s"], 1)
        # The push's speed as a fraction of raw COPY's (the aim: at least 0.25, 0.5 hoped for).
        figures["backlog_to_copy_ratio"] = round(figures["backlog_lines_per_s"] / figures["copy_lines_per_s"], 3)
        figures["load_avg_1min"] = round(os.getloadavg()[0], 2)  # the machine's load: other work slows both
        print(f"raw COPY of the backlog's sales, lines, payments: {seconds:.2f} s = {figures['copy_lines_per_s']} "
              f"lines/s ({figures['copy_to_push_ratio']}× the push; the push at "
              f"{figures['backlog_to_copy_ratio']}× COPY; load average {figures['load_avg_1min']})")  # fmt: skip
        print(f"CPU seconds, push: central server {figures['backlog_server_cpu_s']}, its PostgreSQL "
              f"{figures['backlog_database_cpu_s']}, client {figures['backlog_client_cpu_s']}; COPY: PostgreSQL "
              f"{figures['copy_database_cpu_s']}, psycopg {figures['copy_client_cpu_s']}")  # fmt: skip

        # 4. 100 showrooms at once.
        shops = [
            Showroom(work, template, code, keys[code], central, records_for(code, 1, concurrent_sales, 100 + n))
            for n, code in enumerate(codes[2:])
        ]
        outcomes: dict[str, tuple[float, Any]] = {}

        def push(shop: Showroom) -> None:
            outcomes[shop.code] = shop.push()

        threads = [threading.Thread(target=push, args=(shop,)) for shop in shops]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started
        ok = 0
        for shop in shops:
            _seconds, result = outcomes[shop.code]
            if result.ok and central_lines(pg, shop.code) == (len(shop.records), concurrent_sales, shop.lines):
                ok += 1
        total_lines = sum(shop.lines for shop in shops)
        slowest = max(seconds for seconds, _ in outcomes.values())
        figures["concurrent_showrooms"] = SHOWROOMS
        figures["concurrent_showrooms_ok"] = ok
        figures["concurrent_sales_each"] = concurrent_sales
        figures["concurrent_lines"] = total_lines
        figures["concurrent_seconds"] = round(wall, 2)
        figures["concurrent_lines_per_s"] = round(total_lines / wall)
        figures["concurrent_slowest_showroom_s"] = round(slowest, 2)
        print(f"{SHOWROOMS} showrooms at once, {concurrent_sales} sales each ({total_lines} lines): {ok} complete and "
              f"checked, {wall:.2f} s wall = {figures['concurrent_lines_per_s']} lines/s; slowest showroom "
              f"{slowest:.2f} s")  # fmt: skip
        for shop in shops:
            shop.engine.dispose()
        day.engine.dispose()
        backlog.engine.dispose()
        pg.close()
        watch.close()
        figures["cpus"] = cpus
    finally:
        if central_proc is not None:
            central_proc.terminate()
            central_proc.wait(10)
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
