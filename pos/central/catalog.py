"""The shared catalogue kept by the central office, its links to showroom products, and what showrooms pull.

Every change bumps the catalogue's revision (``catalog_state``, one row: writers queue on it, so revisions
commit in order) and stamps the changed row with it; a showroom asks for ``since`` its last revision and
gets every producer, product and link changed after it. A product keeps one UUID everywhere: a showroom
that pulls a catalogue product stores it under the catalogue's UUID, and ``promote_product`` puts a
showroom's own product into the catalogue under the UUID it already has.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import func, or_, text, tuple_, update
from sqlmodel import Session, select

from pos.barcodes import BarcodeError, is_instore, normalize_barcode
from pos.catalog.models import PRODUCER_KINDS, PRODUCT_GROUPS, VAT_CLASSES
from pos.central import promotions as central_promotions
from pos.central.models import (
    CatalogProducer,
    CatalogProduct,
    CentralPromotion,
    Producer,
    Product,
    Showroom,
    ShowroomProduct,
)
from pos.central.office_log import log_action
from pos.db import utcnow
from pos.errors import Conflict, NotFound, ValidationError
from pos.quantity import is_weighed
from pos.text import fold, nfc

MAX_PRICE_VND = 1_000_000_000


def bump_revision(session: Session) -> int:
    """The next catalogue revision; holds the catalogue's row lock until the caller commits."""
    return int(
        session.execute(
            text(
                "INSERT INTO catalog_state (id, revision) VALUES (1, 1) "
                "ON CONFLICT (id) DO UPDATE SET revision = catalog_state.revision + 1 RETURNING revision"
            )
        ).scalar_one()
    )


def current_revision(session: Session) -> int:
    """The latest committed catalogue revision (0 for an empty catalogue)."""
    return int(session.execute(text("SELECT coalesce(max(revision), 0) FROM catalog_state")).scalar_one())


# --- Producers and products of the catalogue ------------------------------------------------------------------


@dataclass
class CatalogProducerInput:
    """A catalogue producer as typed on the form."""

    name: str
    province: str
    kind: str = "htx"
    district: str = ""
    address: str = ""
    phone: str = ""
    tax_code: str = ""


@dataclass
class CatalogProductInput:
    """A catalogue product as typed on the form (price already parsed to đồng)."""

    producer_id: int
    sku: str
    name: str
    suggested_price_vnd: int
    barcode: str = ""
    unit: str = "cái"
    vat_class: str = "standard"
    ocop_group: str = "thuc_pham"
    ocop_stars: int | None = None
    ocop_cert_number: str = ""
    ocop_cert_expiry: date | None = None
    is_food: bool | None = None


def create_catalog_producer(
    session: Session, data: CatalogProducerInput, actor: str = "", uuid: UUID | None = None
) -> CatalogProducer:
    """Add a producer to the catalogue (under ``uuid`` when it already has one in a showroom)."""
    name, province = nfc(data.name), nfc(data.province)
    if not name or len(name) > 200:
        raise ValidationError("Nhập tên nhà sản xuất (tối đa 200 ký tự).", "name")
    if not province or len(province) > 80:
        raise ValidationError("Nhập tỉnh/thành phố của nhà sản xuất.", "province")
    if data.kind not in PRODUCER_KINDS:
        raise ValidationError("Loại chủ thể OCOP không hợp lệ.", "kind")
    producer = CatalogProducer(
        name=name,
        name_search=fold(name)[:200],
        province=province,
        kind=data.kind,
        district=nfc(data.district)[:80],
        address=nfc(data.address)[:250],
        phone=nfc(data.phone)[:30],
        tax_code=nfc(data.tax_code)[:20] or None,
        revision=bump_revision(session),
    )
    if uuid is not None:
        producer.uuid = uuid
    session.add(producer)
    session.flush()
    log_action(session, actor, "catalog.producer.create", "catalog_producer", producer.uuid, name=name)
    return producer


