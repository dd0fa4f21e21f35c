"""Barcode label PDFs (tem mã vạch): name, price, OCOP stars and a vector barcode on each label.

The bars come from python-barcode's module pattern and are drawn as filled rectangles, so they stay
sharp at any printer resolution; the module width is a whole number of printer dots so that every bar
of the same width prints the same width.
"""

from __future__ import annotations

import io
import math
import unicodedata
from dataclasses import dataclass
from datetime import date

import barcode
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from pos import fonts
from pos.barcodes import BarcodeKind, barcode_kind, normalize_barcode
from pos.money import format_vnd
from pos.quantity import WEIGHT, format_line
from pos.sales.vietqr import dark_runs, qr_matrix
from pos.text import nfc

ELLIPSIS = "…"
STAR = "★"  # U+2605, present in every DejaVu face we ship

# Vertical metrics as fractions of the font size. Vietnamese capitals carry stacked marks (Ấ, Ễ) that
# reach above DejaVu's nominal ascent, so lines are spaced for those rather than for plain Latin.
TOP_EM = 0.95
DESCENT_EM = 0.24
LEADING_EM = 1.12
DIGIT_HEIGHT_EM = 0.73


@dataclass(frozen=True)
class LabelItem:
    """One label: what the customer reads and what the till scans."""

    name: str
    price_vnd: int
    stars: int | None
    barcode: str
    sku: str = ""
    lot_code: str = ""  # food received on an intake: its lot and expiry are printed under the name
    expiry: date | None = None
    grams: int | None = None  # a weighed pack: its weight and the price per kg are printed above its price
    price_per_kg_vnd: int | None = None
    name_en: str = ""  # the bilingual layout: the English name under the Vietnamese one
    trace_url: str = ""  # a small QR of the product's traceability page, top right


@dataclass(frozen=True)
class LabelLayout:
    """A label stock: label and page size in points, where labels sit, and type sizes that suit it."""

    name: str
    label_w: float
    label_h: float
    page_w: float
    page_h: float
    columns: int = 1
    rows: int = 1
    margin_left: float = 0
    margin_top: float = 0
    pad_x: float = 1.5 * mm
    pad_y: float = 1.2 * mm
    name_pt: float = 8
    name_min_pt: float = 6
    price_pt: float = 10
    small_pt: float = 5.5
    digits_pt: float = 7
    max_module: float = 0.40 * mm
    dot: float = 72 / 203  # a 203 dpi thermal head, the common kind in Vietnamese shops

    @property
    def per_page(self) -> int:
        """How many labels fit on one page."""
        return self.columns * self.rows


LAYOUTS: dict[str, LabelLayout] = {
    # 24-up A4 sheet of 70 × 36 mm labels with 4.5 mm top and bottom margins.
    "a4": LabelLayout(
        name="Giấy A4 (24 tem)",
        label_w=70 * mm,
        label_h=36 * mm,
        page_w=A4[0],
        page_h=A4[1],
        columns=3,
        rows=8,
        margin_top=4.5 * mm,
        # Sheet labels run to the paper's side edges, which office printers cannot reach: keep clear.
        pad_x=4 * mm,
        pad_y=2 * mm,
        name_pt=10,
        name_min_pt=7,
        price_pt=12,
        small_pt=6.5,
        digits_pt=8,
        dot=72 / 300,  # a 300 dpi grid is also a 600 dpi grid
    ),
    "50x30": LabelLayout(name="Tem cuộn 50×30 mm", label_w=50 * mm, label_h=30 * mm, page_w=50 * mm, page_h=30 * mm),
    "40x30": LabelLayout(
        name="Tem cuộn 40×30 mm",
        label_w=40 * mm,
        label_h=30 * mm,
        page_w=40 * mm,
        page_h=30 * mm,
        name_pt=7.5,
        price_pt=9.5,
        small_pt=5,
    ),
}


@dataclass(frozen=True)
class _Symbology:
    """Where a symbology's guard bars and human-readable digits go, in modules from the first bar."""

    body_len: int  # digits python-barcode takes; it adds the check digit itself
    quiet: tuple[int, int]  # left and right quiet zones
    long_modules: frozenset[int]  # bars that run down between the digits
    digit_groups: tuple[tuple[int, int, int, int, bool], ...]  # (first, end) digit, module span, outside


def _spans(*ranges: tuple[int, int]) -> frozenset[int]:
    return frozenset(m for start, end in ranges for m in range(start, end))


