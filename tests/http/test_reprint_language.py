"""A reprint in another language than the sale's, over HTTP: still a counted, audited copy; an e-invoice's copy
asked for in English stays bilingual (the Vietnamese is required on it). PDFs read back with pypdf."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from pos.audit.models import AuditEntry
from pos.catalog.story import Story, save_story
from pos.printing import worker
from pos.printing.documents import dots_per_line
from pos.printing.models import PrintJob, Till
from pos.sales.models import Sale
from pos.sales.receipt_data import receipt_for_sale
from pos.sales.receipts import render_receipt_raster
from tests.fakeprinter import FakePrinter
from tests.http.test_till import checkout, pdf_text
from tests.http.test_till import goods as goods  # noqa: F401  (fixtures)
from tests.http.test_till import till as till  # noqa: F401
from tests.unit.test_receipt_language import same

PLAIN = {"EINVOICE_ENABLED": False}  # a plain receipt (hóa đơn bán lẻ): English alone is allowed on it


def sell(till, uow, **extra) -> str:
    """Tea (its story tells an English name) sold at the till; the receipt number."""
    with uow() as s:
        save_story(s, till.goods["tea"].id, Story(name_en="Ha Giang Shan Tuyet tea"))
    till("/till/api/scan", {"code": till.goods["tea"].barcode})
    answer = checkout(till, **extra)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["receipt_number"]


def reprint(auth, number: str, **form) -> object:
    return auth.post(f"/till/receipts/{number}/reprint", form, token_from=f"/till/receipts/{number}")


@pytest.mark.parametrize("app_overrides", [PLAIN])
def test_a_vietnamese_sale_reprinted_in_english_is_an_english_copy(till, auth, uow) -> None:
    number = sell(till, uow)
    page = auth.client.get(f"/till/receipts/{number}").get_data(as_text=True)
    assert 'name="language"' in page and '<option value="vi" selected>Tiếng Việt</option>' in page

    english = reprint(auth, number, paper="80mm", language="en")
    assert english.status_code == 302 and "language=en" in english.headers["Location"]
    text = pdf_text(auth.client.get(english.headers["Location"]).data)
    for phrase in ("RECEIPT", "COPY (print 2)", "Ha Giang Shan Tuyet tea", "Total"):
        assert phrase in text, phrase
    for vietnamese in ("HÓA ĐƠN BÁN LẺ", "BẢN SAO", "Chè Shan tuyết Hà Giang", "Tổng thanh toán"):
        assert vietnamese not in text, vietnamese

    default = reprint(auth, number, paper="80mm")  # not asked: the sale's language
    assert "language" not in default.headers["Location"]
    text = pdf_text(auth.client.get(default.headers["Location"]).data)
    assert "BẢN SAO (lần in 3)" in text and "Chè Shan tuyết Hà Giang" in text and "RECEIPT" not in text

    both = reprint(auth, number, language="vi+en")
    text = pdf_text(auth.client.get(both.headers["Location"]).data)
    assert "BẢN SAO (lần in 4)" in text and "COPY (print 4)" in text and "Ha Giang Shan Tuyet tea" in text

    refused = reprint(auth, number, language="fr")
    assert refused.status_code == 422 and "Ngôn ngữ hóa đơn không hợp lệ" in refused.get_data(as_text=True)
    assert auth.client.get(f"/till/receipts/{number}.pdf?copy=1&language=fr").status_code == 422
    with uow() as s:
        sale = s.exec(select(Sale)).one()
        assert (sale.reprint_count, sale.receipt_language) == (3, "vi")  # the refused one not counted
        audited = s.exec(select(AuditEntry).where(AuditEntry.action == "receipt.reprint").order_by(AuditEntry.id))
        after = [json.loads(entry.after) for entry in audited]
        assert [(e["copy"], e["language"]) for e in after] == [(1, "en"), (2, "vi"), (3, "vi+en")]


@pytest.mark.parametrize("app_overrides", [PLAIN])
def test_the_tills_printer_prints_the_copy_in_the_language_asked(till, auth, uow, engine, app) -> None:
    number = sell(till, uow, receipt_language="en")
    printer = FakePrinter()
    try:
        with uow() as s:
            printing = s.get(Till, 1)
            printing.printer_kind, printing.printer_address = "network", printer.address
        answer = reprint(auth, number, language="vi")
        assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/till/receipts/{number}")
        with uow() as s:
            job = s.exec(select(PrintJob).where(PrintJob.copy_number == 1)).one()
            assert (job.kind, job.ref, job.language) == ("receipt", number, "vi")
        worker.run_once(engine, app.config)
    finally:
        printer.close()
    [printed] = printer.printed()
    with uow() as s:
        sale, at = s.exec(select(Sale)).one(), s.get(Till, 1)
        drawn = {
            language: render_receipt_raster(
                receipt_for_sale(s, sale, app.config, 1, language=language), at.paper, dots_per_line(at, app.config)
            )
            for language in ("vi", "en")
        }
    assert same(printed.page().convert("1"), drawn["vi"]) and not same(printed.page().convert("1"), drawn["en"])
    png = auth.client.get(f"/printing/receipts/{number}.png?copy=1&language=vi")
    assert png.status_code == 200 and png.mimetype == "image/png"


def test_an_invoices_copy_asked_for_in_english_stays_bilingual(till, auth, uow) -> None:
    number = sell(till, uow)  # config.toml: every sale is an e-invoice, the receipt its paper copy
    answer = reprint(auth, number, paper="a4", language="en")
    text = pdf_text(auth.client.get(answer.headers["Location"]).data)
    for phrase in ("HÓA ĐƠN GIÁ TRỊ GIA TĂNG", "VAT INVOICE", "Chè Shan tuyết Hà Giang", "Ha Giang Shan Tuyet tea"):
        assert phrase in text, phrase
    assert "BẢN SAO (lần in 2)" in text and "COPY (print 2)" in text
    page = auth.client.get(f"/till/receipts/{number}").get_data(as_text=True)
    assert "vẫn kèm tiếng Việt" in page
