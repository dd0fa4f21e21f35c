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
    tab.world_engine = central_engine
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


def test_a_company_s_purchases_in_every_showroom(office_page: Any) -> None:
    """Typed by phone in the sales list's Khách hàng field: the company's sales at SR01 and SR02, by name; its
    name opens the customer's page."""
    import os
    from uuid import uuid4

    from pos.sync.samples import Record
    from tests.http.test_office import at, line, paid, producer, product, sale
    from tests.http.test_office_customers import customer, push

    engine = office_page.world_engine
    maker = producer(str(uuid4()), "HTX Quà Tết Bắc Ninh", "Bắc Ninh")
    basket = product(str(uuid4()), maker, "GQ01", "Giỏ quà Tết An Khang", 650_000, 4, "thuc_pham")
    for n, code in enumerate(("SR01", "SR02")):
        who = customer("0912345678", "Chị Hoa", "Công ty TNHH Hoa Sen", "0101234567")
        s = sale(
            f"{code}-2026-000201", at(10 + n, 10), str(uuid4()), [line(1, basket, 2)], [paid("transfer", 1_300_000)]
        )
        s["customer_uuid"] = who["uuid"]
        push(
            engine,
            code,
            [
                Record("producer", maker["uuid"], maker, at(1, 8)),
                Record("product", basket["uuid"], basket, at(1, 8)),
                Record("customer", who["uuid"], who, at(1, 9)),
                Record("sale", s["uuid"], s, at(10 + n, 10)),
            ],
            first_seq=5000,
        )
    office_page.goto(f"/office/sales?{QUERY}")
    office_page.fill("input[name=customer]", "0912 345 678")
    office_page.click("form.filters button[type=submit]")
    office_page.wait_for_load_state()
    rows = office_page.locator("table.office-sales tbody tr")
    assert rows.count() == 2 and "Công ty TNHH Hoa Sen" in rows.first.inner_text()
    assert office_page.locator("input[name=customer]").input_value() == "0912 345 678"
    shots = os.environ.get("POS_SCREENSHOTS")
    for width, height in ((1024, 768), (1366, 768), (1920, 1080)):
        office_page.set_viewport_size({"width": width, "height": height})
        assert office_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), width
        if shots:
            office_page.screenshot(path=f"{shots}/office-sales-customer-{width}.png", full_page=True)
    assert office_page.problems == []

    # The customer column opens the customer's page: both showrooms' purchases and their totals.
    office_page.locator("table.office-sales tbody tr td.col-customer a").first.click()
    office_page.wait_for_load_state()
    assert office_page.locator("h1").inner_text() == "Công ty TNHH Hoa Sen"
    assert office_page.locator("table.customer-sales tbody tr").count() == 2
    assert "2.600.000 ₫" in office_page.locator("table.customer-showrooms tfoot").inner_text()
    for width, height in ((1024, 768), (1366, 768), (1920, 1080)):
        office_page.set_viewport_size({"width": width, "height": height})
        assert office_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), width
        if shots:
            office_page.screenshot(path=f"{shots}/office-customer-{width}.png", full_page=True)
    assert office_page.problems == []

    # Erased at SR02 (the last record made): its page says so and names nobody.
    erased = {**who, "name": "", "phone": "", "company_name": "", "tax_code": "", "erased": True}
    push(engine, "SR02", [Record("customer", who["uuid"], erased, at(20, 9))], first_seq=6000)
    office_page.goto(f"/office/customers/{who['uuid']}")
    assert "đã được xóa theo yêu cầu" in office_page.locator("main").inner_text()
    assert "Hoa Sen" not in office_page.content() and "0912345678" not in office_page.content()
    for width, height in ((1024, 768), (1366, 768), (1920, 1080)):
        office_page.set_viewport_size({"width": width, "height": height})
        assert office_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), width
        if shots:
            office_page.screenshot(path=f"{shots}/office-customer-erased-{width}.png", full_page=True)
    assert office_page.problems == []
