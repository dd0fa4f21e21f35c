"""The central office's day in a real browser (PostgreSQL): the overview, a day, a receipt, a report's CSV, stock
across the network, the showrooms and what sync set aside."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from pos.central.users import create_central_user
from pos.db import session_scope
from tests.browser.test_cashier_day_browser import watch_for_trouble
from tests.conftest import LiveServer, browser_login
from tests.http.test_office import MARCH, seed

pytestmark = [pytest.mark.browser, pytest.mark.postgres]

QUERY = f"from={MARCH['from']}&to={MARCH['to']}"


def test_the_office_walks_its_day(browser, central_app, central_engine, tmp_path: Path) -> None:
    seed(central_engine)
    with session_scope(central_engine) as s:
        create_central_user(s, "vanphong", "Văn phòng", "manager", "matkhau123")
    server = LiveServer(central_app)
    context = browser.new_context(base_url=server.url, accept_downloads=True, locale="vi-VN")
    try:
        page = context.new_page()
        trouble = watch_for_trouble(page)
        page.set_viewport_size({"width": 1366, "height": 768})
        browser_login(page, "vanphong", "matkhau123")

        # The overview for March: charts drawn, a showroom's row of the heat map opens its days.
        page.goto(f"/office/?{QUERY}")
        expect(page.locator("h1")).to_have_text("Tổng quan bán hàng các cửa hàng")
        page.wait_for_selector("figure.heatmap svg rect.cell")
        page.locator("figure.heatmap svg a", has_text="SR02").click()
        page.wait_for_url(re.compile(r".*/office/days.*showroom=SR02"))
        expect(page.locator("h1")).to_have_text("Doanh thu theo ngày")

        # The sales list, a receipt opened from it.
        page.goto(f"/office/sales?{QUERY}")
        expect(page.locator("h1")).to_have_text("Đơn bán hàng")
        page.click("text=SR01-2026-000001")
        expect(page.locator("h1")).to_have_text("Hóa đơn SR01-2026-000001")
        receipt = page.locator("article.receipt-paper").inner_text()
        assert "Thu ngân" in receipt and "250.000 ₫" in receipt

        # The producers' report and its CSV, as the accountant takes it into a spreadsheet.
        page.goto(f"/office/producers?{QUERY}")
        assert "HTX Chè Tân Cương" in page.text_content("main")
        with page.expect_download() as download:
            page.click("text=Tải CSV")
        target = tmp_path / "producers.csv"
        download.value.save_as(target)
        assert "HTX Chè Tân Cương" in target.read_bytes().decode("utf-8-sig")

        # Stock across the network, the showrooms, one showroom, what sync set aside.
        page.click("nav.report-tabs >> text=Kho toàn mạng lưới")
        page.wait_for_url(re.compile(r".*/office/stock/levels.*"))
        expect(page.locator("nav.report-tabs a.current").first).to_have_text("Kho toàn mạng lưới")
        page.goto("/showrooms")
        expect(page.locator("h1")).to_have_text("Cửa hàng")
        page.click("text=SR01")
        expect(page.locator("h1")).to_contain_text("SR01 · OCOP Hoàn Kiếm")
        page.goto("/sync-issues")
        expect(page.locator("h1")).to_have_text("Bản ghi đồng bộ cần xem xét")
        assert trouble == []
    finally:
        context.close()
        server.close()
