"""Intake pages and the JSON helpers the scanner-driven form uses."""

from __future__ import annotations

import re
from uuid import uuid4

import pytest
from sqlmodel import select

from pos.audit.models import AuditEntry
from pos.catalog.models import Product
from pos.inventory.ledger import on_hand
from pos.inventory.models import Intake, StockMovement

GOOD_EAN = "8934563138165"
UNKNOWN_EAN = "8931234567897"


@pytest.fixture
def stock(make_producer, make_product):
    producer = make_producer(name="HTX Gốm Bát Tràng")
    vase = make_product(name="Bình gốm men lam", producer_id=producer.id, barcode=GOOD_EAN, is_food=False)
    tea = make_product(name="Chè búp Tân Cương", producer_id=producer.id, sku="CHE-01", is_food=True)
    return producer, vase, tea


def intake_form(producer_id, lines, **header):
    """The form as a browser without JavaScript posts it: parallel line_* lists."""
    data = {
        "producer_id": str(producer_id),
        "received_on": header.get("received_on", "01/03/2026"),
        "delivery_note_number": header.get("delivery_note_number", "PGH-01"),
        "note": "",
        "intake_uuid": header.get("intake_uuid", str(uuid4())),
    }
    for name in ("product_id", "code", "qty", "unit_cost_vnd", "lot_code", "expiry_date"):
        data[f"line_{name}"] = [line.get(name, "") for line in lines]
    return data


@pytest.mark.parametrize("path", ["/intakes", "/intakes/new"])
def test_permissions(client, auth, path) -> None:
    assert client.get(path).status_code == 302
    auth.login("cashier")
    assert client.get(path).status_code == 403
    assert client.get("/intakes/api/lookup?code=1").status_code == 403


@pytest.mark.parametrize("path", ["/intakes", "/intakes/new"])
def test_manager_sees_the_pages(client, auth, stock, path) -> None:
    auth.login("manager")
    html = client.get(path).get_data(as_text=True)
    assert "Phiếu nhập kho" in html


def test_new_intake_form_is_ready_for_a_scanner(client, auth, stock) -> None:
    auth.login("manager")
    html = client.get("/intakes/new").get_data(as_text=True)
    assert 'id="scan"' in html
    assert 'name="csrf-token"' in html
    assert "js/intake.js" in html
    assert html.count('name="line_code"') >= 5  # blank rows for typing codes without JavaScript


def test_saving_an_intake_raises_stock_and_shows_it(client, auth, stock, uow, app) -> None:
    producer, vase, tea = stock
    auth.login("manager")
    form = intake_form(
        producer.id,
        [
            {"code": GOOD_EAN, "qty": "10", "unit_cost_vnd": "300.000"},
            {},  # a row left blank
            {"code": "che-01", "qty": "4", "lot_code": "L7", "expiry_date": "31/12/2026"},
        ],
    )
    response = auth.post("/intakes/new", form)
    assert response.status_code == 302, response.get_data(as_text=True)
    intake_url = response.headers["Location"]
    assert re.search(r"/intakes/\d+$", intake_url)
    with uow() as s:
        assert on_hand(s, vase.id) == 10
        assert on_hand(s, tea.id) == 4
    html = client.get(intake_url).get_data(as_text=True)
    assert "Bình gốm men lam" in html and "Chè búp Tân Cương" in html
    assert "300.000 ₫" in html and "31/12/2026" in html
    assert "Đã lưu phiếu nhập kho số" in html
    if "labels.for_intake" in app.view_functions:
        assert "In tem mã vạch (14 tem)" in html
    listing = client.get("/intakes").get_data(as_text=True)
    assert "PGH-01" in listing and producer.name in listing


