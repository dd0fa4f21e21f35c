"""Goods sold by weight at the central server (PostgreSQL): the product record (version 2) says so and carries
the product's story; the summaries keep grams apart from pieces and still equal the raw tables; every office
quantity column is pieces ("(cái)") or kg ("(kg)"), never the two added; an older product record is accepted."""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any
from uuid import uuid4

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from pos.central import credentials, summaries
from pos.central.users import create_central_user
from pos.db import session_scope
from pos.sync import contract
from pos.sync.samples import Record
from tests.http.test_office import MARCH, at, csv_rows, line, login, paid, producer, product, push, sale

pytestmark = pytest.mark.postgres

STORY = {
    "name_en": "Hoa Binh oranges",
    "description_vi": "Cam canh ngọt, mọng nước",
    "description_en": "Sweet, juicy oranges",
    "origin_commune": "Xã Cao Phong",
    "origin_district": "Huyện Cao Phong",
    "origin_province": "Tỉnh Hòa Bình",
    "producer_story": "HTX trồng cam trên đồi từ năm 1990.",
    "trace_url": "https://truyxuat.hoabinh.gov.vn/cam-cao-phong",
}


def weighed_line(no: int, item: dict[str, Any], grams: int) -> dict[str, Any]:
    """A sale line of ``grams`` of a product priced per kg (half-up to the đồng, as the till computes it)."""
    total = (2 * grams * item["price_vnd"] + 1000) // 2000
    return {**line(no, item, 1), "qty": grams, "total_vnd": total, "vat_vnd": 0, "vat_rate_bp": 0, "sold_by": "weight"}


@pytest.fixture
def fruit(central_engine: Any) -> dict[str, Any]:
    """SR01 sells 1,250 kg and 0,500 kg of oranges (one return of 0,200 kg) and 3 boxes of honey in March."""
    with session_scope(central_engine) as s:
        credentials.register_showroom(s, "SR01", "OCOP Hoàn Kiếm", "Hà Nội", "Hoàn Kiếm", actor="admin")
    maker = producer(str(uuid4()), "HTX Cam Cao Phong", "Hòa Bình")
    orange = {**product(str(uuid4()), maker, "CAM", "Cam Cao Phong", 60_000, 4, "thuc_pham"), "unit": "kg"}
    orange.update(sold_by="weight", **STORY)
    honey = product(str(uuid4()), maker, "MO500", "Mật ong 500ml", 150_000, 4, "thuc_pham")
    shift = str(uuid4())
    s1 = sale("SR01-2026-000001", at(10, 9), shift, [weighed_line(1, orange, 1250), line(2, honey, 3)], [])
    s1["subtotal_vnd"] = s1["total_vnd"]
    s1["payments"] = [paid("cash", s1["total_vnd"])]
    s2 = sale("SR01-2026-000002", at(12, 9), shift, [weighed_line(1, orange, 500)], [])
    s2["subtotal_vnd"] = s2["total_vnd"]
    s2["payments"] = [paid("cash", s2["total_vnd"])]
    back = {
        "uuid": str(uuid4()),
        "return_number": "SR01-2026-R000001",
        "sale_uuid": s2["uuid"],
        "shift_uuid": shift,
        "cashier": "thungan1",
        "created_at": at(13, 10).isoformat(),
        "refund_method": "cash",
        "total_vnd": 12_000,
        "lines": [{"sale_line_no": 1, "product_uuid": orange["uuid"], "qty": 200, "amount_vnd": 12_000}],
    }
    push(
        central_engine,
        "SR01",
        [
            Record("producer", maker["uuid"], maker, at(1, 8)),
            Record("product", orange["uuid"], orange, at(1, 8)),
            Record("product", honey["uuid"], honey, at(1, 8)),
            Record("sale", s1["uuid"], s1, at(10, 9)),
            Record("sale", s2["uuid"], s2, at(12, 9)),
            Record("return", back["uuid"], back, at(13, 10)),
        ],
    )
    return {"orange": orange, "honey": honey, "maker": maker}


@pytest.fixture
def office(central_app: Flask, central_engine: Any, fruit: dict[str, Any]) -> FlaskClient:
    with session_scope(central_engine) as s:
        create_central_user(s, "vanphong", "Nguyễn Thị Văn Phòng", "manager", "matkhau123")
    client = central_app.test_client()
    login(client, "vanphong", "matkhau123")
    return client


def test_the_product_record_carries_how_it_is_sold_and_its_story(central_engine: Any, fruit: dict) -> None:
    assert contract.KIND_VERSIONS["product"] >= 2
    with central_engine.connect() as conn:
        row = conn.execute(
            text("SELECT sold_by, name_en, origin_province, trace_url FROM product WHERE uuid = :u"),
            {"u": fruit["orange"]["uuid"]},
        ).one()
        honey = conn.execute(
            text("SELECT sold_by, name_en FROM product WHERE uuid = :u"), {"u": fruit["honey"]["uuid"]}
        )
        assert tuple(row) == ("weight", "Hoa Binh oranges", "Tỉnh Hòa Bình", STORY["trace_url"])
        assert tuple(honey.one()) == ("piece", "")  # an older (version 1) record: pieces, no story


def test_summaries_keep_grams_apart_and_agree_with_the_raw_tables(central_engine: Any, fruit: dict) -> None:
    with central_engine.connect() as conn:
        got = conn.execute(
            text(
                "SELECT p.sku, SUM(d.qty_sold), SUM(d.qty_returned), SUM(d.grams_sold), SUM(d.grams_returned) "
                "FROM summary_product_month d JOIN product p ON p.id = d.product_id GROUP BY p.sku ORDER BY p.sku"
            )
        ).all()
        assert [tuple(r) for r in got] == [("CAM", 0, 0, 1750, 200), ("MO500", 3, 0, 0, 0)]
        result = summaries.check(conn)
    assert result.ok, (result.differences, result.examples)


