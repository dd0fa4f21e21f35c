"""What a central promotion did across the network, end to end: the office sets it on a real PostgreSQL central
server, two real SQLite showrooms pull it and sell under it at their tills (a void, a return, weighed goods, a
showroom's own promotion beside it), sync, and the office's results page and its CSV show the figures worked out
by hand below. An older sale record (version 4, before lines named their promotion) is still accepted."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlmodel import select

from pos.auth.services import create_user
from pos.catalog.models import Producer, Product
from pos.catalog.services import enqueue_product
from pos.central import summaries
from pos.central.ingest import dangling_references
from pos.central.models import CentralPromotion
from pos.db import ENGINE_KEY, session_scope, utcnow
from pos.promotions.models import Promotion, PromotionItem
from pos.sales import cart as carts
from pos.sales import scanning
from pos.sales.checkout import complete_sale
from pos.sales.models import Sale, SaleLine, Shift
from pos.sales.pricing import PaymentInput
from pos.sales.returns import create_return, void_last_sale
from pos.sync import contract
from pos.sync.models import OutboxRecord
from pos.sync.samples import Record, batch_document
from pos.text import fold
from tests.http.test_central_promotions import _ean, _local, _post
from tests.http.test_office import line, paid, producer, product, sale
from tests.http.test_sync_api import office_login
from tests.showrooms import TODAY, Showroom

pytestmark = pytest.mark.postgres

ORANGE_CODE = "2000000000015"


@pytest.fixture
def network(engine: Any, second_engine: Any, central_app: Flask) -> dict[str, Any]:
    """The catalogue holds HTX Chè Suối Giàng's tea (120.000 ₫); SR01 also sells that producer's oranges by weight
    (60.000 ₫/kg); SR02 sells a honey of its own under a promotion of its own (10 %). Both have a cashier, a
    manager and an open shift."""
    from pos.central.catalog import (
        CatalogProducerInput,
        CatalogProductInput,
        create_catalog_producer,
        create_catalog_product,
    )

    with session_scope(central_app.extensions[ENGINE_KEY]) as s:
        maker = create_catalog_producer(s, CatalogProducerInput(name="HTX Chè Suối Giàng", province="Yên Bái"))
        maker_uuid = str(maker.uuid)
        create_catalog_product(
            s,
            CatalogProductInput(maker.id, "TRA-01", "Chè Shan tuyết Suối Giàng", 120_000, barcode=_ean("893504950006")),  # type: ignore[arg-type]
        )
    a, b = Showroom("SR01", engine, central_app), Showroom("SR02", second_engine, central_app)
    assert a.sync().ok and b.sync().ok
    shops: dict[str, Any] = {"a": a, "b": b, "maker_uuid": maker_uuid}
    for key, shop in (("a", a), ("b", b)):
        with session_scope(shop.engine) as s:
            cashier = create_user(s, "thungan", "Nguyễn Thị Thu Ngân", "cashier", "thungan-pass")
            create_user(s, "quanly", "Trần Văn Quản Lý", "manager", "quanly-pass")
            s.add(Shift(cashier_id=cashier.id, opening_float_vnd=500_000))
            tea = s.exec(select(Product).where(Product.sku == "TRA-01")).one()
            tea_maker = s.get(Producer, tea.producer_id)
            assert tea_maker is not None and str(tea_maker.uuid) == maker_uuid
            extra = None
            if key == "a":
                extra = Product(
                    producer_id=tea_maker.id,  # type: ignore[arg-type]
                    sku="CAM-01",
                    name="Cam sành Hàm Yên",
                    name_search=fold("Cam sành Hàm Yên"),
                    barcode=ORANGE_CODE,
                    price_vnd=60_000,
                    sold_by="weight",
                    unit="kg",
                )
            else:
                own = Producer(name="HTX Ong Ba Vì", name_search=fold("HTX Ong Ba Vì"), province="Hà Nội")
                s.add(own)
                s.flush()
                extra = Product(
                    producer_id=own.id,  # type: ignore[arg-type]
                    sku="MO-01",
                    name="Mật ong hoa nhãn",
                    name_search=fold("Mật ong hoa nhãn"),
                    barcode=_ean("893504950099"),
                    price_vnd=250_000,
                )
            s.add(extra)
            s.flush()
            if key == "a":
                enqueue_product(s, extra)  # its record says it is sold by weight, as a manager's save sends it
            if key == "b":
                local = Promotion(
                    name="Mật ong giảm 10%",
                    kind="percent",
                    percent_bp=1000,
                    starts_at=utcnow() - timedelta(hours=1),
                    ends_at=utcnow() + timedelta(hours=2),
                )
                s.add(local)
                s.flush()
                s.add(PromotionItem(promotion_id=local.id, product_id=extra.id))  # type: ignore[arg-type]
            shops[f"{key}_cashier"] = cashier.id
            shops[f"{key}_tea"], shops[f"{key}_extra"] = tea, extra
        shop.receive(shops[f"{key}_tea"], 20, lot_code="L1", expiry_date=TODAY + timedelta(days=200))
        shop.receive(shops[f"{key}_extra"], 20_000 if key == "a" else 10, lot_code="L2")
    return shops


@pytest.fixture
def office(central_app: Flask, network: dict[str, Any]) -> FlaskClient:
    client = central_app.test_client()
    office_login(client, central_app, "manager")
    return client


def _sell(shop: Showroom, cashier_id: int, code: str, items: list[tuple[str, int | str]], key: str) -> Sale:
    """Ring up ``items`` (a code and a count, or a typed weight for goods sold by weight) and take cash."""
    with session_scope(shop.engine) as s:
        cart = carts.get_or_create_active_cart(s, cashier_id)
        for barcode, qty in items:
            if isinstance(qty, str):
                scanning.scan(s, cart, barcode, weight=qty)
            else:
                scanning.scan(s, cart, barcode, qty)
        _, priced = carts.price_cart(s, cart, TODAY, showroom_code=code)
        return complete_sale(
            s,
            cart_id=cart.id,  # type: ignore[arg-type]
            payments=[PaymentInput("cash", priced.total_vnd)],
            cashier_id=cashier_id,
            idempotency_key=key,
            showroom_code=code,
            allow_negative=False,
            now=utcnow(),
        )


def _csv(client: FlaskClient, path: str) -> list[dict[str, str]]:
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))


def _cells(page: str, key: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>", "", m).strip() for m in re.findall(rf'<td class="[^"]*col-{key}">(.*?)</td>', page, re.S)
    ]


def sell_under_one_promotion(office: FlaskClient, network: dict[str, Any], central_app: Flask) -> tuple[int, Any]:
    """The office sets the promotion, the showrooms sell under it as worked out below and sync; its id and UUID."""
    a, b, central = network["a"], network["b"], central_app.extensions[ENGINE_KEY]
    now = datetime.now(UTC)

    def terms(borne_by: str) -> dict[str, Any]:
        """15 % off every product of HTX Chè Suối Giàng at every showroom, for three hours."""
        return {
            "name": "Đặc sản Suối Giàng giảm 15%",
            "kind": "percent",
            "percent": "15",
            "target": "producer",
            "value_producer": network["maker_uuid"],
            "starts": _local(now - timedelta(hours=1)),
            "ends": _local(now + timedelta(hours=2)),
            "borne_by": borne_by,
            "for": "all",
        }

    made = _post(office, "/office/promotions/new", terms("producer"))
    assert made.status_code == 302, made.get_data(as_text=True)[:500]
    with session_scope(central, write=False) as s:
        promotion = s.exec(select(CentralPromotion)).one()
        promotion_id, promotion_uuid = promotion.id, promotion.uuid
    assert a.sync().promotions_pulled == 1 and b.sync().promotions_pulled == 1
    tea = network["a_tea"].barcode

    # SR01, borne by the producer:
    #   S1  2 tea            240.000 − 15 % 36.000 = 204.000; later 1 tea back: refund 102.000, promo back 18.000
    #   S2  1 tea + 1,250 kg oranges: tea 120.000 − 18.000 = 102.000; oranges 75.000 − 11.250 = 63.750
    #   S3  1 tea, voided    (counts nowhere)
    # => 2 sales, 2 pieces, 1,250 kg, revenue 204.000 + 102.000 + 63.750 − 102.000 = 267.750,
    #    discount 36.000 + 18.000 + 11.250 − 18.000 = 47.250, all the producer's.
    s1 = _sell(a, network["a_cashier"], "SR01", [(tea, 2)], "sr01-key-0001")
    s2 = _sell(a, network["a_cashier"], "SR01", [(tea, 1), (ORANGE_CODE, "1,25")], "sr01-key-0002")
    _sell(a, network["a_cashier"], "SR01", [(tea, 1)], "sr01-key-0003")
    assert (s1.total_vnd, s2.total_vnd) == (204_000, 165_750)
    with session_scope(a.engine) as s:
        shift = s.exec(select(Shift)).one()
        void_last_sale(s, shift, "quanly", "quanly-pass", "Khách đổi ý")
        first_line = s.exec(select(SaleLine).where(SaleLine.sale_id == s1.id)).one()
        back = create_return(
            s, s1.receipt_number, {first_line.id: 1}, "cash", "Hộp móp", network["a_cashier"], shift, "sr01-ret-1"
        )
        assert back.total_vnd == 102_000
        sent = json.loads(s.exec(select(OutboxRecord).where(OutboxRecord.kind == "sale")).first().payload)  # type: ignore[union-attr]
        assert sent["lines"][0]["promotion"] == {
            "uuid": str(promotion_uuid),
            "discount_vnd": 36_000,
            "borne_by": "producer",
        }

    # The office then has the showrooms bear it: sales made from their next pull on carry that, the earlier keep theirs.
    edited = _post(office, f"/office/promotions/{promotion_id}/edit", terms("showroom"))
    assert edited.status_code == 302, edited.get_data(as_text=True)[:500]
    assert b.sync().promotions_pulled == 1

    # SR02, borne by the showroom: S4 3 tea 360.000 − 54.000 = 306.000, and a honey under SR02's own 10 %
    # (250.000 − 25.000), which is not the office's promotion and is not sent as one.
    # => 1 sale, 3 pieces, revenue 306.000, discount 54.000, all the showroom's.
    s4 = _sell(b, network["b_cashier"], "SR02", [(tea, 3), (network["b_extra"].barcode, 1)], "sr02-key-0001")
    assert s4.total_vnd == 306_000 + 225_000
    with session_scope(b.engine, write=False) as s:
        sent = json.loads(s.exec(select(OutboxRecord).where(OutboxRecord.kind == "sale")).one().payload)
        assert [ln.get("promotion") for ln in sent["lines"]] == [
            {"uuid": str(promotion_uuid), "discount_vnd": 54_000, "borne_by": "showroom"},
            None,
        ]
        assert sent["lines"][1]["discount_vnd"] == 25_000
    assert a.sync().ok and b.sync().ok
    return promotion_id, promotion_uuid  # type: ignore[return-value]


def test_two_showrooms_under_one_promotion_with_a_void_and_a_return(
    office: FlaskClient, network: dict[str, Any], central_app: Flask
) -> None:
    central = central_app.extensions[ENGINE_KEY]
    promotion_id, promotion_uuid = sell_under_one_promotion(office, network, central_app)
    with session_scope(central) as s:
        conn = s.connection()
        assert summaries.check(conn).ok
        assert dangling_references(conn) == {key: 0 for key in dangling_references(conn)}
        stored = conn.execute(
            text("SELECT count(*) FROM sale_line WHERE promotion_uuid = :u"), {"u": promotion_uuid}
        ).scalar_one()
        assert stored == 5  # S1, S2 ×2, S3 (voided, kept), S4's tea; never the honey

    page = office.get(f"/office/promotions/{promotion_id}/results")
    body = page.get_data(as_text=True)
    assert page.status_code == 200, body[:500]
    assert "Kết quả khuyến mãi “Đặc sản Suối Giàng giảm 15%”" in body and "Cửa hàng đã bán" in body
    assert _cells(body, "code") == ["SR01", "SR02", "Tổng cộng"]
    assert _cells(body, "sales") == ["2", "1", "3"]
    assert _cells(body, "qty") == ["2", "3", "5"]
    assert _cells(body, "grams") == ["1,250", "0,000", "1,250"]
    assert _cells(body, "sales_vnd") == ["267.750 ₫", "306.000 ₫", "573.750 ₫"]
    assert _cells(body, "discount_vnd") == ["47.250 ₫", "54.000 ₫", "101.250 ₫"]
    assert _cells(body, "showroom_cost_vnd") == ["0 ₫", "54.000 ₫", "54.000 ₫"]
    assert _cells(body, "producer_cost_vnd") == ["47.250 ₫", "0 ₫", "47.250 ₫"]
    listing = office.get("/office/promotions/").get_data(as_text=True)
    assert f"/office/promotions/{promotion_id}/results" in listing

    rows = _csv(office, f"/office/promotions/{promotion_id}/results.csv")
    assert [r["Mã"] for r in rows] == ["SR01", "SR02", "Tổng cộng"]
    assert [
        (
            r["Số đơn"],
            r["Số lượng (cái)"],
            r["Khối lượng (kg)"],
            r["Doanh thu"],
            r["Giảm giá khuyến mãi"],
            r["Cửa hàng chịu"],
            r["Nhà sản xuất chịu"],
        )
        for r in rows
    ] == [
        ("2", "2", "1.250", "267750", "47250", "0", "47250"),
        ("1", "3", "0.000", "306000", "54000", "54000", "0"),
        ("3", "5", "1.250", "573750", "101250", "54000", "47250"),
    ]
    xlsx = office.get(f"/office/promotions/{promotion_id}/results.xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"

    # The rebuild from the raw tables gives the same rows.
    with session_scope(central) as s:
        before = s.execute(text("SELECT * FROM summary_promotion_day ORDER BY showroom_id, day")).all()
        summaries.rebuild(s.connection())
        assert s.execute(text("SELECT * FROM summary_promotion_day ORDER BY showroom_id, day")).all() == before


def test_unknown_promotions_and_formats_are_told_not_failed(office: FlaskClient) -> None:
    assert office.get("/office/promotions/999999/results").status_code == 404
    assert office.get("/office/promotions/999999/results.csv").status_code == 404
    assert office.get("/office/promotions/1/results.pdf").status_code == 404


def test_a_sale_record_of_version_4_is_accepted_and_a_newer_one_refused(central_engine: Any) -> None:
    from pos.central import credentials
    from pos.central.api import parse_batch
    from pos.central.errors import SyncApiError
    from pos.central.ingest import ingest_batch
    from pos.central.models import Showroom as CentralShowroom
    from tests.http.test_office import TZ

    with session_scope(central_engine) as s:
        credentials.register_showroom(s, "SR09", "OCOP Hà Đông", "Hà Nội", actor="admin")
    maker = producer(str(uuid4()), "HTX Gạo Mê Linh", "Hà Nội")
    rice = product(str(uuid4()), maker, "GAO", "Gạo nếp cái hoa vàng", 80_000, 3, "thuc_pham")
    old = sale("SR09-2026-000001", datetime.now(UTC), str(uuid4()), [line(1, rice, 2)], [])
    old["payments"] = [paid("cash", old["total_vnd"])]
    document = batch_document("SR09", [Record("sale", old["uuid"], old, datetime.now(UTC))])
    document["records"][0]["v"] = 4  # written before lines named their promotion
    batch, body = parse_batch(json.dumps(document).encode())  # the API's decoding and version rule
    with session_scope(central_engine) as s:
        shop = s.exec(select(CentralShowroom).where(CentralShowroom.code == "SR09")).one()
        assert ingest_batch(s, shop, batch, body, tz=TZ).new == 1
    with session_scope(central_engine) as s:
        assert s.execute(text("SELECT promotion_uuid, promotion_discount_vnd FROM sale_line")).all() == [(None, None)]
        assert s.execute(text("SELECT count(*) FROM summary_promotion_day")).scalar_one() == 0
        assert summaries.check(s.connection()).ok
    document["records"][0]["v"] = contract.KIND_VERSIONS["sale"] + 1
    with pytest.raises(SyncApiError) as refused:
        parse_batch(json.dumps(document).encode())
    assert "Bản ghi loại sale phiên bản 6 mới hơn phiên bản máy chủ trung tâm hỗ trợ (5)" in refused.value.message
