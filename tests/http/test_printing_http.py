"""Tills and printers over HTTP: a manager sets up Quầy 2 on a LAN printer and marks a PC as Quầy 2; that PC's
shift, receipts and drawer are Quầy 2's; a till printing from the browser gets a page to print in a frame."""

from __future__ import annotations

import io
import json

import zxingcpp
from PIL import Image
from sqlmodel import select

from pos.audit.models import AuditEntry
from pos.barcodes import instore_ean13
from pos.db import ENGINE_KEY
from pos.inventory.ledger import record_movement
from pos.inventory.models import StockMovement
from pos.printing import tills, worker
from pos.printing.models import PrintJob, Till
from pos.sales.models import Sale, Shift
from tests.fakeprinter import FakePrinter

HEADERS = {"Accept": "application/json"}


def sell(auth, barcode: str, payments: list[dict]) -> dict:
    token = auth.csrf("/till/")
    headers = {**HEADERS, "X-CSRFToken": token}
    cart = auth.client.post("/till/api/scan", json={"code": barcode}, headers=headers).get_json()
    response = auth.client.post(
        "/till/api/checkout",
        json={"cart_id": cart["id"], "idempotency_key": f"k-{len(payments)}-{barcode}", "payments": payments},
        headers=headers,
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_a_second_till_on_a_lan_printer_prints_its_own_receipts(app, auth, uow, make_product) -> None:
    tea = make_product(name="Chè Shan tuyết Hà Giang", barcode=instore_ean13(1), price_vnd=120_000)
    with uow() as s:
        record_movement(s, StockMovement(product_id=tea.id, kind="intake", qty_delta=10))
    printer = FakePrinter()
    try:
        auth.login("manager", "quanly")
        form = {"code": "q2", "name": "Quầy 2", "printer_kind": "network", "printer_address": printer.address}
        form |= {"paper": "80mm", "dots_per_line": "0", "has_drawer": "1", "drawer_pin": "2"}
        assert auth.post("/printing/tills", form, token_from="/printing/").status_code == 302
        with uow() as s:
            q2 = s.exec(select(Till).where(Till.code == "Q2")).one()
        assert auth.post(f"/printing/tills/{q2.id}/use", {}, token_from="/printing/").status_code == 302
        cookie = auth.client.get_cookie(tills.COOKIE)
        assert cookie is not None
        auth.logout()

        # The cashier on that PC opens a shift: it is Quầy 2's; a cash sale prints there and opens its drawer.
        auth.login("cashier", "thungan")
        assert auth.post("/shifts/open", {"opening_float": "500.000"}).status_code == 302
        with uow() as s:
            assert s.exec(select(Shift)).one().till_id == q2.id
        done = sell(auth, tea.barcode, [{"method": "cash", "amount_vnd": 200_000}])
        assert done["print"]["mode"] == "escpos"
        assert worker.run_once(app.extensions[ENGINE_KEY], app.config) == 1
        queue = auth.client.get("/printing/queue", headers=HEADERS).get_json()
        assert queue["till"]["code"] == "Q2" and queue["unprinted"] == 0
        assert queue["jobs"][0]["state"] == "printed" and queue["jobs"][0]["can_reprint"]

        # A reprint from the queue is a counted copy, printed on the same printer.
        token = auth.csrf("/till/")
        job_id = queue["jobs"][0]["id"]
        reprint = auth.client.post(f"/printing/jobs/{job_id}/reprint", headers={**HEADERS, "X-CSRFToken": token})
        assert reprint.get_json()["copy"] == 1
        assert worker.run_once(app.extensions[ENGINE_KEY], app.config) == 1
    finally:
        printer.close()
    first, copy = printer.printed()
    assert first.drawer_pulses == [0] and copy.drawer_pulses == []
    found = {r.format: r.text for r in zxingcpp.read_barcodes(first.page())}
    assert found[zxingcpp.BarcodeFormat.Code128] == done["receipt_number"]
    with uow() as s:
        assert s.exec(select(Sale)).one().reprint_count == 1


def test_a_browser_till_gets_a_page_to_print_in_a_frame(auth, uow, make_product) -> None:
    tea = make_product(name="Mật ong bạc hà", barcode=instore_ean13(3), price_vnd=185_000)
    cashier = auth.login("cashier", "thungan")
    with uow() as s:
        record_movement(s, StockMovement(product_id=tea.id, kind="intake", qty_delta=5))
        s.add(Shift(cashier_id=cashier.id, till_id=1, opening_float_vnd=0))
    done = sell(auth, tea.barcode, [{"method": "transfer", "amount_vnd": 185_000}])
    assert done["print"]["mode"] == "browser"
    page = auth.client.get(done["print"]["url"]).get_data(as_text=True)
    assert "print-receipt.js" in page and ".png" in page
    png = auth.client.get(f"/printing/receipts/{done['receipt_number']}.png")
    image = Image.open(io.BytesIO(png.data))
    assert image.width == 576
    found = {r.format: r.text for r in zxingcpp.read_barcodes(image.convert("L"))}
    # Paid by transfer: the barcode to find it again and the e-invoice lookup QR, no QR inviting a second payment.
    assert found.pop(zxingcpp.BarcodeFormat.Code128) == done["receipt_number"]
    assert set(found) <= {zxingcpp.BarcodeFormat.QRCode}
    assert all(not text.startswith("000201") for text in found.values())  # an EMVCo (VietQR) payload starts so
    assert found.get(zxingcpp.BarcodeFormat.QRCode, "").startswith("https://")
    with uow() as s:
        assert s.exec(select(PrintJob)).all() == []


def test_bad_printer_settings_are_refused_in_words_and_nothing_is_written(auth, uow) -> None:
    auth.login("manager", "quanly")
    form = {"code": "Q1", "name": "Quầy 1", "printer_kind": "network", "printer_address": "", "paper": "80mm"}
    response = auth.post("/printing/tills/1", form, token_from="/printing/")
    assert response.status_code == 422
    assert "Hãy nhập địa chỉ IP" in response.get_data(as_text=True)
    form |= {"printer_address": "192.168.1.50", "dots_per_line": "577"}
    assert "bội số của 8" in auth.post("/printing/tills/1", form, token_from="/printing/").get_data(as_text=True)
    with uow() as s:
        assert s.get(Till, 1).printer_kind == "browser"
        assert s.exec(select(AuditEntry).where(AuditEntry.action == "till.settings")).all() == []


def test_one_open_shift_per_till(auth, uow, make_user) -> None:
    other = make_user("thungan2", "cashier", "Trần Thị Hai")
    with uow() as s:
        s.add(Shift(cashier_id=other.id, till_id=1, opening_float_vnd=0))
    auth.login("cashier", "thungan")
    response = auth.post("/shifts/open", {"opening_float": "0"})
    assert "Quầy này đang có ca mở của Trần Thị Hai" in response.get_data(as_text=True)


def test_a_manager_opens_the_drawer_with_a_reason(app, auth, uow) -> None:
    printer = FakePrinter()
    try:
        with uow() as s:
            till = s.get(Till, 1)
            till.printer_kind, till.printer_address = "network", printer.address
        auth.login("manager", "quanly")
        refused = auth.post("/printing/drawer", {"reason": ""}, token_from="/printing/", headers=HEADERS)
        assert refused.status_code == 422 and "lý do" in refused.get_json()["error"]
        assert auth.post("/printing/drawer", {"reason": "Đổi tiền lẻ"}, token_from="/printing/").status_code == 302
        assert worker.run_once(app.extensions[ENGINE_KEY], app.config) == 1
    finally:
        printer.close()
    assert len(printer.jobs) == 1 and b"\x1bp\x00" in printer.jobs[0]


def test_the_x_report_prints_blind_on_the_tills_printer(app, auth, uow) -> None:
    printer = FakePrinter()
    try:
        cashier = auth.login("cashier", "thungan")
        with uow() as s:
            till = s.get(Till, 1)
            till.printer_kind, till.printer_address = "network", printer.address
            s.add(Shift(cashier_id=cashier.id, till_id=1, opening_float_vnd=300_000))
        token = auth.csrf("/till/")
        response = auth.client.post("/printing/x-report", headers={**HEADERS, "X-CSRFToken": token})
        assert response.status_code == 200
        assert worker.run_once(app.extensions[ENGINE_KEY], app.config) == 1
    finally:
        printer.close()
    [job] = printer.printed()
    assert job.drawer_pulses == [] and job.page().height > 600
    with uow() as s:
        assert s.exec(select(PrintJob)).one().kind == "x_report"


def test_a_cashier_opens_the_drawer_from_the_till_with_a_managers_approval(app, auth, uow, make_user) -> None:
    manager = make_user("quanly", "manager", "Trần Văn Quản Lý")
    printer = FakePrinter()
    try:
        cashier = auth.login("cashier", "thungan")
        with uow() as s:
            till = s.get(Till, 1)
            till.printer_kind, till.printer_address = "network", printer.address
            s.add(Shift(cashier_id=cashier.id, till_id=1, opening_float_vnd=300_000))
        page = auth.client.get("/till/").get_data(as_text=True)
        assert 'id="open-drawer"' in page and 'id="drawer-dialog"' in page and 'name="manager_password"' in page

        # No manager at hand: refused in words, nothing queued, no pulse.
        form = {"reason": "Đổi tiền lẻ cho khách"}
        missing = auth.post("/printing/drawer", form, token_from="/till/", headers=HEADERS)
        assert missing.status_code == 422 and "mật khẩu của quản lý" in missing.get_json()["error"]
        wrong = auth.post(
            "/printing/drawer",
            form | {"manager_username": "quanly", "manager_password": "sai"},
            token_from="/till/",
            headers=HEADERS,
        )
        assert wrong.status_code == 403 and "Sai tên đăng nhập" in wrong.get_json()["error"]
        assert worker.run_once(app.extensions[ENGINE_KEY], app.config) == 0

        # The manager types their credentials into the till's dialog: the drawer opens, audited with both names.
        approved = auth.post(
            "/printing/drawer",
            form | {"manager_username": "quanly", "manager_password": "quanly-pass"},
            token_from="/till/",
            headers=HEADERS,
        )
        assert approved.status_code == 200, approved.get_data(as_text=True)
        assert worker.run_once(app.extensions[ENGINE_KEY], app.config) == 1
    finally:
        printer.close()
    assert len(printer.jobs) == 1 and b"\x1bp\x00" in printer.jobs[0]
    with uow() as s:
        entry = s.exec(select(AuditEntry).where(AuditEntry.action == "drawer.open")).one()
        after = json.loads(entry.after)
        assert entry.user_id == manager.id
        assert after["asked_by"] == cashier.id and after["approved_by"] == manager.id
        assert after["reason"] == "Đổi tiền lẻ cho khách"
        assert s.exec(select(PrintJob)).one().kind == "drawer"
