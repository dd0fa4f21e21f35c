"""Promotions set at the central office for every showroom or a chosen list, and what each showroom pulls of them.

The terms are the showroom's own (pos/promotions/terms.py: the same kinds, checks and period to the minute in
local time); what they name is the central catalogue's (catalogue products by SKU or barcode, a catalogue
producer). Every change takes the next catalogue revision, so it reaches the showrooms with the catalogue pull
(pos/central/catalog.py ``changes_since``), paged like the rest; ending is final (a new promotion replaces it).
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import func, or_
from sqlmodel import Session, select

from pos.catalog.services import FieldErrors
from pos.central import catalog  # the catalogue's revision orders promotions too
from pos.central.models import (
    CatalogProducer,
    CatalogProduct,
    CentralPromotion,
    CentralPromotionItem,
    CentralPromotionShowroom,
    Showroom,
)
from pos.central.office_log import log_action
from pos.db import utcnow
from pos.errors import Conflict, NotFound
from pos.promotions import terms
from pos.promotions.terms import PromotionInput
from pos.sync import contract
from pos.text import nfc


@dataclass
class CentralPromotionInput(PromotionInput):
    """A central promotion as typed in the office's form: the terms, and the showrooms it is for."""

    for_all: bool = True
    showroom_codes: list[str] = field(default_factory=list)


def _catalog_product(session: Session, code: str) -> CatalogProduct | None:
    text = nfc(code)
    return session.exec(
        select(CatalogProduct).where(or_(CatalogProduct.sku == text, CatalogProduct.barcode == text))
    ).first()


def save_promotion(
    session: Session, data: CentralPromotionInput, *, tz_name: str, actor: str, promotion_id: int | None = None
) -> CentralPromotion:
    """Create or edit a central promotion; every field checked at once; in the office log.

    The chosen showrooms pull it at their next sync; a showroom taken off the list pulls it withdrawn.
    """
    promotion = None
    if promotion_id is not None:
        promotion = session.get(CentralPromotion, promotion_id)
        if promotion is None:
            raise NotFound("Không tìm thấy chương trình khuyến mãi.", "promotion_id")
        if promotion.ended_at is not None:
            raise Conflict("Chương trình đã kết thúc, không sửa được nữa; hãy tạo chương trình mới.", "promotion_id")
    errors = FieldErrors()
    fields = terms.check_terms(errors, data, tz_name)
    if fields["target"] == "producer":
        producer = None
        with contextlib.suppress(ValueError):  # not a UUID: no such producer
            producer = session.exec(
                select(CatalogProducer).where(CatalogProducer.uuid == UUID(fields["target_value"]))
            ).first()
        if producer is None:
            errors.add("target_value", "Chưa chọn nhà sản xuất trong danh mục chung.")
        else:
            fields["target_value"] = str(producer.uuid)
    items: list[tuple[CatalogProduct, int]] = []
    if fields["target"] == "product":
        items = terms.collect_items(
            errors,
            data,
            fields["kind"],
            lambda code: _catalog_product(session, code),
            "Danh mục chung không có sản phẩm mã hoặc mã vạch “{code}”.",
        )
    terms.check_items(errors, fields, [(p.suggested_price_vnd, q) for p, q in items])
    codes = sorted({nfc(c).upper() for c in data.showroom_codes if nfc(c)})
    chosen = list(session.exec(select(Showroom).where(func.upper(Showroom.code).in_(codes)))) if codes else []
    unknown = set(codes) - {s.code.upper() for s in chosen}
    if unknown:
        errors.add("showrooms", f"Không có cửa hàng mã {', '.join(sorted(unknown))}.")
    elif not data.for_all and not chosen:
        errors.add("showrooms", "Chọn ít nhất một cửa hàng, hoặc chọn “Mọi cửa hàng”.")
    errors.raise_if_any()

    if promotion is None:
        promotion = CentralPromotion(starts_at=fields["starts_at"], ends_at=fields["ends_at"], created_by=actor[:60])
    for key, value in fields.items():
        setattr(promotion, key, value)
    promotion.all_showrooms = bool(data.for_all)
    promotion.ever_all = promotion.ever_all or promotion.all_showrooms
    promotion.revision = catalog.bump_revision(session)
    promotion.updated_at = utcnow()
    session.add(promotion)
    session.flush()
    _set_items(session, promotion, items)
    _set_showrooms(session, promotion, [] if data.for_all else chosen)
    log_action(
        session,
        actor,
        "promotion.save",
        "central_promotion",
        promotion.uuid,
        name=promotion.name,
        terms=terms.describe(promotion),
        starts_at=promotion.starts_at.isoformat(),
        ends_at=promotion.ends_at.isoformat(),
        borne_by=promotion.borne_by,
        showrooms="*" if promotion.all_showrooms else [s.code for s in chosen],
        items=[{"sku": p.sku, "qty": q} for p, q in items],
    )
    return promotion


