"""Receipt PDFs (hóa đơn bán lẻ, phiếu hoàn tiền) for 80 mm and 58 mm thermal rolls and A4, from plain data.

Layout is done in two passes: the content is first measured into blocks of known height, then drawn.
A roll page is exactly as tall as its content; an A4 receipt flows over as many pages as it needs.
"""

from __future__ import annotations

import io
import math
import re
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from PIL import Image
from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.colors import black
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from pos import fonts
from pos.catalog.models import vat_label
from pos.money import format_bp, format_vnd
from pos.printing.raster import DOT, RasterCanvas
from pos.quantity import PIECE, format_line, is_weighed, line_amount, qty_number
from pos.sales.receipt_labels import LABELS, Wording, printed_language
from pos.sales.vietqr import dark_runs, qr_matrix
from pos.vnwords import amount_in_words

PAPERS = ("80mm", "58mm", "a4")
MIN_BAR_WIDTH = 0.19 * mm  # narrower Code128 modules do not scan reliably from thermal paper
STAR = "★"  # U+2605, drawn by the DejaVu faces we ship


def _shop_timezone() -> tzinfo:
    """Asia/Ho_Chi_Minh; a fixed UTC+7 where no tz database is installed (Windows without tzdata)."""
    try:
        return ZoneInfo("Asia/Ho_Chi_Minh")
    except ZoneInfoNotFoundError:
        return timezone(timedelta(hours=7), "ICT")  # Vietnam has kept UTC+7 without DST since 1975


SHOP_TZ = _shop_timezone()


@dataclass(frozen=True)
class ReceiptLine:
    """One product line as sold: total_vnd is after the line's discount."""

    name: str
    qty: int
    unit: str
    unit_price_vnd: int
    discount_vnd: int
    total_vnd: int
    vat_rate_bp: int  # -1 for a gift basket, whose components keep their own rates
    vat_class: str = "standard"  # exempt goods print KCT, not 0 %
    contents: tuple[str, ...] = ()  # a gift basket's components ("2 Chè Tân Cương"), printed on request
    promotion: str = ""  # the promotion the line got, printed under it
    stars: int | None = None  # OCOP stars, only while the product's certificate was valid on the day of sale
    sold_by: str = PIECE  # "weight": qty in grams, unit_price_vnd per kg
    name_en: str = ""  # the product story's English name, for an English or bilingual receipt


@dataclass(frozen=True)
class ReceiptPayment:
    """One payment; tendered and change are for cash, reference for card and transfer."""

    method: str  # "cash" | "card" | "transfer"
    amount_vnd: int
    tendered_vnd: int | None = None
    change_vnd: int | None = None
    reference: str | None = None
    paid_at: datetime | None = None  # card and transfer: when the money was confirmed received


@dataclass(frozen=True)
class VatBreakdown:
    """VAT contained in the VAT-inclusive gross sold at one rate."""

    rate_bp: int
    gross_vnd: int
    vat_vnd: int
    mark: str = ""  # KCT, KKKNT: no rate


@dataclass(frozen=True)
class InvoiceCopy:
    """The e-invoice a receipt is the paper copy of (or, on a refund, the invoice that corrects the sale's)."""

    title: str  # HÓA ĐƠN GIÁ TRỊ GIA TĂNG / HÓA ĐƠN BÁN HÀNG
    subtitle: str  # (Khởi tạo từ máy tính tiền)
    symbol: str  # form + symbol: 1C26MAB
    number: str  # 00000042
    mccqt: str
    buyer: list[str]  # "Người mua: …", "Tên đơn vị: …", "MST: …" as printed; the consumer wording when none
    lookup: str  # how the buyer finds it
    lookup_qr: str  # payload of the lookup QR
    net_vnd: int | None = None  # form 1: total before VAT
    vat_vnd: int | None = None
    corrects: str | None = None  # "Thay thế cho hóa đơn …"


