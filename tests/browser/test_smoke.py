"""The login page in a real browser."""

from __future__ import annotations

import pytest

from tests.conftest import browser_login

pytestmark = pytest.mark.browser


def test_manager_logs_in_with_a_real_browser(page, make_user) -> None:
    make_user("quanly", "manager", "Trần Văn Quản Lý")
    browser_login(page, "quanly", "quanly-pass")
    assert "Trần Văn Quản Lý" in page.content()
    page.click("text=Đăng xuất")
    page.wait_for_url("**/login")
