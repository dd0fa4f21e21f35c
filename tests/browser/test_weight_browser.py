"""A weighed line at the till in a real browser: typed in kg, shown in kg with its price per kg, re-weighed."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from pos.barcodes import instore_ean13
from pos.inventory.ledger import record_movement
from pos.inventory.models import StockMovement
from pos.sales.models import Shift
from tests.conftest import browser_login

pytestmark = pytest.mark.browser


def test_a_weighed_line_is_typed_and_changed_in_kg(page, uow, make_user, make_product, tmp_path) -> None:
    cashier = make_user("thungan", "cashier", "Nguyễn Thị Thu Ngân")
    oranges = make_product(
        name="Cam Cao Phong", barcode=instore_ean13(3), sold_by="weight", unit="kg", price_vnd=35_000, scale_plu=7
    )
    with uow() as s:
        s.add(Shift(cashier_id=cashier.id, opening_float_vnd=500_000))
        record_movement(s, StockMovement(product_id=oranges.id, kind="intake", qty_delta=20_000))
    browser_login(page, "thungan", "thungan-pass")
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto("/till/")
    page.keyboard.type(f"1,275*{oranges.barcode}")
    page.keyboard.press("Enter")
    row = page.locator("#cart-lines tr", has_text="Cam Cao Phong")
    expect(row.locator("input.qty")).to_have_value("1,275")
    expect(row).to_contain_text("35.000 ₫/kg")
    expect(page.locator("#total")).to_have_text("44.625 ₫")
    page.screenshot(path="/tmp/weight_till.png")
    row.locator("input.qty").fill("0,5")
    row.locator("input.qty").press("Enter")
    expect(page.locator("#total")).to_have_text("17.500 ₫")
    expect(page.locator("#cart-lines tr", has_text="Cam Cao Phong").locator("input.qty")).to_have_value("0,500")
