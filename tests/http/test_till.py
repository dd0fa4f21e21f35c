"""The till over HTTP: pages by role, the JSON API, checkout, receipt PDFs, reprints and the VAT table."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from sqlmodel import select

from pos.audit.models import AuditEntry
from pos.barcodes import instore_ean13
from pos.catalog.models import VatRate
from pos.inventory.ledger import record_movement
from pos.inventory.models import StockMovement
from pos.sales.models import Sale, Shift
from pos.sales.vietqr import parse_tlv, verify_crc

HEADERS = {"Accept": "application/json"}


@pytest.fixture
def goods(uow, make_product):
    tea = make_product(name="Chè Shan tuyết Hà Giang", barcode=instore_ean13(1), price_vnd=120_000)
    cake = make_product(name="Bánh cốm Đình Bảng", barcode=instore_ean13(2), price_vnd=45_000, vat_class="reduced")
    with uow() as s:
        record_movement(s, StockMovement(product_id=tea.id, kind="intake", qty_delta=10))
        record_movement(s, StockMovement(product_id=cake.id, kind="intake", qty_delta=10))
    return {"tea": tea, "cake": cake}


@pytest.fixture
def till(auth, uow, goods):
    """A logged-in cashier with an open shift; returns a helper to call the till's JSON API."""
    cashier = auth.login("cashier", "thungan")
    with uow() as s:
        s.add(Shift(cashier_id=cashier.id, opening_float_vnd=500_000))
    token = auth.csrf("/till/")

    def call(path, body=None, method="POST"):
        if method == "GET":
            return auth.client.get(path, headers=HEADERS)
        return auth.client.post(path, json=body if body is not None else {}, headers={**HEADERS, "X-CSRFToken": token})

    call.cashier = cashier
    call.goods = goods
    return call


