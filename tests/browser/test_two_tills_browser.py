"""Two tills at once in two browsers (two PCs), each printing to its own LAN printer through the server's queue."""

from __future__ import annotations

import pytest
import zxingcpp
from playwright.sync_api import expect
from sqlmodel import select

from pos.barcodes import instore_ean13
from pos.inventory.ledger import record_movement
from pos.inventory.models import StockMovement
from pos.printing import worker
from pos.printing.models import PrintJob, Till
from pos.sales.models import Shift
from tests.conftest import browser_login
from tests.fakeprinter import FakePrinter

pytestmark = pytest.mark.browser


@pytest.fixture
def app_overrides():
    return {"PRINTING_WORKER": True}  # the server's own print worker, as in a showroom


@pytest.fixture
def printers(uow, make_user, make_product):
    """Quầy 1 and Quầy 2, each on its own fake LAN printer; a cashier for each; a product in stock."""
    make_user("quanly", "manager")
    make_user("thungan1", "cashier", "Nguyễn Thị Một")
    make_user("thungan2", "cashier", "Trần Văn Hai")
    tea = make_product(name="Chè Shan tuyết Hà Giang", barcode=instore_ean13(1), price_vnd=120_000)
    one, two = FakePrinter(), FakePrinter()
    with uow() as s:
        q1 = s.get(Till, 1)
        q1.printer_kind, q1.printer_address = "network", one.address
        s.add(Till(code="Q2", name="Quầy 2", printer_kind="network", printer_address=two.address))
        record_movement(s, StockMovement(product_id=tea.id, kind="intake", qty_delta=20))
    yield {"Q1": one, "Q2": two, "tea": tea}
    one.close()
    two.close()


def set_up_pc(page, till_name: str, cashier: str) -> None:
    """The manager marks this PC as a till; its cashier logs in and opens a shift there."""
    browser_login(page, "quanly", "quanly-pass")
    page.goto("/printing/")
    page.click(f"button:has-text('Dùng máy tính này làm {till_name}')")
    expect(page.locator(".flash-success")).to_contain_text(f"Máy tính này từ giờ là {till_name}")
    with page.expect_navigation():
        page.click("button:has-text('Đăng xuất')")
    page.wait_for_load_state()
    browser_login(page, cashier, f"{cashier}-pass")
    page.goto("/shifts/open")
    page.fill("input[name=opening_float]", "500000")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    page.goto("/till/")
    expect(page.locator("#print-till")).to_have_text(till_name)


def ring_and_pay(page, barcode: str) -> None:
    page.locator("#scan").fill(barcode)
    page.keyboard.press("Enter")
    page.wait_for_selector("#cart-lines tr")
    page.keyboard.press("F4")
    page.wait_for_selector("#pay-dialog[open]")
    page.keyboard.type("200000")


def test_two_tills_each_print_on_their_own_printer(app, browser, live_server, printers, uow) -> None:
    pages = []
    for _ in range(2):
        context = browser.new_context(base_url=live_server.url, locale="vi-VN")
        pages.append(context.new_page())
    try:
        set_up_pc(pages[0], "Quầy 1", "thungan1")
        set_up_pc(pages[1], "Quầy 2", "thungan2")
        for page in pages:
            ring_and_pay(page, printers["tea"].barcode)
        for page in pages:  # both customers pay at the same moment
            page.keyboard.press("Enter")
        numbers = []
        for page in pages:
            page.wait_for_selector("#done:not(.hidden)")
            numbers.append(page.inner_text("#done-number"))
            expect(page.locator("#print-summary")).to_have_text("Đã in hết", timeout=15_000)
            assert len(page.context.pages) == 1  # no receipt tab
    finally:
        for page in pages:
            page.context.close()
        thread = app.extensions.get(worker.EXTENSION_KEY)
        if thread is not None:
            thread.stop.set()
            thread.wake.set()
            thread.join(5)

    for code, number in zip(("Q1", "Q2"), numbers, strict=True):
        [job] = printers[code].printed()
        assert job.drawer_pulses == [0] and job.cuts == 1
        assert {r.format: r.text for r in zxingcpp.read_barcodes(job.page())}[zxingcpp.BarcodeFormat.Code128] == number
    with uow() as s:
        shifts = {s.get(Till, sh.till_id).code for sh in s.exec(select(Shift))}
        assert shifts == {"Q1", "Q2"}
        assert {j.state for j in s.exec(select(PrintJob))} == {"printed"}
