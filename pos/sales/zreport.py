"""The shift report PDF: báo cáo đóng ca (Z) from the JSON frozen at close, or báo cáo giữa ca (X) mid-shift.

The Z report is drawn only from the frozen dict, with reportlab's invariant mode, so the same shift gives the
same bytes whenever it is printed again.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from pos import fonts
from pos.money import format_vnd
from pos.printing.raster import DOT, RasterCanvas
from pos.sales.models import PAYMENT_METHODS
from pos.sales.receipts import SHOP_TZ, wrap_text
from pos.sales.shifts import NOTES

METHOD_NAMES = PAYMENT_METHODS
TITLES = {"Z": "BÁO CÁO ĐÓNG CA (Z)", "X": "BÁO CÁO GIỮA CA (X)"}


def local_dmyhm(iso: str | None) -> str:
    """An ISO timestamp as dd/mm/yyyy HH:MM in Vietnam time."""
    if not iso:
        return ""
    return datetime.fromisoformat(iso).astimezone(SHOP_TZ).strftime("%d/%m/%Y %H:%M")


def signed_vnd(amount: int) -> str:
    """A difference with its sign: '+20.000 ₫', '-5.000 ₫', '0 ₫'."""
    return f"+{format_vnd(amount)}" if amount > 0 else format_vnd(amount)


@dataclass(frozen=True)
class _Paper:
    page_width: float
    content_width: float
    margin_y: float
    font: str
    bold: str
    size: float
    title_size: float
    is_roll: bool


PAPERS: dict[str, _Paper] = {
    "80mm": _Paper(80 * mm, 72 * mm, 5 * mm, fonts.REGULAR, fonts.BOLD, 8, 11, True),
    "58mm": _Paper(58 * mm, 48 * mm, 4 * mm, fonts.CONDENSED, fonts.CONDENSED_BOLD, 7.5, 10, True),
    "a4": _Paper(A4[0], 150 * mm, 15 * mm, fonts.REGULAR, fonts.BOLD, 9.5, 14, False),
}

Draw = Callable[[Canvas, float, float], None]  # (canvas, left x, top y)


@dataclass
class _Layout:
    """Rows of known height, measured before anything is drawn (a roll page is as long as its content)."""

    paper: _Paper
    rows: list[tuple[float, Draw]] = field(default_factory=list)

    def lead(self, size: float) -> float:
        """Line pitch for a font size."""
        return size * (1.35 if self.paper.is_roll else 1.3)

    def text(self, text: str, *, bold: bool = False, size: float | None = None, align: str = "left") -> None:
        """Wrapped text."""
        font = self.paper.bold if bold else self.paper.font
        size = size or self.paper.size
        width = self.paper.content_width
        lines = wrap_text(text, font, size, width)
        lead = self.lead(size)

        def draw(c: Canvas, x: float, y: float) -> None:
            c.setFont(font, size)
            for i, line in enumerate(lines):
                base = y - (i + 1) * lead + (lead - size) / 2 + size * 0.2
                if align == "center":
                    c.drawCentredString(x + width / 2, base, line)
                else:
                    c.drawString(x, base, line)

        self.rows.append((len(lines) * lead, draw))

    def pair(self, label: str, value: str, *, bold: bool = False, indent: float = 0) -> None:
        """A label on the left and its figure flush right; a long label wraps beside the figure."""
        font = self.paper.bold if bold else self.paper.font
        size = self.paper.size
        width = self.paper.content_width - indent
        value_w = stringWidth(value, font, size)
        lines = wrap_text(label, font, size, max(width - value_w - size, width * 0.4)) or [""]
        lead = self.lead(size)

        def draw(c: Canvas, x: float, y: float) -> None:
            c.setFont(font, size)
            for i, line in enumerate(lines):
                c.drawString(x + indent, y - (i + 1) * lead + (lead - size) / 2 + size * 0.2, line)
            last = len(lines)
            c.drawRightString(x + indent + width, y - last * lead + (lead - size) / 2 + size * 0.2, value)

        self.rows.append((len(lines) * lead, draw))

    def rule(self) -> None:
        """A dashed separator."""
        height = self.paper.size
        width = self.paper.content_width

        def draw(c: Canvas, x: float, y: float) -> None:
            c.saveState()
            c.setLineWidth(0.5)
            c.setDash(2, 1.5)
            c.line(x, y - height / 2, x + width, y - height / 2)
            c.restoreState()

        self.rows.append((height, draw))

    def space(self, height: float) -> None:
        """Vertical gap."""
        self.rows.append((height, lambda c, x, y: None))

    def signatures(self, captions: list[str]) -> None:
        """Captions with room to sign: side by side on A4, one under the other on a roll."""
        size = self.paper.size
        lead = self.lead(size)
        room = size * 4
        width = self.paper.content_width
        if self.paper.is_roll:
            for caption in captions:
                self.text(caption)
                self.space(room)
            return

        def draw(c: Canvas, x: float, y: float) -> None:
            c.setFont(self.paper.font, size)
            column = width / len(captions)
            for i, caption in enumerate(captions):
                c.drawCentredString(x + column * (i + 0.5), y - lead + (lead - size) / 2 + size * 0.2, caption)

        self.rows.append((lead + room, draw))


def _methods(layout: _Layout, amounts: Mapping[str, int], methods: Mapping[str, str] | None = None) -> None:
    """One row per payment method, in the shop's order."""
    for method, name in (methods or METHOD_NAMES).items():
        layout.pair(name, format_vnd(int(amounts.get(method, 0))), indent=layout.paper.size)


