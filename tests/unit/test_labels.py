"""Label PDFs read back as a person and a scanner would: text through pypdf, bars through zxing-cpp."""

from __future__ import annotations

import io
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth

from pos import fonts
from pos.barcodes import BarcodeError, gtin14, instore_ean13
from pos.labels import LAYOUTS, LabelItem, render_labels
from pos.labels.render import ELLIPSIS, fit_name
from pos.money import format_vnd

LONG_NAME = (
    "Nước mắm truyền thống Cửa Khe loại đặc biệt thượng hạng chai thủy tinh 500ml ủ chượp 24 tháng "
    "theo phương pháp cổ truyền của làng chài"
)

ITEMS = [
    LabelItem("Bánh cốm làng Vòng", 125_000, 4, "8934563138165", sku="BC-001"),
    LabelItem("Trà shan tuyết cổ thụ Hà Giang", 1_250_000, 5, "8936041234567"),
    # Typed on a machine that sends decomposed marks: the label must still carry the NFC name.
    LabelItem(unicodedata.normalize("NFD", "Mật ong hoa nhãn Hưng Yên"), 185_000, 3, "036000291452"),
    LabelItem(LONG_NAME, 99_000, 4, "96385074"),
    LabelItem("Ớt tương Mường Khương ưu đãi ạ ễ", 45_000, None, instore_ean13(1)),
    LabelItem("Chè lam Thạch Xá", 30_000, 3, instore_ean13(2, prefix="29")),
]

needs_pdftoppm = pytest.mark.skipif(
    shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) is not installed"
)


def squash(text: str) -> str:
    """NFC without any whitespace, so wrapped lines compare equal to the name on one line."""
    return "".join(unicodedata.normalize("NFC", text).split())


