"""Crash durability of the showroom: sales from several tills while the server is killed at random moments.

The showroom server (`pos serve`, waitress) runs in its own process on its own SQLite file. Several client
threads, each logged in as its own cashier with an open shift, ring up sales through the till's JSON API
(scan a few products, then checkout with an idempotency key) and note every sale the server ACKNOWLEDGED
(HTTP 200 with a receipt number). The bench kills the server outright (Popen.kill: SIGKILL on POSIX,
TerminateProcess on Windows) at random moments — half the time just after a checkout has been sent — and,
while it is down, opens the SQLite file itself and checks:

- every acknowledged sale is there, whole: its lines (as the cart held them), payments adding up to its total,
  one stock movement per line and one outbox record;
- no sale is there in part, and there is no orphan (line, payment, movement or outbox record without its sale);
- receipt numbers run 1, 2, 3... with no gap and no repeat, and the counter has not run ahead of them;
  so do e-invoice numbers per form and symbol, and every sale since the first invoice has exactly one;
- no idempotency key made two sales, and no sale exists that no client asked for;
- on-hand stock (StockLevel) equals the sum of the ledger for every product (ledger_mismatches);
- PRAGMA integrity_check and foreign_key_check are clean.

Then it restarts the server; a client whose request was cut sends it again after the restart — a checkout with
the SAME idempotency key, which must give back the sale already made if the first attempt had committed.

A SIGKILL ends the process, not the machine: what the OS had been handed survives in its page cache, so this
proves the transactions are atomic and acknowledged only after commit; the power-cut half of durability rests
on PRAGMA synchronous=FULL (pos/db.py), which this bench cannot pull the plug on. The bench runs on Windows
and POSIX alike (no signals, no fork).

    .venv/bin/python bench/crash.py [--cycles 20] [--clients 4] [--port 8340] [--seed N] [--dir FOLDER]

The last line of output is one JSON object: cycles, acknowledged_sales, lost_sales, torn_sales, receipt_gaps,
receipt_repeats, duplicate_sales, ledger_mismatches, integrity_ok, seconds (and a few more counts).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx

SHOWROOM_CODE = "SR01"
POS = [sys.executable, "-c", "from pos.cli import main; main()"]
PASSWORD = "bench-pass-123"
CSRF_RE = re.compile(r'name="csrf[_-]token" (?:value|content)="([^"]+)"')
RECEIPT_RE = re.compile(r"^(?P<prefix>.+)-(?P<year>\d{4})-(?P<n>\d{6,})$")
PRODUCTS = [  # name, price, VAT class: the tills' three rates (8%, 5%, 0%) all appear on the receipts
    ("Mật ong bạc hà Mèo Vạc", 185_000, "standard"),
    ("Chè Shan tuyết Suối Giàng", 240_000, "reduced"),
    ("Nước mắm Phú Quốc 40 độ đạm", 95_000, "standard"),
    ("Gạo ST25 Sóc Trăng 5 kg", 210_000, "reduced"),
    ("Khăn lụa Vạn Phúc", 350_000, "standard"),
    ("Cà phê Robusta Đắk Lắk", 120_000, "reduced"),
    ("Miến dong Bình Liêu", 65_000, "reduced"),
    ("Nón lá Huế", 80_000, "exempt"),
    ("Rượu mơ Yên Tử", 150_000, "standard"),
    ("Tương ớt Mường Khương", 45_000, "standard"),
]
START_STOCK = (
    100_000  # the most one intake line takes; never runs out: a refusal for stock is not what this bench is about
)


# --- the showroom: a migrated database, seeded through the domain code --------------------------------------


@dataclass
class Shop:
    """What the clients need to know about the seeded showroom."""

    instance: Path
    db_path: Path
    cashiers: list[str]
    barcodes: list[str]


def server_env(instance: Path, db_path: Path) -> dict[str, str]:
    """The environment of the server process (and of the seeding app): its own files, no backup, no sync."""
    env = dict(os.environ)
    env.update(
        {
            "POS_INSTANCE_PATH": str(instance),
            "POS_DATABASE_URL": f"sqlite:///{db_path.as_posix()}",
            "POS_BACKUP_ENABLED": "false",
            "POS_SYNC_ENABLED": "false",
            "POS_EINVOICE_ENABLED": "true",  # every sale is an invoice: its numbers are checked too
            "POS_SHOWROOM_CODE": SHOWROOM_CODE,
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def prepare_shop(instance: Path, cashiers: int) -> Shop:
    """Migrate a new database and seed it: producers, products with stock (an intake), cashiers with open shifts."""
    from pos.auth.services import create_user
    from pos.catalog.services import ProducerInput, ProductInput, create_producer, create_product
    from pos.db import make_engine, session_scope
    from pos.inventory.intake import IntakeLineInput, receive_stock
    from pos.migrate import upgrade
    from pos.sales.shifts import open_shift

    instance.mkdir(parents=True, exist_ok=True)
    db_path = instance / "showroom.db"
    upgrade(f"sqlite:///{db_path.as_posix()}")
    engine = make_engine(f"sqlite:///{db_path.as_posix()}")
    names = [f"thungan{i + 1}" for i in range(cashiers)]
    try:
        with session_scope(engine) as session:
            manager = create_user(session, "quanly", "Quản lý kho", "manager", PASSWORD)
            producers = [
                create_producer(session, ProducerInput(name=f"HTX Bench số {i + 1}", province="Hà Nội"), manager.id)
                for i in range(3)
            ]
            products = [
                create_product(
                    session,
                    ProductInput(name=name, producer_id=producers[i % 3].id, price_vnd=price, vat_class=vat_class),
                    manager.id,
                )
                for i, (name, price, vat_class) in enumerate(PRODUCTS)
            ]
            for producer in producers:
                receive_stock(
                    session,
                    producer.id,
                    date.today(),
                    f"PGH-{producer.id}",
                    [
                        IntakeLineInput(
                            product_id=p.id,
                            qty=START_STOCK,
                            unit_cost_vnd=p.price_vnd * 7 // 10,
                            expiry_date=date.today() + timedelta(days=365),
                        )
                        for p in products
                        if p.producer_id == producer.id
                    ],
                    manager.id,
                    today=date.today(),
                )
            for name in names:
                cashier = create_user(session, name, f"Thu ngân {name[-1]}", "cashier", PASSWORD)
                open_shift(session, cashier.id, 1_000_000)  # type: ignore[arg-type]
            barcodes = [str(p.barcode) for p in products]
    finally:
        engine.dispose()
    return Shop(instance=instance, db_path=db_path, cashiers=names, barcodes=barcodes)


def free_port() -> int:
    """A port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerProcess:
    """`pos serve` in a subprocess of its own, started and killed (never stopped politely) by the bench."""

    def __init__(self, shop: Shop, port: int) -> None:
        self.shop = shop
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.log_path = shop.instance / "server.log"

    def start(self, timeout: float = 60.0) -> float:
        """Start the server and wait until it answers; returns the seconds it took."""
        began = time.monotonic()
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [*POS, "serve", "--host", "127.0.0.1", "--port", str(self.port), "--threads", "8"],
                env=server_env(self.shop.instance, self.shop.db_path),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.starts += 1
        deadline = began + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited with {self.proc.returncode}; see {self.log_path}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return time.monotonic() - began
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"the server did not answer within {timeout:.0f} s; see {self.log_path}")

    def kill(self) -> None:
        """Kill outright: SIGKILL on POSIX, TerminateProcess on Windows. Nothing gets to clean up."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
        if self.proc is not None:
            self.proc.wait(timeout=30)


# --- the clients: one till each ------------------------------------------------------------------------------


@dataclass
class Ack:
    """A sale the server acknowledged, and what the cart held when it was sent."""

    key: str
    receipt_number: str
    total_vnd: int
    lines: dict[int, int]  # product id -> qty
    payments: int
    retried: bool


@dataclass
class Ledger:
    """What the clients saw, shared between their threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    acks: dict[str, Ack] = field(default_factory=dict)
    receipts_by_key: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    attempted: set[str] = field(default_factory=set)
    in_flight: dict[str, str] = field(default_factory=dict)  # client name -> checkout key being sent
    cut_requests: int = 0
    cut_checkouts: list[str] = field(default_factory=list)
    retried_checkouts: int = 0
    unexpected: list[str] = field(default_factory=list)
    refused: int = 0

    def acknowledge(self, ack: Ack) -> None:
        with self.lock:
            self.receipts_by_key[ack.key].add(ack.receipt_number)
            self.acks.setdefault(ack.key, ack)


