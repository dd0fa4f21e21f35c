"""Setting promotions, finding those in force at a moment, and what the till records of them.

Periods are typed in the showroom's local time to the minute (dd/mm/yyyy HH:MM; a date alone means
00:00 for the start and 23:59 for the end) and kept in UTC. A promotion is in force from the first
second of its first minute to the last second of its last minute.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, func
from sqlmodel import Session, select

from pos.audit import log as audit
from pos.baskets.split import split_vnd
from pos.catalog import services as catalog
from pos.catalog.models import Product
from pos.errors import Conflict, NotFound
from pos.promotions import central, terms
from pos.promotions.engine import Applied, Item, Offer, best_offers
from pos.promotions.models import Promotion, PromotionItem, SalePromotion
from pos.promotions.terms import MAX_ITEMS, MINUTE, PromotionInput, describe, parse_local
from pos.quantity import WEIGHT
from pos.text import nfc

__all__ = ["MAX_ITEMS", "PromotionInput", "describe", "parse_local"]  # the form's terms live in terms.py

FROM_CENTRAL_READ_ONLY = "Chương trình này do văn phòng trung tâm đặt; cửa hàng chỉ xem, không sửa được."


def is_in_force(promotion: Promotion, at: datetime) -> bool:
    """From the start of its first minute to the end of its last."""
    return promotion.starts_at <= at < promotion.ends_at + MINUTE


def applies_to(promotion: Promotion, showroom_code: str) -> bool:
    """A promotion set at the central office names its showrooms; blank means every showroom."""
    codes = {c.strip().upper() for c in promotion.showrooms.split(",") if c.strip()}
    return not codes or showroom_code.upper() in codes


OFFER_COLUMNS = (
    "id", "name", "kind", "target", "target_value", "percent_bp", "price_vnd", "buy_qty", "get_qty",
    "starts_at", "ends_at", "borne_by", "showrooms", "central_uuid",
)  # fmt: skip


def active_offers(
    session: Session, at: datetime, showroom_code: str = "", among: Sequence[Product] | None = None
) -> list[Offer]:
    """The offers in force at ``at`` in this showroom (the central office's resolved among a cart's products)."""
    columns = [getattr(Promotion, name) for name in OFFER_COLUMNS]  # rows as named tuples: asked at every scan
    rows = session.exec(
        select(*columns).where(
            Promotion.is_active,  # type: ignore[arg-type]
            Promotion.starts_at <= at,
            Promotion.ends_at > at - MINUTE,
        )
    ).all()
    rows = [r for r in rows if is_in_force(r, at) and applies_to(r, showroom_code)]  # type: ignore[arg-type]
    if not rows:
        return []
    items: dict[int, list[tuple[int, int]]] = {}
    for promotion_id, product_id, qty in session.exec(
        select(PromotionItem.promotion_id, PromotionItem.product_id, PromotionItem.qty).where(
            PromotionItem.promotion_id.in_([r.id for r in rows])  # type: ignore[attr-defined]
        )
    ):
        items.setdefault(promotion_id, []).append((product_id, qty))
    for promotion_id, pairs in central.local_products(session, rows, among).items():
        items[promotion_id] = list(pairs)
    return [
        Offer(
            id=r.id,  # type: ignore[arg-type]
            name=r.name,
            kind=r.kind,
            # a central producer target names a catalogue producer: resolved to its products here
            target="product" if r.central_uuid is not None and r.target == "producer" else r.target,
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
    offers = active_offers(session, at, showroom_code, [p for p, _ in products])
    if not offers or not products:
        return [None] * len(products)
    items = [Item(p.id, p.producer_id, p.ocop_group, p.ocop_stars, qty, p.price_vnd, p.sold_by) for p, qty in products]  # type: ignore[arg-type]
    return best_offers(items, offers)


def record_sale_promotions(
    session: Session, promoted: Sequence[tuple[Any, Sequence[Any], Sequence[int]]]
) -> dict[int, dict[str, Any]]:
    """What each sale line got from a promotion: (priced line, its sale lines, weights) as checkout wrote them.

    A basket's promotion is shared over its component lines by the basket rule (pos/baskets/split.py).
    Returns, of the lines a central office's promotion priced, {sale line id: {uuid, discount_vnd, borne_by}}:
    what the sale's record tells the central server (a showroom's own promotion is not sent).
    """
    ids = {p.promotion_id for p, _, _ in promoted if p.promotion_id}
    if not ids:
        return {}
    terms_of = {
        pid: (borne_by, central_uuid)
        for pid, borne_by, central_uuid in session.exec(
            select(Promotion.id, Promotion.borne_by, Promotion.central_uuid).where(Promotion.id.in_(ids))  # type: ignore[union-attr]
        ).all()
    }
    rows = []
    central_lines: dict[int, dict[str, Any]] = {}
    for priced, lines, weights in promoted:
        if not priced.promotion_id:
            continue
        borne_by, central_uuid = terms_of[priced.promotion_id]
        for line, share in zip(lines, split_vnd(priced.promo_vnd, weights), strict=True):
            rows.append(
                SalePromotion(
                    sale_line_id=line.id, promotion_id=priced.promotion_id, discount_vnd=share, borne_by=borne_by
                )
            )
            if central_uuid is not None:
                central_lines[line.id] = {"uuid": str(central_uuid), "discount_vnd": share, "borne_by": borne_by}
    session.add_all(rows)
    return central_lines


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


def save_promotion(
    session: Session, data: PromotionInput, *, tz_name: str, actor_id: int | None, promotion_id: int | None = None
) -> Promotion:
    """Create or edit a promotion; every field checked at once; audited."""
    if promotion_id is not None:
        existing = session.get(Promotion, promotion_id)
        if existing is not None and existing.central_uuid is not None:
            raise Conflict(FROM_CENTRAL_READ_ONLY, "promotion_id")
    errors = catalog.FieldErrors()
    fields = terms.check_terms(errors, data, tz_name)
    if fields["target"] == "producer":
        try:
            fields["target_value"] = str(catalog.get_producer(session, fields["target_value"]).id)
        except NotFound:
            errors.add("target_value", "Chưa chọn nhà sản xuất.")
    items: list[tuple[Product, int]] = []
    if fields["target"] == "product":
        items = terms.collect_items(
            errors,
            data,
            fields["kind"],
            lambda code: catalog.find_by_code(session, code),
            "Không tìm thấy sản phẩm có mã “{code}”.",
        )
    terms.check_items(errors, fields, [(p.price_vnd, q) for p, q in items])
    fields["showrooms"] = ",".join(c.strip().upper() for c in nfc(data.showrooms).split(",") if c.strip())[:400]
    errors.raise_if_any()
    promotion = (
        session.get(Promotion, promotion_id)
        if promotion_id is not None
        else Promotion(starts_at=fields["starts_at"], ends_at=fields["ends_at"])
    )
    if promotion is None:
        raise NotFound("Không tìm thấy chương trình khuyến mãi.", "promotion_id")
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
    qty: int  # pieces of goods sold by the piece
    sold_vnd: int
    cost_vnd: int
    grams: int = 0  # of goods sold by weight, never added to the pieces


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
            func.sum(case((SaleLine.sold_by == WEIGHT, 0), else_=SaleLine.qty)),
            func.sum(SaleLine.total_vnd),
            func.sum(SalePromotion.discount_vnd),
            func.sum(case((SaleLine.sold_by == WEIGHT, SaleLine.qty), else_=0)),
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
        ReportRow(
            p.id, p.name, describe(p), producer, borne, int(n), int(q or 0), int(v or 0), int(c or 0), int(g or 0)
        )  # type: ignore[arg-type]
        for p, producer, borne, n, q, v, c, g in rows
    ]
