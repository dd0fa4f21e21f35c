"""Stock adjustments, counts, the stock list, movement history and expiring lots, on a real database."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlmodel import select

from pos.audit.models import AuditEntry
from pos.errors import NotFound, ValidationError
from pos.inventory.ledger import ledger_mismatches, ledger_sum, on_hand, record_movement
from pos.inventory.models import Intake, IntakeLine, StockMovement
from pos.inventory.stock import (
    adjust_stock,
    count_stock,
    expiring_lots,
    movement_history,
    stock_list,
)
from pos.sync import contract
from pos.sync.models import OutboxRecord

TODAY = date(2026, 11, 24)


def receive(uow, product, qty: int, *, expiry: date | None = None, lot: str = "", received_on: date = TODAY) -> int:
    """Put stock in the way an intake does (the intake service is another module): returns the intake id."""
    with uow() as s:
        intake = Intake(producer_id=product.producer_id, received_on=received_on, delivery_note_number="PGH-1")
        s.add(intake)
        s.flush()
        line = IntakeLine(
            intake_id=intake.id, line_no=1, product_id=product.id, qty=qty, unit_cost_vnd=30_000,
            lot_code=lot, expiry_date=expiry,
        )  # fmt: skip
        s.add(line)
        s.flush()
        record_movement(s, StockMovement(product_id=product.id, kind="intake", qty_delta=qty, intake_line_id=line.id))
        return intake.id


def counts(uow) -> tuple[int, int, int]:
    with uow() as s:
        return (
            len(s.exec(select(StockMovement)).all()),
            len(s.exec(select(OutboxRecord)).all()),
            len(s.exec(select(AuditEntry)).all()),
        )


@pytest.fixture
def product(make_product, uow):
    item = make_product(name="Bánh cốm làng Vòng", unit="hộp", price_vnd=125_000, cost_vnd=90_000)
    receive(uow, item, 10)
    return item


def test_adjustments_and_counts_keep_the_ledger_and_on_hand_equal(uow, product, make_user) -> None:
    manager = make_user("quanly", "manager")
    with uow() as s:
        adjust_stock(s, product.id, -2, "damaged", "Vỡ hộp khi bày kệ", manager.id)
        adjust_stock(s, product.id, -1, "lost", "", manager.id)
        adjust_stock(s, product.id, 3, "found", "Tìm thấy trong kho sau", manager.id)
        adjust_stock(s, product.id, -1, "count", "", manager.id)
        movement = count_stock(s, product.id, 4, "Kiểm kê cuối tháng", manager.id)
    assert movement is not None and movement.kind == "count" and movement.qty_delta == 4 - 9
    with uow() as s:
        assert on_hand(s, product.id) == ledger_sum(s, product.id) == 4
        assert ledger_mismatches(s) == []
        kinds = [m.kind for m in s.exec(select(StockMovement).order_by(StockMovement.id)).all()]
    assert kinds == ["intake", "adjustment", "adjustment", "adjustment", "adjustment", "count"]


def test_an_adjustment_writes_its_outbox_record_and_audit_entry(uow, product, make_user) -> None:
    manager = make_user("quanly", "manager")
    with uow() as s:
        movement = adjust_stock(s, product.id, -2, "damaged", "Vỡ", manager.id)
    with uow() as s:
        (record,) = s.exec(select(OutboxRecord).where(OutboxRecord.kind == "stock_adjustment")).all()
        entry = s.exec(select(AuditEntry).where(AuditEntry.action == "stock.adjust")).one()
    payload = json.loads(record.payload)
    assert set(payload) == set(contract.StockMovementIn.__struct_encode_fields__)
    assert payload["uuid"] == str(movement.uuid) == record.entity_uuid
    assert payload["product_uuid"] == str(product.uuid)
    assert (payload["kind"], payload["qty_delta"], payload["reason"]) == ("adjustment", -2, "damaged")
    assert payload["created_by"] == "quanly"
    assert json.loads(entry.before) == {"on_hand": 10}
    assert json.loads(entry.after)["on_hand"] == 8
    assert entry.user_id == manager.id and entry.entity_id == str(product.id)


@pytest.mark.parametrize(
    ("delta", "reason", "field"),
    [
        (0, "damaged", "qty_delta"),
        (-100_001, "lost", "qty_delta"),
        (100_001, "found", "qty_delta"),
        (2, "damaged", "qty_delta"),
        (1, "lost", "qty_delta"),
        (-1, "found", "qty_delta"),
        (-1, "stolen", "reason"),
        (-1, "", "reason"),
        (-11, "damaged", "qty_delta"),  # more than the 10 on hand
    ],
)
def test_a_refused_adjustment_writes_nothing(uow, product, delta: int, reason: str, field: str) -> None:
    before = counts(uow)
    with pytest.raises(ValidationError) as refused, uow() as s:
        adjust_stock(s, product.id, delta, reason, "", None)
    assert refused.value.field == field
    assert refused.value.message  # a Vietnamese sentence for the screen
    assert counts(uow) == before
    with uow() as s:
        assert on_hand(s, product.id) == 10


def test_negative_stock_only_when_the_showroom_allows_it(uow, product) -> None:
    with pytest.raises(ValidationError, match="tồn kho hiện chỉ còn 10"), uow() as s:
        adjust_stock(s, product.id, -12, "lost", "")
    with uow() as s:
        adjust_stock(s, product.id, -12, "lost", "", allow_negative=True)
    with uow() as s:
        assert on_hand(s, product.id) == -2


def test_a_long_note_and_an_unknown_product_are_refused(uow, product) -> None:
    with pytest.raises(ValidationError) as refused, uow() as s:
        adjust_stock(s, product.id, -1, "damaged", "x" * 501)
    assert refused.value.field == "note"
    with pytest.raises(NotFound), uow() as s:
        adjust_stock(s, 999_999, -1, "damaged", "")
    with pytest.raises(NotFound), uow() as s:
        count_stock(s, 999_999, 1)


def test_a_note_is_stored_in_nfc(uow, product) -> None:
    with uow() as s:
        movement = adjust_stock(s, product.id, -1, "damaged", "  Ve\u0301 go\u0301c hộp  ")
    assert movement.note == "Vé góc hộp"


def test_a_count_that_agrees_writes_no_movement_but_is_audited(uow, product) -> None:
    before = counts(uow)
    with uow() as s:
        assert count_stock(s, product.id, 10, "Đúng sổ") is None
    movements, outbox, audits = counts(uow)
    assert (movements, outbox) == before[:2]
    assert audits == before[2] + 1


@pytest.mark.parametrize("counted", [-1, 100_001])
def test_an_absurd_count_is_refused(uow, product, counted: int) -> None:
    before = counts(uow)
    with pytest.raises(ValidationError), uow() as s:
        count_stock(s, product.id, counted)
    assert counts(uow) == before


def test_a_count_to_zero_empties_the_shelf(uow, product) -> None:
    with uow() as s:
        movement = count_stock(s, product.id, 0)
    assert movement is not None and movement.qty_delta == -10
    with uow() as s:
        assert on_hand(s, product.id) == 0
        assert ledger_mismatches(s) == []


def test_history_is_newest_first_with_a_running_balance(uow, product) -> None:
    with uow() as s:
        adjust_stock(s, product.id, -2, "damaged", "")
        adjust_stock(s, product.id, 1, "found", "")
        count_stock(s, product.id, 5)
    with uow() as s:
        rows = movement_history(s, product.id)
        page2 = movement_history(s, product.id, limit=2, offset=2)
    assert [(r.movement.kind, r.movement.qty_delta, r.balance) for r in rows] == [
        ("count", -4, 5),
        ("adjustment", 1, 9),
        ("adjustment", -2, 8),
        ("intake", 10, 10),
    ]
    assert [r.kind_label for r in rows] == ["Kiểm kê", "Điều chỉnh tồn kho", "Điều chỉnh tồn kho", "Nhập kho"]
    assert rows[2].reason_label == "Hư hỏng"
    assert rows[3].intake_id is not None
    assert [(r.movement.qty_delta, r.balance) for r in page2] == [(-2, 8), (10, 10)]


def test_stock_list_searches_without_diacritics_and_values_stock(uow, make_product, make_producer, product) -> None:
    other = make_producer(name="HTX Gốm Bát Tràng")
    vase = make_product(name="Bình gốm men lam", producer_id=other.id, price_vnd=450_000, cost_vnd=300_000, min_stock=3)
    receive(uow, vase, 2)
    make_product(name="Sản phẩm ngừng bán", is_active=False)
    with uow() as s:
        everything = stock_list(s)
        by_folded = stock_list(s, q="banh com")
        by_accented = stock_list(s, q="Cốm VÒNG")
        by_sku = stock_list(s, q=product.sku.lower())
        by_producer = stock_list(s, producer_id=other.id)
        low = stock_list(s, only_low=True, low_stock_default=5)
        wildcard = stock_list(s, q="%")
    assert [r.product.name for r in everything.rows] == ["Bánh cốm làng Vòng", "Bình gốm men lam"]
    assert everything.total == 2 and everything.total_qty == 12
    assert everything.total_retail_vnd == 10 * 125_000 + 2 * 450_000
    assert everything.total_cost_vnd == 10 * 90_000 + 2 * 300_000
    assert [r.product.id for r in by_folded.rows] == [product.id]
    assert [r.product.id for r in by_accented.rows] == [product.id]
    assert [r.product.id for r in by_sku.rows] == [product.id]
    assert [r.product.id for r in by_producer.rows] == [vase.id]
    assert [(r.product.id, r.on_hand, r.min_stock, r.is_low) for r in low.rows] == [(vase.id, 2, 3, True)]
    assert wildcard.total == 0


def test_stock_list_pages(uow, make_product) -> None:
    for n in range(7):
        make_product(name=f"Chè Tân Cương {n}")
    with uow() as s:
        first = stock_list(s, limit=5)
        second = stock_list(s, limit=5, offset=5)
    assert first.total == second.total == 7
    assert len(first.rows) == 5 and len(second.rows) == 2


def test_expiring_lots_flag_expired_ones_first(uow, make_product) -> None:
    honey = make_product(name="Mật ong bạc hà", is_food=True)
    cake = make_product(name="Bánh cốm", is_food=True)
    rice = make_product(name="Gạo tám", is_food=True)
    sold_out = make_product(name="Giò lụa", is_food=True)
    receive(uow, honey, 5, expiry=TODAY + timedelta(days=20), lot="MO-2")
    receive(uow, cake, 4, expiry=TODAY - timedelta(days=3), lot="BC-1")
    receive(uow, cake, 6, expiry=TODAY + timedelta(days=5), lot="BC-2")
    receive(uow, rice, 8, expiry=TODAY + timedelta(days=200), lot="GT-1")  # far off: not listed
    receive(uow, sold_out, 2, expiry=TODAY - timedelta(days=1), lot="GL-1")
    with uow() as s:
        count_stock(s, sold_out.id, 0)  # nothing left on the shelf: no warning
        lots = expiring_lots(s, 30, TODAY)
    assert [(lot.lot_code, lot.is_expired, lot.days_left) for lot in lots] == [
        ("BC-1", True, -3),
        ("BC-2", False, 5),
        ("MO-2", False, 20),
    ]
    assert lots[0].product_name == "Bánh cốm" and lots[0].on_hand == 10
    assert lots[0].producer_name.startswith("HTX")


def test_expiry_today_counts_as_not_yet_expired(uow, make_product) -> None:
    cake = make_product(name="Bánh cốm", is_food=True)
    receive(uow, cake, 3, expiry=TODAY, lot="L1")
    with uow() as s:
        (lot,) = expiring_lots(s, 0, TODAY)
    assert lot.days_left == 0 and not lot.is_expired


def test_lot_left_assumes_oldest_lots_leave_first(uow, make_product) -> None:
    cake = make_product(name="Bánh cốm", is_food=True)
    receive(uow, cake, 4, expiry=TODAY - timedelta(days=2), lot="OLD", received_on=TODAY - timedelta(days=40))
    receive(uow, cake, 6, expiry=TODAY + timedelta(days=10), lot="NEW", received_on=TODAY - timedelta(days=5))
    with uow() as s:
        adjust_stock(s, cake.id, -5, "lost", "")  # 5 left: all of NEW would be 6, so OLD is gone
        lots = {lot.lot_code: lot.lot_left for lot in expiring_lots(s, 30, TODAY)}
    assert lots == {"OLD": 0, "NEW": 5}
