"""What a central promotion did, in headless Chromium on a real PostgreSQL central server: two real SQLite showrooms
sold under it (tests/http/test_central_promotion_results.py works the figures out), a third registered showroom sold
nothing. The page reads in Vietnamese with amounts as "573.750 ₫" and fits 1024, 1366 and 1920 pixels wide;
POS_SCREENSHOTS=folder keeps a screenshot at each size."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from pos.central import credentials
from pos.db import ENGINE_KEY, session_scope
from tests.browser.test_network_browser import fits, office_tab  # noqa: F401  (the fixture, on this network)
from tests.http.test_central_promotion_results import network, office, sell_under_one_promotion  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.postgres]


def test_the_office_reads_what_a_promotion_did_in_each_showroom(
    office_tab: Any,  # noqa: F811
    office: Any,  # noqa: F811
    network: dict[str, Any],  # noqa: F811
    central_app: Flask,
) -> None:
    with session_scope(central_app.extensions[ENGINE_KEY]) as s:
        credentials.register_showroom(s, "SR03", "Điểm giới thiệu sản phẩm OCOP Sơn Tây", "Hà Nội", actor="admin")
    promotion_id, _uuid = sell_under_one_promotion(office, network, central_app)
    tab = office_tab
    tab.goto("/office/promotions/")
    tab.click("table.promo-list a.button:has-text('Kết quả')")
    tab.wait_for_load_state()
    assert tab.url.endswith(f"/office/promotions/{promotion_id}/results")
    assert tab.locator("h1").inner_text() == "Kết quả khuyến mãi “Đặc sản Suối Giàng giảm 15%”"
    totals = tab.locator("dl.promo-totals").inner_text()
    assert "2 / 3" in totals and "573.750 ₫" in totals and "101.250 ₫" in totals
    rows = [r.inner_text().split("\t") for r in tab.locator("table.promo-results tbody tr").all()]
    assert [r[0] for r in rows] == ["SR01", "SR02", "SR03"]
    assert rows[2][2:] == ["0", "0", "0,000", "0 ₫", "0 ₫", "0 ₫", "0 ₫"]  # for every showroom: SR03 sold nothing
    foot = tab.locator("table.promo-results tfoot").inner_text()
    assert "Tổng cộng" in foot and "3 cửa hàng" in foot and "54.000 ₫" in foot and "47.250 ₫" in foot
    fits(tab, "office-promotion-results")
    with tab.expect_download() as download:
        tab.click("a:has-text('Tải CSV')")
    assert download.value.suggested_filename.startswith("khuyen-mai-") and download.value.suggested_filename.endswith(
        ".csv"
    )
