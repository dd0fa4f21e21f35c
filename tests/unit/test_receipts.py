"""Receipt PDFs read back as a customer and a scanner would: text, page size, margins, QR and Code128."""

from __future__ import annotations

import dataclasses
import io
import shutil
import subprocess
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader
from reportlab.lib.units import mm

from pos import fonts
from pos.sales.receipts import (
    ReceiptData,
    ReceiptLine,
    ReceiptPayment,
    VatBreakdown,
    render_receipt,
    wrap_text,
)
from pos.sales.vietqr import build_vietqr_payload

PAPERS = ["80mm", "58mm", "a4"]
ROLL_WIDTHS_MM = {"80mm": 80, "58mm": 58}
DPI = 300
needs_pdftoppm = pytest.mark.skipif(
    shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) is not installed to rasterise the PDF"
)

LINES = [
    ReceiptLine("Mật ong bạc hà Mèo Vạc 500ml", 2, "chai", 185_000, 0, 370_000, 800),
    ReceiptLine("Chè Shan tuyết cổ thụ Suối Giàng – hộp quà 200g", 1, "hộp", 450_000, 50_000, 400_000, 800),
    ReceiptLine("Bánh cốm làng Vòng", 12, "hộp", 40_000, 0, 480_000, 800),
    ReceiptLine("Nước mắm Phú Quốc 40 độ đạm & muối tiêu <đặc biệt>", 1, "chai", 50_000, 0, 50_000, 1000),
]
PAYLOAD = build_vietqr_payload("970415", "113366668888", 1_000_000, "HD CH01-2025-000123")


def make_receipt(**overrides: object) -> ReceiptData:
    """A sale of four OCOP products, paid partly by VietQR transfer and partly in cash."""
    values: dict[str, object] = {
        "showroom_name": "Điểm giới thiệu và bán sản phẩm OCOP Hà Giang",
        "showroom_address": "Số 12 đường Nguyễn Trãi, phường Minh Khai, thành phố Hà Giang",
        "showroom_tax_code": "5100123456",
        "showroom_phone": "0219 3 812 345",
        "receipt_number": "CH01-2025-000123",
        "issued_at": datetime(2025, 3, 14, 3, 5, tzinfo=UTC),
        "cashier_name": "Nguyễn Thị Hương",
        "lines": LINES,
        "subtotal_vnd": 1_300_000,
        "discount_vnd": 50_000,
        "total_vnd": 1_250_000,
        "vat": [VatBreakdown(800, 1_200_000, 88_889), VatBreakdown(1000, 50_000, 4_545)],
        "payments": [
            ReceiptPayment("transfer", 1_000_000, reference="FT25073123456"),
            ReceiptPayment("cash", 250_000, tendered_vnd=300_000, change_vnd=50_000),
        ],
        "footer": "Cảm ơn quý khách! Hàng đã mua được đổi trong 7 ngày kèm hóa đơn.",
        "vietqr_payload": PAYLOAD,
    }
    values.update(overrides)
    return ReceiptData(**values)  # type: ignore[arg-type]


def squash(text: str) -> str:
    """NFC without any whitespace, so a phrase matches however the receipt wrapped it."""
    return "".join(unicodedata.normalize("NFC", text).split())


def pdf_text(pdf: bytes) -> str:
    """All the text of a PDF, squashed."""
    return squash("".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages))


def rasterise(pdf: bytes, tmp_path: Path) -> list[Image.Image]:
    """Each page as a greyscale image at 300 dpi, as pdftoppm draws it."""
    src = tmp_path / "receipt.pdf"
    src.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", str(DPI), "-png", str(src), str(tmp_path / "page")], check=True)
    return [Image.open(path).convert("L") for path in sorted(tmp_path.glob("page-*.png"))]


def px(length_mm: float) -> int:
    """Millimetres to pixels at the raster resolution."""
    return round(length_mm / 25.4 * DPI)