_SYMBOLOGIES: dict[BarcodeKind, _Symbology] = {
    # GS1 asks 11 modules left of an EAN-13 (its first digit is printed there) and 7 right; 9 is kinder.
    "ean13": _Symbology(
        12,
        (11, 9),
        _spans((0, 3), (45, 50), (92, 95)),
        ((0, 1, -8, -1, True), (1, 7, 3, 45, False), (7, 13, 50, 92, False)),
    ),
    "ean8": _Symbology(7, (7, 7), _spans((0, 3), (31, 36), (64, 67)), ((0, 4, 3, 31, False), (4, 8, 36, 64, False))),
    # UPC-A extends its first and last digits' bars too, and prints those two digits outside, smaller.
    "upca": _Symbology(
        11,
        (9, 9),
        _spans((0, 10), (45, 50), (85, 95)),
        ((0, 1, -8, -1, True), (1, 6, 10, 45, False), (6, 11, 50, 85, False), (11, 12, 96, 103, True)),
    ),
}


def render_labels(items: list[LabelItem], layout: str = "50x30", showroom_name: str | None = None) -> bytes:
    """A PDF of one label per item, laid out for the given label stock."""
    if layout not in LAYOUTS:
        raise ValueError(f"unknown label layout {layout!r}; choose from {', '.join(LAYOUTS)}")
    if not items:
        raise ValueError("no labels to print")
    spec = LAYOUTS[layout]
    fonts.register_fonts()
    buffer = io.BytesIO()
    # invariant: no timestamps or random ids, so the same labels give the same bytes.
    canvas = Canvas(buffer, pagesize=(spec.page_w, spec.page_h), invariant=True)
    canvas.setTitle("Tem mã vạch")
    canvas.setCreator("OCOP POS")
    for index, item in enumerate(items):
        slot = index % spec.per_page
        if index and slot == 0:
            canvas.showPage()
        row, column = divmod(slot, spec.columns)
        x = spec.margin_left + column * spec.label_w
        y = spec.page_h - spec.margin_top - (row + 1) * spec.label_h
        _draw_label(canvas, item, x, y, spec, nfc(showroom_name))
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _draw_label(canvas: Canvas, item: LabelItem, x: float, y: float, spec: LabelLayout, showroom: str) -> None:
    """Draw one label with its bottom-left corner at (x, y)."""
    if item.stars is not None and not 1 <= item.stars <= 5:
        raise ValueError(f"OCOP stars must be 1–5, got {item.stars}")
    code = normalize_barcode(item.barcode)
    left, right = x + spec.pad_x, x + spec.label_w - spec.pad_x
    width = right - left
    cursor = y + spec.label_h - spec.pad_y  # moves down as lines are drawn

    sku = nfc(item.sku)
    if showroom or sku:
        size = spec.small_pt
        baseline = cursor - size * TOP_EM
        canvas.setFont(fonts.CONDENSED, size)
        sku_w = stringWidth(sku, fonts.CONDENSED, size)
        if sku:
            canvas.drawRightString(right, baseline, sku)
        if showroom:
            room = width - sku_w - (size if sku else 0)
            canvas.drawString(left, baseline, _ellipsize(showroom, fonts.CONDENSED, size, room))
        cursor = baseline - size * DESCENT_EM

    qr_bottom = None
    if item.trace_url:
        side = min(0.42 * spec.label_h, 13 * mm)
        qr_bottom = _draw_qr(canvas, item.trace_url, right - side, cursor - side, side, spec)
        width -= side + 1 * mm  # the lines beside it stop short of the QR
        right -= side + 1 * mm

    size, lines = fit_name(nfc(item.name), fonts.CONDENSED_BOLD, spec.name_pt, spec.name_min_pt, width)
    canvas.setFont(fonts.CONDENSED_BOLD, size)
    baseline = cursor - size * TOP_EM
    for line in lines:
        canvas.drawString(left, baseline, line)
        baseline -= size * LEADING_EM
    cursor = baseline + size * LEADING_EM - size * DESCENT_EM

    if item.name_en:
        size = spec.small_pt * 1.15
        baseline = cursor - size * TOP_EM
        canvas.setFont(fonts.CONDENSED, size)
        canvas.drawString(left, baseline, _ellipsize(nfc(item.name_en), fonts.CONDENSED, size, width))
        cursor = baseline - size * DESCENT_EM

    lot = " · ".join(part for part in (f"Lô {nfc(item.lot_code)}" if item.lot_code else "", _hsd(item.expiry)) if part)
    if lot:
        size = spec.small_pt * 1.1
        baseline = cursor - size * TOP_EM
        canvas.setFont(fonts.CONDENSED_BOLD, size)
        canvas.drawString(left, baseline, _ellipsize(lot, fonts.CONDENSED_BOLD, size, width))
        cursor = baseline - size * DESCENT_EM

    if item.grams is not None and item.price_per_kg_vnd is not None:
        size = spec.small_pt * 1.1
        baseline = cursor - size * TOP_EM
        canvas.setFont(fonts.CONDENSED_BOLD, size)
        weighed = format_line(item.grams, item.price_per_kg_vnd, WEIGHT)  # 0,350 kg × 120.000 ₫/kg
        canvas.drawString(left, baseline, _ellipsize(weighed, fonts.CONDENSED_BOLD, size, width))
        cursor = baseline - size * DESCENT_EM

    cursor = _draw_price_and_stars(canvas, item, left, right, cursor, spec)
    if qr_bottom is not None:
        cursor = min(cursor, qr_bottom)
    _draw_barcode(canvas, code, x, y + spec.pad_y, cursor - 0.8 * mm, spec)


