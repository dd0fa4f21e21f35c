"""Completing a sale: one transaction, gapless receipt numbers, idempotency, stock rules, concurrency."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import func
from sqlmodel import select

from pos.auth.services import verify_manager
from pos.barcodes import instore_ean13
from pos.catalog.models import Counter
from pos.db import make_engine, session_scope
from pos.errors import Conflict, Forbidden, PosError, ValidationError
from pos.inventory.ledger import ledger_mismatches, on_hand, record_movement
from pos.inventory.models import StockMovement
from pos.numbering import peek_receipt_number
from pos.sales import cart as carts
from pos.sales import checkout, discounts, scanning
from pos.sales.checkout import complete_sale, complete_sale_once
from pos.sales.models import Cart, Payment, Sale, SaleLine, Shift
from pos.sales.pricing import Discount, DiscountLimits, PaymentInput
from pos.sales.receipt_data import receipt_for_sale
from pos.sync import contract
from pos.sync.models import OutboxRecord

NOW = datetime(2026, 11, 24, 3, 15, tzinfo=UTC)  # 10:15 in Hà Nội
CONFIG = {
    "SHOWROOM_NAME": "Điểm OCOP Hoàn Kiếm",
    "SHOWROOM_ADDRESS": "12 Hàng Bạc",
    "SHOWROOM_TAX_CODE": "0101234567",
    "SHOWROOM_PHONE": "024 3826 1234",
    "RECEIPT_FOOTER": "Cảm ơn quý khách!",
    "BANK_BIN": "970436",
    "BANK_ACCOUNT": "0011004123456",
}


@pytest.fixture
def till(uow, make_user, make_product):
    """A cashier with an open shift and two products in stock (tea 5, cake 1)."""
    cashier = make_user("thungan", "cashier", "Nguyễn Thị Thu Ngân")
    tea = make_product(name="Chè Shan tuyết Hà Giang", barcode=instore_ean13(1), price_vnd=120_000, cost_vnd=80_000)
    cake = make_product(name="Bánh cốm Đình Bảng", barcode=instore_ean13(2), price_vnd=45_000, vat_class="reduced")
    with uow() as s:
        s.add(Shift(cashier_id=cashier.id, opening_float_vnd=1_000_000))
        record_movement(s, StockMovement(product_id=tea.id, kind="intake", qty_delta=5))
        record_movement(s, StockMovement(product_id=cake.id, kind="intake", qty_delta=1))
    return {"cashier": cashier, "tea": tea, "cake": cake}


def ring_up(uow, cashier_id, *codes):
    with uow() as s:
        cart = carts.get_or_create_active_cart(s, cashier_id)
        for code in codes:
            scanning.scan(s, cart, code)
        return cart.id


def sell(uow, till, payments, key="key-00000001", allow_negative=False, now=NOW, codes=None, **kw):
    cart_id = ring_up(uow, till["cashier"].id, *(codes or [till["tea"].barcode, till["cake"].barcode]))
    with uow() as s:
        return complete_sale(
            s,
            cart_id=cart_id,
            payments=payments,
            cashier_id=till["cashier"].id,
            idempotency_key=key,
            showroom_code="SR01",
            allow_negative=allow_negative,
            now=now,
            **kw,
        )


def counts(uow):
    with uow() as s:
        return {
            model.__name__: s.scalar(select(func.count()).select_from(model))
            for model in (Sale, SaleLine, Payment, StockMovement, OutboxRecord)
        } | {"counter": s.scalar(select(func.coalesce(func.max(Counter.value), 0)))}


def test_a_sale_is_recorded_whole(uow, till) -> None:
    sale = sell(uow, till, [PaymentInput("cash", 200_000)])
    assert sale.receipt_number == "SR01-2026-000001"
    assert (sale.subtotal_vnd, sale.total_vnd) == (165_000, 165_000)
    assert sale.vat_vnd == 8_889 + 2_143  # 120.000 × 8/108 and 45.000 × 5/105
    with uow() as s:
        lines = s.exec(select(SaleLine).where(SaleLine.sale_id == sale.id).order_by(SaleLine.line_no)).all()
        assert [(ln.name, ln.qty, ln.unit_price_vnd, ln.vat_rate_bp, ln.vat_vnd) for ln in lines] == [
            ("Chè Shan tuyết Hà Giang", 1, 120_000, 800, 8_889),
            ("Bánh cốm Đình Bảng", 1, 45_000, 500, 2_143),
        ]
        assert lines[0].unit_cost_vnd == 80_000 and lines[0].producer_id == till["tea"].producer_id
        payment = s.exec(select(Payment)).one()
        assert (payment.method, payment.amount_vnd, payment.tendered_vnd, payment.change_vnd) == (
            "cash",
            165_000,
            200_000,
            35_000,
        )
        moves = s.exec(select(StockMovement).where(StockMovement.kind == "sale")).all()
        assert sorted((m.sale_line_id, m.qty_delta) for m in moves) == [(lines[0].id, -1), (lines[1].id, -1)]
        assert on_hand(s, till["tea"].id) == 4 and on_hand(s, till["cake"].id) == 0
        assert ledger_mismatches(s) == []
        outbox = s.exec(select(OutboxRecord)).one()
        payload = json.loads(outbox.payload)
        assert outbox.kind == "sale" and outbox.entity_uuid == str(sale.uuid)
        assert payload["receipt_number"] == "SR01-2026-000001"
        assert (payload["cashier"], payload["cashier_name"]) == ("thungan", "Nguyễn Thị Thu Ngân")
        assert outbox.version == contract.KIND_VERSIONS["sale"] >= 2
        assert payload["lines"][0]["product_uuid"] == str(till["tea"].uuid)
        assert payload["payments"][0]["change_vnd"] == 35_000
        assert s.exec(select(Cart)).all() == []  # the cart is gone with the sale


def test_the_prices_and_rates_are_frozen_as_sold(uow, till) -> None:
    sale = sell(uow, till, [PaymentInput("cash", 165_000)])
    with uow() as s:
        tea = s.get(type(till["tea"]), till["tea"].id)
        tea.name, tea.price_vnd = "Tên mới", 999_000
    with uow() as s:
        line = s.exec(select(SaleLine).where(SaleLine.sale_id == sale.id, SaleLine.line_no == 1)).one()
        assert (line.name, line.unit_price_vnd) == ("Chè Shan tuyết Hà Giang", 120_000)


def test_receipt_numbers_are_gapless_per_showroom_and_year(uow, till) -> None:
    numbers = [
        sell(uow, till, [PaymentInput("cash", 120_000)], key=f"key-{i:08d}", codes=[till["tea"].barcode]).receipt_number
        for i in range(2)
    ]
    # A refused sale in between takes no number.
    with pytest.raises(ValidationError):
        sell(uow, till, [PaymentInput("cash", 1_000)], key="key-refused1", codes=[till["tea"].barcode])
    with uow() as s:
        carts.clear_cart(s, carts.get_or_create_active_cart(s, till["cashier"].id))
    numbers.append(
        sell(uow, till, [PaymentInput("cash", 120_000)], key="key-00000003", codes=[till["tea"].barcode]).receipt_number
    )
    # The first sale after midnight on New Year (local time) starts the new year's series, at the new VAT rate.
    new_year = datetime(2026, 12, 31, 17, 30, tzinfo=UTC)
    sale_2027 = sell(
        uow, till, [PaymentInput("cash", 120_000)], key="key-00000004", now=new_year, codes=[till["tea"].barcode]
    )
    assert numbers == ["SR01-2026-000001", "SR01-2026-000002", "SR01-2026-000003"]
    assert sale_2027.receipt_number == "SR01-2027-000001"
    assert sale_2027.vat_vnd == 10_909  # 120.000 × 10/110
    with uow() as s:
        assert peek_receipt_number(s, "SR01", new_year.year) == "SR01-2026-000004"


def test_a_retried_request_returns_the_same_sale(uow, till) -> None:
    first = sell(uow, till, [PaymentInput("cash", 200_000)], key="same-key-123")
    before = counts(uow)
    # The page retries (double Enter, lost answer): the cart is gone but the sale is found by its key.
    with uow() as s:
        again = complete_sale(
            s,
            cart_id=first.cart_id,
            payments=[PaymentInput("cash", 200_000)],
            cashier_id=till["cashier"].id,
            idempotency_key="same-key-123",
            showroom_code="SR01",
            allow_negative=False,
            now=NOW,
        )
    assert again.id == first.id
    assert counts(uow) == before


def test_the_idempotency_key_is_required(uow, till) -> None:
    with pytest.raises(ValidationError, match="chống trùng"):
        sell(uow, till, [PaymentInput("cash", 200_000)], key="")


def test_no_sale_outside_an_open_shift(uow, till) -> None:
    with uow() as s:
        shift = s.exec(select(Shift)).one()
        shift.status = "closed"
    with pytest.raises(PosError, match="Chưa mở ca làm việc"):
        sell(uow, till, [PaymentInput("cash", 200_000)])


def test_selling_past_zero_is_refused_when_negative_stock_is_off(uow, till) -> None:
    before = counts(uow)
    with pytest.raises(Conflict, match="Không đủ hàng “Bánh cốm Đình Bảng”: tồn kho còn 1 cái, đơn cần 2"):
        sell(uow, till, [PaymentInput("cash", 500_000)], codes=[till["cake"].barcode, till["cake"].barcode])
    assert counts(uow) == before


def test_selling_past_zero_is_recorded_when_negative_stock_is_on(uow, till) -> None:
    sell(uow, till, [PaymentInput("cash", 500_000)], codes=[till["cake"].barcode] * 3, allow_negative=True)
    with uow() as s:
        assert on_hand(s, till["cake"].id) == -2
        assert ledger_mismatches(s) == []


def test_an_insufficient_payment_writes_nothing(uow, till) -> None:
    before = counts(uow)
    with pytest.raises(ValidationError, match="Số tiền khách đưa chưa đủ"):
        sell(uow, till, [PaymentInput("cash", 100_000)])
    assert counts(uow) == before
    with uow() as s:
        assert s.exec(select(Cart)).one().status == "active"  # the cart is still there to pay again


def test_a_failure_after_the_writes_rolls_everything_back(uow, till, monkeypatch) -> None:
    def broken_outbox(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(checkout, "enqueue", broken_outbox)
    before = counts(uow)
    with pytest.raises(RuntimeError):
        sell(uow, till, [PaymentInput("card", 165_000, "A1")])
    assert counts(uow) == before  # no sale, lines, payments, movements or outbox; counter not advanced
    with uow() as s:
        assert on_hand(s, till["tea"].id) == 5
        assert peek_receipt_number(s, "SR01", NOW.year) == "SR01-2026-000001"


def test_a_changed_total_is_caught_before_payment(uow, till) -> None:
    with pytest.raises(Conflict, match="165.000 ₫"):
        sell(uow, till, [PaymentInput("cash", 200_000)], expected_total_vnd=160_000)


def test_an_unapproved_discount_that_drifted_above_the_limit_is_refused(uow, till) -> None:
    cashier = till["cashier"]
    with uow() as s:
        cart = carts.get_or_create_active_cart(s, cashier.id)
        line = scanning.scan(s, cart, till["tea"].barcode)
        scanning.scan(s, cart, till["tea"].barcode)  # 240.000
        discounts.set_line_discount(
            s, cart, line.id, Discount("amount", 24_000), limits=DiscountLimits(), actor_id=cashier.id
        )
        carts.set_qty(s, cart, line.id, 1)  # now 20% of 120.000
    with pytest.raises(Forbidden, match="chưa có quản lý duyệt"), uow() as s:
        complete_sale(
            s,
            cart_id=cart.id,
            payments=[PaymentInput("cash", 200_000)],
            cashier_id=cashier.id,
            idempotency_key="key-drifted1",
            showroom_code="SR01",
            allow_negative=False,
            now=NOW,
        )


def test_approved_discounts_reach_the_sale(uow, till, make_user) -> None:
    manager = make_user("quanly", "manager")
    cashier = till["cashier"]
    with uow() as s:
        cart = carts.get_or_create_active_cart(s, cashier.id)
        line = scanning.scan(s, cart, till["tea"].barcode)
        scanning.scan(s, cart, till["cake"].barcode)
        approver = verify_manager(s, "quanly", "quanly-pass")
        discounts.set_line_discount(
            s, cart, line.id, Discount("percent", 2000), limits=DiscountLimits(), actor_id=cashier.id, approver=approver
        )
        discounts.set_sale_discount(s, cart, Discount("amount", 1_000), limits=DiscountLimits(), actor_id=cashier.id)
    with uow() as s:
        sale = complete_sale(
            s,
            cart_id=cart.id,
            payments=[PaymentInput("transfer", 140_000)],
            cashier_id=cashier.id,
            idempotency_key="key-discount",
            showroom_code="SR01",
            allow_negative=False,
            now=NOW,
            expected_total_vnd=140_000,
        )
    # 120.000 − 24.000 = 96.000 and 45.000; the sale's 1.000 is spread 681 / 319 (96/141 and 45/141).
    assert (sale.line_discount_vnd, sale.sale_discount_vnd, sale.total_vnd) == (24_000, 1_000, 140_000)
    assert sale.discount_approved_by_id == manager.id
    with uow() as s:
        assert [ln.discount_vnd for ln in s.exec(select(SaleLine).order_by(SaleLine.line_no))] == [24_681, 319]
        assert s.exec(select(Payment)).one().reference == sale.receipt_number


def test_receipt_data_for_a_split_sale_with_a_transfer(uow, till) -> None:
    sale = sell(uow, till, [PaymentInput("transfer", 100_000), PaymentInput("cash", 100_000)])
    with uow() as s:
        data = receipt_for_sale(s, sale, CONFIG)
        copy = receipt_for_sale(s, sale, CONFIG, copy_number=2)
    assert data.receipt_number == "SR01-2026-000001" and data.cashier_name == "Nguyễn Thị Thu Ngân"
    assert [(ln.name, ln.total_vnd) for ln in data.lines] == [
        ("Chè Shan tuyết Hà Giang", 120_000),
        ("Bánh cốm Đình Bảng", 45_000),
    ]
    assert [(v.rate_bp, v.gross_vnd, v.vat_vnd) for v in data.vat] == [(800, 120_000, 8_889), (500, 45_000, 2_143)]
    assert [(p.method, p.amount_vnd, p.tendered_vnd, p.change_vnd) for p in data.payments] == [
        ("cash", 65_000, 100_000, 35_000),
        ("transfer", 100_000, None, None),
    ]
    assert not data.is_copy and copy.is_copy and copy.copy_number == 2
    # Already paid: the receipt says so and never prints a QR inviting a second transfer.
    assert data.vietqr_payload is None
    transfer = data.payments[1]
    assert transfer.paid_at == sale.created_at and data.payments[0].paid_at is None


def test_two_tills_selling_the_last_unit_at_once(db_path, uow, till, make_user) -> None:
    """Two engines on the same file (two tills), started together: one sale, one clear refusal."""
    other = make_user("thungan2", "cashier")
    with uow() as s:
        s.add(Shift(cashier_id=other.id))
    cart_ids = [ring_up(uow, till["cashier"].id, till["cake"].barcode), ring_up(uow, other.id, till["cake"].barcode)]
    cashiers = [till["cashier"].id, other.id]
    barrier = threading.Barrier(2)
    results: list[object] = [None, None]

    def till_thread(i: int) -> None:
        engine = make_engine(f"sqlite:///{db_path.as_posix()}")
        try:
            barrier.wait()
            with session_scope(engine) as s:
                results[i] = complete_sale(
                    s,
                    cart_id=cart_ids[i],
                    payments=[PaymentInput("cash", 45_000)],
                    cashier_id=cashiers[i],
                    idempotency_key=f"race-key-{i}",
                    showroom_code="SR01",
                    allow_negative=False,
                    now=NOW,
                )
        except Exception as exc:  # the loser's refusal, checked below
            results[i] = exc
        finally:
            engine.dispose()

    threads = [threading.Thread(target=till_thread, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    sales = [r for r in results if isinstance(r, Sale)]
    refusals = [r for r in results if isinstance(r, Conflict)]
    assert len(sales) == 1 and len(refusals) == 1, results
    assert "tồn kho còn 0" in refusals[0].message
    with uow() as s:
        assert on_hand(s, till["cake"].id) == 0
        assert s.scalar(select(func.count()).select_from(Sale)) == 1
        assert ledger_mismatches(s) == []


def test_complete_sale_once_runs_its_own_transaction(uow, till) -> None:
    cart_id = ring_up(uow, till["cashier"].id, till["tea"].barcode)
    kwargs = {
        "cart_id": cart_id,
        "payments": [PaymentInput("cash", 120_000)],
        "cashier_id": till["cashier"].id,
        "idempotency_key": "once-key-1",
        "showroom_code": "SR01",
        "allow_negative": False,
        "now": NOW,
    }
    first = complete_sale_once(uow, **kwargs)
    second = complete_sale_once(uow, **kwargs)
    assert first.id == second.id
