"""Restoring an older backup loses nothing at the central server and issues no receipt number twice
(pos/sync/restore.py): the restore marks the database, receipts get a series of their own until the first
sync, which moves the outbox sequence and the counters past what the central server holds."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest
from flask import Flask
from sqlalchemy import text
from sqlmodel import select

from pos import backup as bk
from pos.audit.models import AuditEntry
from pos.catalog.models import Counter
from pos.central import credentials
from pos.db import ENGINE_KEY, session_scope
from pos.inventory.ledger import record_movement
from pos.inventory.models import StockMovement
from pos.numbering import RESTORE_MARK, peek_receipt_number, take_return_number
from pos.sales import cart as carts
from pos.sales import scanning
from pos.sales.checkout import complete_sale
from pos.sales.models import Shift
from pos.sales.pricing import PaymentInput
from pos.sync.client import SyncSettings, run_sync
from pos.sync.models import OutboxRecord
from pos.sync.restore import mark_restored, reconcile_after_restore

pytestmark = pytest.mark.postgres


@pytest.fixture
def shop(engine: Any, make_product: Any, make_user: Any) -> dict[str, Any]:
    """A cashier with an open shift and a product with plenty of stock."""
    cashier = make_user("thungan", "cashier")
    product = make_product(price_vnd=45_000)
    with session_scope(engine) as s:
        s.add(Shift(cashier_id=cashier.id, opening_float_vnd=500_000))
        record_movement(s, StockMovement(product_id=product.id, kind="intake", qty_delta=1_000))
    return {"cashier": cashier, "product": product, "n": 0}


def sell(engine: Any, shop: dict[str, Any]) -> str:
    """One sale through the till's checkout; its receipt number."""
    shop["n"] += 1
    with session_scope(engine) as s:
        cart = carts.get_or_create_active_cart(s, shop["cashier"].id)
        scanning.add_product(s, cart, shop["product"].id)
        sale = complete_sale(
            s,
            cart_id=cart.id,
            payments=[PaymentInput("cash", shop["product"].price_vnd)],
            cashier_id=shop["cashier"].id,
            idempotency_key=str(uuid4()),
            showroom_code="SR01",
            allow_negative=False,
            now=datetime.now(UTC),
        )
        return sale.receipt_number


@pytest.fixture
def settings(central_app: Flask) -> SyncSettings:
    with session_scope(central_app.extensions[ENGINE_KEY]) as s:
        issued = credentials.register_showroom(s, "SR01", "Cửa hàng SR01", "Hà Nội")
    return SyncSettings(
        central_url="http://central.test", showroom_code="SR01", secret=issued.secret, batch_size=50, retry_base_s=0
    )


def sync(engine: Any, settings: SyncSettings, central_app: Flask) -> Any:
    result = run_sync(engine, settings, transport=httpx.WSGITransport(app=central_app), sleep=lambda _s: None)
    assert result.ok, result.error
    return result


def central_receipts(central_app: Flask) -> list[str]:
    with central_app.extensions[ENGINE_KEY].connect() as conn:
        return [r[0] for r in conn.execute(text("SELECT receipt_number FROM sale ORDER BY receipt_number"))]


