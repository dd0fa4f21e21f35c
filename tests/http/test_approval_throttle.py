"""A manager's credentials typed at a till are throttled like the login, and each failure is audited.

Three prompts ask for them: a discount above the cashier's limit, the sign-off of a drawer difference, and the
void of the last sale. Five wrong tries per till and manager within a minute, then 429 even for the right
password; another till is not affected. Every wrong try is an "approval.failed" entry without the password.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import select

from pos.audit.models import AuditEntry
from pos.barcodes import instore_ean13
from pos.inventory.ledger import record_movement
from pos.inventory.models import StockMovement
from pos.sales.models import Sale, Shift
from pos.security import APPROVAL_FAILURES_PER_MANAGER
from tests.unit.test_shifts import ring_sale

THROTTLED = "Bạn đã thử quá nhiều lần"
JSON = {"Accept": "application/json"}
TILL = "10.0.0.21"
ANOTHER_TILL = "10.0.0.22"
BUDGET = int(APPROVAL_FAILURES_PER_MANAGER.split()[0])


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    """The limiter is off under TESTING; this module turns it on."""
    return {"RATELIMIT_ENABLED": True}


@pytest.fixture
def manager(make_user: Callable[..., Any]) -> Any:
    return make_user("quanly", "manager", "Trần Văn Quản Lý")


@pytest.fixture
def cashier(auth: Any, uow: Callable[[], Any]) -> Any:
    """A logged-in cashier with an open shift."""
    user = auth.login("cashier")
    with uow() as s:
        s.add(Shift(cashier_id=user.id, opening_float_vnd=1_000_000))
    return user


def failures(uow: Callable[[], Any]) -> list[dict[str, Any]]:
    with uow() as s:
        entries = s.exec(select(AuditEntry).where(AuditEntry.action == "approval.failed").order_by(AuditEntry.id)).all()  # type: ignore[arg-type]
        return [{"user_id": e.user_id, "entity_id": e.entity_id, **json.loads(e.after)} for e in entries]


def test_discount_approval_is_throttled_after_five_wrong_passwords(auth, uow, make_product, manager, cashier) -> None:
    tea = make_product(name="Chè Shan tuyết", barcode=instore_ean13(1), price_vnd=200_000)
    with uow() as s:
        record_movement(s, StockMovement(product_id=tea.id, kind="intake", qty_delta=5))
    token = auth.csrf("/till/")

    def discount(password: str, addr: str = TILL) -> Any:
        return auth.client.post(
            "/till/api/discount",
            json={"kind": "percent", "value": "20", "manager_username": "quanly", "manager_password": password},
            headers={**JSON, "X-CSRFToken": token},
            environ_base={"REMOTE_ADDR": addr},
        )

    assert (
        auth.client.post(
            "/till/api/scan", json={"code": tea.barcode}, headers={**JSON, "X-CSRFToken": token}
        ).status_code
        == 200
    )
    for _ in range(BUDGET):
        response = discount("sai-mat-khau")
        assert response.status_code == 403
        assert response.get_json()["field"] == "approval"
    response = discount("quanly-pass")  # the right one, but the till has used up its tries
    assert response.status_code == 429
    assert THROTTLED in response.get_json()["error"]
    assert discount("quanly-pass", ANOTHER_TILL).status_code == 200  # another till is not held up
    logged = failures(uow)
    assert len(logged) == BUDGET
    assert logged[0] == {
        "user_id": cashier.id,
        "entity_id": "quanly",
        "purpose": "discount",
        "manager_username": "quanly",
    }
    with uow() as s:
        texts = " ".join(e.before + e.after for e in s.exec(select(AuditEntry)).all())
    assert "sai-mat-khau" not in texts and "quanly-pass" not in texts


def test_void_and_signoff_share_the_budget_and_blank_fields_do_not_count(
    auth, uow, make_product, manager, cashier
) -> None:
    cake = make_product(name="Bánh cốm làng Vòng", price_vnd=40_000)
    with uow() as s:
        shift = s.exec(select(Shift).where(Shift.cashier_id == cashier.id)).one()
        last = ring_sale(s, shift, [(cake, 1)])
    form = {"receipt_number": last.receipt_number, "reason": "Quét nhầm"}

    def void(username: str, password: str) -> Any:
        return auth.post("/shifts/void-last", form | {"manager_username": username, "manager_password": password})

    for _ in range(3):
        assert void("", "").status_code == 422  # a blank form is a mistake, not a guess
    for _ in range(3):
        assert void("quanly", "sai").status_code == 403
    counted = {"note_500000": "1"}  # 500.000 against 1.040.000: a difference that needs a sign-off
    for _ in range(BUDGET - 3):
        response = auth.post(
            "/shifts/close", counted | {"manager_username": "quanly", "manager_password": "sai"}, "/shifts/close"
        )
        assert response.status_code == 403
    response = auth.post(
        "/shifts/close", counted | {"manager_username": "quanly", "manager_password": "quanly-pass"}, "/shifts/close"
    )
    assert response.status_code == 429 and THROTTLED in response.get_data(as_text=True)
    response = void("quanly", "quanly-pass")
    assert response.status_code == 429 and THROTTLED in response.get_data(as_text=True)
    with uow() as s:
        assert s.get(Sale, last.id).status == "completed"  # type: ignore[union-attr]
        assert s.exec(select(Shift).where(Shift.cashier_id == cashier.id)).one().status == "open"
    assert [f["purpose"] for f in failures(uow)] == ["void"] * 3 + ["shift.signoff"] * (BUDGET - 3)


def test_one_till_cannot_walk_through_many_manager_names(auth, uow, make_product, cashier) -> None:
    cake = make_product(name="Bánh cốm làng Vòng", price_vnd=40_000)
    with uow() as s:
        shift = s.exec(select(Shift).where(Shift.cashier_id == cashier.id)).one()
        last = ring_sale(s, shift, [(cake, 1)])
    form = {"receipt_number": last.receipt_number, "reason": "Quét nhầm"}
    codes = [
        auth.post("/shifts/void-last", form | {"manager_username": f"quanly{i}", "manager_password": "x"}).status_code
        for i in range(21)
    ]
    assert codes[:20] == [403] * 20
    assert codes[20] == 429