@pytest.mark.parametrize("paper", PAPERS)
def test_text_reads_back(paper: str) -> None:
    text = pdf_text(render_receipt(make_receipt(), paper))
    for expected in [
        "Điểm giới thiệu và bán sản phẩm OCOP Hà Giang",
        "MST: 5100123456",
        "HÓA ĐƠN BÁN LẺ",
        "Số hóa đơn: CH01-2025-000123",
        "Ngày: 14/03/2025 10:05",  # 03:05 UTC is 10:05 in Hà Nội
        "Thu ngân: Nguyễn Thị Hương",
        *(line.name for line in LINES),
        "1.250.000 ₫",
        "Tổng thanh toán",
        "Bằng chữ: Một triệu hai trăm năm mươi nghìn đồng",
        "Thuế GTGT 8%",
        "88.889 ₫",
        "Thuế GTGT 10%",
        "Giá đã bao gồm thuế GTGT",
        "Chuyển khoản (VietQR)",
        "Tiền mặt",
        "Khách đưa",
        "300.000 ₫",
        "Tiền thừa trả khách",
        "Cảm ơn quý khách!",
    ]:
        assert squash(expected) in text, expected
    assert "BẢNSAO" not in text
    assert "PHIẾUHOÀNTIỀN" not in text


@pytest.mark.parametrize("paper", PAPERS)
def test_copy_is_marked(paper: str) -> None:
    text = pdf_text(render_receipt(make_receipt(is_copy=True, copy_number=1), paper))
    assert squash("BẢN SAO (lần in 2)") in text


def test_copy_without_a_count_still_says_copy() -> None:
    assert "BẢNSAO" in pdf_text(render_receipt(make_receipt(is_copy=True), "80mm"))


@pytest.mark.parametrize("paper", PAPERS)
def test_refund(paper: str) -> None:
    refund = make_receipt(
        kind="refund",
        receipt_number="CH01-2025-000130",
        original_receipt_number="CH01-2025-000123",
        lines=LINES[:1],
        subtotal_vnd=370_000,
        discount_vnd=0,
        total_vnd=370_000,
        vat=[VatBreakdown(800, 370_000, 27_407)],
        payments=[ReceiptPayment("cash", 370_000)],
        vietqr_payload=None,
        note="Hộp bị móp khi vận chuyển",
    )
    text = pdf_text(render_receipt(refund, paper))
    assert "PHIẾUHOÀNTIỀN" in text
    assert "HÓAĐƠNBÁNLẺ" not in text
    assert squash("Trả hàng cho hóa đơn số CH01-2025-000123") in text
    assert squash("Bằng chữ: Ba trăm bảy mươi nghìn đồng") in text
    assert squash("Ghi chú: Hộp bị móp khi vận chuyển") in text


@pytest.mark.parametrize("paper", ["80mm", "58mm"])
def test_roll_page_is_as_long_as_its_content(paper: str) -> None:
    def page_size(lines: list[ReceiptLine]) -> tuple[float, float]:
        page = PdfReader(io.BytesIO(render_receipt(make_receipt(lines=lines), paper))).pages
        assert len(page) == 1
        return float(page[0].mediabox.width), float(page[0].mediabox.height)

    short_w, short_h = page_size(LINES[:1])
    long_w, long_h = page_size(LINES * 10)
    assert short_w == long_w == pytest.approx(ROLL_WIDTHS_MM[paper] * mm)
    assert long_h > short_h + 30 * 6 * mm  # 36 more lines, each at least 6 mm
    assert short_h < 230 * mm  # no fixed long page under a one-line receipt


def test_a4_spans_pages_and_repeats_the_table_header() -> None:
    pdf = render_receipt(make_receipt(lines=LINES * 20), "a4")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 2
    pages_with_lines = 0
    for number, page in enumerate(reader.pages, start=1):
        assert float(page.mediabox.width) == pytest.approx(210 * mm, abs=0.5)
        assert float(page.mediabox.height) == pytest.approx(297 * mm, abs=0.5)
        text = squash(page.extract_text())
        assert f"Trang{number}/{len(reader.pages)}" in text
        if squash(LINES[2].name) in text:
            pages_with_lines += 1
            assert text.count("Tênsảnphẩm") == 1, f"table header missing on page {number}"
    assert pages_with_lines >= 2
    whole = pdf_text(pdf)
    assert whole.count(squash(LINES[2].name)) == 20
    assert squash("Bằng chữ: Một triệu hai trăm năm mươi nghìn đồng") in whole