def _clean_product(session: Session, data: CatalogProductInput, exclude_id: int | None) -> dict[str, Any]:
    name, sku = nfc(data.name), nfc(data.sku)
    if not name or len(name) > 200:
        raise ValidationError("Nhập tên sản phẩm (tối đa 200 ký tự).", "name")
    if not sku or len(sku) > 40:
        raise ValidationError("Nhập mã sản phẩm trong danh mục (tối đa 40 ký tự).", "sku")
    if session.get(CatalogProducer, data.producer_id) is None:
        raise ValidationError("Chọn nhà sản xuất trong danh mục chung.", "producer_id")
    if not 0 <= data.suggested_price_vnd <= MAX_PRICE_VND:
        raise ValidationError("Giá bán đề xuất không hợp lệ.", "suggested_price_vnd")
    if data.ocop_group not in PRODUCT_GROUPS:
        raise ValidationError("Nhóm sản phẩm không hợp lệ.", "ocop_group")
    if data.vat_class not in VAT_CLASSES:
        raise ValidationError("Loại thuế GTGT không hợp lệ.", "vat_class")
    if data.ocop_stars is not None and not 1 <= data.ocop_stars <= 5:
        raise ValidationError("Hạng sao OCOP từ 1 đến 5.", "ocop_stars")
    barcode = None
    if nfc(data.barcode):
        try:
            barcode = normalize_barcode(nfc(data.barcode))
        except BarcodeError as exc:
            raise ValidationError(str(exc), "barcode") from exc
    same_sku = select(CatalogProduct).where(CatalogProduct.sku == sku)
    if exclude_id is not None:
        same_sku = same_sku.where(CatalogProduct.id != exclude_id)
    if session.exec(same_sku).first():
        raise Conflict(f"Mã “{sku}” đã có trong danh mục chung.", "sku")
    if barcode:
        same_code = select(CatalogProduct).where(CatalogProduct.barcode == barcode)
        if exclude_id is not None:
            same_code = same_code.where(CatalogProduct.id != exclude_id)
        other = session.exec(same_code).first()
        if other:
            raise Conflict(f"Mã vạch {barcode} đã thuộc sản phẩm “{other.name}”.", "barcode")
    return {
        "producer_id": data.producer_id,
        "sku": sku,
        "barcode": barcode,
        "name": name,
        "name_search": fold(name)[:200],
        "unit": nfc(data.unit)[:20] or "cái",
        "vat_class": data.vat_class,
        "ocop_group": data.ocop_group,
        "ocop_stars": data.ocop_stars,
        "ocop_cert_number": nfc(data.ocop_cert_number)[:60],
        "ocop_cert_expiry": data.ocop_cert_expiry,
        "suggested_price_vnd": data.suggested_price_vnd,
        "is_food": data.is_food
        if data.is_food is not None
        else data.ocop_group in ("thuc_pham", "do_uong", "thao_duoc"),
    }


def create_catalog_product(
    session: Session, data: CatalogProductInput, actor: str = "", uuid: UUID | None = None
) -> CatalogProduct:
    """Add a product to the shared catalogue."""
    product = CatalogProduct(**_clean_product(session, data, None), revision=bump_revision(session))
    if uuid is not None:
        product.uuid = uuid
    session.add(product)
    session.flush()
    log_action(session, actor, "catalog.product.create", "catalog_product", product.uuid, name=product.name)
    return product


def update_catalog_product(
    session: Session, product_id: int, data: CatalogProductInput, actor: str = ""
) -> CatalogProduct:
    """Edit a catalogue product; showrooms get the change on their next pull (their own prices stay)."""
    product = session.get(CatalogProduct, product_id)
    if product is None:
        raise NotFound("Không tìm thấy sản phẩm trong danh mục chung.")
    for key, value in _clean_product(session, data, product_id).items():
        setattr(product, key, value)
    product.revision = bump_revision(session)
    product.updated_at = utcnow()
    session.add(product)
    session.flush()
    log_action(session, actor, "catalog.product.update", "catalog_product", product.uuid, name=product.name)
    return product


def list_catalog_products(session: Session, query: str = "", limit: int = 500) -> list[tuple[CatalogProduct, str]]:
    """Catalogue products with their producer's name, by name; ``query`` matches name, SKU or barcode."""
    stmt = select(CatalogProduct, CatalogProducer.name).join(
        CatalogProducer,
        CatalogProducer.id == CatalogProduct.producer_id,  # type: ignore[arg-type]
    )
    if query:
        like = f"%{fold(query)}%"
        stmt = stmt.where(
            or_(
                CatalogProduct.name_search.like(like),  # type: ignore[attr-defined]
                CatalogProduct.sku == nfc(query),
                CatalogProduct.barcode == nfc(query),
            )
        )
    return list(session.exec(stmt.order_by(CatalogProduct.name_search).limit(limit)).all())  # type: ignore[arg-type]


