"""The till refuses to sell on a clock set back, until a manager confirms it (issue 11, item 7)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from pos.audit.models import AuditEntry
from pos.barcodes import instore_ean13
from pos.db import utcnow
from pos.inventory.ledger import record_movement
from pos.inventory.models import StockMovement
from pos.sales import views as till_views
from pos.sales.models import Sale, Shift
from pos.sync.models import SyncState

JSON = {"Accept": "application/json"}


@pytest.fixture
def till(auth, uow, make_product, make_user, monkeypatch):
    """A cashier with an open shift; ``till.clock`` sets this PC's clock as the till reads it."""
    make_user("quanly", "manager", "Trần Văn Quản Lý")
    honey = make_product(name="Mật ong bạc hà", barcode=instore_ean13(31), price_vnd=35_000)
    with uow() as s:
        record_movement(s, StockMovement(product_id=honey.id, kind="intake", qty_delta=50))
    cashier = auth.login("cashier", "thungan")
    with uow() as s:
        shift = Shift(cashier_id=cashier.id, opening_float_vnd=0, opened_at=utcnow() - timedelta(hours=1))
        s.add(shift)
        s.flush()
        shift_id = shift.id
    token = auth.csrf("/till/")
    state = {"now": utcnow()}
    monkeypatch.setattr(till_views, "utcnow", lambda: state["now"])

    def sell():
        cart = auth.client.post("/till/api/scan", json={"code": honey.barcode}, headers={**JSON, "X-CSRFToken": token})
        cart = cart.get_json()
        return auth.client.post(
            "/till/api/checkout",
            json={
                "cart_id": cart["id"],
                "idempotency_key": str(uuid.uuid4()),
                "expected_total_vnd": cart["total_vnd"],
                "payments": [{"method": "cash", "amount_vnd": cart["total_vnd"]}],
            },
            headers={**JSON, "X-CSRFToken": token},
        )

    def clock(moment):
        state["now"] = moment

    sell.clock = clock  # type: ignore[attr-defined]
    sell.shift_id = shift_id  # type: ignore[attr-defined]
    return sell


def sales(uow) -> int:
    with uow() as s:
        return len(s.exec(select(Sale)).all())


def test_a_clock_two_days_back_sells_nothing_until_a_manager_confirms(till, auth, uow) -> None:
    assert till().status_code == 200
    till.clock(utcnow() - timedelta(days=2))
    refused = till()
    assert refused.status_code == 409 and refused.get_json()["field"] == "clock"
    message = refused.get_json()["error"]
    assert "sớm hơn hóa đơn gần nhất" in message and "sớm hơn lúc mở ca" in message and "quản lý xác nhận" in message
    assert sales(uow) == 1

    till_page = auth.client.get("/till/").get_data(as_text=True)
    assert 'id="clock-note"' in till_page and "/till/clock" in till_page
    page = auth.client.get("/till/clock").get_data(as_text=True)
    assert "sớm hơn hóa đơn gần nhất" in page and "Xác nhận giờ máy tính" in page
    wrong = auth.post("/till/clock", {"manager_username": "quanly", "manager_password": "sai"})
    assert wrong.status_code == 403 and "Sai tên đăng nhập" in wrong.get_data(as_text=True)
    assert till().status_code == 409
    confirmed = auth.post("/till/clock", {"manager_username": "quanly", "manager_password": "quanly-pass"})
    assert confirmed.status_code == 302
    assert till().status_code == 200
    assert 'id="clock-note"' not in auth.client.get("/till/").get_data(as_text=True)
    assert sales(uow) == 2
    with uow() as s:
        entry = s.exec(select(AuditEntry).where(AuditEntry.action == "clock.confirm")).one()
    assert entry.entity == "shift" and entry.entity_id == str(till.shift_id)
    assert len(json.loads(entry.after)["problems"]) == 2

    till.clock(utcnow() - timedelta(days=3))  # back again, behind the confirmation: asked again
    assert till().status_code == 409


def test_a_clock_far_behind_the_central_servers_time_at_the_last_sync(till, uow) -> None:
    with uow() as s:
        s.add(SyncState(id=1, last_success_at=utcnow(), clock_offset_s=0))
    till.clock(datetime(2025, 6, 30, 3, 0, tzinfo=UTC))  # no sale yet, shift "opened" long after: both say so
    refused = till()
    assert refused.status_code == 409 and "máy chủ trung tâm" in refused.get_json()["error"]
    till.clock(utcnow())
    assert till().status_code == 200


def test_a_clock_the_last_sync_found_wrong_is_refused(till, uow) -> None:
    with uow() as s:  # the central server refused this PC's time: it was 2 hours slow, and the sync learnt it
        s.add(SyncState(id=1, last_success_at=utcnow() - timedelta(hours=2), clock_offset_s=2 * 3600))
    refused = till()
    assert refused.status_code == 409 and "chậm hơn giờ máy chủ trung tâm 120 phút" in refused.get_json()["error"]


def test_a_clock_a_few_seconds_back_is_no_problem(till) -> None:
    assert till().status_code == 200
    till.clock(utcnow() - timedelta(seconds=30))  # an NTP correction
    assert till().status_code == 200
