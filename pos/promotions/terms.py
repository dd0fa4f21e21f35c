"""A promotion's terms as typed, checked in one place for both the showroom's managers and the central office.

What a promotion is (its kind, what it covers, its amounts, its period to the minute in local time, who bears
its cost) is checked here on plain values; what it names (a showroom's products and producers, or the
central catalogue's) is looked up by the caller, which then checks a combination with ``check_combo``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from pos.catalog import services as catalog
from pos.catalog.models import PRODUCT_GROUPS
from pos.errors import ValidationError
from pos.money import BP, format_bp, format_vnd
from pos.promotions.engine import COUNTED_IN_PIECES
from pos.promotions.models import BORNE_BY, PROMOTION_KINDS, TARGETS
from pos.quantity import is_weighed
from pos.sales.vat import showroom_tz
from pos.text import nfc

MAX_ITEMS = 20
MINUTE = timedelta(minutes=1)  # a period ends at the end of its last minute


@dataclass
class PromotionInput:
    """A promotion as typed in the form."""

    name: str = ""
    kind: str = "percent"
    target: str = "product"
    target_value: str = ""
    percent: str = ""
    price_vnd: str = ""
    buy_qty: str = ""
    get_qty: str = ""
    starts: str = ""
    ends: str = ""
    borne_by: str = "showroom"
    showrooms: str = ""
    items: list[tuple[str, Any]] = field(default_factory=list)  # (code, qty)
    is_active: bool = True


def input_from_form(form: Any, item_rows: int, cls: type[PromotionInput] = PromotionInput, **extra: Any) -> Any:
    """The promotion typed in a form (the showroom's or the office's): one field per term, the value of the
    chosen target from ``value_<target>``, and ``code_<n>`` / ``qty_<n>`` for the products."""
    return cls(
        name=form.get("name", ""),
        kind=form.get("kind", ""),
        target=form.get("target", ""),
        target_value=form.get(f"value_{form.get('target', '')}", ""),
        percent=form.get("percent", ""),
        price_vnd=form.get("price_vnd", ""),
        buy_qty=form.get("buy_qty", ""),
        get_qty=form.get("get_qty", ""),
        starts=form.get("starts", ""),
        ends=form.get("ends", ""),
        borne_by=form.get("borne_by", ""),
        items=[(form.get(f"code_{i}", ""), form.get(f"qty_{i}", "")) for i in range(item_rows)],
        **extra,
    )


def form_context(data: PromotionInput, item_rows: int) -> dict[str, Any]:
    """What both promotion forms show: the typed promotion, ``item_rows`` product rows, the choices of each list."""
    rows = list(data.items) + [("", "")] * item_rows
    return {
        "data": data,
        "rows": rows[:item_rows],
        "kinds": list(PROMOTION_KINDS.items()),
        "targets": list(TARGETS.items()),
        "borne": list(BORNE_BY.items()),
        "groups": list(PRODUCT_GROUPS.items()),
    }


def parse_local(raw: str, tz_name: str, end: bool = False) -> datetime:
    """'31/01/2027 18:30' (or a date alone: 00:00, or 23:59 for an end) in the showroom's zone -> UTC."""
    text = nfc(raw)
    day_part, _, clock = text.partition(" ")
    day = catalog.parse_date(day_part)
    if day is None:
        raise ValueError("blank")
    default = time(23, 59) if end else time(0, 0)
    at = datetime.strptime(clock.strip(), "%H:%M").time() if clock.strip() else default
    return datetime.combine(day, at, tzinfo=showroom_tz(tz_name)).astimezone(UTC)


def format_local(at: datetime, tz_name: str) -> str:
    """A period's minute as typed back in the form: '31/01/2027 18:30' in the showroom's zone."""
    return at.astimezone(showroom_tz(tz_name)).strftime("%d/%m/%Y %H:%M")


