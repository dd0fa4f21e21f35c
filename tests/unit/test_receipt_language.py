"""Receipts for foreign visitors: English or bilingual on request, amounts in đồng, the amount in words Vietnamese.

Read back as the customer reads them (pypdf) and as the thermal printer prints them (the ESC/POS job parsed back);
the sale keeps its language, so a reprint and the refund receipt print as the first receipt did.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
import zxingcpp
from PIL import Image, ImageChops
from sqlmodel import select

from pos.barcodes import instore_ean13
from pos.catalog.story import Story, save_story
from pos.db import utcnow
from pos.einvoice.settings import read_settings
from pos.errors import ValidationError
from pos.inventory.ledger import record_movement
from pos.inventory.models import StockMovement
from pos.printing import escpos_job, queue, worker
from pos.printing.models import Till
from pos.sales import cart as carts
from pos.sales import returns, scanning
from pos.sales.checkout import complete_sale
from pos.sales.models import Sale, Shift
from pos.sales.pricing import PaymentInput
from pos.sales.receipt_data import count_reprint, receipt_for_sale
from pos.sales.receipt_labels import LABELS, Wording, printed_language
from pos.sales.receipts import (
    InvoiceCopy,
    ReceiptLine,
    render_receipt,
    render_receipt_raster,
    wrap_text,
)
from tests.fakeprinter import FakePrinter, parse
from tests.unit.test_einvoice import CONFIG as EINVOICE_CONFIG
from tests.unit.test_receipts import LINES, make_receipt, pdf_text, squash

PAPERS = ["80mm", "58mm", "a4"]
ENGLISH = {
    "Mật ong bạc hà Mèo Vạc 500ml": "Meo Vac mint-flower honey 500 ml",
    "Chè Shan tuyết cổ thụ Suối Giàng – hộp quà 200g": "Suoi Giang ancient Shan Tuyet tea – gift box 200 g",
}
EN_LINES = [dataclasses.replace(line, name_en=ENGLISH.get(line.name, "")) for line in LINES]
IN_WORDS = "Một triệu hai trăm năm mươi nghìn đồng"  # 1.250.000 ₫, the receipt's total
CONFIG = {
    "SHOWROOM_NAME": "Điểm OCOP Hoàn Kiếm",
    "SHOWROOM_ADDRESS": "12 Hàng Bạc",
    "SHOWROOM_TAX_CODE": "0101234567",
    "RECEIPT_FOOTER": "Cảm ơn quý khách!",
    "RECEIPT_FOOTER_EN": "Thank you! OCOP – the finest of Vietnam's craft villages.",
}


def english(**overrides: Any):
    return make_receipt(lines=EN_LINES, language="en", **overrides)


@pytest.mark.parametrize("paper", PAPERS)
def test_an_english_receipt_has_english_words_and_vietnamese_money(paper: str) -> None:
    text = pdf_text(render_receipt(english(), paper))
    for phrase in (
        "RECEIPT",
        "Receipt no.: CH01-2025-000123",
        "Date: 14/03/2025 10:05",
        "Cashier: Nguyễn Thị Hương",
        "Tax code: 5100123456",
        "Meo Vac mint-flower honey 500 ml",
        "Suoi Giang ancient Shan Tuyet tea – gift box 200 g",
        "Bánh cốm làng Vòng",  # no English name told: the Vietnamese one
        "1.300.000 ₫",
        "1.250.000 ₫",
        f"In words (Bằng chữ): {IN_WORDS}",  # the amount in words stays Vietnamese
        "VAT 8%",
        "Prices include VAT",
        "Bank transfer (VietQR)",
        "Cash given",
        "Change",
        "Transaction ref.: FT25073123456",
        "Thank you for your visit!",
    ):
        assert squash(phrase) in text, phrase
    if paper == "a4":
        assert squash("Unit price") in text and squash("Amount") in text
    else:
        assert squash("2 bottle × 185.000 ₫") in text and squash("12 box × 40.000 ₫") in text
    for vietnamese in ("HÓA ĐƠN BÁN LẺ", "Tổng thanh toán", "Thu ngân", "Khách đưa", "Tiền thừa", "Mật ong bạc hà"):
        assert squash(vietnamese) not in text, vietnamese


@pytest.mark.parametrize("paper", PAPERS)
def test_a_bilingual_receipt_puts_the_english_beside_or_under_the_vietnamese(paper: str) -> None:
    text = pdf_text(render_receipt(make_receipt(lines=EN_LINES, language="vi+en", is_copy=True, copy_number=1), paper))
    for phrase in (
        "HÓA ĐƠN BÁN LẺ",
        "RECEIPT",
        "BẢN SAO (lần in 2)",
        "COPY (print 2)",
        "Thu ngân (Cashier): Nguyễn Thị Hương",
        "Mật ong bạc hà Mèo Vạc 500ml",
        "Meo Vac mint-flower honey 500 ml",
        "Tổng thanh toán",
        "1.250.000 ₫",
        f"Bằng chữ (In words): {IN_WORDS}",
        "Thuế GTGT 8% (VAT 8%)",
        "Khách đưa (Cash given)",
        "Tiền thừa trả khách (Change)",
        "Cảm ơn quý khách!",
        "Thank you for your visit!",
    ):
        assert squash(phrase) in text, phrase
    # The Vietnamese comes first, the English after it: the title, the total.
    assert text.index(squash("HÓA ĐƠN BÁN LẺ")) < text.index(squash("RECEIPT"))
    assert text.index(squash("Tổng thanh toán")) < text.index("Total", text.index(squash("Tổng thanh toán")))


def test_an_invoice_copy_asked_for_in_english_keeps_its_vietnamese() -> None:
    """NĐ 123/2020 Điều 10.13: an invoice is Vietnamese; English only beside it or under it."""
    invoice = InvoiceCopy(
        title="HÓA ĐƠN GIÁ TRỊ GIA TĂNG",
        subtitle="(Khởi tạo từ máy tính tiền)",
        symbol="1C26MAB",
        number="00000042",
        mccqt="M1-26-AB12C-00000000042",
        buyer=[],
        lookup="Tra cứu hóa đơn",
        lookup_qr="",
    )
    assert printed_language("en", is_invoice=True) == "vi+en"
    assert printed_language("en", is_invoice=False) == "en"
    assert printed_language("klingon", is_invoice=False) == "vi"
    text = pdf_text(render_receipt(english(invoice=invoice), "80mm"))
    for phrase in ("HÓA ĐƠN GIÁ TRỊ GIA TĂNG", "VAT INVOICE", "Tổng thanh toán", "Mã CQT (Tax authority code)"):
        assert squash(phrase) in text, phrase


def test_every_label_has_both_languages_and_its_placeholders_in_each() -> None:
    import string

    for key, (vi, en) in LABELS.items():
        assert vi.strip() and en.strip(), key
        fields = [{f for _, f, _, _ in string.Formatter().parse(text) if f} for text in (vi, en)]
        assert fields[0] == fields[1], key
    assert Wording("vi+en")("total") == "Tổng thanh toán (Total)"
    assert Wording("en").unit("hộp") == "box" and Wording("vi+en").unit("hộp") == "hộp"


@pytest.mark.parametrize("paper", ["80mm", "58mm"])
def test_long_english_names_wrap_inside_the_roll(paper: str) -> None:
    from pos import fonts
    from pos.sales.receipts import _style

    fonts.register_fonts()
    style = _style(paper)
    long_name = "Traditional Tan Cuong green tea from Thai Nguyen, hand-roasted in a clay pan – premium gift tin"
    lines = [ReceiptLine("Chè Tân Cương", 1, "hộp", 250_000, 0, 250_000, 800, name_en=long_name)]
    data = make_receipt(lines=lines, language="vi+en", subtotal_vnd=250_000, discount_vnd=0, total_vnd=250_000)
    text = pdf_text(render_receipt(data, paper))
    assert squash(long_name) in text
    assert len(wrap_text(long_name, style.font, style.small, style.page_width - 2 * style.margin_x)) >= 2


# --- through the till: the sale keeps its language ---------------------------------------------------------


@pytest.fixture
def shop(uow, make_user, make_product) -> dict[str, Any]:
    """Quầy 1 with a LAN printer, a cashier's shift; honey with an English name, tea without one."""
    cashier = make_user("thungan", "cashier", "Nguyễn Thị Thu Ngân")
    honey = make_product(name="Mật ong bạc hà Mèo Vạc", barcode=instore_ean13(1), price_vnd=185_000, unit="chai")
    tea = make_product(name="Chè Shan tuyết Hà Giang", barcode=instore_ean13(2), price_vnd=120_000, unit="hộp")
    with uow() as s:
        save_story(s, honey.id, Story(name_en="Meo Vac mint-flower honey"))
        till = s.get(Till, 1)
        till.printer_kind, till.printer_address = "network", "127.0.0.1:9"
        s.add(Shift(cashier_id=cashier.id, till_id=1, opening_float_vnd=500_000))
        for product in (honey, tea):
            record_movement(s, StockMovement(product_id=product.id, kind="intake", qty_delta=50))
    return {"cashier": cashier, "honey": honey, "tea": tea, "n": 0}


