"""A showroom restored from a backup older than its own steps on transfer notes, between two real SQLite
showrooms, a real PostgreSQL central server, the real sync client and the real ``restore_database``: the
receiver never receives a note twice (its receipt comes back from the central server, exactly as it was), the
central server holds one receipt per note and refuses a second one, and a restored sender gets back the notes
it sent and the cancels it made (pos/inventory/transfers.py "After a restore")."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlmodel import select

from pos import backup as bk
from pos.catalog.models import Product
from pos.db import session_scope
from pos.errors import Conflict
from pos.inventory.models import Lot, StockMovement, Transfer
from pos.inventory.transfers import (
    AWAITING_PULL_MESSAGE,
    ReceivedLine,
    TransferLineInput,
    is_awaiting_pull,
    receive_transfer,
    transfer_lines,
)
from pos.sync.models import OutboxRecord
from pos.sync.outbox import enqueue
from tests.http.test_sync_api import office_login
from tests.showrooms import TODAY, Showroom
from tests.unit.test_transfer_cancel import actions, cancel, central, lots
from tests.unit.test_transfers import send, shops  # noqa: F401  (the fixture: SR01 with honey 20, cake L1 10 + L2 8)

pytestmark = pytest.mark.postgres

Shops = tuple[Showroom, Showroom, dict[str, Product]]


def restore(shop: Showroom, backup: Path) -> None:
    """``pos restore`` of ``backup`` over the shop's (stopped) database: the real path, migration and mark."""
    shop.engine.dispose()
    bk.restore_database(backup, shop.engine.url.database)


def back_up(shop: Showroom, folder: Path) -> Path:
    return bk.backup_database(shop.engine.url.database, folder, code=shop.code)


def receipt_of(shop: Showroom, number: str) -> tuple[Any, ...]:
    """The note's status and receipt, and each line's count, lot (code, expiry) and difference, as stored here."""
    with session_scope(shop.engine, write=False) as s:
        note = s.exec(select(Transfer).where(Transfer.number == number)).one()
        lines = []
        for line in transfer_lines(s, note.id):  # type: ignore[arg-type]
            lot = s.get(Lot, line.lot_id) if line.lot_id else None
            lines.append((line.qty_received, line.reason, line.note, (lot.lot_code, lot.expiry_date) if lot else None))
        return note.status, note.received_at, note.received_by, note.receipt_note, lines


