"""A real two-process sync: a showroom (SQLite) and a central server (PostgreSQL), each served by waitress in its
own process on loopback, with a proxy between them that breaks pushes on purpose.

Sales are rung up by the till's own code (cart, checkout, void, return, shift close), so the payloads are
the real ones. Faults: the central server killed while a batch is inside its transaction and restarted;
killed after committing but before answering; the showroom's sync process killed while it waits for an
answer; a 500; a timeout; a captured request replayed, tampered with, re-signed; an old timestamp; a wrong,
a revoked and a rotated key; a showroom pushing another's code; malformed and invalid bodies. Afterwards the
central server holds every outbox record exactly once and its sales equal the showroom's, one by one.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import psycopg
import pytest
from sqlmodel import select

from pos.auth.services import create_user
from pos.catalog.models import Producer, Product
from pos.catalog.services import producer_payload, product_payload
from pos.central import credentials, summaries
from pos.central.ingest import dangling_references
from pos.central.migrate import upgrade as central_upgrade
from pos.db import make_engine, session_scope, utcnow
from pos.sales.cart import get_or_create_active_cart
from pos.sales.checkout import complete_sale
from pos.sales.models import Payment, Sale, SaleLine, SaleReturn, Shift
from pos.sales.pricing import PaymentInput
from pos.sales.returns import create_return, void_last_sale
from pos.sales.scanning import add_product
from pos.sales.shifts import close_shift, open_shift
from pos.sync import signing
from pos.sync.client import save_secret
from pos.sync.models import OutboxRecord
from pos.sync.outbox import enqueue
from pos.text import fold

pytestmark = pytest.mark.postgres

PUSH = "/api/v1/sync/batches"
POS = [sys.executable, "-c", "from pos.cli import main; main()"]
CLIENT_TIMEOUT_S = 2


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(url: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} did not come up")


class Server:
    """`pos serve` in a subprocess; killed (not stopped) when a test says so."""

    def __init__(self, env: dict[str, str], port: int, log: Path) -> None:
        self.env, self.port, self.log = env, port, log
        self.url = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Server:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [*POS, "serve", "--port", str(self.port), "--threads", "4"], env=self.env, stdout=out, stderr=out
            )
        wait_for(f"{self.url}/healthz")
        return self

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()  # SIGKILL on POSIX, TerminateProcess on Windows: no clean shutdown
            self.proc.wait(10)


def read_message(stream: Any) -> bytes | None:
    """One HTTP/1.1 message (head and Content-Length body) as raw bytes; None at end of stream."""
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        line = stream.readline()
        if not line:
            return None
        head += line
    match = re.search(rb"(?im)^content-length:\s*(\d+)", head)
    length = int(match.group(1)) if match else 0
    return head + (stream.read(length) if length else b"")


class FaultProxy:
    """Loopback TCP proxy from the showroom to the central server; each planned push fault applies to one push."""

    def __init__(self, upstream: int) -> None:
        self.upstream = upstream
        self.plan: list[str] = []
        self.captured: list[bytes] = []
        self.held = threading.Event()
        self.release = threading.Event()
        self.on_kill_mid: Callable[[], None] = lambda: None
        self.on_kill_after_ack: Callable[[], None] = lambda: None
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self.listener.close()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn, conn.makefile("rb") as reader:
            while True:
                request = read_message(reader)
                if request is None:
                    return
                action = "pass"
                if request.startswith(f"POST {PUSH} ".encode()):
                    self.captured.append(request)
                    action = self.plan.pop(0) if self.plan else "pass"
                if action == "500":
                    conn.sendall(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 5\r\n\r\nboom!")
                    continue
                try:
                    response = self._forward(request, action)
                except OSError:
                    return
                if action == "slow":
                    conn.settimeout(CLIENT_TIMEOUT_S + 5)
                    with contextlib.suppress(OSError):
                        conn.recv(1)  # the answer is held until the showroom gives up waiting and hangs up
                    return
                if response is None:
                    return  # the connection drops without an answer
                conn.sendall(response)

    def _forward(self, request: bytes, action: str) -> bytes | None:
        with socket.create_connection(("127.0.0.1", self.upstream), timeout=30) as up, up.makefile("rb") as reader:
            up.sendall(request)
            if action == "kill_mid":
                self.on_kill_mid()
                return None
            response = read_message(reader)
            if action == "kill_after_ack":
                self.on_kill_after_ack()
                return None
            if action == "hold":
                self.held.set()
                self.release.wait(30)
                return None
            return response


# --- The showroom, rung up by the till's own code --------------------------------------------------------------------


class Till:
    """A showroom database with staff, products and the till's own functions to sell, void, return and close."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.rng = random.Random(5)
        with session_scope(engine) as s:
            self.cashier = create_user(s, "thungan", "Thu Ngân", "cashier", "thungan-pass").id
            self.manager = create_user(s, "quanly", "Quản Lý", "manager", "quanly-pass").id
            producers = []
            for n, province in enumerate(["Thái Nguyên", "Hòa Bình", "Hà Nội"]):
                producer = Producer(name=f"HTX số {n}", name_search=fold(f"HTX số {n}"), province=province)
                s.add(producer)
                s.flush()
                enqueue(s, "producer", producer.uuid, dict(producer_payload(producer)))
                producers.append(producer)
            self.products = []
            for n in range(24):
                producer = producers[n % 3]
                product = Product(
                    sku=f"SP{n:03d}",
                    name=f"Sản phẩm OCOP {n}",
                    name_search=fold(f"San pham OCOP {n}"),
                    price_vnd=self.rng.choice([35_000, 60_000, 85_000, 120_000]),
                    producer_id=producer.id,  # type: ignore[arg-type]
                    ocop_stars=self.rng.choice([3, 4, 5]),
                    ocop_group=self.rng.choice(["thuc_pham", "do_uong", "luu_niem"]),
                )
                s.add(product)
                s.flush()
                enqueue(s, "product", product.uuid, dict(product_payload(product, producer.uuid)))
                self.products.append(product.id)

    def shift(self, sales: int) -> None:
        """Open a shift, sell, void the last sale once, take a return, close the shift."""
        with session_scope(self.engine) as s:
            shift_id = open_shift(s, self.cashier, 500_000).id
        receipts = []
        for n in range(sales):
            with session_scope(self.engine) as s:
                cart = get_or_create_active_cart(s, self.cashier)
                for product_id in self.rng.sample(self.products, self.rng.choice([1, 2, 3, 4, 5, 6])):
                    add_product(s, cart, product_id, self.rng.choice([1, 1, 2, 3]))
                method = self.rng.choice(["cash", "cash", "card", "transfer"])
                s.flush()
                from pos.sales.cart import price_cart
                from pos.sales.vat import local_date

                total = price_cart(s, cart, local_date(utcnow(), "Asia/Ho_Chi_Minh"))[1].total_vnd
                if method == "cash":
                    payment = PaymentInput(method, -(-total // 50_000) * 50_000)
                else:
                    payment = PaymentInput(method, total, reference=f"GD{n:06d}")
                sale = complete_sale(
                    s,
                    cart.id,
                    [payment],
                    self.cashier,
                    uuid4().hex,
                    "SR01",
                    True,
                    utcnow(),  # type: ignore[arg-type]
                )
                receipts.append(sale.receipt_number)
            if n == sales // 2:
                with session_scope(self.engine) as s:
                    void_last_sale(s, s.get(Shift, shift_id), "quanly", "quanly-pass", "Khách không lấy", self.manager)  # type: ignore[arg-type]
                    receipts.pop()
        with session_scope(self.engine) as s:
            sale = s.exec(select(Sale).where(Sale.receipt_number == receipts[1])).one()
            line = s.exec(select(SaleLine).where(SaleLine.sale_id == sale.id)).first()
            create_return(
                s,
                sale.receipt_number,
                {line.id: 1},
                "cash",
                "Hàng lỗi",
                self.cashier,
                s.get(Shift, shift_id),
                uuid4().hex,  # type: ignore[union-attr]
            )
        with session_scope(self.engine) as s:
            close_shift(s, s.get(Shift, shift_id), {}, self.cashier, self.manager, threshold_vnd=10**12)  # type: ignore[arg-type]


class ShowroomPages:
    """The showroom's pages over HTTP, logged in as the manager: the way "Đồng bộ ngay" is pressed."""

    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=url, follow_redirects=True, timeout=60)
        self.http.post(
            "/login", data={"username": "quanly", "password": "quanly-pass", "csrf_token": self._token("/login")}
        )

    def _token(self, path: str) -> str:
        match = re.search(r'name="csrf_token" value="([^"]+)"', self.http.get(path).text)
        assert match, path
        return match.group(1)

    def close(self) -> None:
        self.http.close()

    def sync_now(self) -> str:
        """Press the button; the page's message (the showroom runs it inline: automatic sync is off)."""
        html = self.http.post("/sync/run", data={"csrf_token": self._token("/sync")}).text
        match = re.search(r'class="flash flash-(\w+)" role="alert">([^<]+)<', html)
        assert match, html[:2000]
        return f"{match.group(1)}: {match.group(2)}"


# --- The test ---------------------------------------------------------------------------------------------------


@pytest.fixture
def world(tmp_path: Path, pg_database: Callable[[], str], migrated_template: Path) -> Iterator[dict[str, Any]]:
    """Central database and server, proxy, showroom database and server; all stopped afterwards."""
    central_url = pg_database()
    central_upgrade(central_url)
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("POS_")}
    central_env = {
        **base_env,
        "POS_ROLE": "central",
        "POS_DATABASE_URL": central_url,
        "POS_INSTANCE_PATH": str(tmp_path / "central"),
    }
    central = Server(central_env, free_port(), tmp_path / "central.log").start()
    proxy = FaultProxy(central.port)

    db = tmp_path / "showroom" / "showroom.db"
    db.parent.mkdir()
    shutil.copyfile(migrated_template, db)
    showroom_env = {
        **base_env,
        "POS_DATABASE_URL": f"sqlite:///{db.as_posix()}",
        "POS_INSTANCE_PATH": str(db.parent),
        "POS_SHOWROOM_CODE": "SR01",
        "POS_SYNC_CENTRAL_URL": proxy.url,
        "POS_SYNC_ENABLED": "false",  # no thread of its own: "Đồng bộ ngay" runs in the request
        "POS_SYNC_BATCH_SIZE": "120",
        "POS_SYNC_RETRIES": "0",
        "POS_SYNC_TIMEOUT_S": str(CLIENT_TIMEOUT_S),
        "POS_BACKUP_ENABLED": "false",
    }
    engine = make_engine(f"sqlite:///{db.as_posix()}")
    world = {
        "central": central,
        "central_env": central_env,
        "central_db": central_url,
        "proxy": proxy,
        "showroom_env": showroom_env,
        "engine": engine,
        "tmp": tmp_path,
    }
    showroom = None
    try:
        world["till"] = Till(engine)
        showroom = Server(showroom_env, free_port(), tmp_path / "showroom.log")
        world["showroom"] = showroom
        yield world
    finally:
        for server in (showroom, central):
            if server is not None:
                server.kill()
        proxy.close()
        engine.dispose()


