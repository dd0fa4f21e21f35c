"""Promotions, the products they name, and what each sale line got from one."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from sqlmodel import Field, SQLModel

from pos.db import UTCDateTime, utcnow

PROMOTION_KINDS: dict[str, str] = {
    "price": "Giá khuyến mãi trong thời gian",
    "percent": "Giảm theo phần trăm",
    "bxgy": "Mua X tặng Y",
    "combo": "Giá trọn bộ cho một nhóm sản phẩm",
}
TARGETS: dict[str, str] = {
    "product": "Sản phẩm chọn",
    "producer": "Mọi sản phẩm của một nhà sản xuất",
    "group": "Một nhóm sản phẩm OCOP",
    "stars": "Sản phẩm có hạng sao OCOP",
}
BORNE_BY: dict[str, str] = {"showroom": "Cửa hàng chịu", "producer": "Nhà sản xuất chịu"}


class Promotion(SQLModel, table=True):
    """A dated offer; active from the first minute ``starts_at`` through the last minute ``ends_at`` (UTC)."""

    id: int | None = Field(default=None, primary_key=True)
    uuid: UUID = Field(default_factory=uuid4, unique=True, index=True)
    name: str = Field(max_length=120)
    kind: str = Field(max_length=10)  # price, percent, bxgy, combo
    target: str = Field(default="product", max_length=10)  # product, producer, group, stars (combo: its items)
    target_value: str = Field(default="", max_length=40)  # producer id, group code or stars
    percent_bp: int = Field(default=0)
    price_vnd: int = Field(default=0)  # the unit price (price) or the price of one set (combo)
    buy_qty: int = Field(default=0)
    get_qty: int = Field(default=0)
    starts_at: datetime = Field(sa_type=UTCDateTime, index=True)
    ends_at: datetime = Field(sa_type=UTCDateTime, index=True)  # the start of its last minute
    borne_by: str = Field(default="showroom", max_length=10)
    showrooms: str = Field(default="", max_length=400)  # showroom codes, comma separated; blank: every one
    is_active: bool = Field(default=True)
    # Set at the central office (its UUID there): read-only here, its products named by catalogue link.
    central_uuid: UUID | None = Field(default=None, unique=True, index=True)
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PromotionItem(SQLModel, table=True):
    """A product a promotion names: the products of a 'product' target, or one item of a combination."""

    id: int | None = Field(default=None, primary_key=True)
    promotion_id: int = Field(foreign_key="promotion.id", index=True)
    product_id: int = Field(foreign_key="product.id", index=True)
    qty: int = Field(default=1)


class CentralPromotionItem(SQLModel, table=True):
    """A product a central promotion names, by its catalogue link (resolved to this showroom's product at the till:
    the product linked to that catalogue product, else the one with that barcode)."""

    id: int | None = Field(default=None, primary_key=True)
    promotion_id: int = Field(foreign_key="promotion.id", index=True)
    catalog_uuid: UUID = Field(index=True)
    barcode: str | None = Field(default=None, max_length=14)
    qty: int = Field(default=1)


class SalePromotion(SQLModel, table=True):
    """The promotion a sale line got and what it took off the line."""

    sale_line_id: int = Field(foreign_key="saleline.id", primary_key=True)
    promotion_id: int = Field(foreign_key="promotion.id", index=True)
    discount_vnd: int
    borne_by: str = Field(max_length=10)