@pytest.mark.parametrize("backed_up", ["in_transit", "before_pull"])
def test_a_receiver_restored_from_before_its_receipt_gets_it_back_and_cannot_receive_twice(
    shops: Shops,  # noqa: F811
    central_app: Flask,
    tmp_path: Path,
    backed_up: str,
) -> None:
    a, b, p = shops
    note = send(a, [TransferLineInput(p["honey"].id, 6), TransferLineInput(p["cake"].id, 12)])
    assert a.sync().ok
    if backed_up == "before_pull":  # B has not even heard of the note
        backup = back_up(b, tmp_path / "backups")
    assert b.sync().ok
    if backed_up == "in_transit":  # B holds the note in transit
        backup = back_up(b, tmp_path / "backups")
    with session_scope(b.engine) as s:
        receive_transfer(
            s,
            b.transfer(note.number).id,  # type: ignore[arg-type]
            [ReceivedLine(1, 6), ReceivedLine(2, 9, "damaged", "1 hộp bẹp"), ReceivedLine(3, 2)],
            None,
            note="Nhận lúc 9 giờ",
        )
    assert b.sync().ok and a.sync().ok
    received = receipt_of(b, note.number)
    assert received[0] == "differences"
    assert b.on_hand(p["honey"].uuid) == 6 and b.on_hand(p["cake"].uuid) == 11

    restore(b, backup)  # B's PC died; the backup is older than the receipt
    assert b.on_hand(p["honey"].uuid) == 0
    if backed_up == "in_transit":
        assert b.transfer(note.number).status == "in_transit"
        incoming_id: int = b.transfer(note.number).id  # type: ignore[assignment]
        # Until the first sync, nobody counts it in a second time: the refusal writes nothing.
        with pytest.raises(Conflict) as refused, session_scope(b.engine) as s:
            receive_transfer(s, incoming_id, [ReceivedLine(1, 6), ReceivedLine(2, 10), ReceivedLine(3, 2)], None)
        assert refused.value.message == AWAITING_PULL_MESSAGE
        assert b.on_hand(p["honey"].uuid) == 0 and b.transfer(note.number).status == "in_transit"

    result = b.sync()  # the receipt comes back from the central server, exactly as it was taken
    assert result.ok and result.transfers_restored == 1
    assert result.transfers_pulled == (1 if backed_up == "before_pull" else 0)
    incoming_id = b.transfer(note.number).id  # type: ignore[assignment]
    assert receipt_of(b, note.number) == received
    assert received[4] == [
        (6, "", "", None),
        (9, "damaged", "1 hộp bẹp", ("L1", TODAY + timedelta(days=40))),
        (2, "", "", ("L2", TODAY + timedelta(days=90))),
    ]
    assert b.on_hand(p["honey"].uuid) == 6 and b.on_hand(p["cake"].uuid) == 11
    assert {code: qty for code, qty in lots(b).items()} == {"L1": 9, "L2": 2}
    with session_scope(b.engine, write=False) as s:
        assert not is_awaiting_pull(s)
        moved = s.exec(select(StockMovement.kind, StockMovement.qty_delta).order_by(StockMovement.id)).all()
        assert moved == [("transfer_in", 6), ("transfer_in", 9), ("transfer_in", 2)]  # once: the backup had none
        assert s.exec(select(OutboxRecord).where(OutboxRecord.kind == "transfer_receipt")).all() == []
    assert actions(b) == ["transfer_receipt_restored"]
    b.ledger_ok()
    with session_scope(b.engine) as s, pytest.raises(Conflict, match="đã được nhận"):
        receive_transfer(s, incoming_id, [ReceivedLine(1, 6), ReceivedLine(2, 9), ReceivedLine(3, 2)], None)

    assert b.sync().ok  # the stock snapshot of the goods put back reaches the office
    assert central(central_app, "SELECT count(*) FROM sync_record WHERE kind = 'transfer_receipt'") == [(1,)]
    assert central(central_app, "SELECT status, qty_received FROM transfer") == [("differences", 17)]
    levels = central(
        central_app,
        "SELECT p.name, l.qty FROM stock_level l JOIN showroom s ON s.id = l.showroom_id "
        "JOIN product p ON p.id = l.product_id WHERE s.code = 'SR02' ORDER BY p.name",
    )
    assert levels == [("Bánh mật ong", 11), ("Mật ong bạc hà", 6)]
    assert central(central_app, "SELECT count(*) FROM sync_issue") == [(0,)]


def test_the_central_server_holds_one_receipt_per_note_and_refuses_a_second(
    shops: Shops,  # noqa: F811
    central_app: Flask,
) -> None:
    a, b, p = shops
    note = send(a, [TransferLineInput(p["honey"].id, 6)])
    assert a.sync().ok and b.sync().ok
    with session_scope(b.engine) as s:
        receive_transfer(s, b.transfer(note.number).id, [ReceivedLine(1, 6)], None)  # type: ignore[arg-type]
    assert b.sync().ok
    with session_scope(b.engine, write=False) as s:
        first = json.loads(s.exec(select(OutboxRecord).where(OutboxRecord.kind == "transfer_receipt")).one().payload)
    held = central(central_app, "SELECT status, qty_received, received_at, lines FROM transfer")

    # The same receipt again under a new seq (as a restore renumbers what it had not sent) is no second one …
    with session_scope(b.engine) as s:
        enqueue(s, "transfer_receipt", first["uuid"], first)
    assert b.sync().ok
    assert central(central_app, "SELECT count(*) FROM sync_issue") == [(0,)]
    # … a different one (another count, another time) is refused: held aside, the note as the first one left it.
    second = first | {
        "received_at": "2030-01-02T03:04:05+00:00",
        "received_by": "kho2",
        "lines": [{"line_no": 1, "qty_received": 4, "reason": "missing", "note": ""}],
    }
    with session_scope(b.engine) as s:
        enqueue(s, "transfer_receipt", first["uuid"], second)
    result = b.sync()
    assert result.ok  # acknowledged: the showroom's queue moves on
    with session_scope(b.engine, write=False) as s:
        assert s.exec(select(OutboxRecord).where(OutboxRecord.sent_at.is_(None))).all() == []  # type: ignore[union-attr]
    assert central(central_app, "SELECT status, qty_received, received_at, lines FROM transfer") == held
    assert central(central_app, "SELECT problem, is_held, kind FROM sync_issue") == [
        ("second_receipt", True, "transfer_receipt")
    ]
    assert b.on_hand(p["honey"].uuid) == 6 and a.sync().ok and a.transfer(note.number).status == "received"

    office = central_app.test_client()
    office_login(office, central_app, "manager")
    page = office.get("/sync-issues").get_data(as_text=True)
    assert "Phiếu chuyển kho đã có biên nhận; biên nhận thứ hai không được ghi" in page
    assert f"Phiếu: {note.number}" in page and "Biên nhận bị từ chối lập lúc: 02/01/2030 10:04" in page
    assert "Người nhận (biên nhận bị từ chối): kho2" in page