def pdf_text(data: bytes) -> str:
    """The PDF's text with line wraps folded into spaces (a narrow roll wraps long lines)."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


def test_anonymous_goes_to_login(client) -> None:
    response = client.get("/till/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get("/till/api/cart", headers=HEADERS).status_code in (302, 401)


def test_a_cashier_without_a_shift_is_told_to_open_one(auth) -> None:
    auth.login("cashier")
    html = auth.client.get("/till/").get_data(as_text=True)
    assert "Chưa mở ca làm việc" in html
    assert 'href="/shifts/open"' in html


def test_the_till_page_for_a_cashier_with_a_shift(till, auth) -> None:
    response = auth.client.get("/till/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="scan"' in html and "js/till.js" in html and 'name="csrf-token"' in html


def test_scan_returns_the_priced_cart(till) -> None:
    tea = till.goods["tea"]
    response = till("/till/api/scan", {"code": tea.barcode})
    assert response.status_code == 200
    cart = response.get_json()
    assert [(line["name"], line["qty"]) for line in cart["lines"]] == [("Chè Shan tuyết Hà Giang", 1)]
    again = till("/till/api/scan", {"code": f"3*{tea.barcode}"}).get_json()
    assert again["lines"][0]["qty"] == 4 and again["last_line_id"] == cart["lines"][0]["id"]
    assert again["total_vnd"] == 480_000
    assert again["vat"][0]["rate_bp"] in (800, 1000)


def test_unknown_and_malformed_codes_are_json_errors_and_change_nothing(till) -> None:
    till("/till/api/scan", {"code": till.goods["tea"].barcode})
    unknown = till("/till/api/scan", {"code": "2000000000992"})
    assert unknown.status_code == 404
    assert unknown.get_json() == {"error": "Không tìm thấy sản phẩm có mã vạch 2000000000992.", "field": "code"}
    bad = till("/till/api/scan", {"code": "2000000000013"})
    assert bad.status_code == 422 and "sai số kiểm tra" in bad.get_json()["error"]
    assert till("/till/api/scan", {"code": "x*123"}).status_code == 422
    assert till("/till/api/scan", "not an object").status_code == 422
    cart = till("/till/api/cart", method="GET").get_json()
    assert [line["qty"] for line in cart["lines"]] == [1]


def test_a_scan_the_page_script_missed_still_reaches_the_cart(till, auth) -> None:
    """The scan form posted by the browser itself (its script paused by a print, or not loaded yet)."""
    token = auth.csrf("/till/")
    tea = till.goods["tea"]
    response = auth.client.post("/till/scan", data={"code": f"2*{tea.barcode}", "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].endswith("/till/")
    unknown = auth.client.post("/till/scan", data={"code": "2000000000992", "csrf_token": token})
    assert unknown.status_code == 302
    page = auth.client.get("/till/").get_data(as_text=True)
    assert "Không tìm thấy sản phẩm có mã vạch 2000000000992." in page
    cart = till("/till/api/cart", method="GET").get_json()
    assert [(line["name"], line["qty"]) for line in cart["lines"]] == [("Chè Shan tuyết Hà Giang", 2)]
    assert auth.client.post("/till/scan", data={"code": tea.barcode}).status_code == 400  # no CSRF token


@pytest.mark.parametrize("qty", [0, -1, 10_000, "abc", None, 2.5, True])
def test_a_bad_quantity_is_a_422_json(till, qty) -> None:
    line_id = till("/till/api/scan", {"code": till.goods["tea"].barcode}).get_json()["lines"][0]["id"]
    response = till(f"/till/api/lines/{line_id}/qty", {"qty": qty})
    assert response.status_code == 422
    assert response.get_json()["field"] == "qty"
    assert till("/till/api/cart", method="GET").get_json()["lines"][0]["qty"] == 1


def test_quantity_remove_and_clear(till) -> None:
    line_id = till("/till/api/scan", {"code": till.goods["tea"].barcode}).get_json()["lines"][0]["id"]
    till("/till/api/scan", {"code": till.goods["cake"].barcode})
    assert till(f"/till/api/lines/{line_id}/qty", {"qty": "5"}).get_json()["lines"][0]["qty"] == 5
    assert [ln["name"] for ln in till(f"/till/api/lines/{line_id}/remove").get_json()["lines"]] == [
        "Bánh cốm Đình Bảng"
    ]
    assert till(f"/till/api/lines/{line_id}/remove").status_code == 404
    assert till("/till/api/clear").get_json()["lines"] == []


def test_a_post_without_the_csrf_header_is_refused(till, auth) -> None:
    response = auth.client.post("/till/api/scan", json={"code": till.goods["tea"].barcode}, headers=HEADERS)
    assert response.status_code == 400
    assert "tải lại trang" in response.get_json()["error"]


def test_search_by_name_without_diacritics(till) -> None:
    products = till("/till/api/search?q=banh%20com", method="GET").get_json()["products"]
    assert [(p["name"], p["on_hand"]) for p in products] == [("Bánh cốm Đình Bảng", 10)]
    added = till("/till/api/lines", {"product_id": products[0]["id"]}).get_json()
    assert added["lines"][0]["name"] == "Bánh cốm Đình Bảng"


def test_discount_above_the_limit_needs_a_manager(till, make_user) -> None:
    make_user("quanly", "manager")
    till("/till/api/scan", {"code": till.goods["tea"].barcode})
    refused = till("/till/api/discount", {"kind": "percent", "value": "15"})
    assert refused.status_code == 403 and refused.get_json()["field"] == "approval"
    wrong = till(
        "/till/api/discount", {"kind": "percent", "value": "15", "manager_username": "quanly", "manager_password": "x"}
    )
    assert wrong.status_code == 403 and "Sai tên đăng nhập" in wrong.get_json()["error"]
    ok = till(
        "/till/api/discount",
        {"kind": "percent", "value": "15", "manager_username": "quanly", "manager_password": "quanly-pass"},
    ).get_json()
    assert (ok["sale_discount_vnd"], ok["total_vnd"], ok["sale_discount_approved"]) == (18_000, 102_000, True)
    too_much = till(
        "/till/api/discount",
        {"kind": "amount", "value": "70.000", "manager_username": "quanly", "manager_password": "quanly-pass"},
    )
    assert too_much.status_code == 422
    assert till("/till/api/discount", {"kind": "amount", "value": "12.000"}).get_json()["total_vnd"] == 108_000
    assert till("/till/api/discount", {"kind": "", "value": ""}).get_json()["total_vnd"] == 120_000


def test_park_and_resume(till) -> None:
    till("/till/api/scan", {"code": till.goods["tea"].barcode})
    fresh = till("/till/api/park", {"label": "Khách áo xanh"}).get_json()
    assert fresh["lines"] == [] and fresh["parked_count"] == 1
    parked = till("/till/api/parked", method="GET").get_json()["parked"]
    assert [(p["label"], p["total_vnd"]) for p in parked] == [("Khách áo xanh", 120_000)]
    back = till(f"/till/api/parked/{parked[0]['id']}/resume").get_json()
    assert [line["name"] for line in back["lines"]] == ["Chè Shan tuyết Hà Giang"] and back["parked_count"] == 0


def test_vietqr_for_the_transfer_amount(till) -> None:
    data = till("/till/api/vietqr?amount=165000", method="GET").get_json()
    assert verify_crc(data["payload"])
    fields = parse_tlv(data["payload"])
    assert fields["54"] == "165000"
    assert (
        parse_tlv(fields["62"])["08"]
        == data["receipt_number"]
        == data["receipt_number"][:5] + data["receipt_number"][5:]
    )
    assert data["svg"].startswith("<svg") or "<svg" in data["svg"][:200]
    assert till("/till/api/vietqr?amount=0", method="GET").status_code == 422


def checkout(till, key="0d4f7f5e-1111-4222-8333-444455556666", payments=None, expected=None, **extra):
    cart = till("/till/api/cart", method="GET").get_json()
    return till(
        "/till/api/checkout",
        {
            "cart_id": cart["id"],
            "idempotency_key": key,
            "expected_total_vnd": cart["total_vnd"] if expected is None else expected,
            "payments": payments or [{"method": "cash", "amount_vnd": 200_000}],
            **extra,
        },
    )


def test_checkout_records_the_sale_once(till, auth, uow) -> None:
    till("/till/api/scan", {"code": till.goods["tea"].barcode})
    cart_id = till("/till/api/scan", {"code": till.goods["cake"].barcode}).get_json()["id"]
    response = checkout(till)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["receipt_number"].endswith("-000001")
    assert (body["total_vnd"], body["change_vnd"], body["tendered_vnd"]) == (165_000, 35_000, 200_000)
    assert body["cart"]["lines"] == []
    assert body["receipt_url"] == f"/till/receipts/{body['receipt_number']}.pdf"
    # The same request again (double Enter, a retry after a lost answer) returns the same sale.
    again = till(
        "/till/api/checkout",
        {
            "cart_id": cart_id,
            "idempotency_key": "0d4f7f5e-1111-4222-8333-444455556666",
            "payments": [{"method": "cash", "amount_vnd": 200_000}],
        },
    )
    assert again.status_code == 200 and again.get_json()["receipt_number"] == body["receipt_number"]
    with uow() as s:
        assert len(s.exec(select(Sale)).all()) == 1


def test_checkout_refusals_are_json_and_write_nothing(till, uow) -> None:
    till("/till/api/scan", {"code": till.goods["tea"].barcode})
    short = checkout(till, payments=[{"method": "cash", "amount_vnd": "100.000"}])
    assert short.status_code == 422 and "Số tiền khách đưa chưa đủ" in short.get_json()["error"]
    stale = checkout(till, expected=100_000)
    assert stale.status_code == 409 and stale.get_json()["field"] == "total"
    assert checkout(till, payments=[{"method": "cheque", "amount_vnd": 120_000}]).status_code == 422
    assert checkout(till, payments="cash").status_code == 422
    assert checkout(till, key="").status_code == 422
    card_without_ref = checkout(till, payments=[{"method": "card", "amount_vnd": 120_000}])
    assert card_without_ref.status_code == 422
    with uow() as s:
        assert s.exec(select(Sale)).all() == []


def test_the_receipt_language_travels_with_the_checkout(till, app, uow) -> None:
    till("/till/api/scan", {"code": till.goods["tea"].barcode})
    for bad in ("fr", ["en"], "EN"):
        refused = checkout(till, receipt_language=bad)
        assert refused.status_code == 422 and refused.get_json()["field"] == "receipt_language", bad
    english = checkout(till, receipt_language="en")
    assert english.status_code == 200, english.get_json()
    app.config["RECEIPT_LANGUAGE"] = "vi+en"  # [receipt] language: what a sale gets unless the cashier picks
    till("/till/api/scan", {"code": till.goods["cake"].barcode})
    default = checkout(till, key="0d4f7f5e-2222-4222-8333-444455556666")
    assert default.status_code == 200, default.get_json()
    with uow() as s:
        assert [sale.receipt_language for sale in s.exec(select(Sale).order_by(Sale.id))] == ["en", "vi+en"]


def test_checkout_without_a_shift_is_refused(till, uow) -> None:
    till("/till/api/scan", {"code": till.goods["tea"].barcode})
    with uow() as s:
        for shift in s.exec(select(Shift)):
            shift.status = "closed"
    refused = checkout(till)
    assert refused.status_code == 400 and "Chưa mở ca làm việc" in refused.get_json()["error"]


def test_receipt_pdf_reads_back_with_names_and_totals(till, auth) -> None:
    till("/till/api/scan", {"code": till.goods["tea"].barcode})
    till("/till/api/scan", {"code": till.goods["cake"].barcode})
    number = checkout(
        till, payments=[{"method": "transfer", "amount_vnd": 65_000}, {"method": "cash", "amount_vnd": 100_000}]
    ).get_json()["receipt_number"]
    for paper in ("80mm", "58mm", "a4"):
        response = auth.client.get(f"/till/receipts/{number}.pdf?paper={paper}")
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        text = pdf_text(response.data)
        for expected in (
            number,
            "Chè Shan tuyết Hà Giang",
            "Bánh cốm Đình Bảng",
            "165.000",
            "Thu ngân: Thungan",
            "Bằng chữ: Một trăm sáu mươi lăm nghìn đồng",
        ):
            assert expected in text, (paper, expected)
        assert "BẢN SAO" not in text
    assert auth.client.get(f"/till/receipts/{number}.pdf?paper=a5").status_code == 422
    assert auth.client.get(f"/till/receipts/{number}.pdf?copy=1").status_code == 404  # not reprinted yet


def test_reprint_is_marked_counted_and_audited(till, auth, uow) -> None:
    till("/till/api/scan", {"code": till.goods["tea"].barcode})
    number = checkout(till).get_json()["receipt_number"]
    page = auth.client.get(f"/till/receipts/{number}")
    assert page.status_code == 200 and "In lại hóa đơn (BẢN SAO)" in page.get_data(as_text=True)
    response = auth.post(f"/till/receipts/{number}/reprint", {"paper": "80mm"}, token_from=f"/till/receipts/{number}")
    assert response.status_code == 302
    copy = auth.client.get(response.headers["Location"])
    text = pdf_text(copy.data)
    assert "BẢN SAO" in text and "Chè Shan tuyết Hà Giang" in text
    with uow() as s:
        assert s.exec(select(Sale)).one().reprint_count == 1
        assert s.exec(select(AuditEntry).where(AuditEntry.action == "receipt.reprint")).one().entity_id
    second = auth.post(f"/till/receipts/{number}/reprint", {}, token_from=f"/till/receipts/{number}")
    assert "copy=2" in second.headers["Location"]


def test_receipt_lookup_by_number_scan_and_day(till, auth) -> None:
    till("/till/api/scan", {"code": till.goods["tea"].barcode})
    number = checkout(till).get_json()["receipt_number"]
    scanned = auth.client.get(f"/till/receipts?q={number.lower()}")
    assert scanned.status_code == 302 and scanned.headers["Location"].endswith(f"/till/receipts/{number}")
    today = auth.client.get("/till/receipts").get_data(as_text=True)
    assert number in today and "120.000 ₫" in today
    partial = auth.client.get("/till/receipts?q=000001").get_data(as_text=True)
    assert number in partial
    assert "Ngày không hợp lệ" in auth.client.get("/till/receipts?date=31/02/2026").get_data(as_text=True)
    assert number not in auth.client.get("/till/receipts?date=01/01/2020").get_data(as_text=True)
    assert auth.client.get("/till/receipts/SR01-1999-000001").status_code == 404


def test_a_cashier_cannot_open_the_vat_rates(auth) -> None:
    auth.login("cashier")
    assert auth.client.get("/till/vat-rates").status_code == 403


def test_a_manager_extends_the_vat_rates(auth, uow) -> None:
    auth.login("manager")
    page = auth.client.get("/till/vat-rates").get_data(as_text=True)
    assert "Nghị quyết 204/2025/QH15" in page and "Đang áp dụng" in page
    bad = auth.post(
        "/till/vat-rates", {"vat_class": "standard", "valid_from": "01/01/2030", "rate": "abc", "note": "x"}
    )
    assert bad.status_code == 422 and 'value="abc"' in bad.get_data(as_text=True)
    bad_day = auth.post("/till/vat-rates", {"vat_class": "standard", "valid_from": "32/13/2030", "rate": "9"})
    assert bad_day.status_code == 422 and "Ngày không hợp lệ" in bad_day.get_data(as_text=True)
    ok = auth.post("/till/vat-rates", {"vat_class": "standard", "valid_from": "01/01/2030", "rate": "9", "note": "Thử"})
    assert ok.status_code == 302
    duplicate = auth.post(
        "/till/vat-rates", {"vat_class": "standard", "valid_from": "2030-01-01", "rate": "9", "note": ""}
    )
    assert duplicate.status_code == 409
    with uow() as s:
        assert s.exec(select(VatRate).where(VatRate.rate_bp == 900)).one().note == "Thử"
        assert s.exec(select(AuditEntry).where(AuditEntry.action == "vat_rate.create")).one()
