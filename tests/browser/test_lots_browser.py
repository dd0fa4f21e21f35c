"""An expired lot in a real browser: the till refuses it at checkout in the cashier's words and sells nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from pos.inventory.intake import IntakeLineInput, receive_stock
from pos.inventory.models import Lot
from pos.inventory.stock import local_today
from pos.sales.models import Sale, Shift
from tests.conftest import browser_login

pytestmark = pytest.mark.browser


def test_expired_lot_is_refused_at_checkout(page, uow, make_user, make_product) -> None:
    cashier = make_user("thungan", "cashier", "Nguyễn Thị Thu Ngân")
    honey = make_product(name="Mật ong bạc hà Mèo Vạc", unit="hũ", price_vnd=185_000, is_food=True, barcode=None)
    today = local_today("Asia/Ho_Chi_Minh")
    with uow() as s:
        s.add(Shift(cashier_id=cashier.id, opening_float_vnd=500_000))
        receive_stock(
            s,
            honey.producer_id,
            today - timedelta(days=3),
            "PGH-1",
            [IntakeLineInput(product_id=honey.id, qty=5, lot_code="MO-11", expiry_date=today)],
            None,
            today=today,
        )
    browser_login(page, "thungan", "thungan-pass")
    page.goto("/till/")
    page.keyboard.type(honey.sku)
    page.keyboard.press("Enter")
    expect(page.locator("#total")).to_have_text("185.000 ₫")

    with uow() as s:  # midnight passes while the customer looks for her purse
        lot = s.exec(select(Lot)).one()
        lot.expiry_date = today - timedelta(days=1)

    page.keyboard.press("F4")
    page.wait_for_selector("#pay-dialog[open]")
    page.keyboard.type("200000")
    page.keyboard.press("Enter")
    message = page.locator("#message.error")
    expect(message).to_contain_text("lô MO-11 đã hết hạn sử dụng")
    expect(message).to_contain_text("không được bán")
    page.set_viewport_size({"width": 1366, "height": 768})
    page.screenshot(path="/tmp/food-expired-checkout.png")
    with uow() as s:
        assert s.exec(select(Sale)).all() == []


def test_a_line_with_lots_to_choose_keeps_its_buttons_in_the_cart(page, uow, make_user, make_product) -> None:
    """A food line with two lots shows a lot choice; at 1024 and 1280 px its buttons stay inside the cart."""
    cashier = make_user("thungan", "cashier", "Nguyễn Thị Thu Ngân")
    honey = make_product(
        name="Mật ong hoa rừng Tam Đảo chai thủy tinh 500ml", unit="chai", price_vnd=250_000, is_food=True, barcode=None
    )
    today = local_today("Asia/Ho_Chi_Minh")
    with uow() as s:
        s.add(Shift(cashier_id=cashier.id, opening_float_vnd=500_000))
        for code, days in (("L261015-9-TAMDAO-RUNG", 300), ("L261024-9-TAMDAO-RUNG", 400)):
            line = IntakeLineInput(product_id=honey.id, qty=5, lot_code=code, expiry_date=today + timedelta(days=days))
            receive_stock(s, honey.producer_id, today, f"PGH-{days}", [line], None, today=today)
    browser_login(page, "thungan", "thungan-pass")
    for width, height in ((1024, 768), (1280, 800)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto("/till/")
        page.keyboard.type(honey.sku)
        page.keyboard.press("Enter")
        expect(page.locator("select.till-lot")).to_be_visible()
        cart = page.locator(".till-cart").bounding_box()
        remove = page.locator("#cart-lines tr").first.locator("button.till-danger").bounding_box()
        assert cart and remove and remove["x"] + remove["width"] <= cart["x"] + cart["width"], (width, cart, remove)
        assert page.evaluate(
            "() => { const c = document.querySelector('.till-cart'); return c.scrollWidth <= c.clientWidth; }"
        )
        page.locator("#cart-lines tr").first.locator("button.till-danger").click()
        expect(page.locator("#cart-empty")).to_be_visible()
