"""The buyer's details, given only when the buyer asks for them at the till, checked with clear messages."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pos.einvoice.taxcode import normalize_tax_code
from pos.einvoice.xml import Party
from pos.errors import ValidationError
from pos.text import nfc

MAX_NAME = 200
MAX_COMPANY = 400
MAX_ADDRESS = 400
_MARKUP = re.compile(r"[<>{}]|&#|javascript:", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_PHONE = re.compile(r"^\+?[0-9]{9,12}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,63}\.[^@\s]{2,}$")
FIELDS = ("name", "company", "tax_code", "address", "id_number", "phone", "email")


def _text(raw: Mapping[str, Any], key: str, label: str, limit: int) -> str:
    value = raw.get(key)
    text = " ".join(_CONTROL.sub(" ", nfc(value if isinstance(value, str) else "")).split())
    if _MARKUP.search(text):
        raise ValidationError(f"{label} không được chứa các ký tự < > {{ }}; hãy nhập chữ thường.", f"buyer_{key}")
    if len(text) > limit:
        raise ValidationError(f"{label} dài {len(text)} ký tự, tối đa {limit}; hãy viết gọn lại.", f"buyer_{key}")
    return text


def clean_buyer(raw: Mapping[str, Any] | None) -> Party | None:
    """The buyer from the till's form (None when nothing was given); a company needs its tax code and address."""
    if not raw or not any(isinstance(raw.get(k), str) and raw.get(k, "").strip() for k in FIELDS):
        return None
    name = _text(raw, "name", "Họ tên người mua", MAX_NAME)
    company = _text(raw, "company", "Tên đơn vị", MAX_COMPANY)
    address = _text(raw, "address", "Địa chỉ", MAX_ADDRESS)
    tax_raw = _text(raw, "tax_code", "Mã số thuế", 20)
    tax_code = normalize_tax_code(tax_raw, "buyer_tax_code") if tax_raw else ""
    id_number = "".join(_text(raw, "id_number", "Số định danh", 20).split())
    if id_number and not (id_number.isascii() and id_number.isdigit() and len(id_number) in (9, 12)):
        raise ValidationError("Số định danh cá nhân (CCCD) gồm 12 chữ số (CMND cũ: 9 số).", "buyer_id_number")
    phone = re.sub(r"[\s.\-()]", "", _text(raw, "phone", "Số điện thoại", 20))
    if phone and not _PHONE.match(phone):
        raise ValidationError("Số điện thoại gồm 9 đến 12 chữ số, ví dụ 0912345678.", "buyer_phone")
    email = _text(raw, "email", "Email", 50)
    if email and not _EMAIL.match(email):
        raise ValidationError("Địa chỉ email không đúng dạng, ví dụ ten@congty.vn.", "buyer_email")
    if tax_code and not company and len(tax_code) != 12:
        raise ValidationError("Có mã số thuế thì cần tên đơn vị (công ty) ghi trên hóa đơn.", "buyer_company")
    if company and not tax_code:
        raise ValidationError("Hóa đơn cho đơn vị cần mã số thuế của đơn vị.", "buyer_tax_code")
    if company and not address:
        raise ValidationError("Hóa đơn cho đơn vị cần địa chỉ của đơn vị.", "buyer_address")
    if not (name or company or tax_code or id_number or phone or email or address):
        return None
    return Party(
        name=company or name,
        tax_code=tax_code,
        address=address,
        phone=phone,
        email=email,
        id_number=id_number,
        person=name if company else "",
    )
