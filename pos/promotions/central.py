"""Promotions set at the central office, as this showroom keeps them: read-only, their products by catalogue link.

The catalogue pull (pos/sync/client.py) hands each page's promotions here; each is stored as a ``Promotion``
marked with its central UUID, so the till applies it by the same rule as the showroom's own
(pos/promotions/engine.py) and the reports and settlement count it the same way. What it names is resolved to
this showroom's products when the till asks, not when it arrives: a product linked to the catalogue later, or
received later, is covered from then on.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import delete, or_
from sqlmodel import Session, select

from pos.audit import log as audit
from pos.catalog.models import Producer, Product
from pos.promotions.models import CentralPromotionItem, Promotion
from pos.promotions.terms import PromotionInput, format_local, percent_text
from pos.sync.contract import CentralPromotionOut

FIELDS = ("name", "kind", "target", "target_value", "percent_bp", "price_vnd", "buy_qty", "get_qty")
FIELDS += ("starts_at", "ends_at", "borne_by", "is_active")


def apply_pulled(session: Session, rows: Sequence[CentralPromotionOut]) -> int:
    """Insert or update each pulled promotion by its central UUID, its items replaced; how many changed."""
    changed = 0
    for row in rows:
        promotion = session.exec(select(Promotion).where(Promotion.central_uuid == row.uuid)).first()
        values: dict[str, Any] = {key: getattr(row, key) for key in FIELDS}
        items = [(i.catalog_uuid, i.barcode, i.qty) for i in row.items]
        if promotion is not None:
            held = [
                (i.catalog_uuid, i.barcode, i.qty)
                for i in session.exec(
                    select(CentralPromotionItem)
                    .where(CentralPromotionItem.promotion_id == promotion.id)
                    .order_by(CentralPromotionItem.id)  # type: ignore[arg-type]
                )
            ]
            if held == items and all(getattr(promotion, k) == v for k, v in values.items()):
                continue
        else:
            promotion = Promotion(central_uuid=row.uuid, showrooms="", **values)
        for key, value in values.items():
            setattr(promotion, key, value)
        session.add(promotion)
        session.flush()
        session.execute(delete(CentralPromotionItem).where(CentralPromotionItem.promotion_id == promotion.id))  # type: ignore[arg-type]
        session.add_all(
            CentralPromotionItem(promotion_id=promotion.id, catalog_uuid=uuid, barcode=barcode, qty=qty)  # type: ignore[arg-type]
            for uuid, barcode, qty in items
        )
        session.flush()
        audit.record(
            session,
            "promotion.central",
            user_id=None,  # the central office's, pulled
            entity="promotion",
            entity_id=promotion.id,
            after={**values, "central_uuid": str(row.uuid), "items": [[str(u), b, q] for u, b, q in items]},
        )
        changed += 1
    return changed


def local_products(session: Session, promotions: Sequence[Promotion]) -> dict[int, tuple[tuple[int, int], ...]]:
    """{central promotion id: its (product id, qty) here}: the products it names, found by catalogue link (or by
    barcode where none is linked), and for a producer target every product of that catalogue producer."""
    central = [p for p in promotions if p.central_uuid is not None]
    if not central:
        return {}
    out: dict[int, tuple[tuple[int, int], ...]] = {}
    items: dict[int, list[CentralPromotionItem]] = {}
    for item in session.exec(
        select(CentralPromotionItem)
        .where(CentralPromotionItem.promotion_id.in_([p.id for p in central]))  # type: ignore[attr-defined]
        .order_by(CentralPromotionItem.id)  # type: ignore[arg-type]
    ):
        items.setdefault(item.promotion_id, []).append(item)
    wanted = [i for group in items.values() for i in group]
    found = _by_catalogue_link(session, [i.catalog_uuid for i in wanted], [i.barcode for i in wanted if i.barcode])
    for promotion in central:
        if promotion.target == "producer":
            ids = _products_of_producer(session, promotion.target_value)
            out[promotion.id] = tuple((pid, 1) for pid in ids)  # type: ignore[index]
            continue
        pairs: list[tuple[int, int]] = []
        for item in items.get(promotion.id, []):  # type: ignore[arg-type]
            ids = found.get(item.catalog_uuid) or found.get(item.barcode or "") or []
            if promotion.kind == "combo":
                ids = ids[:1]  # one product here per item of the set
            pairs.extend((pid, item.qty) for pid in ids)
        out[promotion.id] = tuple(pairs)  # type: ignore[index]
    return out


def _by_catalogue_link(session: Session, uuids: Sequence[UUID], barcodes: Sequence[str]) -> dict[Any, list[int]]:
    """{catalogue UUID or barcode: this showroom's product ids}; a barcode counts only for a product not linked."""
    if not uuids:
        return {}
    found: dict[Any, list[int]] = {}
    conditions = [Product.central_uuid.in_(uuids), Product.uuid.in_(uuids)]  # type: ignore[union-attr,attr-defined]
    if barcodes:
        conditions.append(Product.barcode.in_(barcodes) & Product.central_uuid.is_(None))  # type: ignore[union-attr]
    for product in session.exec(select(Product).where(or_(*conditions)).order_by(Product.id)):  # type: ignore[arg-type]
        keys = {product.central_uuid, product.uuid} & set(uuids)
        if not keys and product.barcode:
            keys = {product.barcode}
        for key in keys:
            if product.id not in found.setdefault(key, []):
                found[key].append(product.id)  # type: ignore[arg-type]
    return found


def _products_of_producer(session: Session, producer_uuid: str) -> list[int]:
    """This showroom's products of a catalogue producer: its own rows, and those linked to its catalogue products."""
    try:
        uuid = UUID(producer_uuid)
    except ValueError:
        return []
    makers = [p.id for p in session.exec(select(Producer).where(Producer.uuid == uuid))]
    if not makers:
        return []
    theirs = list(session.exec(select(Product).where(Product.producer_id.in_(makers))))  # type: ignore[attr-defined]
    catalogue = [p.uuid for p in theirs]
    linked = session.exec(select(Product.id).where(Product.central_uuid.in_(catalogue))).all() if catalogue else []  # type: ignore[union-attr]
    return sorted({p.id for p in theirs} | set(linked))  # type: ignore[arg-type]


def as_input(session: Session, promotion: Promotion, tz_name: str) -> PromotionInput:
    """A central promotion as the manager's form shows it (read-only): this showroom's codes for its products
    (the catalogue's barcode for one not carried here), its producer as this showroom knows it."""
    value = promotion.target_value
    if promotion.target == "producer":
        with contextlib.suppress(ValueError):
            maker = session.exec(select(Producer).where(Producer.uuid == UUID(value))).first()
            value = str(maker.id) if maker else ""
    here = {pid for pairs in local_products(session, [promotion]).values() for pid, _ in pairs}
    products = {p.central_uuid or p.uuid: p for p in session.exec(select(Product).where(Product.id.in_(here)))}  # type: ignore[union-attr]
    items = []
    for item in session.exec(
        select(CentralPromotionItem)
        .where(CentralPromotionItem.promotion_id == promotion.id)
        .order_by(CentralPromotionItem.id)  # type: ignore[arg-type]
    ):
        product = products.get(item.catalog_uuid)
        items.append((product.barcode or product.sku if product else item.barcode or str(item.catalog_uuid), item.qty))
    return PromotionInput(
        name=promotion.name,
        kind=promotion.kind,
        target=promotion.target,
        target_value=value,
        percent=percent_text(promotion.percent_bp),
        price_vnd=str(promotion.price_vnd or ""),
        buy_qty=str(promotion.buy_qty or ""),
        get_qty=str(promotion.get_qty or ""),
        starts=format_local(promotion.starts_at, tz_name),
        ends=format_local(promotion.ends_at, tz_name),
        borne_by=promotion.borne_by,
        items=items,
        is_active=promotion.is_active,
    )