def list_catalog_producers(session: Session) -> list[CatalogProducer]:
    """Every catalogue producer, by name."""
    return list(session.exec(select(CatalogProducer).order_by(CatalogProducer.name_search)))


# --- Links between showroom products and the catalogue -----------------------------------------------------------


def link_product(session: Session, product_uuid: UUID, catalog_uuid: UUID | None, actor: str = "") -> Product:
    """Say that a showroom's product is (or, with None, is no longer) this catalogue product.

    Reports then add its sales to the catalogue product's, across showrooms; the showroom learns the link
    on its next pull (Product.central_uuid).
    """
    rows = session.exec(select(Product).where(Product.uuid == product_uuid).order_by(Product.id)).all()  # type: ignore[arg-type]
    if not rows:
        raise NotFound("Không tìm thấy sản phẩm của cửa hàng.", "product_uuid")
    target = None
    if catalog_uuid is not None:
        target = session.exec(select(CatalogProduct).where(CatalogProduct.uuid == catalog_uuid)).first()
        if target is None:
            raise NotFound("Không tìm thấy sản phẩm trong danh mục chung.", "catalog_uuid")
    revision = bump_revision(session)
    for product in rows:  # each showroom keeps its own row of the product
        product.catalog_product_id = target.id if target else None
        product.link_revision = revision
        session.add(product)
    session.flush()
    product = rows[0]
    log_action(
        session,
        actor,
        "catalog.link" if target else "catalog.unlink",
        "product",
        product.uuid,
        catalog_uuid=str(catalog_uuid) if catalog_uuid else None,
        name=product.name,
    )
    return product


def promote_product(session: Session, product_uuid: UUID, suggested_price_vnd: int, actor: str = "") -> CatalogProduct:
    """Put a showroom's own product into the catalogue under the UUID it already has (its producer too)."""
    product = session.exec(select(Product).where(Product.uuid == product_uuid)).first()
    if product is None:
        raise NotFound("Không tìm thấy sản phẩm của cửa hàng.", "product_uuid")
    if product.is_stub or product.producer_id is None:
        raise Conflict("Cửa hàng chưa gửi đủ thông tin sản phẩm này; chưa thể đưa vào danh mục chung.")
    if session.exec(select(CatalogProduct).where(CatalogProduct.uuid == product.uuid)).first():
        raise Conflict("Sản phẩm này đã có trong danh mục chung.")
    producer = session.get(Producer, product.producer_id)
    assert producer is not None
    catalog_producer = session.exec(select(CatalogProducer).where(CatalogProducer.uuid == producer.uuid)).first()
    if catalog_producer is None:
        catalog_producer = create_catalog_producer(
            session,
            CatalogProducerInput(
                name=producer.name,
                province=producer.province or "Chưa rõ",
                kind=producer.kind if producer.kind in PRODUCER_KINDS else "htx",
                district=producer.district,
                phone=producer.phone,
                tax_code=producer.tax_code or "",
            ),
            actor,
            uuid=producer.uuid,
        )
        producer.catalog_producer_id = catalog_producer.id
        session.add(producer)
    sku = product.sku or f"OCOP-{str(product.uuid)[:8].upper()}"
    if session.exec(select(CatalogProduct).where(CatalogProduct.sku == sku)).first():
        sku = f"OCOP-{str(product.uuid)[:8].upper()}"
    barcode = product.barcode
    if barcode and session.exec(select(CatalogProduct).where(CatalogProduct.barcode == barcode)).first():
        raise Conflict(
            f"Mã vạch {barcode} đã thuộc một sản phẩm khác của danh mục chung; hãy liên kết thay vì thêm mới."
        )
    entry = create_catalog_product(
        session,
        CatalogProductInput(
            producer_id=catalog_producer.id,  # type: ignore[arg-type]
            sku=sku,
            name=product.name,
            suggested_price_vnd=suggested_price_vnd,
            barcode="" if barcode and is_instore(barcode) else (barcode or ""),  # in-store codes stay local
            unit=product.unit or "cái",
            vat_class=product.vat_class if product.vat_class in VAT_CLASSES else "standard",
            ocop_group=product.ocop_group if product.ocop_group in PRODUCT_GROUPS else "thuc_pham",
            ocop_stars=product.ocop_stars,
            ocop_cert_number=product.ocop_cert_number,
            ocop_cert_expiry=product.ocop_cert_expiry,
        ),
        actor,
        uuid=product.uuid,
    )
    product.catalog_product_id = entry.id
    product.link_revision = entry.revision
    session.add(product)
    session.flush()
    return entry


