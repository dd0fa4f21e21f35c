"""Company orders over HTTP: a quote with baskets and products, its PDF, the order holding stock against the
till, transfers, the handover as a sale through the till's checkout (receipt, e-invoice to the company,
ledger, outbox), and a cancelled order giving its stock back."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from pos.baskets.services import BasketInput, save_basket
from pos.customers import services as customers
from pos.einvoice import xml as invoice_xml
from pos.einvoice.models import Invoice
from pos.inventory.ledger import ledger_mismatches, on_hand
from pos.orders.models import CompanyOrder
from pos.orders.reservations import reserved_many
from pos.sales.models import Payment, Sale, Shift
from pos.sync.models import OutboxRecord
from tests.http.test_till import HEADERS, goods, pdf_text  # noqa: F401  (fixtures)

COMPANY = {
    "phone": "0903 123 456",
    "name": "Chị Lan",
    "company_name": "Công ty TNHH Quà Việt",
    "tax_code": "0104359717",
    "address": "5 Lý Thái Tổ, Hoàn Kiếm, Hà Nội",
}


@pytest.fixture
def shop(uow, goods, auth):  # noqa: F811
    """Tea and cake in stock (10 each), a basket of 2 tea + 1 cake, a company customer, a manager logged in."""
    manager = auth.login("manager", "quanly")
    with uow() as s:
        basket = save_basket(
            s,
            BasketInput(
                name="Giỏ quà Tết Phú Quý",
                price_vnd="270.000",
                components=[(goods["tea"].sku, "2"), (goods["cake"].sku, "1")],
            ),
            showroom_name="Điểm OCOP thử",
        )
        customers.save_customer(s, dict(COMPANY), None)
    return {"basket": basket, "manager": manager, **goods}


def quote(auth, shop, **extra):
    form = {
        "customer_phone": "0903123456",
        "code_0": shop["basket"].barcode,
        "qty_0": "2",
        "code_1": shop["cake"].sku,
        "qty_1": "3",
        "discount_percent": "5",
        "handover": "delivery",
        "delivery_address": "Tầng 3, 12 Tràng Tiền",
        "due_on": "05/02/2027",
        "valid_until": "31/01/2099",
    }
    form.update(extra)
    return auth.post("/orders/new", form)


def flashed(auth, answer) -> str:
    return auth.client.get(answer.headers["Location"]).get_data(as_text=True)


def test_a_quote_becomes_an_order_holding_stock_then_a_sale(shop, auth, uow) -> None:
    bad = quote(auth, shop, customer_phone="0911111111", code_1="KHONGCO", discount_percent="90")
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    assert "Không tìm thấy khách hàng" in page and "Không tìm thấy sản phẩm có mã “KHONGCO”" in page
    assert "Chiết khấu tối đa" in page

    made = quote(auth, shop)
    assert made.status_code == 302, made.get_data(as_text=True)
    order_id = int(made.headers["Location"].rstrip("/").split("/")[-1])
    page = auth.client.get(f"/orders/{order_id}").get_data(as_text=True)
    # 2 baskets (540 000) + 3 cakes (135 000) = 675 000, 5% off: 641 250
    assert "Báo giá SR01-" in page and "641.250 ₫" in page and "Giỏ quà Tết Phú Quý" in page

    pdf = auth.client.get(f"/orders/{order_id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = pdf_text(pdf.data)
    assert "BÁO GIÁ" in text and "Công ty TNHH Quà Việt" in text and "0104359717" in text
    assert "641.250 ₫" in text and "Sáu trăm bốn mươi mốt nghìn hai trăm năm mươi đồng" in text
    assert "– 2 Chè Shan tuyết Hà Giang" in text and "Giá đã bao gồm thuế GTGT" in text

    with uow() as s:
        assert reserved_many(s) == {}  # a quote holds nothing
    assert "Đã chuyển báo giá" in flashed(
        auth, auth.post(f"/orders/{order_id}/confirm", token_from=f"/orders/{order_id}")
    )
    with uow() as s:
        held = reserved_many(s)
        assert held == {shop["tea"].id: 4, shop["cake"].id: 5}

    # The till may sell only what is not held: 6 teas, not 7.
    auth.logout()
    cashier = auth.login("cashier", "thungan")
    with uow() as s:
        s.add(Shift(cashier_id=cashier.id, opening_float_vnd=0))
    token = auth.csrf("/till/")
    scan = auth.client.post(
        "/till/api/scan", json={"code": f"7*{shop['tea'].barcode}"}, headers={**HEADERS, "X-CSRFToken": token}
    )
    assert scan.status_code == 409 and "đang giữ 4" in scan.get_json()["error"]
    ok = auth.client.post(
        "/till/api/scan", json={"code": f"6*{shop['tea'].barcode}"}, headers={**HEADERS, "X-CSRFToken": token}
    )
    assert ok.status_code == 200 and ok.get_json()["lines"][0]["reserved"] == 4
    auth.logout()
    auth.login("manager", "quanly")

    step = f"/orders/{order_id}"
    refused = flashed(auth, auth.post(f"{step}/fulfil", token_from=step))
    assert "chưa thanh toán đủ" in refused
    too_much = flashed(
        auth, auth.post(f"{step}/payments", {"kind": "deposit", "amount": "700.000", "reference": "FT1"}, step)
    )
    assert "không quá số còn phải trả (641.250 ₫)" in too_much
    deposit = {"kind": "deposit", "amount": "200.000", "reference": "FT27001", "received_on": "20/01/2027"}
    assert "Đã ghi nhận" in flashed(auth, auth.post(f"{step}/payments", deposit, step))
    balance = {"kind": "balance", "amount": "441.250", "reference": "FT27002"}
    assert "Đã ghi nhận" in flashed(auth, auth.post(f"{step}/payments", balance, step))
    no_shift = flashed(auth, auth.post(f"{step}/fulfil", token_from=step))
    assert "Chưa mở ca làm việc" in no_shift
    with uow() as s:
        s.add(Shift(cashier_id=shop["manager"].id, opening_float_vnd=0))
    done = auth.post(f"{step}/fulfil", token_from=step)
    assert done.status_code == 302 and "/till/receipts/" in done.headers["Location"]

    with uow() as s:
        order = s.get(CompanyOrder, order_id)
        sale = s.get(Sale, order.sale_id)
        assert order.status == "fulfilled" and sale.total_vnd == 641_250
        assert sorted((p.method, p.amount_vnd, p.reference) for p in s.exec(select(Payment))) == [
            ("transfer", 200_000, "FT27001"),
            ("transfer", 441_250, "FT27002"),
        ]
        assert reserved_many(s) == {}  # the sale took the stock: nothing is held, nothing counted twice
        assert (on_hand(s, shop["tea"].id), on_hand(s, shop["cake"].id)) == (6, 5)
        assert ledger_mismatches(s) == []
        invoice = s.exec(select(Invoice).where(Invoice.sale_id == sale.id)).one()
        assert [r.kind for r in s.exec(select(OutboxRecord).where(OutboxRecord.entity_uuid == str(sale.uuid)))] == [
            "sale"
        ]
        number = sale.receipt_number
    tree = invoice_xml.validate_bytes(invoice.xml)
    assert tree.findtext("DLHDon/NDHDon/NMua/MST") == "0104359717"
    assert "Công ty TNHH Quà Việt" in (tree.findtext("DLHDon/NDHDon/NMua/Ten") or "")
    receipt = pdf_text(auth.client.get(f"/till/receipts/{number}.pdf").data)
    assert "Giỏ quà Tết Phú Quý" in receipt and "641.250" in receipt
    again = flashed(auth, auth.post(f"{step}/fulfil", token_from=step))
    assert "Chỉ giao được đơn đã đặt hàng" in again  # a second click sells nothing twice


def test_an_order_needs_the_stock_and_a_cancelled_order_gives_it_back(shop, auth, uow) -> None:
    first = int(quote(auth, shop, qty_0="4", code_1="", qty_1="").headers["Location"].split("/")[-1])  # 8 teas of 10
    second = int(quote(auth, shop, qty_0="2", code_1="", qty_1="").headers["Location"].split("/")[-1])  # 4 more
    auth.post(f"/orders/{first}/confirm", token_from=f"/orders/{first}")
    page = auth.client.get(f"/orders/{second}").get_data(as_text=True)
    assert "Chưa đặt hàng được" in page and "đang giữ 8" in page
    refused = flashed(auth, auth.post(f"/orders/{second}/confirm", token_from=f"/orders/{second}"))
    assert "Không đủ hàng “Chè Shan tuyết Hà Giang”" in refused
    assert "Nhập lý do hủy" in flashed(auth, auth.post(f"/orders/{first}/cancel", {"reason": ""}, f"/orders/{first}"))
    cancelled = flashed(
        auth, auth.post(f"/orders/{first}/cancel", {"reason": "Công ty đổi kế hoạch"}, f"/orders/{first}")
    )
    assert "Đã hủy đơn" in cancelled
    assert "Đã chuyển báo giá" in flashed(auth, auth.post(f"/orders/{second}/confirm", token_from=f"/orders/{second}"))
    with uow() as s:
        assert reserved_many(s) == {shop["tea"].id: 4, shop["cake"].id: 2}
    listing = auth.client.get("/orders/?status=cancelled").get_data(as_text=True)
    assert re.search(r"Đã hủy", listing) and auth.client.get("/orders/?status=ordered").status_code == 200
