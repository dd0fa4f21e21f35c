"""The settlement statement PDF (biên bản đối soát) a producer signs, drawn from the frozen figures."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import (
    KeepTogether,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.doctemplate import BaseDocTemplate
from reportlab.platypus.frames import Frame

from pos import fonts
from pos.catalog.models import PRODUCER_KINDS
from pos.money import format_bp, format_vnd
from pos.quantity import WEIGHT, display_unit, format_qty, format_unit_price, is_weighed, qty_number
from pos.settlement.services import QTY_FIELDS
from pos.vnwords import amount_in_words

GRID = colors.HexColor("#9aa59e")
HEAD_BG = colors.HexColor("#e4ebe6")
NEGATIVE = colors.HexColor("#8a1c14")
# Frames pad by 6 pt by default, which would push full-width tables past the margin.
NO_PADDING = {"leftPadding": 0, "rightPadding": 0, "topPadding": 0, "bottomPadding": 0}


@dataclass(frozen=True)
class StatementMeta:
    """What the statement says about itself: its number (None for a draft), when and by whom it was closed."""

    number: str | None
    closed_on: date | None
    closed_by: str
    showroom_name: str
    showroom_address: str
    showroom_tax_code: str
    showroom_phone: str
    status_label: str = ""


def _styles() -> dict[str, ParagraphStyle]:
    fonts.register_fonts()
    base = ParagraphStyle("base", fontName=fonts.REGULAR, fontSize=9.5, leading=12.5)
    return {
        "base": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=10),
        "cell": ParagraphStyle("cell", parent=base, fontName=fonts.CONDENSED, fontSize=8, leading=9.5),
        "cell_r": ParagraphStyle(
            "cell_r", parent=base, fontName=fonts.CONDENSED, fontSize=8, leading=9.5, alignment=TA_RIGHT
        ),
        "head": ParagraphStyle("head", parent=base, fontName=fonts.CONDENSED_BOLD, fontSize=8, leading=9.5),
        "head_r": ParagraphStyle(
            "head_r", parent=base, fontName=fonts.CONDENSED_BOLD, fontSize=8, leading=9.5, alignment=TA_RIGHT
        ),
        "bold": ParagraphStyle("bold", parent=base, fontName=fonts.BOLD),
        "center": ParagraphStyle("center", parent=base, alignment=TA_CENTER),
        "center_bold": ParagraphStyle("center_bold", parent=base, fontName=fonts.BOLD, alignment=TA_CENTER),
        "title": ParagraphStyle(
            "title",
            parent=base,
            fontName=fonts.BOLD,
            fontSize=14,
            leading=18,
            alignment=TA_CENTER,
            spaceBefore=6,
            spaceAfter=2,
        ),
        "h2": ParagraphStyle(
            "h2",
            parent=base,
            fontName=fonts.BOLD,
            fontSize=10.5,
            leading=14,
            spaceBefore=8,
            spaceAfter=4,
            keepWithNext=1,
        ),
    }


def _esc(text: Any) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _bold(text: str) -> str:
    """Bold by naming the font: <b> would need a registered family and can fall back to Helvetica."""
    return f'<font name="{fonts.BOLD}">{_esc(text)}</font>'


def _fit(text: str, style: ParagraphStyle, width: float) -> str | Paragraph:
    """Plain text when it fits the column (fast for long annexes), a wrapping paragraph when it does not."""
    if stringWidth(text, style.fontName, style.fontSize) <= width - 6:
        return text
    return Paragraph(_esc(text), style)


def _dmy(iso: str) -> str:
    return date.fromisoformat(iso).strftime("%d/%m/%Y")


def _qty(n: int, sold_by: str | None = None) -> str:
    """A quantity as the statement prints it: '1.250' pieces, '1,250 kg' of goods sold by weight."""
    return format_qty(n, sold_by)


def _number(n: int, sold_by: str | None = None) -> str:
    """A quantity under a unit column (ĐVT): '1.250', '1,250' (kg); nothing moved is '0' either way."""
    return qty_number(n, sold_by) if n else "0"


def _net_qty(figures: dict[str, Any]) -> str:
    """The annex's net quantity: pieces, and the kg of weighed goods beside them (never added together)."""
    pieces = _qty(figures["net_qty"])
    if not _has_weighed(figures):
        return pieces
    return f"{pieces} cái và {_qty(figures.get('net_grams', 0), WEIGHT)} hàng cân"


