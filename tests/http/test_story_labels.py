"""Bilingual labels with a traceability QR: the QR decoded by zxing-cpp, both names read back with pypdf."""

from __future__ import annotations

import io
import subprocess

import zxingcpp
from PIL import Image
from pypdf import PdfReader

from pos.barcodes import instore_ean13
from pos.catalog.story import Story, save_story

URL = "https://truyxuat.hagiang.gov.vn/sp/mat-ong-bac-ha-meo-vac"


def test_a_bilingual_label_carries_a_qr_of_the_trace_link(auth, make_product, uow, tmp_path) -> None:
    honey = make_product(name="Mật ong bạc hà Mèo Vạc", barcode=instore_ean13(77), price_vnd=185_000)
    with uow() as s:
        save_story(s, honey.id, Story(name_en="Meo Vac mint honey", trace_url=URL))
    auth.login("manager")
    for layout in ("50x30", "40x30", "a4"):
        form = {"product_ids": [str(honey.id)], "layout": layout, "bilingual": "1", "trace_qr": "1"}
        response = auth.post("/labels/", form, token_from="/labels/")
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        text = " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages).split())
        assert "Mật ong bạc hà Mèo Vạc" in text and "Meo Vac mint honey" in text
        pdf = tmp_path / f"label-{layout}.pdf"
        pdf.write_bytes(response.data)
        subprocess.run(
            ["pdftoppm", "-r", "600", "-gray", "-png", "-singlefile", str(pdf), str(pdf.with_suffix(""))], check=True
        )
        found = {r.text: r.format.name for r in zxingcpp.read_barcodes(Image.open(pdf.with_suffix(".png")))}
        assert found.get(URL) == "QRCode", (layout, found)
        assert found.get(honey.barcode) == "EAN13", (layout, found)  # the QR leaves the bars readable

    plain = auth.post("/labels/", {"product_ids": [str(honey.id)]}, token_from="/labels/")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(plain.data)).pages)
    assert "Meo Vac mint honey" not in text  # only on request