@dataclass(frozen=True)
class UnlinkedProduct:
    """A product showrooms sell that is not linked to the catalogue, with a likely match if any."""

    uuid: UUID
    name: str
    sku: str
    barcode: str | None
    producer_name: str
    showrooms: str
    suggestion: CatalogProduct | None
    price_vnd: int  # the highest selling price among the showrooms, offered as the suggested price
    is_weighed: bool = False  # sold by weight: its price is per kg
    name_en: str = ""  # the story its showroom tells (product record version 2)
    origin: str = ""  # 'Xã …, huyện …, tỉnh …', the parts given
    trace_url: str = ""


def unlinked_products(session: Session, query: str = "", limit: int = 100) -> list[UnlinkedProduct]:
    """Products reported by showrooms without a catalogue link (those with a same-barcode catalogue product
    first, as a suggestion); ``query`` matches the name, SKU or barcode."""
    by_barcode_first = select(CatalogProduct.id).where(CatalogProduct.barcode == Product.barcode).exists()
    stmt = (
        select(Product, Producer.name)
        .join(Producer, Producer.id == Product.producer_id, isouter=True)  # type: ignore[arg-type]
        .where(Product.catalog_product_id.is_(None))  # type: ignore[union-attr]
    )
    if query:
        stmt = stmt.where(
            or_(
                func.lower(Product.name).contains(nfc(query).lower()),
                Product.sku == nfc(query),
                Product.barcode == nfc(query),
            )
        )
    rows = session.exec(stmt.order_by(by_barcode_first.desc(), Product.name).limit(limit)).all()
    if not rows:
        return []
    product_ids = [p.id for p, _ in rows]
    carried: dict[int, list[str]] = {}
    prices: dict[int, int] = {}
    for product_id, code, price in session.exec(
        select(ShowroomProduct.product_id, Showroom.code, ShowroomProduct.price_vnd)
        .join(Showroom, Showroom.id == ShowroomProduct.showroom_id)  # type: ignore[arg-type]
        .where(ShowroomProduct.product_id.in_(product_ids))  # type: ignore[attr-defined]
        .order_by(Showroom.code)
    ):
        carried.setdefault(product_id, []).append(code)
        prices[product_id] = max(prices.get(product_id, 0), price)
    barcodes = [p.barcode for p, _ in rows if p.barcode]
    by_barcode = {
        c.barcode: c
        for c in session.exec(select(CatalogProduct).where(CatalogProduct.barcode.in_(barcodes)))  # type: ignore[union-attr]
    }
    return [
        UnlinkedProduct(
            uuid=p.uuid,
            name=p.name,
            sku=p.sku,
            barcode=p.barcode,
            producer_name=producer_name or "",
            showrooms=", ".join(carried.get(p.id, [])),  # type: ignore[arg-type]
            suggestion=by_barcode.get(p.barcode) if p.barcode else None,
            price_vnd=prices.get(p.id, 0),  # type: ignore[arg-type]
            is_weighed=is_weighed(p.sold_by),
            name_en=p.name_en,
            origin=", ".join(part for part in (p.origin_commune, p.origin_district, p.origin_province) if part),
            trace_url=p.trace_url,
        )
        for p, producer_name in rows
    ]


def count_unlinked(session: Session) -> int:
    """How many reported products have no catalogue link."""
    return int(session.scalar(select(func.count()).where(Product.catalog_product_id.is_(None))) or 0)  # type: ignore[union-attr]


# --- What a showroom pulls ----------------------------------------------------------------------------------------


# "part.revision.id": 0 producers, 1 products, 2 links, 3 promotions
PAGE_TOKEN = re.compile(r"[0123]\.[0-9]{1,18}\.[0-9]{1,18}")


