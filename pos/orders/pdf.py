"""The quote (báo giá) and order (đơn đặt hàng) a company receives: A4, Vietnamese, amounts in đồng and in words."""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from pos import fonts
from pos.money import format_bp, format_vnd
from pos.orders.deliveries import DeliveryNote
from pos.orders.models import HANDOVER, PAYMENT_KINDS
from pos.orders.services import PricedOrder
from pos.sales.vat import showroom_tz
from pos.vnwords import amount_in_words

GRID = colors.HexColor("#9aa59e")
HEAD_BG = colors.HexColor("#e4ebe6")


@dataclass(frozen=True)
class Seller:
    """The showroom as the quote names it, from config.toml [showroom] and [bank]."""

    name: str
    address: str
    tax_code: str
    phone: str
    bank_account: str
    bank_account_name: str
    bank_bin: str

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Seller:
        """The showroom's details from the app's config."""
        get = lambda key: str(config.get(key) or "")  # noqa: E731
        return cls(
            get("SHOWROOM_NAME"),
            get("SHOWROOM_ADDRESS"),
            get("SHOWROOM_TAX_CODE"),
            get("SHOWROOM_PHONE"),
            get("BANK_ACCOUNT"),
            get("BANK_ACCOUNT_NAME"),
            get("BANK_BIN"),
        )


def _esc(text: Any) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _styles() -> dict[str, ParagraphStyle]:
    fonts.register_fonts()
    base = ParagraphStyle("base", fontName=fonts.REGULAR, fontSize=9.5, leading=12.5)
    return {
        "base": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=10),
        "bold": ParagraphStyle("bold", parent=base, fontName=fonts.BOLD),
        "right": ParagraphStyle("right", parent=base, alignment=TA_RIGHT),
        "center": ParagraphStyle("center", parent=base, alignment=TA_CENTER),
        "title": ParagraphStyle(
            "title", parent=base, fontName=fonts.BOLD, fontSize=15, leading=19, alignment=TA_CENTER, spaceBefore=8
        ),
        "cell": ParagraphStyle("cell", parent=base, fontName=fonts.CONDENSED, fontSize=8.5, leading=10),
        "cell_right": ParagraphStyle(
            "cell_right", parent=base, fontName=fonts.CONDENSED, fontSize=8.5, leading=10, alignment=TA_RIGHT
        ),
    }


def _dmy(day: date | datetime | None, tz_name: str = "") -> str:
    if day is None:
        return "—"
    if isinstance(day, datetime):
        day = day.astimezone(showroom_tz(tz_name)).date()
    return day.strftime("%d/%m/%Y")