class Cut(Exception):
    """The request never got an answer: the server died under it."""


class Till(threading.Thread):
    """One cashier ringing up sales through the till's JSON API until told to stop."""

    def __init__(
        self, name: str, url: str, shop: Shop, ledger: Ledger, up: threading.Event, stop: threading.Event, seed: int
    ) -> None:
        super().__init__(name=f"till-{name}", daemon=True)
        self.username = name
        self.url = url
        self.shop = shop
        self.ledger = ledger
        self.up = up
        self.stop_event = stop
        self.random = random.Random(seed)
        self.client = httpx.Client(base_url=url, timeout=30.0)
        self.token = ""
        self.sales = 0
        self.error: BaseException | None = None

    # HTTP with the kill in mind: a transport error means "cut"; the caller decides whether to resend.
    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return self.client.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            with self.ledger.lock:
                self.ledger.cut_requests += 1
            raise Cut(str(exc)) from exc

    def _wait_up(self) -> bool:
        """Block until the server is back; False when the bench is stopping and the server stays down."""
        while not self.up.wait(timeout=0.2):
            if self.stop_event.is_set():
                return False
        return True

    def _api(self, method: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        headers = {"X-CSRFToken": self.token, "Accept": "application/json"}
        return self._request(method, path, json=body, headers=headers)

    def login(self) -> None:
        """Log in through the form and take the CSRF token from the till page."""
        page = self._request("GET", "/login").text
        token = CSRF_RE.search(page)
        assert token, "no CSRF token on /login"
        answer = self._request(
            "POST", "/login", data={"username": self.username, "password": PASSWORD, "csrf_token": token.group(1)}
        )
        assert answer.status_code == 302, f"login of {self.username}: {answer.status_code}"
        till = self._request("GET", "/till/").text
        token = CSRF_RE.search(till)
        assert token, "no CSRF token on /till/"
        self.token = token.group(1)

    def run(self) -> None:
        try:
            while not self.stop_event.is_set():
                if not self._wait_up():
                    return
                try:
                    self.sell_one()
                except Cut:
                    continue  # a scan or a cart read cut by the kill: the cart is read afresh after the restart
        except BaseException as exc:  # reported by the bench, not swallowed
            self.error = exc
        finally:
            self.client.close()

    def sell_one(self) -> None:
        """Scan a few products, read the cart back, then check out (resending the same key after a cut)."""
        for _ in range(self.random.randint(1, 4)):
            code = self.random.choice(self.shop.barcodes)
            qty = self.random.choice([1, 1, 1, 2, 3])
            answer = self._api("POST", "/till/api/scan", {"code": f"{qty}*{code}" if qty > 1 else code})
            self._expect(answer, "scan")
        cart = self._api("GET", "/till/api/cart")
        self._expect(cart, "cart")
        data = cart.json()
        if not data["lines"]:
            return
        lines = {int(line["product_id"]): int(line["qty"]) for line in data["lines"]}
        total = int(data["total_vnd"])
        payments = self._payments(total)
        key = str(uuid4())
        body = {"cart_id": data["id"], "payments": payments, "idempotency_key": key, "expected_total_vnd": total}
        with self.ledger.lock:
            self.ledger.attempted.add(key)
            self.ledger.in_flight[self.username] = key
        retried = False
        while True:
            try:
                answer = self._api("POST", "/till/api/checkout", body)
            except Cut:
                with self.ledger.lock:
                    self.ledger.cut_checkouts.append(key)
                    self.ledger.retried_checkouts += 1
                retried = True
                if not self._wait_up():
                    return
                continue  # the SAME key, the same cart: at most one sale whatever happened before the kill
            break
        with self.ledger.lock:
            self.ledger.in_flight.pop(self.username, None)
        self._expect(answer, "checkout")
        receipt = answer.json()
        self.ledger.acknowledge(
            Ack(key, receipt["receipt_number"], int(receipt["total_vnd"]), lines, len(payments), retried)
        )
        self.sales += 1

    def _payments(self, total: int) -> list[dict[str, Any]]:
        """Cash, card, transfer, or cash and transfer together."""
        kind = self.random.choice(["cash", "cash", "card", "transfer", "split"])
        if kind == "cash":
            return [{"method": "cash", "amount_vnd": total + self.random.choice([0, 0, 5_000])}]
        if kind == "card":
            return [{"method": "card", "amount_vnd": total, "reference": f"AUTH{self.random.randint(1, 999999):06d}"}]
        if kind == "transfer":
            return [{"method": "transfer", "amount_vnd": total}]
        part = total // 2
        return [{"method": "transfer", "amount_vnd": part}, {"method": "cash", "amount_vnd": total - part}]

    def _expect(self, answer: httpx.Response, what: str) -> None:
        if answer.status_code == 200:
            return
        message = f"{self.username} {what}: {answer.status_code} {answer.text[:200]}"
        with self.ledger.lock:
            if answer.status_code >= 500 or answer.status_code in (400, 401, 403):
                self.ledger.unexpected.append(message)
            else:
                self.ledger.refused += 1
        raise Cut(message)  # start the next sale from the cart as the server has it


# --- the check, on the SQLite file itself --------------------------------------------------------------------


@dataclass
class Check:
    """What one look at the database found; every count but the first two must be zero."""

    sales: int = 0
    acknowledged: int = 0
    lost_sales: list[str] = field(default_factory=list)
    torn_sales: list[str] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)
    wrong_sales: list[str] = field(default_factory=list)
    receipt_gaps: list[str] = field(default_factory=list)
    receipt_repeats: list[str] = field(default_factory=list)
    duplicate_sales: list[str] = field(default_factory=list)
    unknown_sales: list[str] = field(default_factory=list)
    ledger_mismatches: list[tuple[int, int, int]] = field(default_factory=list)
    integrity_ok: bool = True
    cut_committed: int = 0
    cut_not_committed: int = 0

    @property
    def ok(self) -> bool:
        """Nothing lost, torn, duplicated or out of step."""
        return self.integrity_ok and not any(
            (
                self.lost_sales,
                self.torn_sales,
                self.orphans,
                self.wrong_sales,
                self.receipt_gaps,
                self.receipt_repeats,
                self.duplicate_sales,
                self.unknown_sales,
                self.ledger_mismatches,
            )
        )

    def problems(self) -> list[str]:
        """Every finding, for the log."""
        found = [] if self.integrity_ok else ["integrity_check or foreign_key_check FAILED"]
        for name in (
            "lost_sales",
            "torn_sales",
            "orphans",
            "wrong_sales",
            "receipt_gaps",
            "receipt_repeats",
            "duplicate_sales",
            "unknown_sales",
            "ledger_mismatches",
        ):
            found += [f"{name}: {item}" for item in getattr(self, name)[:5]]
        return found


