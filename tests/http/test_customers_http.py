"""Customers over HTTP: found or created by phone at the till, points used at checkout, managers' pages."""

from __future__ import annotations

import json

from tests.http.test_till import checkout, goods, till  # noqa: F401  (fixtures)


def test_a_customer_at_the_till_and_in_the_back_office(till, auth, client) -> None:  # noqa: F811
    unknown = till("/till/api/customer", {"phone": "0912 345 678"})
    assert unknown.status_code == 404 and unknown.get_json()["field"] == "name"
    assert till("/till/api/customer", {"phone": "12"}).status_code == 422
    made = till("/till/api/customer", {"phone": "0912 345 678", "name": "Chị Hoa"}).get_json()["customer"]
    assert (made["name"], made["phone"], made["points"]) == ("Chị Hoa", "0912 *** 678", 0)
    till("/till/api/scan", {"code": till.goods["tea"].barcode})
    cart = till("/till/api/cart", method="GET").get_json()
    assert cart["customer"]["name"] == "Chị Hoa"
    refused = checkout(
        till, payments=[{"method": "points", "amount_vnd": 10_000}, {"method": "cash", "amount_vnd": 110_000}]
    )
    assert refused.status_code == 409 and "chỉ còn 0 điểm" in refused.get_json()["error"]
    assert checkout(till, key="0d4f7f5e-1111-4222-8333-444455550002").status_code == 200
    again = till("/till/api/customer", {"phone": "+84912345678"}).get_json()["customer"]
    assert again["points"] == 12  # 120 000 ₫ paid earns 12 points

    assert client.get("/customers/").status_code == 403  # a cashier sees only the till's view
    auth.login("manager", "quanly")
    listing = client.get("/customers/?q=hoa").get_data(as_text=True)
    assert "Chị Hoa" in listing and "0912345678" in listing
    page = client.get("/customers/1").get_data(as_text=True)
    assert "Lịch sử mua hàng" in page and "-000001" in page
    bad = auth.post("/customers/1", {"name": "Chị Hoa", "phone": "0912345678", "company_name": "Công ty Hoa Sen"})
    assert bad.status_code == 422 and "cần mã số thuế" in bad.get_data(as_text=True)
    exported = json.loads(client.get("/customers/1/export.json").data)
    assert exported["customer"]["phone"] == "0912345678" and exported["points"][0]["points"] == 12
    assert auth.post("/customers/1/erase", token_from="/customers/1").status_code == 302
    assert client.get("/customers/1").status_code == 404
