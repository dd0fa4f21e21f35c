"""Lots of food products: FEFO through the real checkout, returns and voids back to their lot, expiry and
recall blocks, per-lot counts and adjustments, removal in one step, and the recall trace."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from sqlmodel import select

from pos.auth.models import User
from pos.catalog.models import Product
from pos.errors import Conflict, ValidationError
from pos.inventory import recall, stock
from pos.inventory.intake import IntakeLineInput, receive_stock
from pos.inventory.ledger import ledger_mismatches, lot_mismatches, on_hand
from pos.inventory.lots import LotRefused, lots_of
from pos.inventory.models import Lot, StockMovement
from pos.sales import returns, shifts
from pos.sales.cart import get_or_create_active_cart, price_cart
from pos.sales.checkout import complete_sale
from pos.sales.models import SaleLine, Shift
from pos.sales.pricing import PaymentInput
from pos.sales.scanning import add_product

NOW = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)  # 10:00 in Hà Nội
TODAY = date(2026, 12, 6)


@pytest.fixture
def staff(make_user: Callable[..., User]) -> dict[str, User]:
    return {"cashier": make_user("thungan", "cashier"), "manager": make_user("quanly", "manager")}


@pytest.fixture
def shift(uow: Callable[[], Any], staff: dict[str, User]) -> Shift:
    with uow() as s:
        return shifts.open_shift(s, staff["cashier"].id, 500_000)


@pytest.fixture
def honey(make_product: Callable[..., Product]) -> Product:
    return make_product(name="Mật ong bạc hà Mèo Vạc", price_vnd=185_000, unit="hũ", is_food=True)


def deliver(uow, product: Product, *lots: tuple[str, int, date], note: str | None = None) -> None:
    """One delivery of the product in these (lot code, qty, expiry) lots, through receive_stock."""
    with uow() as s:
        receive_stock(
            s,
            product.producer_id,
            TODAY - timedelta(days=2),
            note or f"PGH-{uuid4().hex[:6]}",
            [IntakeLineInput(product_id=product.id, qty=q, lot_code=c, expiry_date=e) for c, q, e in lots],
            None,
            today=TODAY,
        )


def lot_qty(uow, product: Product) -> dict[str, int]:
    with uow() as s:
        return {lot.lot_code: lot.qty for lot in lots_of(s, [product.id])[product.id]}


def sell(uow, staff, items: list[tuple[Product, int]], *, now: datetime = NOW, allow_negative: bool = False):
    with uow() as s:
        cart = get_or_create_active_cart(s, staff["cashier"].id)
        for product, qty in items:
            add_product(s, cart, product.id, qty)
    with uow() as s:
        cart = get_or_create_active_cart(s, staff["cashier"].id)
        total = price_cart(s, cart, now.date())[1].total_vnd
        return complete_sale(
            s,
            cart_id=cart.id,
            payments=[PaymentInput("cash", total)],
            cashier_id=staff["cashier"].id,
            idempotency_key=str(uuid4()),
            showroom_code="SR01",
            allow_negative=allow_negative,
            now=now,
        )


def consistent(uow) -> None:
    with uow() as s:
        assert ledger_mismatches(s) == [] and lot_mismatches(s) == []


def test_intake_opens_lots_and_one_lot_delivered_twice_is_one_lot(uow, honey) -> None:
    deliver(uow, honey, ("L1", 4, TODAY + timedelta(days=60)), ("L2", 5, TODAY + timedelta(days=20)))
    deliver(uow, honey, ("L1", 3, TODAY + timedelta(days=60)))
    assert lot_qty(uow, honey) == {"L2": 5, "L1": 7}  # FEFO order: L2 expires first
    consistent(uow)


def test_sale_takes_first_expiry_first_across_lots(uow, staff, shift, honey) -> None:
    deliver(uow, honey, ("LATE", 10, TODAY + timedelta(days=90)), ("SOON", 3, TODAY + timedelta(days=10)))
    sale = sell(uow, staff, [(honey, 5)])
    assert lot_qty(uow, honey) == {"SOON": 0, "LATE": 8}
    with uow() as s:
        moves = s.exec(select(StockMovement).where(StockMovement.kind == "sale")).all()
        lots = {lot.id: lot.lot_code for lot in s.exec(select(Lot))}
        assert sorted((lots[m.lot_id], m.qty_delta) for m in moves) == [("LATE", -2), ("SOON", -3)]
        assert {m.note for m in moves} == {sale.receipt_number}
        assert on_hand(s, honey.id) == 8
    consistent(uow)


def test_expired_lot_is_skipped_and_alone_it_is_refused_in_a_cashiers_words(uow, staff, shift, honey) -> None:
    deliver(uow, honey, ("OLD", 2, TODAY + timedelta(days=1)), ("NEW", 2, TODAY + timedelta(days=30)))
    later = NOW + timedelta(days=3)  # OLD is past its date by then
    sell(uow, staff, [(honey, 2)], now=later)
    assert lot_qty(uow, honey) == {"OLD": 2, "NEW": 0}
    with pytest.raises(LotRefused) as refused:
        sell(uow, staff, [(honey, 1)], now=later)
    assert "lô OLD đã hết hạn sử dụng ngày 07/12/2026 — không được bán" in refused.value.message
    assert "báo quản lý" in refused.value.message
    consistent(uow)


def test_more_than_the_good_lots_hold_is_refused_even_when_expired_stock_covers_it(uow, staff, shift, honey) -> None:
    deliver(uow, honey, ("OLD", 5, TODAY - timedelta(days=1)), ("NEW", 2, TODAY + timedelta(days=30)))
    with pytest.raises(Conflict) as short:
        sell(uow, staff, [(honey, 3)])
    assert "chỉ còn 2 hũ trong hạn sử dụng" in short.value.message
    assert lot_qty(uow, honey) == {"OLD": 5, "NEW": 2}  # nothing written


def test_recalled_lot_is_blocked_at_once(uow, staff, shift, honey) -> None:
    deliver(uow, honey, ("BAD", 4, TODAY + timedelta(days=10)), ("GOOD", 1, TODAY + timedelta(days=40)))
    with uow() as s:
        bad = s.exec(select(Lot).where(Lot.lot_code == "BAD")).one()
        recall.recall_lot(s, bad.id, "Công văn 12/CV-HTX", staff["manager"].id, NOW)
    sell(uow, staff, [(honey, 1)])
    assert lot_qty(uow, honey) == {"BAD": 4, "GOOD": 0}
    with pytest.raises(LotRefused) as refused:
        sell(uow, staff, [(honey, 1)])
    assert "lô BAD đang bị thu hồi — không được bán" in refused.value.message
    with uow() as s, pytest.raises(Conflict):
        recall.recall_lot(s, bad.id, "lần nữa", None, NOW)
    with uow() as s, pytest.raises(ValidationError):
        recall.recall_lot(s, bad.id, "  ", None, NOW)


def test_return_goes_back_to_its_lot_and_void_to_each_lot(uow, staff, shift, honey) -> None:
    deliver(uow, honey, ("A", 2, TODAY + timedelta(days=10)), ("B", 10, TODAY + timedelta(days=50)))
    sale = sell(uow, staff, [(honey, 4)])  # 2 from A, 2 from B
    assert lot_qty(uow, honey) == {"A": 0, "B": 8}
    with uow() as s:
        line = s.exec(select(SaleLine).where(SaleLine.sale_id == sale.id)).one()
        returns.create_return(
            s, sale.receipt_number, {line.id: 1}, "cash", "Hũ nứt", staff["cashier"].id, s.get(Shift, shift.id), "k1"
        )
    assert lot_qty(uow, honey) == {"A": 0, "B": 9}  # last taken, first back
    with uow() as s:
        returns.create_return(
            s, sale.receipt_number, {line.id: 2}, "cash", "Đổi ý", staff["cashier"].id, s.get(Shift, shift.id), "k2"
        )
    assert lot_qty(uow, honey) == {"A": 1, "B": 10}
    consistent(uow)

    second = sell(uow, staff, [(honey, 3)])  # 1 from A, 2 from B
    assert lot_qty(uow, honey) == {"A": 0, "B": 8}
    with uow() as s:
        returns.void_last_sale(s, s.get(Shift, shift.id), "quanly", "quanly-pass", "Bấm nhầm")
    assert lot_qty(uow, honey) == {"A": 1, "B": 10}
    assert second.receipt_number
    consistent(uow)


def test_adjustments_and_counts_are_per_lot(uow, honey, staff) -> None:
    deliver(uow, honey, ("A", 5, TODAY + timedelta(days=10)), ("B", 5, TODAY + timedelta(days=50)))
    with uow() as s:
        a = s.exec(select(Lot).where(Lot.lot_code == "A")).one()
        with pytest.raises(ValidationError) as which:
            stock.adjust_stock(s, honey.id, -1, "damaged", "")
        assert which.value.field == "lot_id" and "chọn lô" in which.value.message
        stock.adjust_stock(s, honey.id, -2, "damaged", "Vỡ", lot_id=a.id)
        with pytest.raises(ValidationError):
            stock.adjust_stock(s, honey.id, -4, "lost", "", lot_id=a.id)  # A holds 3
        stock.count_stock(s, honey.id, 6, "Kiểm kê", lot_id=a.id + 1)
    assert lot_qty(uow, honey) == {"A": 3, "B": 6}
    with uow() as s:
        assert on_hand(s, honey.id) == 9
    consistent(uow)


def test_manager_removes_an_expired_lot_in_one_step(uow, honey, staff) -> None:
    deliver(uow, honey, ("OLD", 7, TODAY - timedelta(days=1)), ("NEW", 2, TODAY + timedelta(days=30)))
    with uow() as s:
        old = s.exec(select(Lot).where(Lot.lot_code == "OLD")).one()
        with pytest.raises(ValidationError):
            stock.remove_lot(s, old.id, "found", "", staff["manager"].id)
        movement = stock.remove_lot(s, old.id, "destroyed", "Biên bản tiêu hủy 03", staff["manager"].id)
        assert (movement.qty_delta, movement.reason, movement.lot_id) == (-7, "destroyed", old.id)
        with pytest.raises(ValidationError):
            stock.remove_lot(s, old.id, "damaged", "", None)  # nothing left
        expiring = stock.expiring_lots(s, 30, TODAY)
    assert [(lot.lot_code, lot.lot_left) for lot in expiring] == [("NEW", 2)]
    consistent(uow)


def test_expiring_lots_list_real_lot_quantities_and_recalls(uow, staff, shift, honey, make_product) -> None:
    cake = make_product(name="Bánh cốm", is_food=True, unit="hộp")
    deliver(uow, honey, ("H1", 3, TODAY + timedelta(days=5)), ("H2", 4, TODAY + timedelta(days=300)))
    deliver(uow, cake, ("C1", 6, TODAY - timedelta(days=1)))
    sell(uow, staff, [(honey, 2)])
    with uow() as s:
        h2 = s.exec(select(Lot).where(Lot.lot_code == "H2")).one()
        recall.recall_lot(s, h2.id, "Kiểm nghiệm không đạt", None, NOW)
        lots = stock.expiring_lots(s, 30, TODAY)
    assert [(lot.lot_code, lot.lot_left, lot.is_expired, lot.is_recalled) for lot in lots] == [
        ("C1", 6, True, False),
        ("H2", 4, False, True),
        ("H1", 1, False, False),
    ]


def test_recall_trace_matches_a_hand_made_history(uow, staff, shift, honey, make_product) -> None:
    """Three sales, one return, one void: the trace says what each receipt took from the lot and what came back."""
    tea = make_product(name="Chè Shan tuyết", is_food=True, unit="hộp", price_vnd=240_000)
    deliver(uow, honey, ("R1", 5, TODAY + timedelta(days=20)), ("R2", 20, TODAY + timedelta(days=200)), note="PGH-77")
    deliver(uow, tea, ("T1", 10, TODAY + timedelta(days=100)), note="PGH-78")
    first = sell(uow, staff, [(honey, 3), (tea, 1)], now=NOW)
    second = sell(uow, staff, [(honey, 4)], now=NOW + timedelta(hours=1))  # 2 from R1, 2 from R2
    with uow() as s:
        line = s.exec(select(SaleLine).where(SaleLine.sale_id == first.id, SaleLine.product_id == honey.id)).one()
        returns.create_return(
            s, first.receipt_number, {line.id: 1}, "cash", "Nứt", staff["cashier"].id, s.get(Shift, shift.id), "r1"
        )
    third = sell(uow, staff, [(honey, 1)], now=NOW + timedelta(hours=2))  # the returned one, from R1
    with uow() as s:
        returns.void_last_sale(s, s.get(Shift, shift.id), "quanly", "quanly-pass", "Khách không lấy")
        r1 = s.exec(select(Lot).where(Lot.lot_code == "R1")).one()
        rows = recall.trace(s, [r1.id])
        by_note = recall.lots_of_delivery(s, "pgh-77")
        lots = {lot.lot_code: lot.id for lot in s.exec(select(Lot))}
    assert [(r.receipt_number, r.qty_sold, r.qty_back, r.qty_out, r.status) for r in rows] == [
        (first.receipt_number, 3, 1, 2, "Đã bán"),
        (second.receipt_number, 2, 0, 2, "Đã bán"),
        (third.receipt_number, 1, 1, 0, "Đã hủy"),
    ]
    assert by_note == sorted([lots["R1"], lots["R2"]])
    report = recall.trace_report(rows, "Truy xuất lô R1", "Asia/Ho_Chi_Minh")
    assert report.rows[0]["sold_on"] == TODAY and report.rows[0]["sold_time"] == "10:00"
    assert report.totals == {"receipt_number": "Cộng", "qty_sold": 6, "qty_back": 2, "qty_out": 4}
    consistent(uow)


def test_a_recalled_lot_is_not_received_again(uow, honey) -> None:
    deliver(uow, honey, ("BAD", 4, TODAY + timedelta(days=10)))
    with uow() as s:
        bad = s.exec(select(Lot)).one()
        recall.recall_lot(s, bad.id, "Thu hồi", None, NOW)
    with pytest.raises(ValidationError) as refused:
        deliver(uow, honey, ("BAD", 2, TODAY + timedelta(days=10)))
    assert "đang bị thu hồi" in str(refused.value.details)


def test_allow_negative_puts_the_rest_on_the_last_good_lot(uow, staff, shift, honey) -> None:
    deliver(uow, honey, ("A", 1, TODAY + timedelta(days=10)), ("B", 1, TODAY + timedelta(days=20)))
    sell(uow, staff, [(honey, 4)], allow_negative=True)
    assert lot_qty(uow, honey) == {"A": 0, "B": -2}
    consistent(uow)