def _draw_qr(canvas: Canvas, payload: str, x: float, y: float, side: float, spec: LabelLayout) -> float:
    """A QR of ``payload`` in the square at (x, y), modules on whole printer dots; returns its bottom."""
    matrix = qr_matrix(payload)
    border = 2  # the matrix carries a 4-module quiet zone; two are enough beside white label stock
    rows = [row[border:-border] for row in matrix[border:-border]]
    module = max(math.floor(side / len(rows) / spec.dot), 1) * spec.dot
    top = y + side
    canvas.setFillGray(0)
    for r, start, end in dark_runs(rows):
        canvas.rect(x + start * module, top - (r + 1) * module, (end - start) * module, module, stroke=0, fill=1)
    return top - len(rows) * module


def _hsd(expiry: date | None) -> str:
    return f"HSD {expiry:%d/%m/%Y}" if expiry else ""


def _draw_price_and_stars(
    canvas: Canvas, item: LabelItem, left: float, right: float, top: float, spec: LabelLayout
) -> float:
    """Price on the left, OCOP stars on the right of one line; returns the line's bottom."""
    price = format_vnd(item.price_vnd)
    star_size = spec.price_pt * 0.75
    gap = star_size / 2
    price_size = spec.price_pt
    stars = ""
    if item.stars is not None:
        # The full row of stars reads best; "OCOP 4★" is the fallback when a long price leaves no room.
        candidates = [f"OCOP {STAR * item.stars}", f"OCOP {item.stars}{STAR}"]
        while True:
            room = right - left - stringWidth(price, fonts.BOLD, price_size) - gap
            fitting = [c for c in candidates if stringWidth(c, fonts.CONDENSED_BOLD, star_size) <= room]
            if fitting or price_size <= spec.name_min_pt:
                stars = fitting[0] if fitting else candidates[-1]
                break
            price_size -= 0.5
    baseline = top - 0.4 * mm - price_size * 0.8  # digits and ₫ carry no marks above cap height
    canvas.setFont(fonts.BOLD, price_size)
    canvas.drawString(left, baseline, price)
    if stars:
        canvas.setFont(fonts.CONDENSED_BOLD, star_size)
        canvas.drawRightString(right, baseline, stars)
    return baseline - price_size * DESCENT_EM


def _draw_barcode(canvas: Canvas, code: str, x: float, bottom: float, top: float, spec: LabelLayout) -> None:
    """Bars and digits of ``code`` centred across the label between ``bottom`` and ``top``."""
    kind = barcode_kind(code)
    symbology = _SYMBOLOGIES[kind]
    built = barcode.get_barcode_class(kind)(code[: symbology.body_len])
    if built.get_fullcode() != code:  # normalize_barcode checked the digit; this guards the library
        raise AssertionError(f"python-barcode encoded {built.get_fullcode()} for {code}")
    modules = built.build()[0]
    quiet_left, quiet_right = symbology.quiet
    total = quiet_left + len(modules) + quiet_right

    # The quiet zones may use the label's padding, but not its last millimetre (roll labels drift sideways).
    available = spec.label_w - 2 * min(spec.pad_x, 1 * mm)
    module = min(spec.max_module, available / total)
    module = max(math.floor(module / spec.dot), 1) * spec.dot
    start = x + (spec.label_w - total * module) / 2 + quiet_left * module
    start = round(start / spec.dot) * spec.dot

    digit_size = min(spec.digits_pt, 5.6 * module / stringWidth("0", fonts.CONDENSED, 1))
    digit_top = bottom + digit_size * DIGIT_HEIGHT_EM
    bar_bottom = digit_top + 0.4 * mm
    guard_bottom = bottom + digit_size * DIGIT_HEIGHT_EM / 2

    canvas.setFillGray(0)
    for first, end, value in _runs(modules, symbology.long_modules):
        if value != "1":
            continue
        low = guard_bottom if first in symbology.long_modules else bar_bottom
        canvas.rect(start + first * module, low, (end - first) * module, top - low, stroke=0, fill=1)

    for first_digit, end_digit, span_start, span_end, outside in symbology.digit_groups:
        digits = code[first_digit:end_digit]
        size = digit_size * 0.8 if outside and kind == "upca" else digit_size
        canvas.setFont(fonts.CONDENSED, size)
        cell = (span_end - span_start) * module / len(digits)
        for i, digit in enumerate(digits):
            centre = start + span_start * module + (i + 0.5) * cell
            canvas.drawCentredString(centre, bottom, digit)


