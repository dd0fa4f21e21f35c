"""The till in a real browser: a whole sale by keyboard alone, from the scan to the printed receipt."""

from __future__ import annotations

import io

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader
from sqlmodel import select

from pos.barcodes import instore_ean13
from pos.inventory.ledger import record_movement
from pos.inventory.models import StockMovement
from pos.sales.models import Sale, Shift
from tests.conftest import browser_login

pytestmark = pytest.mark.browser


@pytest.fixture
def shop(uow, make_user, make_product):
    """A cashier with an open shift and two products in stock."""
    cashier = make_user("thungan", "cashier", "Nguyễn Thị Thu Ngân")
    tea = make_product(name="Chè Shan tuyết Hà Giang", barcode=instore_ean13(1), price_vnd=120_000)
    cake = make_product(name="Bánh cốm Đình Bảng", barcode=instore_ean13(2), price_vnd=45_000, vat_class="reduced")
    with uow() as s:
        s.add(Shift(cashier_id=cashier.id, opening_float_vnd=500_000))
        for product in (tea, cake):
            record_movement(s, StockMovement(product_id=product.id, kind="intake", qty_delta=10))
    return {"tea": tea, "cake": cake}


def test_a_whole_sale_by_keyboard_alone(page, shop, uow) -> None:
    browser_login(page, "thungan", "thungan-pass")
    page.goto("/till/")
    expect(page.locator("#scan")).to_be_focused()

    # A scanner types the digits and Enter.
    page.keyboard.type(shop["tea"].barcode)
    page.keyboard.press("Enter")
    page.wait_for_selector("#cart-lines tr >> text=Chè Shan tuyết Hà Giang")
    page.keyboard.type(shop["cake"].barcode)
    page.keyboard.press("Enter")
    page.wait_for_selector("#cart-lines tr >> text=Bánh cốm Đình Bảng")
    page.keyboard.type(shop["cake"].barcode)
    page.keyboard.press("Enter")
    expect(page.locator("#total")).to_have_text("210.000 ₫")

    # An unknown code: a clear error, the cart untouched, the focus still on the scan field.
    page.keyboard.type("2000000000992")
    page.keyboard.press("Enter")
    page.wait_for_selector("#message.error >> text=Không tìm thấy sản phẩm có mã vạch 2000000000992")
    assert page.locator("#cart-lines tr").count() == 2
    assert page.inner_text("#total") == "210.000 ₫"
    expect(page.locator("#scan")).to_be_focused()

    # F4 opens the payment with cash selected; the customer hands over 500.000.
    page.keyboard.press("F4")
    page.wait_for_selector("#pay-dialog[open]")
    assert page.inner_text("#pay-total") == "210.000 ₫"
    page.keyboard.type("500000")
    assert page.inner_text("#cash-change") == "290.000 ₫"

    # Enter completes (a second Enter right behind it must not make a second sale); the receipt prints from a
    # hidden frame of the till page itself: no new tab for the cashier to close.
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    page.wait_for_selector("#done:not(.hidden)")
    frame = page.wait_for_selector("iframe#print-frame", state="attached")
    assert "/printing/receipts/" in frame.get_attribute("src") and len(page.context.pages) == 1
    receipt_image = frame.content_frame().wait_for_selector("img#receipt")
    page.wait_for_function("(img) => img.complete && img.naturalWidth === 576", arg=receipt_image)
    assert page.inner_text("#done-change") == "290.000 ₫"
    assert page.locator("#cart-lines tr").count() == 0
    expect(page.locator("#scan")).to_be_focused()
    receipt_url = page.locator("#done-receipt").get_attribute("href")

    assert receipt_url.endswith(".pdf")
    pdf = page.request.get(receipt_url)
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.body())).pages).split())
    for expected in (
        "HÓA ĐƠN GIÁ TRỊ GIA TĂNG",  # the shipped config.toml issues e-invoices: the receipt is the paper copy
        "Chè Shan tuyết Hà Giang",
        "Bánh cốm Đình Bảng",
        "210.000",
        "500.000",
        "290.000",
    ):
        assert expected in text, expected

    with uow() as s:
        sales = s.exec(select(Sale)).all()
        assert len(sales) == 1 and sales[0].total_vnd == 210_000
        assert sales[0].receipt_number in receipt_url


def test_search_by_name_and_park_by_keyboard(page, shop) -> None:
    browser_login(page, "thungan", "thungan-pass")
    page.goto("/till/")
    expect(page.locator("#scan")).to_be_focused()
    page.keyboard.press("F2")
    page.wait_for_selector("#search-dialog[open]")
    page.keyboard.type("banh com")
    page.wait_for_selector("#search-results li[data-id] >> text=Bánh cốm Đình Bảng")
    page.keyboard.press("Enter")
    page.wait_for_selector("#cart-lines tr >> text=Bánh cốm Đình Bảng")
    expect(page.locator("#scan")).to_be_focused()

    page.keyboard.press("F8")
    page.wait_for_selector("#park-dialog[open]")
    page.keyboard.type("Khách áo xanh")
    page.keyboard.press("Enter")
    page.wait_for_selector("#cart-empty:not(.hidden)")
    assert page.inner_text("#parked-count") == "1"

    # The parked sale survives a reload, and comes back with F9 + Enter.
    page.reload()
    expect(page.locator("#parked-count")).to_have_text("1")
    page.keyboard.press("F9")
    page.wait_for_selector("#parked-list li >> text=Khách áo xanh")
    page.keyboard.press("Enter")
    page.wait_for_selector("#cart-lines tr >> text=Bánh cốm Đình Bảng")
    page.keyboard.press("Escape")
    expect(page.locator("#scan")).to_be_focused()


def test_a_transfer_with_the_bank_reference_typed_prints_it_as_paid(page, shop, uow) -> None:
    from pos.sales.models import Payment

    browser_login(page, "thungan", "thungan-pass")
    page.goto("/till/")
    page.keyboard.type(shop["tea"].barcode)
    page.keyboard.press("Enter")
    page.wait_for_selector("#cart-lines tr >> text=Chè Shan tuyết Hà Giang")
    page.keyboard.press("F4")
    page.wait_for_selector("#pay-dialog[open]")
    page.click("#pay-dialog [data-method=transfer]")
    page.fill("#transfer-reference", "FT26341ABC123")
    page.click("#pay-submit")
    page.wait_for_selector("#done:not(.hidden)")
    receipt_url = page.locator("#done-receipt").get_attribute("href")
    pdf = page.request.get(receipt_url)
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.body())).pages).split())
    assert "Đã nhận chuyển khoản lúc" in text and "Mã giao dịch: FT26341ABC123" in text
    assert "Quét mã VietQR" not in text  # paid already: no QR inviting a second payment
    with uow() as s:
        assert [(p.method, p.reference) for p in s.exec(select(Payment)).all()] == [("transfer", "FT26341ABC123")]
