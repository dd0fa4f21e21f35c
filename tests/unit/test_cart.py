"""Carts at the till: scanning, quantities, discounts with approval, parking, search, the priced view."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from pos.audit.models import AuditEntry
from pos.auth.services import verify_manager
from pos.barcodes import instore_ean13
from pos.errors import Forbidden, NotFound, ValidationError
from pos.sales import cart as carts
from pos.sales import discounts, scanning
from pos.sales.discounts import ApprovalRequired
from pos.sales.models import Cart, CartLine
from pos.sales.pricing import Discount, DiscountLimits
from pos.sales.till_json import cart_view

LIMITS = DiscountLimits(cashier_bp=1000, manager_bp=5000)
DAY = date(2026, 11, 24)


@pytest.fixture
def cashier(make_user):
    return make_user("thungan", "cashier", "Nguyễn Thị Thu Ngân")


@pytest.fixture
def goods(make_product):
    return {
        "tea": make_product(name="Chè Shan tuyết Hà Giang", barcode=instore_ean13(1), price_vnd=120_000),
        "cake": make_product(name="Bánh cốm Đình Bảng", barcode=instore_ean13(2), price_vnd=45_000),
        "honey": make_product(
            name="Mật ong bạc hà", barcode="036000291452", price_vnd=105_000, vat_class="reduced"
        ),  # a UPC-A
    }


def lines_of(uow, cart_id):
    with uow() as s:
        return [(line.product_id, line.qty) for line in s.exec(select(CartLine).where(CartLine.cart_id == cart_id))]


def test_one_active_cart_per_cashier_survives_a_reload(uow, cashier) -> None:
    with uow() as s:
        first = carts.get_or_create_active_cart(s, cashier.id)
    with uow() as s:
        assert carts.get_or_create_active_cart(s, cashier.id).id == first.id


def test_scanning_adds_a_line_then_counts_up(uow, cashier, goods) -> None:
    with uow() as s:
        cart = carts.get_or_create_active_cart(s, cashier.id)
        scanning.scan(s, cart, goods["tea"].barcode)
        scanning.scan(s, cart, f" {goods['cake'].barcode}\n")
        line = scanning.scan(s, cart, goods["tea"].barcode)
        assert line.qty == 2
        scanning.scan(s, cart, goods["cake"].barcode, qty=3)
    assert lines_of(uow, cart.id) == [(goods["tea"].id, 2), (goods["cake"].id, 4)]


def test_upc_a_and_its_ean13_form_find_the_same_product(uow, cashier, goods) -> None:
    with uow() as s:
        cart = carts.get_or_create_active_cart(s, cashier.id)
        scanning.scan(s, cart, "036000291452")
        scanning.scan(s, cart, "0036000291452")
    assert lines_of(uow, cart.id) == [(goods["honey"].id, 2)]


def test_a_product_is_found_by_its_sku_typed_in_the_scan_field(uow, cashier, goods) -> None:
    with uow() as s:
        cart = carts.get_or_create_active_cart(s, cashier.id)
        scanning.scan(s, cart, goods["cake"].sku.lower())
    assert lines_of(uow, cart.id) == [(goods["cake"].id, 1)]


@pytest.mark.parametrize(
    ("code", "error", "message"),
    [
        ("2000000000992", NotFound, "Không tìm thấy sản phẩm có mã vạch 2000000000992"),  # valid, unknown
        ("2000000000013", ValidationError, "sai số kiểm tra"),  # check digit wrong
        ("12345", ValidationError, "8, 12 hoặc 13 chữ số"),
        ("abc!", ValidationError, "không phải mã vạch hợp lệ"),
        ("", ValidationError, "Chưa nhập mã vạch"),
    ],
)
def test_a_bad_or_unknown_code_leaves_the_cart_untouched(uow, cashier, goods, code, error, message) -> None:
    with uow() as s:
        cart = carts.get_or_create_active_cart(s, cashier.id)
        scanning.scan(s, cart, goods["tea"].barcode)
    with pytest.raises(error, match=message), uow() as s:
        scanning.scan(s, s.get(Cart, cart.id), code)
    assert lines_of(uow, cart.id) == [(goods["tea"].id, 1)]


def test_a_discontinued_product_cannot_be_sold(uow, cashier, make_product) -> None:
    old = make_product(name="Hàng cũ", barcode=instore_ean13(9), is_active=False)
    with pytest.raises(ValidationError, match="ngừng bán"), uow() as s:
        scanning.scan(s, carts.get_or_create_active_cart(s, cashier.id), old.barcode)


@pytest.mark.parametrize("qty", [0, -1, 10_000, "2", 1.5, True, None])
def test_absurd_quantities_are_refused(uow, cashier, goods, qty) -> None:
    with uow() as s:
        cart = carts.get_or_create_active_cart(s, cashier.id)
        line = scanning.scan(s, cart, goods["tea"].barcode)
    with pytest.raises(ValidationError), uow() as s:
        carts.set_qty(s, s.get(Cart, cart.id), line.id, qty)
    assert lines_of(uow, cart.id) == [(goods["tea"].id, 1)]


def test_set_qty_and_remove_line(uow, cashier, goods) -> None:
    with uow() as s:
        cart = carts.get_or_create_active_cart(s, cashier.id)
        tea = scanning.scan(s, cart, goods["tea"].barcode)
        cake = scanning.scan(s, cart, goods["cake"].barcode)
        carts.set_qty(s, cart, tea.id, 9999)
        carts.remove_line(s, cart, cake.id)
    assert lines_of(uow, cart.id) == [(goods["tea"].id, 9999)]
    with pytest.raises(ValidationError, match="tối đa"), uow() as s:
        scanning.scan(s, s.get(Cart, cart.id), goods["tea"].barcode)  # 10.000th unit


def test_someone_elses_line_is_not_found(uow, cashier, make_user, goods) -> None:
    other = make_user("khac", "cashier")
    with uow() as s:
        mine = carts.get_or_create_active_cart(s, cashier.id)
        theirs = carts.get_or_create_active_cart(s, other.id)
        their_line = scanning.scan(s, theirs, goods["tea"].barcode)
    with pytest.raises(NotFound), uow() as s:
        carts.remove_line(s, s.get(Cart, mine.id), their_line.id)
    with pytest.raises(NotFound), uow() as s:
        carts.get_cart(s, theirs.id, cashier.id)


def test_search_by_name_with_or_without_diacritics(uow, goods, make_product) -> None:
    make_product(name="Bánh 100% gạo", price_vnd=10_000)
    with uow() as s:
        assert [p.name for p in scanning.search_products(s, "banh com")] == ["Bánh cốm Đình Bảng"]
        assert [p.name for p in scanning.search_products(s, "BÁNH CỐM")] == ["Bánh cốm Đình Bảng"]
        assert [p.name for p in scanning.search_products(s, "shan giang")] == ["Chè Shan tuyết Hà Giang"]
        assert [p.name for p in scanning.search_products(s, "%")] == ["Bánh 100% gạo"]  # a literal %, not a wildcard
        assert [p.name for p in scanning.search_products(s, goods["honey"].barcode)] == ["Mật ong bạc hà"]
        assert scanning.search_products(s, "   ") == []


def test_a_discount_within_the_cashiers_limit_needs_no_approval(uow, cashier, goods) -> None:
    with uow() as s:
        cart = carts.get_or_create_active_cart(s, cashier.id)
        line = scanning.scan(s, cart, goods["tea"].barcode)
        discounts.set_line_discount(s, cart, line.id, Discount("percent", 1000), limits=LIMITS, actor_id=cashier.id)
        view = cart_view(s, cart, DAY, LIMITS)
    assert view["lines"][0]["line_discount_vnd"] == 12_000
    assert view["total_vnd"] == 108_000
    assert not view["needs_approval"]


def test_above_the_limit_a_manager_approves_with_their_credentials(uow, cashier, make_user, goods) -> None:
    manager = make_user("quanly", "manager", "Trần Văn Quản Lý")
    with uow() as s:
        cart = carts.get_or_create_active_cart(s, cashier.id)
        line = scanning.scan(s, cart, goods["tea"].barcode)
    with pytest.raises(ApprovalRequired, match="cần quản lý duyệt"), uow() as s:
        discounts.set_line_discount(
            s, s.get(Cart, cart.id), line.id, Discount("amount", 30_000), limits=LIMITS, actor_id=cashier.id
        )
    with pytest.raises(Forbidden, match="Sai tên đăng nhập"), uow() as s:
        verify_manager(s, "quanly", "wrong")
    with pytest.raises(Forbidden, match="không phải quản lý"), uow() as s:
        verify_manager(s, "thungan", "thungan-pass")
    with uow() as s:
        approver = verify_manager(s, "QuanLy", "quanly-pass")
        discounts.set_line_discount(
            s,
            s.get(Cart, cart.id),
            line.id,
            Discount("amount", 30_000),
            limits=LIMITS,
            actor_id=cashier.id,
            approver=approver,
        )
    with uow() as s:
        assert s.get(CartLine, line.id).discount_approved_by_id == manager.id
        entry = s.exec(select(AuditEntry).where(AuditEntry.action == "discount.approve")).one()
        assert entry.user_id == manager.id
        assert '"amount_vnd": 30000' in entry.after


def test_beyond_the_managers_limit_is_refused_even_with_approval(uow, cashier, make_user, goods) -> None:
    make_user("quanly", "manager")
    with uow() as s:
        cart = carts.get_or_create_active_cart(s, cashier.id)
        scanning.scan(s, cart, goods["tea"].barcode)
        approver = verify_manager(s, "quanly", "quanly-pass")
    with pytest.raises(ValidationError, match="tối đa 50%"), uow() as s:
        discounts.set_sale_discount(
            s, s.get(Cart, cart.id), Discount("percent", 5100), limits=LIMITS, actor_id=cashier.id, approver=approver
        )


def test_a_manager_at_the_till_approves_their_own_discount(uow, make_user, goods) -> None:
    manager = make_user("quanly", "manager")
    with uow() as s:
        cart = carts.get_or_create_active_cart(s, manager.id)
        scanning.scan(s, cart, goods["tea"].barcode)
        discounts.set_sale_discount(
            s, cart, Discount("percent", 2000), limits=LIMITS, actor_id=manager.id, actor_is_manager=True
        )
        assert cart.discount_approved_by_id == manager.id


def test_lowering_the_qty_under_an_amount_discount(uow, cashier, goods) -> None:
    with uow() as s:
        cart = carts.get_or_create_active_cart(s, cashier.id)
        line = scanning.scan(s, cart, goods["cake"].barcode, qty=2)  # 90.000
        discounts.set_line_discount(s, cart, line.id, Discount("amount", 9_000), limits=LIMITS, actor_id=cashier.id)
    # 9.000 off 45.000 is 20%: allowed to be typed, but flagged and refused at payment until approved.
    with uow() as s:
        cart = s.get(Cart, cart.id)
        carts.set_qty(s, cart, line.id, 1)
        view = cart_view(s, cart, DAY, LIMITS)
        assert view["needs_approval"] and view["lines"][0]["needs_approval"]
        with pytest.raises(ApprovalRequired):  # typed again now, it asks for a manager straight away
            discounts.set_line_discount(s, cart, line.id, Discount("amount", 9_000), limits=LIMITS, actor_id=cashier.id)
    # …and never more than the line itself, whatever the quantity becomes.
    with uow() as s:
        cart = s.get(Cart, cart.id)
        carts.set_qty(s, cart, line.id, 2)
        discounts.set_line_discount(
            s,
            cart,
            line.id,
            Discount("amount", 50_000),
            limits=DiscountLimits(5000, 9000),
            actor_id=cashier.id,
            actor_is_manager=True,
        )
    with pytest.raises(ValidationError, match="không được lớn hơn"), uow() as s:
        carts.set_qty(s, s.get(Cart, cart.id), line.id, 1)
    assert lines_of(uow, cart.id) == [(goods["cake"].id, 2)]


def test_park_and_resume(uow, cashier, goods) -> None:
    with uow() as s:
        first = carts.get_or_create_active_cart(s, cashier.id)
        with pytest.raises(ValidationError, match="trống"):
            carts.park(s, first, "x")
        scanning.scan(s, first, goods["tea"].barcode)
        second = carts.park(s, first, "  Khách áo xanh ")
        assert second.id != first.id and second.status == "active"
        assert first.status == "parked" and first.label == "Khách áo xanh"
        scanning.scan(s, second, goods["cake"].barcode)
        parked = carts.list_parked(s, cashier.id, DAY)
        assert [(p["id"], p["items"], p["total_vnd"]) for p in parked] == [(first.id, 1, 120_000)]
    with uow() as s:
        resumed = carts.resume(s, cashier.id, first.id)
        assert resumed.id == first.id
        # The half-rung sale on screen was parked in its place, never lost.
        assert [c.id for c in s.exec(select(Cart).where(Cart.status == "parked"))] == [second.id]
        assert carts.get_or_create_active_cart(s, cashier.id).id == first.id
    with uow() as s:
        carts.resume(s, cashier.id, second.id)
        assert s.get(Cart, first.id).status == "parked"
    with pytest.raises(NotFound), uow() as s:
        carts.resume(s, cashier.id, second.id)  # already active


def test_resuming_over_an_empty_cart_drops_it(uow, cashier, goods) -> None:
    with uow() as s:
        cart = carts.get_or_create_active_cart(s, cashier.id)
        scanning.scan(s, cart, goods["tea"].barcode)
        empty = carts.park(s, cart)
        carts.resume(s, cashier.id, cart.id)
        assert s.get(Cart, empty.id) is None


def test_the_view_prices_with_the_rates_of_the_day(uow, cashier, goods) -> None:
    with uow() as s:
        cart = carts.get_or_create_active_cart(s, cashier.id)
        scanning.scan(s, cart, goods["tea"].barcode)  # 120.000 standard
        scanning.scan(s, cart, goods["honey"].barcode)  # 105.000 reduced 5%
        before = cart_view(s, cart, date(2026, 12, 31), LIMITS)
        after = cart_view(s, cart, date(2027, 1, 1), LIMITS)
    assert before["total_vnd"] == after["total_vnd"] == 225_000
    assert [(v["rate"], v["gross_vnd"], v["vat_vnd"]) for v in before["vat"]] == [
        ("8%", 120_000, 8_889),
        ("5%", 105_000, 5_000),
    ]
    assert [(v["rate"], v["vat_vnd"]) for v in after["vat"]] == [("10%", 10_909), ("5%", 5_000)]
    assert before["lines"][0]["name"] == "Chè Shan tuyết Hà Giang"
    assert before["items"] == 2
    assert before["cash_suggestions"][:2] == [225_000, 230_000]


def test_the_view_flags_lines_short_of_stock_when_negative_stock_is_refused(uow, cashier, goods) -> None:
    with uow() as s:
        cart = carts.get_or_create_active_cart(s, cashier.id)
        scanning.scan(s, cart, goods["tea"].barcode)
        assert cart_view(s, cart, DAY, LIMITS, allow_negative=False)["lines"][0]["short"]
        assert not cart_view(s, cart, DAY, LIMITS, allow_negative=True)["lines"][0]["short"]


def test_removing_the_last_line_drops_the_sale_discount(uow, cashier, goods) -> None:
    with uow() as s:
        cart = carts.get_or_create_active_cart(s, cashier.id)
        line = scanning.scan(s, cart, goods["tea"].barcode)
        discounts.set_sale_discount(s, cart, Discount("amount", 5_000), limits=LIMITS, actor_id=cashier.id)
        carts.remove_line(s, cart, line.id)
        assert cart.discount_kind == ""
        with pytest.raises(ValidationError, match="chưa có sản phẩm"):
            discounts.set_sale_discount(s, cart, Discount("amount", 5_000), limits=LIMITS, actor_id=cashier.id)
