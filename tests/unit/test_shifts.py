"""Cash shifts: opening float, cash in/out, expected cash, the blind close, sign-off and the frozen Z report."""

from __future__ import annotations

import io
import json
import unicodedata
from collections.abc import Callable
from typing import Any

import pytest
from pypdf import PdfReader
from sqlmodel import Session, func, select

from pos.audit.models import AuditEntry
from pos.auth.models import User
from pos.auth.services import verify_manager
from pos.catalog.models import Product
from pos.counters import next_value
from pos.errors import Conflict, Forbidden, ValidationError
from pos.inventory.ledger import record_movement
from pos.inventory.models import StockMovement
from pos.sales import shifts
from pos.sales.models import CashMovement, Payment, Sale, SaleLine, Shift
from pos.sales.returns import create_return
from pos.sales.zreport import render_z_report, showroom_snapshot
from pos.sync.models import OutboxRecord

SHOWROOM = {
    "SHOWROOM_CODE": "SR01",
    "SHOWROOM_NAME": "Điểm giới thiệu và bán sản phẩm OCOP Hoàn Kiếm",
    "SHOWROOM_ADDRESS": "12 Hàng Bạc, phường Hoàn Kiếm, Hà Nội",
    "SHOWROOM_TAX_CODE": "0101234567",
    "SHOWROOM_PHONE": "024 3826 1234",
    "RECEIPT_FOOTER": "Cảm ơn quý khách!",
}


# --- a small builder of sales, independent of the checkout code -------------------------------------------


def ring_sale(
    s: Session,
    shift: Shift,
    items: list[tuple[Product, int]],
    payments: list[tuple[str, int, int | None]] | None = None,
    line_discount_vnd: int = 0,
    status: str = "completed",
) -> Sale:
    """Insert a completed sale as the checkout would: lines, payments, stock movements.

    ``items`` are (product, qty) at the product's price; ``line_discount_vnd`` comes off the first line;
    ``payments`` are (method, amount kept, tendered) — cash change is tendered − amount. Default: exact cash.
    """
    n = next_value(s, "test-receipt")
    subtotal = sum(p.price_vnd * qty for p, qty in items)
    total = subtotal - line_discount_vnd
    sale = Sale(
        receipt_number=f"SR01-2026-{n:06d}",
        idempotency_key=f"test-{n}-{shift.id}",
        shift_id=shift.id,  # type: ignore[arg-type]
        cashier_id=shift.cashier_id,
        status=status,
        subtotal_vnd=subtotal,
        line_discount_vnd=line_discount_vnd,
        total_vnd=total,
        vat_vnd=0,
    )
    s.add(sale)
    s.flush()
    for i, (product, qty) in enumerate(items, start=1):
        discount = line_discount_vnd if i == 1 else 0
        line = SaleLine(
            sale_id=sale.id,  # type: ignore[arg-type]
            line_no=i,
            product_id=product.id,  # type: ignore[arg-type]
            producer_id=product.producer_id,
            name=product.name,
            sku=product.sku,
            unit=product.unit,
            qty=qty,
            unit_price_vnd=product.price_vnd,
            discount_vnd=discount,
            total_vnd=product.price_vnd * qty - discount,
            vat_rate_bp=800,
            vat_vnd=0,
        )
        s.add(line)
        s.flush()
        record_movement(
            s,
            StockMovement(product_id=product.id, kind="sale", qty_delta=-qty, sale_line_id=line.id),  # type: ignore[arg-type]
        )
    for method, amount, tendered in payments or [("cash", total, total)]:
        change = None if tendered is None else tendered - amount
        s.add(Payment(sale_id=sale.id, method=method, amount_vnd=amount, tendered_vnd=tendered, change_vnd=change))  # type: ignore[arg-type]
    s.flush()
    return sale


def pdf_text(pdf: bytes) -> str:
    """All the text of a PDF, NFC, without whitespace (so wrapping does not matter)."""
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return "".join(unicodedata.normalize("NFC", text).split())


def squash(text: str) -> str:
    return "".join(text.split())