def _runs(modules: str, long_modules: frozenset[int]) -> list[tuple[int, int, str]]:
    """Split the module string into (first, end, value) runs, also breaking where bar height changes."""
    runs: list[tuple[int, int, str]] = []
    first = 0
    for i in range(1, len(modules) + 1):
        if i == len(modules) or modules[i] != modules[first] or (i in long_modules) != (first in long_modules):
            runs.append((first, i, modules[first]))
            first = i
    return runs


def fit_name(text: str, font: str, max_pt: float, min_pt: float, width: float) -> tuple[float, list[str]]:
    """Font size and at most two lines for a product name: shrink first, then wrap, then ellipsis."""
    sizes = [max_pt - 0.5 * i for i in range(int((max_pt - min_pt) / 0.5) + 1)]
    for size in sizes:
        if stringWidth(text, font, size) <= width:
            return size, [text]
    for size in sizes:
        lines = _wrap(text, font, size, width)
        if len(lines) <= 2:
            return size, [_join(line) for line in lines]
    lines = _wrap(text, font, min_pt, width)
    rest = _join([token for line in lines[1:] for token in line])
    return min_pt, [_join(lines[0]), _ellipsize(rest, font, min_pt, width)]


# A token is (text, joined to the previous token by a space?). Pieces of a word too wide for one line
# join without a space, so that the leftover text can be re-joined faithfully for the ellipsis.
_Token = tuple[str, bool]


def _join(tokens: list[_Token]) -> str:
    """Line text from tokens; a line never starts with a space."""
    return "".join((" " if spaced and i else "") + text for i, (text, spaced) in enumerate(tokens))


def _wrap(text: str, font: str, size: float, width: float) -> list[list[_Token]]:
    """Greedy word wrap; a word wider than the line breaks between characters."""
    tokens: list[_Token] = []
    for word in text.split():
        pieces = _split_word(word, font, size, width)
        tokens += [(piece, i == 0) for i, piece in enumerate(pieces)]
    lines: list[list[_Token]] = [[]]
    for token in tokens:
        if lines[-1] and stringWidth(_join([*lines[-1], token]), font, size) > width:
            lines.append([])
        lines[-1].append(token)
    return lines


def _split_word(word: str, font: str, size: float, width: float) -> list[str]:
    """Cut a word into pieces that each fit the width, never between a letter and its marks."""
    pieces = [""]
    for cluster in _clusters(word):
        if pieces[-1] and stringWidth(pieces[-1] + cluster, font, size) > width:
            pieces.append("")
        pieces[-1] += cluster
    return pieces


def _clusters(text: str) -> list[str]:
    """Letters with any combining marks kept on them (NFC leaves few, but a typed name may have some)."""
    clusters: list[str] = []
    for ch in text:
        if clusters and unicodedata.combining(ch):
            clusters[-1] += ch
        else:
            clusters.append(ch)
    return clusters


def _ellipsize(text: str, font: str, size: float, width: float) -> str:
    """The text if it fits, else its longest word-boundary prefix plus "…" (character boundary if need be)."""
    if stringWidth(text, font, size) <= width:
        return text
    words = text.split()
    for count in range(len(words) - 1, 0, -1):
        candidate = " ".join(words[:count]) + ELLIPSIS
        if stringWidth(candidate, font, size) <= width:
            return candidate
    clusters = _clusters(text)
    for count in range(len(clusters) - 1, -1, -1):
        candidate = "".join(clusters[:count]).rstrip() + ELLIPSIS
        if stringWidth(candidate, font, size) <= width:
            return candidate
    return ""
