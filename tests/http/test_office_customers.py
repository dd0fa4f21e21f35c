"""A customer's purchases across showrooms at the central office (PostgreSQL, the real ingest and pages).

Showrooms that send their customers ([customers] send_to_central) name the customer of each sale by its uuid
(sale record version 4). The same company is a customer of each showroom it bought at, under each showroom's
own uuid; the office finds its purchases everywhere by its phone or tax code. An erased customer is found no
more, and a sale record of an older version (no customer) is still accepted.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any
from uuid import UUID, uuid4

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlmodel import select

from pos.central.api import parse_batch
from pos.central.ingest import ingest_batch
from pos.central.models import Showroom
from pos.central.office import customers
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


def test_a_customer_s_page_gathers_its_purchases_everywhere_and_erasure_leaves_nothing_personal(
    office: FlaskClient,  # noqa: F811
    central_engine: Any,
) -> None:
    maker = producer(str(uuid4()), "HTX Quà Tết Bắc Ninh", "Bắc Ninh")
    basket = product(str(uuid4()), maker, "GQ01", "Giỏ quà Tết An Khang", 625_000, 4, "thuc_pham")
    at_sr01 = customer("0912345678", "Chị Hoa", "Công ty Hoa Sen", "0101234567")
    at_sr02 = customer("0912345678", "Chị Hoa", "Công ty Hoa Sen", "0101234567")
    stranger = customer("0987654321", "Anh Nam")
    catalogue = [
        Record("producer", maker["uuid"], maker, at(1, 8)),
        Record("product", basket["uuid"], basket, at(1, 8)),
    ]
    sold: list[dict[str, Any]] = []
    seq = 5000
    # SR01: 2 baskets on 10/3, 4 on 11/3 (then one brought back), 1 voided on 12/3; SR02: 8 on 14/3; SR03: a stranger.
    for code, number, who, day, qty in (
        ("SR01", "SR01-2026-000201", at_sr01, 10, 2),
        ("SR01", "SR01-2026-000202", at_sr01, 11, 4),
        ("SR01", "SR01-2026-000203", at_sr01, 12, 1),
        ("SR02", "SR02-2026-000201", at_sr02, 14, 8),
        ("SR03", "SR03-2026-000201", stranger, 14, 1),
    ):
        s = sale(number, at(day, 10), str(uuid4()), [line(1, basket, qty)], [paid("transfer", 625_000 * qty)])
        s["customer_uuid"] = who["uuid"]
        sold.append(s)
        records = [
            *catalogue,
            Record("customer", who["uuid"], who, at(day, 9)),
            Record("sale", s["uuid"], s, at(day, 10)),
        ]
        push(central_engine, code, records, first_seq=seq)
        seq += 10
    void = {
        "sale_uuid": sold[2]["uuid"],
        "receipt_number": sold[2]["receipt_number"],
        "voided_at": at(12, 11).isoformat(),
        "voided_by": "quanly",
        "reason": "Khách đổi ý",
    }
    back = {
        "uuid": str(uuid4()),
        "return_number": "SR01-2026-R000201",
        "sale_uuid": sold[1]["uuid"],
        "shift_uuid": str(uuid4()),
        "cashier": "thungan1",
        "created_at": at(13, 15).isoformat(),
        "refund_method": "transfer",
        "total_vnd": 625_000,
        "reason": "Giỏ bị móp",
        "lines": [{"sale_line_no": 1, "product_uuid": basket["uuid"], "qty": 1, "amount_vnd": 625_000}],
    }
    push(
        central_engine,
        "SR01",
        [Record("void", void["sale_uuid"], void, at(12, 11)), Record("return", back["uuid"], back, at(13, 15))],
        first_seq=seq,
    )

    # From the sales list: the customer column opens the page, and so does the filter by phone.
    march = {"from": "01/03/2026", "to": "31/03/2026"}
    listed = office.get("/office/sales", query_string={**march, "customer": "0912 345 678"}).get_data(as_text=True)
    assert f"/office/customers/{at_sr01['uuid']}" in listed or f"/office/customers/{at_sr02['uuid']}" in listed
    assert "xem trang khách hàng" in listed

    response = office.get(f"/office/customers/{at_sr01['uuid']}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for shown in ("Công ty Hoa Sen", "Chị Hoa", "0912345678", "0101234567"):
        assert shown in page
    for number in ("SR01-2026-000201", "SR01-2026-000202", "SR01-2026-000203", "SR02-2026-000201"):
        assert number in page
    assert "SR03-2026-000201" not in page and "Anh Nam" not in page
    assert "10/03/2026" in page and "14/03/2026" in page
    # Per showroom, completed sales less refunds: SR01 2+4 baskets = 3.750.000 ₫, 625.000 ₫ back -> 3.125.000 ₫;
    # SR02 8 baskets = 5.000.000 ₫; the voided one counts nowhere. Together 8.125.000 ₫.
    for amount in ("3.750.000 ₫", "3.125.000 ₫", "5.000.000 ₫", "8.125.000 ₫", "625.000 ₫"):
        assert amount in page, amount
    assert "Đã hủy" in page and "Có trả hàng" in page

    rows = list(
        csv.DictReader(
            io.StringIO(office.get(f"/office/customers/{at_sr01['uuid']}.csv").get_data().decode("utf-8-sig"))
        )
    )
    assert [r["Số hóa đơn"] for r in rows] == [
        "SR02-2026-000201",
        "SR01-2026-000203",
        "SR01-2026-000202",
        "SR01-2026-000201",
    ]
    assert rows[0]["Ngày"] == "14/03/2026" and rows[0]["Tổng thanh toán"] == "5000000" and rows[0]["Cửa hàng"]
    assert rows[2]["Đã hoàn tiền"] == "625000" and rows[1]["Trạng thái"] == "Đã hủy"

    # Paged in SQL (LIMIT/OFFSET): a page of one sale, the second page the second newest.
    with session_scope(central_engine) as s:
        view = customers.get_customer(s, UUID(at_sr01["uuid"]))
        listed_count = sum(r["_listed"] for r in customers.per_showroom(s, view).rows)
        second = customers.purchases(s, view, listed_count, page=2, per_page=1)
        assert listed_count == 4 and [r["receipt_number"] for r in second.rows] == ["SR01-2026-000203"]
        assert second.params["paging"].pages == 4

    # Erased at SR02 on request: that page names nobody, shows only SR02's own purchase; SR01's no longer has it.
    erased = {**at_sr02, "name": "", "phone": "", "company_name": "", "tax_code": "", "erased": True}
    push(central_engine, "SR02", [Record("customer", erased["uuid"], erased, at(20, 9))], first_seq=seq + 10)
    gone = office.get(f"/office/customers/{at_sr02['uuid']}").get_data(as_text=True)
    assert "đã được xóa theo yêu cầu" in gone and "SR02-2026-000201" in gone
    for personal in ("Chị Hoa", "Hoa Sen", "0912345678", "0101234567"):
        assert personal not in gone, personal
    still = office.get(f"/office/customers/{at_sr01['uuid']}").get_data(as_text=True)
    assert "SR01-2026-000201" in still and "SR02-2026-000201" not in still
    listed = office.get("/office/sales", query_string=march).get_data(as_text=True)
    assert "(đã xóa dữ liệu cá nhân)" in listed

    assert office.get(f"/office/customers/{uuid4()}").status_code == 404

    # A receipt names its customer and leads to the customer's purchases; an erased one names nobody; a sale whose
    # customer its showroom keeps to itself (no customer record at central) opens without one.
    receipt = office.get(f"/office/sales/{sold[0]['uuid']}").get_data(as_text=True)
    assert "Khách hàng</h3>" in receipt and "Công ty Hoa Sen" in receipt and "MST 0101234567" in receipt
    assert f"/office/customers/{at_sr01['uuid']}" in receipt
    receipt = office.get(f"/office/sales/{sold[3]['uuid']}").get_data(as_text=True)
    assert "Khách hàng đã xóa dữ liệu cá nhân" in receipt and "Hoa Sen" not in receipt
    private = sale("SR01-2026-000299", at(21, 10), str(uuid4()), [line(1, basket, 1)], [paid("cash", 625_000)])
    private["customer_uuid"] = str(uuid4())
    push(central_engine, "SR01", [Record("sale", private["uuid"], private, at(21, 10))], first_seq=seq + 20)
    response = office.get(f"/office/sales/{private['uuid']}")
    assert response.status_code == 200 and "Khách hàng</h3>" not in response.get_data(as_text=True)