def _has_weighed(figures: dict[str, Any]) -> bool:
    return any(is_weighed(r.get("sold_by")) for r in (*figures["quantities"], *figures["lines"]))


def _table(
    rows: list[list[Any]],
    widths: list[float],
    numeric_from: int,
    header_rows: int = 1,
    total_row: bool = False,
    total_rows: int = 1,
) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=header_rows)
    style = [
        ("GRID", (0, 0), (-1, -1), 0.4, GRID),
        ("BACKGROUND", (0, 0), (-1, header_rows - 1), HEAD_BG),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("FONTNAME", (0, 0), (-1, -1), fonts.CONDENSED),
        ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("LEADING", (0, 0), (-1, -1), 9.5),
        ("ALIGN", (numeric_from, 0), (-1, -1), "RIGHT"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    if total_row:
        first = -total_rows
        style += [
            ("FONTNAME", (0, first), (-1, -1), fonts.CONDENSED_BOLD),
            ("BACKGROUND", (0, first), (-1, -1), HEAD_BG),
        ]
    table.setStyle(TableStyle(style))
    return table


def render_statement(figures: dict[str, Any], meta: StatementMeta) -> bytes:
    """The statement: parties, quantities that reconcile, the money owed, signatures, then the annex of lines."""
    st = _styles()
    buffer = io.BytesIO()
    number_text = meta.number or "BẢN NHÁP – CHƯA CHỐT"
    portrait = A4
    wide = landscape(A4)

    def footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(fonts.REGULAR, 7.5)
        canvas.setFillColor(colors.HexColor("#555555"))
        width, height = canvas._pagesize  # the annex pages are landscape
        canvas.drawString(15 * mm, 9 * mm, f"Biên bản đối soát số {number_text} – {figures['producer']['name']}")
        canvas.drawRightString(width - 15 * mm, 9 * mm, f"Trang {doc.page}")
        if not meta.number:
            canvas.setFont(fonts.BOLD, 40)
            canvas.setFillColor(colors.Color(0.8, 0.1, 0.1, alpha=0.12))
            canvas.translate(width / 2, height / 2)
            canvas.rotate(35)
            canvas.drawCentredString(0, 0, "BẢN NHÁP")
        canvas.restoreState()

    doc = BaseDocTemplate(
        buffer,
        pagesize=portrait,
        title=f"Biên bản đối soát {number_text} – {figures['producer']['name']}",
        author=meta.showroom_name,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=14 * mm,
        bottomMargin=16 * mm,
        initialFontName=fonts.REGULAR,  # the canvas would otherwise start every page in Helvetica
        invariant=True,
    )
    doc.addPageTemplates(
        [
            PageTemplate(
                "main",
                [Frame(15 * mm, 15 * mm, portrait[0] - 30 * mm, portrait[1] - 29 * mm, id="f1", **NO_PADDING)],
                onPage=footer,
                pagesize=portrait,
            ),
            PageTemplate(
                "annex",
                [Frame(12 * mm, 15 * mm, wide[0] - 24 * mm, wide[1] - 27 * mm, id="f2", **NO_PADDING)],
                onPage=footer,
                pagesize=wide,
            ),
        ]
    )
    story: list[Any] = []
    story += _heading(figures, meta, st, number_text)
    story += _parties(figures, meta, st)
    story += _quantities(figures, st)
    story.append(KeepTogether(_money(figures, st)))
    story.append(_signatures(st))
    story += [NextPageTemplate("annex"), PageBreak()]
    story += _annex(figures, st)
    doc.build(story)
    return buffer.getvalue()


def _heading(figures: dict[str, Any], meta: StatementMeta, st: dict[str, ParagraphStyle], number: str) -> list[Any]:
    left = [
        Paragraph(_esc(meta.showroom_name.upper()), st["bold"]),
        Paragraph(f"Số: {_esc(number)}", st["base"]),
    ]
    right = [
        Paragraph("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", st["center_bold"]),
        Paragraph("Độc lập – Tự do – Hạnh phúc", st["center_bold"]),
    ]
    head = Table([[left, right]], colWidths=[85 * mm, 95 * mm])
    head.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("FONTNAME", (0, 0), (-1, -1), fonts.REGULAR),
            ]
        )
    )
    period = figures["period"]
    out: list[Any] = [head, Spacer(1, 6 * mm)]
    out.append(Paragraph("BIÊN BẢN ĐỐI SOÁT VÀ THANH TOÁN CHO NHÀ SẢN XUẤT", st["title"]))
    out.append(Paragraph(f"Kỳ đối soát: từ ngày {_dmy(period['start'])} đến ngày {_dmy(period['end'])}", st["center"]))
    if meta.status_label:
        out.append(Paragraph(_esc(meta.status_label), st["center"]))
    out.append(Spacer(1, 4 * mm))
    return out


