"""Goods sold by weight through the real till: scale labels, weights keyed in, a part returned, stock in grams."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader
from sqlmodel import select

from pos.barcodes import gtin_check_digit, instore_ean13, make_scale_label, parse_scale_label, scale_layouts
from pos.config import load_config
from pos.einvoice import xml as invoice_xml
from pos.einvoice.models import Invoice
from pos.inventory.ledger import ledger_mismatches, on_hand, record_movement
from pos.inventory.models import StockMovement
from pos.money import div_round, vat_included
from pos.sales.models import Sale, SaleLine, Shift

HEADERS = {"Accept": "application/json"}
WEIGHT_LABEL, PRICE_LABEL, _ = scale_layouts(load_config())  # 21…: weight in grams; 22…: price, with its check


@pytest.fixture
def goods(uow, make_product):
    tea = make_product(
        name="Chè Shan tuyết Hà Giang (cân)",
        barcode=instore_ean13(5),
        sold_by="weight",
        unit="kg",
        scale_plu=42,
        price_vnd=120_000,
        vat_class="reduced",
    )
    oranges = make_product(
        name="Cam Cao Phong", sold_by="weight", unit="kg", scale_plu=7, price_vnd=35_000, vat_class="reduced"
    )
    cake = make_product(name="Bánh cốm Đình Bảng", barcode=instore_ean13(6), price_vnd=45_000, vat_class="reduced")
    old = make_product(name="Giỏ mây (mã cũ)", barcode=instore_ean13(9, prefix="20"), price_vnd=50_000)
    with uow() as s:
        for product, qty in ((tea, 5_000), (oranges, 20_000), (cake, 10), (old, 3)):
            record_movement(s, StockMovement(product_id=product.id, kind="intake", qty_delta=qty))
    return {"tea": tea, "oranges": oranges, "cake": cake, "old": old}


@pytest.fixture
def till(auth, uow, goods):
    cashier = auth.login("cashier", "thungan")
    with uow() as s:
        s.add(Shift(cashier_id=cashier.id, opening_float_vnd=500_000))
    token = auth.csrf("/till/")

    def call(path, body=None):
        return auth.client.post(path, json=body or {}, headers={**HEADERS, "X-CSRFToken": token})

    return call


def cart(auth) -> dict:
    return auth.client.get("/till/api/cart", headers=HEADERS).get_json()


def test_a_weighed_sale_through_the_till_is_exact_to_the_dong(till, auth, uow, goods) -> None:
    tea, oranges, cake = goods["tea"], goods["oranges"], goods["cake"]
    label = make_scale_label(WEIGHT_LABEL, "21", 42, 350)  # the scale: 350 g of tea
    scanned = till("/till/api/scan", {"code": label})
    assert scanned.status_code == 200, scanned.get_json()
    line = scanned.get_json()["lines"][0]
    assert (line["qty"], line["qty_text"], line["unit"], line["gross_vnd"]) == (350, "0,350 kg", "kg", 42_000)
    assert line["unit_price_text"] == "120.000 ₫/kg"

    # Oranges picked by name with the weight typed in kg; a price label (22…) of the same tea; a piece by its code.
    assert till("/till/api/lines", {"product_id": oranges.id, "weight": "1,275"}).status_code == 200
    price_label = make_scale_label(PRICE_LABEL, "22", 42, 30_000)  # 30.000 ₫ of tea: 250 g
    assert till("/till/api/scan", {"code": price_label}).status_code == 200
    assert till("/till/api/scan", {"code": f"2*{cake.barcode}"}).status_code == 200
    # The tea scanned by its own code with the weight keyed in: a line of its own.
    body = till("/till/api/scan", {"code": f"0,125*{tea.barcode}"}).get_json()
    assert [(x["name"], x["qty"]) for x in body["lines"]] == [
        (tea.name, 350),
        (oranges.name, 1_275),
        (tea.name, 250),
        (cake.name, 2),
        (tea.name, 125),
    ]
    gross = [42_000, div_round(1_275 * 35_000, 1_000), 30_000, 90_000, 15_000]
    assert [x["gross_vnd"] for x in body["lines"]] == gross == [42_000, 44_625, 30_000, 90_000, 15_000]
    assert body["items"] == 6  # four weighings and two cakes
    assert body["total_vnd"] == sum(gross) == 221_625
    assert body["vat_vnd"] == vat_included(221_625, 500) == 10_554

    sold = till(
        "/till/api/checkout",
        {
            "cart_id": body["id"],
            "idempotency_key": "0d4f7f5e-1111-4222-8333-0000000000a1",
            "expected_total_vnd": body["total_vnd"],
            "payments": [{"method": "cash", "amount_vnd": 250_000}],
        },
    )
    assert sold.status_code == 200, sold.get_json()
    assert (sold.get_json()["total_vnd"], sold.get_json()["change_vnd"]) == (221_625, 28_375)
    with uow() as s:
        sale = s.exec(select(Sale)).one()
        assert (sale.total_vnd, sale.vat_vnd) == (221_625, 10_554)
        lines = s.exec(select(SaleLine).order_by(SaleLine.line_no)).all()  # type: ignore[arg-type]
        assert [(x.sold_by, x.unit, x.qty, x.unit_price_vnd, x.total_vnd) for x in lines] == [
            ("weight", "kg", 350, 120_000, 42_000),
            ("weight", "kg", 1_275, 35_000, 44_625),
            ("weight", "kg", 250, 120_000, 30_000),
            ("piece", "cái", 2, 45_000, 90_000),
            ("weight", "kg", 125, 120_000, 15_000),
        ]
        assert sum(x.vat_vnd for x in lines) == 10_554
        assert on_hand(s, tea.id) == 5_000 - 350 - 250 - 125  # grams
        assert on_hand(s, oranges.id) == 20_000 - 1_275
        assert on_hand(s, cake.id) == 8
        invoice = s.exec(select(Invoice).where(Invoice.sale_id == sale.id)).one()
    # The e-invoice states a weighed line in kg with three decimals, valid against the kept schema.
    tree = invoice_xml.validate_bytes(invoice.xml)
    items = tree.findall("DLHDon/NDHDon/DSHHDVu/HHDVu")
    assert [(i.findtext("DVTinh"), i.findtext("SLuong")) for i in items] == [
        ("kg", "0.350"),
        ("kg", "1.275"),
        ("kg", "0.250"),
        ("cái", "2"),
        ("kg", "0.125"),
    ]
    for item in items:  # quantity × price before VAT less the discount is the line's amount, to the đồng
        gross = Decimal(item.findtext("SLuong")) * Decimal(item.findtext("DGia"))
        assert abs(gross - int(item.findtext("STCKhau") or 0) - int(item.findtext("ThTien"))) <= 1
    assert int(tree.find("DLHDon/NDHDon/TToan").findtext("TgTTTBSo")) == 221_625

    # The customer brings back 150 g of the first tea: refunded in proportion, the grams go back to stock.
    number = sale.receipt_number
    path = f"/shifts/returns/new?receipt={number}"
    form = {"receipt_number": number, "refund_method": "cash", "reason": "Cân nhầm", f"qty_{lines[0].id}": "150"}
    review = auth.post("/shifts/returns/new", form, path)
    page = review.get_data(as_text=True)
    assert "0,150 kg" in page and "18.000" in page
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    assert auth.post("/shifts/returns", form | {"idempotency_key": key}, path).status_code == 302
    with uow() as s:
        assert on_hand(s, tea.id) == 5_000 - 350 - 250 - 125 + 150
        assert ledger_mismatches(s) == []
    for paper in ("80mm", "a4"):
        receipt = auth.client.get(f"/till/receipts/{number}.pdf?paper={paper}")
        assert receipt.status_code == 200
        text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(receipt.data)).pages).split())
        assert "221.625" in text and "42.000" in text and "44.625" in text, paper
        if paper == "80mm":
            assert "0,350 kg × 120.000 ₫/kg" in text and "1,275 kg × 35.000 ₫/kg" in text and "2 cái × 45.000" in text
        else:
            assert "0,350" in text and "1,275" in text, text


def test_wrong_check_digits_and_missing_weights_are_refused_and_change_nothing(till, auth, goods) -> None:
    good = make_scale_label(WEIGHT_LABEL, "21", 42, 350)
    wrong_ean = good[:-1] + str((int(good[-1]) + 1) % 10)
    refused = till("/till/api/scan", {"code": wrong_ean})
    assert refused.status_code == 422 and "sai số kiểm tra" in refused.get_json()["error"]

    price = make_scale_label(PRICE_LABEL, "22", 42, 30_000)
    body = price[:6] + str((int(price[6]) + 1) % 10) + price[7:12]  # the price check digit misprinted
    refused = till("/till/api/scan", {"code": body + gtin_check_digit(body)})
    assert refused.status_code == 422 and "sai số kiểm tra của giá" in refused.get_json()["error"]

    unknown = till("/till/api/scan", {"code": make_scale_label(WEIGHT_LABEL, "21", 999, 350)})
    assert unknown.status_code == 404 and "mã cân (PLU) 999" in unknown.get_json()["error"]

    no_weight = till("/till/api/scan", {"code": goods["tea"].barcode})
    assert no_weight.status_code == 422 and "bán theo cân" in no_weight.get_json()["error"]
    for typed, words in (("0", "lớn hơn 0"), ("2", "quá nhỏ"), ("60 kg", "vượt quá 50 kg"), ("abc", "không đọc được")):
        answer = till("/till/api/scan", {"code": f"{typed}*{goods['tea'].barcode}"})
        assert answer.status_code == 422 and words in answer.get_json()["error"], typed
    assert till("/till/api/lines", {"product_id": goods["oranges"].id}).status_code == 422
    assert till("/till/api/scan", {"code": f"0,5*{goods['cake'].barcode}"}).status_code == 422  # pieces: whole

    assert cart(auth)["lines"] == []


def test_an_instore_code_made_before_the_move_still_scans(till, auth, goods) -> None:
    answer = till("/till/api/scan", {"code": goods["old"].barcode})
    assert answer.status_code == 200 and answer.get_json()["lines"][0]["name"] == "Giỏ mây (mã cũ)"


def test_a_weighed_line_takes_a_new_weight(till, auth, goods) -> None:
    line = till("/till/api/lines", {"product_id": goods["oranges"].id, "weight": "500"}).get_json()["lines"][0]
    changed = till(f"/till/api/lines/{line['id']}/qty", {"weight": "0,75"}).get_json()["lines"][0]
    assert (changed["qty"], changed["gross_vnd"]) == (750, 26_250)
    assert till(f"/till/api/lines/{line['id']}/qty", {"weight": "0"}).status_code == 422
    assert till(f"/till/api/lines/{line['id']}/qty", {"qty": 60_000}).status_code == 422


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) is not installed")
def test_a_weighed_pack_label_carries_weight_price_per_kg_and_a_code_the_till_reads(
    client, auth, goods, tmp_path: Path
) -> None:
    tea = goods["tea"]
    auth.login("manager")
    form = {"product_ids": str(tea.id), f"count_{tea.id}": "2", f"weight_{tea.id}": "0,35", "layout": "50x30"}
    response = auth.post("/labels/", form, f"/labels/?product_id={tea.id}")
    assert response.status_code == 200 and response.mimetype == "application/pdf", response.get_data(as_text=True)
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages]
    assert len(pages) == 2
    assert "0,350 kg × 120.000 ₫/kg" in pages[0] and "42.000 ₫" in pages[0]
    source = tmp_path / "labels.pdf"
    source.write_bytes(response.data)
    subprocess.run(
        ["pdftoppm", "-r", "300", "-png", "-f", "1", "-l", "1", str(source), str(tmp_path / "p")], check=True
    )
    (png,) = tmp_path.glob("p*.png")
    with Image.open(png) as image:
        (code,) = [c.text for c in zxingcpp.read_barcodes(image)]
    label = parse_scale_label(code, scale_layouts(load_config()))
    assert label is not None and (label.item_code, label.grams) == (42, 350)

    refused = auth.post("/labels/", form | {f"weight_{tea.id}": "0"}, f"/labels/?product_id={tea.id}")
    assert refused.status_code == 422 and "Khối lượng gói" in refused.get_data(as_text=True)
