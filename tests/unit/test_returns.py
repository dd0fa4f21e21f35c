"""Returns against a receipt, refunds that add up to the đồng, stock coming back, and the manager's void."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import Session, select

from pos.audit.models import AuditEntry
from pos.auth.models import User
from pos.catalog.models import Product
from pos.errors import Conflict, Forbidden, NotFound, ValidationError
from pos.inventory.ledger import ledger_mismatches, on_hand
from pos.inventory.models import StockMovement
from pos.sales import returns, shifts
from pos.sales.models import ReturnLine, Sale, SaleLine, SaleReturn, Shift
from pos.sales.receipts import render_receipt
from pos.sync.models import OutboxRecord
from tests.unit.test_shifts import SHOWROOM, counts_of, pdf_text, ring_sale, squash


@pytest.fixture
def staff(make_user: Callable[..., User]) -> dict[str, User]:
    return {
        "cashier": make_user("thungan", "cashier", "Nguyễn Thị Thu Ngân"),
        "manager": make_user("quanly", "manager", "Trần Văn Quản Lý"),
    }


@pytest.fixture
def products(make_product: Callable[..., Product]) -> dict[str, Product]:
    return {
        "honey": make_product(name="Mật ong bạc hà Mèo Vạc", price_vnd=35_000, unit="chai"),
        "tea": make_product(name="Chè Shan tuyết Suối Giàng", price_vnd=450_000, unit="hộp"),
    }


@pytest.fixture
def shift(uow: Callable[[], Any], staff: dict[str, User]) -> Shift:
    with uow() as s:
        return shifts.open_shift(s, staff["cashier"].id, 500_000)


@pytest.fixture
def sale(uow: Callable[[], Any], shift: Shift, products: dict[str, Product]) -> Sale:
    """3 honey at 35.000 less 5.000 (line total 100.000) and 1 tea, paid by card."""
    with uow() as s:
        return ring_sale(
            s, s.get(Shift, shift.id), [(products["honey"], 3), (products["tea"], 1)], [("card", 550_000, None)], 5_000
        )


def lines_of(s: Session, sale: Sale) -> list[SaleLine]:
    return list(s.exec(select(SaleLine).where(SaleLine.sale_id == sale.id).order_by(SaleLine.line_no)))


def do_return(uow, sale, shift, staff, lines_by_no: dict[int, Any], key: str, method: str | None = None, **kw):
    with uow() as s:
        ids = {line.line_no: line.id for line in lines_of(s, sale)}
        return returns.create_return(
            s,
            kw.pop("number", sale.receipt_number),
            {ids.get(no, no): qty for no, qty in lines_by_no.items()},
            method,
            kw.pop("reason", "Khách đổi ý"),
            staff["cashier"].id,
            s.get(Shift, shift.id),
            key,
            showroom_code="SR01",
        )


def test_partial_then_the_rest_then_refused(uow, staff, products, shift, sale) -> None:
    honey = products["honey"].id
    with uow() as s:
        start = on_hand(s, honey)
    first = do_return(uow, sale, shift, staff, {1: 1}, "a")
    second = do_return(uow, sale, shift, staff, {1: 2}, "b")
    assert first.total_vnd == 33_333  # 100.000 × 1/3, rounded down
    assert second.total_vnd == 66_667  # the last units take the remainder
    assert first.total_vnd + second.total_vnd == 100_000
    with pytest.raises(ValidationError, match="tối đa 0 chai"):
        do_return(uow, sale, shift, staff, {1: 1}, "c")
    with uow() as s:
        assert on_hand(s, honey) == start + 3
        rows = returns.returnable_lines(s, s.get(Sale, sale.id))
        assert [(r.line.line_no, r.returnable_qty, r.refunded_vnd) for r in rows] == [(1, 0, 100_000), (2, 1, 0)]
        moves = s.exec(select(StockMovement).where(StockMovement.kind == "return")).all()
        assert sorted(m.qty_delta for m in moves) == [1, 2]
        assert all(m.return_line_id is not None for m in moves)
        assert ledger_mismatches(s) == []


def test_return_number_outbox_audit_and_default_method(uow, staff, products, shift, sale) -> None:
    made = do_return(uow, sale, shift, staff, {2: 1, 1: 3}, "k1")
    assert made.refund_method == "card"  # the sale was paid by card
    assert made.total_vnd == 550_000
    assert made.return_number.startswith("SR01-") and made.return_number.endswith("-R000001")
    again = do_return(uow, sale, shift, staff, {}, "k1")  # the same request retried: the same return
    assert again.id == made.id
    with uow() as s:
        assert counts_of(s, SaleReturn) == 1
        record = s.exec(select(OutboxRecord).where(OutboxRecord.kind == "return")).one()
        payload = json.loads(record.payload)
        assert payload["sale_uuid"] == str(sale.uuid) and payload["shift_uuid"] == str(shift.uuid)
        assert payload["total_vnd"] == 550_000 and payload["cashier"] == "thungan"
        assert {(line["sale_line_no"], line["qty"], line["amount_vnd"]) for line in payload["lines"]} == {
            (1, 3, 100_000),
            (2, 1, 450_000),
        }
        assert payload["lines"][0]["product_uuid"] == str(products["honey"].uuid)
        audit = s.exec(select(AuditEntry).where(AuditEntry.action == "refund")).one()
        assert audit.user_id == staff["cashier"].id and sale.receipt_number in audit.after


def test_refund_method_split_sale_defaults_to_cash_and_can_be_chosen(uow, staff, products, shift) -> None:
    with uow() as s:
        split = ring_sale(
            s, s.get(Shift, shift.id), [(products["tea"], 2)], [("cash", 400_000, 500_000), ("transfer", 500_000, None)]
        )
    with uow() as s:
        assert returns.default_refund_method(s, split) == "cash"
    assert do_return(uow, split, shift, staff, {1: 1}, "x1").refund_method == "cash"
    assert do_return(uow, split, shift, staff, {1: 1}, "x2", method="transfer").refund_method == "transfer"


def test_scanned_number_is_found_however_typed(uow, staff, shift, sale) -> None:
    made = do_return(uow, sale, shift, staff, {2: 1}, "s1", number=f"  {sale.receipt_number.lower()} ")
    assert made.sale_id == sale.id


@pytest.mark.parametrize(
    "lines, error, message",
    [
        ({1: 0}, ValidationError, "lớn hơn 0"),
        ({1: -1}, ValidationError, "lớn hơn 0"),
        ({1: 10**9}, ValidationError, "lớn hơn 0"),
        ({1: 4}, ValidationError, "tối đa 3 chai"),
        ({1: True}, ValidationError, "số nguyên"),
        ({1: "2"}, ValidationError, "số nguyên"),
        ({1: 1.0}, ValidationError, "số nguyên"),
        ({999_999: 1}, ValidationError, "không có trong hóa đơn"),
        ({"abc": 1}, ValidationError, "không có trong hóa đơn"),
        ({}, ValidationError, "ít nhất một sản phẩm"),
        ({1: 1, 2: 5}, ValidationError, "tối đa 1 hộp"),  # one bad line refuses the whole return
    ],
)
def test_bad_return_lines_write_nothing(uow, staff, shift, sale, lines, error, message) -> None:
    with pytest.raises(error, match=message):
        do_return(uow, sale, shift, staff, lines, "bad")
    assert_nothing_returned(uow)


def assert_nothing_returned(uow) -> None:
    with uow() as s:
        assert counts_of(s, SaleReturn) == 0
        assert counts_of(s, ReturnLine) == 0
        assert s.exec(select(StockMovement).where(StockMovement.kind == "return")).first() is None
        assert s.exec(select(OutboxRecord).where(OutboxRecord.kind == "return")).first() is None
        assert s.exec(select(AuditEntry).where(AuditEntry.action == "refund")).first() is None


def test_line_of_another_receipt_is_refused(uow, staff, products, shift, sale) -> None:
    with uow() as s:
        other = ring_sale(s, s.get(Shift, shift.id), [(products["tea"], 1)])
        other_line = lines_of(s, other)[0].id
    with pytest.raises(ValidationError, match="không có trong hóa đơn"), uow() as s:
        returns.create_return(
            s, sale.receipt_number, {other_line: 1}, None, "Đổi ý", staff["cashier"].id, s.get(Shift, shift.id), "o"
        )
    assert_nothing_returned(uow)


def test_other_refusals(uow, staff, shift, sale) -> None:
    for kwargs, error, message in [
        ({"number": "SR01-2026-999999"}, NotFound, "Không tìm thấy hóa đơn"),
        ({"number": "  "}, ValidationError, "nhập hoặc quét"),
        ({"reason": " "}, ValidationError, "lý do"),
        ({"method": "bitcoin"}, ValidationError, "Phương thức hoàn tiền"),
    ]:
        with pytest.raises(error, match=message):
            do_return(uow, sale, shift, staff, {1: 1}, "r", **kwargs)
    with pytest.raises(ValidationError, match="tải lại trang"):
        do_return(uow, sale, shift, staff, {1: 1}, "")
    with pytest.raises(Conflict, match="mở ca"), uow() as s:
        returns.create_return(s, sale.receipt_number, {1: 1}, None, "Đổi ý", staff["cashier"].id, None, "n")
    assert_nothing_returned(uow)


@given(
    total=st.integers(min_value=0, max_value=10**10),
    steps=st.lists(st.integers(min_value=1, max_value=7), min_size=1, max_size=12),
)
def test_refunds_of_a_line_in_any_steps_sum_exactly_to_its_total(total: int, steps: list[int]) -> None:
    sold = sum(steps)
    returned = refunded = 0
    for qty in steps:
        amount = returns.refund_amount(total, sold, returned, refunded, qty)
        assert amount >= 0
        returned += qty
        refunded += amount
    assert refunded == total


def test_refund_receipt_pdf(uow, staff, shift, sale) -> None:
    made = do_return(uow, sale, shift, staff, {1: 2}, "p", reason="Hộp bị móp")
    with uow() as s:
        data = returns.refund_receipt_data(s, returns.get_return(s, made.return_number), SHOWROOM)
    assert data.kind == "refund" and data.original_receipt_number == sale.receipt_number
    text = pdf_text(render_receipt(data, "80mm"))
    for phrase in [
        "PHIẾU HOÀN TIỀN",
        f"Trả hàng cho hóa đơn số {sale.receipt_number}",
        made.return_number,
        "Mật ong bạc hà Mèo Vạc",
        "2 chai × 35.000 ₫",
        "Hoàn tiền66.666 ₫",
        "Thẻ66.666 ₫",
        "Lý do trả hàng: Hộp bị móp",
        "Nguyễn Thị Thu Ngân",
    ]:
        assert squash(phrase) in text, phrase


# --- void ---------------------------------------------------------------------------------------------------


def test_manager_voids_the_last_sale_and_stock_comes_back(uow, staff, products, shift, sale) -> None:
    with uow() as s:
        last = ring_sale(s, s.get(Shift, shift.id), [(products["tea"], 2)], [("cash", 900_000, 1_000_000)])
        before = on_hand(s, products["tea"].id)
    with pytest.raises(Forbidden, match="không phải quản lý"), uow() as s:
        returns.void_last_sale(s, s.get(Shift, shift.id), "thungan", "thungan-pass", "Khách hủy")
    with pytest.raises(Forbidden, match="Sai tên đăng nhập"), uow() as s:
        returns.void_last_sale(s, s.get(Shift, shift.id), "quanly", "sai", "Khách hủy")
    with pytest.raises(ValidationError, match="lý do"), uow() as s:
        returns.void_last_sale(s, s.get(Shift, shift.id), "quanly", "quanly-pass", "")
    with uow() as s:
        assert s.get(Sale, last.id).status == "completed"  # type: ignore[union-attr]
        voided = returns.void_last_sale(
            s, s.get(Shift, shift.id), "quanly", "quanly-pass", "Khách đổi ý", staff["cashier"].id
        )
    assert voided.id == last.id and voided.status == "voided"
    assert voided.voided_by_id == staff["manager"].id and voided.void_reason == "Khách đổi ý"
    with uow() as s:
        assert on_hand(s, products["tea"].id) == before + 2
        move = s.exec(select(StockMovement).where(StockMovement.kind == "void")).one()
        assert move.qty_delta == 2 and move.sale_line_id == lines_of(s, last)[0].id
        payload = json.loads(s.exec(select(OutboxRecord).where(OutboxRecord.kind == "void")).one().payload)
        assert payload == {
            "sale_uuid": str(last.uuid),
            "receipt_number": last.receipt_number,
            "voided_at": payload["voided_at"],
            "voided_by": "quanly",
            "voided_by_name": staff["manager"].full_name,  # the office shows the name
            "reason": "Khách đổi ý",
        }
        entry = s.exec(select(AuditEntry).where(AuditEntry.action == "sale.void")).one()
        assert entry.user_id == staff["manager"].id and '"requested_by": "thungan"' in entry.after
        report = shifts.x_report(s, s.get(Shift, shift.id))
        assert report["voids_count"] == 1 and report["sales_count"] == 1
        assert report["expected_cash_vnd"] == 500_000  # the voided cash sale left the drawer as it was
    # Only the last sale: the one before it cannot be voided now, and a voided sale cannot be returned.
    with pytest.raises(Conflict, match="chỉ hủy được đơn cuối"), uow() as s:
        returns.void_last_sale(s, s.get(Shift, shift.id), "quanly", "quanly-pass", "Lần nữa")
    with pytest.raises(Conflict, match="đã bị hủy"):
        do_return(uow, last, shift, staff, {1: 1}, "v")
    with uow() as s:
        assert s.get(Sale, sale.id).status == "completed"  # type: ignore[union-attr]


def test_void_refusals(uow, staff, products, shift, sale) -> None:
    do_return(uow, sale, shift, staff, {2: 1}, "before-void")
    with pytest.raises(Conflict, match="đã có trả hàng"), uow() as s:
        returns.void_last_sale(s, s.get(Shift, shift.id), "quanly", "quanly-pass", "Khách hủy")
    with uow() as s:
        empty = shifts.open_shift(s, staff["manager"].id, 0)
    with pytest.raises(NotFound, match="chưa có đơn"), uow() as s:
        returns.void_last_sale(s, s.get(Shift, empty.id), "quanly", "quanly-pass", "Khách hủy")
    with uow() as s:
        shifts.close_shift(
            s, s.get(Shift, shift.id), {500_000: 1, 100_000: 5}, staff["cashier"].id, threshold_vnd=10**9
        )
    with pytest.raises(Conflict, match="ca đang mở"), uow() as s:
        returns.void_last_sale(s, s.get(Shift, shift.id), "quanly", "quanly-pass", "Khách hủy")
    with uow() as s:
        assert s.exec(select(StockMovement).where(StockMovement.kind == "void")).first() is None
        assert s.exec(select(OutboxRecord).where(OutboxRecord.kind == "void")).first() is None