def cli(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([*POS, *args], env=env, capture_output=True, text=True, timeout=60)
    if check:
        assert done.returncode == 0, done.stderr
    return done


def in_transaction(central_db: str) -> Callable[[], bool]:
    """Whether the central server has a transaction open in its database right now."""
    url = central_db.replace("postgresql+psycopg://", "postgresql://")

    def check() -> bool:
        with psycopg.connect(url, autocommit=True) as conn:
            return bool(
                conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid() AND state IN ('active', 'idle in transaction') "
                    "AND xact_start IS NOT NULL"
                ).fetchone()[0]  # type: ignore[index]
            )

    return check


def outbox_state(engine: Any) -> tuple[int, int]:
    with session_scope(engine, write=False) as s:
        rows = s.exec(select(OutboxRecord.sent_at)).all()
    return len(rows), sum(1 for sent in rows if sent is not None)


def central_count(world: dict[str, Any], table: str) -> int:
    url = world["central_db"].replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # type: ignore[index]


def test_two_processes_sync_every_record_exactly_once_through_faults(world: dict[str, Any]) -> None:
    central: Server = world["central"]
    proxy: FaultProxy = world["proxy"]
    till: Till = world["till"]
    engine = world["engine"]

    # The office registers the showroom (the secret is printed once) and another for the cross-showroom case.
    printed = cli(
        world["central_env"], "central-register-showroom", "SR01", "--name", "Hoàn Kiếm", "--province", "Hà Nội"
    ).stdout
    secret = re.search(r"^(ocop1\.\S+)$", printed, re.M).group(1)  # type: ignore[union-attr]
    central_engine = make_engine(world["central_db"])
    with session_scope(central_engine) as s:
        other = credentials.register_showroom(s, "SR02", "Long Biên", "Hà Nội").secret
    save_secret({"INSTANCE_PATH": world["showroom_env"]["POS_INSTANCE_PATH"]}, secret)
    world["showroom"].start()
    pages = ShowroomPages(world["showroom"].url)

    def restart_central() -> None:
        central.kill()
        central.start()

    # 1. The central server is killed while the second batch is inside its transaction, then restarted.
    till.shift(sales=250)
    is_busy = in_transaction(world["central_db"])

    def kill_mid() -> None:
        deadline = time.monotonic() + 5
        while not is_busy() and time.monotonic() < deadline:
            time.sleep(0.002)
        central.kill()

    proxy.on_kill_mid = kill_mid
    proxy.plan = ["pass", "kill_mid"]
    assert pages.sync_now().startswith("error:")
    total, sent = outbox_state(engine)
    assert sent == 120 and total > 240
    central.start()
    held = central_count(world, "sync_record")
    assert held in (120, 240), "a batch is stored whole or not at all"
    assert pages.sync_now().startswith("success:")
    assert outbox_state(engine) == (total, total)

    # 2. Killed after committing, before answering: the answer is lost; the next run is told "already held".
    till.shift(sales=60)
    proxy.on_kill_after_ack = central.kill
    proxy.plan = ["kill_after_ack"]
    assert pages.sync_now().startswith("error:")
    central.start()
    message = pages.sync_now()
    assert message.startswith("success:"), message

    # 3. The showroom's own sync process is killed while it waits for the answer; the next run finishes.
    till.shift(sales=30)
    proxy.plan = ["hold"]
    proxy.held.clear()
    proxy.release.clear()
    syncing = subprocess.Popen(
        [*POS, "sync"], env=world["showroom_env"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    assert proxy.held.wait(30)
    syncing.kill()
    syncing.wait(10)
    proxy.release.set()
    total, sent = outbox_state(engine)
    assert sent < total
    assert pages.sync_now().startswith("success:")

    # 4. A 500, then a timeout (committed on the central side, unanswered in time).
    till.shift(sales=20)
    proxy.plan = ["500"]
    assert "HTTP 500" in pages.sync_now()
    proxy.plan = ["slow"]
    assert "không trả lời kịp" in pages.sync_now()
    assert pages.sync_now().startswith("success:")

    # 5. Requests made by someone else, straight at the central server.
    before = central_count(world, "sync_record")
    raw = proxy.captured[-1]
    head, body = raw.split(b"\r\n\r\n", 1)
    headers = dict(line.split(": ", 1) for line in head.decode("latin-1").split("\r\n")[1:] if ": " in line)
    for name in ("Host", "Content-Length"):
        headers.pop(name, None)
    with httpx.Client(base_url=central.url) as attacker:
        assert attacker.post(PUSH, content=body, headers=headers).json()["code"] == "replay"
        tampered = body[:-40] + bytes(reversed(body[-40:]))
        assert attacker.post(PUSH, content=tampered, headers=headers).json()["code"] == "bad_credentials"

        key = signing.derive_key(secret, "SR01")
        resigned = attacker.post(
            PUSH, content=body, headers={**headers, **signing.signed_headers(key, "SR01", "POST", PUSH, body)}
        )
        assert resigned.status_code == 200 and resigned.json()["new"] == 0  # a replayed batch changes nothing
        old = signing.signed_headers(key, "SR01", "POST", PUSH, body, now=time.time() - 3600)
        assert attacker.post(PUSH, content=body, headers={**headers, **old}).json()["code"] == "stale_timestamp"

        theirs = signing.derive_key(other, "SR02")
        as_sr02 = attacker.post(
            PUSH, content=body, headers={**headers, **signing.signed_headers(theirs, "SR02", "POST", PUSH, body)}
        )
        assert (as_sr02.status_code, as_sr02.json()["code"]) == (403, "showroom_mismatch")
        forged = attacker.post(
            PUSH, content=body, headers={**headers, **signing.signed_headers(theirs, "SR01", "POST", PUSH, body)}
        )
        assert (forged.status_code, forged.json()["code"]) == (401, "bad_credentials")

        plain = {"Content-Type": "application/json"}
        for bad, status, field in [
            (b"{not json", 400, "body"),
            (
                json.dumps({"showroom": "SR01", "payload_version": 1, "records": [{"seq": 1}]}).encode(),
                422,
                "records[0].kind",
            ),
        ]:
            answer = attacker.post(
                PUSH, content=bad, headers={**plain, **signing.signed_headers(key, "SR01", "POST", PUSH, bad)}
            )
            assert (answer.status_code, answer.json()["field"]) == (status, field)
    assert central_count(world, "sync_record") == before

    # 6. A wrong key, a revoked key, then the rotated one.
    till.shift(sales=5)
    instance = {"INSTANCE_PATH": world["showroom_env"]["POS_INSTANCE_PATH"]}
    save_secret(instance, signing.new_secret())
    assert "khóa đồng bộ không đúng" in pages.sync_now()
    save_secret(instance, secret)
    with session_scope(central_engine) as s:
        credentials.revoke_credential(s, "SR01")
    central_engine.dispose()
    assert "thu hồi" in pages.sync_now()
    rotated = re.search(r"^(ocop1\.\S+)$", cli(world["central_env"], "central-rotate", "SR01").stdout, re.M).group(1)  # type: ignore[union-attr]
    save_secret(instance, rotated)
    assert pages.sync_now().startswith("success:")

    # Afterwards: every record exactly once, and the central server's sales equal the showroom's, one by one.
    with session_scope(engine, write=False) as s:
        outbox = [(r.id, r.kind, r.entity_uuid) for r in s.exec(select(OutboxRecord).order_by(OutboxRecord.id))]  # type: ignore[arg-type]
        assert all(r.sent_at is not None for r in s.exec(select(OutboxRecord)))
        sales = {
            str(sale.uuid): (
                sale.total_vnd,
                sale.status,
                sorted(
                    (ln.line_no, ln.qty, ln.total_vnd)
                    for ln in s.exec(select(SaleLine).where(SaleLine.sale_id == sale.id))
                ),
                sorted((p.method, p.amount_vnd) for p in s.exec(select(Payment).where(Payment.sale_id == sale.id))),
            )
            for sale in s.exec(select(Sale))
        }
        returns = {str(r.uuid): r.total_vnd for r in s.exec(select(SaleReturn))}
    url = world["central_db"].replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url) as conn:
        held_records = conn.execute(
            "SELECT seq, kind, entity_uuid::text FROM sync_record r JOIN showroom s ON s.id = r.showroom_id "
            "WHERE s.code = 'SR01' ORDER BY seq"
        ).fetchall()
        assert [tuple(r) for r in held_records] == outbox
        central_sales = {}
        for uuid, total, status, sale_id in conn.execute("SELECT uuid::text, total_vnd, status, id FROM sale"):
            lines = conn.execute(
                "SELECT line_no, qty, total_vnd FROM sale_line WHERE sale_id = %s ORDER BY line_no", (sale_id,)
            ).fetchall()
            pays = conn.execute("SELECT method, amount_vnd FROM payment WHERE sale_id = %s", (sale_id,)).fetchall()
            central_sales[uuid] = (
                int(total),
                status,
                sorted((a, b, int(c)) for a, b, c in lines),
                sorted((m, int(a)) for m, a in pays),
            )
        assert central_sales == sales
        assert dict((u, int(t)) for u, t in conn.execute("SELECT uuid::text, total_vnd FROM sale_return")) == returns
        checks = conn.execute("SELECT check_status, count(*) FROM shift_close GROUP BY 1").fetchall()
        assert checks == [("ok", 5)], checks
        stubs = conn.execute("SELECT count(*) FROM product WHERE is_stub").fetchone()[0]  # type: ignore[index]
        assert stubs == 0
        # The office's summaries, kept push by push through every fault, equal the raw tables and the till's sales.
        net = conn.execute("SELECT SUM(sales_vnd) - SUM(refunds_vnd) FROM summary_showroom_day").fetchone()[0]  # type: ignore[index]
        assert net == sum(t for t, status, _l, _p in sales.values() if status == "completed") - sum(returns.values())
    summary_engine = make_engine(world["central_db"])
    with summary_engine.connect() as sa_conn:
        agreed = summaries.check(sa_conn)
        assert dangling_references(sa_conn) == {}  # the ingest kept the line tables' references through it all
    summary_engine.dispose()
    assert agreed.ok, agreed.differences
    assert len(proxy.captured) >= 8
    pages.close()
