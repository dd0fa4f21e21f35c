"""Certificates over HTTP: recorded by a manager, lapsed stars left off labels and pages, warned at home."""

from __future__ import annotations

import io
from datetime import timedelta

from pypdf import PdfReader

from pos.barcodes import instore_ean13
from pos.inventory.stock import local_today


def test_manager_records_a_re_rating_and_a_lapsed_one_loses_its_stars(auth, client, make_product) -> None:
    today = local_today("Asia/Ho_Chi_Minh")
    honey = make_product(
        name="Mật ong bạc hà Mèo Vạc",
        barcode=instore_ean13(7),
        ocop_stars=4,
        ocop_cert_expiry=today - timedelta(days=2),
    )
    auth.login("manager")
    assert "★★★★" not in client.get(f"/stock/{honey.id}").get_data(as_text=True)
    home = client.get("/").get_data(as_text=True)
    assert "Giấy chứng nhận OCOP sắp hết hạn" in home and "Mật ong bạc hà Mèo Vạc" in home

    def label_text() -> str:
        response = auth.post("/labels/", {"product_ids": [str(honey.id)]}, token_from="/labels/")
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        return " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)

    assert "★" not in label_text()

    path = f"/products/{honey.id}/certificates"
    bad = auth.post(path, {"cert_number": "", "cert_authority": "", "cert_issued_on": "x", "cert_stars": "9"})
    assert bad.status_code == 422 and "Nhập cơ quan cấp" in bad.get_data(as_text=True)
    issued = today - timedelta(days=10)
    done = auth.post(
        path,
        {
            "cert_number": "845/QĐ-UBND",
            "cert_authority": "UBND tỉnh Hà Giang",
            "cert_issued_on": issued.strftime("%d/%m/%Y"),
            "cert_stars": "5",
        },
    )
    assert done.status_code == 302
    page = client.get(path).get_data(as_text=True)
    assert "845/QĐ-UBND" in page and "Đang hiệu lực" in page
    assert "★★★★★" in client.get(f"/stock/{honey.id}").get_data(as_text=True)
    assert "Giấy chứng nhận OCOP sắp hết hạn" not in client.get("/").get_data(as_text=True)
    assert "★★★★★" in label_text()