def test_a_bad_line_shows_the_form_again_and_writes_nothing(client, auth, stock, uow) -> None:
    producer, vase, tea = stock
    auth.login("manager")
    form = intake_form(
        producer.id,
        [{"product_id": str(vase.id), "qty": "5"}, {"product_id": str(tea.id), "qty": "0"}, {"code": "999"}],
    )
    response = auth.post("/intakes/new", form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Dòng 2: số lượng phải từ 1 đến 100.000; “Chè búp Tân Cương” là thực phẩm, cần nhập hạn sử dụng." in html
    assert "Dòng 3: không có sản phẩm mã “999”" in html
    assert "Bình gốm men lam" in html  # the good line is still on the form
    with uow() as s:
        assert s.exec(select(Intake)).all() == []
        assert s.exec(select(StockMovement)).all() == []


def test_absurd_header_values(client, auth, stock) -> None:
    producer, vase, _ = stock
    auth.login("manager")
    for received_on in ("32/13/2026", "01/01/2099", "<script>"):
        form = intake_form(producer.id, [{"product_id": str(vase.id), "qty": "1"}], received_on=received_on)
        response = auth.post("/intakes/new", form)
        assert response.status_code == 422
        assert "Ngày nhập kho" in response.get_data(as_text=True)
    form = intake_form("abc", [{"product_id": str(vase.id), "qty": "1"}])
    assert auth.post("/intakes/new", form).status_code == 422


def test_the_same_form_saved_twice_makes_one_intake(client, auth, stock, uow) -> None:
    producer, vase, _ = stock
    auth.login("manager")
    form = intake_form(producer.id, [{"product_id": str(vase.id), "qty": "3"}], delivery_note_number="")
    first = auth.post("/intakes/new", form, token_from="/intakes/new")
    second = auth.post("/intakes/new", form, token_from="/intakes/new")
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    with uow() as s:
        assert len(s.exec(select(Intake)).all()) == 1
        assert on_hand(s, vase.id) == 3


def test_unknown_intake_is_404(client, auth) -> None:
    auth.login("manager")
    assert client.get("/intakes/12345").status_code == 404


# --- JSON helpers -------------------------------------------------------------------------------------------------

JSON = {"Accept": "application/json"}


def test_lookup_known_unknown_and_bad_barcodes(client, auth, stock) -> None:
    producer, vase, _ = stock
    auth.login("manager")
    found = client.get(f"/intakes/api/lookup?code={GOOD_EAN}", headers=JSON)
    assert found.status_code == 200
    assert found.json["product"]["id"] == vase.id and found.json["product"]["producer_id"] == producer.id
    assert client.get("/intakes/api/lookup?code=CHE-01", headers=JSON).json["product"]["sku"] == "CHE-01"
    unknown = client.get(f"/intakes/api/lookup?code={UNKNOWN_EAN}", headers=JSON)
    assert unknown.status_code == 404 and unknown.json["unknown"] is True
    bad = client.get("/intakes/api/lookup?code=8934563138164", headers=JSON)
    assert bad.status_code == 404 and bad.json["unknown"] is False
    assert "sai số kiểm tra" in bad.json["error"]


def test_search_by_name_without_diacritics(client, auth, stock, make_product) -> None:
    producer, vase, _ = stock
    make_product(name="Bình gốm của nơi khác")
    auth.login("manager")
    response = client.get(f"/intakes/api/products?q=binh+gom&producer_id={producer.id}", headers=JSON)
    assert [p["id"] for p in response.json["products"]] == [vase.id]


def test_create_product_on_the_spot(client, auth, stock, uow) -> None:
    producer, _, _ = stock
    auth.login("manager")
    token = auth.csrf("/intakes/new")
    body = {
        "producer_id": producer.id,
        "barcode": UNKNOWN_EAN,
        "name": "Lọ gốm men ngọc",
        "price_vnd": "350.000",
        "unit": "cái",
        "ocop_group": "luu_niem",
        "ocop_stars": "4",
        "vat_class": "standard",
    }
    response = client.post("/intakes/api/products", json=body, headers={**JSON, "X-CSRFToken": token})
    assert response.status_code == 200, response.json
    draft = response.json["product"]
    assert draft["barcode"] == UNKNOWN_EAN and draft["is_food"] is False and draft["is_new"] is True
    with uow() as s:  # checked, not created: an intake abandoned now leaves no product behind
        assert s.exec(select(Product).where(Product.barcode == UNKNOWN_EAN)).first() is None

    # A failing intake (a bad second line) creates nothing and shows the new product's line again.
    bad = auth.post(
        "/intakes/new", intake_form(producer.id, [{"product_id": draft["id"], "qty": "2"}, {"code": "999"}])
    )
    assert bad.status_code == 422 and "Lọ gốm men ngọc" in bad.get_data(as_text=True)
    with uow() as s:
        assert s.exec(select(Product).where(Product.barcode == UNKNOWN_EAN)).first() is None

    # Saving the intake creates the product and receives it, in one transaction, both audited.
    saved = auth.post("/intakes/new", intake_form(producer.id, [{"product_id": draft["id"], "qty": "2"}]))
    assert saved.status_code == 302, saved.get_data(as_text=True)
    with uow() as s:
        product = s.exec(select(Product).where(Product.barcode == UNKNOWN_EAN)).one()
        assert product.price_vnd == 350_000 and product.producer_id == producer.id and on_hand(s, product.id) == 2
        entries = {e.action: e for e in s.exec(select(AuditEntry)).all()}
        assert entries["product.create"].entity_id == str(product.id)
        assert entries["intake.create"].entity == "intake"
    audit_page = client.get("/audit/").get_data(as_text=True)
    assert "Thêm sản phẩm" in audit_page and "Nhập kho" in audit_page


def test_create_product_reports_every_field(client, auth, stock) -> None:
    producer, _, _ = stock
    auth.login("manager")
    token = auth.csrf("/intakes/new")
    body = {"producer_id": producer.id, "barcode": GOOD_EAN, "name": "", "price_vnd": "abc"}
    response = client.post("/intakes/api/products", json=body, headers={**JSON, "X-CSRFToken": token})
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"barcode", "name", "price_vnd"}
    assert "đã dùng cho sản phẩm" in response.json["errors"]["barcode"]
    not_json = client.post("/intakes/api/products", data="x", headers={**JSON, "X-CSRFToken": token})
    assert not_json.status_code == 400


def test_create_product_without_csrf_is_refused(client, auth, stock) -> None:
    producer, _, _ = stock
    auth.login("manager")
    response = client.post("/intakes/api/products", json={"producer_id": producer.id, "name": "X"}, headers=JSON)
    assert response.status_code == 400
