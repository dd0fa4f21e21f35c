"""The legal parameters of cash-register e-invoices, one dated row per change of the rules.

A change of law is a new row here, never new code: every part of the software (the symbol check, the
invoice's XML, the printed copy, the till's warning, corrections) reads the row in force on the invoice's
local date. Sources are those gathered in /work/shared/research/e-invoice.md (December 2026); what that file
marks unconfirmed is marked ``[U]`` below and should be checked against the gazette when it can be reached.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from pos.errors import PosError


@dataclass(frozen=True)
class InvoiceRules:
    """What the rules in force from ``valid_from`` prescribe for a cash-register invoice."""

    valid_from: date
    source: str
    pban: str  # TTChung/PBan: version of the tax authority's XML format
    titles: dict[int, str]  # TTChung/THDon per form (1 VAT invoice, 2 sales invoice)
    paper_titles: dict[int, str]  # the printed copy's title per form
    paper_subtitle: str
    consumer_name: str  # NMua/Ten when the buyer gives no name, address or ID ("" = left out)
    symbol_fourth_letters: str  # allowed 4th letters of KHHDon (M = cash register)
    corrections: dict[str, str]  # per case of CORRECTION_CASES: "replacement" or "adjustment"
    send_within_hours: int  # the till warns when an invoice has waited longer than this to reach the provider
    lookup_url: str  # where a buyer looks an invoice up by its MCCQT
    unconfirmed: tuple[str, ...] = field(default=())


# The cases in which a sale's invoice is corrected, as the till meets them.
CORRECTION_CASES = {
    "void": "hủy đơn bán cuối cùng",
    "full_return": "trả lại toàn bộ hàng còn lại",
    "partial_return": "trả lại một phần",
}
# What this software does in each case (both rows below, [U]): a void or a return of everything replaces the
# invoice by one that states what is kept (nothing: the rules have no cancellation), so the tax authority's
# books show no sale; a partial return is an adjustment that decreases the invoice by what came back
# (negative lines, "Điều chỉnh giảm cho hóa đơn …"), the original staying valid for what the buyer keeps, as
# accountants book a return (and as Odoo's Viettel module sends POS refunds). TT 91/2026 Art. 10.1.c is reported
# to have MTT invoices replaced "trừ điểm c.2 khoản 5": the exception is read here as the return of goods,
# which no primary text could confirm. Once a sale's invoice was corrected one way, later corrections of the
# same sale go the same way ("later fixes use the first method", TT 91 Art. 10 as reported).
CORRECTIONS = {"void": "replacement", "full_return": "replacement", "partial_return": "adjustment"}

# THDon of cash-register invoices (webcash Node controller, research §4) and the printed copy's titles.
MTT_TITLES = {
    1: "Hóa đơn giá trị gia tăng khởi tạo từ máy tính tiền",
    2: "Hóa đơn bán hàng khởi tạo từ máy tính tiền",
}
PAPER_TITLES = {1: "HÓA ĐƠN GIÁ TRỊ GIA TĂNG", 2: "HÓA ĐƠN BÁN HÀNG"}

RULES: tuple[InvoiceRules, ...] = (
    InvoiceRules(
        valid_from=date(2025, 6, 1),
        source="NĐ 123/2020/NĐ-CP sửa đổi bởi NĐ 70/2025/NĐ-CP (Điều 11), TT 32/2025/TT-BTC",
        pban="2.1.0",
        titles=MTT_TITLES,
        paper_titles=PAPER_TITLES,
        paper_subtitle="(Khởi tạo từ máy tính tiền)",
        consumer_name="",
        symbol_fourth_letters="TDLMNBGHX",
        corrections=CORRECTIONS,  # NĐ 123/2020 Art. 19 (as amended): adjustment or replacement, the seller's choice
        send_within_hours=24,
        lookup_url="https://hoadondientu.gdt.gov.vn",
        unconfirmed=("PBan of 2025", "same-day sending deadline", "NĐ 70/2025 Art. 19 on returns"),
    ),
    InvoiceRules(
        valid_from=date(2026, 7, 1),
        source="NĐ 254/2026/NĐ-CP, TT 91/2026/TT-BTC (Điều 4, 9, 10, Phụ lục I) [U: no primary text found]",
        pban="2.1.0",
        titles=MTT_TITLES,
        paper_titles=PAPER_TITLES,
        paper_subtitle="(Khởi tạo từ máy tính tiền)",
        consumer_name="Bán cho người tiêu dùng",
        symbol_fourth_letters="TDLMNBGHXF",
        corrections=CORRECTIONS,  # TT 91 Art. 10.1.c: replaced, save point c.2 of clause 5 (read as returns)
        send_within_hours=24,
        lookup_url="https://hoadondientu.gdt.gov.vn",
        unconfirmed=("NĐ 254/2026 itself", "same-day sending deadline", "QR payload", "TT 91 Art. 10.5.c.2"),
    ),
)


def correction_method(rules: InvoiceRules, case: str, first_method: str | None) -> str:
    """How to correct a sale's invoice in ``case``: the way its first correction went, else the rules' choice."""
    if case not in CORRECTION_CASES:
        raise ValueError(f"unknown correction case {case!r}")
    return first_method or rules.corrections[case]


def rules_on(on: date) -> InvoiceRules:
    """The row in force on the invoice's local date."""
    found = [row for row in RULES if row.valid_from <= on]
    if not found:
        raise PosError(f"Chưa có quy định hóa đơn máy tính tiền áp dụng ngày {on:%d/%m/%Y}.", "einvoice")
    return max(found, key=lambda row: row.valid_from)