def whole(errors: catalog.FieldErrors, name: str, raw: str, label: str, low: int, high: int) -> int:
    """A whole number from low to high, or an error on ``name`` (0)."""
    try:
        value = catalog.parse_int(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        errors.add(name, f"{label} phải là số nguyên từ {low} đến {high}.")
        return 0
    return value


def check_terms(errors: catalog.FieldErrors, data: PromotionInput, tz_name: str) -> dict[str, Any]:
    """The promotion's own fields as stored, every problem added to ``errors``.

    ``target_value`` is checked here for a group or stars; a producer's is the caller's to look up (a
    showroom's producer id, or the catalogue producer's UUID at the central office).
    """
    name = nfc(data.name)[:120]
    if not name:
        errors.add("name", "Chưa nhập tên chương trình khuyến mãi.")
    kind = data.kind if data.kind in PROMOTION_KINDS else ""
    if not kind:
        errors.add("kind", "Loại khuyến mãi không hợp lệ.")
    target = "product" if kind == "combo" else data.target
    if target not in TARGETS:
        errors.add("target", "Phạm vi áp dụng không hợp lệ.")
    value = nfc(data.target_value)
    if target == "group" and value not in PRODUCT_GROUPS:
        errors.add("target_value", "Chưa chọn nhóm sản phẩm.")
    elif target == "stars" and value not in {"3", "4", "5"}:
        errors.add("target_value", "Hạng sao phải là 3, 4 hoặc 5 (áp dụng cho hạng đó trở lên).")
    elif target == "product":
        value = ""
    row: dict[str, Any] = {"percent_bp": 0, "price_vnd": 0, "buy_qty": 0, "get_qty": 0}
    if kind == "percent":
        try:
            row["percent_bp"] = catalog.parse_percent_bp(data.percent)
        except (ValueError, ValidationError):
            errors.add("percent", "Phần trăm giảm phải lớn hơn 0 và nhỏ hơn 100, ví dụ 15 hoặc 12,5.")
        else:
            if not 0 < row["percent_bp"] < BP:
                errors.add("percent", "Phần trăm giảm phải lớn hơn 0 và nhỏ hơn 100.")
    if kind in ("price", "combo"):
        try:
            price = catalog.parse_money(data.price_vnd)
        except ValueError:
            price = None
        if price is None or not 0 < price <= catalog.MAX_PRICE_VND:
            errors.add("price_vnd", "Giá khuyến mãi phải là số tiền lớn hơn 0, ví dụ 99.000.")
        row["price_vnd"] = price or 0
    if kind == "bxgy":
        row["buy_qty"] = whole(errors, "buy_qty", data.buy_qty, "Số lượng mua", 1, 99)
        row["get_qty"] = whole(errors, "get_qty", data.get_qty, "Số lượng tặng", 1, 99)
    starts = ends = None
    try:
        starts = parse_local(data.starts, tz_name)
    except ValueError:
        errors.add("starts", "Ngày giờ bắt đầu không hợp lệ (dd/mm/yyyy hoặc dd/mm/yyyy HH:MM).")
    try:
        ends = parse_local(data.ends, tz_name, end=True)
    except ValueError:
        errors.add("ends", "Ngày giờ kết thúc không hợp lệ (dd/mm/yyyy hoặc dd/mm/yyyy HH:MM).")
    if starts and ends and ends < starts:
        errors.add("ends", "Ngày kết thúc phải sau ngày bắt đầu.")
    if data.borne_by not in BORNE_BY:
        errors.add("borne_by", "Chọn bên chịu chi phí khuyến mãi.")
    return {
        "name": name,
        "kind": kind,
        "target": target,
        "target_value": value,
        **row,
        "starts_at": starts,
        "ends_at": ends,
        "borne_by": data.borne_by,
    }


def item_qty(errors: catalog.FieldErrors, index: int, kind: str, raw_qty: Any) -> int:
    """How many of an item a combination takes (1 for a product target)."""
    return whole(errors, f"item_{index}", raw_qty or "1", "Số lượng", 1, 99) if kind == "combo" else 1


def collect_items(
    errors: catalog.FieldErrors, data: PromotionInput, kind: str, find: Callable[[str], Any], missing: str
) -> list[tuple[Any, int]]:
    """The products the form names, each once with its qty: ``find`` looks a typed code up (None: ``missing``,
    a message with ``{code}``, on that row)."""
    items: list[tuple[Any, int]] = []
    for index, (code, raw_qty) in enumerate(data.items):
        text = nfc(str(code or ""))
        if not text:
            continue
        product = find(text)
        if product is None:
            errors.add(f"item_{index}", missing.format(code=text))
            continue
        qty = item_qty(errors, index, kind, raw_qty)
        if any(p.id == product.id for p, _ in items):
            errors.add(f"item_{index}", f"“{product.name}” đã có trong danh sách.")
            continue
        if kind in COUNTED_IN_PIECES and is_weighed(getattr(product, "sold_by", None)):
            errors.add(f"item_{index}", weighed_refusal(product.name, kind))
            continue
        items.append((product, qty))
    return items


def weighed_refusal(name: str, kind: str) -> str:
    """Why a product sold by weight cannot be in a promotion that counts pieces (buy X get Y, a set)."""
    return (
        f"“{name}” bán theo cân (tính theo kg): “{PROMOTION_KINDS[kind]}” chỉ áp dụng cho hàng bán theo cái. "
        "Với hàng cân, dùng giảm theo phần trăm hoặc giá khuyến mãi mỗi kg."
    )


def check_items(errors: catalog.FieldErrors, terms: dict[str, Any], items: Sequence[tuple[int, int]]) -> None:
    """A product target names at least one product; a combination two or more, below their retail total.

    ``items``: (retail price in đồng, qty) of each product named.
    """
    if terms["target"] != "product":
        return
    if not items:
        errors.add("items", "Chọn ít nhất một sản phẩm (quét mã vạch hoặc gõ SKU).")
    if terms["kind"] != "combo":
        return
    if len(items) < 2 and sum(q for _, q in items) < 2:
        errors.add("items", "Giá trọn bộ cần ít nhất hai sản phẩm.")
    if items and terms["price_vnd"] >= sum(price * q for price, q in items):
        errors.add("price_vnd", "Giá trọn bộ phải thấp hơn tổng giá bán lẻ của bộ.")


def describe(promotion: Any) -> str:
    """'Giảm 15%', 'Mua 2 tặng 1', 'Giá 99.000 ₫', 'Trọn bộ 450.000 ₫' for lists and receipts."""
    if promotion.kind == "percent":
        return f"Giảm {format_bp(promotion.percent_bp)}"
    if promotion.kind == "bxgy":
        return f"Mua {promotion.buy_qty} tặng {promotion.get_qty}"
    if promotion.kind == "price":
        return f"Giá {format_vnd(promotion.price_vnd)}"
    return f"Trọn bộ {format_vnd(promotion.price_vnd)}"


def percent_text(percent_bp: int) -> str:
    """Basis points as typed back in the form: 1250 -> '12,5'."""
    return f"{percent_bp / 100:g}".replace(".", ",") if percent_bp else ""
