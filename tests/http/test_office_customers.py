"""A customer's purchases across showrooms at the central office (PostgreSQL, the real ingest and pages).

Showrooms that send their customers ([customers] send_to_central) name the customer of each sale by its uuid
(sale record version 4). The same company is a customer of each showroom it bought at, under each showroom's
own uuid; the office finds its purchases everywhere by its phone or tax code. An erased customer is found no
more, and a sale record of an older version (no customer) is still accepted.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import uuid4

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlmodel import select

from pos.central.api import parse_batch
from pos.central.ingest import ingest_batch
from pos.central.models import Showroom
from pos.db import session_scope
from pos.sync.samples import Record, batch_document
from tests.http.test_office import TZ, at, line, office, paid, producer, product, sale, world  # noqa: F401

pytestmark = pytest.mark.postgres


def push(engine: Any, code: str, records: list[Record], first_seq: int, v: int = 4) -> None:
    """Records after those the seeded world already pushed, sale records written in version ``v``."""
    document = batch_document(code, records, first_seq)
    for record in document["records"]:
        record["v"] = v if record["kind"] == "sale" else 1
    batch, payloads = parse_batch(json.dumps(document).encode())
    with session_scope(engine) as s:
        showroom = s.exec(select(Showroom).where(Showroom.code == code)).one()
        ingest_batch(s, showroom, batch, payloads, tz=TZ)


def customer(phone: str, name: str, company: str = "", tax_code: str = "", erased: bool = False) -> dict[str, Any]:
    return {
        "uuid": str(uuid4()),
        "name": name,
        "phone": phone,
        "company_name": company,
        "tax_code": tax_code,
        "address": "",
        "erased": erased,
    }


def test_the_office_sees_a_company_s_purchases_in_every_showroom(
    office: FlaskClient,  # noqa: F811
    central_engine: Any,
) -> None:
    maker = producer(str(uuid4()), "HTX Quà Tết Bắc Ninh", "Bắc Ninh")
    basket = product(str(uuid4()), maker, "GQ01", "Giỏ quà Tết An Khang", 650_000, 4, "thuc_pham")
    hoa_sen_1 = customer("0912345678", "Chị Hoa", "Công ty Hoa Sen", "0101234567")  # at SR01
    hoa_sen_2 = customer("0912345678", "Chị Hoa", "Công ty Hoa Sen", "0101234567")  # the same company at SR02
    other = customer("0987654321", "Anh Nam")
    bought: dict[str, dict[str, Any]] = {}
    sold = (
        ("SR01", "SR01-2026-000101", hoa_sen_1, 10),
        ("SR01", "SR01-2026-000102", None, 10),
        ("SR02", "SR02-2026-000101", hoa_sen_2, 12),
        ("SR03", "SR03-2026-000101", other, 12),
    )
    for n, (code, number, who, day) in enumerate(sold):
        s = sale(number, at(day, 10), str(uuid4()), [line(1, basket, 2)], [paid("transfer", 1_300_000)])
        if who is not None:
            s["customer_uuid"] = who["uuid"]
        bought[number] = s
        records = [
            Record("producer", maker["uuid"], maker, at(1, 8)),
            Record("product", basket["uuid"], basket, at(1, 8)),
        ]
        if who is not None:
            records.append(Record("customer", who["uuid"], who, at(day, 9)))
        push(central_engine, code, [*records, Record("sale", s["uuid"], s, at(day, 10))], first_seq=1000 + 10 * n)
    # A showroom not yet upgraded: a version 3 sale, no customer on it, still accepted.
    old = sale("SR02-2026-000102", at(13, 10), str(uuid4()), [line(1, basket, 1)], [paid("cash", 650_000)])
    push(central_engine, "SR02", [Record("sale", old["uuid"], old, at(13, 10))], first_seq=2000, v=3)

    with central_engine.connect() as conn:
        rows = conn.execute(text("SELECT receipt_number, customer_uuid FROM sale WHERE sold_on >= '2026-03-10'"))
        stored = {number: uuid for number, uuid in rows}
    assert {k: str(v) if v else None for k, v in stored.items()} == {
        "SR01-2026-000101": hoa_sen_1["uuid"],
        "SR01-2026-000102": None,
        "SR02-2026-000101": hoa_sen_2["uuid"],
        "SR03-2026-000101": other["uuid"],
        "SR02-2026-000102": None,
    }

    march = {"from": "01/03/2026", "to": "31/03/2026"}
    for typed in ("0912 345 678", "+84 912 345 678", "0101234567"):
        page = office.get("/office/sales", query_string={**march, "customer": typed}).get_data(as_text=True)
        assert "SR01-2026-000101" in page and "SR02-2026-000101" in page, typed
        assert "SR01-2026-000102" not in page and "SR03-2026-000101" not in page, typed
        assert "Công ty Hoa Sen" in page
    csv_text = office.get("/office/sales.csv", query_string={**march, "customer": "0101234567"}).get_data(as_text=True)
    assert csv_text.count("Công ty Hoa Sen") == 2 and "Khách hàng" in csv_text.splitlines()[0]
    everyone = office.get("/office/sales", query_string=march).get_data(as_text=True)
    assert "SR01-2026-000102" in everyone and "Anh Nam" in everyone

    bad = office.get("/office/sales", query_string={**march, "customer": "abc"}).get_data(as_text=True)
    assert "nhập số điện thoại hoặc mã số thuế" in bad and "SR01-2026-000102" in bad  # the filter is dropped

    # Erased at SR02 on the customer's request: central blanks the person, and the office finds it no more there.
    erased = {**hoa_sen_2, "name": "", "phone": "", "company_name": "", "tax_code": "", "erased": True}
    push(central_engine, "SR02", [Record("customer", erased["uuid"], erased, at(20, 9))], first_seq=3000)
    page = office.get("/office/sales", query_string={**march, "customer": "0912345678"}).get_data(as_text=True)
    assert "SR01-2026-000101" in page and "SR02-2026-000101" not in page
