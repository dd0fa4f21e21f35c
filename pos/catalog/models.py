"""Producers (chủ thể OCOP), products (sản phẩm) and the dated VAT table."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID, uuid4

from sqlmodel import Field, SQLModel

from pos.db import UTCDateTime, utcnow
from pos.money import format_bp

PRODUCER_KINDS: dict[str, str] = {
    "htx": "Hợp tác xã",
    "hkd": "Hộ kinh doanh",
    "dn": "Doanh nghiệp",
    "shop": "Cửa hàng (giỏ quà, bao bì của cửa hàng)",
}

PRODUCT_GROUPS: dict[str, str] = {
    "thuc_pham": "Thực phẩm",
    "do_uong": "Đồ uống",
    "thao_duoc": "Thảo dược",
    "vai_may_mac": "Vải và may mặc",
    "luu_niem": "Lưu niệm – nội thất – trang trí",
    "du_lich": "Dịch vụ du lịch",
}

# A product carries a VAT class; the rate of a class on a given day comes from VatRate.
VAT_CLASSES: dict[str, str] = {
    "standard": "Thuế suất phổ thông (10%, giảm còn 8% theo từng thời kỳ)",
    "reduced": "Thuế suất 5%",
    "zero": "Thuế suất 0%",
    "exempt": "Không chịu thuế GTGT",
    "untaxed": "Không kê khai, tính nộp thuế GTGT",
}
# Classes the invoice and the receipt name by a mark instead of a rate (TSuat "KCT", "KKKNT"): goods exempt
# from VAT are not goods taxed at 0 %, and the tax return lists them apart.
VAT_MARKS: dict[str, str] = {"exempt": "KCT", "untaxed": "KKKNT"}
MARK_LABELS: dict[str, str] = {mark: VAT_CLASSES[vat_class] for vat_class, mark in VAT_MARKS.items()}


def vat_label(vat_class: str, rate_bp: int) -> str:
    """How a line's VAT is named on the receipt: 'KCT', 'KKKNT', or its rate ('8%', '0%')."""
    return VAT_MARKS.get(vat_class) or format_bp(rate_bp)


class Producer(SQLModel, table=True):
    """A producer whose goods the showroom sells, usually on consignment."""

    id: int | None = Field(default=None, primary_key=True)
    uuid: UUID = Field(default_factory=uuid4, unique=True, index=True)
    name: str = Field(max_length=200, index=True)
    name_search: str = Field(default="", max_length=200, index=True)
    kind: str = Field(default="htx", max_length=10)
    tax_code: str | None = Field(default=None, max_length=20)
    province: str = Field(default="", max_length=80, index=True)
    district: str = Field(default="", max_length=80)
    address: str = Field(default="", max_length=250)
    contact_name: str = Field(default="", max_length=120)
    phone: str = Field(default="", max_length=30)
    email: str = Field(default="", max_length=120)
    bank_account: str = Field(default="", max_length=120)
    commission_bp: int = Field(default=2000)  # the showroom keeps this share of consignment sales
    is_consignment: bool = Field(default=True)
    is_active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Product(SQLModel, table=True):
    """A product on sale, with its VAT-inclusive price in đồng and its OCOP rating."""

    id: int | None = Field(default=None, primary_key=True)
    uuid: UUID = Field(default_factory=uuid4, unique=True, index=True)
    sku: str = Field(max_length=40, unique=True, index=True)
    barcode: str | None = Field(default=None, max_length=14, unique=True, index=True)
    name: str = Field(max_length=200)
    name_search: str = Field(default="", max_length=200, index=True)
    unit: str = Field(default="cái", max_length=20)
    # "piece": quantities are counts; "weight": quantities are grams and price_vnd is per kg (pos/quantity.py)
    sold_by: str = Field(default="piece", max_length=10)
    scale_plu: int | None = Field(
        default=None, unique=True, index=True
    )  # the item code the weighing scale prints on labels
    price_vnd: int
    cost_vnd: int = Field(default=0)  # last unit cost received
    vat_class: str = Field(default="standard", max_length=12)
    ocop_group: str = Field(default="thuc_pham", max_length=20, index=True)
    ocop_stars: int | None = Field(default=None, index=True)
    ocop_cert_number: str = Field(default="", max_length=60)
    ocop_cert_expiry: date | None = None
    producer_id: int = Field(foreign_key="producer.id", index=True)
    min_stock: int | None = None
    is_food: bool = Field(default=False)  # food needs a lot and expiry date at intake
    is_active: bool = Field(default=True)
    central_uuid: UUID | None = None  # the central catalogue product this one is linked to
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class VatRate(SQLModel, table=True):
    """The rate of a VAT class from a date on; the row in force is the latest valid_from not after the day."""

    id: int | None = Field(default=None, primary_key=True)
    vat_class: str = Field(max_length=12, index=True)
    valid_from: date
    rate_bp: int
    note: str = Field(default="", max_length=200)


class Counter(SQLModel, table=True):
    """A named, never-reused sequence (in-store barcodes, receipt numbers per year)."""

    name: str = Field(primary_key=True, max_length=60)
    value: int = Field(default=0)


class OcopCertificate(SQLModel, table=True):
    """One OCOP certificate of a product (a re-rating is a new one; older ones are its history).

    ``valid_until`` is computed when it is recorded (issue date + the validity in force, 36 months by
    default), so a later change of the setting does not rewrite certificates already issued.
    """

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="product.id", index=True)
    number: str = Field(max_length=60)
    authority: str = Field(max_length=200)
    issued_on: date
    stars: int
    valid_until: date = Field(index=True)
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ProductStory(SQLModel, table=True):
    """What a product tells a tourist or a buyer: English name, descriptions, origin, producer's story, trace link.

    Kept beside the product rather than on it: none of it prices, stocks or taxes anything, and a product
    without a story has no row.
    """

    product_id: int = Field(foreign_key="product.id", primary_key=True)
    name_en: str = Field(default="", max_length=200)
    description_vi: str = Field(default="", max_length=500)
    description_en: str = Field(default="", max_length=500)
    origin_commune: str = Field(default="", max_length=80)
    origin_district: str = Field(default="", max_length=80)
    origin_province: str = Field(default="", max_length=80)
    producer_story: str = Field(default="", max_length=2000)
    trace_url: str = Field(default="", max_length=500)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
