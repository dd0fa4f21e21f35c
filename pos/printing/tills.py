"""The showroom's tills: their settings, checked, and how a browser knows which till it stands at.

A manager marks a PC as "Quầy 2" once (a signed cookie that lasts years); every page that PC opens then sells,
prints and counts the drawer at Quầy 2. A PC never marked is at the first till, so a showroom with one till has
nothing to set up.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from sqlmodel import Session, col, select

from pos.audit import log as audit
from pos.errors import Conflict, ValidationError
from pos.printing.models import ESCPOS_KINDS, PRINTER_KINDS, Till
from pos.text import nfc

COOKIE = "pos_till"
COOKIE_MAX_AGE_S = 10 * 365 * 24 * 3600
CODE_RE = re.compile(r"^[A-Z0-9]{1,10}$")
SETTINGS = ("code", "name", "printer_kind", "printer_address", "paper", "dots_per_line", "has_drawer", "drawer_pin")


def _serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt="pos.till")


def till_cookie(secret: str, till_id: int) -> str:
    """The signed value a manager's "use this PC as the till" stores (a cashier cannot forge another till)."""
    return _serializer(secret).dumps(till_id)


def till_from_cookie(session: Session, secret: str, raw: str | None) -> Till:
    """The browser's till: its cookie's, else the first active till."""
    if raw:
        try:
            till_id = _serializer(secret).loads(raw)
        except BadSignature:
            till_id = None
        till = session.get(Till, till_id) if isinstance(till_id, int) else None
        if till is not None and till.is_active:
            return till
    first = session.exec(select(Till).where(col(Till.is_active).is_(True)).order_by(col(Till.id))).first()
    if first is None:
        raise Conflict("Cửa hàng chưa có quầy thu ngân nào đang dùng; quản lý hãy thêm quầy ở trang Máy in.")
    return first


def _values(form: Mapping[str, Any]) -> dict[str, Any]:
    """The settings from a form, checked; raises ValidationError on the first bad field."""
    code = nfc(form.get("code")).upper()
    if not CODE_RE.match(code):
        raise ValidationError("Mã quầy gồm 1 đến 10 chữ cái không dấu hoặc chữ số, ví dụ Q2.", "code")
    name = nfc(form.get("name"))
    if not name or len(name) > 60:
        raise ValidationError("Tên quầy cần từ 1 đến 60 ký tự, ví dụ Quầy 2.", "name")
    kind = str(form.get("printer_kind") or "")
    if kind not in PRINTER_KINDS:
        raise ValidationError("Hãy chọn loại máy in.", "printer_kind")
    address = nfc(form.get("printer_address"))
    if kind in ESCPOS_KINDS and not address:
        hints = {
            "network": "địa chỉ IP, ví dụ 192.168.1.50",
            "usb": "mã USB, ví dụ 0416:5011",
            "serial": "cổng, ví dụ COM3",
        }
        raise ValidationError(f"Hãy nhập {hints.get(kind, 'tên máy in trong Windows')}.", "printer_address")
    if len(address) > 200:
        raise ValidationError("Địa chỉ máy in dài tối đa 200 ký tự.", "printer_address")
    paper = str(form.get("paper") or "")
    if paper not in ("80mm", "58mm"):
        raise ValidationError("Khổ giấy là 80mm hoặc 58mm.", "paper")
    raw_dots = str(form.get("dots_per_line") or "0").strip()
    dots = int(raw_dots) if raw_dots.isascii() and raw_dots.isdigit() and len(raw_dots) < 5 else -1
    if dots != 0 and not (256 <= dots <= 832 and dots % 8 == 0):
        raise ValidationError("Số điểm mỗi dòng là 0 (mặc định) hoặc bội số của 8 từ 256 đến 832.", "dots_per_line")
    pin = str(form.get("drawer_pin") or "2")
    if pin not in ("2", "5"):
        raise ValidationError("Chân ngăn kéo là 2 hoặc 5.", "drawer_pin")
    has_drawer = str(form.get("has_drawer") or "") in ("1", "on", "true", "y")
    return {
        "code": code,
        "name": name,
        "printer_kind": kind,
        "printer_address": address if kind in ESCPOS_KINDS else "",
        "paper": paper,
        "dots_per_line": dots,
        "has_drawer": has_drawer and kind in ESCPOS_KINDS,
        "drawer_pin": int(pin),
    }


def save_till(session: Session, till_id: int | None, form: Mapping[str, Any], actor_id: int) -> Till:
    """Add a till (till_id None) or change one's settings; audited with what changed."""
    values = _values(form)
    till = Till(**values) if till_id is None else session.get(Till, till_id)
    if till is None:
        raise ValidationError("Không tìm thấy quầy thu ngân.", "till")
    clash = session.exec(select(Till).where(Till.code == values["code"])).first()
    if clash is not None and clash.id != till.id:
        raise ValidationError(f"Mã quầy {values['code']} đã có.", "code")
    before = {key: getattr(till, key) for key in SETTINGS} if till_id is not None else None
    for key, value in values.items():
        setattr(till, key, value)
    session.add(till)
    session.flush()
    audit.record(
        session,
        "till.add" if till_id is None else "till.settings",
        user_id=actor_id,
        entity="till",
        entity_id=till.id,
        before=before,
        after=values,
    )
    return till
