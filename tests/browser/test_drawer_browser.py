"""The drawer opened from the till without a sale: the till's own dialog (never a native prompt), a reason,
and a manager's credentials when a cashier asks; the pulse reaches the LAN printer."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from pos.db import ENGINE_KEY
from pos.printing import worker
from pos.printing.models import Till
from pos.sales.models import Shift
from tests.conftest import browser_login
from tests.fakeprinter import FakePrinter

pytestmark = pytest.mark.browser


def test_a_cashier_opens_the_drawer_from_the_till(app, page, live_server, uow, make_user) -> None:
    make_user("quanly", "manager")
    cashier = make_user("thungan", "cashier", "Lê Thị Thu Ngân")
    printer = FakePrinter()
    try:
        with uow() as s:
            till = s.get(Till, 1)
            till.printer_kind, till.printer_address = "network", printer.address
            s.add(Shift(cashier_id=cashier.id, till_id=1, opening_float_vnd=300_000))
        page.on("dialog", lambda d: pytest.fail(f"native dialog: {d.message}"))
        browser_login(page, "thungan", "thungan-pass")
        page.goto("/till/")
        page.click("#open-drawer")
        dialog = page.locator("#drawer-dialog")
        expect(dialog).to_be_visible()
        page.fill("#drawer-reason", "Đổi tiền lẻ cho khách")
        dialog.locator("button[type=submit]").click()
        expect(page.locator("#drawer-error")).to_contain_text("mật khẩu của quản lý")
        dialog.locator("input[name=manager_username]").fill("quanly")
        dialog.locator("input[name=manager_password]").fill("quanly-pass")
        dialog.locator("button[type=submit]").click()
        expect(dialog).to_be_hidden()
        expect(page.locator("#print-error")).to_contain_text("Đã gửi lệnh mở két")
        assert worker.run_once(app.extensions[ENGINE_KEY], app.config) == 1
        for _ in range(200):  # the listener's thread stores the job once it has read the end of the stream
            if printer.jobs:
                break
            time.sleep(0.05)
    finally:
        printer.close()
    assert any(b"\x1bp\x00" in job for job in printer.jobs)
