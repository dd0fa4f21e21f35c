"""Stock across the network: a showroom's on hand and lots reach the central server exactly as its ledger keeps
them (real SQLite showroom, real PostgreSQL central, the real sync client over WSGI); settlements too."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from flask import Flask
from sqlalchemy import text
from sqlmodel import select

from pos.central import credentials
from pos.db import ENGINE_KEY, session_scope
from pos.inventory.intake import IntakeLineInput, receive_stock
from pos.inventory.stock import adjust_stock
from pos.sync.client import SyncSettings, prepare_outbox, run_sync
from pos.sync.models import OutboxRecord, SyncState

pytestmark = pytest.mark.postgres


@pytest.fixture
def settings(central_app: Flask) -> SyncSettings:
    with session_scope(central_app.extensions[ENGINE_KEY]) as s:
        issued = credentials.register_showroom(s, "SR01", "Cửa hàng SR01", "Hà Nội")
    return SyncSettings(central_url="http://central.test", showroom_code="SR01", secret=issued.secret, retry_base_s=0)


def sync(engine: Any, settings: SyncSettings, central: Flask) -> None:
    result = run_sync(engine, settings, transport=httpx.WSGITransport(app=central), sleep=lambda _s: None)
    assert result.ok, result.error


def central_levels(central: Flask) -> dict[str, int]:
    with central.extensions[ENGINE_KEY].connect() as conn:
        rows = conn.execute(
            text("SELECT p.name, l.qty FROM stock_level l JOIN product p ON p.id = l.product_id ORDER BY 1")
        ).all()
    return {name: int(qty) for name, qty in rows}


def central_lots(central: Flask) -> dict[str, tuple[int, Any, bool]]:
    with central.extensions[ENGINE_KEY].connect() as conn:
        rows = conn.execute(text("SELECT lot_code, qty, expiry_date, recalled_at IS NOT NULL FROM stock_lot")).all()
    return {code: (int(qty), expiry, recalled) for code, qty, expiry, recalled in rows}


def test_on_hand_and_lots_reach_the_central_server_as_the_ledger_keeps_them(
    engine: Any, uow: Any, make_product: Any, make_user: Any, central_app: Flask, settings: SyncSettings
) -> None:
    manager = make_user("quanly", "manager")
    honey = make_product(name="Mật ong bạc hà")
    tea = make_product(name="Trà shan tuyết")
    cake = make_product(name="Bánh cốm", is_food=True, producer_id=tea.producer_id)
    expiry = date.today() + timedelta(days=20)
    with uow() as s:
        receive_stock(s, honey.producer_id, date.today(), "GH-1", [IntakeLineInput(honey.id, 12)], manager.id)
        receive_stock(
            s,
            tea.producer_id,
            date.today(),
            "GH-2",
            [IntakeLineInput(tea.id, 5), IntakeLineInput(cake.id, 30, lot_code="L1", expiry_date=expiry)],
            manager.id,
        )
        adjust_stock(s, honey.id, -2, "damaged", "vỡ lọ", manager.id)
    sync(engine, settings, central_app)
    assert central_levels(central_app) == {"Bánh cốm": 30, "Mật ong bạc hà": 10, "Trà shan tuyết": 5}
    assert central_lots(central_app) == {"L1": (30, expiry, False)}

    # Only what moved travels next: one snapshot naming the tea alone.
    with uow() as s:
        adjust_stock(s, tea.id, -1, "lost", "", manager.id)
    prepare_outbox(engine)
    with session_scope(engine, write=False) as s:
        snapshots = s.exec(select(OutboxRecord).where(OutboxRecord.kind == "stock_snapshot")).all()
        assert len(snapshots) == 2
        last = snapshots[-1]
        assert '"complete":false' in last.payload and str(tea.uuid) in last.payload
        assert str(honey.uuid) not in last.payload
    sync(engine, settings, central_app)
    assert central_levels(central_app) == {"Bánh cốm": 30, "Mật ong bạc hà": 10, "Trà shan tuyết": 4}
    assert prepare_outbox(engine) == 0  # nothing moved (nor audited), nothing sent

    # The daily complete snapshot puts everything right, including a figure the central server got wrong.
    with central_app.extensions[ENGINE_KEY].begin() as conn:
        conn.execute(text("UPDATE stock_level SET qty = 99"))
    with uow() as s:
        s.get(SyncState, 1).stock_complete_at = datetime.now(UTC) - timedelta(days=2)  # type: ignore[union-attr]
    with uow() as s:
        adjust_stock(s, honey.id, 1, "found", "", manager.id)
    sync(engine, settings, central_app)
    assert central_levels(central_app) == {"Bánh cốm": 30, "Mật ong bạc hà": 11, "Trà shan tuyết": 4}


def test_an_older_snapshot_never_moves_a_figure_back(
    engine: Any, uow: Any, make_product: Any, make_user: Any, central_app: Flask, settings: SyncSettings
) -> None:
    manager = make_user("quanly", "manager")
    honey = make_product(name="Mật ong bạc hà")
    with uow() as s:
        receive_stock(s, honey.producer_id, date.today(), "GH-1", [IntakeLineInput(honey.id, 12)], manager.id)
    prepare_outbox(engine)
    with uow() as s:
        adjust_stock(s, honey.id, -5, "damaged", "", manager.id)
    prepare_outbox(engine)
    # Both snapshots go in one push; then a replay of the whole outbox changes nothing.
    sync(engine, settings, central_app)
    assert central_levels(central_app) == {"Mật ong bạc hà": 7}
    with uow() as s:
        for record in s.exec(select(OutboxRecord)):
            record.sent_at = None
            s.add(record)
    sync(engine, settings, central_app)
    assert central_levels(central_app) == {"Mật ong bạc hà": 7}
    with central_app.extensions[ENGINE_KEY].connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM sync_record WHERE kind = 'stock_snapshot'")).scalar() == 2


def test_a_closed_settlement_reaches_the_central_server_and_then_its_payment(
    engine: Any, uow: Any, make_producer: Any, make_user: Any, central_app: Flask, settings: SyncSettings
) -> None:
    from pos.reports.period import Period, shop_timezone
    from pos.settlement import services

    manager = make_user("quanly", "manager")
    producer = make_producer(name="HTX Mật ong Ba Vì", commission_bp=1500)
    day = date.today() - timedelta(days=40)
    with uow() as s:
        settlement = services.close_settlement(
            s,
            producer.id,
            Period(day, day + timedelta(days=9), shop_timezone()),
            manager.id,
            today=date.today(),
            showroom_code="SR01",
        )
    sync(engine, settings, central_app)
    query = text(
        "SELECT s.number, s.status, p.name, s.closed_by, s.paid_reference FROM settlement s "
        "JOIN producer p ON p.id = s.producer_id"
    )
    with central_app.extensions[ENGINE_KEY].connect() as conn:
        assert conn.execute(query).all() == [(settlement.number, "closed", "HTX Mật ong Ba Vì", "quanly", "")]
    with uow() as s:
        services.mark_paid(s, settlement.id, manager.id, "UNC 123")
    sync(engine, settings, central_app)
    with central_app.extensions[ENGINE_KEY].connect() as conn:
        assert conn.execute(query).all() == [(settlement.number, "paid", "HTX Mật ong Ba Vì", "quanly", "UNC 123")]
    assert settlement.number.startswith(f"DS-SR01-{date.today().year}-")
