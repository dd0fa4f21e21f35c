"""Receipts to an ESC/POS printer, read back as the printer would: raster images, drawer pulse, cut; the queue
through a real TCP listener that refuses, runs out of paper or stops half-way."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
import zxingcpp
from sqlmodel import select

from pos.barcodes import instore_ean13
from pos.db import utcnow
from pos.errors import Conflict, ValidationError
from pos.inventory.ledger import record_movement
from pos.inventory.models import StockMovement
from pos.printing import documents, escpos_job, queue, worker
from pos.printing.models import PrintJob, Till
from pos.sales import cart as carts
from pos.sales import scanning
from pos.sales.checkout import complete_sale
from pos.sales.models import Sale, Shift
from pos.sales.pricing import PaymentInput
from pos.sales.receipts import render_receipt_raster
from tests.fakeprinter import FakePrinter, parse
from tests.unit.test_receipts import make_receipt

CONFIG = {
    "SHOWROOM_NAME": "Điểm OCOP Hoàn Kiếm",
    "SHOWROOM_ADDRESS": "12 Hàng Bạc",
    "SHOWROOM_TAX_CODE": "0101234567",
    "RECEIPT_FOOTER": "Cảm ơn quý khách!",
    "BANK_BIN": "970436",
    "BANK_ACCOUNT": "0011004123456",
}


def decoded(image) -> dict:
    return {r.format: r.text for r in zxingcpp.read_barcodes(image)}


@pytest.mark.parametrize(("paper", "dots"), [("80mm", 576), ("58mm", 384), ("80mm", 512)])
def test_a_receipt_job_prints_back_with_its_qr_barcode_drawer_and_cut(paper: str, dots: int) -> None:
    image = render_receipt_raster(make_receipt(), paper, dots)
    job = parse(escpos_job.document(image, open_drawer=True, drawer_pin=2))
    assert job.drawer_pulses == [0] and job.cuts == 1
    page = job.page()
    assert page.width == dots
    found = decoded(page)
    assert found[zxingcpp.BarcodeFormat.Code128] == "CH01-2025-000123"
    assert found[zxingcpp.BarcodeFormat.QRCode] == make_receipt().vietqr_payload


def test_barcode_bars_are_whole_dots() -> None:
    """Every bar and gap of the Code128 is an exact multiple of 2 dots (crisp at 203 dpi)."""
    image = render_receipt_raster(make_receipt(vietqr_payload=None), "80mm", 576).convert("L")
    hit = zxingcpp.read_barcodes(image)[0]
    row = int((hit.position.top_left.y + hit.position.bottom_left.y) / 2)
    pixels = [image.getpixel((x, row)) < 128 for x in range(image.width)]
    runs, last, length = [], pixels[0], 0
    for p in pixels:
        if p == last:
            length += 1
        else:
            runs.append((last, length))
            last, length = p, 1
    inner = [n for dark, n in runs[1:-1]]
    assert inner and all(n % 2 == 0 for n in inner), inner


def test_no_drawer_pulse_without_cash_and_a_drawer_alone_has_no_cut() -> None:
    image = render_receipt_raster(make_receipt(), "80mm", 576)
    assert parse(escpos_job.document(image)).drawer_pulses == []
    alone = parse(escpos_job.document(None, open_drawer=True, drawer_pin=5))
    assert alone.drawer_pulses == [1] and alone.cuts == 0 and alone.images == []


# --- the queue -------------------------------------------------------------------------------------------


@pytest.fixture
def shop(uow, make_user, make_product):
    """Quầy 1 with a LAN printer, a cashier's shift on it, a product in stock."""
    cashier = make_user("thungan", "cashier", "Nguyễn Thị Thu Ngân")
    manager = make_user("quanly", "manager")
    tea = make_product(name="Chè Shan tuyết Hà Giang", barcode=instore_ean13(1), price_vnd=120_000)
    with uow() as s:
        till = s.get(Till, 1)
        till.printer_kind, till.printer_address = "network", "127.0.0.1:9"
        s.add(Shift(cashier_id=cashier.id, till_id=1, opening_float_vnd=500_000))
        record_movement(s, StockMovement(product_id=tea.id, kind="intake", qty_delta=50))
    return {"cashier": cashier, "manager": manager, "tea": tea}


