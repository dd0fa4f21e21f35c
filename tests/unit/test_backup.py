"""Backups under a sale load, rotation, restore and its refusals, and the daily backup thread."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pos import backup as bk
from pos.db import session_scope
from pos.inventory.ledger import record_movement
from pos.inventory.models import StockMovement
from pos.migrate import upgrade
from pos.sales.models import Payment, Sale, SaleLine, Shift
from pos.sync.outbox import enqueue

# --- helpers -------------------------------------------------------------------------------------------------


def complete_one_sale(engine: Any, n: int, shift_id: int, cashier_id: int, product: Any) -> str:
    """One whole sale in one transaction, through the till's checkout when this build has it."""
    try:
        from pos.sales import cart as carts
        from pos.sales import scanning
        from pos.sales.checkout import complete_sale
        from pos.sales.pricing import PaymentInput
    except ImportError:
        return complete_raw_sale(engine, n, shift_id, cashier_id, product)
    with session_scope(engine) as s:
        cart = carts.get_or_create_active_cart(s, cashier_id)
        scanning.add_product(s, cart, product.id)
        sale = complete_sale(
            s,
            cart_id=cart.id,
            payments=[PaymentInput("cash", product.price_vnd)],
            cashier_id=cashier_id,
            idempotency_key=f"key-{n:08d}",
            showroom_code="SR01",
            allow_negative=False,
            now=datetime.now(UTC),
        )
        return sale.receipt_number


def complete_raw_sale(engine: Any, n: int, shift_id: int, cashier_id: int, product: Any) -> str:
    """One whole sale in one transaction: sale, line, payment, stock movement and outbox record."""
    number = f"SR01-2026-{n:06d}"
    with session_scope(engine) as s:
        sale = Sale(
            receipt_number=number,
            idempotency_key=f"key-{n:08d}",
            shift_id=shift_id,
            cashier_id=cashier_id,
            subtotal_vnd=product.price_vnd,
            total_vnd=product.price_vnd,
        )
        s.add(sale)
        s.flush()
        line = SaleLine(
            sale_id=sale.id,
            line_no=1,
            product_id=product.id,
            producer_id=product.producer_id,
            name=product.name,
            sku=product.sku,
            qty=1,
            unit_price_vnd=product.price_vnd,
            total_vnd=product.price_vnd,
            vat_rate_bp=800,
            vat_vnd=0,
        )
        s.add(line)
        s.add(Payment(sale_id=sale.id, method="cash", amount_vnd=product.price_vnd))
        s.flush()
        record_movement(s, StockMovement(product_id=product.id, kind="sale", qty_delta=-1, sale_line_id=line.id))
        enqueue(s, "sale", sale.uuid, {"receipt_number": number, "total_vnd": sale.total_vnd})
    return number


def sales_in(path: Path) -> dict[str, tuple[int, int, int, int]]:
    """receipt number -> (lines, payments, movements, outbox records) as found in a database file."""
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(
            "SELECT s.receipt_number,"
            " (SELECT COUNT(*) FROM saleline l WHERE l.sale_id = s.id),"
            " (SELECT COUNT(*) FROM payment p WHERE p.sale_id = s.id),"
            " (SELECT COUNT(*) FROM stockmovement m JOIN saleline l ON m.sale_line_id = l.id WHERE l.sale_id = s.id),"
            " (SELECT COUNT(*) FROM outboxrecord o WHERE o.entity_uuid = s.uuid OR"
            "   replace(o.entity_uuid, '-', '') = s.uuid)"
            " FROM sale s"
        ).fetchall()
    finally:
        conn.close()
    return {r[0]: (r[1], r[2], r[3], r[4]) for r in rows}


def pad_database(engine: Any, megabytes: int) -> None:
    """Make the database big enough that a stepwise copy takes several steps."""
    from pos.audit.models import AuditEntry

    with session_scope(engine) as s:
        for i in range(megabytes * 500):
            s.add(AuditEntry(action="padding", entity="test", entity_id=str(i), after="x" * 2000))


@pytest.fixture
def shop(engine: Any, make_product: Any, make_user: Any) -> dict[str, Any]:
    """A cashier with an open shift and a product with plenty of stock."""
    cashier = make_user("thungan", "cashier")
    make_user("quanly", "manager")
    product = make_product(price_vnd=45_000)
    with session_scope(engine) as s:
        shift = Shift(cashier_id=cashier.id, opening_float_vnd=500_000)
        s.add(shift)
        record_movement(s, StockMovement(product_id=product.id, kind="intake", qty_delta=100_000))
    return {"cashier": cashier, "product": product, "shift": shift}