def changes_since(
    session: Session,
    showroom_id: int | None,
    since: int,
    *,
    until: int | None = None,
    after: str = "",
    limit: int | None = None,
) -> dict[str, Any]:
    """Catalogue rows, this showroom's links and its central promotions changed after revision ``since``, up to
    the current revision.

    The revision is read first: rows committed later (with a higher revision) wait for the next pull. With a
    ``limit`` the answer is one page: producers, then products, then links, each by (revision, id); ``next``
    (a PAGE_TOKEN) names where the following page starts, to be asked with the same ``since`` and ``until`` =
    this answer's revision, so that every page belongs to one snapshot. Without a limit, all in one answer.
    """
    revision = current_revision(session)
    if until is not None:
        revision = min(revision, until)
    part, cur_rev, cur_id = (int(x) for x in after.split(".")) if after else (0, -1, -1)
    room = limit

    def take(stmt: Any, rev_col: Any, id_col: Any, this_part: int) -> list[Any]:
        """This part's rows of the page (none when the page started past it or is full)."""
        nonlocal room
        if this_part < part or room == 0:
            return []
        stmt = stmt.where(rev_col > since, rev_col <= revision)
        if this_part == part and cur_rev >= 0:
            stmt = stmt.where(tuple_(rev_col, id_col) > tuple_(cur_rev, cur_id))
        stmt = stmt.order_by(rev_col, id_col)
        if room is not None:
            stmt = stmt.limit(room)
        rows = list(session.exec(stmt).all())
        if room is not None:
            room -= len(rows)
        return rows

    producers = take(
        select(CatalogProducer, CatalogProducer.revision, CatalogProducer.id),
        CatalogProducer.revision,
        CatalogProducer.id,
        0,
    )
    products = take(
        select(CatalogProduct, CatalogProducer.uuid, CatalogProduct.revision, CatalogProduct.id).join(
            CatalogProducer,
            CatalogProducer.id == CatalogProduct.producer_id,  # type: ignore[arg-type]
        ),
        CatalogProduct.revision,
        CatalogProduct.id,
        1,
    )
    links = take(
        select(Product.uuid, CatalogProduct.uuid, Product.link_revision, Product.id)
        .join(ShowroomProduct, ShowroomProduct.product_id == Product.id)  # type: ignore[arg-type]
        .join(CatalogProduct, CatalogProduct.id == Product.catalog_product_id, isouter=True)  # type: ignore[arg-type]
        .where(ShowroomProduct.showroom_id == showroom_id),
        Product.link_revision,
        Product.id,
        2,
    )
    promotions = take(central_promotions.pull_query(showroom_id), CentralPromotion.revision, CentralPromotion.id, 3)
    following = None
    if room == 0:
        last = (
            (promotions and (3, promotions[-1]))
            or (links and (2, links[-1]))
            or (products and (1, products[-1]))
            or (0, producers[-1])
        )
        following = f"{last[0]}.{last[1][-2]}.{last[1][-1]}"
    if following is None and showroom_id is not None:  # the last page: this showroom now has the whole snapshot
        session.execute(
            update(Showroom)
            .where(Showroom.id == showroom_id, Showroom.catalog_sent_revision < revision)  # type: ignore[arg-type]
            .values(catalog_sent_revision=revision)
        )
    producers = [row[0] for row in producers]
    products = [(row[0], row[1]) for row in products]
    links = [(row[0], row[1]) for row in links]
    return {
        "revision": revision,
        "since": since,
        "producers": [
            {
                "uuid": str(p.uuid),
                "name": p.name,
                "kind": p.kind,
                "tax_code": p.tax_code,
                "province": p.province,
                "district": p.district,
                "address": p.address,
                "phone": p.phone,
                "is_active": p.is_active,
                "revision": p.revision,
            }
            for p in producers
        ],
        "products": [
            {
                "uuid": str(p.uuid),
                "producer_uuid": str(producer_uuid),
                "sku": p.sku,
                "barcode": p.barcode,
                "name": p.name,
                "unit": p.unit,
                "vat_class": p.vat_class,
                "ocop_group": p.ocop_group,
                "ocop_stars": p.ocop_stars,
                "ocop_cert_number": p.ocop_cert_number,
                "ocop_cert_expiry": p.ocop_cert_expiry.isoformat() if p.ocop_cert_expiry else None,
                "suggested_price_vnd": p.suggested_price_vnd,
                "is_food": p.is_food,
                "is_active": p.is_active,
                "revision": p.revision,
            }
            for p, producer_uuid in products
        ],
        "links": [
            {"product_uuid": str(product_uuid), "catalog_uuid": str(catalog_uuid) if catalog_uuid else None}
            for product_uuid, catalog_uuid in links
        ],
        "promotions": central_promotions.pulled(session, showroom_id, [row[0] for row in promotions]),
        "next": following,
    }
