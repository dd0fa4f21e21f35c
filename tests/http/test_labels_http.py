"""Label pages: a PDF for chosen products, one label per unit received on an intake, and clear refusals."""

from __future__ import annotations

import io
import shutil
import subprocess
import time
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader
from sqlmodel import select

from pos.barcodes import instore_ean13
from pos.inventory.ledger import record_movement
from pos.inventory.models import Intake, IntakeLine, StockMovement
from pos.labels.views import MAX_LABELS


def pdf_pages(response) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/pdf"
    return [page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages]


def squash(text: str) -> str:
    return "".join(text.split())


@pytest.fixture
def products(make_product, make_producer):
    producer = make_producer(name="HTX Gốm sứ Bát Tràng")
    return [
        make_product(name="Bánh cốm làng Vòng", price_vnd=125_000, ocop_stars=4, barcode="8934563138165"),
        make_product(name="Mật ong bạc hà Mèo Vạc", price_vnd=350_000, ocop_stars=5, barcode=instore_ean13(7)),
        make_product(
            name="Bình gốm men lam", price_vnd=850_000, ocop_stars=3, barcode=instore_ean13(8), producer_id=producer.id
        ),
    ]


def make_intake(uow, lines: list[tuple[object, int]]) -> int:
    """An intake written the way the intake service writes one."""
    with uow() as s:
        intake = Intake(producer_id=lines[0][0].producer_id, received_on=date(2026, 11, 24))
        s.add(intake)
        s.flush()
        for n, (product, qty) in enumerate(lines, start=1):
            line = IntakeLine(intake_id=intake.id, line_no=n, product_id=product.id, qty=qty)
            s.add(line)
            s.flush()
            record_movement(
                s, StockMovement(product_id=product.id, kind="intake", qty_delta=qty, intake_line_id=line.id)
            )
        return intake.id


def test_labels_are_for_managers(client, auth, products, uow) -> None:
    intake_id = make_intake(uow, [(products[0], 1)])
    for path in ("/labels/", f"/labels/intake/{intake_id}", f"/labels/intake/{intake_id}/choose"):
        anonymous = client.get(path)
        assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    auth.login("cashier")
    assert client.get("/labels/").status_code == 403
    assert client.get(f"/labels/intake/{intake_id}").status_code == 403


def test_the_form_lists_products_and_layouts(client, auth, products) -> None:
    auth.login("manager")
    html = client.get("/labels/?q=mat+ong").get_data(as_text=True)
    assert "Mật ong bạc hà Mèo Vạc" in html and "Bánh cốm" not in html
    assert "Tem cuộn 50×30 mm" in html and "Giấy A4" in html and "Tem cuộn 40×30 mm" in html
    preselected = client.get(f"/labels/?product_id={products[2].id}&q=banh+com").get_data(as_text=True)
    assert "Bình gốm men lam" in preselected and "Bánh cốm làng Vòng" in preselected
    assert f'value="{products[2].id}" checked' in preselected


@pytest.mark.parametrize("layout", ["50x30", "40x30", "a4"])
def test_chosen_products_give_a_pdf_with_their_names(client, auth, products, layout: str) -> None:
    auth.login("manager")
    data = {
        "product_ids": [str(products[0].id), str(products[1].id)],
        f"count_{products[0].id}": "2",
        f"count_{products[1].id}": "3",
        f"count_{products[2].id}": "9",  # not ticked: no labels
        "layout": layout,
    }
    response = auth.post("/labels/", data, token_from="/labels/")
    assert response.headers["Content-Disposition"].startswith('inline; filename="tem-ma-vach-')
    assert response.headers["Content-Disposition"].endswith('.pdf"')
    pages = pdf_pages(response)
    text = squash("".join(pages))
    assert text.count(squash("Bánh cốm làng Vòng")) == 2
    assert text.count(squash("Mật ong bạc hà Mèo Vạc")) == 3
    assert "Bình gốm" not in text
    assert squash("125.000 ₫") in text and squash("350.000 ₫") in text
    assert len(pages) == (1 if layout == "a4" else 5)


