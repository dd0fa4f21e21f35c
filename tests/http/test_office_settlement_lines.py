"""Settlement lines reach the central office: two real SQLite showrooms with the same March history settle the
same producer, push through the real sync client to a real PostgreSQL central server, and the office sees each
settlement with its lines, per producer across the showrooms, exactly as the showrooms froze them."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlmodel import select

from pos.db import ENGINE_KEY, session_scope
from pos.settlement import services
from pos.sync.models import OutboxRecord
from tests.http.test_sync_api import office_login
from tests.showrooms import Showroom
from tests.unit.test_reports import MARCH, build_history, local

pytestmark = pytest.mark.postgres


def rows(client: FlaskClient, path: str) -> list[dict[str, str]]:
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_each_settlement_reaches_the_office_with_its_lines(engine: Any, second_engine: Any, central_app: Flask) -> None:
    shops = [Showroom("SR01", engine, central_app), Showroom("SR02", second_engine, central_app)]
    frozen = {}
    for shop in shops:
        with session_scope(shop.engine) as s:
            history = build_history(s)
            settlement = services.close_settlement(
                s, history.producers["A"].id, MARCH, None, today=date(2025, 4, 15), showroom_code=shop.code,
                now=local(2025, 4, 15, 9),
            )  # fmt: skip
            frozen[shop.code] = (settlement.number, services.statement_lines(json.loads(settlement.figures)))
        with session_scope(shop.engine, write=False) as s:  # the record carries the lines, version 2
            record = s.exec(select(OutboxRecord).where(OutboxRecord.kind == "settlement")).one()
            assert record.version == 2 and len(json.loads(record.payload)["lines"]) == 2
        assert shop.sync().ok
    number, lines = frozen["SR01"]
    # Chè Tân Cương 200g (P1): 200k + 270k + 240k − 90k returned; Chè búp (P2): 225k + 500k; 20 % commission.
    assert [(r["sku"], r["qty"], r["amount_vnd"], r["commission_vnd"]) for r in lines] == [
        ("P1", 6, 620_000, 124_000),
        ("P2", 3, 725_000, 145_000),
    ]
    with central_app.extensions[ENGINE_KEY].connect() as conn:
        held = conn.execute(
            text(
                "SELECT s.code, sl.line_no, sl.sku, sl.qty, sl.amount_vnd, sl.commission_vnd, sl.product_uuid IS NOT "
                "NULL FROM settlement_line sl JOIN settlement st ON st.id = sl.settlement_id JOIN showroom s ON "
                "s.id = st.showroom_id ORDER BY 1, 2"
            )
        ).all()
    assert [tuple(r) for r in held] == [
        (code, n, sku, qty, amount, commission, True)
        for code in ("SR01", "SR02")
        for n, sku, qty, amount, commission in ((1, "P1", 6, 620_000, 124_000), (2, "P2", 3, 725_000, 145_000))
    ]

    office = central_app.test_client()
    office_login(office, central_app, "manager")
    got = rows(office, "/office/stock/settlement-lines.csv?producer=che tan cuong")  # accents not needed
    assert [(r["Mã CH"], r["Số biên bản"], r["Mã hàng"], r["Số lượng"], r["Hoa hồng"]) for r in got[:-1]] == [
        ("SR01", number, "P1", "6", "124000"),
        ("SR01", number, "P2", "3", "145000"),
        ("SR02", frozen["SR02"][0], "P1", "6", "124000"),
        ("SR02", frozen["SR02"][0], "P2", "3", "145000"),
    ]
    assert got[-1]["Nhà sản xuất"] == "Tổng cộng (mọi trang)" and got[-1]["Hoa hồng"] == "538000"
    only = rows(office, "/office/stock/settlement-lines.csv?showroom=SR02&product=che bup")
    assert [(r["Mã CH"], r["Sản phẩm"]) for r in only[:-1]] == [("SR02", "Chè búp đặc biệt 500g")]
    page = office.get("/office/stock/settlement-lines?producer=Chè").get_data(as_text=True)
    assert "Dòng biên bản đối soát theo nhà sản xuất" in page and "Chè búp đặc biệt 500g" in page

    # Paid later: sent again whole; the lines stay as they were, once each.
    with session_scope(engine) as s:
        first = s.exec(select(services.Settlement)).one()
        services.mark_paid(s, first.id, None, "UNC 0042")
    assert shops[0].sync().ok
    with central_app.extensions[ENGINE_KEY].connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM settlement_line")).scalar() == 4
    assert [r["Trạng thái"] for r in rows(office, "/office/stock/settlement-lines.csv?showroom=SR01")[:-1]] == [
        "Đã thanh toán",
        "Đã thanh toán",
    ]
    # Still to pay at SR02, in the settlements page's words.
    unpaid = rows(office, "/office/stock/settlement-lines.csv?showroom=SR02")[:-1]
    assert {r["Trạng thái"] for r in unpaid} == {"Đã chốt, chưa thanh toán"}


def test_a_settlement_from_an_older_showroom_without_lines_is_still_accepted() -> None:
    from pos.sync import contract

    assert contract.KIND_VERSIONS["settlement"] == 2
    payload = {
        "uuid": "5f0d3f4e-8f77-4f3c-9a4e-0000000000aa", "number": "DS-SR09-2025-0001",
        "producer_uuid": "5f0d3f4e-8f77-4f3c-9a4e-000000000001", "period_start": "2025-03-01",
        "period_end": "2025-03-31", "status": "closed", "is_consignment": True, "commission_bp": 2000,
        "net_sales_vnd": 100_000, "commission_vnd": 20_000, "amount_owed_vnd": 80_000,
        "closed_at": "2025-04-15T09:00:00+07:00",
    }  # fmt: skip
    assert contract.check_payload("settlement", payload).lines == []  # type: ignore[attr-defined]
    with pytest.raises(contract.ContractError, match="payload.lines"):
        contract.check_payload("settlement", {**payload, "lines": [{"line_no": 1, "name": "Chè", "qty": 1.5}]})