class SaleLoad:
    """Another thread keeps completing sales until stopped; ``committed`` lists them in commit order."""

    def __init__(self, engine: Any, shop: dict[str, Any]) -> None:
        self.engine, self.shop = engine, shop
        self.committed: list[str] = []
        self.errors: list[BaseException] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        n = 0
        while not self.stop.is_set():
            n += 1
            try:
                number = complete_one_sale(
                    self.engine, n, self.shop["shift"].id, self.shop["cashier"].id, self.shop["product"]
                )
            except BaseException as exc:  # surfaced by the test, never swallowed
                self.errors.append(exc)
                return
            self.committed.append(number)

    def wait_for(self, count: int) -> None:
        deadline = time.monotonic() + 30
        while len(self.committed) < count and time.monotonic() < deadline and not self.errors:
            time.sleep(0.01)
        assert not self.errors, self.errors
        assert len(self.committed) >= count


# --- backup under load ---------------------------------------------------------------------------------------


def test_backup_under_sale_load_holds_every_sale_committed_before_it_began(
    db_path: Path, engine: Any, shop: dict[str, Any], tmp_path: Path
) -> None:
    pad_database(engine, 4)  # ~4 MB: several steps of STEP_PAGES, so writes restart the stepwise copy
    load = SaleLoad(engine, shop)
    load.thread.start()
    try:
        load.wait_for(20)
        acknowledged = list(load.committed)  # every sale acknowledged before the backup began
        during_start = len(load.committed)
        written = bk.backup_database(db_path, tmp_path / "usb", keep=14, code="SR01")
        during_end = len(load.committed)
        load.wait_for(during_end + 5)  # the till kept selling after the backup too
    finally:
        load.stop.set()
        load.thread.join(timeout=30)
    assert not load.errors, load.errors
    assert during_end > during_start, "no sale was completed while the backup ran: the test proves nothing"

    assert written.parent == tmp_path / "usb"
    assert bk.BACKUP_NAME.match(written.name) and written.name.startswith("showroom-SR01-")
    assert not list(written.parent.glob("*.partial"))
    assert bk.integrity_problem(written) == ""
    copied = sales_in(written)
    missing = [n for n in acknowledged if n not in copied]
    assert missing == []
    torn = {n: counts for n, counts in copied.items() if counts != (1, 1, 1, 1)}
    assert torn == {}
    # One moment's snapshot: exactly the first sales in commit order, none skipped.
    assert sorted(copied) == sorted(load.committed[: len(copied)])
    # The copy stands alone: journal mode DELETE, no -wal needed.
    conn = sqlite3.connect(written)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    on_hand = conn.execute("SELECT qty FROM stocklevel WHERE product_id = ?", (shop["product"].id,)).fetchone()[0]
    ledger = conn.execute(
        "SELECT SUM(qty_delta) FROM stockmovement WHERE product_id = ?", (shop["product"].id,)
    ).fetchone()[0]
    conn.close()
    assert on_hand == ledger == 100_000 - len(copied)

    # Restore it over another showroom database and start the app on it.
    target = tmp_path / "restored" / "showroom.db"
    target.parent.mkdir()
    shutil.copyfile(db_path, target)
    result = bk.restore_database(written, target)
    assert result.restored == target
    assert result.previous is not None and result.previous.name.startswith("showroom.db.before-restore-")
    assert sales_in(target) == copied

    from pos import create_app
    from pos.db import ENGINE_KEY

    app = create_app(
        overrides={
            "TESTING": True,
            "INSTANCE_PATH": str(target.parent),
            "DATABASE_URL": f"sqlite:///{target.as_posix()}",
        }
    )
    try:
        client = app.test_client()
        from tests.conftest import CSRF_RE

        token = CSRF_RE.search(client.get("/login").get_data(as_text=True)).group(1)
        response = client.post("/login", data={"username": "quanly", "password": "quanly-pass", "csrf_token": token})
        assert response.status_code == 302
        assert client.get("/").status_code == 200
    finally:
        app.extensions[ENGINE_KEY].dispose()


