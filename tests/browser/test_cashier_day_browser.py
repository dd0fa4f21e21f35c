"""A cashier's day in a real browser: float, two sales by barcode, a return, the shift closed by a blind count."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from pos.barcodes import instore_ean13
from pos.inventory.ledger import record_movement
from pos.inventory.models import StockMovement
from pos.sales.models import Payment, Sale, SaleReturn, Shift
from tests.conftest import browser_login

pytestmark = pytest.mark.browser


def console_error(msg) -> bool:
    """A console error, except Chromium's own line for a 4xx answer (an unknown barcode's lookup is a 404)."""
    return msg.type == "error" and not re.search(r"status of 4\d\d", msg.text)


def watch_for_trouble(page) -> list[str]:
    """Collect console errors, script errors, 5xx responses; fail at once on a native dialog."""
    trouble: list[str] = []
    page.on("dialog", lambda dialog: pytest.fail(f"a native browser dialog: {dialog.message}"))
    page.on("console", lambda msg: trouble.append(f"console: {msg.text}") if console_error(msg) else None)
    page.on("pageerror", lambda error: trouble.append(f"script error: {error}"))
    page.on("response", lambda r: trouble.append(f"{r.status} {r.url}") if r.status >= 500 else None)
    return trouble


def scan(page, code: str, name: str) -> None:
    page.keyboard.type(code)
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#cart-lines tr >> text={name}")


def test_a_cashier_walks_her_day_from_float_to_blind_count(page, uow, make_user, make_product) -> None:
    cashier = make_user("thungan", "cashier", "Nguyễn Thị Thu Ngân")
    tea = make_product(name="Chè Shan tuyết Hà Giang", barcode=instore_ean13(1), price_vnd=120_000)
    cake = make_product(name="Bánh cốm Đình Bảng", barcode=instore_ean13(2), price_vnd=45_000, vat_class="reduced")
    with uow() as s:
        for product in (tea, cake):
            record_movement(s, StockMovement(product_id=product.id, kind="intake", qty_delta=10))
    trouble = watch_for_trouble(page)
    page.set_viewport_size({"width": 1366, "height": 768})

    # Log in, open the shift with a 500.000 float.
    browser_login(page, "thungan", "thungan-pass")
    page.goto("/shifts/open")
    page.keyboard.type("500000")  # the float field has focus
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/shifts/open" not in url)
    assert "Đã mở ca làm việc." in page.content()

    # First sale: two products scanned, paid cash, the change shown.
    page.goto("/till/")
    expect(page.locator("#scan")).to_be_focused()
    scan(page, tea.barcode, "Chè Shan tuyết Hà Giang")
    scan(page, cake.barcode, "Bánh cốm Đình Bảng")
    expect(page.locator("#total")).to_have_text("165.000 ₫")
    page.keyboard.press("F4")
    page.wait_for_selector("#pay-dialog[open]")
    assert page.inner_text("#pay-total") == "165.000 ₫"
    page.keyboard.type("200000")
    expect(page.locator("#cash-change")).to_have_text("35.000 ₫")
    page.keyboard.press("Enter")
    page.wait_for_selector("#done:not(.hidden)")
    assert page.inner_text("#done-change") == "35.000 ₫"
    first_receipt_url = page.locator("#done-receipt").get_attribute("href")

    # Second sale: paid by transfer.
    expect(page.locator("#scan")).to_be_focused()
    scan(page, tea.barcode, "Chè Shan tuyết Hà Giang")
    expect(page.locator("#total")).to_have_text("120.000 ₫")
    page.click("#clear")  # "Xóa cả đơn" asks in the page's own dialog; Esc keeps the sale
    page.wait_for_selector("#confirm-dialog[open]")
    assert "Xóa toàn bộ sản phẩm" in page.text_content("#confirm-question")
    page.keyboard.press("Escape")
    page.wait_for_selector("#confirm-dialog:not([open])", state="attached")
    expect(page.locator("#cart-lines tr")).to_have_count(1)
    page.keyboard.press("F4")
    page.wait_for_selector("#pay-dialog[open]")
    page.click("#pay-dialog [data-method=transfer]")
    page.click("#pay-submit")
    page.wait_for_selector("#done:not(.hidden)")
    second_receipt_url = page.locator("#done-receipt").get_attribute("href")
    assert second_receipt_url != first_receipt_url

    with uow() as s:
        first = s.exec(select(Sale).order_by(Sale.id)).first()
    assert first.receipt_number in first_receipt_url

    # A return against the first receipt: the cake comes back, refunded in cash.
    page.goto("/shifts/returns/new")
    page.keyboard.type(first.receipt_number)  # the scanner types the receipt's Code128
    page.keyboard.press("Enter")
    page.wait_for_selector("#return-form")
    assert "Bánh cốm Đình Bảng" in page.content()
    page.locator("input.qty").nth(0).fill("0")
    page.locator("input.qty").nth(1).fill("1")
    assert page.text_content("#refund-total").strip() == "45.000 ₫"
    assert page.input_value("select[name=refund_method]") == "cash"
    page.fill("input[name=reason]", "Khách đổi ý")
    page.keyboard.press("Enter")
    page.wait_for_selector("#confirm-total")
    assert page.text_content("#confirm-total").strip() == "45.000 ₫"
    page.keyboard.press("Enter")
    page.wait_for_selector("#refund-pdf")

    # Close the shift, counted blind: 500.000 + 165.000 − 45.000 = 620.000 in the drawer.
    page.goto("/shifts/close")
    assert "620.000" not in page.content()  # the book figure is not shown before the count
    for count in ["1", "0", "1", "0", "1", "0", "0", "0", "0"]:  # 500k down to 1k; the last Enter submits
        page.keyboard.type(count)
        page.keyboard.press("Enter")
    page.wait_for_selector("#confirm-dialog[open]")
    assert "đóng ca" in page.text_content("#confirm-question")
    page.keyboard.press("Enter")
    page.wait_for_selector("#difference")
    assert "0 ₫" in page.text_content("#difference")

    with uow() as s:
        sales = s.exec(select(Sale).order_by(Sale.id)).all()
        assert [x.total_vnd for x in sales] == [165_000, 120_000]
        methods = sorted((p.sale_id, p.method) for p in s.exec(select(Payment)).all())
        assert [m for _, m in methods] == ["cash", "transfer"]
        made = s.exec(select(SaleReturn)).one()
        assert made.sale_id == sales[0].id and made.total_vnd == 45_000 and made.refund_method == "cash"
        shift = s.exec(select(Shift).where(Shift.cashier_id == cashier.id)).one()
        assert shift.status == "closed" and shift.counted_cash_vnd == 620_000
    assert trouble == []
