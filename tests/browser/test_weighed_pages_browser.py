"""A manager's pages with weighed goods beside pieces, in a real browser at 1024×768: the stock list, the stocktake
review and the producer's statement show kg for the oranges and pieces for the boxes, and do not scroll sideways."""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from pos.inventory import stocktake as st
from pos.inventory.intake import IntakeLineInput, receive_stock
from tests.conftest import browser_login

pytestmark = pytest.mark.browser


def test_weighed_goods_read_in_kg_on_the_managers_pages(page, uow, make_user, make_product, tmp_path) -> None:
    manager = make_user("quanly", "manager", "Trần Văn Quản Lý")
    oranges = make_product(name="Cam Cao Phong", sold_by="weight", unit="kg", price_vnd=60_000, scale_plu=7)
    boxes = make_product(name="Hộp cam quà biếu", producer_id=oranges.producer_id, price_vnd=50_000, unit="hộp")
    with uow() as s:
        receive_stock(
            s,
            oranges.producer_id,
            date.today(),
            "PG-07",
            [IntakeLineInput(oranges.id, "12500", "24.000"), IntakeLineInput(boxes.id, "4", "30.000")],
            manager.id,
        )
        session = st.start_stocktake(s, "Quầy trái cây", manager.id)
        st.count_item(s, session.id, oranges.sku, "12,35", actor_id=manager.id)
        st.count_item(s, session.id, boxes.sku, "4", actor_id=manager.id)
        stocktake_id = session.id
    shots = Path(os.environ.get("POS_SHOTS") or tmp_path)
    browser_login(page, "quanly", "quanly-pass")
    page.set_viewport_size({"width": 1024, "height": 768})

    page.goto("/stock/")
    row = page.locator("tr", has_text="Cam Cao Phong")
    expect(row).to_contain_text("12,500")
    expect(row).to_contain_text("kg")
    expect(page.locator(".summary")).to_contain_text("12,500 kg")
    page.screenshot(path=str(shots / "weighed-stock-1024.png"), full_page=True)
    assert not page.evaluate("document.documentElement.scrollWidth > window.innerWidth")

    page.goto(f"/stocktake/{stocktake_id}")
    row = page.locator("tr", has_text="Cam Cao Phong")
    expect(row).to_contain_text("12,350 kg")
    expect(row).to_contain_text("-0,150 kg")
    page.screenshot(path=str(shots / "weighed-stocktake-1024.png"), full_page=True)

    start, end = date.today() - timedelta(days=1), date.today()
    page.goto(f"/settlements/preview?producer_id={oranges.producer_id}&from={start:%d/%m/%Y}&to={end:%d/%m/%Y}")
    expect(page.locator("tr", has_text="Cam Cao Phong").first).to_contain_text("12,500")
    expect(page.locator("tfoot").first).to_contain_text("Cộng hàng bán theo cân")
    page.screenshot(path=str(shots / "weighed-settlement-1024.png"), full_page=True)


def test_an_intake_of_weighed_goods_is_typed_in_kg(page, uow, make_user, make_producer, make_product) -> None:
    make_user("quanly", "manager", "Trần Văn Quản Lý")
    producer = make_producer(name="HTX Cam Cao Phong")
    oranges = make_product(
        name="Cam Cao Phong", producer_id=producer.id, barcode="8934563138165", sold_by="weight", unit="kg",
        price_vnd=60_000, cost_vnd=24_000, scale_plu=7, is_food=False,
    )  # fmt: skip
    boxes = make_product(
        name="Hộp quà", producer_id=producer.id, barcode="8931234567897", price_vnd=50_000, cost_vnd=30_000,
        is_food=False,
    )  # fmt: skip
    browser_login(page, "quanly", "quanly-pass")
    page.set_viewport_size({"width": 1024, "height": 768})
    page.goto("/intakes/new")
    page.select_option("#producer", str(producer.id))
    page.fill("input[name=delivery_note_number]", "PG-08")
    page.click("#scan")
    page.keyboard.type(oranges.barcode)
    page.keyboard.press("Enter")
    row = page.locator("tr.line", has_text="Cam Cao Phong")
    expect(row).to_contain_text("bán theo cân")
    expect(row.locator(".qty")).to_be_focused()
    page.keyboard.type("12,5")
    page.keyboard.press("Enter")
    expect(page.locator("#scan")).to_be_focused()
    page.keyboard.type(boxes.barcode)
    page.keyboard.press("Enter")
    expect(page.locator("tr.line", has_text="Hộp quà").locator(".qty")).to_be_focused()
    page.keyboard.type("4")
    page.keyboard.press("Enter")
    expect(page.locator("#total-qty")).to_have_text("4 · 12,500 kg")
    expect(page.locator("#total-cost")).to_have_text("420.000 ₫")  # 12,5 kg × 24.000 ₫/kg + 4 × 30.000 ₫
    page.screenshot(path=str(Path(os.environ.get("POS_SHOTS") or "/tmp") / "weighed-intake-1024.png"), full_page=True)
    page.locator("form#intake-form button[type=submit], form button.primary[type=submit]").first.click()
    expect(page.locator("h1")).to_contain_text("Phiếu nhập kho số")
    with uow() as s:
        from pos.inventory.ledger import on_hand

        assert on_hand(s, oranges.id) == 12_500
