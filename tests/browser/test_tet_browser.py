"""Tết at the till in a real browser: a gift basket and a promoted product, a customer found by phone."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from pos.barcodes import instore_ean13
from pos.baskets import services as baskets
from pos.inventory.ledger import record_movement
from pos.inventory.models import StockMovement
from pos.promotions import services as promotions
from pos.sales.models import Shift
from pos.sales.vat import showroom_tz
from tests.conftest import browser_login

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("POS_SCREENSHOTS", "")) if os.environ.get("POS_SCREENSHOTS") else None


@pytest.fixture
def shop(uow, make_user, make_product):
    cashier = make_user("thungan", "cashier", "Nguyễn Thị Thu Ngân")
    make_user("quanly", "manager", "Trần Quản Lý")
    tea = make_product(name="Chè Shan tuyết Hà Giang", barcode=instore_ean13(1), price_vnd=120_000)
    cake = make_product(name="Bánh cốm Đình Bảng", barcode=instore_ean13(2), price_vnd=45_000, vat_class="reduced")
    honey = make_product(name="Mật ong bạc hà Mèo Vạc", barcode=instore_ean13(3), price_vnd=185_000)
    now = datetime.now(UTC).astimezone(showroom_tz("Asia/Ho_Chi_Minh"))
    with uow() as s:
        s.add(Shift(cashier_id=cashier.id, opening_float_vnd=500_000))
        for product in (tea, cake, honey):
            record_movement(s, StockMovement(product_id=product.id, kind="intake", qty_delta=20))
        basket = baskets.save_basket(
            s,
            baskets.BasketInput(
                name="Giỏ quà Tết An Khang", price_vnd="300.000", components=[(tea.barcode, 1), (honey.barcode, 1)]
            ),
            showroom_name="Điểm OCOP Hoàn Kiếm",
        )
        promotions.save_promotion(
            s,
            promotions.PromotionInput(
                name="Bánh cốm đón Tết",
                kind="percent",
                percent="10",
                items=[(cake.barcode, 1)],
                starts=f"{now - timedelta(hours=1):%d/%m/%Y %H:%M}",
                ends=f"{now + timedelta(hours=1):%d/%m/%Y %H:%M}",
            ),
            tz_name="Asia/Ho_Chi_Minh",
            actor_id=None,
        )
    return {"basket": basket, "cake": cake}


def shoot(page, name: str) -> None:
    if SHOTS is None:
        return
    for width, height in ((1024, 768), (1366, 768), (1920, 1080)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)


def test_a_basket_a_promotion_and_a_customer_at_the_till(page, shop) -> None:
    browser_login(page, "thungan", "thungan-pass")
    page.goto("/till/")
    page.keyboard.type(shop["basket"].barcode)
    page.keyboard.press("Enter")
    page.wait_for_selector("#cart-lines tr >> text=Giỏ quà Tết An Khang")
    page.keyboard.type(shop["cake"].barcode)
    page.keyboard.press("Enter")
    page.wait_for_selector("#cart-lines .badge.promo >> text=KM: Bánh cốm đón Tết")
    expect(page.locator("#total")).to_have_text("340.500 ₫")

    page.fill("#customer-phone", "0912 345 678")
    page.click("#customer-form button[type=submit]")
    page.wait_for_selector("#message >> text=Khách mới")
    page.fill("#customer-name", "Chị Hoa")
    page.click("#customer-form button[type=submit]")
    expect(page.locator("#customer-label")).to_have_text("Chị Hoa (0912 *** 678)")
    shoot(page, "till-tet")

    page.keyboard.press("F4")
    page.wait_for_selector("#pay-dialog[open]")
    page.keyboard.press("Enter")
    page.wait_for_selector("#done:not(.hidden)")
    expect(page.locator("#customer-find")).to_be_visible()  # the next sale is for no one yet


def test_the_managers_pages(page, shop) -> None:
    browser_login(page, "quanly", "quanly-pass")
    for path, text in (("/baskets/", "Giỏ quà Tết An Khang"), ("/promotions/", "Bánh cốm đón Tết")):
        page.goto(path)
        expect(page.locator("main")).to_contain_text(text)
        shoot(page, path.strip("/"))
    page.goto(f"/baskets/{shop['basket'].id}")
    expect(page.locator("main")).to_contain_text("Còn đủ hàng để đóng 20 giỏ")
    shoot(page, "basket")
