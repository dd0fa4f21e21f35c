"""Setting promotions, finding those in force at a moment, and what the till records of them.

Periods are typed in the showroom's local time to the minute (dd/mm/yyyy HH:MM; a date alone means
00:00 for the start and 23:59 for the end) and kept in UTC. A promotion is in force from the first
second of its first minute to the last second of its last minute.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import delete, func
from sqlmodel import Session, select

from pos.audit import log as audit
from pos.baskets.split import split_vnd
from pos.catalog import services as catalog
from pos.catalog.models import PRODUCT_GROUPS, Product
from pos.errors import NotFound, ValidationError
from pos.money import BP, format_bp, format_vnd
from pos.promotions.engine import Applied, Item, Offer, best_offers
from pos.promotions.models import BORNE_BY, PROMOTION_KINDS, TARGETS, Promotion, PromotionItem, SalePromotion
from pos.sales.vat import showroom_tz
from pos.text import nfc

MINUTE = timedelta(minutes=1)
MAX_ITEMS = 20


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


def is_in_force(promotion: Promotion, at: datetime) -> bool:
    """From the start of its first minute to the end of its last."""
    return promotion.starts_at <= at < promotion.ends_at + MINUTE


def applies_to(promotion: Promotion, showroom_code: str) -> bool:
    """A promotion set at the central office names its showrooms; blank means every showroom."""
    codes = {c.strip().upper() for c in promotion.showrooms.split(",") if c.strip()}
    return not codes or showroom_code.upper() in codes


def active_offers(session: Session, at: datetime, showroom_code: str = "") -> list[Offer]:
    """The offers in force at ``at`` in this showroom."""
    rows = session.exec(
        select(Promotion).where(
            Promotion.is_active,  # type: ignore[arg-type]
            Promotion.starts_at <= at,
            Promotion.ends_at > at - MINUTE,
        )
    ).all()
    rows = [r for r in rows if is_in_force(r, at) and applies_to(r, showroom_code)]
    if not rows:
        return []
    items: dict[int, list[tuple[int, int]]] = {}
    for item in session.exec(
        select(PromotionItem).where(PromotionItem.promotion_id.in_([r.id for r in rows]))  # type: ignore[attr-defined]
    ):
        items.setdefault(item.promotion_id, []).append((item.product_id, item.qty))
    return [
        Offer(
            id=r.id,  # type: ignore[arg-type]
            name=r.name,
            kind=r.kind,
            target=r.target,
            target_value=r.target_value,
            percent_bp=r.percent_bp,
            price_vnd=r.price_vnd,
            buy_qty=r.buy_qty,
            get_qty=r.get_qty,
            products=tuple(items.get(r.id, [])),  # type: ignore[arg-type]
            borne_by=r.borne_by,
        )
        for r in rows
    ]


def promotions_for(
    session: Session, products: Sequence[tuple[Product, int]], at: datetime, showroom_code: str = ""
) -> list[Applied | None]:
    """The promotion each (product, qty) line of a cart gets at ``at``, by the rule of engine.py."""
    offers = active_offers(session, at, showroom_code)
    if not offers or not products:
        return [None] * len(products)
    items = [Item(p.id, p.producer_id, p.ocop_group, p.ocop_stars, qty, p.price_vnd) for p, qty in products]  # type: ignore[arg-type]
    return best_offers(items, offers)


def record_sale_promotions(session: Session, promoted: Sequence[tuple[Any, Sequence[Any], Sequence[int]]]) -> None:
    """What each sale line got from a promotion: (priced line, its sale lines, weights) as checkout wrote them.

    A basket's promotion is shared over its component lines by the basket rule (pos/baskets/split.py).
    """
    ids = {p.promotion_id for p, _, _ in promoted if p.promotion_id}
    if not ids:
        return
    borne = dict(session.exec(select(Promotion.id, Promotion.borne_by).where(Promotion.id.in_(ids))).all())  # type: ignore[union-attr]
    rows = []
    for priced, lines, weights in promoted:
        if not priced.promotion_id:
            continue
        for line, share in zip(lines, split_vnd(priced.promo_vnd, weights), strict=True):
            rows.append(
                SalePromotion(
                    sale_line_id=line.id,
                    promotion_id=priced.promotion_id,
                    discount_vnd=share,
                    borne_by=borne[priced.promotion_id],
                )
            )
    session.add_all(rows)


def promotion_names(session: Session, sale_line_ids: Sequence[int]) -> dict[int, str]:
    """{sale line id: 'name (Giảm 15%)'} of the lines that got a promotion."""
    if not sale_line_ids:
        return {}
    rows = session.exec(
        select(SalePromotion.sale_line_id, Promotion)
        .join(Promotion, Promotion.id == SalePromotion.promotion_id)  # type: ignore[arg-type]
        .where(SalePromotion.sale_line_id.in_(list(sale_line_ids)))  # type: ignore[attr-defined]
    ).all()
    return {line_id: f"{p.name} ({describe(p)})" for line_id, p in rows}


# --- managers' side -----------------------------------------------------------------------------------------


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


def _whole(errors: catalog.FieldErrors, name: str, raw: str, label: str, low: int, high: int) -> int:
    try:
        value = catalog.parse_int(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        errors.add(name, f"{label} phải là số nguyên từ {low} đến {high}.")
        return 0
    return value


def save_promotion(
    session: Session, data: PromotionInput, *, tz_name: str, actor_id: int | None, promotion_id: int | None = None
) -> Promotion:
    """Create or edit a promotion; every field checked at once; audited."""
    errors = catalog.FieldErrors()
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
    if target == "producer":
        try:
            value = str(catalog.get_producer(session, value).id)
        except NotFound:
            errors.add("target_value", "Chưa chọn nhà sản xuất.")
    elif target == "group" and value not in PRODUCT_GROUPS:
        errors.add("target_value", "Chưa chọn nhóm sản phẩm.")
    elif target == "stars" and value not in {"3", "4", "5"}:
        errors.add("target_value", "Hạng sao phải là 3, 4 hoặc 5 (áp dụng cho hạng đó trở lên).")
    elif target == "product":
        value = ""
    row = {"percent_bp": 0, "price_vnd": 0, "buy_qty": 0, "get_qty": 0}
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
        row["buy_qty"] = _whole(errors, "buy_qty", data.buy_qty, "Số lượng mua", 1, 99)
        row["get_qty"] = _whole(errors, "get_qty", data.get_qty, "Số lượng tặng", 1, 99)
    items: list[tuple[Product, int]] = []
    if target == "product":
        for index, (code, raw_qty) in enumerate(data.items):
            if not nfc(str(code or "")):
                continue
            product = catalog.find_by_code(session, str(code))
            if product is None:
                errors.add(f"item_{index}", f"Không tìm thấy sản phẩm có mã “{nfc(str(code))}”.")
                continue
            qty = _whole(errors, f"item_{index}", raw_qty or "1", "Số lượng", 1, 99) if kind == "combo" else 1
            if any(p.id == product.id for p, _ in items):
                errors.add(f"item_{index}", f"“{product.name}” đã có trong danh sách.")
                continue
            items.append((product, qty))
        if not items:
            errors.add("items", "Chọn ít nhất một sản phẩm (quét mã vạch hoặc gõ SKU).")
        if kind == "combo" and len(items) < 2 and sum(q for _, q in items) < 2:
            errors.add("items", "Giá trọn bộ cần ít nhất hai sản phẩm.")
        if kind == "combo" and items and row["price_vnd"] >= sum(p.price_vnd * q for p, q in items):
            errors.add("price_vnd", "Giá trọn bộ phải thấp hơn tổng giá bán lẻ của bộ.")
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
    codes = ",".join(c.strip().upper() for c in nfc(data.showrooms).split(",") if c.strip())[:400]
    errors.raise_if_any()
    promotion = (
        session.get(Promotion, promotion_id) if promotion_id is not None else Promotion(starts_at=starts, ends_at=ends)
    )  # type: ignore[arg-type]
    if promotion is None:
        raise NotFound("Không tìm thấy chương trình khuyến mãi.", "promotion_id")
    fields = {
        "name": name,
        "kind": kind,
        "target": target,
        "target_value": value,
        **row,
        "starts_at": starts,
        "ends_at": ends,
        "borne_by": data.borne_by,
        "showrooms": codes,
    }
    for key, val in {**fields, "is_active": bool(data.is_active)}.items():
        setattr(promotion, key, val)
    promotion.created_by_id = promotion.created_by_id or actor_id
    session.add(promotion)
    session.flush()
    session.execute(delete(PromotionItem).where(PromotionItem.promotion_id == promotion.id))  # type: ignore[arg-type]
    session.add_all(PromotionItem(promotion_id=promotion.id, product_id=p.id, qty=q) for p, q in items)  # type: ignore[arg-type]
    session.flush()
    audit.record(
        session,
        "promotion.save",
        user_id=actor_id,
        entity="promotion",
        entity_id=promotion.id,
        after={
            **fields,
            "items": [{"sku": p.sku, "qty": q} for p, q in items],
        },
    )
    return promotion


def describe(promotion: Promotion) -> str:
    """'Giảm 15%', 'Mua 2 tặng 1', 'Giá 99.000 ₫', 'Trọn bộ 450.000 ₫' for lists and receipts."""
    if promotion.kind == "percent":
        return f"Giảm {format_bp(promotion.percent_bp)}"
    if promotion.kind == "bxgy":
        return f"Mua {promotion.buy_qty} tặng {promotion.get_qty}"
    if promotion.kind == "price":
        return f"Giá {format_vnd(promotion.price_vnd)}"
    return f"Trọn bộ {format_vnd(promotion.price_vnd)}"


def list_promotions(session: Session) -> list[Promotion]:
    """Every promotion, latest start first."""
    return list(session.exec(select(Promotion).order_by(Promotion.starts_at.desc(), Promotion.id.desc())).all())  # type: ignore[attr-defined]


def get_promotion(session: Session, promotion_id: Any) -> tuple[Promotion, list[tuple[Product, int]]]:
    """A promotion and its products, or NotFound."""
    promotion = session.get(Promotion, promotion_id) if isinstance(promotion_id, int) else None
    if promotion is None:
        raise NotFound("Không tìm thấy chương trình khuyến mãi.", "promotion_id")
    rows = session.exec(
        select(Product, PromotionItem.qty)
        .join(PromotionItem, PromotionItem.product_id == Product.id)  # type: ignore[arg-type]
        .where(PromotionItem.promotion_id == promotion.id)
        .order_by(PromotionItem.id)  # type: ignore[arg-type]
    ).all()
    return promotion, [(p, int(q)) for p, q in rows]


@dataclass(frozen=True)
class ReportRow:
    """What one promotion sold of one producer's goods in a period, what it cost and who bore it."""

    promotion_id: int
    name: str
    what: str
    producer: str
    borne_by: str
    sales: int
    qty: int
    sold_vnd: int
    cost_vnd: int


