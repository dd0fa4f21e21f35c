"""Promotions over HTTP: a manager sets one in the form, the till shows it on the line, the report counts it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pos.sales.vat import showroom_tz
from tests.http.test_till import checkout, goods, pdf_text, till  # noqa: F401  (fixtures)


def test_set_a_promotion_and_sell_under_it(till, auth, client) -> None:  # noqa: F811
    tea = till.goods["tea"]
    auth.login("manager", "quanly")
    bad = auth.post(
        "/promotions/new", {"name": "Tết", "kind": "percent", "percent": "abc", "starts": "x", "target": "product"}
    )
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "Phần trăm giảm phải" in html
    assert "Chọn ít nhất một sản phẩm" in html and "built-in method" not in html  # errors["items"], not dict.items
    now = datetime.now(UTC).astimezone(showroom_tz("Asia/Ho_Chi_Minh"))
    start, end = now - timedelta(hours=1), now + timedelta(hours=1)
    made = auth.post(
        "/promotions/new",
        {
            "name": "Chè Tết giảm 15%",
            "kind": "percent",
            "percent": "15",
            "target": "product",
            "code_0": tea.barcode,
            "starts": f"{start:%d/%m/%Y %H:%M}",
            "ends": f"{end:%d/%m/%Y %H:%M}",
            "borne_by": "producer",
            "is_active": "1",
        },
    )
    assert made.status_code == 302, made.get_data(as_text=True)
    listing = client.get("/promotions/").get_data(as_text=True)
    assert "Chè Tết giảm 15%" in listing and "Đang áp dụng" in listing and "Nhà sản xuất chịu" in listing

    auth.login("cashier", "thungan")
    cart = till("/till/api/scan", {"code": tea.barcode}).get_json()
    line = cart["lines"][0]
    assert line["promotion"]["name"] == "Chè Tết giảm 15%" and line["total_vnd"] == 102_000
    response = checkout(till, payments=[{"method": "cash", "amount_vnd": 102_000}])
    assert response.status_code == 200, response.get_json()
    text = pdf_text(client.get(response.get_json()["receipt_url"]).data)
    assert "KM: Chè Tết giảm 15% (Giảm 15%)" in text

    auth.login("manager", "quanly")
    report = client.get("/promotions/report").get_data(as_text=True)
    assert "Chè Tết giảm 15%" in report and "18.000 ₫" in report and "102.000 ₫" in report