def render_order(po: PricedOrder, seller: Seller, tz_name: str, contents: dict[int, list[tuple[int, str]]]) -> bytes:
    """The quote (or, once confirmed, the order) as a PDF; ``contents``: each basket's (qty, name) components."""
    st = _styles()
    order, customer, priced = po.order, po.customer, po.priced
    is_quote = order.status == "quote"
    story: list[Any] = [
        Paragraph(_esc(seller.name), st["bold"]),
        Paragraph(_esc(f"Địa chỉ: {seller.address}"), st["base"]),
        Paragraph(_esc(f"Mã số thuế: {seller.tax_code}    Điện thoại: {seller.phone}"), st["base"]),
        Paragraph("BÁO GIÁ" if is_quote else "ĐƠN ĐẶT HÀNG", st["title"]),
        Paragraph(
            _esc(f"Số: {order.number}    Ngày: {_dmy(order.ordered_at or order.priced_at, tz_name)}"), st["center"]
        ),
        Spacer(1, 4 * mm),
        Paragraph(_esc(f"Kính gửi: {customer.company_name}"), st["bold"]),
        Paragraph(_esc(f"Mã số thuế: {customer.tax_code}"), st["base"]),
        Paragraph(_esc(f"Địa chỉ: {customer.address or '—'}"), st["base"]),
        Paragraph(_esc(f"Người liên hệ: {customer.name}"), st["base"]),
        Spacer(1, 3 * mm),
    ]
    head = ["STT", "Tên hàng", "ĐVT", "SL", "Đơn giá", "Giảm giá", "Thành tiền"]
    rows: list[list[Any]] = [head]
    for n, (item, p) in enumerate(zip(po.items, priced.lines, strict=True), start=1):
        name = _esc(item.product.name)
        if p.promotion_name:
            name += f"<br/><font size=7>Khuyến mãi: {_esc(p.promotion_name)}</font>"
        name += _contents(contents, item.product.id)  # type: ignore[arg-type]
        rows.append(
            [
                str(n),
                Paragraph(name, st["cell"]),
                item.product.unit,
                _n(p.qty),
                format_vnd(p.unit_price_vnd, symbol=False),
                format_vnd(p.discount_vnd, symbol=False) if p.discount_vnd else "",
                format_vnd(p.total_vnd, symbol=False),
            ]
        )
    table = Table(rows, colWidths=[9 * mm, 68 * mm, 13 * mm, 13 * mm, 24 * mm, 22 * mm, 27 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, GRID),
                ("BACKGROUND", (0, 0), (-1, 0), HEAD_BG),
                ("FONTNAME", (0, 0), (-1, -1), fonts.CONDENSED),
                ("FONTNAME", (0, 0), (-1, 0), fonts.CONDENSED_BOLD),
                ("FONTSIZE", (0, 0), (-1, -1), 8.5),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ALIGN", (3, 0), (-1, -1), "RIGHT"),
            ]
        )
    )
    story.append(table)
    totals: list[list[str]] = [["Tiền hàng", format_vnd(priced.subtotal_vnd)]]
    if priced.line_discount_vnd:
        totals.append(["Khuyến mãi, giảm giá trên dòng", f"-{format_vnd(priced.line_discount_vnd)}"])
    if priced.sale_discount_vnd:
        totals.append(
            [f"Chiết khấu đơn hàng ({format_bp(order.discount_bp)})", f"-{format_vnd(priced.sale_discount_vnd)}"]
        )
    bold = len(totals)
    totals.append(["Tổng thanh toán", format_vnd(priced.total_vnd)])
    for part in priced.vat:
        totals.append([f"Trong đó thuế GTGT {format_bp(part.rate_bp)}", format_vnd(part.vat_vnd)])
    if po.payments:
        for pay in po.payments:
            totals.append(
                [f"Đã nhận {PAYMENT_KINDS[pay.kind].lower()} ({_dmy(pay.received_on)})", format_vnd(pay.amount_vnd)]
            )
        totals.append(["Còn phải trả", format_vnd(po.due_vnd)])
    sums = Table(totals, colWidths=[120 * mm, 56 * mm])
    sums.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), fonts.REGULAR),
                ("FONTSIZE", (0, 0), (-1, -1), 9.5),
                ("ALIGN", (0, 0), (-1, -1), "RIGHT"),
                ("FONTNAME", (0, bold), (-1, bold), fonts.BOLD),
            ]
        )
    )
    story += [
        Spacer(1, 2 * mm),
        sums,
        Spacer(1, 2 * mm),
        Paragraph(_esc(f"Số tiền bằng chữ: {amount_in_words(priced.total_vnd)}"), st["bold"]),
        Paragraph("Giá đã bao gồm thuế GTGT.", st["small"]),
        Spacer(1, 3 * mm),
        Paragraph(
            _esc(
                f"Hình thức nhận hàng: {HANDOVER.get(order.handover, '')}"
                + (f", tại {order.delivery_address}" if order.handover == "delivery" else "")
                + f"; ngày {_dmy(order.due_on)}."
            ),
            st["base"],
        ),
    ]
    if is_quote and order.valid_until:
        story.append(Paragraph(_esc(f"Báo giá có hiệu lực đến hết ngày {_dmy(order.valid_until)}."), st["base"]))
    story.append(
        Paragraph(
            _esc(
                f"Thanh toán bằng chuyển khoản (đặt cọc và thanh toán phần còn lại, hoặc thanh toán đủ) vào tài khoản "
                f"{seller.bank_account} – {seller.bank_account_name}, nội dung: {order.number}; phần chưa chuyển "
                "khoản trả bằng tiền mặt hoặc thẻ tại cửa hàng khi nhận hàng. Hàng có thể giao nhiều lần: mỗi lần "
                "giao có phiếu giao hàng và hóa đơn điện tử xuất cho đơn vị mua hàng theo số hàng đã giao."
            ),
            st["base"],
        )
    )
    if order.note:
        story.append(Paragraph(_esc(f"Ghi chú: {order.note}"), st["base"]))
    signs = _signatures(["ĐẠI DIỆN BÊN MUA", "ĐẠI DIỆN BÊN BÁN"], width_mm=88)
    story += [Spacer(1, 8 * mm), signs]
    return _a4(story, f"{'Báo giá' if is_quote else 'Đơn đặt hàng'} {order.number}", seller.name)


