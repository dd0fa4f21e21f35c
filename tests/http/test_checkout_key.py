"""A checkout's idempotency key belongs to one cashier and one cart (issue 11, item 6), over real HTTP."""

from __future__ import annotations

import pytest
from sqlmodel import select

from pos.barcodes import instore_ean13
from pos.inventory.ledger import record_movement
from pos.inventory.models import StockMovement
from pos.sales.models import Cart, CartLine, Sale, Shift
from tests.http.till_client import Till

KEY = "0b7f1c1e-5d2a-4e8b-9a61-3f0c2d9e7a11"


@pytest.fixture
def tills(live_server, uow, make_user, make_product):
    """Two cashiers, A and B, each at a till with an open shift; goods in stock."""
    honey = make_product(name="Mật ong bạc hà", barcode=instore_ean13(21), price_vnd=35_000)
    with uow() as s:
        record_movement(s, StockMovement(product_id=honey.id, kind="intake", qty_delta=20))
    for name in ("thungan.a", "thungan.b"):
        cashier = make_user(name, "cashier")
        with uow() as s:
            s.add(Shift(cashier_id=cashier.id, opening_float_vnd=0))
    a, b = Till(live_server.url, "thungan.a"), Till(live_server.url, "thungan.b")
    a.honey = b.honey = honey  # type: ignore[attr-defined]
    yield a, b
    a.http.close()
    b.http.close()


def pay(till: Till, cart: dict, key: str = KEY):
    return till.post(
        "checkout",
        {
            "cart_id": cart["id"],
            "idempotency_key": key,
            "expected_total_vnd": cart["total_vnd"],
            "payments": [{"method": "cash", "amount_vnd": cart["total_vnd"]}],
        },
    )


def test_another_cashiers_key_is_refused_and_their_cart_stays_unsold(tills, uow) -> None:
    a, b = tills
    a_cart = a.ok("scan", {"code": a.honey.barcode})
    sold = pay(a, a_cart)
    assert sold.status_code == 200
    retried = pay(a, a_cart)  # a lost answer: the same page sends the same key for the same cart
    assert retried.status_code == 200 and retried.json()["receipt_number"] == sold.json()["receipt_number"]

    b_cart = b.ok("scan", {"code": f"3*{b.honey.barcode}"})
    refused = pay(b, b_cart)
    assert refused.status_code == 409
    assert refused.headers["Content-Type"].startswith("application/json")
    assert refused.json()["field"] == "idempotency_key"
    assert "đã được dùng cho một đơn khác" in refused.json()["error"]
    with uow() as s:
        assert len(s.exec(select(Sale)).all()) == 1
        assert s.get(Cart, b_cart["id"]) is not None
        assert [line.qty for line in s.exec(select(CartLine).where(CartLine.cart_id == b_cart["id"]))] == [3]
    assert pay(b, b_cart, key="5c1d2e3f-0000-4000-8000-000000000002").status_code == 200  # its own key sells


def test_the_same_cashiers_key_is_refused_for_another_cart(tills, uow) -> None:
    a, _ = tills
    first = a.ok("scan", {"code": a.honey.barcode})
    second = a.ok("park", {"label": "Khách áo xanh"})  # a new empty cart; the first waits
    second = a.ok("scan", {"code": f"2*{a.honey.barcode}"})
    assert second["id"] != first["id"]
    assert pay(a, second).status_code == 200
    resumed = a.ok(f"parked/{first['id']}/resume")
    refused = pay(a, resumed)
    assert refused.status_code == 409 and refused.json()["field"] == "idempotency_key"
    with uow() as s:
        assert len(s.exec(select(Sale)).all()) == 1
