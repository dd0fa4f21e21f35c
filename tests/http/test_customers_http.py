"""Customers over HTTP: found or created by phone at the till, points used at checkout, managers' pages."""

from __future__ import annotations

import json

from pos.customers.models import Customer
from tests.http.test_till import checkout, goods, till  # noqa: F401  (fixtures)


def test_a_customer_at_the_till_and_in_the_back_office(till, auth, client, uow) -> None:  # noqa: F811
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
    assert 'data-confirm="Xóa vĩnh viễn' in page  # erasing asks first: one click cannot lose a customer
    bad = auth.post("/customers/1", {"name": "Chị Hoa", "phone": "0912345678", "company_name": "Công ty Hoa Sen"})
    assert bad.status_code == 422 and "cần mã số thuế" in bad.get_data(as_text=True)
    with uow() as s:  # a loyal customer's points read as the shop reads a number: 1.250, not 1250
        s.get(Customer, 1).points = 1_250
    assert "<strong>1.250</strong> (= " in client.get("/customers/1").get_data(as_text=True)
    assert '<td class="num">1.250</td>' in client.get("/customers/").get_data(as_text=True)
    exported = json.loads(client.get("/customers/1/export.json").data)
    assert exported["customer"]["phone"] == "0912345678" and exported["points"][0]["points"] == 12
    assert auth.post("/customers/1/erase", token_from="/customers/1").status_code == 302
    assert client.get("/customers/1").status_code == 404


def _return(auth, uow, number: str, qty: int) -> None:
    """Bring ``qty`` of the receipt's first line back through the shift's return pages."""
    import re

    from sqlmodel import select

    from pos.sales.models import Sale, SaleLine

    with uow() as s:
        sale = s.exec(select(Sale).where(Sale.receipt_number == number)).one()
        line_id = s.exec(select(SaleLine.id).where(SaleLine.sale_id == sale.id)).first()
    path = f"/shifts/returns/new?receipt={number}"
    form = {"receipt_number": number, "refund_method": "cash", "reason": "Khách đổi ý", f"qty_{line_id}": str(qty)}
    review = auth.post("/shifts/returns/new", form, path)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', review.get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    assert auth.post("/shifts/returns", form | {"idempotency_key": key}, path).status_code == 302


def test_a_return_takes_back_the_points_its_refund_earned_never_below_zero(till, auth, uow) -> None:  # noqa: F811
    from sqlmodel import select

    from pos.audit.models import AuditEntry
    from pos.customers.models import LoyaltyEntry

    def balance() -> int:
        return till("/till/api/customer", {"phone": "0912345678"}).get_json()["customer"]["points"]

    till("/till/api/customer", {"phone": "0912 345 678", "name": "Chị Hoa"})
    till("/till/api/scan", {"code": f"2*{till.goods['tea'].barcode}"})
    sold = checkout(
        till, key="0d4f7f5e-1111-4222-8333-444455550010", payments=[{"method": "cash", "amount_vnd": 240_000}]
    )
    number = sold.get_json()["receipt_number"]
    assert balance() == 24  # 240 000 ₫ earns 24 points
    _return(auth, uow, number, 1)
    assert balance() == 12  # half the sale refunded: half its points back

    till("/till/api/customer", {"phone": "0912345678"})  # she spends 10 of them on a cake
    till("/till/api/scan", {"code": till.goods["cake"].barcode})
    spent = checkout(
        till,
        key="0d4f7f5e-1111-4222-8333-444455550011",
        payments=[{"method": "points", "amount_vnd": 1_000}, {"method": "cash", "amount_vnd": 44_000}],
    )
    assert spent.status_code == 200, spent.get_json()
    assert balance() == 12 - 10 + 4
    _return(auth, uow, number, 1)  # 12 more are due, 6 are left: 6 are taken, 6 forgiven, never below 0
    assert balance() == 0
    with uow() as s:
        back = s.exec(select(LoyaltyEntry).where(LoyaltyEntry.kind == "return").order_by(LoyaltyEntry.id)).all()
        assert [e.points for e in back] == [-12, -6] and all(e.return_id for e in back)
        short = s.exec(select(AuditEntry).where(AuditEntry.action == "customer.points.short")).one()
        assert json.loads(short.after)["forgiven"] == 6