def pdf_text(pdf: bytes) -> list[str]:
    """The text of every page."""
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def rasterize(pdf: bytes, tmp_path: Path, dpi: int = 300) -> list[Path]:
    """Render each page to a PNG with poppler, in page order."""
    source = tmp_path / "labels.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(source), str(tmp_path / "page")], check=True)
    return sorted(tmp_path.glob("page-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))


def decode(png: Path) -> list[zxingcpp.Barcode]:
    """Every barcode zxing-cpp finds on the image."""
    with Image.open(png) as image:
        return zxingcpp.read_barcodes(image)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_names_prices_and_stars_are_in_the_pdf_text(layout: str) -> None:
    pdf = render_labels(ITEMS, layout=layout, showroom_name="Điểm giới thiệu sản phẩm OCOP Hà Nội")
    text = "".join("".join(pdf_text(pdf)).split())  # not normalised here: the PDF itself must hold NFC
    for item in ITEMS:
        if item.name == LONG_NAME:
            # Two lines are not enough: the start is kept and the cut is marked with an ellipsis.
            assert squash("Nước mắm truyền thống Cửa Khe") in text
            assert ELLIPSIS in text
        else:
            assert squash(item.name) in text
        assert squash(format_vnd(item.price_vnd)) in text
        assert item.barcode in text  # the human-readable digits
    assert "125.000 ₫" in "".join(pdf_text(pdf))
    assert "OCOP★★★★★" in text or "OCOP5★" in text
    assert "OCOP★★★" in text
    assert "BC-001" in text


@pytest.mark.parametrize(("layout", "pages"), [("a4", 1), ("50x30", len(ITEMS)), ("40x30", len(ITEMS))])
def test_page_count_follows_the_layout(layout: str, pages: int) -> None:
    assert len(PdfReader(io.BytesIO(render_labels(ITEMS, layout=layout))).pages) == pages


def test_a4_sheet_of_thirty_labels_takes_two_pages() -> None:
    items = [LabelItem(f"Sản phẩm số {n}", 10_000 * n, 3, instore_ean13(n)) for n in range(1, 31)]
    texts = pdf_text(render_labels(items, layout="a4"))
    assert len(texts) == 2
    assert "Sản phẩm số 24" in texts[0] and "Sản phẩm số 25" in texts[1]


@needs_pdftoppm
@pytest.mark.parametrize("layout", ["50x30", "40x30"])
def test_each_roll_label_scans_as_its_own_product(layout: str, tmp_path: Path) -> None:
    pngs = rasterize(render_labels(ITEMS, layout=layout, showroom_name="OCOP Hà Nội"), tmp_path)
    assert len(pngs) == len(ITEMS)
    for item, png in zip(ITEMS, pngs, strict=True):
        found = decode(png)
        # zxing reports a UPC-A as the EAN-13 "0…": compare in GS1's 14-digit form.
        assert [gtin14(b.text) for b in found] == [gtin14(item.barcode)], item.name
        # Scanners need blank space each side of the bars: 9 modules for EAN-13/UPC-A, 7 for EAN-8.
        with Image.open(png) as image:
            width = image.width
        bars = found[0].position
        module = (bars.top_right.x - bars.top_left.x) / (67 if len(item.barcode) == 8 else 95)
        quiet = min(bars.top_left.x, width - bars.top_right.x) / module
        assert quiet >= (7 if len(item.barcode) == 8 else 9), f"{item.barcode}: quiet zone {quiet:.1f} modules"


@needs_pdftoppm
def test_each_a4_label_scans_as_the_product_printed_in_its_cell(tmp_path: Path) -> None:
    spec = LAYOUTS["a4"]
    (png,) = rasterize(render_labels(ITEMS, layout="a4"), tmp_path)
    px = 300 / 72  # pixels per point
    scanned = {}
    for found in decode(png):
        corners = (found.position.top_left, found.position.bottom_right)
        x = sum(c.x for c in corners) / 2 / px
        y = sum(c.y for c in corners) / 2 / px
        column = int((x - spec.margin_left) // spec.label_w)
        row = int((y - spec.margin_top) // spec.label_h)
        scanned[row * spec.columns + column] = gtin14(found.text)
    assert scanned == {i: gtin14(item.barcode) for i, item in enumerate(ITEMS)}


@needs_pdftoppm
def test_thermal_labels_still_scan_when_printed_on_a_203_dpi_head(tmp_path: Path) -> None:
    """A black-and-white 203 dpi raster is what a roll printer really makes of the page."""
    source = tmp_path / "labels.pdf"
    source.write_bytes(render_labels(ITEMS, layout="40x30"))
    mono = ["-r", "203", "-mono", "-aa", "no", "-aaVector", "no"]
    subprocess.run(["pdftoppm", *mono, str(source), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.pbm"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    assert [[gtin14(b.text) for b in decode(p)] for p in pages] == [[gtin14(i.barcode)] for i in ITEMS]


def test_fitted_name_never_runs_past_the_label() -> None:
    fonts.register_fonts()
    width = 37 * mm
    for name in [item.name for item in ITEMS] + ["Rượu" * 40, "Bánh " + "đậuxanh" * 20]:
        size, lines = fit_name(unicodedata.normalize("NFC", name), fonts.CONDENSED_BOLD, 8, 6, width)
        assert 6 <= size <= 8 and 1 <= len(lines) <= 2
        assert all(stringWidth(line, fonts.CONDENSED_BOLD, size) <= width for line in lines)


def test_short_name_keeps_the_largest_size_and_one_line() -> None:
    fonts.register_fonts()
    assert fit_name("Bánh cốm", fonts.CONDENSED_BOLD, 8, 6, 37 * mm) == (8, ["Bánh cốm"])


def test_too_long_name_is_cut_at_a_word_with_an_ellipsis() -> None:
    fonts.register_fonts()
    size, lines = fit_name(LONG_NAME, fonts.CONDENSED_BOLD, 8, 6, 37 * mm)
    assert size == 6 and lines[1].endswith(ELLIPSIS)
    kept = (lines[0] + " " + lines[1].removesuffix(ELLIPSIS)).split()
    assert kept == LONG_NAME.split()[: len(kept)]  # whole words only, in order


def test_one_endless_word_is_cut_between_letters_not_inside_one() -> None:
    fonts.register_fonts()
    word = unicodedata.normalize("NFD", "Rượu") * 40  # marks kept as separate code points
    _, lines = fit_name(word, fonts.CONDENSED_BOLD, 8, 6, 37 * mm)
    assert lines[1].endswith(ELLIPSIS)
    assert not unicodedata.combining(lines[0][0]) and not unicodedata.combining(lines[1][0])
    assert word.startswith(lines[0] + lines[1][:-1])


def test_same_labels_give_the_same_bytes() -> None:
    assert render_labels(ITEMS, layout="a4") == render_labels(ITEMS, layout="a4")


def test_invalid_barcode_is_refused_with_the_vietnamese_message() -> None:
    with pytest.raises(BarcodeError, match="số cuối phải là 5"):
        render_labels([LabelItem("Bánh cốm", 125_000, 4, "8934563138166")])


@pytest.mark.parametrize(
    ("items", "layout"),
    [([], "50x30"), (ITEMS[:1], "a5"), ([LabelItem("Bánh cốm", 125_000, 6, "8934563138165")], "50x30")],
)
def test_bad_requests_are_refused(items: list[LabelItem], layout: str) -> None:
    with pytest.raises(ValueError):
        render_labels(items, layout=layout)


def test_every_layout_has_a_vietnamese_name() -> None:
    assert {key: spec.name for key, spec in LAYOUTS.items()} == {
        "a4": "Giấy A4 (24 tem)",
        "50x30": "Tem cuộn 50×30 mm",
        "40x30": "Tem cuộn 40×30 mm",
    }
    assert LAYOUTS["a4"].per_page == 24


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_a_food_label_shows_its_lot_and_expiry_and_still_scans(layout: str, tmp_path: Path) -> None:
    from datetime import date

    code = instore_ean13(61)
    item = LabelItem(
        name="Giò lụa hộp quà Ước Lễ 2 cây 500g",
        price_vnd=185_000,
        stars=4,
        barcode=code,
        sku="SP000061",
        lot_code="L2611",
        expiry=date(2027, 11, 30),
    )
    pdf = render_labels([item], layout, "Điểm bán OCOP Hoàn Kiếm")
    assert squash("Lô L2611 · HSD 30/11/2027") in squash(" ".join(pdf_text(pdf)))
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed to rasterise the PDF")
    assert [b.text for b in decode(rasterize(pdf, tmp_path)[0])] == [code]