def test_a_sender_restored_gets_back_the_notes_it_sent_and_the_cancels_it_made(
    shops: Shops,  # noqa: F811
    central_app: Flask,
    tmp_path: Path,
) -> None:
    a, b, p = shops
    with session_scope(a.engine, write=False) as s:
        l2 = s.exec(select(Lot).where(Lot.lot_code == "L2")).one()
    t1 = send(a, [TransferLineInput(p["honey"].id, 6), TransferLineInput(p["cake"].id, 12)])
    t2 = send(a, [TransferLineInput(p["cake"].id, 4, l2.id)])
    assert a.sync().ok
    backup = back_up(a, tmp_path / "backups")  # A: honey 14, L1 0, L2 2; both notes in transit
    cancel(a, t1.number)  # honey 20, L1 10, L2 4
    t3 = send(a, [TransferLineInput(p["honey"].id, 2)])  # honey 18
    assert a.sync().ok and b.sync().ok
    with session_scope(b.engine) as s:
        receive_transfer(s, b.transfer(t2.number).id, [ReceivedLine(1, 4)], None)  # type: ignore[arg-type]
    assert b.sync().ok

    restore(a, backup)
    assert a.on_hand(p["honey"].uuid) == 14 and lots(a) == {"L1": 0, "L2": 2}
    # A restored sender cancels nothing before it knows: t1 was cancelled already, t2 received already.
    for number in (t1.number, t2.number):
        with pytest.raises(Conflict) as refused:
            cancel(a, number)
        assert refused.value.message == AWAITING_PULL_MESSAGE
    assert a.on_hand(p["honey"].uuid) == 14 and lots(a) == {"L1": 0, "L2": 2}

    result = a.sync()
    assert result.ok and (result.transfers_restored, result.transfers_closed) == (2, 1)  # t1's cancel, t3; t2
    assert a.on_hand(p["honey"].uuid) == 18 and lots(a) == {"L1": 10, "L2": 4}
    assert a.transfer(t1.number).status == "cancelled" and a.transfer(t1.number).cancel_reason
    assert a.transfer(t2.number).status == "received"
    back = a.transfer(t3.number)
    assert (back.direction, back.status, back.other_showroom, back.created_at) == (
        "out",
        "in_transit",
        "SR02",
        t3.created_at,
    )
    assert sorted(actions(a)[-2:]) == ["transfer_cancel_restored", "transfer_out_restored"]
    a.ledger_ok()

    cancel(a, t3.number)  # a note put back is the same note: it can be called back as any other
    assert a.on_hand(p["honey"].uuid) == 20
    t4 = send(a, [TransferLineInput(p["honey"].id, 1)])
    assert t4.number == f"CK-SR01-{TODAY.year}-0004"  # past the numbers the central server holds
    assert a.sync().ok and b.sync().ok
    assert b.transfer(t3.number).status == "cancelled"
    assert central(central_app, "SELECT number, status FROM transfer ORDER BY number") == [
        (t1.number, "cancelled"),
        (t2.number, "received"),
        (t3.number, "cancelled"),
        (t4.number, "in_transit"),
    ]
    assert central(central_app, "SELECT count(*) FROM sync_record WHERE kind = 'transfer_cancel'") == [(2,)]
    assert central(central_app, "SELECT count(*) FROM sync_issue") == [(0,)]


