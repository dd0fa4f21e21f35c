"""A scan typed while the till page's script is not running is posted by the browser and still sold."""

from __future__ import annotations

import pytest
from sqlmodel import select

from pos.barcodes import instore_ean13
from pos.inventory.ledger import record_movement
from pos.inventory.models import StockMovement
from pos.sales.models import CartLine, Shift
from tests.conftest import browser_login

pytestmark = pytest.mark.browser


def test_the_scan_form_posts_itself_when_the_script_does_not_run(browser, live_server, uow, make_user, make_product):
    # Chromium pauses a page's scripts while its hidden print frame prints; a page still loading has none yet.
    # Either way the browser submits the scan form itself: that must add the code, not lose it.
    cashier = make_user("thungan", "cashier", "Nguyễn Thị Thu Ngân")
    tea = make_product(name="Chè Shan tuyết Hà Giang", barcode=instore_ean13(1), price_vnd=120_000)
    with uow() as s:
        record_movement(s, StockMovement(product_id=tea.id, kind="intake", qty_delta=10))
        s.add(Shift(cashier_id=cashier.id, opening_float_vnd=500_000))
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False, locale="vi-VN")
    try:
        page = context.new_page()
        browser_login(page, "thungan", "thungan-pass")
        page.goto("/till/")
        page.fill("#scan", tea.barcode)
        page.press("#scan", "Enter")
        page.wait_for_url(lambda url: url.endswith("/till/"))
        page.fill("#scan", "2000000000992")
        page.press("#scan", "Enter")
        page.wait_for_selector("text=Không tìm thấy sản phẩm có mã vạch 2000000000992.")
    finally:
        context.close()
    with uow() as s:
        lines = s.exec(select(CartLine)).all()
        assert [(line.product_id, line.qty) for line in lines] == [(tea.id, 1)]