def promotion_report(session: Session, start: datetime, end: datetime) -> list[ReportRow]:
    """Per promotion and producer: completed sales in [start, end), their value after the promotion, its cost.

    The cost is what the promotion took off the list price; the showroom bears it, or the producer when
    the promotion was set so (the producer's terms): a producer on consignment is then paid on the
    promoted price, otherwise the showroom owes the difference (shown here, settled by hand).
    """
    from pos.catalog.models import Producer
    from pos.sales.models import Sale, SaleLine

    rows = session.exec(
        select(
            Promotion,
            Producer.name,
            SalePromotion.borne_by,
            func.count(func.distinct(Sale.id)),
            func.sum(SaleLine.qty),
            func.sum(SaleLine.total_vnd),
            func.sum(SalePromotion.discount_vnd),
        )
        .join(SaleLine, SaleLine.id == SalePromotion.sale_line_id)  # type: ignore[arg-type]
        .join(Sale, Sale.id == SaleLine.sale_id)  # type: ignore[arg-type]
        .join(Promotion, Promotion.id == SalePromotion.promotion_id)  # type: ignore[arg-type]
        .join(Producer, Producer.id == SaleLine.producer_id)  # type: ignore[arg-type]
        .where(Sale.status == "completed", Sale.created_at >= start, Sale.created_at < end)
        .group_by(Promotion.id, Producer.name, SalePromotion.borne_by)
        .order_by(Promotion.id, Producer.name)
    ).all()
    return [
        ReportRow(p.id, p.name, describe(p), producer, borne, int(n), int(q or 0), int(v or 0), int(c or 0))  # type: ignore[arg-type]
        for p, producer, borne, n, q, v, c in rows
    ]
