"""The office's promotions page in headless Chromium on a real PostgreSQL central server: a promotion set through
the form for SR01 only (a mistake first, told in Vietnamese), then seen at SR01 by its manager, read-only. Every
page fits 1024, 1366 and 1920 pixels wide; POS_SCREENSHOTS=folder keeps a screenshot of each at each size."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.browser.test_network_browser import fits, office_tab  # noqa: F401  (the fixture, on this network)
from tests.conftest import browser_login
from tests.http.test_central_promotions import TZ, network  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.browser, pytest.mark.postgres]


def test_the_office_sets_a_promotion_for_one_showroom(
    office_tab: Any,  # noqa: F811
    page: Any,
    network: dict[str, Any],  # noqa: F811
    make_user: Any,
) -> None:
    tab = office_tab
    tab.goto("/office/promotions/")
    assert "Văn phòng chưa đặt chương trình khuyến mãi nào." in tab.content()
    fits(tab, "office-promotions-empty")
    tab.click("text=+ Thêm khuyến mãi")
    tab.wait_for_load_state()
    now = datetime.now(UTC).astimezone(TZ)
    tab.fill("input[name=name]", "Chè Tết giảm 15%")
    tab.select_option("select[name=kind]", "percent")
    tab.fill("input[name=percent]", "15")
    tab.fill("input[name=starts]", f"{now - timedelta(hours=1):%d/%m/%Y %H:%M}")
    tab.fill("input[name=ends]", f"{now + timedelta(days=14):%d/%m/%Y} 23:59")
    tab.select_option("select[name=borne_by]", "producer")
    tab.check("input[name=for][value=chosen]")
    tab.fill("input[name=code_0]", "TRA-01")
    tab.click("button:has-text('Lưu khuyến mãi')")
    tab.wait_for_load_state()
    assert "Chọn ít nhất một cửa hàng" in tab.content()  # chosen, but none ticked
    fits(tab, "office-promotion-error")
    tab.check("input[name=showroom][value=SR01]")
    tab.click("button:has-text('Lưu khuyến mãi')")
    tab.wait_for_load_state()
    assert tab.url.endswith("/office/promotions/")
    assert "các cửa hàng được chọn nhận ở lần đồng bộ sau" in tab.content()
    row = tab.locator("table.promo-list tbody tr").first.inner_text()
    assert "Chè Tết giảm 15%" in row and "Đang áp dụng" in row and "SR01" in row and "SR02" not in row
    fits(tab, "office-promotions")
    tab.click("table.promo-list a.button:has-text('Sửa')")
    tab.wait_for_load_state()
    assert tab.locator("input[name=showroom][value=SR01]").is_checked()
    assert not tab.locator("input[name=showroom][value=SR02]").is_checked()
    fits(tab, "office-promotion-edit")

    assert network["a"].sync().promotions_pulled == 1
    make_user("quanly", "manager")
    browser_login(page, "quanly", "quanly-pass")
    page.goto("/promotions/")
    assert "Từ văn phòng trung tâm" in page.content()
    fits(page, "showroom-promotions-central")
    page.click("a:has-text('Xem')")
    page.wait_for_load_state()
    assert "cửa hàng chỉ xem, không sửa được" in page.content()
    assert page.locator("input[name=name]").is_disabled()
    assert page.locator("button:has-text('Lưu khuyến mãi')").count() == 0
    fits(page, "showroom-promotion-central")

    tab.goto("/office/promotions/")
    tab.click("button:has-text('Kết thúc')")
    with tab.expect_navigation():
        tab.click("#confirm-yes")
    assert "Đã kết thúc" in tab.locator("table.promo-list").inner_text()
    fits(tab, "office-promotions-ended")