@dataclass(frozen=True)
class ReceiptData:
    """Everything printed on a receipt, already computed; no database behind it."""

    showroom_name: str
    showroom_address: str
    showroom_tax_code: str
    showroom_phone: str | None
    receipt_number: str
    issued_at: datetime  # timezone-aware; printed in Vietnam local time
    cashier_name: str
    lines: list[ReceiptLine]
    subtotal_vnd: int
    discount_vnd: int
    total_vnd: int
    vat: list[VatBreakdown]
    payments: list[ReceiptPayment]
    footer: str
    vietqr_payload: str | None = None
    is_copy: bool = False
    copy_number: int = 0  # 1 for the first reprint, printed as "lần in 2"
    kind: str = "sale"  # or "refund", or "test" (a printer's test page)
    original_receipt_number: str | None = None  # the sale a refund returns goods from
    note: str | None = None
    approvals: tuple[str, ...] = ()  # who approved which discount, one line each
    invoice: InvoiceCopy | None = None
    show_contents: bool = False  # print each gift basket's contents under it
    language: str = "vi"  # "vi", "en" or "vi+en" (pos/sales/receipt_labels.py); amounts and words stay Vietnamese
    footer_en: str = ""  # the footer on an English or bilingual receipt; blank: a thank-you line


@dataclass(frozen=True)
class _Style:
    """Sizes for one paper."""

    page_width: float
    margin_x: float
    margin_y: float
    font: str
    bold: str
    size: float
    small: float
    shop_size: float
    title_size: float
    total_size: float
    qr_size: float
    bar_height: float
    is_roll: bool
    dot: float = 0  # > 0: drawn as a raster of dots this size (points); barcode and QR modules snap to whole dots


def _style(paper: str) -> _Style:
    """The style for a paper name."""
    if paper == "80mm":
        # 72 mm printable on an 80 mm roll.
        return _Style(80 * mm, 4 * mm, 4 * mm, fonts.REGULAR, fonts.BOLD, 8, 7, 11, 11, 12, 42 * mm, 11 * mm, True)
    if paper == "58mm":
        # 48 mm printable: the condensed face keeps amounts beside their labels.
        return _Style(
            58 * mm, 5 * mm, 4 * mm, fonts.CONDENSED, fonts.CONDENSED_BOLD, 7.5, 6.5, 10, 10, 11, 38 * mm, 10 * mm, True
        )
    if paper == "a4":
        return _Style(A4[0], 18 * mm, 15 * mm, fonts.REGULAR, fonts.BOLD, 9.5, 8, 15, 14, 13, 42 * mm, 12 * mm, False)
    raise ValueError(f"unknown paper {paper!r}; expected one of {', '.join(PAPERS)}")


def raster_style(paper: str, width_dots: int, dot: float) -> _Style:
    """The roll style drawn as a raster ``width_dots`` wide: the printer's printable width, no side margins."""
    if paper not in ("80mm", "58mm"):
        raise ValueError(f"a raster receipt is for a roll (80mm or 58mm), not {paper!r}")
    return replace(_style(paper), page_width=width_dots * dot, margin_x=0, margin_y=2 * mm, dot=dot)


def _width(text: str, font: str, size: float) -> float:
    """Width of a string in points."""
    return stringWidth(text, font, size)


def _nfc(text: str | None) -> str:
    """NFC so every Vietnamese letter is one precomposed glyph (and one character to wrap on)."""
    return unicodedata.normalize("NFC", text or "")


NBSP = "\u00a0"
_BREAKABLE_SPACE = re.compile(r"[^\S\u00a0]+")  # whitespace other than the no-break space


def wrap_text(text: str, font: str, size: float, width: float) -> list[str]:
    """Greedy word wrap; a word wider than the line is split between characters, never inside one."""
    lines: list[str] = []
    # An amount never leaves its "₫" alone at the start of the next line.
    for paragraph in _nfc(text).replace(" ₫", NBSP + "₫").splitlines():
        current = ""
        for word in _BREAKABLE_SPACE.split(paragraph.strip()):
            if not word:
                continue
            candidate = f"{current} {word}" if current else word
            if _width(candidate, font, size) <= width:
                current = candidate
                continue
            if current:
                lines.append(current)
            while _width(word, font, size) > width and len(word) > 1:
                cut = len(word) - 1
                while cut > 1 and _width(word[:cut], font, size) > width:
                    cut -= 1
                while cut > 1 and unicodedata.combining(word[cut]):
                    cut -= 1  # keep a stray combining mark with its base letter
                lines.append(word[:cut])
                word = word[cut:]
            current = word
        if current:
            lines.append(current)
    return [line.replace(NBSP, " ") for line in lines]


Draw = Callable[[Canvas, float, float], None]  # (canvas, left x of the content, top y of the block)


