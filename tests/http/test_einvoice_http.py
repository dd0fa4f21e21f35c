"""E-invoices through the till's API and the manager's page: buyer details on request, clear refusals, the
queue page, a correction and a resend, the day's XML export."""

from __future__ import annotations

import io
import zipfile

from sqlmodel import select

from pos.einvoice import xml as invoice_xml
from pos.einvoice.models import Invoice
from pos.sales.models import Sale
from tests.http.test_till import goods as goods  # noqa: F401  (fixtures)
from tests.http.test_till import till as till  # noqa: F401


def pay(till, buyer=None, key="0d4f7f5e-1111-4222-8333-444455556666"):
    till("/till/api/scan", {"code": till.goods["tea"].barcode})
    cart = till("/till/api/cart", method="GET").get_json()
    body = {
        "cart_id": cart["id"],
        "idempotency_key": key,
        "expected_total_vnd": cart["total_vnd"],
        "payments": [{"method": "cash", "amount_vnd": 200_000}],
    }
    if buyer is not None:
        body["buyer"] = buyer
    return till("/till/api/checkout", body)


def test_a_wrong_buyer_tax_code_is_refused_and_nothing_is_written(till, uow) -> None:
    answer = pay(till, {"company": "Công ty A", "tax_code": "0100109107", "address": "Hà Nội"})
    assert answer.status_code == 422
    body = answer.get_json()
    assert body["field"] == "buyer_tax_code" and "số kiểm tra" in body["error"]
    with uow() as s:
        assert s.exec(select(Sale)).all() == [] and s.exec(select(Invoice)).all() == []


def test_markup_in_the_buyer_name_is_refused_with_a_message(till) -> None:
    answer = pay(till, {"name": "<img src=x onerror=alert(1)>"})
    assert answer.status_code == 422 and answer.get_json()["field"] == "buyer_name"


def test_a_sale_with_a_company_buyer_is_invoiced_and_printed(till, uow) -> None:
    answer = pay(till, {"company": "Công ty TNHH Quà Việt", "tax_code": "0104359717", "address": "5 Lý Thái Tổ"})
    assert answer.status_code == 200
    with uow() as s:
        invoice = s.exec(select(Invoice)).one()
    tree = invoice_xml.validate_bytes(invoice.xml)
    assert tree.findtext("DLHDon/NDHDon/NMua/MST") == "0104359717"
    assert tree.findtext("DLHDon/NDHDon/NBan/MST") == "0101234565"  # config.toml's seller
    pdf = till(answer.get_json()["receipt_url"], method="GET")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"


def test_the_manager_sees_corrects_and_resends(till, auth, uow) -> None:
    pay(till)
    with uow() as s:
        invoice = s.exec(select(Invoice)).one()
        invoice.state, invoice.reason = "rejected", "Mã số thuế người mua không tồn tại"
    auth.logout()
    auth.login("manager", "quanly")
    page = auth.client.get("/einvoice?state=rejected")
    assert page.status_code == 200 and "Mã số thuế người mua không tồn tại" in page.get_data(as_text=True)
    detail = f"/einvoice/{invoice.id}"
    bad = auth.post(f"{detail}/buyer", {"company": "Công ty B", "tax_code": "123", "address": "Huế"}, token_from=detail)
    assert bad.status_code == 422 and "Mã số thuế có 3 chữ số" in bad.get_data(as_text=True)
    good = auth.post(
        f"{detail}/buyer", {"company": "Công ty B", "tax_code": "0100109106", "address": "Huế"}, token_from=detail
    )
    assert good.status_code == 302
    with uow() as s:
        fixed = s.get(Invoice, invoice.id)
    assert (fixed.state, fixed.buyer_company, fixed.number) == ("waiting", "Công ty B", invoice.number)
    assert invoice_xml.validate_bytes(fixed.xml).findtext("DLHDon/NDHDon/NMua/Ten") == "Công ty B"
    assert auth.post(f"{detail}/resend", {}, token_from=detail).status_code == 302
    export = auth.client.get(f"/einvoice/export?day={fixed.issued_on.isoformat()}")
    names = zipfile.ZipFile(io.BytesIO(export.data)).namelist()
    assert names == [f"1{fixed.symbol}-{fixed.number:08d}.xml"]
    assert auth.client.get("/einvoice/export?day=garbage").status_code == 422


def test_a_cashier_cannot_see_the_invoice_page(till, auth) -> None:
    assert auth.client.get("/einvoice").status_code in (302, 403)
