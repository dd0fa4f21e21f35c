"""A foreign visitor asks for an English receipt: the cashier picks it in the payment dialog (F1) and the receipt,
its reprint and the sale's page follow; the next customer gets the default language again."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader
from sqlmodel import select

from pos.barcodes import instore_ean13
from pos.catalog.story import Story, save_story
from pos.inventory.ledger import record_movement
from pos.inventory.models import StockMovement
from pos.sales.models import Sale, Shift
from tests.conftest import browser_login

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/receipt-language-shots")


@pytest.fixture
def app_overrides():
    return {"EINVOICE_ENABLED": False}  # a plain receipt (hóa đơn bán lẻ): English alone is allowed on it


@pytest.fixture
def shop(uow, make_user, make_product):
    """A cashier with an open shift; honey told in English, tea not."""
    cashier = make_user("thungan", "cashier", "Nguyễn Thị Thu Ngân")
    honey = make_product(name="Mật ong bạc hà Mèo Vạc", barcode=instore_ean13(1), price_vnd=185_000, unit="chai")
    tea = make_product(name="Chè Shan tuyết Hà Giang", barcode=instore_ean13(2), price_vnd=120_000, unit="hộp")
    with uow() as s:
        save_story(s, honey.id, Story(name_en="Meo Vac mint-flower honey"))
        s.add(Shift(cashier_id=cashier.id, opening_float_vnd=500_000))
        for product in (honey, tea):
            record_movement(s, StockMovement(product_id=product.id, kind="intake", qty_delta=10))
    return {"honey": honey, "tea": tea}


def pdf_text(page, url: str) -> str:
    response = page.request.get(url)
    assert response.ok and response.headers["content-type"] == "application/pdf"
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages).split())


def test_the_cashier_prints_an_english_receipt_for_a_visitor(page, shop, uow) -> None:
    page.set_viewport_size({"width": 1024, "height": 768})
    browser_login(page, "thungan", "thungan-pass")
    page.goto("/till/")
    for product in (shop["honey"], shop["tea"]):
        page.keyboard.type(product.barcode)
        page.keyboard.press("Enter")
    page.wait_for_selector("#cart-lines tr >> text=Chè Shan tuyết Hà Giang")
    expect(page.locator("#total")).to_have_text("305.000 ₫")

    page.keyboard.press("F4")
    page.wait_for_selector("#pay-dialog[open]")
    expect(page.locator("#receipt-language input[value=vi]")).to_be_checked()
    page.keyboard.press("F1")  # Tiếng Anh
    expect(page.locator("#receipt-language input[value=en]")).to_be_checked()
    expect(page.locator("#cash-tendered")).to_be_focused()  # the cashier types the cash straight on
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "pay-dialog-1024.png"))
    expect(page.locator("#pay-submit")).to_be_in_viewport()
    page.keyboard.type("500000")
    page.keyboard.press("Enter")
    page.wait_for_selector("#done:not(.hidden)")
    receipt_url = page.locator("#done-receipt").get_attribute("href")

    text = pdf_text(page, receipt_url)
    for expected in (
        "RECEIPT",
        "Cashier: Nguyễn Thị Thu Ngân",
        "Meo Vac mint-flower honey",
        "1 bottle × 185.000 ₫",
        "Chè Shan tuyết Hà Giang",  # no English name told
        "Total 305.000 ₫",
        "In words (Bằng chữ): Ba trăm linh năm nghìn đồng",
        "Cash given 500.000 ₫",
        "Change 195.000 ₫",
    ):
        assert expected in text, expected
    assert "Tổng thanh toán" not in text and "Mật ong bạc hà" not in text
    with uow() as s:
        sale = s.exec(select(Sale)).one()
        assert sale.receipt_language == "en"

    # The next customer: Vietnamese again, unless asked.
    page.keyboard.type(shop["tea"].barcode)
    page.keyboard.press("Enter")
    page.wait_for_selector("#cart-lines tr >> text=Chè Shan tuyết Hà Giang")
    page.keyboard.press("F4")
    page.wait_for_selector("#pay-dialog[open]")
    expect(page.locator("#receipt-language input[value=vi]")).to_be_checked()
    page.keyboard.press("Escape")

    # The reprint from the receipt's page is English too, marked as a copy.
    page.goto(f"/till/receipts/{sale.receipt_number}")
    expect(page.locator("main")).to_contain_text("hóa đơn in bằng: Tiếng Anh")
    with page.expect_popup() as popup:
        page.click("text=In lại hóa đơn (BẢN SAO)")
    reprint = popup.value
    reprint.wait_for_load_state()
    text = pdf_text(page, reprint.url)
    assert "COPY (print 2)" in text and "Meo Vac mint-flower honey" in text and "Total 305.000 ₫" in text

    # This copy in Vietnamese, for the visitor's guide: picked in the reprint form, the sale stays English.
    expect(page.locator(".till-reprint select[name=language]")).to_have_value("en")
    for width, height in ((1024, 768), (1366, 768), (1920, 1080)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(SHOTS / f"receipt-page-{width}.png"))
    page.select_option(".till-reprint select[name=language]", "vi")
    with page.expect_popup() as popup:
        page.click("text=In lại hóa đơn (BẢN SAO)")
    reprint = popup.value
    reprint.wait_for_load_state()
    text = pdf_text(page, reprint.url)
    assert "BẢN SAO (lần in 3)" in text and "Mật ong bạc hà Mèo Vạc" in text and "COPY" not in text
    with uow() as s:
        assert s.exec(select(Sale)).one().receipt_language == "en"


@pytest.mark.parametrize("app_overrides", [{}])  # the shipped config.toml: every sale is an e-invoice
def test_an_invoice_asked_for_in_english_prints_bilingual(page, shop, app_overrides) -> None:
    browser_login(page, "thungan", "thungan-pass")
    for width in (1024, 1366):
        page.set_viewport_size({"width": width, "height": 768})
        page.goto("/till/")
        page.keyboard.type(shop["honey"].barcode)
        page.keyboard.press("Enter")
        page.wait_for_selector("#cart-lines tr >> text=Mật ong bạc hà Mèo Vạc")
        page.keyboard.press("F4")
        page.wait_for_selector("#pay-dialog[open]")
        page.keyboard.press("F1")
        page.keyboard.press("F1")  # Song ngữ
        expect(page.locator("#receipt-language input[value='vi+en']")).to_be_checked()
        expect(page.locator("#receipt-language-note")).to_contain_text("luôn giữ tiếng Việt")
        page.screenshot(path=str(SHOTS / f"pay-dialog-einvoice-{width}.png"))
        expect(page.locator("#pay-submit")).to_be_in_viewport()
        page.keyboard.press("Enter")
        page.wait_for_selector("#done:not(.hidden)")
        text = pdf_text(page, page.locator("#done-receipt").get_attribute("href"))
        for expected in (
            "HÓA ĐƠN GIÁ TRỊ GIA TĂNG",
            "VAT INVOICE",
            "Mật ong bạc hà Mèo Vạc",
            "Meo Vac mint-flower honey",
            "Tổng thanh toán 185.000 ₫ Total",
            "Bằng chữ (In words): Một trăm tám mươi lăm nghìn đồng",
        ):
            assert expected in text, expected