@dataclass
class _Block:
    """A strip of the receipt with a known height."""

    height: float
    draw: Draw
    repeat_header: _Block | None = None  # A4: redrawn at the top of a page this block starts
    keep_with_next: bool = False  # A4: never end a page after this block


@dataclass
class _Builder:
    """Measures content into blocks for one paper."""

    style: _Style
    blocks: list[_Block] = field(default_factory=list)

    @property
    def width(self) -> float:
        """Content width."""
        return self.style.page_width - 2 * self.style.margin_x

    def leading(self, size: float) -> float:
        """Line pitch for a font size."""
        return size * 1.3

    def add(self, height: float, draw: Draw, repeat_header: _Block | None = None) -> _Block:
        """Append a block."""
        block = _Block(height, draw, repeat_header)
        self.blocks.append(block)
        return block

    @contextmanager
    def together(self) -> Iterator[None]:
        """Keep the blocks added inside on one page (a caption with its QR, the totals)."""
        start = len(self.blocks)
        yield
        for block in self.blocks[start:-1]:
            block.keep_with_next = True

    def space(self, height: float) -> None:
        """Vertical gap."""
        self.add(height, lambda c, x, y: None)

    def text(
        self,
        text: str,
        *,
        bold: bool = False,
        size: float | None = None,
        align: str = "left",
        indent: float = 0,
        x0: float = 0,
        width: float | None = None,
    ) -> None:
        """Wrapped text, aligned left, centre or right."""
        font = self.style.bold if bold else self.style.font
        size = size or self.style.size
        avail = (width or self.width) - indent
        lines = wrap_text(text, font, size, avail)
        if not lines:
            return
        lead = self.leading(size)

        def draw(c: Canvas, x: float, y: float) -> None:
            c.setFont(font, size)
            left = x + x0 + indent
            for i, line in enumerate(lines):
                base = _baseline(y - i * lead, size, lead)
                if align == "center":
                    c.drawCentredString(left + avail / 2, base, line)
                elif align == "right":
                    c.drawRightString(left + avail, base, line)
                else:
                    c.drawString(left, base, line)

        self.add(len(lines) * lead, draw)

    def pair(
        self,
        label: str,
        value: str,
        *,
        bold: bool = False,
        size: float | None = None,
        indent: float = 0,
        x0: float = 0,
        width: float | None = None,
    ) -> None:
        """A label on the left and an amount flush right; the amount drops below a label it cannot sit beside."""
        font = self.style.bold if bold else self.style.font
        size = size or self.style.size
        avail = (width or self.width) - indent
        gap = size * 0.8
        value_w = _width(value, font, size)
        lines = wrap_text(label, font, size, avail)
        value_row = max(len(lines) - 1, 0)
        if lines and _width(lines[-1], font, size) + gap + value_w > avail:
            value_row = len(lines)
        rows = max(len(lines), value_row + 1)
        lead = self.leading(size)

        def draw(c: Canvas, x: float, y: float) -> None:
            c.setFont(font, size)
            left = x + x0 + indent
            for i, line in enumerate(lines):
                c.drawString(left, _baseline(y - i * lead, size, lead), line)
            c.drawRightString(left + avail, _baseline(y - value_row * lead, size, lead), value)

        self.add(rows * lead, draw)

    def rule(self, *, dashed: bool = True, x0: float = 0, width: float | None = None) -> None:
        """A separator line with a little air around it."""
        height = self.style.size * 0.9
        span = width or self.width

        def draw(c: Canvas, x: float, y: float) -> None:
            c.saveState()
            c.setLineWidth(0.5)
            if dashed:
                c.setDash(2, 1.5)
            c.line(x + x0, y - height / 2, x + x0 + span, y - height / 2)
            c.restoreState()

        self.add(height, draw)

    def boxed(self, text: str, size: float) -> None:
        """Bold text in a heavy frame: the "BẢN SAO" mark nobody can miss."""
        font = self.style.bold
        pad = size * 0.45
        lines = wrap_text(text, font, size, self.width - 2 * pad - 2)
        lead = self.leading(size)
        box_h = len(lines) * lead + 2 * pad

        def draw(c: Canvas, x: float, y: float) -> None:
            c.saveState()
            c.setLineWidth(1.5)
            c.rect(x + 0.75, y - box_h, self.width - 1.5, box_h - 0.75, stroke=1, fill=0)
            c.setFont(font, size)
            for i, line in enumerate(lines):
                c.drawCentredString(x + self.width / 2, _baseline(y - pad - i * lead, size, lead), line)
            c.restoreState()

        self.add(box_h, draw)

    def qr(self, payload: str, size: float) -> None:
        """A QR code drawn as vector modules, centred (crisp at any printer resolution)."""
        matrix = qr_matrix(payload)
        module = size / len(matrix)
        if self.style.dot:  # whole dots per module, or the modules of a raster QR come out uneven
            module = max(1, math.floor(module / self.style.dot)) * self.style.dot
            size = module * len(matrix)

        def draw(c: Canvas, x: float, y: float) -> None:
            left = x + (self.width - size) / 2
            c.saveState()
            c.setFillColor(black)
            for r, start, end in dark_runs(matrix):
                c.rect(left + start * module, y - (r + 1) * module, (end - start) * module, module, 0, 1)
            c.restoreState()

        self.add(size, draw)

    def barcode(self, value: str) -> None:
        """The receipt number as Code128 (10-module quiet zones) with the number printed under it.

        A number too long to sit across a narrow roll at a printable bar width is turned to run down it.
        """
        preferred = 0.25 * mm if self.style.is_roll else 0.33 * mm  # 2 dots of a 203 dpi thermal head
        dot = self.style.dot
        if dot:
            preferred = 2 * dot
        modules = Code128(value, barWidth=1, humanReadable=False, quiet=False).width  # width in modules
        bar_width = min(preferred, self.width / (modules + 20))
        if dot:
            bar_width = math.floor(bar_width / dot + 1e-9) * dot
        is_rotated = bar_width < (dot * 2 if dot else MIN_BAR_WIDTH)
        if is_rotated:
            bar_width = preferred
        bar_height = self.style.bar_height * (1.4 if is_rotated else 1)
        symbol = Code128(
            value,
            barWidth=bar_width,
            barHeight=bar_height,
            humanReadable=False,  # its caption font would be Helvetica
            quiet=True,
            lquiet=10 * bar_width,
            rquiet=10 * bar_width,
        )
        symbol_height = symbol.width if is_rotated else bar_height
        size = self.style.small
        lead = self.leading(size)
        gap = size * 0.3
        caption = wrap_text(value, self.style.font, size, self.width)

        def draw(c: Canvas, x: float, y: float) -> None:
            c.saveState()
            c.setFillColor(black)
            if is_rotated:
                c.saveState()
                c.translate(x + (self.width - bar_height) / 2, y)
                c.rotate(-90)
                symbol.drawOn(c, 0, 0)
                c.restoreState()
            else:
                symbol.drawOn(c, x + (self.width - symbol.width) / 2, y - bar_height)
            c.setFont(self.style.font, size)
            for i, line in enumerate(caption):
                top = y - symbol_height - gap - i * lead
                c.drawCentredString(x + self.width / 2, _baseline(top, size, lead), line)
            c.restoreState()

        self.add(symbol_height + gap + len(caption) * lead, draw)

    def table(self, columns: list[tuple[str, float, str]], rows: list[list[str]]) -> None:
        """A ruled table (A4 lines); the header row repeats on every page the table reaches."""
        size = self.style.size
        lead = self.leading(size)
        pad = 1.2 * mm
        total = sum(w for _, w, _ in columns)
        widths = [w * self.width / total for _, w, _ in columns]

        def row_block(cells: list[str], font: str, is_header: bool) -> tuple[float, Draw]:
            wrapped = [wrap_text(cell, font, size, w - 2 * pad) or [""] for cell, w in zip(cells, widths, strict=True)]
            height = max(len(cell) for cell in wrapped) * lead + 2 * pad

            def draw(c: Canvas, x: float, y: float) -> None:
                c.saveState()
                if is_header:
                    c.setFillGray(0.88)
                    c.rect(x, y - height, self.width, height, stroke=0, fill=1)
                    c.setFillColor(black)
                c.setFont(font, size)
                left = x
                for (_, _, align), w, lines in zip(columns, widths, wrapped, strict=True):
                    for i, line in enumerate(lines):
                        base = _baseline(y - pad - i * lead, size, lead)
                        if align == "right":
                            c.drawRightString(left + w - pad, base, line)
                        elif align == "center":
                            c.drawCentredString(left + w / 2, base, line)
                        else:
                            c.drawString(left + pad, base, line)
                    left += w
                c.setLineWidth(0.4 if is_header else 0.25)
                c.line(x, y - height, x + self.width, y - height)
                c.restoreState()

            return height, draw

        header = _Block(*row_block([name for name, _, _ in columns], self.style.bold, True))
        self.blocks.append(header)
        for cells in rows:
            self.add(*row_block(cells, self.style.font, False), repeat_header=header)


