"""A stocktake in a real browser: the manager freezes the book, a cashier scans, the manager approves."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from pos.barcodes import instore_ean13
from pos.inventory.ledger import on_hand, record_movement
from pos.inventory.models import StockMovement
from tests.conftest import browser_login

pytestmark = pytest.mark.browser

SIZES = [(1024, 768), (1366, 768), (1920, 1080)]


def _shots(page, folder: Path, name: str) -> None:
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(folder / f"{name}-{width}x{height}.png"), full_page=True)


def test_a_cashier_counts_with_a_scanner_and_the_manager_approves(
    page, browser, live_server, uow, make_user, make_product, tmp_path
) -> None:
    folder = Path(os.environ.get("POS_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    make_user("quanly", "manager", "Trần Văn Quản Lý")
    make_user("thungan", "cashier", "Nguyễn Thị Thu Ngân")
    tea = make_product(name="Chè Shan tuyết Hà Giang", unit="hộp", barcode=instore_ean13(41), cost_vnd=80_000)
    scarf = make_product(name="Khăn lụa Vạn Phúc", barcode=instore_ean13(42), cost_vnd=150_000)
    with uow() as s:
        record_movement(s, StockMovement(product_id=tea.id, kind="intake", qty_delta=6))
        record_movement(s, StockMovement(product_id=scarf.id, kind="intake", qty_delta=3))

    browser_login(page, "quanly", "quanly-pass")
    page.goto("/stocktake/")
    page.fill("input[name=note]", "Kệ chè và khăn")
    page.click("text=Mở phiên và chốt sổ")
    expect(page.locator("h1")).to_contain_text("Kiểm kê số 1")

    cashier = browser.new_context(base_url=live_server.url, locale="vi-VN").new_page()
    browser_login(cashier, "thungan", "thungan-pass")
    cashier.click("nav >> text=Kiểm kê")
    expect(cashier.locator("h1")).to_contain_text("phiên số 1")
    for code in [tea.barcode] * 5 + [scarf.barcode]:  # a scanner types the digits and Enter into the focused box
        cashier.keyboard.type(code)
        cashier.keyboard.press("Enter")  # no pause: scans queue up while earlier ones are sent
    expect(cashier.locator(".count-lines tbody tr")).to_have_count(2, timeout=20_000)  # six requests on a busy PC
    expect(cashier.locator("#count-message")).to_contain_text("“Khăn lụa Vạn Phúc”: tổng 1")
    expect(cashier.locator(".count-lines")).to_contain_text("5 hộp")
    cashier.keyboard.type("8934563138165")  # not in the showroom
    cashier.keyboard.press("Enter")
    expect(cashier.locator("#count-message.flash-error")).to_contain_text("Không tìm thấy sản phẩm")
    expect(cashier.locator("#count-code")).to_be_focused()
    _shots(cashier, folder, "stocktake-count")

    page.goto("/stocktake/1")
    rows = page.locator(".stocktake-lines tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="Khăn lụa Vạn Phúc")).to_contain_text("-2")
    expect(rows.filter(has_text="Chè Shan tuyết")).to_contain_text("-1")
    _shots(page, folder, "stocktake-detail")
    page.click("text=Duyệt và điều chỉnh tồn kho")
    page.click("#confirm-yes")
    expect(page.locator(".flash-success")).to_contain_text("điều chỉnh tồn kho 2 dòng")
    page.goto("/stocktake/")
    _shots(page, folder, "stocktake-index")
    with uow() as s:
        assert (on_hand(s, tea.id), on_hand(s, scarf.id)) == (5, 1)