def _parties(figures: dict[str, Any], meta: StatementMeta, st: dict[str, ParagraphStyle]) -> list[Any]:
    p = figures["producer"]
    terms = figures["terms"]
    a = [
        f"{_bold('Bên A (cửa hàng):')} {_esc(meta.showroom_name)}",
        f"Địa chỉ: {_esc(meta.showroom_address)}",
        f"Mã số thuế: {_esc(meta.showroom_tax_code)} – Điện thoại: {_esc(meta.showroom_phone)}",
    ]
    b = [
        f"{_bold('Bên B (nhà sản xuất):')} {_esc(p['name'])} ({_esc(PRODUCER_KINDS.get(p['kind'], p['kind']))})",
        f"Địa chỉ: {_esc(p['address'])}" if p["address"] else "",
        f"Mã số thuế: {_esc(p['tax_code'] or '—')} – Điện thoại: {_esc(p['phone'] or '—')}",
        f"Người liên hệ: {_esc(p['contact_name'])}" if p["contact_name"] else "",
        f"Tài khoản nhận tiền: {_esc(p['bank_account'])}" if p["bank_account"] else "",
    ]
    if terms["is_consignment"]:
        terms_text = (
            f"Hình thức: ký gửi – cửa hàng hưởng hoa hồng {format_bp(terms['commission_bp'])} trên doanh thu thuần."
        )
    else:
        terms_text = "Hình thức: mua đứt – cửa hàng thanh toán theo giá trị hàng nhập trong kỳ."
    out = [Paragraph(line, st["base"]) for line in a if line]
    out.append(Spacer(1, 2 * mm))
    out += [Paragraph(line, st["base"]) for line in b if line]
    out.append(Spacer(1, 2 * mm))
    out.append(Paragraph(terms_text, st["base"]))
    out.append(Paragraph("Hai bên cùng đối chiếu số liệu hàng hóa và doanh thu trong kỳ như sau:", st["base"]))
    return out


# A late void's promotion cost: added back (or deducted) in the closed period, undone here.
LATE_SHOWROOM = "Khuyến mãi cửa hàng chịu của đơn hủy kỳ trước (trừ lại)"
LATE_PRODUCER = "Trong đó khuyến mãi NSX chịu của đơn hủy kỳ trước (hoàn lại)"

NEGATIVE_OWED = (
    "Số tiền âm: trả hàng và hủy đơn của các kỳ trước lớn hơn doanh thu kỳ này; khoản này được trừ vào "
    "kỳ tiếp theo hoặc nhà sản xuất hoàn lại cho cửa hàng."
)

QTY_HEADERS = [
    "Tồn đầu kỳ",
    "Nhập kho",
    "Khách trả",
    "Hủy đơn",
    "Bán ra",
    "Trả NSX",
    "Điều chỉnh",
    "Giỏ quà",
    "Chuyển kho",
    "Tồn cuối kỳ",
]
QTY_KEYS = list(QTY_FIELDS)  # the statement's columns, in the order the services compute them


