"""OCOP stars on the receipt only while the product's certificate is valid on the day of the sale."""

from __future__ import annotations

from datetime import timedelta

from pos.catalog.models import Product
from pos.inventory.stock import local_today
from tests.http.test_till import checkout, goods, pdf_text, till  # noqa: F401  (fixtures)


def test_stars_print_for_a_valid_certificate_and_not_for_a_lapsed_one(till, auth, uow) -> None:  # noqa: F811
    today = local_today("Asia/Ho_Chi_Minh")
    tea, cake = till.goods["tea"], till.goods["cake"]
    with uow() as s:
        valid, lapsed = s.get(Product, tea.id), s.get(Product, cake.id)
        valid.ocop_stars, valid.ocop_cert_expiry = 4, today + timedelta(days=30)
        lapsed.ocop_stars, lapsed.ocop_cert_expiry = 5, today - timedelta(days=1)
    till("/till/api/scan", {"code": tea.barcode})
    cart = till("/till/api/scan", {"code": cake.barcode}).get_json()
    sale = checkout(till, payments=[{"method": "cash", "amount_vnd": cart["total_vnd"]}])
    assert sale.status_code == 200, sale.get_json()
    for paper in ("80mm", "a4"):
        text = pdf_text(auth.client.get(f"{sale.get_json()['receipt_url']}?paper={paper}").data)
        assert "Chè Shan tuyết Hà Giang" in text and "Bánh cốm Đình Bảng" in text
        assert ("OCOP ★★★★" in text) if paper == "80mm" else ("OCOP 4★" in text), text
        assert "★★★★★" not in text and "5★" not in text  # the lapsed certificate's stars stay off