def _baseline(top: float, size: float, lead: float) -> float:
    """Baseline of a text line whose box starts at ``top``, centred in the line pitch."""
    return top - (lead - size * 1.17) / 2 - size * 0.93  # DejaVu: ascent 0.93 em, descent 0.24 em


def _local_time(issued_at: datetime) -> str:
    """dd/mm/yyyy HH:MM in Vietnam time."""
    if issued_at.tzinfo is None or issued_at.utcoffset() is None:
        raise ValueError("issued_at must be timezone-aware")
    return issued_at.astimezone(SHOP_TZ).strftime("%d/%m/%Y %H:%M")


def wording(data: ReceiptData) -> Wording:
    """The receipt's words: its language, Vietnamese kept on an invoice's copy; a test page is Vietnamese."""
    if data.kind == "test":
        return Wording()
    return Wording(printed_language(data.language, data.invoice is not None))


def _copy_mark(data: ReceiptData, t: Wording) -> str:
    """'BẢN SAO (lần in 2)' for the first reprint; plain 'BẢN SAO' when the count is unknown (English below)."""
    key, n = ("copy_n", data.copy_number + 1) if data.copy_number > 0 else ("copy", 0)
    first, second = t.stacked(key, n=n)
    return f"{first}\n{second}" if second else first


