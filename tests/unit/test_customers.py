"""Customers: phone lookup, company tax code, points earned and used, never negative under concurrent sales."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from pos.barcodes import instore_ean13
from pos.customers import services as customers
from pos.customers.models import Customer, LoyaltyEntry
from pos.db import make_engine, session_scope
from pos.errors import Conflict, PosError, ValidationError
from pos.inventory.ledger import record_movement
from pos.inventory.models import StockMovement
from pos.sales import cart as carts
from pos.sales import scanning, shifts
from pos.sales.checkout import complete_sale
from pos.sales.pricing import PaymentInput

NOW = datetime(2026, 12, 22, 3, 0, tzinfo=UTC)
RULE = customers.LoyaltyRule(earn_per_vnd=10_000, point_value_vnd=100)


def test_phones_are_read_as_customers_say_them() -> None:
    assert customers.normalize_phone("0912 345 678") == "0912345678"
    assert customers.normalize_phone("+84 912.345.678") == "0912345678"
    assert customers.masked("0912345678") == "0912 *** 678"
    for bad in ("", "12345", "0112345678", "09123456789", "０９１２３４５６７８"):
        with pytest.raises(ValidationError):
            customers.normalize_phone(bad)


def test_a_company_customer_needs_a_valid_tax_code(uow: Any) -> None:
    with uow() as s, pytest.raises(ValidationError) as err:
        customers.save_customer(s, {"phone": "0912345678", "name": "Chị Lan", "company_name": "Công ty ABC"}, None)
    assert "mã số thuế" in err.value.details["errors"]["tax_code"]
    with pytest.raises(ValidationError), uow() as s:
        customers.save_customer(s, {"phone": "0912345678", "name": "A", "company_name": "X", "tax_code": "12"}, None)
    with uow() as s:
        c = customers.save_customer(
            s,
            {"phone": "0912345678", "name": "Chị Lan", "company_name": "Công ty ABC", "tax_code": "0101234567001"},
            None,
        )
        assert c.tax_code == "0101234567-001"
    with pytest.raises(ValidationError, match="đã là của khách"), uow() as s:
        customers.save_customer(s, {"phone": "+84912345678", "name": "Người khác"}, None)


@pytest.fixture
def shop(uow: Any, make_user: Any, make_product: Any) -> dict[str, Any]:
    cashiers = [make_user("thungan1", "cashier"), make_user("thungan2", "cashier")]
    tea = make_product(name="Chè", barcode=instore_ean13(31), price_vnd=50_000)
    with uow() as s:
        record_movement(s, StockMovement(product_id=tea.id, kind="intake", qty_delta=100))
        for c in cashiers:
            shifts.open_shift(s, c.id, 0)
        customer = customers.save_customer(s, {"phone": "0987654321", "name": "Anh Minh"}, None)
        customer.points = 300  # 30 000 ₫ of points
    return {"cashiers": cashiers, "tea": tea, "customer": customer}


def sell(session: Session, shop: dict[str, Any], cashier: Any, key: str, payments: list[PaymentInput]) -> Any:
    cart = carts.get_or_create_active_cart(session, cashier.id)
    scanning.scan(session, cart, shop["tea"].barcode)
    customers.attach(session, cart.id, session.get(Customer, shop["customer"].id))
    return complete_sale(
        session,
        cart_id=cart.id,
        payments=payments,
        cashier_id=cashier.id,
        idempotency_key=key,
        showroom_code="SR01",
        allow_negative=False,
        now=NOW,
        loyalty=RULE,
    )


def points(engine: Any, shop: dict[str, Any]) -> int:
    with Session(engine) as s:
        return s.get(Customer, shop["customer"].id).points


def test_points_are_earned_on_what_was_paid_and_used_as_a_payment(uow: Any, engine: Any, shop: dict[str, Any]) -> None:
    with uow() as s:  # 50 000: 20 000 in points (200 points), 30 000 cash earns 3 points
        sell(
            s, shop, shop["cashiers"][0], "k-loyal-0001", [PaymentInput("points", 20_000), PaymentInput("cash", 30_000)]
        )
    assert points(engine, shop) == 300 - 200 + 3
    with pytest.raises(Conflict, match="chỉ còn 103 điểm"), uow() as s:
        sell(
            s, shop, shop["cashiers"][0], "k-loyal-0002", [PaymentInput("points", 20_000), PaymentInput("cash", 30_000)]
        )
    with pytest.raises(ValidationError, match="bội số"), uow() as s:
        sell(s, shop, shop["cashiers"][0], "k-loyal-0003", [PaymentInput("points", 150), PaymentInput("cash", 49_850)])
    assert points(engine, shop) == 103
    with Session(engine) as s:
        assert sum(e.points for e in s.exec(select(LoyaltyEntry)).all()) == 103 - 300
        exported = customers.export(s, shop["customer"].id)
        assert [p["kind"] for p in exported["points"]] == ["redeem", "earn"]
        assert exported["purchases"][0]["total_vnd"] == 50_000
    json.dumps(exported)
    with uow() as s:
        customers.erase(s, shop["customer"].id, None)
    with Session(engine) as s:
        gone = s.get(Customer, shop["customer"].id)
        assert (gone.phone, gone.name, gone.points) == (None, "", 0)
        assert customers.search(s, "Minh") == []


def test_the_database_refuses_a_negative_balance(uow: Any, shop: dict[str, Any]) -> None:
    with pytest.raises(IntegrityError), uow() as s:
        s.get(Customer, shop["customer"].id).points = -1
        s.flush()


def test_loyalty_never_goes_negative_under_concurrent_sales(db_path: Any, shop: dict[str, Any]) -> None:
    """Two tills (two engines on one SQLite file, one thread each) both try to spend the last 300 points."""
    url = f"sqlite:///{db_path.as_posix()}"
    engines = [make_engine(url), make_engine(url)]
    start = threading.Barrier(2)
    outcome: list[str] = []

    def till(i: int) -> None:
        start.wait()
        for n in range(5):
            try:
                with session_scope(engines[i]) as s:
                    sell(
                        s,
                        shop,
                        shop["cashiers"][i],
                        f"k-race-{i}-{n:04d}",
                        [PaymentInput("points", 30_000), PaymentInput("cash", 20_000)],
                    )
                outcome.append("sold")
            except PosError:
                outcome.append("refused")

    threads = [threading.Thread(target=till, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for e in engines:
        e.dispose()
    # 300 points pay for one sale only (and it earns 2); every other attempt is refused.
    assert outcome.count("sold") == 1 and outcome.count("refused") == 9
    check = make_engine(url)
    with Session(check) as s:
        c = s.get(Customer, shop["customer"].id)
        assert c.points == 2
        assert sum(e.points for e in s.exec(select(LoyaltyEntry)).all()) == 2 - 300
    check.dispose()


def test_points_taken_back_follow_the_refund_and_add_up_to_what_was_earned() -> None:
    due = customers.points_back_due
    assert due(24, 240_000, 0, 120_000) == 12
    assert due(7, 100_000, 0, 50_000) + due(7, 100_000, 50_000, 50_000) == 7  # in steps: exactly what was earned
    assert sum(due(10, 90_000, 30_000 * k, 30_000) for k in range(3)) == 10
    assert due(0, 100_000, 0, 100_000) == 0 and due(5, 0, 0, 0) == 0