def _set_items(session: Session, promotion: CentralPromotion, items: Sequence[tuple[CatalogProduct, int]]) -> None:
    for old in session.exec(select(CentralPromotionItem).where(CentralPromotionItem.promotion_id == promotion.id)):
        session.delete(old)
    session.flush()
    session.add_all(
        CentralPromotionItem(promotion_id=promotion.id, catalog_product_id=p.id, qty=q)  # type: ignore[arg-type]
        for p, q in items
    )


def _set_showrooms(session: Session, promotion: CentralPromotion, chosen: Sequence[Showroom]) -> None:
    """Mark the chosen showrooms; one taken off the list keeps its row (not chosen) so it hears of the change."""
    rows = {
        r.showroom_id: r
        for r in session.exec(
            select(CentralPromotionShowroom).where(CentralPromotionShowroom.promotion_id == promotion.id)
        )
    }
    wanted = {s.id for s in chosen}
    for showroom_id in wanted - rows.keys():
        session.add(CentralPromotionShowroom(promotion_id=promotion.id, showroom_id=showroom_id))  # type: ignore[arg-type]
    for showroom_id, row in rows.items():
        row.is_chosen = showroom_id in wanted
        session.add(row)
    session.flush()


def end_promotion(session: Session, promotion_id: int, *, actor: str) -> CentralPromotion:
    """End a promotion now, for every showroom that has it (they stop at their next pull); in the office log."""
    promotion = session.get(CentralPromotion, promotion_id)
    if promotion is None:
        raise NotFound("Không tìm thấy chương trình khuyến mãi.", "promotion_id")
    if promotion.ended_at is not None:
        raise Conflict("Chương trình này đã kết thúc.", "promotion_id")
    promotion.ended_at = utcnow()
    promotion.ended_by = actor[:60]
    promotion.revision = catalog.bump_revision(session)
    promotion.updated_at = promotion.ended_at
    session.add(promotion)
    session.flush()
    log_action(session, actor, "promotion.end", "central_promotion", promotion.uuid, name=promotion.name)
    return promotion


# --- Reading them back ------------------------------------------------------------------------------------------


def status(promotion: CentralPromotion, now: datetime) -> str:
    """'ended', 'upcoming', 'running' or 'over' (its period has passed)."""
    if promotion.ended_at is not None:
        return "ended"
    if now < promotion.starts_at:
        return "upcoming"
    return "running" if now < promotion.ends_at + terms.MINUTE else "over"


STATUSES = {
    "running": "Đang áp dụng",
    "upcoming": "Chưa bắt đầu",
    "over": "Đã hết hạn",
    "ended": "Đã kết thúc",
}


@dataclass(frozen=True)
class PromotionRow:
    """A central promotion as the office's list shows it; ``waiting``: showrooms that have not pulled its latest
    change yet (an edit or an end reaches them at their next sync)."""

    promotion: CentralPromotion
    what: str
    showrooms: str
    status: str
    waiting: tuple[str, ...] = ()


def list_promotions(session: Session, now: datetime) -> list[PromotionRow]:
    """Every central promotion, latest start first, with its showrooms' codes, its status now, and who has yet to
    pull its latest change (by the catalogue revision of each showroom's last complete pull)."""
    promotions = list(
        session.exec(
            select(CentralPromotion).order_by(CentralPromotion.starts_at.desc(), CentralPromotion.id.desc())  # type: ignore[attr-defined]
        )
    )
    shops = {s.id: s for s in session.exec(select(Showroom).where(Showroom.is_active).order_by(Showroom.code))}  # type: ignore[arg-type]
    chosen: dict[int, list[str]] = {}
    heard: dict[int, list[Showroom]] = {}
    for promotion_id, showroom_id, is_chosen in session.exec(
        select(
            CentralPromotionShowroom.promotion_id,
            CentralPromotionShowroom.showroom_id,
            CentralPromotionShowroom.is_chosen,
        )
    ):
        shop = shops.get(showroom_id)
        if shop is None:
            continue
        heard.setdefault(promotion_id, []).append(shop)
        if is_chosen:
            chosen.setdefault(promotion_id, []).append(shop.code)
    rows = []
    for p in promotions:
        concerned = list(shops.values()) if p.ever_all or p.all_showrooms else heard.get(p.id, [])  # type: ignore[arg-type]
        waiting = tuple(sorted(s.code for s in concerned if s.catalog_sent_revision < p.revision))
        codes = "Mọi cửa hàng" if p.all_showrooms else ", ".join(sorted(chosen.get(p.id, [])))  # type: ignore[arg-type]
        rows.append(PromotionRow(p, terms.describe(p), codes, status(p, now), waiting))
    return rows