def _titled(b: _Builder, title: tuple[str, str | None], size: float, bold: bool = True) -> None:
    """A centred title, and its English under it in smaller type on a bilingual receipt."""
    first, second = title
    b.text(first, bold=bold, size=size, align="center")
    if second:
        b.text(second, bold=bold, size=max(size * 0.75, b.style.small), align="center")


def _header(b: _Builder, data: ReceiptData, t: Wording) -> None:
    """Showroom, title, copy mark, receipt number, time and cashier."""
    style, s = b.style, b.style.size
    b.text(data.showroom_name, bold=True, size=style.shop_size, align="center")
    b.text(data.showroom_address, size=style.small, align="center")
    b.text(f"{t('tax_code')}: {data.showroom_tax_code}", size=style.small, align="center")
    if data.showroom_phone:
        b.text(f"{t('phone')}: {data.showroom_phone}", size=style.small, align="center")
    b.space(s * 0.8)
    invoice = data.invoice
    if data.kind == "test":
        _titled(b, t.stacked("test_title"), style.title_size)
    elif data.kind == "refund":
        _titled(b, t.stacked("refund_title"), style.title_size)
        if data.original_receipt_number:
            b.text(t("refund_for", number=data.original_receipt_number), align="center")
    elif invoice is not None:
        _titled(b, t.title(invoice.title), style.title_size)
        _titled(b, t.title(invoice.subtitle), style.small, bold=False)
        # Each label with its value, unbroken: a narrow roll breaks between the two, not inside "Số (No.)".
        symbol, number = (
            f"{t(key)}: {value}".replace(" ", NBSP)
            for key, value in (("symbol", invoice.symbol), ("number", invoice.number))
        )
        b.text(f"{symbol}   {number}", bold=True, align="center")
        b.text(f"{t('mccqt')}: {invoice.mccqt}", align="center")
    else:
        _titled(b, t.stacked("title"), style.title_size)
    if data.is_copy:
        b.space(s * 0.4)
        b.boxed(_copy_mark(data, t), style.title_size)
    b.space(s * 0.6)
    number_key = "refund_no" if data.kind == "refund" else "order_no" if invoice is not None else "receipt_no"
    b.text(f"{t(number_key)}: {data.receipt_number}")
    b.text(f"{t('date')}: {_local_time(data.issued_at)}")
    b.text(f"{t('cashier')}: {data.cashier_name}")
    if invoice is not None and data.kind != "refund":
        for line in invoice.buyer:
            b.text(line)


def line_names(line: ReceiptLine, t: Wording) -> tuple[str, str | None]:
    """A line's name as printed, and the English under it on a bilingual receipt (None when there is none)."""
    return t.names(line.name, line.name_en)