def counts_of(s: Session, model: Any) -> int:
    return int(s.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def staff(make_user: Callable[..., User]) -> dict[str, User]:
    return {
        "cashier": make_user("thungan", "cashier", "Nguyễn Thị Thu Ngân"),
        "other": make_user("thungan2", "cashier", "Lê Văn Hai"),
        "manager": make_user("quanly", "manager", "Trần Văn Quản Lý"),
    }


@pytest.fixture
def products(make_product: Callable[..., Product]) -> dict[str, Product]:
    return {
        "honey": make_product(name="Mật ong bạc hà Mèo Vạc", price_vnd=185_000, unit="chai"),
        "tea": make_product(name="Chè Shan tuyết Suối Giàng", price_vnd=450_000, unit="hộp"),
        "cake": make_product(name="Bánh cốm làng Vòng", price_vnd=40_000, unit="hộp"),
    }


@pytest.fixture
def open_shift(uow: Callable[[], Any], staff: dict[str, User]) -> Shift:
    with uow() as s:
        return shifts.open_shift(s, staff["cashier"].id, 1_000_000)


# --- opening ------------------------------------------------------------------------------------------------


def test_open_shift_records_float_and_one_shift_per_cashier(uow, staff) -> None:
    with uow() as s:
        shift = shifts.open_shift(s, staff["cashier"].id, 2_000_000)
    assert shift.status == "open" and shift.opening_float_vnd == 2_000_000
    with pytest.raises(Conflict, match="đang có ca mở"), uow() as s:
        shifts.open_shift(s, staff["cashier"].id, 0)
    with uow() as s:
        assert shifts.current_shift(s, staff["cashier"].id).id == shift.id  # type: ignore[union-attr]
        assert shifts.current_shift(s, staff["other"].id) is None
        other = shifts.open_shift(s, staff["other"].id, 0)  # another cashier has a till of their own
    assert other.id != shift.id


@pytest.mark.parametrize("amount", [-1, 50_000_001, True, "100000", 1.5])
def test_open_shift_refuses_bad_float_and_writes_nothing(uow, staff, amount) -> None:
    with pytest.raises(ValidationError, match="Tiền đầu ca"), uow() as s:
        shifts.open_shift(s, staff["cashier"].id, amount)
    with uow() as s:
        assert counts_of(s, Shift) == 0
        assert counts_of(s, AuditEntry) == 3  # only the three user.create entries


def test_float_bounds_are_inclusive(uow, staff) -> None:
    with uow() as s:
        assert shifts.open_shift(s, staff["cashier"].id, 0).opening_float_vnd == 0
        assert shifts.open_shift(s, staff["other"].id, 50_000_000).opening_float_vnd == 50_000_000


# --- expected cash and the X report --------------------------------------------------------------------------


def test_expected_cash_follows_the_formula(uow, staff, products, open_shift) -> None:
    honey, tea, cake = products["honey"], products["tea"], products["cake"]
    with uow() as s:
        shift = s.get(Shift, open_shift.id)
        # cash 185.000, customer gives 200.000, change 15.000
        ring_sale(s, shift, [(honey, 1)], [("cash", 185_000, 200_000)])
        # card only: no cash
        ring_sale(s, shift, [(tea, 1)], [("card", 450_000, None)])
        # split: 100.000 cash (500.000 given, 400.000 change) + 380.000 transfer, with a 20.000 discount
        split = ring_sale(
            s, shift, [(tea, 1), (cake, 1)], [("cash", 100_000, 500_000), ("transfer", 370_000, None)], 20_000
        )
        # voided: its cash is not in the drawer and it is not a sale
        ring_sale(s, shift, [(cake, 2)], [("cash", 80_000, 100_000)], status="voided")
        shifts.cash_in(s, shift, 500_000, "Đổi tiền lẻ từ ngân hàng", staff["cashier"].id)
        shifts.cash_out(s, shift, 200_000, "Trả tiền vận chuyển", staff["cashier"].id)
    with uow() as s:
        shift = s.get(Shift, open_shift.id)
        # a cash refund of one cake from the split sale
        create_return(
            s, split.receipt_number, {_line_id(s, split, 2): 1}, "cash", "Vỡ hộp", staff["cashier"].id, shift, "k1"
        )
        # a card refund does not touch the drawer
        create_return(
            s, split.receipt_number, {_line_id(s, split, 1): 1}, "card", "Đổi ý", staff["cashier"].id, shift, "k2"
        )

    with uow() as s:
        shift = s.get(Shift, open_shift.id)
        report = shifts.x_report(s, shift)
        expected = shifts.expected_cash(s, shift)
    cake_refund = 40_000  # the cake line had no discount
    assert expected == 1_000_000 + (200_000 + 500_000) - (15_000 + 400_000) - cake_refund + 500_000 - 200_000
    assert report["expected_cash_vnd"] == expected
    assert report["kind"] == "X"
    assert report["sales_count"] == 3
    assert report["sales_total_vnd"] == 185_000 + 450_000 + 470_000
    assert report["discounts_vnd"] == 20_000
    assert report["voids_count"] == 1 and report["voids_total_vnd"] == 80_000
    assert report["payments_by_method"] == {"cash": 285_000, "card": 450_000, "transfer": 370_000, "points": 0}
    assert report["cash_tendered_vnd"] == 700_000 and report["change_given_vnd"] == 415_000
    assert report["refunds_count"] == 2
    assert report["refunds_by_method"]["cash"] == cake_refund
    assert report["refunds_by_method"]["card"] == 430_000  # the tea line carried the 20.000 discount
    assert report["net_by_method"]["card"] == 20_000
    assert (report["cash_in_vnd"], report["cash_out_vnd"]) == (500_000, 200_000)
    assert report["cashier_name"] == "Nguyễn Thị Thu Ngân"


def _line_id(s: Session, sale: Sale, line_no: int) -> int:
    return s.exec(select(SaleLine.id).where(SaleLine.sale_id == sale.id, SaleLine.line_no == line_no)).one()  # type: ignore[return-value]


def test_cash_in_and_out_need_a_reason_and_a_positive_amount(uow, staff, open_shift) -> None:
    cashier = staff["cashier"].id
    for amount, reason, message in [
        (0, "Đổi tiền", "từ 1 ₫"),
        (-5_000, "Đổi tiền", "từ 1 ₫"),
        (100_000, "   ", "lý do"),
        (100_000, "x" * 201, "tối đa 200"),
        ("100000", "Đổi tiền", "số tiền nguyên"),
    ]:
        with pytest.raises(ValidationError, match=message), uow() as s:
            shifts.cash_in(s, s.get(Shift, open_shift.id), amount, reason, cashier)
    with uow() as s:
        assert counts_of(s, CashMovement) == 0


def test_cash_out_beyond_the_drawer_is_allowed_but_flagged(uow, staff, open_shift) -> None:
    with uow() as s:
        shift = s.get(Shift, open_shift.id)
        shifts.cash_in(s, shift, 100_000, "Nộp thêm tiền lẻ", staff["cashier"].id)
        shifts.cash_out(s, shift, 5_000_000, "Nộp ngân hàng", staff["cashier"].id)
    with uow() as s:
        entries = s.exec(select(AuditEntry).where(AuditEntry.action.in_(["cash.in", "cash.out"]))).all()  # type: ignore[attr-defined]
        assert [e.action for e in entries] == ["cash.in", "cash.out"]
        assert "exceeds_expected_cash" in entries[1].after
        assert "exceeds_expected_cash" not in entries[0].after
        assert shifts.expected_cash(s, s.get(Shift, open_shift.id)) == 1_000_000 + 100_000 - 5_000_000


# --- closing ------------------------------------------------------------------------------------------------


def drawer(**notes: int) -> dict[int, int]:
    """{'n500': 2} -> {500000: 2}."""
    return {int(k[1:]) * 1000: v for k, v in notes.items()}


def test_close_within_threshold_freezes_the_z_report(uow, staff, products, open_shift) -> None:
    with uow() as s:
        shift = s.get(Shift, open_shift.id)
        sale = ring_sale(s, shift, [(products["honey"], 2)], [("cash", 370_000, 400_000)])
    # 1.000.000 float + 370.000 = 1.370.000; counted 1.360.000 (-10.000, within 50.000)
    counts = drawer(n500=2, n200=1, n100=1, n50=1, n10=1)
    with uow() as s:
        closed = shifts.close_shift(
            s, s.get(Shift, open_shift.id), counts, staff["cashier"].id, threshold_vnd=50_000,
            showroom=showroom_snapshot(SHOWROOM),
        )  # fmt: skip
    assert closed.status == "closed" and closed.closed_at is not None
    assert (closed.expected_cash_vnd, closed.counted_cash_vnd, closed.difference_vnd) == (1_370_000, 1_360_000, -10_000)
    assert closed.signed_off_by_id is None
    z = json.loads(closed.z_report)
    assert z["kind"] == "Z" and z["counts"]["500000"] == 2 and z["counts"]["1000"] == 0
    assert z["difference_vnd"] == -10_000 and z["signed_off_by"] is None
    assert z["showroom"]["name"] == SHOWROOM["SHOWROOM_NAME"]
    with uow() as s:
        record = s.exec(select(OutboxRecord).where(OutboxRecord.kind == "shift_close")).one()
        payload = json.loads(record.payload)
        assert record.entity_uuid == str(closed.uuid)
        assert payload["sale_uuids"] == [str(sale.uuid)] and payload["return_uuids"] == []
        assert payload["counted_cash_vnd"] == 1_360_000 and payload["payments_by_method"]["cash"] == 370_000
        assert payload["cashier"] == "thungan"
        assert s.exec(select(AuditEntry).where(AuditEntry.action == "shift.close")).one()
        # A closed shift takes no more cash movements and cannot be closed twice.
        with pytest.raises(Conflict, match="đã đóng"):
            shifts.cash_in(s, s.get(Shift, open_shift.id), 1_000, "Thử", staff["cashier"].id)
        with pytest.raises(Conflict, match="đã đóng"):
            shifts.close_shift(s, s.get(Shift, open_shift.id), counts, staff["cashier"].id, threshold_vnd=50_000)


def test_close_beyond_threshold_needs_a_manager(uow, staff, open_shift) -> None:
    counts = drawer(n500=1, n200=2)  # 900.000 counted against 1.000.000: -100.000
    with pytest.raises(shifts.SignOffRequired, match="cần quản lý") as refused, uow() as s:
        shifts.close_shift(s, s.get(Shift, open_shift.id), counts, staff["cashier"].id, threshold_vnd=50_000)
    assert refused.value.details["difference_vnd"] == -100_000
    with pytest.raises(Forbidden, match="phải là quản lý"), uow() as s:
        shifts.close_shift(
            s, s.get(Shift, open_shift.id), counts, staff["cashier"].id, staff["other"].id, threshold_vnd=50_000
        )
    with uow() as s:
        assert s.get(Shift, open_shift.id).status == "open"  # type: ignore[union-attr]
        assert counts_of(s, OutboxRecord) == 0
        shifts.record_count_attempt(s, s.get(Shift, open_shift.id), counts, staff["cashier"].id)
    with uow() as s:
        closed = shifts.close_shift(
            s, s.get(Shift, open_shift.id), counts, staff["cashier"].id, staff["manager"].id, threshold_vnd=50_000
        )
    assert closed.signed_off_by_id == staff["manager"].id
    z = json.loads(closed.z_report)
    assert z["signed_off_by"] == "quanly" and z["signed_off_by_name"] == "Trần Văn Quản Lý"
    assert z["count_attempts"] == 2
    with uow() as s:
        signoff = s.exec(select(AuditEntry).where(AuditEntry.action == "shift.signoff")).one()
        assert signoff.user_id == staff["manager"].id and '"difference_vnd": -100000' in signoff.after


def test_exactly_at_threshold_needs_no_signoff(uow, staff, open_shift) -> None:
    with uow() as s:
        closed = shifts.close_shift(
            s, s.get(Shift, open_shift.id), drawer(n500=2, n50=1), staff["cashier"].id, threshold_vnd=50_000
        )
    assert closed.difference_vnd == 50_000 and closed.status == "closed"


@pytest.mark.parametrize(
    "counts, message",
    [
        ({300_000: 1}, "Mệnh giá không hợp lệ"),
        ({"abc": 1}, "Mệnh giá không hợp lệ"),
        ({500_000: -1}, "Số tờ 500.000 ₫"),
        ({1_000: 100_001}, "từ 0 đến 100.000"),
        ({10_000: 2.5}, "số nguyên"),
        ({10_000: "3"}, "số nguyên"),
    ],
)
def test_bad_counts_are_refused_and_nothing_is_written(uow, staff, open_shift, counts, message) -> None:
    with pytest.raises(ValidationError, match=message), uow() as s:
        shifts.close_shift(s, s.get(Shift, open_shift.id), counts, staff["cashier"].id, threshold_vnd=10**9)
    with uow() as s:
        shift = s.get(Shift, open_shift.id)
        assert shift.status == "open" and shift.z_report == ""  # type: ignore[union-attr]
        assert counts_of(s, OutboxRecord) == 0


def test_only_the_cashier_or_a_manager_closes_a_shift(uow, staff, open_shift) -> None:
    with pytest.raises(Forbidden), uow() as s:
        shifts.close_shift(s, s.get(Shift, open_shift.id), drawer(n500=2), staff["other"].id, threshold_vnd=50_000)
    with uow() as s:
        closed = shifts.close_shift(
            s, s.get(Shift, open_shift.id), drawer(n500=2), staff["manager"].id, threshold_vnd=50_000
        )
    assert json.loads(closed.z_report)["closed_by"] == "quanly"


def test_verify_manager(uow, staff) -> None:
    with uow() as s:
        assert verify_manager(s, "quanly", "quanly-pass").id == staff["manager"].id
        with pytest.raises(Forbidden, match="Sai tên đăng nhập"):
            verify_manager(s, "quanly", "wrong")
        with pytest.raises(Forbidden, match="không phải quản lý"):
            verify_manager(s, "thungan", "thungan-pass")
        with pytest.raises(ValidationError):
            verify_manager(s, "", "")


def test_z_report_never_changes_after_close(uow, staff, products, open_shift) -> None:
    with uow() as s:
        shift = s.get(Shift, open_shift.id)
        ring_sale(s, shift, [(products["tea"], 1)], [("card", 450_000, None)])
        ring_sale(s, shift, [(products["honey"], 1)], [("cash", 185_000, 200_000)])
        shifts.cash_out(s, shift, 100_000, "Mua văn phòng phẩm", staff["cashier"].id)
    with uow() as s:
        closed = shifts.close_shift(
            s, s.get(Shift, open_shift.id), drawer(n500=2, n50=1, n20=1, n10=1, n5=1), staff["cashier"].id,
            threshold_vnd=50_000, showroom=showroom_snapshot(SHOWROOM),
        )  # fmt: skip
    frozen = closed.z_report
    pdf_before = render_z_report(json.loads(frozen), SHOWROOM)
    text_before = pdf_text(pdf_before)

    # Afterwards: a sale is slipped into the closed shift, the cashier is renamed, the showroom renamed.
    with uow() as s:
        ring_sale(s, s.get(Shift, open_shift.id), [(products["tea"], 3)], [("cash", 1_350_000, 1_350_000)])
        s.get(User, staff["cashier"].id).full_name = "Tên Đã Đổi"  # type: ignore[union-attr]
    renamed = dict(SHOWROOM, SHOWROOM_NAME="Cửa hàng khác")
    with uow() as s:
        shift = s.get(Shift, open_shift.id)
        assert shift.z_report == frozen  # type: ignore[union-attr]
        z = shifts.z_report(shift)  # type: ignore[arg-type]
        assert shifts.x_report(s, shift)["sales_count"] == 3  # type: ignore[arg-type]
    pdf_after = render_z_report(z, renamed)
    assert pdf_after == pdf_before
    assert pdf_text(pdf_after) == text_before
    for phrase in [
        "BÁO CÁO ĐÓNG CA (Z)",
        SHOWROOM["SHOWROOM_NAME"],
        "Nguyễn Thị Thu Ngân",
        "Số đơn bán hàng2",
        "Tổng thanh toán635.000 ₫",
        "Tiền mặt185.000 ₫",
        "Thẻ450.000 ₫",
        "Chuyển khoản (VietQR)0 ₫",
        "Tiền đầu ca1.000.000 ₫",
        "Tiền mặt khách đưa200.000 ₫",
        "Tiền thừa trả khách-15.000 ₫",
        "Rút tiền khỏi két (1 lần)-100.000 ₫",
        "Tiền theo sổ1.085.000 ₫",
        "Tiền đếm thực tế1.085.000 ₫",
        "Chênh lệch0 ₫",
        "500.000 × 21.000.000 ₫",
        "50.000 × 150.000 ₫",
        "Chênh lệch trong ngưỡng cho phép",
    ]:
        assert squash(phrase) in text_before, phrase
    assert "Tên Đã Đổi" not in pdf_text(pdf_after)


@pytest.mark.parametrize("paper", ["80mm", "58mm", "a4"])
def test_x_report_pdf_on_each_paper(uow, staff, products, open_shift, paper) -> None:
    with uow() as s:
        shift = s.get(Shift, open_shift.id)
        ring_sale(s, shift, [(products["cake"], 3)], [("transfer", 120_000, None)])
        report = shifts.x_report(s, shift)  # type: ignore[arg-type]
    text = pdf_text(render_z_report(report, SHOWROOM, paper))
    assert squash("BÁO CÁO GIỮA CA (X)") in text
    assert squash("Chuyển khoản (VietQR)120.000 ₫") in text
    assert "Tiềnđếmthựctế" not in text  # nothing is counted mid-shift