def _a4(story: list[Any], title: str, author: str) -> bytes:
    """The story laid out on A4 pages with the margins every order document uses."""
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=17 * mm,
        rightMargin=17 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=title,
        author=author,
    )
    doc.build(story)
    return out.getvalue()


def render_delivery_note(
    note: DeliveryNote, seller: Seller, tz_name: str, contents: dict[int, list[tuple[int, str]]]
) -> bytes:
    """The delivery note (phiếu giao hàng) of one handover, A4: quantities ordered, handed over before, this
    time and left, what this part came to and how it was paid, and the signatures of both sides."""
    st = _styles()
    order, customer, delivery, sale = note.order, note.customer, note.delivery, note.sale
    story: list[Any] = [
        Paragraph(_esc(seller.name), st["bold"]),
        Paragraph(_esc(f"Địa chỉ: {seller.address}"), st["base"]),
        Paragraph(_esc(f"Mã số thuế: {seller.tax_code}    Điện thoại: {seller.phone}"), st["base"]),
        Paragraph("PHIẾU GIAO HÀNG", st["title"]),
        Paragraph(
            _esc(
                f"Số: {delivery.number} · Ngày: {_dmy(delivery.delivered_at, tz_name)} · Lần giao thứ {delivery.seq_no}"
            ),
            st["center"],
        ),
        Paragraph(
            _esc(
                f"Theo đơn đặt hàng số {order.number}"
                + (f" – hóa đơn bán hàng số {sale.receipt_number}" if sale else "")
            ),
            st["center"],
        ),
    ]
    if note.is_void:
        story.append(Paragraph("ĐÃ HỦY: hóa đơn của lần giao này đã bị hủy, hàng đã nhập lại kho.", st["title"]))
    where = order.delivery_address if order.handover == "delivery" else f"nhận tại {seller.name}"
    story += [
        Spacer(1, 4 * mm),
        Paragraph(_esc(f"Bên nhận hàng: {customer.company_name or customer.name}"), st["bold"]),
        Paragraph(_esc(f"Mã số thuế: {customer.tax_code or '—'}"), st["base"]),
        Paragraph(_esc(f"Địa chỉ: {customer.address or '—'}"), st["base"]),
        Paragraph(_esc(f"Người liên hệ: {customer.name}"), st["base"]),
        Paragraph(_esc(f"Nơi giao hàng: {where}"), st["base"]),
        Paragraph(_esc(f"Người nhận hàng: {delivery.receiver_name or '………………………………'}"), st["base"]),
        Spacer(1, 3 * mm),
    ]
    rows: list[list[Any]] = [["STT", "Tên hàng", "ĐVT", "SL đặt", "Đã giao trước", "Giao lần này", "Còn lại"]]
    for n, row in enumerate(note.rows, start=1):
        name = _esc(row.product.name) + _contents(contents, row.product.id)  # type: ignore[arg-type]
        rows.append(
            [
                str(n),
                Paragraph(name, st["cell"]),
                row.product.unit,
                _n(row.ordered),
                _n(row.before),
                Paragraph(f"<b>{_n(row.now)}</b>", st["cell_right"]),
                _n(row.after),
            ]
        )
    rows.append(
        [
            "",
            "Cộng",
            "",
            _n(sum(r.ordered for r in note.rows)),
            _n(sum(r.before for r in note.rows)),
            _n(sum(r.now for r in note.rows)),
            _n(sum(r.after for r in note.rows)),
        ]
    )
    table = Table(rows, colWidths=[9 * mm, 65 * mm, 14 * mm, 18 * mm, 26 * mm, 24 * mm, 20 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, GRID),
                ("BACKGROUND", (0, 0), (-1, 0), HEAD_BG),
                ("BACKGROUND", (0, -1), (-1, -1), HEAD_BG),
                ("FONTNAME", (0, 0), (-1, -1), fonts.CONDENSED),
                ("FONTNAME", (0, 0), (-1, 0), fonts.CONDENSED_BOLD),
                ("FONTNAME", (0, -1), (-1, -1), fonts.CONDENSED_BOLD),
                ("FONTSIZE", (0, 0), (-1, -1), 8.5),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ALIGN", (3, 0), (-1, -1), "RIGHT"),
            ]
        )
    )
    story.append(table)
    if sale is not None:
        money: list[list[str]] = [["Giá trị hàng giao lần này (đã gồm thuế GTGT)", format_vnd(sale.total_vnd)]]
        if delivery.prepaid_vnd:
            money.append(["Trừ vào tiền chuyển khoản đã nhận", format_vnd(delivery.prepaid_vnd)])
        for method, amount in note.paid_at_till:
            money.append([f"Thu tại quầy khi giao hàng ({AT_TILL_NAMES.get(method, method)})", format_vnd(amount)])
        sums = Table(money, colWidths=[120 * mm, 56 * mm])
        sums.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), fonts.REGULAR),
                    ("FONTNAME", (0, 0), (-1, 0), fonts.BOLD),
                    ("FONTSIZE", (0, 0), (-1, -1), 9.5),
                    ("ALIGN", (0, 0), (-1, -1), "RIGHT"),
                ]
            )
        )
        story += [
            Spacer(1, 2 * mm),
            sums,
            Paragraph(_esc(f"Bằng chữ: {amount_in_words(sale.total_vnd)}"), st["base"]),
            Paragraph(
                _esc(
                    "Hóa đơn điện tử của lần giao này được lập cho đơn vị nhận hàng cùng hóa đơn bán hàng "
                    f"{sale.receipt_number}; phần còn lại của đơn được lập hóa đơn khi giao."
                ),
                st["small"],
            ),
        ]
    if delivery.note:
        story.append(Paragraph(_esc(f"Ghi chú: {delivery.note}"), st["base"]))
    story.append(Paragraph("Bên nhận đã kiểm đếm đủ số lượng, hàng nguyên vẹn, đúng chủng loại như trên.", st["base"]))
    signs = _signatures(["NGƯỜI NHẬN HÀNG", "NGƯỜI GIAO HÀNG", "ĐẠI DIỆN BÊN BÁN"], width_mm=59, space_mm=24)
    story += [Spacer(1, 6 * mm), KeepTogether([signs])]
    return _a4(story, f"Phiếu giao hàng {delivery.number}", seller.name)


