"""Customers and the central server: nothing personal leaves the showroom unless config says so.

With [customers] send_to_central off (the default), a customer created at the till, edited, sold to,
refunded and erased puts nothing personal in the outbox. With it on, the customer reaches the central
server (PostgreSQL) through the real push, and an erasure at the showroom blanks central's copy.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text
from sqlmodel import select

from pos.customers.models import Customer
from pos.db import ENGINE_KEY, session_scope
from pos.sync.models import OutboxRecord
from tests.http.test_till import checkout, goods, till  # noqa: F401  (fixtures)
from tests.unit.test_sync_client import central, issued, run, settings, transport  # noqa: F401  (fixtures)

PERSONAL = ("0912345678", "0912 345 678", "Chị Hoa", "Công ty Hoa Sen", "0101234567", "12 Tràng Tiền")


def _a_customer_s_life(till: Any, auth: Any) -> None:  # noqa: F811
    """Created at the till, bought for, then given a company by a manager and erased on request."""
    made = till("/till/api/customer", {"phone": "0912 345 678", "name": "Chị Hoa"})
    assert made.status_code == 200, made.get_json()
    till("/till/api/scan", {"code": till.goods["tea"].barcode})
    assert checkout(till, key="0d4f7f5e-1111-4222-8333-444455550020").status_code == 200
    auth.logout()
    auth.login("manager", "quanly")
    saved = auth.post(
        "/customers/1",
        {
            "name": "Chị Hoa",
            "phone": "0912345678",
            "company_name": "Công ty Hoa Sen",
            "tax_code": "0101234567",
            "address": "12 Tràng Tiền, Hà Nội",
        },
    )
    assert saved.status_code == 302, saved.get_data(as_text=True)


def _outbox(engine: Any) -> list[OutboxRecord]:
    with session_scope(engine, write=False) as s:
        return list(s.exec(select(OutboxRecord).order_by(OutboxRecord.id)).all())  # type: ignore[arg-type]


def test_with_the_key_off_nothing_personal_leaves_the_showroom(till, auth, engine) -> None:  # noqa: F811
    _a_customer_s_life(till, auth)
    assert auth.post("/customers/1/erase", token_from="/customers/1").status_code == 302
    records = _outbox(engine)
    assert records and "customer" not in {r.kind for r in records}
    with session_scope(engine, write=False) as s:
        customer_uuid = str(s.exec(select(Customer)).one().uuid)
    sale = next(json.loads(r.payload) for r in records if r.kind == "sale")
    assert sale.get("customer_uuid") is None  # not even the reference: the sale is anonymous to central
    for record in records:
        for value in (*PERSONAL, customer_uuid):
            assert value not in record.payload, (record.kind, value)


@pytest.mark.postgres
@pytest.mark.parametrize("app_overrides", [{"CUSTOMERS_SEND_TO_CENTRAL": True}])
def test_with_the_key_on_the_customer_reaches_central_and_so_does_the_erasure(
    till,  # noqa: F811
    auth,
    engine,
    central: Flask,  # noqa: F811
    settings,  # noqa: F811
    transport,  # noqa: F811
) -> None:
    _a_customer_s_life(till, auth)
    assert run(engine, settings, transport).ok
    with central.extensions[ENGINE_KEY].connect() as conn:
        row = conn.execute(text("SELECT name, phone, company_name, tax_code, erased_at FROM customer")).one()
    assert tuple(row) == ("Chị Hoa", "0912345678", "Công ty Hoa Sen", "0101234567", None)
    with central.extensions[ENGINE_KEY].connect() as conn:
        on_sale = conn.execute(text("SELECT s.customer_uuid FROM sale s")).scalar_one()
        known = conn.execute(text("SELECT uuid FROM customer")).scalar_one()
    assert on_sale == known  # the sale names its customer by uuid; the person travelled as its own record
    sale = next(json.loads(r.payload) for r in _outbox(engine) if r.kind == "sale")
    assert sale["customer_uuid"] == str(known) and not any(value in json.dumps(sale) for value in PERSONAL)
    sent = [json.loads(r.payload) for r in _outbox(engine) if r.kind == "customer"]
    assert len(sent) == 2 and "points" not in sent[0]  # created at the till, saved by the manager

    assert auth.post("/customers/1/erase", token_from="/customers/1").status_code == 302
    assert run(engine, settings, transport).ok
    with central.extensions[ENGINE_KEY].connect() as conn:
        row = conn.execute(text("SELECT name, phone, company_name, tax_code, address, erased_at FROM customer")).one()
    assert tuple(row)[:5] == ("", "", "", "", "") and row.erased_at is not None
    erasure = [json.loads(r.payload) for r in _outbox(engine) if r.kind == "customer"][-1]
    assert erasure["erased"] and not any(value in json.dumps(erasure) for value in PERSONAL)


def test_a_customer_saved_while_the_key_was_off_travels_with_its_first_sale_once_on(till, app, engine) -> None:  # noqa: F811
    made = till("/till/api/customer", {"phone": "0912 345 678", "name": "Chị Hoa"})
    assert made.status_code == 200 and "customer" not in {r.kind for r in _outbox(engine)}
    app.config["CUSTOMERS_SEND_TO_CENTRAL"] = True  # the showroom turns the key on afterwards
    for n in (1, 2):
        if n == 2:
            assert till("/till/api/customer", {"phone": "0912345678"}).status_code == 200
        till("/till/api/scan", {"code": till.goods["tea"].barcode})
        assert checkout(till, key=f"0d4f7f5e-1111-4222-8333-44445555003{n}").status_code == 200
    records = _outbox(engine)
    sales = [json.loads(r.payload) for r in records if r.kind == "sale"]
    sent = [json.loads(r.payload) for r in records if r.kind == "customer"]
    assert len(sent) == 1 and sent[0]["name"] == "Chị Hoa"  # once, with the first sale; not with every sale
    assert [s["customer_uuid"] for s in sales] == [sent[0]["uuid"]] * 2
