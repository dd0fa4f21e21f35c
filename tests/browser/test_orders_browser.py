"""A company quote in a real browser: the manager types it, sees it priced, turns it into an order."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pos.barcodes import instore_ean13
from pos.baskets import services as baskets
from pos.customers import services as customers
from pos.inventory.ledger import record_movement
from pos.inventory.models import StockMovement
from tests.conftest import browser_login

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("POS_SCREENSHOTS", "")) if os.environ.get("POS_SCREENSHOTS") else None


def shoot(page, name: str) -> None:
    if SHOTS is None:
        return
    for width, height in ((1024, 768), (1366, 768), (1920, 1080)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)


def test_a_manager_quotes_a_company_and_orders_it(page, uow, make_user, make_product) -> None:
    make_user("quanly", "manager", "Trần Quản Lý")
    tea = make_product(name="Chè Shan tuyết Hà Giang", barcode=instore_ean13(1), price_vnd=120_000)
    honey = make_product(name="Mật ong bạc hà Mèo Vạc", barcode=instore_ean13(3), price_vnd=185_000)
    with uow() as s:
        for product in (tea, honey):
            record_movement(s, StockMovement(product_id=product.id, kind="intake", qty_delta=40))
        basket = baskets.save_basket(
            s,
            baskets.BasketInput(
                name="Giỏ quà Tết An Khang", price_vnd="300.000", components=[(tea.sku, 1), (honey.sku, 1)]
            ),
            showroom_name="Điểm OCOP Hoàn Kiếm",
        )
        customers.save_customer(
            s,
            {
                "phone": "0903123456",
                "name": "Chị Lan",
                "company_name": "Công ty TNHH Quà Việt",
                "tax_code": "0104359717",
                "address": "5 Lý Thái Tổ, Hà Nội",
            },
            None,
        )
    browser_login(page, "quanly", "quanly-pass")
    page.set_viewport_size({"width": 1024, "height": 768})
    page.goto("/orders/new")
    page.fill("input[name=customer_phone]", "0903 123 456")
    page.fill("input[name=code_0]", basket.barcode)
    page.fill("input[name=qty_0]", "20")
    page.fill("input[name=code_1]", tea.sku)
    page.fill("input[name=qty_1]", "5")
    page.fill("input[name=discount_percent]", "5")
    page.fill("input[name=due_on]", "05/02/2027")
    shoot(page, "order-form")
    page.click("form.card button[type=submit].primary")
    page.wait_for_selector("h1 >> text=Báo giá")
    assert "6.270.000 ₫" in page.content()  # (20 × 300 000 + 5 × 120 000) less 5%
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shoot(page, "order-quote")
    page.click("text=Đặt hàng (giữ hàng)")
    page.wait_for_selector("text=hàng đã được giữ cho đơn")
    shoot(page, "order-ordered")
    page.goto("/orders/")
    assert "Đã đặt hàng (đang giữ hàng)" in page.content()
    shoot(page, "order-list")