def _lines_roll(b: _Builder, lines: list[ReceiptLine], t: Wording, show_contents: bool = False) -> None:
    """Each line as its name, then "qty unit × price" with the amount flush right."""
    s = b.style.size
    indent = s * 0.8
    b.rule()
    for line in lines:
        with b.together():
            name, english = line_names(line, t)
            b.text(name, bold=True)
            if english:
                b.text(english, size=b.style.small)
            if line.stars:
                b.text(f"OCOP {STAR * line.stars}", size=b.style.small, indent=indent)
            if show_contents:
                for item in line.contents:
                    b.text(f"– {item}", size=b.style.small, indent=indent)
            if is_weighed(line.sold_by):
                detail = format_line(line.qty, line.unit_price_vnd, line.sold_by)  # 0,350 kg × 120.000 ₫/kg
            else:
                detail = f"{line.qty} {t.unit(line.unit)} × {format_vnd(line.unit_price_vnd)}"
            b.pair(detail, format_vnd(line_amount(line.qty, line.unit_price_vnd, line.sold_by)), indent=indent)
            if line.promotion:
                b.text(f"{t('promotion')}: {line.promotion}", size=b.style.small, indent=indent)
            if line.discount_vnd:
                b.pair(t("line_discount"), format_vnd(-line.discount_vnd), indent=indent)
                b.pair(t("line_total"), format_vnd(line.total_vnd), indent=indent)
        b.space(s * 0.25)
    b.rule()


def _a4_name(line: ReceiptLine, t: Wording) -> str:
    """The name cell of an A4 line: name (the English beside it when bilingual), OCOP stars while valid, promotion.

    Beside, in brackets, since a table cell has one type size (the English under it would have to be smaller).
    """
    name = t.name(line.name, line.name_en)
    name = f"{name} (OCOP {line.stars}{STAR})" if line.stars else name
    return f"{name} ({t('promotion')}: {line.promotion})" if line.promotion else name


def _column(t: Wording, key: str) -> str:
    """A table header; bilingual on two lines, the English under the Vietnamese (brackets break narrow columns)."""
    first, second = t.stacked(key)
    return f"{first}\n{second}" if second else first


def _lines_a4(b: _Builder, lines: list[ReceiptLine], t: Wording, show_contents: bool = False) -> None:
    """The lines as a table, as on a printed invoice."""
    columns = [
        (_column(t, "col_no"), 11, "center"),
        (_column(t, "col_product"), 52, "left"),
        (_column(t, "col_unit"), 13, "left"),
        (_column(t, "col_qty"), 14, "right"),  # room for a weight: 12,345 (kg)
        (_column(t, "col_price"), 24, "right"),
        (_column(t, "col_discount"), 22, "right"),
        (_column(t, "col_vat"), 15, "right"),
        (_column(t, "col_amount"), 26, "right"),
    ]
    rows = [
        [
            str(i),
            _a4_name(line, t),
            t.unit(line.unit),
            qty_number(line.qty, line.sold_by),
            format_vnd(line.unit_price_vnd),
            format_vnd(-line.discount_vnd) if line.discount_vnd else "",
            vat_label(line.vat_class, line.vat_rate_bp) if line.vat_rate_bp >= 0 else _column(t, "mixed_rates"),
            format_vnd(line.total_vnd),
        ]
        for i, line in enumerate(lines, start=1)
    ]
    if show_contents and any(line.contents for line in lines):
        rows = [
            row
            for i, line in enumerate(lines)
            for row in [rows[i], *(["", f"  – {item}", "", "", "", "", "", ""] for item in line.contents)]
        ]
    b.space(b.style.size * 0.8)
    b.table(columns, rows)
    b.space(b.style.size * 0.8)


def _in_words_label(t: Wording) -> str:
    """'Bằng chữ'; on an English receipt 'In words (Bằng chữ)', since the words that follow are Vietnamese."""
    return t("in_words") if t.has_vietnamese else f"{t.en('in_words')} ({t.vi('in_words')})"