def _build(z: Mapping[str, Any], showroom: Mapping[str, Any], paper: _Paper) -> _Layout:
    """The report's content, top to bottom."""
    out = _Layout(paper)
    s = paper.size
    kind = z.get("kind", "Z")
    out.text(str(showroom.get("name", "")), bold=True, size=paper.title_size * 0.9, align="center")
    if showroom.get("address"):
        out.text(str(showroom["address"]), size=s * 0.9, align="center")
    if showroom.get("tax_code"):
        out.text(f"MST: {showroom['tax_code']}", size=s * 0.9, align="center")
    out.space(s * 0.8)
    out.text(TITLES.get(kind, TITLES["Z"]), bold=True, size=paper.title_size, align="center")
    out.space(s * 0.6)
    out.pair("Ca làm việc số", str(z.get("shift_id", "")))
    if z.get("till_name"):
        out.pair("Quầy", str(z["till_name"]))
    out.pair("Thu ngân", str(z.get("cashier_name") or z.get("cashier", "")))
    out.pair("Mở ca", local_dmyhm(z.get("opened_at")))
    if kind == "Z":
        out.pair("Đóng ca", local_dmyhm(z.get("closed_at")))
    else:
        out.pair("Thời điểm lập báo cáo", local_dmyhm(z.get("generated_at")))

    blind = bool(z.get("blind"))  # a cashier's X report before the count: no cash figure at all
    methods = {m: n for m, n in METHOD_NAMES.items() if not (blind and m == "cash")}
    out.rule()
    out.text("BÁN HÀNG", bold=True)
    out.pair("Số đơn bán hàng", str(z.get("sales_count", 0)))
    if not blind:
        out.pair("Tổng thanh toán", format_vnd(int(z.get("sales_total_vnd", 0))), bold=True)
    out.pair("Giảm giá", format_vnd(int(z.get("discounts_vnd", 0))))
    out.pair(f"Đơn đã hủy ({z.get('voids_count', 0)} đơn)", format_vnd(int(z.get("voids_total_vnd", 0))))
    out.text("Theo phương thức thanh toán:")
    _methods(out, z.get("payments_by_method", {}), methods)

    out.rule()
    out.text("TRẢ HÀNG / HOÀN TIỀN", bold=True)
    if blind:
        out.pair("Số phiếu hoàn tiền", str(z.get("refunds_count", 0)))
    else:
        out.pair(f"Hoàn tiền ({z.get('refunds_count', 0)} phiếu)", format_vnd(int(z.get("refunds_total_vnd", 0))))
    _methods(out, z.get("refunds_by_method", {}), methods)

    out.rule()
    out.text("TIỀN MẶT TRONG KÉT", bold=True)
    if blind:
        out.pair("Số lần nộp tiền vào két", str(z.get("cash_in_count", 0)))
        out.pair("Số lần rút tiền khỏi két", str(z.get("cash_out_count", 0)))
        out.text("Số tiền mặt chỉ hiện sau khi đếm két lúc đóng ca.", size=s * 0.9)
    else:
        out.pair("Tiền đầu ca", format_vnd(int(z.get("opening_float_vnd", 0))))
        out.pair("Tiền mặt khách đưa", format_vnd(int(z.get("cash_tendered_vnd", 0))))
        out.pair("Tiền thừa trả khách", format_vnd(-int(z.get("change_given_vnd", 0))))
        out.pair("Hoàn tiền mặt", format_vnd(-int(z.get("cash_refunds_vnd", 0))))
        out.pair(f"Nộp tiền vào két ({z.get('cash_in_count', 0)} lần)", format_vnd(int(z.get("cash_in_vnd", 0))))
        out.pair(f"Rút tiền khỏi két ({z.get('cash_out_count', 0)} lần)", format_vnd(-int(z.get("cash_out_vnd", 0))))
        out.pair("Tiền theo sổ", format_vnd(int(z.get("expected_cash_vnd", 0))), bold=True)

    if kind == "Z":
        out.pair("Tiền đếm thực tế", format_vnd(int(z.get("counted_cash_vnd", 0))), bold=True)
        out.pair("Chênh lệch", signed_vnd(int(z.get("difference_vnd", 0))), bold=True)
        out.rule()
        out.text("KIỂM ĐẾM TIỀN MẶT", bold=True)
        counts = z.get("counts", {})
        for note in NOTES:
            n = int(counts.get(str(note), 0))
            out.pair(f"{format_vnd(note, symbol=False)} × {n}", format_vnd(note * n), indent=s)
        out.pair("Cộng", format_vnd(int(z.get("counted_cash_vnd", 0))), bold=True)
        out.rule()
        threshold = int(z.get("threshold_vnd", 0))
        if z.get("signed_off_by"):
            who = z.get("signed_off_by_name") or z.get("signed_off_by")
            out.text(f"Chênh lệch vượt ngưỡng {format_vnd(threshold)}, quản lý cửa hàng đã xác nhận: {who}")
        else:
            out.text(f"Chênh lệch trong ngưỡng cho phép ({format_vnd(threshold)}).")
        attempts = int(z.get("count_attempts", 1))
        if attempts > 1:
            out.text(f"Số lần đếm két: {attempts}")
        out.space(s * 1.2)
        out.signatures(["Thu ngân ký tên", "Quản lý cửa hàng ký tên"])
    else:
        out.space(s * 0.6)
        out.text("Báo cáo giữa ca chỉ để tham khảo; số liệu chốt khi đóng ca.", size=s * 0.9)
    return out


