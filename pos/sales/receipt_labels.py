"""The words a receipt prints, in Vietnamese and in English: one table, and how a receipt's language picks from it.

A receipt prints in Vietnamese ("vi"), in English for a foreign visitor ("en"), or in both ("vi+en"). Whatever
the language, amounts stay in đồng (``1.250.000 ₫``), dates dd/mm/yyyy, and the amount in words Vietnamese.

Bilingual follows the rule for invoices (NĐ 123/2020, Điều 10 khoản 13): Vietnamese first, the English to its
right in brackets or on the line below in smaller type. An e-invoice's paper copy must carry the Vietnamese, so
a sale that is an invoice and was asked for in English prints bilingual (``printed_language``).
"""

from __future__ import annotations

from dataclasses import dataclass

from pos.catalog.models import MARK_LABELS
from pos.einvoice.rules import PAPER_TITLES
from pos.errors import ValidationError
from pos.sales.models import PAYMENT_METHODS

LANGUAGES: dict[str, str] = {"vi": "Tiếng Việt", "en": "Tiếng Anh", "vi+en": "Song ngữ Việt – Anh"}
DEFAULT_LANGUAGE = "vi"

# key -> (Vietnamese, English). Placeholders in braces are filled by Wording(..., key, name=value).
LABELS: dict[str, tuple[str, str]] = {
    # titles and header
    "title": ("HÓA ĐƠN BÁN LẺ", "RECEIPT"),
    "refund_title": ("PHIẾU HOÀN TIỀN", "REFUND RECEIPT"),
    "test_title": ("IN THỬ MÁY IN", "PRINTER TEST"),
    "refund_for": ("Trả hàng cho hóa đơn số {number}", "Goods returned from receipt no. {number}"),
    "tax_code": ("MST", "Tax code"),
    "phone": ("Điện thoại", "Phone"),
    "receipt_no": ("Số hóa đơn", "Receipt no."),
    "order_no": ("Số đơn", "Order no."),
    "refund_no": ("Số phiếu", "Refund no."),
    "date": ("Ngày", "Date"),
    "cashier": ("Thu ngân", "Cashier"),
    "copy": ("BẢN SAO", "COPY"),
    "copy_n": ("BẢN SAO (lần in {n})", "COPY (print {n})"),
    "symbol": ("Ký hiệu", "Symbol"),
    "number": ("Số", "No."),
    "mccqt": ("Mã CQT", "Tax authority code"),
    # lines
    "line_discount": ("Giảm giá", "Discount"),
    "line_total": ("Thành tiền", "Line total"),
    "promotion": ("KM", "Promotion"),
    "col_no": ("STT", "No."),
    "col_product": ("Tên sản phẩm", "Product"),
    "col_unit": ("ĐVT", "Unit"),
    "col_qty": ("SL", "Qty"),
    "col_price": ("Đơn giá", "Unit price"),
    "col_discount": ("Giảm giá", "Discount"),
    "col_vat": ("Thuế GTGT", "VAT"),
    "col_amount": ("Thành tiền", "Amount"),
    "mixed_rates": ("nhiều mức", "mixed"),
    # totals
    "subtotal": ("Tiền hàng", "Subtotal"),
    "discount": ("Giảm giá", "Discount"),
    "total": ("Tổng thanh toán", "Total"),
    "refund_total": ("Hoàn tiền", "Refund"),
    "in_words": ("Bằng chữ", "In words"),
    "vat": ("Thuế GTGT {rate}", "VAT {rate}"),
    "vat_included": ("Giá đã bao gồm thuế GTGT", "Prices include VAT"),
    "net": ("Cộng tiền hàng chưa thuế", "Total before VAT"),
    "vat_amount": ("Tiền thuế GTGT", "VAT amount"),
    "KCT": (MARK_LABELS["KCT"], "Not subject to VAT"),
    "KKKNT": (MARK_LABELS["KKKNT"], "VAT not declared"),
    # payments
    "cash": (PAYMENT_METHODS["cash"], "Cash"),
    "card": (PAYMENT_METHODS["card"], "Card"),
    "transfer": (PAYMENT_METHODS["transfer"], "Bank transfer (VietQR)"),
    "points": (PAYMENT_METHODS["points"], "Loyalty points"),
    "tendered": ("Khách đưa", "Cash given"),
    "change": ("Tiền thừa trả khách", "Change"),
    "paid_at": ("Đã thanh toán lúc", "Paid at"),
    "transfer_at": ("Đã nhận chuyển khoản lúc", "Transfer received at"),
    "reference": ("Mã giao dịch", "Transaction ref."),
    # the rest
    "note": ("Ghi chú", "Note"),
    "voided": ("ĐƠN ĐÃ HỦY", "VOIDED"),
    "return_reason": ("Lý do trả hàng", "Reason for return"),
    "scan_vietqr": ("Quét mã VietQR để chuyển khoản", "Scan the VietQR code to pay by bank transfer"),
    "lookup": ("Tra cứu hóa đơn tại {url} bằng mã CQT", "Look this invoice up at {url} with its tax authority code"),
    "thanks": ("Cảm ơn quý khách!", "Thank you for your visit!"),
    "page": ("Trang {n}/{of}", "Page {n}/{of}"),
    "approval_line": ("Giảm giá dòng {n} ({name}): {by} duyệt", "Discount on line {n} ({name}) approved by {by}"),
    "approval_sale": ("Giảm giá cả đơn ({amount}): {by} duyệt", "Discount on the sale ({amount}) approved by {by}"),
    # the buyer on an invoice's copy
    "buyer": ("Người mua", "Buyer"),
    "buyer_company": ("Tên đơn vị", "Company"),
    "buyer_tax_code": ("Mã số thuế", "Tax code"),
    "buyer_address": ("Địa chỉ", "Address"),
    "buyer_person": ("Người mua hàng", "Buyer"),
    "buyer_id_number": ("Số định danh", "ID number"),
    "buyer_phone": ("Điện thoại", "Phone"),
    "buyer_email": ("Email", "Email"),
    # e-invoice titles as the rules name them (pos/einvoice/rules.py): the Vietnamese stays, English below
    PAPER_TITLES[1]: (PAPER_TITLES[1], "VAT INVOICE"),
    PAPER_TITLES[2]: (PAPER_TITLES[2], "SALES INVOICE"),
    "(Khởi tạo từ máy tính tiền)": ("(Khởi tạo từ máy tính tiền)", "(issued from a cash register)"),
}