def test_an_older_backup_restored_loses_no_sale_and_reuses_no_number(
    engine: Any, db_path: Path, tmp_path: Path, shop: dict[str, Any], settings: SyncSettings, central_app: Flask
) -> None:
    year = datetime.now(UTC).year
    first = [sell(engine, shop) for _ in range(3)]
    sync(engine, settings, central_app)
    unsent_at_backup = [sell(engine, shop) for _ in range(2)]  # in the backup, not yet sent
    backup = bk.backup_database(db_path, tmp_path / "backups", code="SR01")
    after_backup = [sell(engine, shop) for _ in range(2)]  # lost with the database, but sent first
    sync(engine, settings, central_app)
    assert len(central_receipts(central_app)) == 7
    with session_scope(engine, write=False) as s:
        seq_before = int(s.scalar(text("SELECT seq FROM sqlite_sequence WHERE name = 'outboxrecord'")))

    engine.dispose()
    bk.restore_database(backup, db_path)

    # Offline after the restore: a series of its own, which no earlier number can be.
    with session_scope(engine, write=False) as s:
        peeked = peek_receipt_number(s, "SR01", datetime.now(UTC).year)
    offline = [sell(engine, shop) for _ in range(2)]
    assert offline[0] == peeked
    assert all(n.startswith(f"SR01-{year}-K") for n in offline)
    assert not set(offline) & set(first + unsent_at_backup + after_backup)

    result = sync(engine, settings, central_app)
    assert result.details["restore"]["renumbered"] >= 4  # the two sales of the backup, the two offline ones
    back_to_normal = sell(engine, shop)
    assert back_to_normal == f"SR01-{year}-{8:06d}"  # past the 7 the central server holds
    sync(engine, settings, central_app)

    held = central_receipts(central_app)
    assert len(held) == len(set(held)) == 10
    assert set(held) == set(first + unsent_at_backup + after_backup + offline + [back_to_normal])
    with session_scope(engine, write=False) as s:
        assert s.get(Counter, RESTORE_MARK) is None
        assert s.exec(select(OutboxRecord).where(OutboxRecord.sent_at.is_(None))).all() == []  # type: ignore[union-attr]
        assert min(r.id for r in s.exec(select(OutboxRecord).where(OutboxRecord.id > seq_before))) > seq_before
        bumps = s.exec(select(AuditEntry).where(AuditEntry.action == "counter.bump")).all()
        assert [b.entity_id for b in bumps] == [f"receipt:SR01:{year}"]
    with central_app.extensions[ENGINE_KEY].connect() as conn:
        seqs = [r[0] for r in conn.execute(text("SELECT seq FROM sync_record ORDER BY seq"))]
        sales = conn.execute(text("SELECT count(*), count(DISTINCT uuid) FROM sale")).one()
    assert len(seqs) == len(set(seqs)) and tuple(sales) == (10, 10)


def test_reconcile_moves_unsent_records_in_order_and_every_counter_past_central(uow: Any) -> None:
    with uow() as s:
        for n in range(1, 6):
            s.add(OutboxRecord(kind="audit", entity_uuid=f"u{n}", payload="{}"))
        s.flush()
        s.execute(text("UPDATE outboxrecord SET sent_at = '2026-01-01 00:00:00' WHERE id <= 2"))
        s.add(Counter(name="return:SR01:2026", value=9))
        mark_restored(s, 1_800_000_000)
        assert take_return_number(s, "SR01", 2026).startswith("SR01-2026-K")
    with uow() as s:
        done = reconcile_after_restore(
            s,
            "SR01",
            {"last_seq": 7, "max_seq": 8, "receipt_max": {"2026": 40, "junk": 3}, "return_max": {"2026": 4}},
        )
    assert done["renumbered"] == 3 and done["outbox_seq"] == 11
    with uow() as s:
        rows = s.exec(select(OutboxRecord).order_by(OutboxRecord.id)).all()  # type: ignore[arg-type]
        assert [(r.id, r.entity_uuid) for r in rows] == [(1, "u1"), (2, "u2"), (9, "u3"), (10, "u4"), (11, "u5")]
        assert s.get(Counter, "receipt:SR01:2026").value == 40  # type: ignore[union-attr]
        assert s.get(Counter, "return:SR01:2026").value == 9  # type: ignore[union-attr]  # already past central's 4
        assert take_return_number(s, "SR01", 2026) == "SR01-2026-R000010"
        s.add(OutboxRecord(kind="audit", entity_uuid="u6", payload="{}"))
        s.flush()
        assert s.exec(select(OutboxRecord.id).where(OutboxRecord.entity_uuid == "u6")).one() == 12
