"""Lots through the real till and back office: FEFO at checkout, a return to its lot, an expired lot refused,
recall and removal pages, the trace by delivery note and its CSV."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from sqlmodel import select

from pos.barcodes import gtin_check_digit
from pos.inventory.intake import IntakeLineInput, receive_stock
from pos.inventory.ledger import ledger_mismatches, lot_mismatches
from pos.inventory.models import Lot
from pos.inventory.stock import local_today
from pos.sales.models import SaleLine, Shift

HEADERS = {"Accept": "application/json"}
LOT_CODE = "040000000001" + gtin_check_digit("040000000001")


@pytest.fixture
def honey(make_product, uow):
    product = make_product(name="Mật ong bạc hà Mèo Vạc", unit="hũ", price_vnd=185_000, is_food=True, barcode=None)
    today = local_today("Asia/Ho_Chi_Minh")
    with uow() as s:
        receive_stock(
            s,
            product.producer_id,
            today - timedelta(days=1),
            "PGH-2611",
            [
                IntakeLineInput(
                    product_id=product.id, qty=10, lot_code="MUON", expiry_date=today + timedelta(days=200)
                ),
                IntakeLineInput(product_id=product.id, qty=2, lot_code="SOM", expiry_date=today + timedelta(days=8)),
            ],
            None,
            today=today,
        )
    return product


@pytest.fixture
def till(auth, uow):
    cashier = auth.login("cashier", "thungan")
    with uow() as s:
        s.add(Shift(cashier_id=cashier.id, opening_float_vnd=500_000))
    token = auth.csrf("/till/")

    def call(path, body=None):
        return auth.client.post(path, json=body or {}, headers={**HEADERS, "X-CSRFToken": token})

    return call


def lots(uow) -> dict[str, int]:
    with uow() as s:
        return {lot.lot_code: lot.qty for lot in s.exec(select(Lot))}


def pay(till, auth, key: str):
    cart = auth.client.get("/till/api/cart", headers=HEADERS).get_json()
    return till(
        "/till/api/checkout",
        {
            "cart_id": cart["id"],
            "idempotency_key": key,
            "expected_total_vnd": cart["total_vnd"],
            "payments": [{"method": "transfer", "amount_vnd": cart["total_vnd"]}],
        },
    )


def test_fefo_sale_and_return_through_the_real_till(till, auth, uow, honey) -> None:
    assert till("/till/api/scan", {"code": f"3*{honey.sku}"}).status_code == 200
    sold = pay(till, auth, "0d4f7f5e-1111-4222-8333-000000000001")
    assert sold.status_code == 200, sold.get_json()
    assert lots(uow) == {"MUON": 9, "SOM": 0}  # the two that expire first, then one of the later lot

    number = sold.get_json()["receipt_number"]
    with uow() as s:
        line_id = s.exec(select(SaleLine.id)).one()
    path = f"/shifts/returns/new?receipt={number}"
    form = {"receipt_number": number, "refund_method": "cash", "reason": "Hũ nứt nắp", f"qty_{line_id}": "2"}
    review = auth.post("/shifts/returns/new", form, path)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', review.get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    done = auth.post("/shifts/returns", form | {"idempotency_key": key}, path)
    assert done.status_code == 302
    assert lots(uow) == {"MUON": 10, "SOM": 1}  # the later lot's unit first, then one of SOM's
    with uow() as s:
        assert ledger_mismatches(s) == [] and lot_mismatches(s) == []


def test_checkout_refuses_a_lot_that_expired_meanwhile(till, auth, uow, honey) -> None:
    till("/till/api/scan", {"code": f"2*{honey.sku}"})
    with uow() as s:  # the lots turn out past their date (the clock passed midnight, the label was misread)
        for lot in s.exec(select(Lot)):
            lot.expiry_date = local_today("Asia/Ho_Chi_Minh") - timedelta(days=1)
    refused = pay(till, auth, "0d4f7f5e-1111-4222-8333-000000000002")
    body = refused.get_json()
    assert refused.status_code == 409 and body["field"] == "lot"
    assert "đã hết hạn sử dụng" in body["error"] and "không được bán" in body["error"]
    assert lots(uow) == {"MUON": 10, "SOM": 2}


def test_manager_recalls_removes_and_traces_a_lot(till, auth, uow, honey) -> None:
    till("/till/api/scan", {"code": f"3*{honey.sku}"})
    number = pay(till, auth, "0d4f7f5e-1111-4222-8333-000000000003").get_json()["receipt_number"]
    auth.logout()
    auth.login("manager")
    with uow() as s:
        muon = s.exec(select(Lot).where(Lot.lot_code == "MUON")).one()
    page = auth.client.get(f"/stock/{honey.id}").get_data(as_text=True)
    assert "MUON" in page and f"/stock/lots/{muon.id}" in page and 'name="lot_id"' in page

    lot_page = f"/stock/lots/{muon.id}"
    blank = auth.post(f"{lot_page}/recall", {"recall_reason": ""}, lot_page)
    assert blank.status_code == 422 and "Nhập lý do thu hồi" in blank.get_data(as_text=True)
    assert auth.post(f"{lot_page}/recall", {"recall_reason": "Công văn 5/CV-HTX"}, lot_page).status_code == 302
    html = auth.client.get(lot_page).get_data(as_text=True)
    assert "Đã thu hồi" in html and number in html

    traced = auth.client.get("/stock/recall?note=pgh-2611").get_data(as_text=True)
    assert "MUON" in traced and "SOM" in traced and number in traced
    export = auth.client.get("/stock/recall?note=PGH-2611&format=csv")
    rows = list(csv.reader(io.StringIO(export.data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Số hóa đơn", "Ngày bán", "Giờ bán"]
    assert sorted((r[0], r[4], r[6]) for r in rows[1:-1]) == [(number, "MUON", "1"), (number, "SOM", "2")]
    assert rows[-1][0] == "Cộng" and rows[-1][6] == "3"
    assert auth.client.get(f"{lot_page}/sales.csv").status_code == 200

    bad = auth.post(f"{lot_page}/remove", {"reason": "found"}, lot_page)
    assert bad.status_code == 422
    assert auth.post(f"{lot_page}/remove", {"reason": "destroyed", "note": "BB 03"}, lot_page).status_code == 302
    assert lots(uow) == {"MUON": 0, "SOM": 0}
    assert auth.client.get("/stock/lots/999999").status_code == 404


def test_adjusting_a_food_product_with_several_lots_asks_which(auth, uow, honey) -> None:
    auth.login("manager")
    path = f"/stock/{honey.id}"
    asked = auth.post(f"{path}/adjust", {"reason": "damaged", "qty_delta": "1"}, path)
    assert asked.status_code == 422 and "chọn lô cần điều chỉnh" in asked.get_data(as_text=True)
    with uow() as s:
        som = s.exec(select(Lot).where(Lot.lot_code == "SOM")).one()
    done = auth.post(f"{path}/adjust", {"reason": "damaged", "qty_delta": "1", "lot_id": str(som.id)}, path)
    assert done.status_code == 302
    counted = auth.post(f"{path}/count", {"counted_qty": "7", "count_lot_id": str(som.id + 0)}, path)
    assert counted.status_code == 302
    assert lots(uow) == {"MUON": 10, "SOM": 7}


def test_scan_warns_of_a_lot_expiring_soon_and_the_cashier_can_pick_another(till, auth, uow, honey) -> None:
    cart = till("/till/api/scan", {"code": honey.sku}).get_json()
    (line,) = cart["lines"]
    assert line["lot"]["code"] == "SOM" and not line["lot_chosen"]
    assert line["lot_warning"].startswith("Lô SOM hết hạn ngày") and "(còn 8 ngày)" in line["lot_warning"]
    assert [lot["code"] for lot in line["lots"]] == ["SOM", "MUON"]
    with uow() as s:
        muon = s.exec(select(Lot).where(Lot.lot_code == "MUON")).one()
    picked = till(f"/till/api/lines/{line['id']}/lot", {"lot_id": muon.id}).get_json()
    assert picked["lines"][0]["lot"]["code"] == "MUON" and picked["lines"][0]["lot_warning"] is None
    assert pay(till, auth, "0d4f7f5e-1111-4222-8333-000000000004").status_code == 200
    assert lots(uow) == {"MUON": 9, "SOM": 2}
    assert till(f"/till/api/lines/{line['id']}/lot", {"lot_id": "x"}).status_code in (404, 422)


def test_a_lot_label_scanned_sells_that_lot_and_an_all_expired_product_is_refused_at_the_scan(
    till, auth, uow, honey
) -> None:
    with uow() as s:
        muon = s.exec(select(Lot).where(Lot.lot_code == "MUON")).one()
        muon.barcode = LOT_CODE  # the lot's own label
    cart = till("/till/api/scan", {"code": LOT_CODE}).get_json()
    assert cart["lines"][0]["lot"]["code"] == "MUON" and cart["lines"][0]["lot_chosen"]
    with uow() as s:
        for lot in s.exec(select(Lot)):
            lot.expiry_date = local_today("Asia/Ho_Chi_Minh") - timedelta(days=1)
    refused = till("/till/api/scan", {"code": honey.sku})
    assert refused.status_code == 409 and "đã hết hạn sử dụng" in refused.get_json()["error"]
    label = till("/till/api/scan", {"code": LOT_CODE})
    assert label.status_code == 409 and "lô MUON đã hết hạn" in label.get_json()["error"]
    assert len(auth.client.get("/till/api/cart", headers=HEADERS).get_json()["lines"]) == 1  # unchanged