# Bilingual forms that "Vietnamese (English)" would nest in brackets.
BILINGUAL: dict[str, str] = {"transfer": "Chuyển khoản (Bank transfer) – VietQR"}

# The units products are sold in (Product.unit), for an English receipt; any other unit prints as typed.
UNITS_EN: dict[str, str] = {
    "cái": "pc",
    "chiếc": "pc",
    "hộp": "box",
    "túi": "bag",
    "chai": "bottle",
    "gói": "pack",
    "bộ": "set",
    "bức": "piece",
    "hũ": "jar",
    "lọ": "jar",
    "bình": "jar",
    "can": "can",
    "lon": "can",
    "mét": "m",
    "đôi": "pair",
    "bánh": "cake",
    "giỏ": "basket",
    "thùng": "carton",
    "quả": "pc",
    "bó": "bunch",
    "kg": "kg",
    "g": "g",
}


def check_language(value: object) -> str | None:
    """The language code if ``value`` is one ("vi", "en", "vi+en"), else None."""
    return value if isinstance(value, str) and value in LANGUAGES else None


def chosen_language(value: object, field: str = "receipt_language") -> str:
    """The language asked for (at the till, or for a reprint), refused with a form error when it is not one."""
    language = check_language(value)
    if language is None:
        raise ValidationError(
            "Ngôn ngữ hóa đơn không hợp lệ; chọn Tiếng Việt, Tiếng Anh hoặc Song ngữ Việt – Anh.", field
        )
    return language


def copy_language(value: object) -> str | None:
    """The language a reprint was asked for: None when not asked (the sale's), a form error when not one."""
    return chosen_language(value, "language") if value else None


def printed_language(chosen: str, is_invoice: bool) -> str:
    """The language a receipt prints in: as chosen, except that an invoice's copy keeps its Vietnamese."""
    language = check_language(chosen) or DEFAULT_LANGUAGE
    return "vi+en" if language == "en" and is_invoice else language


@dataclass(frozen=True)
class Wording:
    """The receipt's words in one language: ``t("total")`` is 'Tổng thanh toán', 'Total' or 'Tổng thanh toán
    (Total)'."""

    language: str = DEFAULT_LANGUAGE

    @property
    def has_vietnamese(self) -> bool:
        """Vietnamese printed (first)."""
        return self.language != "en"

    @property
    def has_english(self) -> bool:
        """English printed (alone or under the Vietnamese)."""
        return self.language != "vi"

    def vi(self, key: str, **values: object) -> str:
        """The Vietnamese words for ``key``."""
        return LABELS[key][0].format(**values)

    def en(self, key: str, **values: object) -> str:
        """The English words for ``key``."""
        return LABELS[key][1].format(**values)

    def __call__(self, key: str, **values: object) -> str:
        """One line: Vietnamese, English, or the Vietnamese with the English in brackets."""
        if self.language == "en":
            return self.en(key, **values)
        if self.language == "vi":
            return self.vi(key, **values)
        if key in BILINGUAL:
            return BILINGUAL[key].format(**values)
        return f"{self.vi(key, **values)} ({self.en(key, **values)})"

    def stacked(self, key: str, **values: object) -> tuple[str, str | None]:
        """A title and the line under it: (Vietnamese, English) bilingual, else (the one language, None)."""
        if self.language == "vi+en":
            return self.vi(key, **values), self.en(key, **values)
        return self(key, **values), None

    def names(self, name: str, name_en: str) -> tuple[str, str | None]:
        """A product's name as printed, and its English to go with it on a bilingual receipt (None when none).

        English alone on an English receipt (the Vietnamese where no English name is told); both when bilingual.
        """
        english = name_en.strip()
        if not self.has_vietnamese:
            return english or name, None
        if self.has_english and english and english != name:
            return name, english
        return name, None

    def name(self, name: str, name_en: str) -> str:
        """A product's name on one line: 'Chè Tân Cương (Tan Cuong green tea)' when bilingual."""
        first, second = self.names(name, name_en)
        return f"{first} ({second})" if second else first

    def naming(self, key: str, name: str, name_en: str, **values: object) -> str:
        """A line naming a product (``{name}`` in ``key``): each language's words with that language's name."""
        english = name_en.strip() or name
        if self.language == "en":
            return self.en(key, name=english, **values)
        if self.language == "vi":
            return self.vi(key, name=name, **values)
        return f"{self.vi(key, name=name, **values)} ({self.en(key, name=english, **values)})"

    def unit(self, unit: str) -> str:
        """A product's unit in English on an English receipt; as typed otherwise."""
        return UNITS_EN.get(unit.strip().lower(), unit) if self.language == "en" else unit

    def title(self, vietnamese: str) -> tuple[str, str | None]:
        """A legal title (an e-invoice's): always the Vietnamese, the English under it when English is printed."""
        english = LABELS[vietnamese][1] if vietnamese in LABELS and self.has_english else None
        return vietnamese, english
