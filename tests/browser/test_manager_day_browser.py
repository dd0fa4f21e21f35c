"""A manager's day in a real browser: an intake with a new food product in a lot, its labels, a count, reports."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader
from sqlmodel import select

from pos.catalog.models import Product
from pos.inventory.ledger import on_hand
from pos.inventory.models import Lot
from tests.browser.test_cashier_day_browser import watch_for_trouble
from tests.conftest import browser_login

pytestmark = pytest.mark.browser

NEW_EAN = "8931234567897"


def test_a_manager_receives_labels_counts_and_reads_the_reports(page, uow, make_user, make_producer) -> None:
    make_user("quanly", "manager", "Trần Văn Quản Lý")
    producer = make_producer(name="HTX Mật ong Mèo Vạc")
    other = make_producer(name="HTX Chè Shan tuyết Hà Giang")
    trouble = watch_for_trouble(page)
    page.set_viewport_size({"width": 1366, "height": 768})
    browser_login(page, "quanly", "quanly-pass")

    # An intake: a product the catalogue does not know yet, food, in lot L2611 good until 30/11/2027.
    page.goto("/intakes/new")
    page.select_option("#producer", str(producer.id))
    page.fill("input[name=delivery_note_number]", "PGH-2026-117")
    page.click("#scan")
    page.keyboard.type(NEW_EAN)
    page.keyboard.press("Enter")
    expect(page.locator("#new-product")).to_be_visible()
    assert page.input_value("[data-field=barcode]") == NEW_EAN
    page.fill("[data-field=name]", "Mật ong bạc hà Mèo Vạc")
    page.fill("[data-field=price_vnd]", "185.000")
    page.fill("[data-field=unit]", "hũ")
    page.select_option("[data-field=ocop_group]", "thuc_pham")
    page.select_option("[data-field=ocop_stars]", "4")
    page.click("#create-product")
    line = page.locator("tr.line").first
    expect(line.locator(".qty")).to_be_focused()
    page.keyboard.type("12")
    page.keyboard.press("Enter")
    expect(line.locator(".lot")).to_be_focused()  # food asks for its lot, then its expiry date
    page.keyboard.type("L2611")
    page.keyboard.press("Enter")
    expect(line.locator(".expiry")).to_be_focused()
    page.keyboard.type("30/11/2027")
    page.keyboard.press("Enter")
    expect(page.locator("#scan")).to_be_focused()
    page.select_option("#producer", str(other.id))  # the lines would go: the page's own dialog asks first
    page.wait_for_selector("#confirm-dialog[open]")
    assert "Đổi nhà sản xuất" in page.text_content("#confirm-question")
    page.keyboard.press("Escape")
    page.wait_for_selector("#confirm-dialog:not([open])", state="attached")
    assert page.input_value("#producer") == str(producer.id) and page.locator("tr.line").count() == 1
    page.click("#save-intake")
    page.wait_for_url(re.compile(r".*/intakes/\d+$"))
    body = page.text_content("main")
    assert "Đã lưu phiếu nhập kho số" in body and "Mật ong bạc hà Mèo Vạc" in body

    with uow() as s:
        honey = s.exec(select(Product).where(Product.barcode == NEW_EAN)).one()
        lot = s.exec(select(Lot).where(Lot.product_id == honey.id)).one()
        assert honey.is_food and honey.price_vnd == 185_000
        assert lot.lot_code == "L2611" and lot.expiry_date == date(2027, 11, 30)
        assert on_hand(s, honey.id) == 12

    # Its labels: one per item received, a PDF.
    button = page.locator("#print-labels")
    assert "12 tem" in button.text_content()
    href = button.get_attribute("href")
    with page.expect_response(lambda r: r.url.endswith(href)) as info:
        button.click()
    assert info.value.status == 200
    assert info.value.headers["content-type"].startswith("application/pdf")
    pdf = page.request.get(href)
    assert pdf.status == 200 and pdf.headers["content-type"].startswith("application/pdf")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.body())).pages)
    assert "Mật ong bạc hà Mèo Vạc" in text
    assert "L2611" in text and "30/11/2027" in text  # the food label carries its lot and expiry

    # A count: one jar fewer on the shelf than the book says.
    page.goto(f"/stock/{honey.id}")
    page.select_option("select[name=count_lot_id]", str(lot.id))
    page.fill("input[name=counted_qty]", "11")
    page.fill("input[name=count_note]", "Một hũ vỡ khi xếp kệ")
    page.click("button:has-text('Ghi kiểm kê')")
    page.wait_for_selector("text=Đã ghi nhận kiểm kê: tồn kho từ 12 thành 11 (chênh lệch -1).")
    with uow() as s:
        assert on_hand(s, honey.id) == 11

    # The reports, one of them opened, then the producers' settlement.
    page.goto("/reports/")
    expect(page.locator("h1")).to_have_text("Báo cáo quản lý")
    tiles = page.locator("a.tile")
    assert tiles.count() >= 2
    first_title = tiles.first.locator("strong").text_content()
    tiles.first.click()
    page.wait_for_url(re.compile(r".*/reports/[^/]+$"))
    assert first_title in page.text_content("main")
    page.goto("/reports/")
    page.click("a.button:has-text('Đối soát nhà sản xuất')")
    page.wait_for_url(re.compile(r".*/settlements/$"))
    expect(page.locator("h1")).to_have_text("Đối soát và thanh toán cho nhà sản xuất")
    assert "HTX Mật ong Mèo Vạc" in page.content()
    assert trouble == []
