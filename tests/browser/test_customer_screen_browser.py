"""The customer's screen beside the till: a greeting before the first scan, then the lines and the total."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from pos.inventory.intake import IntakeLineInput, receive_stock
from pos.inventory.stock import local_today
from pos.sales.models import Shift
from tests.conftest import browser_login

pytestmark = pytest.mark.browser


def test_the_customer_screen_greets_then_shows_the_sale(page: Any, uow: Any, make_user: Any, make_product: Any) -> None:
    cashier = make_user("thungan", "cashier", "Nguyễn Thị Thu Ngân")
    tea = make_product(name="Chè Shan tuyết Hà Giang", price_vnd=120_000)
    with uow() as s:
        s.add(Shift(cashier_id=cashier.id, opening_float_vnd=500_000))
        today = local_today("Asia/Ho_Chi_Minh")
        receive_stock(
            s, tea.producer_id, today, "PGH-1", [IntakeLineInput(product_id=tea.id, qty=5)], None, today=today
        )
    browser_login(page, "thungan", "thungan-pass")
    screen = page.context.new_page()
    screen.set_viewport_size({"width": 1280, "height": 800})
    screen.goto("/printing/customer")
    welcome = screen.locator(".customer-welcome")
    expect(welcome).to_be_visible()
    expect(welcome).to_contain_text("Xin chào quý khách")
    page.bring_to_front()
    page.goto("/till/")
    page.fill("#scan", tea.sku)
    page.press("#scan", "Enter")
    expect(page.locator("#total")).to_have_text("120.000 ₫")
    expect(screen.locator("#customer-lines li")).to_have_count(1)
    expect(screen.locator("#customer-total")).to_have_text("120.000 ₫")
    expect(welcome).to_be_hidden()
