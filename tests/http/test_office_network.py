"""The office's network stock pages against a hand-computed network: two real SQLite showrooms push through the
real sync client to a real PostgreSQL central server; the pages and CSVs must show exactly what was done."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from pos.db import session_scope, utcnow
from pos.inventory.models import Lot
from pos.inventory.recall import recall_lot
from pos.inventory.stock import adjust_stock
from pos.reports.period import Period, shop_timezone
from pos.settlement.services import close_settlement, mark_paid
from tests.http.test_sync_api import office_login
from tests.showrooms import TODAY, Showroom

pytestmark = pytest.mark.postgres


PAST = Period(TODAY - timedelta(days=60), TODAY - timedelta(days=31), shop_timezone())


@pytest.fixture
def network(engine: Any, second_engine: Any, central_app: Flask) -> dict[str, Any]:
    """SR01: honey 12 in, 2 broken (10); cake lot L1 (30, expiring in 20 days); tea 4 stars, certificate lapsing
    in 30 days (5). SR02: honey of its own 7; cake lot L9 (4, expired 3 days ago); lot R1 recalled (6)."""
    a, b = Showroom("SR01", engine, central_app), Showroom("SR02", second_engine, central_app)
    honey = a.product("Mật ong bạc hà", "HTX Mật ong Mèo Vạc", sku="MO01", barcode="8930000000011")
    cake = a.product("Bánh cốm Vòng", "HTX Cốm Vòng", sku="BC01", is_food=True)
    tea = a.product(
        "Trà shan tuyết", "HTX Trà Suối Giàng", sku="TR01", ocop_stars=4, ocop_cert_number="QĐ 12/2023",
        ocop_cert_expiry=TODAY + timedelta(days=30),
    )  # fmt: skip
    a.receive(honey, 12)
    a.receive(cake, 30, lot_code="L1", expiry_date=TODAY + timedelta(days=20))
    a.receive(tea, 5)
    with session_scope(engine) as s:
        adjust_stock(s, honey.id, -2, "damaged", "vỡ lọ", None)
    honey2 = b.product("Mật ong bạc hà", "HTX Mật ong Mèo Vạc", sku="MO01")
    cake2 = b.product("Bánh cốm Vòng", "HTX Cốm Vòng", sku="BC01", is_food=True)
    b.receive(honey2, 7)
    b.receive(cake2, 4, TODAY - timedelta(days=10), lot_code="L9", expiry_date=TODAY - timedelta(days=3))
    b.receive(cake2, 6, lot_code="R1", expiry_date=TODAY + timedelta(days=200))
    with session_scope(second_engine) as s:
        lot = s.exec(select(Lot).where(Lot.lot_code == "R1")).one()
        recall_lot(s, lot.id, "Công văn 45/ATTP", None, utcnow())
    with session_scope(engine) as s:  # a closed settlement, then paid; another still to pay at SR02
        first = close_settlement(s, honey.producer_id, PAST, None, today=TODAY, showroom_code="SR01")
        mark_paid(s, first.id, None, "UNC 0042")
    with session_scope(second_engine) as s:
        close_settlement(s, cake2.producer_id, PAST, None, today=TODAY, showroom_code="SR02")
    assert a.sync().ok and b.sync().ok
    return {"a": a, "b": b}


@pytest.fixture
def office(central_app: Flask, network: dict[str, Any]) -> FlaskClient:
    client = central_app.test_client()
    office_login(client, central_app, "manager")
    return client


def rows(client: FlaskClient, path: str) -> list[dict[str, str]]:
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=","))


def test_on_hand_per_showroom_and_across_the_network(office: FlaskClient) -> None:
    got = {(r["Mã CH"], r["Sản phẩm"]): int(r["Tồn kho"]) for r in rows(office, "/office/stock/levels.csv")}
    assert got == {
        ("SR01", "Bánh cốm Vòng"): 30,
        ("SR01", "Mật ong bạc hà"): 10,
        ("SR01", "Trà shan tuyết"): 5,
        ("SR02", "Bánh cốm Vòng"): 10,  # 4 expired + 6 recalled: still on hand until they leave the shelf
        ("SR02", "Mật ong bạc hà"): 7,
    }
    only_b = rows(office, "/office/stock/levels.csv?showroom=SR02&product=mật")
    assert [(r["Mã CH"], r["Sản phẩm"], r["Tồn kho"]) for r in only_b] == [("SR02", "Mật ong bạc hà", "7")]
    by_producer = rows(office, "/office/stock/levels.csv?producer=cốm")
    assert {(r["Mã CH"], int(r["Tồn kho"])) for r in by_producer} == {("SR01", 30), ("SR02", 10)}
    # Typed without diacritics (or in capitals, or with them misplaced), the filters find the same rows.
    assert rows(office, "/office/stock/levels.csv?showroom=SR02&product=MAT  ONG") == only_b
    assert {r["Mã CH"] for r in rows(office, "/office/stock/levels.csv?producer=com vong")} == {"SR01", "SR02"}
    assert [r["Sản phẩm"] for r in rows(office, "/office/stock/levels.csv?view=product&product=tra shan")] == [
        "Trà shan tuyết"
    ]
    assert [r["Số lô"] for r in rows(office, "/office/stock/lots.csv?product=banh com&showroom=SR01")] == ["L1"]
    assert rows(office, "/office/stock/levels.csv?product=mát ong&showroom=SR02") == only_b
    # Two showrooms' own products with the same name are not merged unless the catalogue links them.
    network = rows(office, "/office/stock/levels.csv?view=product")
    assert sorted((r["Sản phẩm"], int(r["Tồn kho"])) for r in network) == [
        ("Bánh cốm Vòng", 10),
        ("Bánh cốm Vòng", 30),
        ("Mật ong bạc hà", 7),
        ("Mật ong bạc hà", 10),
        ("Trà shan tuyết", 5),
    ]
    page = office.get("/office/stock/").get_data(as_text=True)
    assert "Tồn kho toàn mạng lưới" in page and "Mật ong bạc hà" in page and "Trang 1 / 1 · 5 dòng" in page


def test_lots_near_expiry_expired_and_recalled(office: FlaskClient) -> None:
    lots = rows(office, "/office/stock/lots.csv")
    got = {(r["Mã CH"], r["Số lô"]): (int(r["Còn lại"]), r["Tình trạng"]) for r in lots}
    assert got == {
        ("SR02", "L9"): (4, "Đã hết hạn 3 ngày"),
        ("SR01", "L1"): (30, "Còn 20 ngày"),
        ("SR02", "R1"): (6, "Đang thu hồi: Công văn 45/ATTP"),
    }
    soon = rows(office, "/office/stock/lots.csv?days=10")
    assert {r["Số lô"] for r in soon} == {"L9", "R1"}
    html = office.get("/office/stock/lots?showroom=SR01").get_data(as_text=True)
    assert "L1" in html and "L9" not in html and (TODAY + timedelta(days=20)).strftime("%d/%m/%Y") in html


def test_certificates_expiring(office: FlaskClient) -> None:
    got = rows(office, "/office/stock/certificates.csv?days=60")
    assert [(r["Mã CH"], r["Sản phẩm"], r["Hạng sao"], r["Tình trạng"], r["Tồn kho"]) for r in got] == [
        ("SR01", "Trà shan tuyết", "4 sao", "Còn 30 ngày", "5")
    ]
    assert rows(office, "/office/stock/certificates.csv?days=10") == []


def test_bad_input_is_told_in_vietnamese_never_a_500(office: FlaskClient) -> None:
    for path, message in [
        ("/office/stock/lots?days=abc", "Số ngày phải là số nguyên từ 0 đến 3650; đang dùng 30 ngày."),
        ("/office/stock/lots?days=-5", "Số ngày phải là số nguyên"),
        ("/office/stock/levels?showroom=XX99", "Không có cửa hàng mã “XX99”"),
        ("/office/stock/transfers?status=lost", "Trạng thái không hợp lệ"),
    ]:
        response = office.get(path)
        assert response.status_code == 200
        assert message in response.get_data(as_text=True)
    assert "Về trang đầu" in office.get("/office/stock/levels?page=999999").get_data(as_text=True)
    for query in ("page=abc", "product=%25_%5C", "view=x", "days=9999999999"):
        assert office.get(f"/office/stock/levels?{query}").status_code == 200
    assert office.get("/office/stock/nowhere").status_code == 404
    assert office.get("/office/stock/nowhere.csv").status_code == 404


def test_settlements_of_every_showroom(office: FlaskClient) -> None:
    got = rows(office, "/office/stock/settlements.csv")
    assert [(r["Mã CH"], r["Nhà sản xuất"], r["Trạng thái"], r["Kỳ đối soát"]) for r in got[:-1]] == [
        ("SR01", "HTX Mật ong Mèo Vạc", "Đã thanh toán", PAST.label()),
        ("SR02", "HTX Cốm Vòng", "Đã chốt, chưa thanh toán", PAST.label()),
    ]
    assert got[0]["Ngày thanh toán"] == f"{TODAY:%d/%m/%Y}"  # the office's day, not UTC's
    assert got[-1]["Số biên bản"] == "Tổng cộng (mọi trang)"
    paid = rows(office, "/office/stock/settlements.csv?status=paid&producer=mật ong")
    assert [r["Số biên bản"] for r in paid[:-1]] == [f"DS-SR01-{TODAY.year}-0001"]


def test_the_pages_need_an_office_login(central_app: Flask, network: dict[str, Any]) -> None:
    response = central_app.test_client().get("/office/stock/levels")
    assert response.status_code in (302, 401, 403)
