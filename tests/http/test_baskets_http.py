"""Gift baskets over HTTP: a manager defines and assembles one, a cashier sells it at the till, the receipt."""

from __future__ import annotations

from sqlmodel import select

from pos.baskets.models import SaleBasket
from pos.inventory.ledger import on_hand
from tests.http.test_till import checkout, goods, pdf_text, till  # noqa: F401  (fixtures)


def test_define_assemble_sell_and_print_a_basket(till, auth, uow, client) -> None:  # noqa: F811
    tea, cake = till.goods["tea"], till.goods["cake"]
    auth.login("manager", "quanly")
    bad = auth.post("/baskets/new", {"name": "", "price_vnd": "abc", "code_0": "999"})
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert "Chưa nhập tên sản phẩm" in html and "Không tìm thấy sản phẩm có mã" in html
    made = auth.post(
        "/baskets/new",
        {
            "name": "Giỏ quà Xuân",
            "price_vnd": "270.000",
            "code_0": tea.barcode,
            "qty_0": "2",
            "code_1": cake.sku,
            "is_active": "1",
        },
    )
    assert made.status_code == 302, made.get_data(as_text=True)
    page = client.get(made.headers["Location"]).get_data(as_text=True)
    assert "Giỏ quà Xuân" in page and "Còn đủ hàng để đóng 5 giỏ" in page
    basket_id = int(made.headers["Location"].rstrip("/").split("/")[-1])
    assert (
        auth.post(f"/baskets/{basket_id}/assemble", {"qty": "2"}, token_from=f"/baskets/{basket_id}").status_code == 302
    )
    too_many = auth.post(f"/baskets/{basket_id}/disassemble", {"qty": "3"}, token_from=f"/baskets/{basket_id}")
    assert "Chỉ còn 2 giỏ" in client.get(too_many.headers["Location"]).get_data(as_text=True)
    listing = client.get("/baskets/").get_data(as_text=True)
    assert "Giỏ quà Xuân" in listing and "285.000 ₫" in listing  # retail: 2 × 120 000 + 45 000

    with uow() as s:
        from pos.catalog.models import Product

        basket = s.get(Product, basket_id)
        assert (on_hand(s, basket_id), on_hand(s, tea.id), on_hand(s, cake.id)) == (2, 6, 8)

    auth.login("cashier", "thungan")
    cart = till("/till/api/scan", {"code": basket.barcode}).get_json()
    assert [(ln["name"], ln["is_basket"], ln["total_vnd"]) for ln in cart["lines"]] == [("Giỏ quà Xuân", True, 270_000)]
    # VAT per component's rate: 240 000 of tea at 8% and 30 000 of cake at 5% (split 240:45 of 270 000)
    assert [(v["rate_bp"], v["gross_vnd"]) for v in cart["vat"]] == [(800, 227_368), (500, 42_632)]
    response = checkout(till, payments=[{"method": "cash", "amount_vnd": 300_000}])
    assert response.status_code == 200, response.get_json()
    number = response.get_json()["receipt_number"]
    with uow() as s:
        assert s.exec(select(SaleBasket)).one().assembled_qty == 1
        assert (on_hand(s, basket_id), on_hand(s, tea.id), on_hand(s, cake.id)) == (1, 6, 8)
    plain = pdf_text(client.get(f"/till/receipts/{number}.pdf").data)
    assert "Giỏ quà Xuân" in plain and "Chè Shan tuyết" not in plain
    full = pdf_text(client.get(f"/till/receipts/{number}.pdf?contents=1").data)
    assert "– 2 Chè Shan tuyết Hà Giang" in full and "– 1 Bánh cốm Đình Bảng" in full
