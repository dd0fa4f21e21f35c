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