def point_at(uow, address: str) -> None:
    with uow() as s:
        s.get(Till, 1).printer_address = address


def sell_cash(uow, shop, key: str) -> Sale:
    """A cash sale whose receipt is queued in the sale's own transaction, drawer to open."""
    with uow() as s:
        cart = carts.get_or_create_active_cart(s, shop["cashier"].id)
        scanning.scan(s, cart, shop["tea"].barcode)
        sale = complete_sale(
            s,
            cart_id=cart.id,
            payments=[PaymentInput("cash", 200_000)],
            cashier_id=shop["cashier"].id,
            idempotency_key=key,
            showroom_code="SR01",
            allow_negative=False,
            now=utcnow(),
        )
        queue.enqueue(s, 1, "receipt", sale.receipt_number, open_drawer=True)
    return sale


def states(uow) -> list[tuple[str, str]]:
    with uow() as s:
        return [(j.ref, j.state) for j in s.exec(select(PrintJob).order_by(PrintJob.id))]


def make_due(uow) -> None:
    """Skip the back-off, as if its seconds had passed."""
    with uow() as s:
        for job in s.exec(select(PrintJob)):
            job.next_try_at = utcnow() - timedelta(seconds=1)


def test_a_queued_receipt_prints_on_the_lan_printer(uow, engine, shop) -> None:
    printer = FakePrinter()
    try:
        point_at(uow, printer.address)
        sale = sell_cash(uow, shop, "k-00000001")
        assert worker.run_once(engine, CONFIG) == 1
    finally:
        printer.close()
    assert states(uow) == [(sale.receipt_number, "printed")]
    [job] = printer.printed()
    assert job.drawer_pulses == [0] and job.cuts == 1 and job.status_queries == 2
    assert decoded(job.page())[zxingcpp.BarcodeFormat.Code128] == sale.receipt_number
    with uow() as s:
        assert s.get(Till, 1).last_printed_at is not None and s.get(Till, 1).last_error == ""


def test_a_printer_that_refuses_connections_keeps_the_job_and_the_sale(uow, engine, shop) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    point_at(uow, f"127.0.0.1:{closed_port}")
    first = sell_cash(uow, shop, "k-00000001")
    assert worker.run_once(engine, CONFIG) == 0
    second = sell_cash(uow, shop, "k-00000002")  # the next customer is served meanwhile
    assert states(uow) == [(first.receipt_number, "failed"), (second.receipt_number, "waiting")]
    with uow() as s:
        assert s.exec(select(Sale)).all() and len(s.exec(select(Sale)).all()) == 2
        job = s.exec(select(PrintJob)).first()
        assert job.attempts == 1 and "Không kết nối được máy in" in job.last_error
        assert "Không kết nối được máy in" in s.get(Till, 1).last_error
    # Switched on: both print, in order, on the next look.
    printer = FakePrinter()
    try:
        point_at(uow, printer.address)
        make_due(uow)
        assert worker.run_once(engine, CONFIG) == 2
    finally:
        printer.close()
    numbers = [decoded(j.page())[zxingcpp.BarcodeFormat.Code128] for j in printer.printed()]
    assert numbers == [first.receipt_number, second.receipt_number]


