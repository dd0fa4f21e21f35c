"""A manager's discount approval covers the discount on the cart as it stood, over real HTTP (waitress).

The three attacks of issue 11: an approved line discount kept while the quantity falls, an approved sale
discount kept while a line is removed, an approved percentage kept while goods are added. Each must be
asked again (or refused at the hard cap) before the checkout takes the money.
"""

from __future__ import annotations

import io
import json

import pytest
from pypdf import PdfReader
from sqlmodel import select

from pos.audit.models import AuditEntry
from pos.auth.models import User
from pos.barcodes import instore_ean13
from pos.inventory.ledger import record_movement
from pos.inventory.models import StockMovement
from pos.sales.models import CartLine, Sale, SaleLine, Shift
from tests.http.till_client import Till


@pytest.fixture
def till(live_server, uow, make_user, make_product):
    """A cashier at a till with an open shift, a manager who can approve, and goods in stock."""
    cashier = make_user("thungan", "cashier", "Lê Thị Thu Ngân")
    make_user("quanly", "manager", "Trần Văn Quản Lý")
    goods = {
        "honey": make_product(name="Mật ong bạc hà", barcode=instore_ean13(11), price_vnd=35_000),
        "tea": make_product(name="Chè Shan tuyết", barcode=instore_ean13(12), price_vnd=1_250_000),
        "wine": make_product(name="Rượu Bàu Đá", barcode=instore_ean13(13), price_vnd=850_000),
        "silk": make_product(name="Khăn lụa Vạn Phúc", barcode=instore_ean13(14), price_vnd=5_000_000),
    }
    with uow() as s:
        for product in goods.values():
            record_movement(s, StockMovement(product_id=product.id, kind="intake", qty_delta=20))
        s.add(Shift(cashier_id=cashier.id, opening_float_vnd=500_000))
    client = Till(live_server.url, "thungan")
    client.goods = goods  # type: ignore[attr-defined]
    yield client
    client.http.close()


def test_an_approved_line_discount_is_asked_again_when_the_quantity_falls(till, uow) -> None:
    honey = till.goods["honey"]
    cart = till.ok("scan", {"code": f"2*{honey.barcode}"})
    line_id = cart["lines"][0]["id"]
    cart = till.approve(f"lines/{line_id}/discount", "amount", "34.000")  # 48,6% of 70.000
    assert cart["lines"][0]["discount_approved"] and cart["total_vnd"] == 36_000

    cart = till.ok(f"lines/{line_id}/qty", {"qty": 1})  # 34.000 off 35.000 would be 97%
    assert cart["lines"][0]["needs_approval"] and not cart["lines"][0]["discount_approved"]
    assert cart["needs_approval"]
    refused = till.checkout(cart)
    assert refused.status_code == 403 and refused.json()["field"] == "approval"
    assert "Mật ong bạc hà" in refused.json()["error"]
    again = till.post(
        f"lines/{line_id}/discount",
        {"kind": "amount", "value": "34.000", "manager_username": "quanly", "manager_password": "quanly-pass"},
    )
    assert again.status_code == 422 and "tối đa 50%" in again.json()["error"]  # beyond any manager's limit
    with uow() as s:
        assert s.exec(select(Sale)).all() == []
        lapsed = s.exec(select(AuditEntry).where(AuditEntry.action == "discount.approval.lapsed")).all()
    assert len(lapsed) == 1
    assert json.loads(lapsed[0].after)["base_vnd"] == 35_000


def test_an_approved_sale_discount_is_asked_again_when_a_line_is_removed(till, uow) -> None:
    till.ok("scan", {"code": till.goods["tea"].barcode})
    cart = till.ok("scan", {"code": till.goods["wine"].barcode})
    assert cart["subtotal_vnd"] == 2_100_000
    cart = till.approve("discount", "amount", "1.000.000")  # 47,6% of 2.100.000
    assert cart["sale_discount_approved"] and cart["total_vnd"] == 1_100_000

    wine = next(line for line in cart["lines"] if line["name"] == "Rượu Bàu Đá")
    cart = till.ok(f"lines/{wine['id']}/remove")  # 1.000.000 off 1.250.000 would be 80%
    assert cart["needs_approval"] and not cart["sale_discount_approved"]
    refused = till.checkout(cart)
    assert refused.status_code == 403 and refused.json()["field"] == "approval"
    assert "giảm giá cả đơn" in refused.json()["error"]
    with uow() as s:
        assert s.exec(select(Sale)).all() == []


def test_an_approved_percentage_is_asked_again_when_goods_are_added(till, uow) -> None:
    till.ok("scan", {"code": till.goods["honey"].barcode})
    cart = till.approve("discount", "percent", "50")  # 17.500 off 35.000
    assert cart["sale_discount_approved"] and cart["sale_discount_vnd"] == 17_500

    cart = till.ok("scan", {"code": till.goods["silk"].barcode})  # 50% of 5.035.000 would be 2.517.500 off
    assert cart["needs_approval"] and not cart["sale_discount_approved"]
    refused = till.checkout(cart)
    assert refused.status_code == 403 and refused.json()["field"] == "approval"
    with uow() as s:
        assert s.exec(select(Sale)).all() == []

    cart = till.approve("discount", "percent", "50")  # the manager approves again, on the cart as it stands
    assert cart["sale_discount_approved"] and cart["sale_discount_vnd"] == 2_517_500
    assert till.checkout(cart).status_code == 200


