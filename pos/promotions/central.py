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

from sqlalchemy import delete, insert, or_
from sqlmodel import Session, select

from pos.audit import log as audit
from pos.catalog.models import Producer, Product
from pos.promotions.models import CentralPromotionItem, Promotion
from pos.promotions.terms import PromotionInput, format_local, percent_text
from pos.sync.contract import CentralPromotionOut

FIELDS = ("name", "kind", "target", "target_value", "percent_bp", "price_vnd", "buy_qty", "get_qty")
FIELDS += ("starts_at", "ends_at", "borne_by", "is_active")


def apply_pulled(session: Session, rows: Sequence[CentralPromotionOut]) -> int:
    """Insert or update each pulled promotion by its central UUID, its items replaced; how many changed.

    A page at a time: what it holds is read in two queries and written in a few statements (a page re-applied
    after a cut-off pull changes nothing).
    """
    if not rows:
        return 0
    uuids = [row.uuid for row in rows]
    held = {p.central_uuid: p for p in session.exec(select(Promotion).where(Promotion.central_uuid.in_(uuids)))}  # type: ignore[union-attr]
    held_items: dict[int, list[tuple[UUID, str | None, int]]] = {}
    if held:
        for promotion_id, uuid, barcode, qty in session.exec(
            select(
                CentralPromotionItem.promotion_id,
                CentralPromotionItem.catalog_uuid,
                CentralPromotionItem.barcode,
                CentralPromotionItem.qty,
            )
            .where(CentralPromotionItem.promotion_id.in_([p.id for p in held.values()]))  # type: ignore[attr-defined]
            .order_by(CentralPromotionItem.id)  # type: ignore[arg-type]
        ):
            held_items.setdefault(promotion_id, []).append((uuid, barcode, qty))
    changed: list[tuple[Promotion, dict[str, Any], list[tuple[UUID, str | None, int]]]] = []
    for row in rows:
        values: dict[str, Any] = {key: getattr(row, key) for key in FIELDS}
        items = [(i.catalog_uuid, i.barcode, i.qty) for i in row.items]
        promotion = held.get(row.uuid)
        if promotion is None:
            promotion = Promotion(central_uuid=row.uuid, showrooms="", **values)
            held[row.uuid] = promotion
        elif held_items.get(promotion.id, []) == items and all(  # type: ignore[arg-type]
            getattr(promotion, k) == v for k, v in values.items()
        ):
            continue
        for key, value in values.items():
            setattr(promotion, key, value)
        session.add(promotion)
        changed.append((promotion, values, items))
    if not changed:
        return 0
    session.flush()
    ids = [p.id for p, _, _ in changed]
    session.execute(delete(CentralPromotionItem).where(CentralPromotionItem.promotion_id.in_(ids)))  # type: ignore[attr-defined]
    new_items = [
        {"promotion_id": p.id, "catalog_uuid": u, "barcode": b, "qty": q}
        for p, _, items in changed
        for u, b, q in items
    ]
    if new_items:
        session.execute(insert(CentralPromotionItem), new_items)
    audit.record_many(
        session,
        [
            audit.entry(
                "promotion.central",
                user_id=None,  # the central office's, pulled
                entity="promotion",
                entity_id=p.id,
                after={**values, "central_uuid": str(p.central_uuid), "items": [[str(u), b, q] for u, b, q in items]},
            )
            for p, values, items in changed
        ],
    )
    return len(changed)