def _hex(uuid_text: str) -> str:
    return uuid_text.replace("-", "").lower()


def check_database(
    db_path: Path,
    acks: dict[str, Ack],
    receipts_by_key: dict[str, set[str]] | None = None,
    attempted: set[str] | None = None,
    cut_keys: list[str] | None = None,
) -> Check:
    """Open the SQLite file as a crash left it and check every promise the showroom makes about sales."""
    check = Check(acknowledged=len(acks))
    conn = sqlite3.connect(db_path, timeout=30)
    try:
        check.integrity_ok = conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        check.integrity_ok &= conn.execute("PRAGMA foreign_key_check").fetchall() == []
        _check_sales(conn, check, acks, receipts_by_key or {}, attempted, cut_keys or [])
        _check_receipts(conn, check)
    finally:
        conn.close()
    check.ledger_mismatches = _ledger_mismatches(db_path)
    return check


def _check_sales(
    conn: sqlite3.Connection,
    check: Check,
    acks: dict[str, Ack],
    receipts_by_key: dict[str, set[str]],
    attempted: set[str] | None,
    cut_keys: list[str],
) -> None:
    sales = {
        row[0]: row
        for row in conn.execute("SELECT id, uuid, receipt_number, idempotency_key, total_vnd, status FROM sale")
    }
    check.sales = len(sales)
    lines: dict[int, list[tuple[int, int, int, int]]] = defaultdict(list)
    for line_id, sale_id, product_id, qty, total in conn.execute(
        "SELECT id, sale_id, product_id, qty, total_vnd FROM saleline"
    ):
        if sale_id not in sales:
            check.orphans.append(f"sale line {line_id} of missing sale {sale_id}")
        lines[sale_id].append((line_id, product_id, qty, total))
    paid: dict[int, list[int]] = defaultdict(list)
    for payment_id, sale_id, amount in conn.execute("SELECT id, sale_id, amount_vnd FROM payment"):
        if sale_id not in sales:
            check.orphans.append(f"payment {payment_id} of missing sale {sale_id}")
        paid[sale_id].append(amount)
    line_ids = {line[0]: line for sale_lines in lines.values() for line in sale_lines}
    moves: dict[int, list[int]] = defaultdict(list)
    for move_id, line_id, delta in conn.execute(
        "SELECT id, sale_line_id, qty_delta FROM stockmovement WHERE kind = 'sale'"
    ):
        if line_id not in line_ids:
            check.orphans.append(f"sale movement {move_id} of missing sale line {line_id}")
        moves[line_id].append(delta)
    outbox: Counter[str] = Counter(
        _hex(row[0]) for row in conn.execute("SELECT entity_uuid FROM outboxrecord WHERE kind = 'sale'")
    )
    by_uuid = {_hex(str(row[1])): row for row in sales.values()}
    for entity in outbox:
        if entity not in by_uuid:
            check.orphans.append(f"outbox record of missing sale {entity}")

    by_key: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for sale_id, uuid, number, key, total, _status in sales.values():
        by_key[key].append(sales[sale_id])
        problems = []
        sale_lines = lines.get(sale_id, [])
        if not sale_lines:
            problems.append("no lines")
        if sum(line[3] for line in sale_lines) != total:
            problems.append("lines do not add up to the total")
        if not paid.get(sale_id):
            problems.append("no payment")
        elif sum(paid[sale_id]) != total:
            problems.append("payments do not add up to the total")
        for line_id, _product, qty, _total in sale_lines:
            if moves.get(line_id) != [-qty]:
                problems.append(f"line {line_id}: stock movements {moves.get(line_id)} for qty {qty}")
        if outbox.get(_hex(str(uuid)), 0) != 1:
            problems.append(f"{outbox.get(_hex(str(uuid)), 0)} outbox records")
        if problems:
            check.torn_sales.append(f"{number}: {'; '.join(problems)}")

    for key, rows in by_key.items():
        if len(rows) > 1:
            check.duplicate_sales.append(f"key {key}: sales {[r[2] for r in rows]}")
        if attempted is not None and key not in attempted:
            check.unknown_sales.append(f"{rows[0][2]} made with key {key} that no till sent")
    for key, numbers in receipts_by_key.items():
        if len(numbers) > 1:
            check.duplicate_sales.append(f"key {key} acknowledged as {sorted(numbers)}")
    for key, ack in acks.items():
        rows = by_key.get(key)
        if not rows:
            check.lost_sales.append(f"{ack.receipt_number} (key {key})")
            continue
        sale_id, _uuid, number, _key, total, _status = rows[0]
        sold = defaultdict(int)
        for _line_id, product_id, qty, _total in lines.get(sale_id, []):
            sold[product_id] += qty
        if number != ack.receipt_number:
            check.lost_sales.append(f"{ack.receipt_number} acknowledged, but key {key} holds {number}")
        elif total != ack.total_vnd or dict(sold) != ack.lines or len(paid.get(sale_id, [])) != ack.payments:
            check.wrong_sales.append(f"{number}: not the sale the till sent")
    for key in set(cut_keys):
        if key in by_key:
            check.cut_committed += 1
        else:
            check.cut_not_committed += 1