def test_an_approval_that_still_holds_is_kept_and_shown_on_the_receipt(till, uow) -> None:
    honey = till.goods["honey"]
    cart = till.ok("scan", {"code": f"2*{honey.barcode}"})
    line_id = cart["lines"][0]["id"]
    till.approve(f"lines/{line_id}/discount", "amount", "20.000")  # 28,6% of 70.000
    cart = till.ok("scan", {"code": honey.barcode})  # the same 20.000 off 105.000 is less: still approved
    assert cart["lines"][0]["discount_approved"] and not cart["needs_approval"]
    cart = till.approve("discount", "amount", "17.000")  # 20% of the 85.000 left
    done = till.checkout(cart)
    assert done.status_code == 200, done.text
    number = done.json()["receipt_number"]

    with uow() as s:
        sale = s.exec(select(Sale).where(Sale.receipt_number == number)).one()
        line = s.exec(select(SaleLine).where(SaleLine.sale_id == sale.id)).one()
        assert line.discount_approved_by_id is not None and sale.sale_discount_approved_by_id is not None
        logged = s.exec(select(AuditEntry).where(AuditEntry.action == "sale.discount.approved")).all()
    approvals = [json.loads(entry.after) for entry in logged]
    assert [(a["on"], a["amount_vnd"], a["approved_by"], a["receipt_number"]) for a in approvals] == [
        ("line:1", 20_000, "quanly", number),
        ("sale", 17_000, "quanly", number),
    ]
    pdf = till.http.get(f"/till/receipts/{number}.pdf")
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages).split())
    assert "Trần Văn Quản Lý duyệt" in text
    page = till.http.get(f"/till/receipts/{number}").text
    assert "Trần Văn Quản Lý" in page


def test_the_hard_cap_holds_at_checkout_whatever_the_cart_says(till, uow) -> None:
    cart = till.ok("scan", {"code": till.goods["honey"].barcode})
    with uow() as s:  # a state no till action leads to: 97% off, "approved" on this very base
        manager = s.exec(select(User).where(User.username == "quanly")).one()
        line = s.get(CartLine, cart["lines"][0]["id"])
        line.discount_kind, line.discount_value, line.discount_approved_by_id = "amount", 34_000, manager.id
        line.discount_approved_base_vnd, line.discount_approved_vnd = 35_000, 34_000
    cart = till.http.get("/till/api/cart", headers={"Accept": "application/json"}).json()
    assert cart["total_vnd"] == 1_000 and cart["needs_approval"]
    refused = till.checkout(cart)
    assert refused.status_code == 403 and refused.json()["field"] == "approval"
    assert "tối đa 50%" in refused.json()["error"]
    with uow() as s:
        assert s.exec(select(Sale)).all() == []


def test_an_approved_discount_on_a_basket_is_recorded_on_its_lines_and_audited(till, uow) -> None:
    """A basket is written as its components' lines: the approval reaches each of them and is audited once."""
    from pos.baskets.services import BasketInput, save_basket

    honey, tea = till.goods["honey"], till.goods["tea"]
    with uow() as s:
        basket = save_basket(
            s,
            BasketInput(
                name="Giỏ quà Tết An Khang",
                price_vnd="1.200.000",
                barcode="",
                is_active=True,
                components=[(honey.sku, "2"), (tea.sku, "1")],
            ),
            showroom_name="Điểm OCOP thử",
        )
        basket_code = basket.barcode
    cart = till.ok("scan", {"code": basket_code})
    line_id = cart["lines"][0]["id"]
    refused = till.post(f"lines/{line_id}/discount", {"kind": "percent", "value": "20"})
    assert refused.status_code == 403  # above the cashier's limit, a basket like any line
    cart = till.approve(f"lines/{line_id}/discount", "percent", "20")
    assert cart["lines"][0]["discount_approved"] and cart["total_vnd"] == 960_000
    done = till.checkout(cart)
    assert done.status_code == 200, done.text
    number = done.json()["receipt_number"]
    with uow() as s:
        sale = s.exec(select(Sale).where(Sale.receipt_number == number)).one()
        lines = s.exec(select(SaleLine).where(SaleLine.sale_id == sale.id)).all()
        manager = s.exec(select(User).where(User.username == "quanly")).one()
        assert len(lines) == 2 and {line.discount_approved_by_id for line in lines} == {manager.id}
        assert sale.discount_approved_by_id == manager.id
        logged = s.exec(select(AuditEntry).where(AuditEntry.action == "sale.discount.approved")).all()
    approvals = [json.loads(entry.after) for entry in logged]
    assert [(a["on"], a["name"], a["amount_vnd"], a["receipt_number"]) for a in approvals] == [
        ("line:1", "Giỏ quà Tết An Khang", 240_000, number)
    ]