def get_promotion(
    session: Session, promotion_id: int
) -> tuple[CentralPromotion, list[tuple[CatalogProduct, int]], list[str]]:
    """A central promotion, its catalogue products and the codes of its chosen showrooms; NotFound otherwise."""
    promotion = session.get(CentralPromotion, promotion_id)
    if promotion is None:
        raise NotFound("Không tìm thấy chương trình khuyến mãi.", "promotion_id")
    items = session.exec(
        select(CatalogProduct, CentralPromotionItem.qty)
        .join(CentralPromotionItem, CentralPromotionItem.catalog_product_id == CatalogProduct.id)  # type: ignore[arg-type]
        .where(CentralPromotionItem.promotion_id == promotion.id)
        .order_by(CentralPromotionItem.id)  # type: ignore[arg-type]
    ).all()
    codes = session.exec(
        select(Showroom.code)
        .join(CentralPromotionShowroom, CentralPromotionShowroom.showroom_id == Showroom.id)  # type: ignore[arg-type]
        .where(CentralPromotionShowroom.promotion_id == promotion.id, CentralPromotionShowroom.is_chosen)  # type: ignore[arg-type]
        .order_by(Showroom.code)
    ).all()
    return promotion, [(p, int(q)) for p, q in items], list(codes)


# --- What a showroom pulls ----------------------------------------------------------------------------------------


def pull_query(showroom_id: int | None) -> Any:
    """The promotions a showroom hears of: those for every showroom (or once so), and those it is or was on the
    list of; with each row its revision and id (the catalogue pull pages by them)."""
    heard = CentralPromotion.ever_all | CentralPromotion.all_showrooms
    if showroom_id is not None:
        on_list = (
            select(CentralPromotionShowroom.promotion_id)
            .where(
                CentralPromotionShowroom.promotion_id == CentralPromotion.id,
                CentralPromotionShowroom.showroom_id == showroom_id,
            )
            .exists()
        )
        heard = heard | on_list
    return select(CentralPromotion, CentralPromotion.revision, CentralPromotion.id).where(heard)


def pulled(session: Session, showroom_id: int | None, promotions: Sequence[CentralPromotion]) -> list[Any]:
    """The page's promotions as this showroom receives them (contract.CentralPromotionOut, as JSON values)."""
    if not promotions:
        return []
    ids = [p.id for p in promotions]
    items: dict[int, list[contract.PromotionItemOut]] = {}
    for promotion_id, uuid, barcode, qty in session.exec(
        select(CentralPromotionItem.promotion_id, CatalogProduct.uuid, CatalogProduct.barcode, CentralPromotionItem.qty)
        .join(CatalogProduct, CatalogProduct.id == CentralPromotionItem.catalog_product_id)  # type: ignore[arg-type]
        .where(CentralPromotionItem.promotion_id.in_(ids))  # type: ignore[attr-defined]
        .order_by(CentralPromotionItem.id)  # type: ignore[arg-type]
    ):
        item = contract.PromotionItemOut(catalog_uuid=uuid, qty=qty, barcode=barcode)
        items.setdefault(promotion_id, []).append(item)
    chosen: set[int] = set()
    if showroom_id is not None:
        chosen = set(
            session.exec(
                select(CentralPromotionShowroom.promotion_id).where(
                    CentralPromotionShowroom.promotion_id.in_(ids),  # type: ignore[attr-defined]
                    CentralPromotionShowroom.showroom_id == showroom_id,
                    CentralPromotionShowroom.is_chosen,  # type: ignore[arg-type]
                )
            )
        )
    out = [
        contract.CentralPromotionOut(
            uuid=p.uuid,
            name=p.name,
            kind=p.kind,  # type: ignore[arg-type]
            target=p.target,  # type: ignore[arg-type]
            target_value=p.target_value,
            percent_bp=p.percent_bp,
            price_vnd=p.price_vnd,
            buy_qty=p.buy_qty,
            get_qty=p.get_qty,
            starts_at=p.starts_at,
            ends_at=p.ends_at,
            borne_by=p.borne_by,  # type: ignore[arg-type]
            is_active=p.ended_at is None and (p.all_showrooms or p.id in chosen),
            revision=p.revision,
            items=items.get(p.id, []),  # type: ignore[arg-type]
        )
        for p in promotions
    ]
    return contract.to_json_values(out)