def test_backup_of_a_quiet_database_is_one_checked_file(db_path: Path, tmp_path: Path) -> None:
    written = bk.backup_database(db_path, tmp_path / "b", keep=2, code="SR01", now=datetime(2026, 3, 5, 22, 0, 1))
    assert written.name == "showroom-SR01-20260305-220001.db"
    again = bk.backup_database(db_path, tmp_path / "b", keep=2, code="SR01", now=datetime(2026, 3, 5, 22, 0, 1))
    assert again.name == "showroom-SR01-20260305-220001-2.db"  # same second: a new name, never overwritten
    bk.check_backup(written)


def test_backup_of_a_missing_database_is_refused(tmp_path: Path) -> None:
    with pytest.raises(bk.BackupError, match="Không tìm thấy"):
        bk.backup_database(tmp_path / "none.db", tmp_path / "b", keep=3)
    assert not (tmp_path / "none.db").exists()  # not created by trying


# --- rotation ------------------------------------------------------------------------------------------------


def test_rotation_keeps_the_newest_n_of_this_showroom_only(db_path: Path, tmp_path: Path) -> None:
    folder = tmp_path / "b"
    folder.mkdir()
    other = folder / "showroom-SR02-20200101-000000.db"  # another showroom on the same USB drive
    other.write_bytes(b"x")
    notes = folder / "ghi-chu.txt"
    notes.write_text("không xoá", encoding="utf-8")
    written = [
        bk.backup_database(db_path, folder, keep=3, code="SR01", now=datetime(2026, 1, day, 22, 0, 0))
        for day in range(1, 7)
    ]
    left = sorted(p.name for p in folder.iterdir())
    assert left == sorted([*(p.name for p in written[-3:]), other.name, notes.name, bk.FOLDER_LOCK])


def test_rotation_orders_by_time_not_by_file_date(db_path: Path, tmp_path: Path) -> None:
    folder = tmp_path / "b"
    newer = bk.backup_database(db_path, folder, keep=5, code="SR01", now=datetime(2026, 2, 1, 8, 0, 0))
    older = bk.backup_database(db_path, folder, keep=5, code="SR01", now=datetime(2026, 1, 1, 8, 0, 0))
    assert bk.list_backups(folder, "SR01") == [older, newer]
    bk.rotate_backups(folder, 1, code="SR01")
    assert bk.list_backups(folder, "SR01") == [newer]


# --- restore refusals ----------------------------------------------------------------------------------------


@pytest.fixture
def good_backup(db_path: Path, tmp_path: Path) -> Path:
    return bk.backup_database(db_path, tmp_path / "b", keep=3, code="SR01")


def _current(tmp_path: Path, db_path: Path) -> Path:
    target = tmp_path / "live" / "showroom.db"
    target.parent.mkdir(exist_ok=True)
    shutil.copyfile(db_path, target)
    return target