def local_products(
    session: Session, promotions: Sequence[Promotion], among: Sequence[Product] | None = None
) -> dict[int, tuple[tuple[int, int], ...]]:
    """{central promotion id: its (product id, qty) here}: the products it names, found by catalogue link (or by
    barcode where none is linked), and for a producer target every product of that catalogue producer.

    ``among``: only these products (a cart's: the till resolves nothing it does not hold); None: the whole shop.
    """
    central = [p for p in promotions if p.central_uuid is not None]
    if not central:
        return {}
    out: dict[int, tuple[tuple[int, int], ...]] = {}
    items: dict[int, list[tuple[UUID, str | None, int]]] = {}  # columns, not rows: the till asks at every scan
    for promotion_id, catalog_uuid, barcode, qty in session.exec(
        select(
            CentralPromotionItem.promotion_id,
            CentralPromotionItem.catalog_uuid,
            CentralPromotionItem.barcode,
            CentralPromotionItem.qty,
        )
        .where(CentralPromotionItem.promotion_id.in_([p.id for p in central]))  # type: ignore[attr-defined]
        .order_by(CentralPromotionItem.id)  # type: ignore[arg-type]
    ):
        items.setdefault(promotion_id, []).append((catalog_uuid, barcode, qty))
    wanted = [i for group in items.values() for i in group]
    uuids = {u for u, _, _ in wanted}
    barcodes = {b for _, b, _ in wanted if b}
    candidates = list(among) if among is not None else _candidates(session, uuids, barcodes)
    found = _by_catalogue_link(candidates, uuids, barcodes)
    for promotion in central:
        if promotion.target == "producer":
            ids = _products_of_producer(session, promotion.target_value, among)
            out[promotion.id] = tuple((pid, 1) for pid in ids)  # type: ignore[index]
            continue
        pairs: list[tuple[int, int]] = []
        for catalog_uuid, barcode, qty in items.get(promotion.id, []):  # type: ignore[arg-type]
            ids = found.get(catalog_uuid) or found.get(barcode or "") or []
            if promotion.kind == "combo":
                ids = ids[:1]  # one product here per item of the set
            pairs.extend((pid, qty) for pid in ids)
        out[promotion.id] = tuple(pairs)  # type: ignore[index]
    return out


def _candidates(session: Session, uuids: set[UUID], barcodes: set[str]) -> list[Product]:
    """The shop's products that may carry one of these catalogue UUIDs or barcodes."""
    if not uuids:
        return []
    conditions = [Product.central_uuid.in_(uuids), Product.uuid.in_(uuids)]  # type: ignore[union-attr,attr-defined]
    if barcodes:
        conditions.append(Product.barcode.in_(barcodes) & Product.central_uuid.is_(None))  # type: ignore[union-attr]
    return list(session.exec(select(Product).where(or_(*conditions)).order_by(Product.id)))  # type: ignore[arg-type]


def _by_catalogue_link(products: Sequence[Product], uuids: set[UUID], barcodes: set[str]) -> dict[Any, list[int]]:
    """{catalogue UUID or barcode: product ids}; a barcode counts only for a product not linked to the catalogue."""
    found: dict[Any, list[int]] = {}
    for product in sorted(products, key=lambda p: p.id or 0):
        keys: set[Any] = {k for k in (product.central_uuid, product.uuid) if k in uuids}
        if not keys and product.central_uuid is None and product.barcode in barcodes:
            keys = {product.barcode}
        for key in keys:
            if product.id not in found.setdefault(key, []):
                found[key].append(product.id)  # type: ignore[arg-type]
    return found


def _products_of_producer(session: Session, producer_uuid: str, among: Sequence[Product] | None) -> list[int]:
    """This showroom's products of a catalogue producer: its own rows, and those linked to its catalogue products
    (of ``among`` only, when given)."""
    try:
        uuid = UUID(producer_uuid)
    except ValueError:
        return []
    makers = set(session.exec(select(Producer.id).where(Producer.uuid == uuid)).all())
    if not makers:
        return []
    if among is not None:
        links = {p.central_uuid for p in among if p.central_uuid is not None and p.producer_id not in makers}
        theirs = set(
            session.exec(
                select(Product.uuid).where(Product.uuid.in_(links), Product.producer_id.in_(makers))  # type: ignore[attr-defined]
            ).all()
            if links
            else []
        )
        return sorted({p.id for p in among if p.producer_id in makers or p.central_uuid in theirs})  # type: ignore[misc]
    own = list(session.exec(select(Product.id, Product.uuid).where(Product.producer_id.in_(makers))))  # type: ignore[attr-defined]
    catalogue = [u for _, u in own]
    linked = session.exec(select(Product.id).where(Product.central_uuid.in_(catalogue))).all() if catalogue else []  # type: ignore[union-attr]
    return sorted({i for i, _ in own} | set(linked))


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
