"""Transfers and the network's stock in headless Chromium: a manager sends goods through the form, the office
reads the network's stock pages; every page fits 1024, 1366 and 1920 pixels wide without scrolling sideways.
Set POS_SCREENSHOTS to a folder to keep screenshots of each page at the three sizes."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from flask import Flask

from pos.central.users import create_central_user
from pos.db import ENGINE_KEY, session_scope
from pos.inventory.intake import IntakeLineInput, receive_stock
from pos.inventory.transfers import apply_pulled
from tests.conftest import LiveServer, browser_login
from tests.http.test_office_network import network  # noqa: F401  (the fixture)
from tests.showrooms import TODAY

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("POS_SCREENSHOTS", "")) if os.environ.get("POS_SCREENSHOTS") else None
SIZES = ((1024, 768), (1366, 768), (1920, 1080))


def fits(page: Any, name: str) -> None:
    """No sideways scrolling at any of the three sizes (and a screenshot of each when asked)."""
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {width}px"
        if SHOTS is not None:
            page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)


def test_a_manager_sends_goods_to_another_showroom(page: Any, make_product: Any, make_user: Any, engine: Any) -> None:
    make_user("quanly", "manager")
    honey = make_product(name="Mật ong bạc hà Mèo Vạc", unit="lọ")
    with session_scope(engine) as s:
        receive_stock(s, honey.producer_id, TODAY, "GH-1", [IntakeLineInput(honey.id, 12)], None, today=TODAY)
    browser_login(page, "quanly", "quanly-pass")
    page.goto("/stock/transfers/")
    fits(page, "transfers-empty")
    page.click("text=Lập phiếu chuyển kho")
    page.fill("input[name=to]", "SR02")
    page.select_option("select[name=product_id-1]", str(honey.id))
    page.fill("input[name=qty-1]", "15")
    fits(page, "transfer-new")
    page.click("text=Lập phiếu và trừ kho")
    page.wait_for_load_state()
    assert "Chỉ còn 12 lọ" in page.content()
    fits(page, "transfer-new-error")
    page.fill("input[name=qty-1]", "5")
    page.click("text=Lập phiếu và trừ kho")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text().startswith("Phiếu chuyển kho CK-SR")
    assert "Đang chuyển" in page.content()
    fits(page, "transfer-out")
    with session_scope(engine) as s:  # a note from SR02, as the sync pulls it
        line = {
            "line_no": 1, "product_uuid": str(honey.uuid), "producer_uuid": str(uuid4()), "sku": honey.sku,
            "name": honey.name, "unit": "lọ", "qty": 3, "price_vnd": 250_000,
        }  # fmt: skip
        item = {
            "uuid": str(uuid4()), "number": "CK-SR02-2026-0007", "from_showroom": "SR02", "to_showroom": "SR",
            "status": "in_transit", "created_at": "2026-12-01T09:00:00+07:00", "lines": [line],
        }  # fmt: skip
        apply_pulled(s, [item], "SR")
    page.goto("/stock/transfers/")
    assert "đến SR02" in page.content() and "từ SR02" in page.content()
    fits(page, "transfers")
    page.click("a.button:has-text('Nhận hàng')")
    page.wait_for_load_state()
    page.fill("input[name=qty-1]", "2")
    page.click("text=Nhận hàng và cộng kho")
    page.wait_for_load_state()
    assert "chọn lý do chênh lệch" in page.content()
    fits(page, "transfer-receive-error")
    page.select_option("select[name=reason-1]", "damaged")
    page.click("text=Nhận hàng và cộng kho")
    page.wait_for_load_state()
    assert "Đã nhận, có chênh lệch" in page.content()
    fits(page, "transfer-received")


@pytest.fixture
def office_tab(browser: Any, central_app: Flask, network: dict[str, Any]) -> Iterator[Any]:  # noqa: F811
    with session_scope(central_app.extensions[ENGINE_KEY]) as s:
        create_central_user(s, "vanphong", "Văn phòng", "manager", "matkhau123")
    server = LiveServer(central_app)
    context = browser.new_context(base_url=server.url, locale="vi-VN")
    tab = context.new_page()
    browser_login(tab, "vanphong", "matkhau123")
    yield tab
    context.close()
    server.close()


@pytest.mark.postgres
def test_the_office_reads_the_network_stock_pages(office_tab: Any) -> None:
    for slug, expected in [
        ("levels", "Tồn kho toàn mạng lưới"),
        ("lots", "Lô hàng hết hạn trong 30 ngày"),
        ("certificates", "Giấy chứng nhận OCOP hết hiệu lực trong 90 ngày"),
        ("transfers", "Phiếu chuyển kho giữa các cửa hàng"),
        ("settlements", "Biên bản đối soát với nhà sản xuất"),
        ("settlement-lines", "Dòng biên bản đối soát theo nhà sản xuất"),
    ]:
        office_tab.goto(f"/office/stock/{slug}")
        assert office_tab.locator("h1").inner_text().startswith(expected)
        fits(office_tab, f"office-stock-{slug}")
    office_tab.goto("/office/stock/levels")
    office_tab.select_option("select[name=showroom]", "SR02")
    office_tab.click("button:has-text('Xem')")
    office_tab.wait_for_load_state()
    assert "showroom=SR02" in office_tab.url
    assert office_tab.locator("table.report tbody tr").count() == 2