def _check_receipts(conn: sqlite3.Connection, check: Check) -> None:
    """Per showroom and year: numbers 1..n, each once, and the counter standing at n."""
    numbers: dict[tuple[str, str], list[int]] = defaultdict(list)
    for (number,) in conn.execute("SELECT receipt_number FROM sale"):
        match = RECEIPT_RE.match(number)
        if match is None:
            check.receipt_gaps.append(f"malformed receipt number {number}")
            continue
        numbers[(match["prefix"], match["year"])].append(int(match["n"]))
    counters = {
        name: value for name, value in conn.execute("SELECT name, value FROM counter WHERE name LIKE 'receipt:%'")
    }
    for (prefix, year), seen in numbers.items():
        repeats = [n for n, c in Counter(seen).items() if c > 1]
        check.receipt_repeats += [f"{prefix}-{year}-{n:06d}" for n in repeats]
        top = max(counters.get(f"receipt:{prefix}:{year}", 0), max(seen))
        missing = sorted(set(range(1, top + 1)) - set(seen))
        check.receipt_gaps += [f"{prefix}-{year}-{n:06d}" for n in missing]
    _check_invoices(conn, check)


def _check_invoices(conn: sqlite3.Connection, check: Check) -> None:
    """E-invoices (when on): per form and symbol numbers 1..n each once, the counter at n; one original per sale."""
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'invoice'").fetchone():
        return
    numbers: dict[str, list[int]] = defaultdict(list)
    for form, symbol, number in conn.execute("SELECT form, symbol, number FROM invoice"):
        numbers[f"{form}{symbol}"].append(int(number))
    counters = dict(conn.execute("SELECT name, value FROM counter WHERE name LIKE 'invoice:%'").fetchall())
    for series, seen in numbers.items():
        check.receipt_repeats += [f"invoice {series} {n}" for n, c in Counter(seen).items() if c > 1]
        top = max(counters.get(f"invoice:{series}", 0), max(seen))
        check.receipt_gaps += [f"invoice {series} {n}" for n in sorted(set(range(1, top + 1)) - set(seen))]
    if numbers:
        check.torn_sales += [
            f"sale {sale_id} has {n} original invoices"
            for sale_id, n in conn.execute(
                # Sales from before e-invoices were turned on have none; every later one has exactly one.
                "SELECT s.id, count(i.id) FROM sale s LEFT JOIN invoice i ON i.sale_id = s.id AND i.kind = 'original' "
                "WHERE s.id >= (SELECT min(sale_id) FROM invoice) GROUP BY s.id HAVING count(i.id) != 1"
            )
        ]