def _quantities(figures: dict[str, Any], st: dict[str, ParagraphStyle]) -> list[Any]:
    out: list[Any] = [Paragraph("I. Hàng hóa trong kỳ (số lượng)", st["h2"])]
    head = [Paragraph("Sản phẩm", st["head"]), Paragraph("ĐVT", st["head"])]
    rows: list[list[Any]] = [head + [Paragraph(h, st["head_r"]) for h in QTY_HEADERS]]
    for row in figures["quantities"]:
        name = Paragraph(f"{_esc(row['name'])} <font color='#666666'>({_esc(row['sku'])})</font>", st["cell"])
        sold_by = row.get("sold_by")
        unit = display_unit(sold_by, row.get("unit", ""))
        rows.append([name, unit] + [_number(row.get(k, 0), sold_by) for k in QTY_KEYS])  # old ones lack a column
    totals = figures["quantity_totals"]
    weighed = _has_weighed(figures)
    rows.append(["Cộng hàng theo cái" if weighed else "Cộng", ""] + [_number(totals.get(k, 0)) for k in QTY_KEYS])
    if weighed:  # grams are never added to pieces: the weighed goods have their own total, in kg
        rows.append(["Cộng hàng cân", "kg"] + [_number(totals.get(f"{k}_g", 0), WEIGHT) for k in QTY_KEYS])
    widths = [33 * mm, 10 * mm] + [13.7 * mm] * len(QTY_KEYS)
    out.append(_table(rows, widths, 2, total_row=True, total_rows=2 if weighed else 1))
    out.append(Spacer(1, 1.5 * mm))
    check = "khớp" if figures["reconciles"] else "KHÔNG KHỚP – cần kiểm tra sổ kho"
    out.append(
        Paragraph(
            "Tồn đầu kỳ + nhập kho + khách trả + hủy đơn − bán ra − trả nhà sản xuất ± điều chỉnh (kể cả kiểm kê) "
            "± đóng/tháo giỏ quà ± chuyển kho giữa các cửa hàng "
            f"= tồn cuối kỳ: {check}. Số lượng bán thuần theo phụ lục: {_net_qty(figures)}.",
            st["small"],
        )
    )
    return out


def _money(figures: dict[str, Any], st: dict[str, ParagraphStyle]) -> list[Any]:
    terms = figures["terms"]
    rows: list[list[Any]] = [
        ["1", "Doanh thu bán hàng (đã trừ giảm giá)", format_vnd(figures["sales_vnd"])],
        ["2", "Hàng khách trả lại trong kỳ", format_vnd(-figures["refunds_vnd"])],
    ]
    if figures["late_voids_vnd"]:
        rows.append(["", "Hủy đơn của kỳ đã chốt (điều chỉnh)", format_vnd(-figures["late_voids_vnd"])])
    rows.append(["3", "Doanh thu thuần", format_vnd(figures["net_sales_vnd"])])
    promo_showroom, promo_producer = figures.get("promo_showroom_vnd", 0), figures.get("promo_producer_vnd", 0)
    # What late voids took back is shown apart (older frozen statements have no such keys: nothing apart).
    late_showroom = figures.get("late_void_promo_showroom_vnd", 0)
    late_producer = figures.get("late_void_promo_producer_vnd", 0)
    promo_showroom, promo_producer = promo_showroom + late_showroom, promo_producer + late_producer
    if terms["is_consignment"]:
        if promo_producer:
            rows.append(["", "Trong đó khuyến mãi nhà sản xuất chịu (đã trừ)", format_vnd(-promo_producer)])
        if late_producer:
            rows.append(["", LATE_PRODUCER, format_vnd(late_producer)])
        if promo_showroom:
            rows.append(["", "Khuyến mãi cửa hàng chịu (cộng lại cho nhà sản xuất)", format_vnd(promo_showroom)])
        if late_showroom:
            rows.append(["", LATE_SHOWROOM, format_vnd(-late_showroom)])
        rows.append(
            ["4", f"Hoa hồng cửa hàng ({format_bp(terms['commission_bp'])})", format_vnd(-figures["commission_vnd"])]
        )
    else:
        rows.append(["4", "Giá trị hàng nhập trong kỳ (giá nhập)", format_vnd(figures["received_value_vnd"])])
        rows.append(["", "Giá trị hàng trả nhà sản xuất", format_vnd(-figures["returned_value_vnd"])])
        if promo_producer:
            rows.append(["", "Khuyến mãi nhà sản xuất chịu", format_vnd(-promo_producer)])
        if late_producer:
            rows.append(["", LATE_PRODUCER, format_vnd(late_producer)])
    rows.append(["5", "Số tiền phải thanh toán cho nhà sản xuất", format_vnd(figures["amount_owed_vnd"])])
    table = Table(rows, colWidths=[10 * mm, 120 * mm, 50 * mm])
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, GRID),
                ("FONTNAME", (0, 0), (-1, -1), fonts.REGULAR),
                ("FONTSIZE", (0, 0), (-1, -1), 9.5),
                ("ALIGN", (2, 0), (2, -1), "RIGHT"),
                ("ALIGN", (0, 0), (0, -1), "CENTER"),
                ("FONTNAME", (0, -1), (-1, -1), fonts.BOLD),
                ("BACKGROUND", (0, -1), (-1, -1), HEAD_BG),
            ]
        )
    )
    words = amount_in_words(figures["amount_owed_vnd"])
    return [
        Paragraph("II. Doanh thu và số tiền thanh toán", st["h2"]),
        table,
        Spacer(1, 1.5 * mm),
        Paragraph(f"Bằng chữ: {_bold(words)}", st["base"]),
        *([Paragraph(NEGATIVE_OWED, st["base"])] if figures["amount_owed_vnd"] < 0 else []),
        Spacer(1, 2 * mm),
        Paragraph(
            "Doanh thu tính theo giá thực bán đã gồm thuế GTGT; hàng khách trả được trừ vào kỳ phát sinh việc trả "
            "hàng. Chi tiết từng dòng bán hàng ở phụ lục kèm theo. Biên bản lập thành hai bản, mỗi bên giữ một bản.",
            st["small"],
        ),
    ]