def test_the_configured_layout_is_the_default(client, auth, products) -> None:
    auth.login("manager")
    response = auth.post("/labels/", {"product_ids": [str(products[0].id)]}, token_from="/labels/")
    assert len(pdf_pages(response)) == 1  # 50×30 roll: one label, one page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Chưa chọn sản phẩm nào"),
        ({"product_ids": ["999999"]}, "Chưa chọn sản phẩm nào"),
        ({"product_ids": ["abc"]}, "Chưa chọn sản phẩm nào"),
        ({"product_ids": ["{id}"], "count_{id}": "0"}, "Số tem từ 1 đến 5.000"),
        ({"product_ids": ["{id}"], "count_{id}": "-4"}, "Số tem từ 1 đến 5.000"),
        ({"product_ids": ["{id}"], "count_{id}": "mười"}, "Số tem từ 1 đến 5.000"),
        ({"product_ids": ["{id}"], "count_{id}": "5001"}, "Số tem từ 1 đến 5.000"),
        ({"product_ids": ["{id}"], "layout": "a3"}, "Khổ tem “a3” không có"),
    ],
)
def test_bad_label_requests_are_explained(client, auth, products, data, message) -> None:
    auth.login("manager")
    pid = str(products[0].id)
    form = {k.replace("{id}", pid): [v.replace("{id}", pid) for v in vals] if isinstance(vals, list) else vals
            for k, vals in data.items()}  # fmt: skip
    response = auth.post("/labels/", form, token_from="/labels/")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_too_many_labels_in_total_are_refused(client, auth, products) -> None:
    auth.login("manager")
    data = {"product_ids": [str(p.id) for p in products[:2]]}
    data.update({f"count_{p.id}": "3000" for p in products[:2]})
    response = auth.post("/labels/", data, token_from="/labels/")
    assert response.status_code == 422
    assert "vượt quá 5.000 tem" in response.get_data(as_text=True)


def test_a_product_without_barcode_is_named(client, auth, make_product) -> None:
    product = make_product(name="Nón lá làng Chuông", barcode=None)
    auth.login("manager")
    response = auth.post("/labels/", {"product_ids": [str(product.id)]}, token_from="/labels/")
    assert response.status_code == 422
    assert "“Nón lá làng Chuông” chưa có mã vạch" in response.get_data(as_text=True)


def test_intake_labels_one_per_unit_received(client, auth, products, uow) -> None:
    intake_id = make_intake(uow, [(products[0], 3), (products[1], 2), (products[2], 1)])
    auth.login("manager")
    response = client.get(f"/labels/intake/{intake_id}?layout=40x30")
    assert f'filename="tem-ma-vach-phieu-nhap-{intake_id}.pdf"' in response.headers["Content-Disposition"]
    pages = pdf_pages(response)
    assert len(pages) == 6  # a thermal roll prints one label per page
    names = Counter(next(p.name for p in products if squash(p.name) in squash(page)) for page in pages)
    assert names == {products[0].name: 3, products[1].name: 2, products[2].name: 1}


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) is not installed")
def test_intake_labels_on_a4_scan_as_their_products(client, auth, products, uow, tmp_path: Path) -> None:
    intake_id = make_intake(uow, [(products[0], 4), (products[1], 2), (products[2], 3)])
    auth.login("manager")
    response = client.get(f"/labels/intake/{intake_id}?layout=a4")
    assert len(pdf_pages(response)) == 1
    source = tmp_path / "labels.pdf"
    source.write_bytes(response.data)
    subprocess.run(["pdftoppm", "-r", "300", "-png", str(source), str(tmp_path / "page")], check=True)
    (png,) = tmp_path.glob("page*.png")
    with Image.open(png) as image:
        found = Counter(code.text for code in zxingcpp.read_barcodes(image))
    assert found == {products[0].barcode: 4, products[1].barcode: 2, products[2].barcode: 3}


def test_intake_labels_with_chosen_counts(client, auth, products, uow) -> None:
    intake_id = make_intake(uow, [(products[0], 3), (products[1], 2)])
    auth.login("manager")
    page = f"/labels/intake/{intake_id}/choose"
    html = client.get(page).get_data(as_text=True)
    assert "Bánh cốm làng Vòng" in html and 'value="3"' in html
    with uow() as s:
        lines = s.exec(select(IntakeLine).where(IntakeLine.intake_id == intake_id).order_by(IntakeLine.line_no)).all()
    response = auth.post(page, {f"count_{lines[0].id}": "1", f"count_{lines[1].id}": "0", "layout": "50x30"})
    pages = pdf_pages(response)
    assert len(pages) == 1 and squash("Bánh cốm làng Vòng") in squash(pages[0])
    nothing = auth.post(page, {f"count_{lines[0].id}": "0", f"count_{lines[1].id}": "0"})
    assert nothing.status_code == 422 and "Chưa chọn tem nào" in nothing.get_data(as_text=True)
    bad = auth.post(page, {f"count_{lines[0].id}": "x", f"count_{lines[1].id}": "1"})
    assert bad.status_code == 422 and "Số tem từ 0 đến 5.000" in bad.get_data(as_text=True)


