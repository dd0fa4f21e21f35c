"""Invoice states travel with the sync: issued with the sale, accepted later, one row per invoice centrally."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlmodel import select

from pos.central import models as cm
from pos.db import ENGINE_KEY, session_scope
from pos.einvoice.buyer import clean_buyer
from pos.einvoice.fake_sinvoice import FakeServer
from pos.einvoice.issue import enqueue_state
from pos.einvoice.models import Invoice
from pos.einvoice.sender import drain
from pos.einvoice.settings import Credentials
from pos.einvoice.viettel import SInvoiceClient
from pos.sales.pricing import PaymentInput
from pos.sync.client import SyncSettings
from tests.unit.test_einvoice import sell
from tests.unit.test_einvoice import shop as shop  # noqa: F401  (the fixture)
from tests.unit.test_einvoice_queue import SETTINGS
from tests.unit.test_restore_sync import settings as settings  # noqa: F401  (the fixture)
from tests.unit.test_restore_sync import sync

pytestmark = pytest.mark.postgres


def central_invoices(central_app: Flask) -> list[tuple[int, str, str]]:
    with session_scope(central_app.extensions[ENGINE_KEY], write=False) as s:
        rows = s.exec(select(cm.Invoice).order_by(cm.Invoice.number)).all()
        return [(r.number, r.state, r.mccqt) for r in rows]


def test_invoice_states_reach_the_central_office(
    uow: Any, engine: Any, shop: dict[str, Any], settings: SyncSettings, central_app: Flask
) -> None:
    sales = [sell(uow, shop, [PaymentInput("cash", 10**6)]) for _ in range(3)]
    sync(engine, settings, central_app)
    assert [(n, state) for n, state, _c in central_invoices(central_app)] == [
        (1, "waiting"),
        (2, "waiting"),
        (3, "waiting"),
    ]
    server = FakeServer()
    client = SInvoiceClient(server.url, "0101243150", Credentials("demo", "demo-pass"), timeout_s=2)
    try:
        assert drain(engine, client, SETTINGS).accepted == 3
    finally:
        client.close()
        server.close()
    sync(engine, settings, central_app)
    got = central_invoices(central_app)
    assert [(n, state) for n, state, _c in got] == [(1, "accepted"), (2, "accepted"), (3, "accepted")]
    assert [c for _n, _s, c in got] == [invoice.mccqt for _sale, invoice in sales]


def test_the_office_counts_invoices_per_showroom_and_day_and_lists_them(
    uow: Any, engine: Any, shop: dict[str, Any], settings: SyncSettings, central_app: Flask
) -> None:
    from pos.central.users import create_central_user
    from tests.http.test_office import csv_rows, login

    buyer = clean_buyer({"company": "Công ty TNHH Quà Việt", "tax_code": "0104359717", "address": "5 Lý Thái Tổ"})
    sell(uow, shop, [PaymentInput("cash", 10**6)], buyer=buyer)
    sell(uow, shop, [PaymentInput("cash", 10**6)])
    with session_scope(engine) as s:  # the provider refused the second one
        second = s.exec(select(Invoice).where(Invoice.number == 2)).one()
        second.state, second.reason = "rejected", "Sai mẫu số"
        enqueue_state(s, second)
    sync(engine, settings, central_app)
    with session_scope(central_app.extensions[ENGINE_KEY]) as s:
        create_central_user(s, "vanphong", "Văn Phòng", "manager", "matkhau123")
    office = central_app.test_client()
    login(office, "vanphong", "matkhau123")
    period = {"from": "24/11/2026", "to": "24/11/2026"}
    day = csv_rows(office, "/office/invoices.csv", **period)
    assert (day[0]["Mã"], day[0]["Đã lập"], day[0]["Bị từ chối"], day[0]["Chờ gửi"]) == ("SR01", "2", "1", "1")
    listed = csv_rows(office, "/office/invoice-list.csv", **period)
    assert [(r["Ký hiệu"], r["Số"], r["MST người mua"], r["Trạng thái"]) for r in listed[:2]] == [
        ("1C26MAB", "00000001", "0104359717", "Chờ gửi"),
        ("1C26MAB", "00000002", "", "Bị từ chối"),
    ]
    xlsx = office.get("/office/invoice-list.xlsx", query_string=period)
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    assert "Bảng kê hóa đơn" in office.get("/office/invoice-list", query_string=period).get_data(as_text=True)


def test_an_adjustment_reaches_the_central_office_as_a_negative_invoice(
    uow: Any, engine: Any, shop: dict[str, Any], settings: SyncSettings, central_app: Flask
) -> None:
    from tests.unit.test_einvoice import give_back

    sale, original = sell(uow, shop, [PaymentInput("cash", 10**6)])
    _made, adjustment = give_back(uow, shop, sale, {3: 1}, "ret-00000001")
    sync(engine, settings, central_app)
    with session_scope(central_app.extensions[ENGINE_KEY], write=False) as s:
        rows = s.exec(select(cm.Invoice).order_by(cm.Invoice.number)).all()
        got = [(r.kind, r.number, r.total_vnd, r.original_uuid) for r in rows]
    assert got == [
        ("original", 1, original.total_vnd, None),
        ("adjustment", 2, -120_000, original.uuid),
    ]
    assert adjustment.vat_vnd < 0
