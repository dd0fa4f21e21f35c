"""Cancelling a transfer note before it is received, between two real SQLite showrooms and a real PostgreSQL
central server, with the real sync client: the goods go back into the sender's lots, the cancel reaches the
central server and the receiver (which then refuses the note), and a receipt made offline before the receiver
knew of the cancel stands over it (the sender's cancel is undone). Every step exactly once."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text
from sqlmodel import select

from pos.audit.models import AuditEntry
from pos.catalog.models import Product
from pos.db import ENGINE_KEY, session_scope
from pos.errors import Conflict, ValidationError
from pos.inventory.models import Lot, StockMovement
from pos.inventory.transfers import ReceivedLine, TransferLineInput, cancel_transfer, receive_transfer
from pos.sync.models import SyncState
from tests.http.test_sync_api import office_login
from tests.showrooms import Showroom
from tests.unit.test_transfers import replay_everything, send, shops  # noqa: F401  (the fixture: SR01 with honey 20, cake L1 10 + L2 8)

pytestmark = pytest.mark.postgres

Shops = tuple[Showroom, Showroom, dict[str, Product]]


def cancel(shop: Showroom, number: str, reason: str = "Xe hỏng, hàng chưa xuất kho") -> None:
    with session_scope(shop.engine) as s:
        cancel_transfer(s, shop.transfer(number).id, None, reason=reason)  # type: ignore[arg-type]


def central(central_app: Flask, sql: str) -> list[tuple[Any, ...]]:
    with central_app.extensions[ENGINE_KEY].connect() as conn:
        return [tuple(row) for row in conn.execute(text(sql))]


def lots(shop: Showroom) -> dict[str, int]:
    with session_scope(shop.engine, write=False) as s:
        return {lot.lot_code: lot.qty for lot in s.exec(select(Lot))}


def actions(shop: Showroom) -> list[str]:
    with session_scope(shop.engine, write=False) as s:
        return [e.action for e in s.exec(select(AuditEntry).order_by(AuditEntry.id)) if "transfer" in e.action]


def test_a_cancelled_note_returns_its_goods_to_their_lots_and_the_offline_receiver_refuses_it(
    shops: Shops,  # noqa: F811
    central_app: Flask,
) -> None:
    a, b, p = shops
    note = send(a, [TransferLineInput(p["honey"].id, 6), TransferLineInput(p["cake"].id, 12)])
    assert lots(a) == {"L1": 0, "L2": 6}
    assert a.sync().ok and b.sync().ok and b.transfer(note.number).status == "in_transit"
    # Nothing is cancelled without a reason, nor from the receiving side.
    with pytest.raises(ValidationError, match="Nhập lý do hủy phiếu"):
        cancel(a, note.number, reason="  ")
    with pytest.raises(Conflict, match="Chỉ cửa hàng gửi mới hủy được"):
        cancel(b, note.number)
    assert a.on_hand(p["honey"].uuid) == 14 and a.transfer(note.number).status == "in_transit"

    cancel(a, note.number)
    # Back at once, into the very lots they left: honey 20, cake L1 10 and L2 8 again.
    assert a.on_hand(p["honey"].uuid) == 20 and a.on_hand(p["cake"].uuid) == 18
    assert lots(a) == {"L1": 10, "L2": 8}
    a.ledger_ok()
    held = a.transfer(note.number)
    assert (held.status, held.cancel_reason) == ("cancelled", "Xe hỏng, hàng chưa xuất kho")
    with pytest.raises(Conflict, match="đã được hủy lúc"):
        cancel(a, note.number)
    assert actions(a) == ["transfer_out", "transfer_cancel"]

    # B is offline when the cancel reaches the central server.
    assert not b.sync(online=False).ok
    assert a.sync().ok
    assert central(central_app, "SELECT status, cancel_reason FROM transfer") == [
        ("cancelled", "Xe hỏng, hàng chưa xuất kho")
    ]
    office = central_app.test_client()
    office_login(office, central_app, "manager")
    body = office.get("/office/stock/levels.csv?showroom=SR01").get_data(as_text=True).lstrip("\ufeff")
    assert {r["Sản phẩm"]: r["Đang chuyển đi"] for r in csv.DictReader(io.StringIO(body))} == {
        "Bánh mật ong": "0",
        "Mật ong bạc hà": "0",
    }
    body = office.get("/office/stock/transfers.csv?status=cancelled").get_data(as_text=True).lstrip("\ufeff")
    ((status, cancelled),) = [(r["Trạng thái"], r["Hủy phiếu"]) for r in csv.DictReader(io.StringIO(body))]
    assert status == "Đã hủy" and cancelled.endswith(" · Xe hỏng, hàng chưa xuất kho")

    # B back online: it learns of the cancel and refuses to receive, saying why.
    result = b.sync()
    assert result.ok and result.transfers_closed == 1
    incoming = b.transfer(note.number)
    assert (incoming.status, incoming.cancel_reason) == ("cancelled", "Xe hỏng, hàng chưa xuất kho")
    with session_scope(b.engine) as s, pytest.raises(Conflict, match="đã bị cửa hàng SR01 hủy lúc .*không nhận hàng"):
        receive_transfer(s, incoming.id, [ReceivedLine(1, 6), ReceivedLine(2, 10), ReceivedLine(3, 2)], None)  # type: ignore[arg-type]
    assert b.on_hand(p["honey"].uuid) == 0 and actions(b) == ["transfer_cancelled_by_sender"]

    # Replaying everything from both sides changes nothing anywhere.
    for shop in (a, b):
        replay_everything(shop)
    assert a.on_hand(p["honey"].uuid) == 20 and lots(a) == {"L1": 10, "L2": 8} and b.on_hand(p["honey"].uuid) == 0
    assert actions(a) == ["transfer_out", "transfer_cancel"] and actions(b) == ["transfer_cancelled_by_sender"]
    assert central(central_app, "SELECT count(*) FROM sync_record WHERE kind = 'transfer_cancel'") == [(1,)]
    assert central(central_app, "SELECT count(*) FROM sync_issue WHERE kind LIKE 'transfer%'") == [(0,)]


@pytest.mark.parametrize("first", ["cancel", "receipt"])
def test_a_receipt_made_before_the_receiver_knew_of_the_cancel_stands_and_the_sender_takes_the_goods_out_again(
    shops: Shops,  # noqa: F811
    central_app: Flask,
    first: str,
) -> None:
    a, b, p = shops
    note = send(a, [TransferLineInput(p["honey"].id, 6)])
    assert a.sync().ok and b.sync().ok
    with session_scope(b.engine) as s:  # B counts the goods in while offline; meanwhile A calls the note back
        receive_transfer(s, b.transfer(note.number).id, [ReceivedLine(1, 5, "damaged", "vỡ 1 lọ")], None)  # type: ignore[arg-type]
    cancel(a, note.number)
    assert a.on_hand(p["honey"].uuid) == 20 and b.on_hand(p["honey"].uuid) == 5
    # Whichever reaches the central server first, the receipt stands: the goods are at B.
    for shop in (a, b) if first == "cancel" else (b, a):
        assert shop.sync().ok
    assert b.sync().ok and a.sync().ok
    assert central(central_app, "SELECT status, qty_received, cancelled_at IS NOT NULL FROM transfer") == [
        ("differences", 5, True)
    ]
    held = a.transfer(note.number)
    assert held.status == "differences" and held.cancelled_at is not None
    assert a.on_hand(p["honey"].uuid) == 14 and b.on_hand(p["honey"].uuid) == 5
    assert b.transfer(note.number).status == "differences"
    a.ledger_ok()
    b.ledger_ok()
    with session_scope(a.engine, write=False) as s:
        kinds = [(m.kind, m.qty_delta) for m in s.exec(select(StockMovement).order_by(StockMovement.id))]
    assert kinds[-3:] == [("transfer_out", -6), ("transfer_cancel", 6), ("transfer_out", -6)]
    assert actions(a) == ["transfer_out", "transfer_cancel", "transfer_cancel_overruled"]
    # Once more from the start: the cancel is not undone twice.
    with session_scope(a.engine) as s:
        s.get(SyncState, 1).transfer_revision = 0  # type: ignore[union-attr]
    assert a.sync().ok and a.on_hand(p["honey"].uuid) == 14


def test_a_receipt_of_nothing_leaves_the_cancel_standing(shops: Shops, central_app: Flask) -> None:  # noqa: F811
    a, b, p = shops
    note = send(a, [TransferLineInput(p["honey"].id, 6)])
    assert a.sync().ok and b.sync().ok
    with session_scope(b.engine) as s:  # nothing came: B says so before it hears of the cancel
        receive_transfer(s, b.transfer(note.number).id, [ReceivedLine(1, 0, "missing")], None)  # type: ignore[arg-type]
    cancel(a, note.number)
    assert a.sync().ok and b.sync().ok and a.sync().ok
    assert central(central_app, "SELECT status FROM transfer") == [("cancelled",)]
    assert a.transfer(note.number).status == "cancelled" and b.transfer(note.number).status == "cancelled"
    assert a.on_hand(p["honey"].uuid) == 20 and b.on_hand(p["honey"].uuid) == 0