AT_TILL_NAMES = {"cash": "tiền mặt", "card": "thẻ"}


def _contents(contents: dict[int, list[tuple[int, str]]], product_id: int) -> str:
    """A gift basket's components under its name, one small line each."""
    return "".join(f"<br/><font size=7>– {qty} {_esc(part)}</font>" for qty, part in contents.get(product_id, []))


def _n(qty: int) -> str:
    return f"{qty:,}".replace(",", ".")


def _signatures(parties: list[str], *, width_mm: float, space_mm: float | None = None) -> Table:
    """One column per party: its title, "(Ký, ghi rõ họ tên)", and, with ``space_mm``, room to sign."""
    rows = [parties, ["(Ký, ghi rõ họ tên)"] * len(parties)]
    if space_mm is not None:
        rows.append([""] * len(parties))
    signs = Table(
        rows,
        colWidths=[width_mm * mm] * len(parties),
        rowHeights=None if space_mm is None else [None, None, space_mm * mm],
    )
    signs.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, 0), fonts.BOLD),
                ("FONTNAME", (0, 1), (-1, 1), fonts.REGULAR),
                ("FONTSIZE", (0, 0), (-1, -1), 9),
                ("ALIGN", (0, 0), (-1, -1), "CENTER"),
            ]
        )
    )
    return signs
