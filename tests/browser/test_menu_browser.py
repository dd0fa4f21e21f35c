"""The manager's and the admin's menu: one row at every showroom screen size, every page reachable by keyboard."""

from __future__ import annotations

import pytest

from tests.conftest import browser_login

pytestmark = pytest.mark.browser

SIZES = [(1024, 768), (1280, 800), (1366, 768), (1920, 1080)]
ONE_ROW = """() => {
  const items = [...document.querySelectorAll('.mainnav > a, .mainnav > .navgroup')];
  return new Set(items.map((e) => Math.round(e.getBoundingClientRect().top))).size;
}"""


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_the_menu_fits_one_row_and_opens_by_keyboard(page, make_user, role: str) -> None:
    make_user("nguoidung", role, "Nguyễn Thị Phương Thảo")  # a long full name beside the menu
    browser_login(page, "nguoidung", "nguoidung-pass")
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        page.goto("/reports/")
        assert page.evaluate(ONE_ROW) == 1, f"the menu wraps at {width} px"
        assert not page.evaluate("() => document.documentElement.scrollWidth > innerWidth")

    page.set_viewport_size({"width": 1024, "height": 768})
    more = page.locator(".navgroup-toggle", has_text="Thêm")
    assert more.get_attribute("aria-expanded") == "false"
    menu = page.locator(".navgroup-end .navgroup-menu")
    wanted = ["Đối soát nhà sản xuất", "Hóa đơn điện tử", "Quầy và máy in", "Nhật ký thao tác", "Đồng bộ"]
    assert [t.strip() for t in menu.locator("a").all_text_contents()] == wanted + (
        ["Nhân viên"] if role == "admin" else []
    )
    assert not menu.is_visible()

    more.focus()  # as after Tab from "Báo cáo"
    assert menu.is_visible() and more.get_attribute("aria-expanded") == "true"
    box = menu.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 1024  # opens inside the page
    page.keyboard.press("Escape")
    assert not menu.is_visible() and more.get_attribute("aria-expanded") == "false"
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert page.evaluate("() => document.activeElement.textContent.trim()") == "Nhật ký thao tác"
    page.keyboard.press("Enter")
    page.wait_for_url("**/audit/")
    assert page.locator(".navgroup-end").get_attribute("class").split()[-1] == "is-current"