def _showroom(z: Mapping[str, Any], config: Mapping[str, Any] | None) -> dict[str, Any]:
    """The showroom frozen in the report, else the one in config (X reports, or a Z without it)."""
    frozen = z.get("showroom")
    if frozen:
        return dict(frozen)
    config = config or {}
    return {
        "code": config.get("SHOWROOM_CODE", ""),
        "name": config.get("SHOWROOM_NAME", ""),
        "address": config.get("SHOWROOM_ADDRESS", ""),
        "tax_code": config.get("SHOWROOM_TAX_CODE", ""),
    }


def showroom_snapshot(config: Mapping[str, Any]) -> dict[str, str]:
    """The showroom's identity to freeze into a Z report at close."""
    return {
        "code": str(config.get("SHOWROOM_CODE", "")),
        "name": str(config.get("SHOWROOM_NAME", "")),
        "address": str(config.get("SHOWROOM_ADDRESS", "")),
        "tax_code": str(config.get("SHOWROOM_TAX_CODE", "")),
    }


def render_z_report_raster(
    z: Mapping[str, Any], config: Mapping[str, Any] | None, paper: str, width_dots: int
) -> Image.Image:
    """The shift report as a 1-bit image for a thermal printer: the PDF's rows, drawn on a raster."""
    if paper not in ("80mm", "58mm"):
        raise ValueError(f"a raster report is for a roll (80mm or 58mm), not {paper!r}")
    width = width_dots * DOT
    spec = replace(PAPERS[paper], page_width=width, content_width=width, margin_y=2 * mm)
    fonts.register_fonts()
    layout = _build(z, _showroom(z, config), spec)
    height = sum(h for h, _ in layout.rows) + 2 * spec.margin_y
    canvas = RasterCanvas(width_dots, height)
    y = height - spec.margin_y
    for h, draw in layout.rows:
        draw(canvas, 0, y)  # type: ignore[arg-type]
        y -= h
    return canvas.bitmap()


def render_z_report(z: Mapping[str, Any], config: Mapping[str, Any] | None = None, paper: str = "80mm") -> bytes:
    """The shift report as a PDF on an 80 mm or 58 mm roll, or A4."""
    if paper not in PAPERS:
        raise ValueError(f"unknown paper {paper!r}")
    spec = PAPERS[paper]
    fonts.register_fonts()
    layout = _build(z, _showroom(z, config), spec)
    buf = io.BytesIO()
    x = (spec.page_width - spec.content_width) / 2
    title = f"{TITLES.get(z.get('kind', 'Z'), TITLES['Z'])} – ca {z.get('shift_id', '')}"
    if spec.is_roll:
        height = sum(h for h, _ in layout.rows) + 2 * spec.margin_y
        c = Canvas(buf, pagesize=(spec.page_width, height), initialFontName=fonts.REGULAR, invariant=True)
        c.setTitle(title)
        y = height - spec.margin_y
        for h, draw in layout.rows:
            draw(c, x, y)
            y -= h
        c.showPage()
    else:
        c = Canvas(buf, pagesize=A4, initialFontName=fonts.REGULAR, invariant=True)
        c.setTitle(title)
        top = A4[1] - spec.margin_y
        y = top
        for h, draw in layout.rows:
            if y - h < spec.margin_y:
                c.showPage()
                y = top
            draw(c, x, y)
            y -= h
        c.showPage()
    c.save()
    return buf.getvalue()