def _ledger_mismatches(db_path: Path) -> list[tuple[int, int, int]]:
    from sqlmodel import Session

    from pos.db import make_engine
    from pos.inventory.ledger import ledger_mismatches

    engine = make_engine(f"sqlite:///{db_path.as_posix()}")
    try:
        with Session(engine) as session:
            return ledger_mismatches(session)
    finally:
        engine.dispose()


# --- the run -------------------------------------------------------------------------------------------------


@dataclass
class Result:
    """The bench's figures; ``ok`` when nothing was lost, torn or duplicated and every check passed."""

    cycles: int = 0
    acknowledged_sales: int = 0
    sales_in_database: int = 0
    lost_sales: int = 0
    torn_sales: int = 0
    orphan_records: int = 0
    wrong_sales: int = 0
    receipt_gaps: int = 0
    receipt_repeats: int = 0
    duplicate_sales: int = 0
    unknown_sales: int = 0
    ledger_mismatches: int = 0
    integrity_ok: bool = True
    cut_requests: int = 0
    cut_checkouts: int = 0
    cut_checkouts_committed: int = 0
    cut_checkouts_not_committed: int = 0
    retried_checkouts: int = 0
    acknowledged_after_retry: int = 0
    unexpected_answers: int = 0
    refused_requests: int = 0
    mean_restart_s: float = 0.0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Zero of everything that must be zero."""
        return (
            self.integrity_ok
            and self.cycles > 0
            and self.acknowledged_sales > 0
            and not any(
                (
                    self.lost_sales,
                    self.torn_sales,
                    self.orphan_records,
                    self.wrong_sales,
                    self.receipt_gaps,
                    self.receipt_repeats,
                    self.duplicate_sales,
                    self.unknown_sales,
                    self.ledger_mismatches,
                    self.unexpected_answers,
                )
            )
        )

    def figures(self) -> dict[str, Any]:
        """The JSON line."""
        return {k: v for k, v in self.__dict__.items() if k != "problems"} | {"ok": self.ok}


def run_bench(
    cycles: int = 20,
    clients: int = 4,
    port: int | None = None,
    seed: int | None = None,
    workdir: Path | None = None,
    min_run_s: float = 0.3,
    max_run_s: float = 2.0,
    min_sales_per_cycle: int = 0,
    log: Any = print,
) -> Result:
    """Seed a showroom, sell into it from ``clients`` tills, kill the server ``cycles`` times and check after each."""
    began = time.monotonic()
    rnd = random.Random(seed)
    own_dir = workdir is None
    root = Path(tempfile.mkdtemp(prefix="pos-crash-")) if workdir is None else workdir
    shop = prepare_shop(root / "instance", clients)
    server = ServerProcess(shop, port or free_port())
    ledger = Ledger()
    up, stop = threading.Event(), threading.Event()
    result = Result()
    restarts: list[float] = []
    tills: list[Till] = []
    try:
        restarts.append(server.start())
        for i, name in enumerate(shop.cashiers):
            till = Till(name, server.url, shop, ledger, up, stop, rnd.randrange(2**32) + i)
            till.login()
            tills.append(till)
        up.set()
        for till in tills:
            till.start()
        for cycle in range(1, cycles + 1):
            targeted = cycle % 2 == 0
            _wait_for_sales(ledger, min_sales_per_cycle)
            _wait_for_the_moment(rnd, ledger, targeted, min_run_s, max_run_s)
            up.clear()
            server.kill()
            with ledger.lock:
                acks = dict(ledger.acks)
                receipts = {k: set(v) for k, v in ledger.receipts_by_key.items()}
                attempted = set(ledger.attempted)
                # A checkout still waiting for its answer when the server died: was it committed or not?
                cut = [key for key in ledger.in_flight.values() if key not in acks]
            check = check_database(shop.db_path, acks, receipts, attempted, cut)
            result.cycles = cycle
            _fold(result, check)
            result.cut_checkouts_committed += check.cut_committed
            result.cut_checkouts_not_committed += check.cut_not_committed
            log(
                f"cycle {cycle:3d}: killed {'after a checkout was sent' if targeted else 'at a random moment'}; "
                f"{check.sales} sales in the file, {check.acknowledged} acknowledged; "
                + ("all checks pass" if check.ok else "PROBLEMS: " + " | ".join(check.problems()))
            )
            if not check.ok:
                result.problems += check.problems()
            restarts.append(server.start())
            up.set()
        # Let every till finish the sale it was on (a cut checkout is resent and acknowledged), then a last look.
        time.sleep(0.5)
        stop.set()
        for till in tills:
            till.join(timeout=60)
        server.kill()
        with ledger.lock:
            final = check_database(
                shop.db_path, dict(ledger.acks), dict(ledger.receipts_by_key), set(ledger.attempted), []
            )
        _fold(result, final)
        result.sales_in_database = final.sales
        log(
            f"final: {final.sales} sales in the file, {final.acknowledged} acknowledged; "
            + ("all checks pass" if final.ok else "PROBLEMS: " + " | ".join(final.problems()))
        )
        if not final.ok:
            result.problems += final.problems()
        if final.sales != final.acknowledged:
            # Every till resends until it gets its answer, so at the end every sale made has been acknowledged.
            result.unknown_sales += abs(final.sales - final.acknowledged)
            result.problems.append(f"{final.sales} sales in the file but {final.acknowledged} acknowledged")
    finally:
        stop.set()
        up.set()
        server.kill()
        for till in tills:
            till.join(timeout=10)
    for till in tills:
        if till.error is not None:
            result.problems.append(f"{till.name} stopped: {till.error!r}")
            result.unexpected_answers += 1
    result.acknowledged_sales = len(ledger.acks)
    result.cut_requests = ledger.cut_requests
    result.cut_checkouts = len(set(ledger.cut_checkouts))
    result.retried_checkouts = ledger.retried_checkouts
    result.acknowledged_after_retry = sum(1 for ack in ledger.acks.values() if ack.retried)
    result.unexpected_answers += len(ledger.unexpected)
    result.problems += ledger.unexpected[:10]
    result.refused_requests = ledger.refused
    result.mean_restart_s = round(sum(restarts) / len(restarts), 2) if restarts else 0.0
    result.seconds = round(time.monotonic() - began, 1)
    if own_dir and result.ok:
        shutil.rmtree(root, ignore_errors=True)
    elif own_dir:
        log(f"the database and server log are kept in {root}")
    return result


def _wait_for_sales(ledger: Ledger, count: int, limit_s: float = 120.0) -> None:
    """Wait until the tills have had ``count`` more sales acknowledged, so a loaded machine still sells each cycle."""
    with ledger.lock:
        target = len(ledger.acks) + count
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        with ledger.lock:
            if len(ledger.acks) >= target:
                return
        time.sleep(0.01)


def _wait_for_the_moment(
    rnd: random.Random, ledger: Ledger, targeted: bool, min_run_s: float, max_run_s: float
) -> None:
    """Sleep a random while; for a targeted kill, then wait for a checkout to be in flight and strike within 40 ms."""
    time.sleep(rnd.uniform(min_run_s, max_run_s))
    if not targeted:
        return
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with ledger.lock:
            busy = bool(ledger.in_flight)
        if busy:
            time.sleep(rnd.uniform(0, 0.04))
            return
        time.sleep(0.001)


def _fold(result: Result, check: Check) -> None:
    """Keep the worst of every count seen across the cycles."""
    result.lost_sales = max(result.lost_sales, len(check.lost_sales))
    result.torn_sales = max(result.torn_sales, len(check.torn_sales))
    result.orphan_records = max(result.orphan_records, len(check.orphans))
    result.wrong_sales = max(result.wrong_sales, len(check.wrong_sales))
    result.receipt_gaps = max(result.receipt_gaps, len(check.receipt_gaps))
    result.receipt_repeats = max(result.receipt_repeats, len(check.receipt_repeats))
    result.duplicate_sales = max(result.duplicate_sales, len(check.duplicate_sales))
    result.unknown_sales = max(result.unknown_sales, len(check.unknown_sales))
    result.ledger_mismatches = max(result.ledger_mismatches, len(check.ledger_mismatches))
    result.integrity_ok = result.integrity_ok and check.integrity_ok


def main() -> None:
    """Command line: run the bench and print one JSON line last."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cycles", type=int, default=20, help="kill-and-restart cycles (at least 20 for the note)")
    parser.add_argument("--clients", type=int, default=4, help="tills selling at once, each its own cashier")
    parser.add_argument("--port", type=int, default=8340, help="port of the showroom server (0: any free one)")
    parser.add_argument("--seed", type=int, default=None, help="seed of the kill times and the baskets")
    parser.add_argument("--dir", type=Path, default=None, help="work folder (default: a temporary one)")
    args = parser.parse_args()
    result = run_bench(args.cycles, args.clients, args.port or None, args.seed, args.dir)
    for problem in result.problems:
        print("problem:", problem)
    print(json.dumps(result.figures(), ensure_ascii=False))
    sys.exit(0 if result.ok else 1)


if __name__ == "__main__":
    main()
