"""A shift closed in a real browser: open with a float, sales rung up, the drawer counted by keyboard, the Z PDF."""

from __future__ import annotations

import pytest
from sqlmodel import select

from pos.sales.models import Shift
from tests.conftest import browser_login
from tests.unit.test_shifts import pdf_text, ring_sale, squash

pytestmark = pytest.mark.browser


def test_cashier_counts_the_drawer_blind_and_a_manager_signs_off(
    page, live_server, uow, make_user, make_product
) -> None:
    cashier = make_user("thungan", "cashier", "Nguyễn Thị Thu Ngân")
    make_user("quanly", "manager", "Trần Văn Quản Lý")
    honey = make_product(name="Mật ong bạc hà Mèo Vạc", price_vnd=185_000, unit="chai")
    page.on("dialog", lambda dialog: pytest.fail(f"a native browser dialog: {dialog.message}"))

    browser_login(page, "thungan", "thungan-pass")
    page.goto("/shifts/open")
    page.keyboard.type("1000000")  # the float field has focus
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/shifts/open" not in url)  # on to the till (or the shift page)

    with uow() as s:
        shift = s.exec(select(Shift).where(Shift.cashier_id == cashier.id)).one()
        ring_sale(s, shift, [(honey, 2)], [("cash", 370_000, 500_000)])  # 130.000 change
        ring_sale(s, shift, [(honey, 1)], [("card", 185_000, None)])
    # Book: 1.000.000 + 370.000 = 1.370.000. The drawer holds 1.270.000: 100.000 short.

    page.goto("/shifts/close")
    assert "1.370.000" not in page.content()  # counted blind
    for count in ["2", "1", "0", "1", "1", "0", "0", "0", "0"]:  # 500k down to 1k; Enter moves on, the last submits
        page.keyboard.type(count)
        page.keyboard.press("Enter")
    page.wait_for_selector("#confirm-dialog[open]")  # the page's own confirmation, not the browser's confirm()
    assert "đóng ca" in page.text_content("#confirm-question")
    page.keyboard.press("Enter")  # "Đồng ý" has focus
    page.wait_for_selector("#difference")
    difference = page.text_content("#difference")
    assert "-100.000 ₫" in difference
    assert "quản lý" in page.content()

    page.keyboard.type("quanly")  # the manager's username field has focus
    page.fill("input[name=manager_password]", "quanly-pass")
    page.keyboard.press("Enter")
    page.wait_for_selector("#z-pdf")
    assert "-100.000 ₫" in page.text_content("#difference")
    assert "Trần Văn Quản Lý" in page.text_content("#difference")

    pdf = page.request.get(page.get_attribute("#z-pdf", "href"))
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    text = pdf_text(pdf.body())
    for phrase in [
        "BÁO CÁO ĐÓNG CA (Z)",
        "Số đơn bán hàng2",
        "Tiền thừa trả khách-130.000 ₫",
        "Tiền theo sổ1.370.000 ₫",
        "Tiền đếm thực tế1.270.000 ₫",
        "Chênh lệch-100.000 ₫",
        "500.000 × 21.000.000 ₫",
        "Trần Văn Quản Lý",
    ]:
        assert squash(phrase) in text, phrase