def test_a_printer_that_stops_half_way_leaves_the_job_queued(uow, engine, shop) -> None:
    dropping = FakePrinter(mode="drop", drop_after=3000)
    try:
        point_at(uow, dropping.address)
        sale = sell_cash(uow, shop, "k-00000001")
        assert worker.run_once(engine, CONFIG) == 0
    finally:
        dropping.close()
    assert states(uow) == [(sale.receipt_number, "failed")]
    assert dropping.printed() == []  # half a receipt, no cut
    printer = FakePrinter()
    try:
        point_at(uow, printer.address)
        make_due(uow)
        assert worker.run_once(engine, CONFIG) == 1
    finally:
        printer.close()
    assert states(uow) == [(sale.receipt_number, "printed")]
    assert len(printer.printed()) == 1


def test_out_of_paper_is_said_and_retried(uow, engine, shop) -> None:
    printer = FakePrinter(mode="paper_out")
    try:
        point_at(uow, printer.address)
        sell_cash(uow, shop, "k-00000001")
        worker.run_once(engine, CONFIG)
        with uow() as s:
            assert "hết giấy" in s.get(Till, 1).last_error
        printer.mode = "ok"
        make_due(uow)
        assert worker.run_once(engine, CONFIG) == 1
    finally:
        printer.close()


def test_a_late_retry_does_not_spring_the_drawer(uow, engine, shop) -> None:
    printer = FakePrinter()
    try:
        point_at(uow, printer.address)
        sell_cash(uow, shop, "k-00000001")
        with uow() as s:
            s.exec(select(PrintJob)).one().created_at = utcnow() - queue.DRAWER_WINDOW - timedelta(seconds=1)
        worker.run_once(engine, CONFIG)
    finally:
        printer.close()
    [job] = printer.printed()
    assert job.drawer_pulses == [] and job.cuts == 1


def test_old_jobs_wait_for_the_cashier_and_retry_prints_them(uow, engine, shop) -> None:
    printer = FakePrinter()
    try:
        point_at(uow, printer.address)
        sell_cash(uow, shop, "k-00000001")
        with uow() as s:
            s.exec(select(PrintJob)).one().created_at = utcnow() - queue.RETRY_WINDOW - timedelta(seconds=1)
        assert worker.run_once(engine, CONFIG) == 0
        with uow() as s:
            job = queue.retry(s, s.exec(select(PrintJob)).one().id, 1)
            assert not job.open_drawer
        assert worker.run_once(engine, CONFIG) == 1
        with uow() as s, pytest.raises(Conflict):
            queue.retry(s, job.id, 1)
    finally:
        printer.close()


def test_manager_opens_the_drawer_with_a_reason_audited(uow, engine, shop) -> None:
    from pos.audit.models import AuditEntry

    with uow() as s, pytest.raises(ValidationError):
        queue.open_drawer(s, 1, "  ", shop["manager"].id)
    printer = FakePrinter()
    try:
        point_at(uow, printer.address)
        with uow() as s:
            queue.open_drawer(s, 1, "Đổi tiền lẻ cho quầy", shop["manager"].id)
        assert worker.run_once(engine, CONFIG) == 1
    finally:
        printer.close()
    assert [parse(j).drawer_pulses for j in printer.jobs] == [[0]]
    with uow() as s:
        entry = s.exec(select(AuditEntry).where(AuditEntry.action == "drawer.open")).one()
        assert "Đổi tiền lẻ cho quầy" in entry.after


def test_browser_tills_queue_nothing_and_the_test_page_prints(uow, engine, shop) -> None:
    with uow() as s:
        s.get(Till, 1).printer_kind = "browser"
        assert queue.enqueue(s, 1, "receipt", "X") is None
    printer = FakePrinter()
    try:
        point_at(uow, printer.address)
        with uow() as s:
            s.get(Till, 1).printer_kind = "network"
            queue.enqueue(s, 1, "test", open_drawer=True)
        assert worker.run_once(engine, CONFIG) == 1
    finally:
        printer.close()
    [job] = printer.printed()
    found = decoded(job.page())
    assert found[zxingcpp.BarcodeFormat.Code128] == documents.TEST_NUMBER
    assert zxingcpp.BarcodeFormat.QRCode in found and job.drawer_pulses == [0]