def test_a_product_record_after_its_lines_moves_them_to_grams(central_engine: Any) -> None:
    """Lines of a product the central server read as pieces (its record sent before records said how it is sold)
    move to grams when the product's record says weight."""
    with session_scope(central_engine) as s:
        credentials.register_showroom(s, "SR01", "OCOP Hoàn Kiếm", "Hà Nội", "Hoàn Kiếm", actor="admin")
    maker = producer(str(uuid4()), "HTX Bưởi Diễn", "Hà Nội")
    pomelo = {**product(str(uuid4()), maker, "BUOI", "Bưởi Diễn", 40_000, 3, "thuc_pham"), "unit": "kg"}
    s1 = sale("SR01-2026-000009", at(5, 9), str(uuid4()), [weighed_line(1, pomelo, 2400)], [])
    s1["subtotal_vnd"] = s1["total_vnd"]
    s1["payments"] = [paid("cash", s1["total_vnd"])]
    push(
        central_engine,
        "SR01",
        [Record("producer", maker["uuid"], maker, at(1, 8)), Record("product", pomelo["uuid"], pomelo, at(1, 8))],
    )
    from tests.http.test_summaries import push_numbered  # numbering after what was pushed

    shop = {"seq": 2}
    push_numbered(central_engine, shop, [Record("sale", s1["uuid"], s1, at(5, 9))])
    with central_engine.connect() as conn:
        assert conn.execute(text("SELECT qty_sold, grams_sold FROM summary_product_day")).one() == (2400, 0)
    push_numbered(central_engine, shop, [Record("product", pomelo["uuid"], {**pomelo, "sold_by": "weight"}, at(6, 8))])
    with central_engine.connect() as conn:
        assert conn.execute(text("SELECT qty_sold, grams_sold FROM summary_product_day")).one() == (0, 2400)
        assert conn.execute(text("SELECT qty_sold, grams_sold FROM summary_product_month")).one() == (0, 2400)
        result = summaries.check(conn)
    assert result.ok, (result.differences, result.examples)


def test_office_reports_show_pieces_and_kg_in_their_own_columns(office: FlaskClient) -> None:
    (cam_cao_phong, total) = csv_rows(office, "/office/producers.csv", **MARCH)
    assert (cam_cao_phong["SL bán (cái)"], cam_cao_phong["SL thuần (cái)"]) == ("3", "3")
    assert (cam_cao_phong["KL bán (kg)"], cam_cao_phong["KL khách trả (kg)"]) == ("1.750", "0.200")
    assert cam_cao_phong["KL thuần (kg)"] == "1.550" and total["KL thuần (kg)"] == "1.550"
    top = {r["Sản phẩm"]: r for r in csv_rows(office, "/office/top.csv", **MARCH)}
    assert (top["Cam Cao Phong"]["SL thuần (cái)"], top["Cam Cao Phong"]["KL thuần (kg)"]) == ("0", "1.550")
    assert (top["Mật ong 500ml"]["SL thuần (cái)"], top["Mật ong 500ml"]["KL thuần (kg)"]) == ("3", "0.000")
    ocop = {r["Nhóm sản phẩm"]: r for r in csv_rows(office, "/office/ocop.csv", **MARCH)}
    assert [(k, r["SL thuần (cái)"], r["KL thuần (kg)"]) for k, r in ocop.items() if k == "Tổng cộng"] == [
        ("Tổng cộng", "3", "1.550")
    ]
    page = office.get("/office/producers", query_string=MARCH).get_data(as_text=True)
    assert "KL thuần (kg)" in page and re.search(r">\s*1,550\s*<", page)  # on screen in kg, Vietnamese comma
    # The workbook holds kg as numbers (1.55) formatted to three decimals.
    book = zipfile.ZipFile(io.BytesIO(office.get("/office/producers.xlsx", query_string=MARCH).get_data()))
    sheet = book.read("xl/worksheets/sheet1.xml").decode()
    assert "<v>1.550</v>" in sheet and 'formatCode="#,##0.000"' in book.read("xl/styles.xml").decode()


def test_the_office_sees_a_products_story_and_how_it_is_sold(office: FlaskClient) -> None:
    page = office.get("/catalog/links").get_data(as_text=True)
    assert "Cam Cao Phong" in page and "bán theo cân (giá mỗi kg)" in page
    assert 'Tên tiếng Anh: <span lang="en">Hoa Binh oranges</span>' in page
    assert "Xuất xứ: Xã Cao Phong, Huyện Cao Phong, Tỉnh Hòa Bình" in page
    assert f'href="{STORY["trace_url"]}"' in page


def test_a_receipt_at_the_office_shows_kg_and_the_price_per_kg(office: FlaskClient, central_engine: Any) -> None:
    with central_engine.connect() as conn:
        uuid = conn.execute(text("SELECT uuid FROM sale WHERE receipt_number = 'SR01-2026-000001'")).scalar_one()
    page = office.get(f"/office/sales/{uuid}").get_data(as_text=True)
    assert "1,250 kg" in page and "60.000 ₫/kg" in page and "3 hộp" in page
    rows = csv_rows(office, f"/office/sales/{uuid}.csv")
    assert [(r["Sản phẩm"], r["SL"], r["Đơn vị"]) for r in rows[:2]] == [
        ("Cam Cao Phong", "1.250", "kg"),
        ("Mật ong 500ml", "3", "hộp"),
    ]
    assert rows[-1]["SL"] == ""  # 1,250 kg and 3 boxes are not added together