def test_a_note_sent_again_after_a_restore_is_the_same_note_not_a_collision(
    shops: Shops,  # noqa: F811
    central_app: Flask,
    tmp_path: Path,
) -> None:
    a, b, p = shops
    note = send(a, [TransferLineInput(p["honey"].id, 6)])
    backup = back_up(a, tmp_path / "backups")  # the note made, not yet sent
    assert a.sync().ok
    restore(a, backup)
    result = a.sync()  # the note goes again under a fresh seq
    assert result.ok and result.details["restore"]["renumbered"] >= 1
    assert central(central_app, "SELECT count(*) FROM sync_record WHERE kind = 'transfer'") == [(2,)]
    assert central(central_app, "SELECT number, status FROM transfer") == [(note.number, "in_transit")]
    assert central(central_app, "SELECT problem FROM sync_issue") == []
    assert a.on_hand(p["honey"].uuid) == 14 and a.transfer(note.number).status == "in_transit"
    assert b.sync().transfers_pulled == 1
    # Another showroom's note under the same UUID is still a collision for the office to look into.
    with session_scope(a.engine, write=False) as s:
        sent = json.loads(s.exec(select(OutboxRecord).where(OutboxRecord.kind == "transfer")).one().payload)
    with session_scope(b.engine) as s:
        enqueue(s, "transfer", sent["uuid"], sent | {"to_showroom": "SR03"})
    assert b.sync().ok
    assert central(central_app, "SELECT problem FROM sync_issue") == [("uuid_collision",)]
    assert central(central_app, "SELECT number, status FROM transfer") == [(note.number, "in_transit")]


def test_a_database_put_back_by_hand_and_received_again_follows_the_first_receipt(
    shops: Shops,  # noqa: F811
    central_app: Flask,
    tmp_path: Path,
) -> None:
    a, b, p = shops
    note = send(a, [TransferLineInput(p["honey"].id, 6), TransferLineInput(p["cake"].id, 12)])
    assert a.sync().ok and b.sync().ok
    backup = back_up(b, tmp_path / "backups")
    incoming_id: int = b.transfer(note.number).id  # type: ignore[assignment]
    with session_scope(b.engine) as s:
        receive_transfer(
            s, incoming_id, [ReceivedLine(1, 6), ReceivedLine(2, 9, "damaged", "1 hộp bẹp"), ReceivedLine(3, 2)], None
        )
    assert b.sync().ok
    first = receipt_of(b, note.number)

    # The file copied over the database by hand: no ``pos restore``, so nothing holds the staff back …
    b.engine.dispose()
    shutil.copyfile(backup, b.engine.url.database)
    with session_scope(b.engine) as s:  # … and they count the goods in a second time, differently.
        receive_transfer(s, incoming_id, [ReceivedLine(1, 6), ReceivedLine(2, 10), ReceivedLine(3, 1, "missing")], None)
    assert b.on_hand(p["honey"].uuid) == 6 and b.on_hand(p["cake"].uuid) == 11
    # The outbox sequence went back with the file: the central server keeps what it holds under those seqs and
    # tells the office (resent_differs); the first receipt comes back here and stands.
    result = b.sync()
    assert result.ok and result.transfers_restored == 1
    assert {row[0] for row in central(central_app, "SELECT problem FROM sync_issue")} == {"resent_differs"}
    assert central(central_app, "SELECT status, qty_received FROM transfer") == [("differences", 17)]
    assert receipt_of(b, note.number) == first
    assert b.on_hand(p["honey"].uuid) == 6 and b.on_hand(p["cake"].uuid) == 11 and lots(b) == {"L1": 9, "L2": 2}
    with session_scope(b.engine, write=False) as s:
        moved = s.exec(
            select(StockMovement.qty_delta).where(StockMovement.kind == "transfer_in").order_by(StockMovement.id)
        ).all()
        assert moved == [6, 10, 1, -1, 1]  # the second count, then back to the first one, lot by lot
    assert actions(b)[-1] == "transfer_receipt_replaced"
    b.ledger_ok()
    assert b.sync().ok and b.sync().transfers_restored == 0  # once
