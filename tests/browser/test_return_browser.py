"""A return in a real browser: the receipt number scanned, one line brought back, the refund receipt PDF."""

from __future__ import annotations

import pytest
from sqlmodel import select

from pos.inventory.ledger import on_hand
from pos.sales.models import SaleReturn, Shift
from tests.conftest import browser_login
from tests.unit.test_shifts import pdf_text, ring_sale, squash

pytestmark = pytest.mark.browser


def test_cashier_returns_one_line_of_a_scanned_receipt(page, live_server, uow, make_user, make_product) -> None:
    cashier = make_user("thungan", "cashier", "Nguyễn Thị Thu Ngân")
    honey = make_product(name="Mật ong bạc hà Mèo Vạc", price_vnd=185_000, unit="chai")
    cake = make_product(name="Bánh cốm làng Vòng", price_vnd=40_000, unit="hộp")
    browser_login(page, "thungan", "thungan-pass")
    page.goto("/shifts/open")
    page.keyboard.type("500000")
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/shifts/open" not in url)  # on to the till (or the shift page)
    with uow() as s:
        shift = s.exec(select(Shift).where(Shift.cashier_id == cashier.id)).one()
        sale = ring_sale(s, shift, [(honey, 1), (cake, 3)], [("transfer", 305_000, None)])
        cakes_before = on_hand(s, cake.id)

    page.goto("/shifts/returns/new")
    page.keyboard.type(sale.receipt_number)  # a scanner types the Code128 on the receipt, then Enter
    page.keyboard.press("Enter")
    page.wait_for_selector("#return-form")
    assert "Bánh cốm làng Vòng" in page.content()

    cake_qty = page.locator("input.qty").nth(1)
    cake_qty.fill("2")
    assert page.text_content("#refund-total").strip() == "80.000 ₫"  # previewed as the server will compute it
    assert page.input_value("select[name=refund_method]") == "transfer"  # the sale's own method
    page.fill("input[name=reason]", "Hộp bị móp")
    page.keyboard.press("Enter")
    page.wait_for_selector("#confirm-total")
    assert page.text_content("#confirm-total").strip() == "80.000 ₫"
    page.keyboard.press("Enter")  # the confirm button has focus
    page.wait_for_selector("#refund-pdf")

    with uow() as s:
        made = s.exec(select(SaleReturn)).one()
        assert made.total_vnd == 80_000 and made.refund_method == "transfer"
        assert on_hand(s, cake.id) == cakes_before + 2
    assert made.return_number in page.content()
    pdf = page.request.get(page.get_attribute("#refund-pdf", "href"))
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    text = pdf_text(pdf.body())
    for phrase in [
        "PHIẾU HOÀN TIỀN",
        f"Trả hàng cho hóa đơn số {sale.receipt_number}",
        made.return_number,
        "Bánh cốm làng Vòng",
        "Hoàn tiền80.000 ₫",
        "Chuyển khoản (VietQR)80.000 ₫",
        "Lý do trả hàng: Hộp bị móp",
    ]:
        assert squash(phrase) in text, phrase
    assert "Mật ong" not in text