def sell(uow, shop, language: str, einvoice: dict[str, Any] | None = None) -> Sale:
    """Honey and tea, paid in cash, the receipt asked for in ``language`` and queued for the till's printer."""
    shop["n"] += 1
    with uow() as s:
        cart = carts.get_or_create_active_cart(s, shop["cashier"].id)
        scanning.scan(s, cart, shop["honey"].barcode, qty=2)
        scanning.scan(s, cart, shop["tea"].barcode)
        sale = complete_sale(
            s,
            cart_id=cart.id,
            payments=[PaymentInput("cash", 500_000)],
            cashier_id=shop["cashier"].id,
            idempotency_key=f"lang-{shop['n']:08d}",
            showroom_code="SR01",
            allow_negative=False,
            now=utcnow(),
            einvoice=read_settings(einvoice) if einvoice else None,
            receipt_language=language,
        )
        queue.enqueue(s, 1, "receipt", sale.receipt_number)
    return sale


def same(printed: Image.Image, drawn: Image.Image) -> bool:
    """The printed page is this drawing, dot for dot."""
    drawn = drawn.convert("1")
    return printed.size == drawn.size and ImageChops.difference(printed, drawn).getbbox() is None


def test_an_unknown_language_is_refused_and_nothing_is_sold(uow, shop) -> None:
    with pytest.raises(ValidationError, match="Ngôn ngữ hóa đơn") as caught:
        sell(uow, shop, "fr")
    assert caught.value.field == "receipt_language"
    with uow() as s:
        assert s.exec(select(Sale)).all() == []


