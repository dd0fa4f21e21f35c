"""Calling back a transfer note in a real browser: the manager sends goods, then cancels the note with a reason."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from pos.inventory.ledger import on_hand, record_movement
from pos.inventory.models import StockMovement
from tests.browser.test_stocktake_browser import _shots  # at 1024, 1366 and 1920 px
from tests.conftest import browser_login

pytestmark = pytest.mark.browser


def test_a_manager_cancels_a_note_in_transit_and_the_goods_are_back(
    page, live_server, uow, make_user, make_product, tmp_path
) -> None:
    folder = Path(os.environ.get("POS_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    make_user("quanly", "manager", "Trần Văn Quản Lý")
    honey = make_product(name="Mật ong bạc hà Mèo Vạc", unit="lọ")
    with uow() as s:
        record_movement(s, StockMovement(product_id=honey.id, kind="intake", qty_delta=9))
    browser_login(page, "quanly", "quanly-pass")
    page.goto("/stock/transfers/new")
    page.fill("input[name=to]", "SR02")
    page.select_option("select[name=product_id-1]", str(honey.id))
    page.fill("input[name=qty-1]", "4")
    page.click("button[type=submit].primary")
    expect(page.locator("h1")).to_contain_text("Phiếu chuyển kho CK-")
    _shots(page, folder, "transfer-in-transit")
    page.click("text=Hủy phiếu, cộng hàng lại vào kho")  # no reason: told so, nothing moved
    expect(page.locator("[role=alert]")).to_contain_text("Nhập lý do hủy phiếu")
    _shots(page, folder, "transfer-cancel-refused")
    page.fill("input[name=reason]", "Xe hỏng, hàng chưa xuất kho")
    page.click("text=Hủy phiếu, cộng hàng lại vào kho")
    expect(page.locator(".badge")).to_have_text("Đã hủy")
    expect(page.locator(".facts")).to_contain_text("Xe hỏng, hàng chưa xuất kho")
    _shots(page, folder, "transfer-cancelled")
    with uow() as s:
        assert on_hand(s, honey.id) == 9
