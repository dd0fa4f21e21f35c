"""Report pages, exports and the settlement pages over HTTP, on the known history of test_reports."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from pypdf import PdfReader
from sqlmodel import Session, select

from pos.inventory.ledger import on_hand
from pos.reports.queries import REPORTS
from pos.settlement.models import Settlement
from tests.unit.test_reports import History, build_history

MARCH = {"from": "01/03/2025", "to": "31/03/2025"}


@pytest.fixture
def history(uow: Any) -> History:
    with uow() as s:
        return build_history(s)


def test_reports_need_a_manager(client: Any, auth: Any) -> None:
    assert client.get("/reports/").status_code == 302  # to the login page
    assert client.get("/settlements/").status_code == 302
    auth.login("cashier")
    assert client.get("/reports/products").status_code == 403
    assert client.get("/reports/products/export.csv").status_code == 403
    assert client.get("/settlements/").status_code == 403
    assert client.get("/settlements/return-to-producer").status_code == 403


def test_every_report_page_and_export_answers(history: History, client: Any, auth: Any) -> None:
    auth.login("manager")
    index = client.get("/reports/").get_data(as_text=True)
    for name, spec in REPORTS.items():
        assert f"/reports/{name}" in index
        page = client.get(f"/reports/{name}", query_string=MARCH)
        assert page.status_code == 200, name
        html = page.get_data(as_text=True)
        assert spec.title.split()[0] in html
        assert "Cách tính:" in html
        assert "<script>" not in html and ' style="' not in html  # the CSP forbids both
        for fmt in ("csv", "xlsx"):
            export = client.get(f"/reports/{name}/export.{fmt}", query_string=MARCH)
            assert export.status_code == 200, (name, fmt)
            assert "attachment" in export.headers["Content-Disposition"]


def test_product_report_shows_the_figures_and_the_period(history: History, client: Any, auth: Any) -> None:
    auth.login("manager")
    html = client.get("/reports/products", query_string=MARCH).get_data(as_text=True)
    assert "Kỳ báo cáo: 01/03/2025 – 31/03/2025" in html
    assert "Chè búp đặc biệt 500g" in html
    assert "725.000 ₫" in html and "1.507.000 ₫" in html
    assert "không tính đơn đã hủy" in html.lower()


def test_chart_data_travels_in_a_data_attribute(history: History, client: Any, auth: Any) -> None:
    auth.login("manager")
    html = client.get("/reports/daily", query_string=MARCH).get_data(as_text=True)
    assert 'data-chart="{&#34;type&#34;: &#34;line&#34;' in html
    assert "/static/js/charts.js" in html
    script = client.get("/static/js/charts.js")
    assert script.status_code == 200
    script.close()  # a static file response holds the file open until closed


def test_csv_export_is_excel_friendly(history: History, client: Any, auth: Any) -> None:
    auth.login("manager")
    response = client.get("/reports/producers/export.csv", query_string=MARCH)
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"  # once, not twice
    assert 'filename="bao-cao-producers-20250301-20250331.csv"' in response.headers["Content-Disposition"]
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    assert "HTX Chè Tân Cương" in body.decode("utf-8-sig")


def test_a_bad_date_keeps_the_page_and_says_why(history: History, client: Any, auth: Any) -> None:
    auth.login("manager")
    page = client.get("/reports/daily", query_string={"from": "31/02/2025", "to": "x"})
    assert page.status_code == 200
    assert "Ngày không hợp lệ" in page.get_data(as_text=True)
    assert client.get("/reports/daily/export.csv", query_string={"from": "99/99/9999"}).status_code == 422
    assert client.get("/reports/nope").status_code == 404
    assert client.get("/reports/daily/export.pdf").status_code == 404


def test_settlement_preview_close_pdf_and_paid(history: History, client: Any, auth: Any, engine: Any) -> None:
    auth.login("manager")
    a = history.producers["A"].id
    listing = client.get("/settlements/", query_string={"producer_id": a}).get_data(as_text=True)
    assert "HTX Chè Tân Cương" in listing
    preview = client.get("/settlements/preview", query_string={"producer_id": a, **MARCH})
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "1.076.000 ₫" in html and "269.000 ₫" in html and "khớp" in html
    draft = client.get("/settlements/preview.pdf", query_string={"producer_id": a, **MARCH})
    assert draft.mimetype == "application/pdf"
    assert "BẢN NHÁP" in "".join(p.extract_text() for p in PdfReader(io.BytesIO(draft.data)).pages)

    path = f"/settlements/preview?producer_id={a}&from=01/03/2025&to=31/03/2025"
    closed = auth.post("/settlements/", {"producer_id": a, **MARCH}, token_from=path)
    assert closed.status_code == 302
    with Session(engine) as s:
        settlement = s.exec(select(Settlement)).one()
    assert closed.headers["Location"].endswith(f"/settlements/{settlement.id}")
    page = client.get(f"/settlements/{settlement.id}").get_data(as_text=True)
    assert settlement.number in page and "Đã chốt" in page

    pdf = client.get(f"/settlements/{settlement.id}/pdf")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert settlement.number in text and "1.076.000 ₫" in text and "HTX Chè Tân Cương" in text

    again = auth.post("/settlements/", {"producer_id": a, **MARCH}, token_from=path, headers={"Referer": path})
    assert again.status_code == 302 and "/settlements/preview" in again.headers["Location"]
    assert "trùng với biên bản" in client.get(again.headers["Location"]).get_data(as_text=True)
    with Session(engine) as s:
        assert len(s.exec(select(Settlement)).all()) == 1

    show = f"/settlements/{settlement.id}"
    assert auth.post(f"{show}/paid", {"reference": "UNC 123"}, token_from=show).status_code == 302
    assert "Đã thanh toán" in client.get(show).get_data(as_text=True)


def test_settlement_refuses_bad_input_without_a_500(history: History, client: Any, auth: Any) -> None:
    auth.login("manager")
    for args in ({"producer_id": "x"}, {"producer_id": "1", "from": "1/13/2025", "to": "31/03/2025"}, {}):
        response = client.get("/settlements/preview", query_string=args)
        assert response.status_code == 302
    assert client.get("/settlements/preview", query_string={"producer_id": 999, **MARCH}).status_code == 404
    assert client.get("/settlements/999").status_code == 404
    assert client.get("/settlements/preview.pdf", query_string={"producer_id": 1}).status_code == 422


def test_return_to_producer_form(history: History, client: Any, auth: Any, engine: Any) -> None:
    auth.login("manager")
    b = history.producers["B"].id
    p4 = history.products["P4"]
    path = f"/settlements/return-to-producer?producer_id={b}"
    page = client.get(path).get_data(as_text=True)
    assert "Nến sáp ong (P4) – còn 6 cái" in page
    bad = auth.post(
        "/settlements/return-to-producer", {"producer_id": b, "product_id": p4.id, "qty": "7"}, token_from=path
    )
    assert bad.status_code == 422
    assert re.search(r"Chỉ còn 6 cái", bad.get_data(as_text=True))
    ok = auth.post(
        "/settlements/return-to-producer",
        {"producer_id": b, "product_id": p4.id, "qty": "2", "note": "Hàng cận date"},
        token_from=path,
    )
    assert ok.status_code == 302
    with Session(engine) as s:
        assert on_hand(s, p4.id) == 4
    assert "Hàng cận date" in client.get(path).get_data(as_text=True)