def printed_page(uow, engine, config: dict[str, Any], queue_job: Any = None) -> Image.Image:
    """The one job quầy 1's LAN printer (a FakePrinter) printed, parsed back from its ESC/POS bytes to a 1-bit page;
    ``queue_job(session, till)`` queues it, where the sale has not."""
    printer = FakePrinter()
    try:
        with uow() as s:
            till = s.get(Till, 1)
            till.printer_kind, till.printer_address = "network", printer.address
            if queue_job is not None:
                queue_job(s, till)
        assert worker.run_once(engine, config) == 1
    finally:
        printer.close()
    [job] = printer.printed()
    return job.page().convert("1")


def test_the_english_sale_prints_english_on_the_thermal_printer(uow, engine, shop) -> None:
    sale = sell(uow, shop, "en")
    page = printed_page(uow, engine, CONFIG)
    with uow() as s:
        data = receipt_for_sale(s, s.get(Sale, sale.id), CONFIG)
        as_vietnamese = dataclasses.replace(data, language="vi")
    assert data.language == "en" and [line.name_en for line in data.lines] == ["Meo Vac mint-flower honey", ""]
    # The printer printed exactly the English receipt, not the Vietnamese one.
    assert same(page, render_receipt_raster(data, "80mm", 576))
    assert not same(page, render_receipt_raster(as_vietnamese, "80mm", 576))
    assert {r.text for r in zxingcpp.read_barcodes(page)} == {sale.receipt_number}
    text = pdf_text(render_receipt(data, "80mm"))
    for phrase in ("RECEIPT", "Meo Vac mint-flower honey", "2 bottle × 185.000 ₫", "Chè Shan tuyết Hà Giang"):
        assert squash(phrase) in text, phrase
    assert squash("Bằng chữ): Bốn trăm chín mươi nghìn đồng") in text


def test_reprint_and_refund_follow_the_sales_language(uow, shop) -> None:
    sale = sell(uow, shop, "vi+en")
    with uow() as s:
        row = s.get(Sale, sale.id)
        assert row.receipt_language == "vi+en"
        copy = count_reprint(s, row, shop["cashier"].id)
        reprint = pdf_text(render_receipt(receipt_for_sale(s, row, CONFIG, copy_number=copy), "58mm"))
        made = returns.create_return(
            s,
            sale.receipt_number,
            {returns.returnable_lines(s, row)[0].line.id: 1},
            "cash",
            "Khách đổi ý",
            shop["cashier"].id,
            s.exec(select(Shift)).first(),
            "return-00000001",
        )
        refund = pdf_text(render_receipt(returns.refund_receipt_data(s, made, CONFIG), "80mm"))
    for phrase in ("BẢN SAO (lần in 2)", "COPY (print 2)", "Mật ong bạc hà Mèo Vạc", "Meo Vac mint-flower honey"):
        assert squash(phrase) in reprint, phrase
    for phrase in (
        "PHIẾU HOÀN TIỀN",
        "REFUND RECEIPT",
        "Meo Vac mint-flower honey",
        "Hoàn tiền 185.000 ₫ Refund",
        "185.000 ₫",
        "Bằng chữ (In words): Một trăm tám mươi lăm nghìn đồng",
        "Lý do trả hàng (Reason for return): Khách đổi ý",
    ):
        assert squash(phrase) in refund, phrase


def test_an_invoiced_sale_in_english_prints_the_invoice_title_in_vietnamese(uow, shop) -> None:
    sale = sell(uow, shop, "en", einvoice=EINVOICE_CONFIG)
    with uow() as s:
        data = receipt_for_sale(s, s.get(Sale, sale.id), {**EINVOICE_CONFIG, **CONFIG})
    text = pdf_text(render_receipt(data, "80mm"))
    for phrase in (
        "HÓA ĐƠN GIÁ TRỊ GIA TĂNG",
        "VAT INVOICE",
        "Ký hiệu (Symbol)",
        "Tiền hàng (Subtotal)",
        "Meo Vac mint-flower honey",
        "Tra cứu hóa đơn tại hoadondientu.gdt.gov.vn",
        "Look this invoice up at hoadondientu.gdt.gov.vn",
    ):
        assert squash(phrase) in text, phrase


def test_the_escpos_job_of_a_bilingual_58mm_receipt_is_one_raster_within_the_head() -> None:
    image = render_receipt_raster(make_receipt(lines=EN_LINES, language="vi+en"), "58mm", 384)
    job = parse(escpos_job.document(image))
    assert job.page().width == 384 and job.cuts == 1