def test_restore_refuses_a_truncated_file_and_leaves_the_database_alone(
    good_backup: Path, db_path: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.db"
    data = good_backup.read_bytes()
    broken.write_bytes(data[: len(data) // 2])
    target = _current(tmp_path, db_path)
    before = target.read_bytes()
    with pytest.raises(bk.BackupError, match="hỏng|không phải"):
        bk.restore_database(broken, target)
    assert target.read_bytes() == before
    assert sorted(p.name for p in target.parent.iterdir() if "before-restore" in p.name) == []


def test_restore_refuses_garbage(tmp_path: Path, db_path: Path) -> None:
    junk = tmp_path / "anh.db"
    junk.write_bytes(b"\x89PNG not a database" * 100)
    with pytest.raises(bk.BackupError):
        bk.restore_database(junk, _current(tmp_path, db_path))


def test_restore_refuses_a_sqlite_file_that_is_not_a_showroom(tmp_path: Path, db_path: Path) -> None:
    other = tmp_path / "danh-ba.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE contact (name TEXT)")
    conn.commit()
    conn.close()
    with pytest.raises(bk.BackupError, match="không phải bản sao lưu"):
        bk.restore_database(other, _current(tmp_path, db_path))


def test_restore_refuses_while_the_server_holds_the_database(good_backup: Path, db_path: Path, tmp_path: Path) -> None:
    target = _current(tmp_path, db_path)
    lock = bk.acquire_database_lock(target)
    assert lock is not None
    try:
        with pytest.raises(bk.DatabaseInUse, match="đang chạy"):
            bk.restore_database(good_backup, target)
    finally:
        bk.release_database_lock(lock)
    bk.restore_database(good_backup, target)  # once the server is stopped it goes through


def test_restore_keeps_the_wal_of_the_replaced_database(good_backup: Path, tmp_path: Path, db_path: Path) -> None:
    """A database left by a killed server has committed rows in its -wal; the set-aside copy keeps them."""
    target = _current(tmp_path, db_path)
    holder = sqlite3.connect(target)
    holder.execute("PRAGMA journal_mode=WAL")
    holder.execute("PRAGMA wal_autocheckpoint=0")
    holder.execute("INSERT INTO counter (name, value) VALUES ('only-in-wal', 7)")
    holder.commit()
    assert Path(f"{target}-wal").exists()
    # Copy the files as a killed process would leave them (no checkpoint on close).
    crashed = tmp_path / "crashed" / "showroom.db"
    crashed.parent.mkdir()
    for suffix in ("", "-wal"):
        shutil.copyfile(f"{target}{suffix}", f"{crashed}{suffix}")
    holder.close()
    result = bk.restore_database(good_backup, crashed)
    assert not Path(f"{crashed}-wal").exists()
    conn = sqlite3.connect(result.previous)
    assert conn.execute("SELECT value FROM counter WHERE name = 'only-in-wal'").fetchone() == (7,)
    conn.close()


def test_restore_of_an_older_backup_migrates_it_to_the_newest_schema(tmp_path: Path, db_path: Path) -> None:
    old = tmp_path / "old" / "showroom.db"
    upgrade(f"sqlite:///{old.as_posix()}", "0001")
    old_backup = bk.backup_database(old, tmp_path / "b", keep=3, code="SR01")
    target = _current(tmp_path, db_path)
    head = sqlite3.connect(target).execute("SELECT version_num FROM alembic_version").fetchone()
    bk.restore_database(old_backup, target)
    conn = sqlite3.connect(target)
    assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == head != ("0001",)
    assert conn.execute("SELECT action FROM auditentry WHERE action = 'restore'").fetchone() == ("restore",)
    conn.close()


# --- the daily backup ----------------------------------------------------------------------------------------


def test_next_run_is_later_today_or_tomorrow() -> None:
    assert bk.next_run(datetime(2026, 5, 1, 21, 59), 22, 0) == datetime(2026, 5, 1, 22, 0)
    assert bk.next_run(datetime(2026, 5, 1, 22, 0), 22, 0) == datetime(2026, 5, 2, 22, 0)
    assert bk.parse_daily_at("7:30") == (7, 30)
    assert bk.parse_daily_at("25:00") == (22, 0)


def test_daily_backup_falls_back_to_the_instance_folder_when_the_usb_drive_is_missing(
    db_path: Path, tmp_path: Path
) -> None:
    not_a_folder = tmp_path / "E"
    not_a_folder.write_text("a file where the drive should be", encoding="utf-8")
    config = {
        "INSTANCE_PATH": str(db_path.parent),
        "BACKUP_FOLDER": str(not_a_folder / "OCOP-backup"),
        "BACKUP_KEEP": 3,
        "SHOWROOM_CODE": "SR01",
    }
    daily = bk.DailyBackup(config, db_path)
    assert daily.is_overdue()
    written = daily.run_once()
    assert written is not None and written.parent == db_path.parent / "backups"
    assert daily.last_error  # the failure is kept (and logged) for whoever looks


def test_server_holds_the_lock_and_backs_up_at_start_when_overdue(db_path: Path, tmp_path: Path) -> None:
    """A showroom app not under test: the first request starts the daily thread, which backs up at once."""
    from pos import create_app
    from pos.db import ENGINE_KEY

    folder = tmp_path / "usb"
    app = create_app(
        overrides={
            "TESTING": False,
            "INSTANCE_PATH": str(db_path.parent),
            "DATABASE_URL": f"sqlite:///{db_path.as_posix()}",
            "BACKUP_FOLDER": str(folder),
            "BACKUP_DAILY_AT": "03:00",
        }
    )
    try:
        assert "pos.daily_backup" not in app.extensions  # CLI commands build the app too: no thread yet
        assert app.test_client().get("/healthz").status_code == 200
        daily = app.extensions["pos.daily_backup"]
        deadline = time.monotonic() + 20
        while not bk.list_backups(folder) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(bk.list_backups(folder)) == 1
        with pytest.raises(bk.DatabaseInUse):
            bk.restore_database(bk.list_backups(folder)[0], db_path)
    finally:
        if "pos.daily_backup" in app.extensions:
            app.extensions["pos.daily_backup"].stop.set()
            app.extensions["pos.daily_backup"].join(timeout=10)
        if "pos.db_lock" in app.extensions:
            bk.release_database_lock(app.extensions.pop("pos.db_lock"))
        app.extensions[ENGINE_KEY].dispose()
    assert not daily.is_alive()


# --- the commands --------------------------------------------------------------------------------------------


def test_pos_backup_and_pos_restore_commands(db_path: Path, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from pos.cli import main

    runner = CliRunner()
    env = {
        "POS_DATABASE_URL": f"sqlite:///{db_path.as_posix()}",
        "POS_INSTANCE_PATH": str(db_path.parent),
        "POS_SHOWROOM_CODE": "SR07",
    }
    result = runner.invoke(main, ["backup", "--to", str(tmp_path / "usb")], env=env)
    assert result.exit_code == 0, result.output
    written = Path(result.output.strip().splitlines()[-1])
    assert written.is_file() and written.name.startswith("showroom-SR07-")

    result = runner.invoke(main, ["backup"], env=env)  # the configured folder: backups in the instance folder
    assert result.exit_code == 0, result.output
    assert Path(result.output.strip()).parent == db_path.parent / "backups"

    result = runner.invoke(main, ["restore", str(written)], env=env, input="n\n")
    assert result.exit_code != 0 and "Khôi phục dữ liệu từ" in result.output
    assert not list(db_path.parent.glob("*.before-restore-*"))

    result = runner.invoke(main, ["restore", str(written), "--yes"], env=env)
    assert result.exit_code == 0, result.output
    assert "Đã khôi phục" in result.output
    assert len(list(db_path.parent.glob("showroom.db.before-restore-*"))) == 1

    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 50)
    result = runner.invoke(main, ["restore", str(junk), "--yes"], env=env)
    assert result.exit_code == 1 and "hỏng" in result.output


KILLED_BACKUP = """
import sys
import pos.backup as bk
bk.STEP_PAGES, bk.STEP_SLEEP_S = 16, 0.05  # slow enough to be killed mid-copy
bk.backup_database(sys.argv[1], sys.argv[2], code="SR01")
"""


def test_the_next_backup_removes_what_a_killed_backup_left(db_path: Path, engine: Any, tmp_path: Path) -> None:
    pad_database(engine, 4)
    folder = tmp_path / "usb"
    copier = subprocess.Popen([sys.executable, "-c", KILLED_BACKUP, str(db_path), str(folder)])
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and copier.poll() is None:
            partials = list(folder.glob("*.db.partial"))
            if partials and partials[0].stat().st_size > 256 * 1024:
                break
            time.sleep(0.05)
    finally:
        copier.kill()  # as a power cut or a killed process would, in the middle of the copy
        copier.wait(timeout=30)
    left = sorted(path.name for path in folder.glob("showroom-*.partial*"))
    assert any(name.endswith(".db.partial") for name in left), left
    assert any(name.endswith(".db.partial-journal") for name in left), left  # the copy's hot journal
    assert not list(folder.glob("showroom-*.db"))

    written = bk.backup_database(db_path, folder, code="SR01")
    assert sorted(path.name for path in folder.glob("showroom-*")) == [written.name]
    assert bk.integrity_problem(written) == ""


def test_a_backup_writing_in_the_folder_keeps_its_partial_copy(db_path: Path, tmp_path: Path) -> None:
    folder = tmp_path / "usb"
    folder.mkdir()
    partial = folder / "showroom-SR01-20261206-220000.db.partial"
    partial.write_bytes(b"being written by another process")
    held = bk._lock_file(folder / bk.FOLDER_LOCK)  # another backup (pos backup from the command line) is at work
    assert held is not None
    try:
        with pytest.raises(bk.BackupError, match="đang ghi"):
            bk.backup_database(db_path, folder, code="SR01")
        assert partial.exists()
    finally:
        bk.release_database_lock(held)
    bk.backup_database(db_path, folder, code="SR01")
    assert not partial.exists()
