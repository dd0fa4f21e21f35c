"""The central office's pages in headless Chromium: charts drawn under the strict CSP, the heat map's links,
a receipt opened from the sales list, a CSV downloaded from its button."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from pos.central.users import create_central_user
from pos.db import session_scope
from tests.conftest import LiveServer, browser_login
from tests.http.test_office import MARCH, seed

pytestmark = [pytest.mark.browser, pytest.mark.postgres]

QUERY = f"from={MARCH['from']}&to={MARCH['to']}"


@pytest.fixture
def office_page(browser: Any, central_app: Flask, central_engine: Any) -> Iterator[Any]:
    """A logged-in tab on the central server (waitress on loopback) holding the known world of test_office."""
    world = seed(central_engine)
    with session_scope(central_engine) as s:
        create_central_user(s, "vanphong", "Văn phòng", "manager", "matkhau123")
    server = LiveServer(central_app)
    context = browser.new_context(base_url=server.url, accept_downloads=True, locale="vi-VN")
    tab = context.new_page()
    tab.problems = []
    tab.on("console", lambda m: tab.problems.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: tab.problems.append(str(e)))
    tab.world = world
    browser_login(tab, "vanphong", "matkhau123")
    yield tab
    context.close()
    server.close()


def test_overview_draws_its_charts(office_page: Any) -> None:
    office_page.goto(f"/office/?{QUERY}")
    office_page.wait_for_selector("figure.heatmap svg")
    assert office_page.locator("figure.heatmap svg rect.cell").count() == 3 * 31 + 7  # the grid and the legend
    assert office_page.locator("figure[data-chart] svg polyline.line").count() == 1  # sales per day
    assert office_page.locator("figure[data-chart] svg rect.bar").count() == 3  # one bar per showroom
    assert office_page.problems == []  # no CSP refusal, no script error
    office_page.locator("figure.heatmap svg a", has_text="SR02").click()
    office_page.wait_for_load_state()
    assert "/office/days" in office_page.url and "showroom=SR02" in office_page.url
    assert office_page.locator("h1").inner_text() == "Doanh thu theo ngày"


def test_receipt_from_the_sales_list(office_page: Any) -> None:
    office_page.goto(f"/office/sales?{QUERY}")
    office_page.click("text=SR01-2026-000001")
    office_page.wait_for_load_state()
    assert office_page.locator("h1").inner_text() == "Hóa đơn SR01-2026-000001"
    receipt = office_page.locator("article.receipt-paper").inner_text()
    assert "Chè Tân Cương hộp 200g" in receipt and "250.000 ₫" in receipt
    assert "SR01-2026-R000001" in office_page.content()
    assert office_page.problems == []


def test_csv_button_downloads_with_bom(office_page: Any, tmp_path: Path) -> None:
    office_page.goto(f"/office/producers?{QUERY}")
    with office_page.expect_download() as download:
        office_page.click("text=Tải CSV")
    target = tmp_path / "producers.csv"
    download.value.save_as(target)
    raw = target.read_bytes()
    assert raw.startswith("\ufeff".encode())
    assert "HTX Chè Tân Cương" in raw.decode("utf-8-sig")