def test_unknown_intake_and_bad_layout(client, auth, products, uow) -> None:
    intake_id = make_intake(uow, [(products[0], 1)])
    auth.login("manager")
    missing = client.get("/labels/intake/999999")
    assert missing.status_code == 404
    assert "Không tìm thấy phiếu nhập kho số 999999" in missing.get_data(as_text=True)
    assert client.get("/labels/intake/999999/choose").status_code == 404
    bad_layout = client.get(f"/labels/intake/{intake_id}?layout=<b>x</b>")
    assert bad_layout.status_code == 422
    assert "Khổ tem" in bad_layout.get_data(as_text=True) and "<b>x</b>" not in bad_layout.get_data(as_text=True)


def test_an_intake_past_the_cap_is_refused_with_a_message(client, auth, products, uow) -> None:
    intake_id = make_intake(uow, [(products[0], MAX_LABELS + 1)])
    auth.login("manager")
    response = client.get(f"/labels/intake/{intake_id}")
    assert response.status_code == 422
    assert "vượt quá 5.000 tem" in response.get_data(as_text=True)


def test_a_food_items_intake_label_shows_the_lot_and_expiry_recorded(client, auth, uow, make_product) -> None:
    gio = make_product(
        name="Giò lụa Ước Lễ 500g", price_vnd=185_000, ocop_group="thuc_pham", is_food=True, barcode=instore_ean13(9)
    )
    vase = make_product(
        name="Bình gốm men lam", price_vnd=850_000, barcode=instore_ean13(10), producer_id=gio.producer_id
    )
    intake_id = make_intake(uow, [(gio, 1), (vase, 1)])
    with uow() as s:
        line = s.exec(select(IntakeLine).where(IntakeLine.product_id == gio.id)).one()
        line.lot_code, line.expiry_date = "L2611", date(2027, 11, 30)
        s.add(line)
    auth.login("manager")
    food, other = pdf_pages(client.get(f"/labels/intake/{intake_id}?layout=50x30"))
    assert squash("Lô L2611 · HSD 30/11/2027") in squash(food)
    assert "HSD" not in other  # not food: no lot line


def test_labels_go_to_a_tspl_label_printer_and_scan_back(app, auth, products) -> None:
    from tests.fakeprinter import FakePrinter
    from tests.unit.test_tspl import parse_tspl

    auth.login("manager", "quanly")
    data = {
        "product_ids": [str(products[0].id), str(products[1].id)],
        f"count_{products[0].id}": "2",
        f"count_{products[1].id}": "3",
        "layout": "40x30",
        "send": "printer",
    }
    # No label printer set up: said in words, the ticked products and counts stay on the page.
    app.config["LABELS_PRINTER"] = ""
    response = auth.post("/labels/", data, token_from="/labels/")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Chưa cài máy in tem" in page
    assert f'name="count_{products[1].id}" value="3"' in page

    # The printer is switched off (nothing listens): a clear message, nothing lost from the page.
    off = FakePrinter()
    off.close()
    app.config["LABELS_PRINTER"] = off.address
    response = auth.post("/labels/", data, token_from="/labels/")
    page = response.get_data(as_text=True)
    assert response.status_code == 503 and "Tem chưa in" in page and "máy in tắt" in page
    assert f'name="count_{products[1].id}" value="3"' in page

    printer = FakePrinter()
    try:
        app.config["LABELS_PRINTER"] = printer.address
        response = auth.post("/labels/", data, token_from="/labels/")
        assert response.status_code == 200
        assert "Đã gửi 5 tem tới máy in tem" in response.get_data(as_text=True)
        for _ in range(200):  # the listener's thread stores the job once it has read the end of the stream
            if printer.jobs:
                break
            time.sleep(0.05)
    finally:
        printer.close()
    [job] = printer.jobs
    assert b"\x10\x04" not in job[:20]  # no ESC/POS status query ahead of a TSPL job
    commands, labels = parse_tspl(job)
    assert commands[0] == "SIZE 40 mm,30 mm"
    assert [copies for _, copies in labels] == [2, 3]
    for (image, _), product in zip(labels, products[:2], strict=True):
        found = {r.format: r.text for r in zxingcpp.read_barcodes(image.convert("L"))}
        assert found[zxingcpp.BarcodeFormat.EAN13] == product.barcode