def _signatures(st: dict[str, ParagraphStyle]) -> KeepTogether:
    cell_a = [
        Paragraph("ĐẠI DIỆN CỬA HÀNG", st["center_bold"]),
        Paragraph("(Ký, ghi rõ họ tên)", st["center"]),
    ]
    cell_b = [
        Paragraph("ĐẠI DIỆN NHÀ SẢN XUẤT", st["center_bold"]),
        Paragraph("(Ký, ghi rõ họ tên)", st["center"]),
    ]
    table = Table([[cell_a, cell_b], ["", ""]], colWidths=[90 * mm, 90 * mm], rowHeights=[None, 28 * mm])
    table.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), fonts.REGULAR)]))
    return KeepTogether([Spacer(1, 6 * mm), table])


ANNEX_KIND = {"sale": "", "return": "Trả hàng", "void": "Hủy đơn kỳ trước"}


def _annex(figures: dict[str, Any], st: dict[str, ParagraphStyle]) -> list[Any]:
    out: list[Any] = [
        Paragraph("PHỤ LỤC: CHI TIẾT CÁC DÒNG BÁN HÀNG", st["title"]),
        Paragraph(
            f"Kèm theo biên bản đối soát – {_esc(figures['producer']['name'])} – kỳ "
            f"{_dmy(figures['period']['start'])} – {_dmy(figures['period']['end'])}. "
            "Dòng trả hàng và hủy đơn ghi số âm.",
            st["center"],
        ),
        Spacer(1, 3 * mm),
    ]
    headers = ["STT", "Số hóa đơn", "Ngày", "Mã hàng", "Sản phẩm", "SL", "Đơn giá", "Giảm giá", "Thành tiền"]
    widths = [11 * mm, 52 * mm, 27 * mm, 24 * mm, 76 * mm, 14 * mm, 23 * mm, 22 * mm, 24 * mm]
    rows: list[list[Any]] = [[Paragraph(h, st["head_r"] if i >= 5 else st["head"]) for i, h in enumerate(headers)]]
    negatives = []
    for i, line in enumerate(figures["lines"], start=1):
        number = line["receipt_number"]
        if line["kind"] == "return":
            number = f"{line['return_number']} (trả hàng của {line['receipt_number']})"
        elif line["kind"] == "void":
            number = f"{line['receipt_number']} (hủy đơn kỳ trước)"
        rows.append(
            [
                str(i),
                _fit(number, st["cell"], widths[1]),
                line["at"],
                line["sku"],
                _fit(line["name"], st["cell"], widths[4]),
                _qty(line["qty"], line.get("sold_by")),
                format_unit_price(line["unit_price_vnd"], line.get("sold_by")),
                format_vnd(line["discount_vnd"]),
                format_vnd(line["total_vnd"]),
            ]
        )
        if line["qty"] < 0:
            negatives.append(len(rows) - 1)
    if len(rows) == 1:
        rows.append(["", "Không có giao dịch trong kỳ.", "", "", "", "", "", "", ""])
    lines = figures["lines"]
    rows.append(
        [
            "",
            "Cộng",
            "",
            "",
            "",
            _qty(figures["net_qty"])
            + (f"\n{_qty(figures.get('net_grams', 0), WEIGHT)}" if _has_weighed(figures) else ""),
            "",
            format_vnd(sum(line["discount_vnd"] for line in lines)),
            format_vnd(sum(line["total_vnd"] for line in lines)),
        ]
    )
    table = _table(rows, widths, 5, total_row=True)
    table.setStyle(TableStyle([("TEXTCOLOR", (0, r), (-1, r), NEGATIVE) for r in negatives]))
    out.append(table)
    return out
