"""A company invoice at the till by keyboard: F10 in the payment dialog, a wrong tax code refused in place, then
the sale with the buyer on its invoice; the manager's e-invoice page."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from pos.einvoice.models import Invoice
from tests.browser.test_till_browser import shop as shop  # noqa: F401  (the fixture)
from tests.conftest import browser_login

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("POS_SCREENSHOTS", "")) if os.environ.get("POS_SCREENSHOTS") else None


def shoot(page, name: str) -> None:
    """Screenshots at the three sizes, when POS_SCREENSHOTS names a folder (to look at them)."""
    if SHOTS is None:
        return
    for width, height in ((1024, 768), (1366, 768), (1920, 1080)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"))


def test_a_company_invoice_by_keyboard(page, shop, uow, make_user) -> None:
    browser_login(page, "thungan", "thungan-pass")
    page.goto("/till/")
    page.keyboard.type(shop["tea"].barcode)
    page.keyboard.press("Enter")
    page.wait_for_selector("#cart-lines tr >> text=Chè Shan tuyết Hà Giang")
    page.keyboard.press("F4")
    page.wait_for_selector("#pay-dialog[open]")
    page.keyboard.type("200000")
    page.keyboard.press("F10")
    expect(page.locator("#buyer-tax_code")).to_be_focused()
    page.keyboard.type("0100109107")  # one digit wrong
    page.keyboard.press("Tab")
    page.keyboard.type("Công ty TNHH Quà Việt")
    page.keyboard.press("Tab")
    page.keyboard.type("5 Lý Thái Tổ, Hoàn Kiếm, Hà Nội")
    shoot(page, "till-buyer")
    page.keyboard.press("Enter")
    page.wait_for_selector("#pay-error:not(.hidden) >> text=sai số kiểm tra")
    expect(page.locator("#buyer-tax_code")).to_be_focused()
    page.fill("#buyer-tax_code", "0100109106")
    page.keyboard.press("Enter")  # the receipt opens or goes to the till's printer, as the till is set up
    page.wait_for_selector("#done:not(.hidden)")
    with uow() as s:
        invoice = s.exec(select(Invoice)).one()
    assert (invoice.buyer_company, invoice.buyer_tax_code) == ("Công ty TNHH Quà Việt", "0100109106")

    make_user("quanly", "manager")
    # Leave the till first: a poll still in flight could set the cashier's cookie again after the clear.
    page.goto("about:blank")
    page.context.clear_cookies()
    browser_login(page, "quanly", "quanly-pass")
    page.goto("/einvoice")
    expect(page.locator("table.data")).to_contain_text("Công ty TNHH Quà Việt")
    shoot(page, "einvoice-list")
    page.click(f"text={invoice.number:08d}")
    expect(page.locator("h1")).to_contain_text(f"số {invoice.number:08d}")
    shoot(page, "einvoice-detail")