def _totals_and_payments(b: _Builder, data: ReceiptData, t: Wording, x0: float, width: float) -> None:
    """Subtotal, discount, total in figures and words, VAT by rate, then each payment."""
    style, s = b.style, b.style.size
    col = {"x0": x0, "width": width}
    with b.together():
        b.pair(t("subtotal"), format_vnd(data.subtotal_vnd), **col)
        if data.discount_vnd:
            b.pair(t("discount"), format_vnd(-data.discount_vnd), **col)
            for approval in data.approvals:
                b.text(approval, size=style.small, **col)
        b.space(s * 0.3)
        # Bilingual: the English under the Vietnamese, so the big amount keeps its place beside the label.
        total_label, total_en = t.stacked("refund_total" if data.kind == "refund" else "total")
        amount, size = format_vnd(data.total_vnd), style.total_size
        if total_en and _width(f"{total_label} {amount}", style.bold, size) + size * 0.8 > width:
            # A narrow roll: label, its English, then the amount on a line of its own, in reading order.
            b.text(total_label, bold=True, size=size, **col)
            b.text(total_en, bold=True, size=style.small, **col)
            b.text(amount, bold=True, size=size, align="right", **col)
        else:
            b.pair(total_label, amount, bold=True, size=size, **col)
            if total_en:
                b.text(total_en, bold=True, size=style.small, **col)
        b.space(s * 0.3)
        b.text(f"{_in_words_label(t)}: {amount_in_words(data.total_vnd)}", **col)
    if data.vat:
        b.space(s * 0.4)
        with b.together():
            for vat in data.vat:
                if vat.mark:  # no VAT to state: the goods' value, named by their mark
                    b.pair(f"{t(vat.mark)} ({vat.mark})", format_vnd(vat.gross_vnd), size=style.small, **col)
                else:
                    label = t("vat", rate=format_bp(vat.rate_bp))
                    b.pair(label, format_vnd(vat.vat_vnd), size=style.small, **col)
            b.text(t("vat_included"), size=style.small, **col)
    if data.invoice is not None and data.invoice.net_vnd is not None and data.kind != "refund":
        with b.together():
            b.pair(t("net"), format_vnd(data.invoice.net_vnd), size=style.small, **col)
            b.pair(t("vat_amount"), format_vnd(data.invoice.vat_vnd or 0), size=style.small, **col)
    if not data.payments:
        return
    b.rule(**col)
    sub = {"indent": s * 0.8, **col}
    for payment in data.payments:
        with b.together():
            method = t(payment.method) if payment.method in LABELS else payment.method
            b.pair(method, format_vnd(payment.amount_vnd), **col)
            if payment.tendered_vnd is not None:
                b.pair(t("tendered"), format_vnd(payment.tendered_vnd), **sub)
            if payment.change_vnd is not None:
                b.pair(t("change"), format_vnd(payment.change_vnd), **sub)
            if payment.paid_at is not None:
                paid = t("transfer_at") if payment.method == "transfer" else t("paid_at")
                b.text(f"{paid} {_local_time(payment.paid_at)}", size=style.small, **sub)
            if payment.reference:
                b.text(f"{t('reference')}: {payment.reference}", size=style.small, **sub)


def _footer(data: ReceiptData, t: Wording) -> str:
    """The configured footer; in English the English one (or a thank-you line), bilingual both."""
    english = data.footer_en or (t.en("thanks") if data.kind != "test" else "")
    if not t.has_english:
        return data.footer
    if not t.has_vietnamese:
        return english
    return "\n".join(part for part in (data.footer, english) if part)


def _build(data: ReceiptData, style: _Style) -> list[_Block]:
    """Measure the whole receipt into blocks, top to bottom."""
    b = _Builder(style)
    s = style.size
    t = wording(data)
    _header(b, data, t)
    if style.is_roll:
        _lines_roll(b, data.lines, t, data.show_contents)
        _totals_and_payments(b, data, t, 0, b.width)
    else:
        _lines_a4(b, data.lines, t, data.show_contents)
        col_w = 95 * mm  # totals sit in a column on the right, under the amounts
        _totals_and_payments(b, data, t, b.width - col_w, col_w)
    if data.note:
        b.space(s * 0.5)
        b.text(f"{t('note')}: {data.note}")
    if data.invoice is not None and data.invoice.corrects:
        b.space(s * 0.5)
        b.text(data.invoice.corrects)
    # VietQR to pay by transfer; Code128 to find this receipt again for a reprint or a return.
    b.space(s * 0.8)
    with b.together():
        if data.vietqr_payload:
            b.text(t("scan_vietqr"), align="center")
            b.space(s * 0.2)
            b.qr(data.vietqr_payload, style.qr_size)
            b.space(s * 0.8)
        b.barcode(data.receipt_number)
    if data.invoice is not None:
        b.space(s * 0.8)
        with b.together():
            b.text(data.invoice.lookup, size=style.small, align="center")
            if data.invoice.lookup_qr:  # none while the invoice waits for its number after a restore
                b.space(s * 0.2)
                b.qr(data.invoice.lookup_qr, style.qr_size * 0.8)
    footer = _footer(data, t)
    if footer:
        b.space(s * 0.6)
        b.text(footer, size=style.small, align="center")
    return b.blocks


