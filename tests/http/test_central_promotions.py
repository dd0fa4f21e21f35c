"""Promotions set at the central office for chosen showrooms, end to end: the office's page on a real PostgreSQL
central server, two real SQLite showrooms pulling through the real sync client, and a sale at SR01's till."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from pos.catalog.models import Product
from pos.central.catalog import (
    CatalogProducerInput,
    CatalogProductInput,
    create_catalog_producer,
    create_catalog_product,
)
from pos.central.models import CentralPromotion, OfficeAudit
from pos.db import ENGINE_KEY, session_scope
from pos.promotions.models import Promotion
from pos.promotions.services import promotions_for
from pos.sales.models import Shift
from pos.sales.vat import showroom_tz
from tests.http.test_sync_api import form_post, office_login
from tests.http.test_till import HEADERS, checkout, pdf_text
from tests.showrooms import TODAY, Showroom

pytestmark = pytest.mark.postgres

TZ = showroom_tz("Asia/Ho_Chi_Minh")


def _ean(body12: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body12))
    return body12 + str((10 - total % 10) % 10)


@pytest.fixture
def network(engine: Any, second_engine: Any, central_app: Flask) -> dict[str, Any]:
    """The catalogue holds a tea (120.000 ₫) and a honey (250.000 ₫); SR01 and SR02 have pulled both."""
    with session_scope(central_app.extensions[ENGINE_KEY]) as s:
        maker = create_catalog_producer(s, CatalogProducerInput(name="HTX Chè Suối Giàng", province="Yên Bái"))
        for sku, name, barcode, price in (
            ("TRA-01", "Chè Shan tuyết Suối Giàng", _ean("893504950006"), 120_000),
            ("MO-01", "Mật ong bạc hà", _ean("893504950007"), 250_000),
        ):
            create_catalog_product(
                s,
                CatalogProductInput(maker.id, sku, name, price, barcode=barcode, ocop_stars=4),  # type: ignore[arg-type]
            )
    a, b = Showroom("SR01", engine, central_app), Showroom("SR02", second_engine, central_app)
    assert a.sync().ok and b.sync().ok
    with session_scope(engine, write=False) as s:
        tea = s.exec(select(Product).where(Product.sku == "TRA-01")).one()
    a.receive(tea, 10, lot_code="L1", expiry_date=TODAY + timedelta(days=200))
    return {"a": a, "b": b, "tea": tea, "tea_barcode": _ean("893504950006"), "honey_barcode": _ean("893504950007")}


@pytest.fixture
def office(central_app: Flask, network: dict[str, Any]) -> FlaskClient:
    client = central_app.test_client()
    office_login(client, central_app, "manager")
    return client


def _local(at: datetime) -> str:
    return at.astimezone(TZ).strftime("%d/%m/%Y %H:%M")


def _form(**changes: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    data = {
        "name": "Chè Tết giảm 15%",
        "kind": "percent",
        "percent": "15",
        "target": "product",
        "code_0": "TRA-01",
        "starts": _local(now - timedelta(hours=1)),
        "ends": _local(now + timedelta(hours=2)),
        "borne_by": "producer",
        "for": "chosen",
        "showroom": ["SR01"],
    }
    data.update(changes)
    return data


def _post(office: FlaskClient, path: str, data: dict[str, Any]) -> Any:
    return form_post(office, path, data, token_from="/office/promotions/new")


def _promotions(engine: Any) -> list[Promotion]:
    with session_scope(engine, write=False) as s:
        return list(s.exec(select(Promotion).order_by(Promotion.id)))


def _offer_at(engine: Any, at: datetime) -> Any:
    """The promotion the tea gets at SR01 at ``at`` (one unit), or None."""
    with session_scope(engine, write=False) as s:
        tea = s.exec(select(Product).where(Product.sku == "TRA-01")).one()
        return promotions_for(s, [(tea, 1)], at, "SR01")[0]


def test_bad_input_is_told_in_vietnamese_and_nothing_is_written(office: FlaskClient, central_app: Flask) -> None:
    for changes, message in [
        ({"name": ""}, "Chưa nhập tên chương trình khuyến mãi."),
        ({"percent": "abc"}, "Phần trăm giảm phải lớn hơn 0 và nhỏ hơn 100"),
        ({"code_0": "KHONG-CO"}, "Danh mục chung không có sản phẩm mã hoặc mã vạch “KHONG-CO”."),
        ({"showroom": []}, "Chọn ít nhất một cửa hàng"),
        ({"showroom": ["SR99"]}, "Không có cửa hàng mã SR99."),
        ({"starts": "31/02/2027"}, "Ngày giờ bắt đầu không hợp lệ"),
        ({"ends": _local(datetime.now(UTC) - timedelta(days=3))}, "Ngày kết thúc phải sau ngày bắt đầu."),
        ({"kind": "combo", "price_vnd": "500.000", "code_1": "MO-01"}, "Giá trọn bộ phải thấp hơn tổng giá bán lẻ"),
        ({"target": "producer", "value_producer": "not-a-uuid"}, "Chưa chọn nhà sản xuất trong danh mục chung."),
    ]:
        response = _post(office, "/office/promotions/new", _form(**changes))
        body = response.get_data(as_text=True)
        assert response.status_code == 422, (changes, body[:300])
        assert message in body and "Chưa lưu được" in body
    assert office.post("/office/promotions/12345/end").status_code in (400, 404)  # no CSRF token / no such promotion
    gone = form_post(office, "/office/promotions/12345/end", {}, token_from="/office/promotions/")
    assert gone.status_code in (302, 404)
    with session_scope(central_app.extensions[ENGINE_KEY], write=False) as s:
        assert s.exec(select(CentralPromotion)).all() == []


def test_set_for_sr01_only_sold_at_its_till_edited_and_ended(
    office: FlaskClient, network: dict[str, Any], central_app: Flask, engine: Any, second_engine: Any, auth: Any
) -> None:
    a, b = network["a"], network["b"]
    made = _post(office, "/office/promotions/new", _form())
    assert made.status_code == 302, made.get_data(as_text=True)[:500]
    listing = office.get("/office/promotions/").get_data(as_text=True)
    assert "Chè Tết giảm 15%" in listing and "Đang áp dụng" in listing and "Nhà sản xuất chịu" in listing
    assert "SR01" in listing and "Giảm 15%" in listing and "Chưa nhận bản mới nhất: SR01" in listing
    with session_scope(central_app.extensions[ENGINE_KEY], write=False) as s:
        logged = s.exec(select(OfficeAudit).where(OfficeAudit.action == "promotion.save")).one()
        assert logged.username == "manager" and logged.detail["showrooms"] == ["SR01"]
        promotion_id = s.exec(select(CentralPromotion.id)).one()

    assert a.sync().promotions_pulled == 1 and b.sync().promotions_pulled == 0
    assert _promotions(second_engine) == []  # SR02 never receives it
    assert "Các cửa hàng đã nhận" in office.get("/office/promotions/").get_data(as_text=True)
    held = _promotions(engine)
    assert len(held) == 1 and held[0].central_uuid is not None and held[0].borne_by == "producer"

    # SR01's cashier sells the tea: the line and the receipt carry the promotion.
    cashier = auth.login("cashier", "thungan")
    with session_scope(engine) as s:
        s.add(Shift(cashier_id=cashier.id, opening_float_vnd=500_000))
    token = auth.csrf("/till/")

    def till(path: str, body: Any = None, method: str = "POST") -> Any:
        if method == "GET":
            return auth.client.get(path, headers=HEADERS)
        return auth.client.post(path, json=body or {}, headers={**HEADERS, "X-CSRFToken": token})

    cart = till("/till/api/scan", {"code": network["tea_barcode"]}).get_json()
    line = cart["lines"][0]
    assert line["promotion"]["name"] == "Chè Tết giảm 15%" and line["total_vnd"] == 102_000
    sold = checkout(till, payments=[{"method": "cash", "amount_vnd": 102_000}])
    assert sold.status_code == 200, sold.get_json()
    text = pdf_text(auth.client.get(sold.get_json()["receipt_url"]).data)
    assert "KM: Chè Tết giảm 15% (Giảm 15%)" in text and "102.000" in text

    # SR02 is unaffected: its tea gets nothing.
    with session_scope(second_engine, write=False) as s:
        tea_b = s.exec(select(Product).where(Product.sku == "TRA-01")).one()
        assert promotions_for(s, [(tea_b, 1)], datetime.now(UTC), "SR02") == [None]

    # The manager sees it marked and cannot change it.
    auth.login("manager", "quanly")
    page = auth.client.get("/promotions/").get_data(as_text=True)
    assert "Từ văn phòng trung tâm" in page and "Văn phòng trung tâm chọn" in page
    shown = auth.client.get(f"/promotions/{held[0].id}/edit").get_data(as_text=True)
    assert "cửa hàng chỉ xem, không sửa được" in shown and "Lưu khuyến mãi" not in shown and "disabled" in shown
    refused = auth.post(f"/promotions/{held[0].id}/edit", {"name": "Sửa trộm", "kind": "percent", "percent": "90"})
    assert refused.status_code in (302, 409)
    assert _promotions(engine)[0].name == "Chè Tết giảm 15%"

    # Edited at the office (20 %, and for SR02 instead): SR01 hears it withdrawn, SR02 receives it.
    edited = _post(
        office, f"/office/promotions/{promotion_id}/edit", _form(name="Chè Tết giảm 20%", percent="20", showroom="SR02")
    )
    assert edited.status_code == 302, edited.get_data(as_text=True)[:500]
    assert "Chưa nhận bản mới nhất: SR01, SR02" in office.get("/office/promotions/").get_data(as_text=True)
    assert a.sync().promotions_pulled == 1 and b.sync().promotions_pulled == 1
    assert "Các cửa hàng đã nhận" in office.get("/office/promotions/").get_data(as_text=True)
    assert _offer_at(engine, datetime.now(UTC)) is None and not _promotions(engine)[0].is_active
    with session_scope(second_engine, write=False) as s:
        got = promotions_for(s, [(tea_b, 1)], datetime.now(UTC), "SR02")[0]
        assert got is not None and got.offer.name == "Chè Tết giảm 20%" and got.discount_vnd == 24_000

    # Ended at the office: SR02 stops at its next pull; a pull with nothing new changes nothing.
    ended = form_post(office, f"/office/promotions/{promotion_id}/end", {}, token_from="/office/promotions/")
    assert ended.status_code == 302
    assert "Đã kết thúc" in office.get("/office/promotions/").get_data(as_text=True)
    assert b.sync().promotions_pulled == 1 and b.sync().promotions_pulled == 0
    with session_scope(second_engine, write=False) as s:
        assert promotions_for(s, [(tea_b, 1)], datetime.now(UTC), "SR02") == [None]
    again = _post(office, f"/office/promotions/{promotion_id}/edit", _form())
    assert again.status_code in (302, 409)  # an ended promotion stays ended
    with session_scope(central_app.extensions[ENGINE_KEY], write=False) as s:
        assert s.get(CentralPromotion, promotion_id).ended_at is not None  # type: ignore[union-attr]
        actions = [r.action for r in s.exec(select(OfficeAudit).order_by(OfficeAudit.id))]
        assert actions.count("promotion.save") == 2 and actions.count("promotion.end") == 1


def test_the_first_and_last_minute_of_the_period_in_local_time(
    office: FlaskClient, network: dict[str, Any], engine: Any
) -> None:
    day = (datetime.now(UTC).astimezone(TZ) + timedelta(days=10)).date()
    last = day + timedelta(days=2)
    made = _post(
        office,
        "/office/promotions/new",
        _form(kind="price", price_vnd="99.000", starts=f"{day:%d/%m/%Y}", ends=f"{last:%d/%m/%Y}", showroom=["SR01"]),
    )
    assert made.status_code == 302, made.get_data(as_text=True)[:500]
    assert network["a"].sync().promotions_pulled == 1
    first = datetime(day.year, day.month, day.day, tzinfo=TZ)
    end = datetime(last.year, last.month, last.day, 23, 59, 59, 999_999, tzinfo=TZ)
    assert _offer_at(engine, first - timedelta(microseconds=1)) is None  # 23:59:59.999999 the evening before
    assert _offer_at(engine, first).discount_vnd == 21_000  # 00:00 of the first day: 120.000 -> 99.000
    assert _offer_at(engine, end).discount_vnd == 21_000  # 23:59:59 of the last day
    assert _offer_at(engine, end + timedelta(microseconds=1)) is None  # 00:00 the day after


def test_a_promotion_for_every_showroom_and_a_producer_target(
    office: FlaskClient, network: dict[str, Any], engine: Any, second_engine: Any
) -> None:
    producers = office.get("/office/promotions/new").get_data(as_text=True)
    assert "HTX Chè Suối Giàng" in producers
    from pos.central.models import CatalogProducer

    with session_scope(office.application.extensions[ENGINE_KEY], write=False) as s:
        maker = s.exec(select(CatalogProducer)).one()
    made = _post(
        office,
        "/office/promotions/new",
        _form(name="HTX Suối Giàng mua 2 tặng 1", kind="bxgy", buy_qty="2", get_qty="1", target="producer",
              value_producer=str(maker.uuid), code_0="", **{"for": "all"}),
    )  # fmt: skip
    assert made.status_code == 302, made.get_data(as_text=True)[:500]
    assert network["a"].sync().promotions_pulled == 1 and network["b"].sync().promotions_pulled == 1
    for eng in (engine, second_engine):
        with session_scope(eng, write=False) as s:
            tea = s.exec(select(Product).where(Product.sku == "TRA-01")).one()
            got = promotions_for(s, [(tea, 3)], datetime.now(UTC), "")[0]
            assert got is not None and got.discount_vnd == 120_000  # the third one free


def test_promotions_come_in_pages_of_one_snapshot_and_never_to_others(
    office: FlaskClient, network: dict[str, Any], central_app: Flask
) -> None:
    from pos.central.catalog import changes_since
    from pos.central.models import Showroom as CentralShowroom

    for n, rooms in enumerate((["SR01"], ["SR02"], ["SR01"], ["SR01", "SR02"])):
        made = _post(office, "/office/promotions/new", _form(name=f"KM {n}", showroom=rooms))
        assert made.status_code == 302, made.get_data(as_text=True)[:500]
    with session_scope(central_app.extensions[ENGINE_KEY], write=False) as s:
        sr01 = s.exec(select(CentralShowroom).where(CentralShowroom.code == "SR01")).one()
        whole = changes_since(s, sr01.id, 0)
        pages, answer = [], changes_since(s, sr01.id, 0, limit=1)
        while True:
            pages.append(answer)
            if not answer["next"]:
                break
            answer = changes_since(s, sr01.id, 0, until=answer["revision"], after=answer["next"], limit=1)
    assert [p["name"] for p in whole["promotions"]] == ["KM 0", "KM 2", "KM 3"]
    paged = [p["name"] for page in pages for p in page["promotions"]]
    assert paged == ["KM 0", "KM 2", "KM 3"] and all(len(p["promotions"]) <= 1 for p in pages)
    assert all(p["revision"] == whole["revision"] for p in pages)


def test_odd_input_never_fails_the_server(office: FlaskClient, central_app: Flask) -> None:
    odd = ["", " ", "-1", "0", "1e9", "999999999999999999999", "１５", "15%", "12,555", "abc", "ạ" * 300, "\x00", "NaN"]
    fields = ["percent", "price_vnd", "buy_qty", "get_qty", "starts", "ends", "qty_0", "code_0", "value_stars"]
    for name in fields:
        for value in odd:
            for kind in ("percent", "price", "bxgy", "combo"):
                data = _form(kind=kind, **{name: value})
                if kind == "combo":
                    data.update(code_1="MO-01", qty_1=value if name == "qty_0" else "1")
                response = _post(office, "/office/promotions/new", data)
                assert response.status_code in (302, 422), (name, value, kind, response.status_code)
    for path in ("/office/promotions/99999/edit", "/office/promotions/abc/edit"):
        assert office.get(path).status_code == 404
    missing = _post(office, "/office/promotions/99999/edit", _form())
    assert missing.status_code == 404 and "Không tìm thấy chương trình khuyến mãi" in missing.get_data(as_text=True)