@pytest.mark.parametrize("paper", PAPERS)
def test_only_the_shipped_fonts_are_used(paper: str) -> None:
    reader = PdfReader(io.BytesIO(render_receipt(make_receipt(is_copy=True, copy_number=2), paper)))
    used = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            used.add(str(font.get_object()["/BaseFont"]))
    assert used, "no fonts found"
    shipped = (fonts.REGULAR, fonts.BOLD, fonts.CONDENSED, fonts.CONDENSED_BOLD)
    assert all(any(name.endswith(f) or f in name for f in shipped) for name in used), used


@needs_pdftoppm
@pytest.mark.parametrize("paper", PAPERS)
def test_vietqr_and_receipt_barcode_decode(paper: str, tmp_path: Path) -> None:
    (image,) = rasterise(render_receipt(make_receipt(), paper), tmp_path)
    found = {r.format: r.text for r in zxingcpp.read_barcodes(image)}
    assert found.get(zxingcpp.BarcodeFormat.QRCode) == PAYLOAD
    assert found.get(zxingcpp.BarcodeFormat.Code128) == "CH01-2025-000123"


@needs_pdftoppm
def test_a4_codes_decode_on_the_last_page(tmp_path: Path) -> None:
    pages = rasterise(render_receipt(make_receipt(lines=LINES * 20), "a4"), tmp_path)
    found = {r.format: r.text for r in zxingcpp.read_barcodes(pages[-1])}  # kept together with the QR
    assert found.get(zxingcpp.BarcodeFormat.QRCode) == PAYLOAD
    assert found.get(zxingcpp.BarcodeFormat.Code128) == "CH01-2025-000123"


@needs_pdftoppm
@pytest.mark.parametrize("paper", ["80mm", "58mm"])
def test_nothing_runs_off_the_printable_width(paper: str, tmp_path: Path) -> None:
    unbroken = "Bánhđặcsản" * 8  # one 80-letter "word" must still be wrapped inside the margins
    lines = [*LINES, ReceiptLine(unbroken, 120, "hộp", 1_250_000, 0, 150_000_000, 800)]
    receipt = make_receipt(
        lines=lines,
        subtotal_vnd=151_300_000,
        total_vnd=151_250_000,
        receipt_number="CH01-2025-000123-REPRINT-X",
        cashier_name="Tôn Nữ Thị Phương Thảo Nguyễn Hoàng",
    )
    pdf = render_receipt(receipt, paper)
    assert squash(unbroken) in pdf_text(pdf)
    (image,) = rasterise(pdf, tmp_path)
    width, height = image.size
    margin = px(3)  # the printable area starts 4 mm (80 mm roll) or 5 mm (58 mm roll) in from the edge
    for strip in (image.crop((0, 0, margin, height)), image.crop((width - margin, 0, width, height))):
        assert strip.getextrema()[0] > 240, "ink in the unprintable margin"
    assert image.crop((0, height - px(2), width, height)).getextrema()[0] > 240
    assert image.crop((0, height - px(12), width, height)).getextrema()[0] < 100, "blank tail under the footer"
    found = {r.format: r.text for r in zxingcpp.read_barcodes(image)}
    assert found.get(zxingcpp.BarcodeFormat.Code128) == "CH01-2025-000123-REPRINT-X"


def test_wrap_keeps_every_line_inside_and_loses_no_letter() -> None:
    fonts.register_fonts()
    text = unicodedata.normalize("NFD", "Chè Shan tuyết cổ thụ " + "Giàng" * 12 + " hộp quà")
    width = 40 * mm
    lines = wrap_text(text, fonts.CONDENSED, 7.5, width)
    from reportlab.pdfbase.pdfmetrics import stringWidth

    assert len(lines) > 2
    assert all(stringWidth(line, fonts.CONDENSED, 7.5) <= width for line in lines)
    assert all(unicodedata.combining(line[0]) == 0 for line in lines)  # no mark torn from its letter
    assert squash("".join(lines)) == squash(text)


def test_naive_time_and_unknown_paper_are_refused() -> None:
    with pytest.raises(ValueError):
        render_receipt(make_receipt(issued_at=datetime(2025, 3, 14, 10, 5)), "80mm")
    with pytest.raises(ValueError):
        render_receipt(make_receipt(), "letter")
    with pytest.raises(ValueError):
        render_receipt(dataclasses.replace(make_receipt(), kind="void"), "80mm")