def _new_canvas(buf: io.BytesIO, width: float, height: float, data: ReceiptData) -> Canvas:
    """A canvas whose initial font is ours (reportlab would otherwise reference Helvetica)."""
    c = Canvas(buf, pagesize=(width, height), initialFontName=fonts.REGULAR, initialFontSize=8, invariant=True)
    title = "Phiếu hoàn tiền" if data.kind == "refund" else "Hóa đơn bán lẻ"
    if data.invoice is not None and data.kind != "refund":
        title = data.invoice.title.capitalize()
    elif not wording(data).has_vietnamese:
        title = "Refund receipt" if data.kind == "refund" else "Receipt"
    c.setTitle(f"{title} {data.receipt_number}")
    c.setAuthor(data.showroom_name)
    return c


def _paginate(blocks: list[_Block], top: float, bottom: float) -> list[list[tuple[_Block, float]]]:
    """Place blocks on A4 pages as (block, top y), keeping chains together and repeating table headers."""
    pages: list[list[tuple[_Block, float]]] = [[]]
    y = top
    for i, block in enumerate(blocks):
        need = block.height
        if i == 0 or not blocks[i - 1].keep_with_next:
            j = i
            while blocks[j].keep_with_next and j + 1 < len(blocks):
                j += 1
                need += blocks[j].height
            if need > top - bottom:
                need = block.height  # a chain taller than a page breaks where it must
        if y - need < bottom and pages[-1]:
            pages.append([])
            y = top
            if block.repeat_header is not None:
                pages[-1].append((block.repeat_header, y))
                y -= block.repeat_header.height
        pages[-1].append((block, y))
        y -= block.height
    return pages


def _check_kind(data: ReceiptData) -> None:
    if data.kind not in ("sale", "refund", "test"):
        raise ValueError(f"unknown receipt kind {data.kind!r}")


def render_receipt_raster(data: ReceiptData, paper: str, width_dots: int) -> Image.Image:
    """The receipt as a 1-bit image for a thermal printer: the same blocks as the PDF, drawn on a raster."""
    _check_kind(data)
    style = raster_style(paper, width_dots, DOT)
    fonts.register_fonts()
    blocks = _build(data, style)
    height = sum(block.height for block in blocks) + 2 * style.margin_y
    canvas = RasterCanvas(width_dots, height)
    y = height - style.margin_y
    for block in blocks:
        block.draw(canvas, 0, y)  # type: ignore[arg-type]
        y -= block.height
    return canvas.bitmap()


def render_receipt(data: ReceiptData, paper: str = "80mm") -> bytes:
    """The receipt as a PDF for an 80 mm or 58 mm roll, or A4."""
    _check_kind(data)
    style = _style(paper)
    fonts.register_fonts()
    blocks = _build(data, style)
    buf = io.BytesIO()
    x = style.margin_x

    if style.is_roll:
        # Measured first, so the page is as long as the receipt and not a millimetre longer.
        height = sum(block.height for block in blocks) + 2 * style.margin_y
        c = _new_canvas(buf, style.page_width, height, data)
        y = height - style.margin_y
        for block in blocks:
            block.draw(c, x, y)
            y -= block.height
        c.showPage()
        c.save()
        return buf.getvalue()

    page_w, page_h = A4
    pages = _paginate(blocks, page_h - style.margin_y, style.margin_y + style.small * 2.5)
    c = _new_canvas(buf, page_w, page_h, data)
    for number, placed in enumerate(pages, start=1):
        for block, top in placed:
            block.draw(c, x, top)
        if len(pages) > 1:
            c.setFont(style.font, style.small)
            t = wording(data)
            label = t("refund_no") if data.kind == "refund" else t("receipt_no")
            footer = f"{label} {data.receipt_number} – {t('page', n=number, of=len(pages))}"
            c.drawRightString(page_w - style.margin_x, style.margin_y, footer)
        c.showPage()
    c.save()
    return buf.getvalue()
