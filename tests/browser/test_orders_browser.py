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


def test_an_order_is_picked_up_in_part_and_paid_in_cash_at_the_till(page, uow, make_user, make_product) -> None:
    """The order of 20 baskets: 12 leave today, paid in cash at the till; the note is printed; 8 stay held."""
    from sqlmodel import select

    from pos.db import utcnow
    from pos.orders import services as orders
    from pos.orders.models import OrderLine
    from pos.sales import shifts
    from pos.sales.pricing import DiscountLimits

    manager = make_user("quanly", "manager", "Trần Quản Lý")
    tea = make_product(name="Chè Shan tuyết Hà Giang", barcode=instore_ean13(1), price_vnd=120_000)
    with uow() as s:
        record_movement(s, StockMovement(product_id=tea.id, kind="intake", qty_delta=40))
        customers.save_customer(
            s,
            {
                "phone": "0903123456",
                "name": "Chị Lan",
                "company_name": "Công ty TNHH Quà Việt",
                "tax_code": "0104359717",
            },
            None,
        )
        order = orders.save_quote(
            s,
            orders.OrderInput(customer_phone="0903123456", lines=[(tea.sku, "20")], handover="pickup"),
            actor_id=manager.id,
            showroom_code="SR01",
            now=utcnow(),
            tz_name="Asia/Ho_Chi_Minh",
            limits=DiscountLimits(),
        )
        orders.confirm(s, order.id, actor_id=manager.id, allow_negative=False, now=utcnow(), tz_name="Asia/Ho_Chi_Minh")
        shifts.open_shift(s, manager.id, 500_000)
        line_id = s.exec(select(OrderLine.id).where(OrderLine.order_id == order.id)).one()
        order_id = order.id
    browser_login(page, "quanly", "quanly-pass")
    page.set_viewport_size({"width": 1024, "height": 768})
    page.goto("/orders/pickups")
    page.click("text=Công ty TNHH Quà Việt >> xpath=.. >> a")
    page.wait_for_selector("h1 >> text=Giao hàng đơn")
    page.fill(f"input[name=qty_{line_id}]", "12")
    page.click("button[value=preview]")
    page.wait_for_selector("text=thu tại quầy 1.440.000 ₫")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shoot(page, "order-deliver-preview")
    page.fill("input[name=amount]", "1.500.000")
    page.fill("input[name=receiver_name]", "Anh Minh")
    page.click("button[value=deliver]")
    page.wait_for_selector("text=Đã giao hàng: phiếu giao hàng")
    content = page.content()
    assert "Các lần đã giao" in content and "In phiếu giao hàng" in content and "Giao lần 2" in content
    shoot(page, "order-delivered")
    with uow() as s:
        assert shifts.expected_cash(s, shifts.current_shift(s, manager.id)) == 500_000 + 1_440_000
        assert orders.get_order(s, order_id).status == "ordered"  # 8 still to come
    page.goto("/orders/")  # the manager's list shows how far it got, as the pickups list does
    assert "12/20 cái đã giao" in page.locator("table").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shoot(page, "order-list-delivered")
