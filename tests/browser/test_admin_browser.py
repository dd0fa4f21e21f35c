"""An admin's day in a real browser: the manager's pages plus Nhân viên; a new cashier added, then locked."""

from __future__ import annotations

import pytest
from sqlmodel import select

from pos.auth.models import User
from tests.conftest import browser_login

pytestmark = pytest.mark.browser


def test_admin_adds_a_cashier_and_locks_another_with_the_page_dialog(page, uow, make_user) -> None:
    make_user("quantri", "admin", "Lê Quản Trị")
    make_user("thungan", "cashier", "Nguyễn Thị Thu Ngân")
    page.on("dialog", lambda dialog: pytest.fail(f"a native browser dialog: {dialog.message}"))
    page.set_viewport_size({"width": 1366, "height": 768})
    browser_login(page, "quantri", "quantri-pass")
    page.wait_for_selector("#staff-tile")
    nav = page.locator("nav.mainnav")
    assert nav.bounding_box()["height"] < 50  # the admin's menu, Nhân viên included, on one row at 1366 px
    assert "Báo cáo" in nav.text_content() and "Nhân viên" in nav.text_content()

    page.click("#staff-tile")
    page.click("#add-staff")
    page.fill("input[name=full_name]", "Phạm Thị Hoa")
    page.fill("input[name=username]", "hoa.pham")
    page.fill("input[name=password]", "hoa-123456")
    page.fill("input[name=confirm]", "hoa-123456")
    page.click("button[type=submit].primary")
    page.wait_for_selector("text=Đã thêm nhân viên Phạm Thị Hoa.")

    page.click("tr[data-username=thungan] button:has-text('Khóa')")
    page.wait_for_selector("#confirm-dialog[open]")
    assert "Nguyễn Thị Thu Ngân" in page.text_content("#confirm-question")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Đã khóa tài khoản của Nguyễn Thị Thu Ngân.")
    with uow() as s:
        users = {u.username: u for u in s.exec(select(User))}
    assert users["hoa.pham"].role == "cashier" and users["hoa.pham"].is_active
    assert not users["thungan"].is_active
