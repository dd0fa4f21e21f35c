"""Producers and products: validation, in-store barcodes, search, and their outbox records.

Every function takes the caller's session and plain values, flushes and never commits. Validation
collects every field's problem at once (``ValidationError.details["errors"]``, field -> message) so a
form can show them all beside their fields; the exception's own message is the first of them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, select

from pos.audit import log as audit
from pos.barcodes import DEFAULT_INSTORE_PREFIX, BarcodeError, instore_ean13, is_instore, normalize_barcode
from pos.catalog.models import PRODUCER_KINDS, PRODUCT_GROUPS, VAT_CLASSES, Producer, Product
from pos.catalog.story import STORY_FIELDS, Story, get_story, save_story, validate_story
from pos.counters import next_value
from pos.db import parse_id, utcnow
from pos.errors import NotFound, ValidationError
from pos.inventory.models import StockLevel, StockMovement
from pos.money import parse_vnd
from pos.quantity import (
    GRAMS_PER_KG,
    PIECE,
    SOLD_BY,
    WEIGHT_UNIT,
    WeightError,
    is_weighed,
    min_stock,
    min_stock_column,
    qty_number,
    read_weight,
)
from pos.sync.contract import Fields
from pos.sync.outbox import enqueue
from pos.text import fold, nfc

MAX_PRICE_VND = 1_000_000_000
MAX_MIN_STOCK = 100_000
MAX_SCALE_PLU = 99_999  # five digits: the widest item code of the scale layouts
INSTORE_COUNTER = "instore_barcode"
SKU_COUNTER = "product_sku"
# Groups whose goods are eaten or drunk: a lot and an expiry date are asked for at intake.
FOOD_GROUPS = frozenset({"thuc_pham", "do_uong", "thao_duoc"})

_SKU_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._/-]*$")
_PHONE_RE = re.compile(r"^\+?[0-9 .()-]+$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


# --- small parsers shared by forms, the CSV import and the intake -------------------------------------------


def parse_date(raw: date | str | None) -> date | None:
    """'31/12/2026', '31122026' or '2026-12-31' (a date picker) -> date; blank -> None; else ValueError."""
    if raw is None or isinstance(raw, date):
        return raw
    text = nfc(raw)
    if not text:
        return None
    if len(text) == 8 and text.isascii() and text.isdigit():  # '31122026', typed fast on a keypad
        text = f"{text[:2]}/{text[2:4]}/{text[4:]}"
    for pattern in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            day = datetime.strptime(text, pattern).date()
        except ValueError:
            continue
        if not 2000 <= day.year <= 2100:
            raise ValueError(f"year out of range: {text!r}")
        return day
    raise ValueError(f"not a date: {text!r}")


def parse_int(raw: int | str | None) -> int | None:
    """A whole number typed by a person ('1.000' allowed); blank -> None; anything else ValueError."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool):
        raise ValueError("not a number")
    if isinstance(raw, int):
        return raw
    text = nfc(str(raw)).replace(".", "").replace(" ", "")
    if not (text.isascii() and text.lstrip("-").isdigit()) or len(text) > 12:
        raise ValueError(f"not a number: {raw!r}")
    return int(text)


def parse_money(raw: int | str | None) -> int | None:
    """An amount of đồng from a form ('125.000', '125000 ₫') or JSON (an int); blank -> None."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool):
        raise ValueError("not an amount")
    if isinstance(raw, int):
        if raw < 0:
            raise ValueError("negative amount")
        return raw
    return parse_vnd(nfc(str(raw)))


def barcode_variants(code: str) -> list[str]:
    """The spellings one retail code may be stored under: a UPC-A and its 13-digit EAN form '0…'."""
    variants = [code]
    if len(code) == 12:
        variants.append("0" + code)
    elif len(code) == 13 and code.startswith("0"):
        variants.append(code[1:])
    return variants


class FieldErrors:
    """Collects one message per field, then raises them together."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def add(self, field: str, message: str) -> None:
        """Keep the first problem found in a field."""
        self.errors.setdefault(field, message)

    def raise_if_any(self) -> None:
        """Raise one ValidationError carrying every field's message."""
        if self.errors:
            field, message = next(iter(self.errors.items()))
            raise ValidationError(message, field, errors=dict(self.errors))


def _text(errors: FieldErrors, field: str, raw: Any, label: str, max_len: int, required: bool = False) -> str:
    value = nfc(raw if isinstance(raw, str) else ("" if raw is None else str(raw)))
    if required and not value:
        errors.add(field, f"Chưa nhập {label}.")
    elif len(value) > max_len:
        errors.add(field, f"{label[:1].upper()}{label[1:]} dài quá {max_len} ký tự.")
    return value


def _as_bool(raw: Any, default: bool) -> bool:
    if raw is None or raw == "":
        return default
    if isinstance(raw, bool):
        return raw
    return str(raw).strip().lower() in {"1", "true", "on", "yes", "y", "có", "x"}


# --- producers ------------------------------------------------------------------------------------------------


@dataclass
class ProducerInput:
    """A producer as typed in the form (strings), before validation."""

    name: str = ""
    kind: str = "htx"
    tax_code: str = ""
    province: str = ""
    district: str = ""
    address: str = ""
    contact_name: str = ""
    phone: str = ""
    email: str = ""
    bank_account: str = ""
    commission_percent: str = "20"
    is_consignment: bool = True
    is_active: bool = True

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], checkboxes: bool = True) -> ProducerInput:
        """From a submitted form (an unticked checkbox is absent) or a JSON object."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name in ("is_consignment", "is_active"):
                values[f.name] = (f.name in data) if checkboxes else _as_bool(data.get(f.name), True)
            elif f.name in data:
                raw = data.get(f.name)
                values[f.name] = "" if raw is None else str(raw)
        return cls(**values)

    @classmethod
    def from_producer(cls, producer: Producer) -> ProducerInput:
        """The form's starting values for an existing producer."""
        return cls(
            name=producer.name,
            kind=producer.kind,
            tax_code=producer.tax_code or "",
            province=producer.province,
            district=producer.district,
            address=producer.address,
            contact_name=producer.contact_name,
            phone=producer.phone,
            email=producer.email,
            bank_account=producer.bank_account,
            commission_percent=format_percent(producer.commission_bp),
            is_consignment=producer.is_consignment,
            is_active=producer.is_active,
        )


def format_percent(rate_bp: int) -> str:
    """2000 -> '20', 1250 -> '12,5' (as typed back into the form)."""
    whole, frac = divmod(rate_bp, 100)
    return str(whole) if frac == 0 else f"{whole},{frac:02d}".rstrip("0")


def parse_percent_bp(raw: str) -> int:
    """'20' / '12,5' / '12.5%' -> basis points; ValueError when not a percentage 0–100 with ≤ 2 decimals."""
    text = nfc(raw).replace("%", "").replace(",", ".").strip()
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(f"not a percentage: {raw!r}") from exc
    bp = value * 100
    if not value.is_finite() or bp != bp.to_integral_value() or not 0 <= bp <= 10_000:
        raise ValueError(f"percentage out of range: {raw!r}")
    return int(bp)


def normalize_tax_code(raw: str) -> str:
    """A Vietnamese tax code: 10 digits, or 13 written '0101234567-001'. ValueError otherwise."""
    text = "".join(nfc(raw).split())
    digits = text.replace("-", "")
    if not (digits.isascii() and digits.isdigit()):
        raise ValueError("tax code has non-digits")
    if len(digits) == 10 and "-" not in text:
        return digits
    if len(digits) == 13 and text.count("-") <= 1 and (text.count("-") == 0 or text.index("-") == 10):
        return f"{digits[:10]}-{digits[10:]}"
    raise ValueError("tax code length")


def _clean_producer(session: Session, data: ProducerInput, producer_id: int | None) -> dict[str, Any]:
    errors = FieldErrors()
    clean: dict[str, Any] = {
        "name": _text(errors, "name", data.name, "tên nhà sản xuất", 200, required=True),
        "province": _text(errors, "province", data.province, "tỉnh/thành phố", 80),
        "district": _text(errors, "district", data.district, "quận/huyện", 80),
        "address": _text(errors, "address", data.address, "địa chỉ", 250),
        "contact_name": _text(errors, "contact_name", data.contact_name, "người liên hệ", 120),
        "bank_account": _text(errors, "bank_account", data.bank_account, "tài khoản ngân hàng", 120),
        "is_consignment": bool(data.is_consignment),
        "is_active": bool(data.is_active),
    }
    kind = nfc(data.kind)
    if kind not in PRODUCER_KINDS:
        errors.add("kind", "Loại hình nhà sản xuất không hợp lệ.")
    clean["kind"] = kind

    tax_code = nfc(data.tax_code)
    clean["tax_code"] = None
    if tax_code:
        try:
            clean["tax_code"] = normalize_tax_code(tax_code)
        except ValueError:
            errors.add("tax_code", "Mã số thuế gồm 10 chữ số, hoặc 13 chữ số viết dạng 0101234567-001.")
        else:
            other = session.exec(
                select(Producer).where(Producer.tax_code == clean["tax_code"], Producer.id != producer_id)
            ).first()
            if other is not None:
                errors.add("tax_code", f"Mã số thuế {clean['tax_code']} đã dùng cho nhà sản xuất “{other.name}”.")

    phone = _text(errors, "phone", data.phone, "số điện thoại", 30)
    if phone and (not _PHONE_RE.match(phone) or not 8 <= sum(ch.isdigit() for ch in phone) <= 15):
        errors.add("phone", "Số điện thoại không hợp lệ (8–15 chữ số, ví dụ 0912 345 678).")
    clean["phone"] = phone

    email = _text(errors, "email", data.email, "email", 120)
    if email and not _EMAIL_RE.match(email):
        errors.add("email", "Địa chỉ email không hợp lệ.")
    clean["email"] = email

    try:
        clean["commission_bp"] = parse_percent_bp(data.commission_percent or "0")
    except ValueError:
        errors.add("commission_percent", "Hoa hồng là phần trăm từ 0 đến 100 (ví dụ 20 hoặc 12,5).")
    errors.raise_if_any()
    clean["name_search"] = fold(clean["name"])[:200]
    return clean


def producer_payload(producer: Producer) -> Fields:
    """The outbox record of a producer (kind 'producer')."""
    return {
        "uuid": str(producer.uuid),
        "name": producer.name,
        "kind": producer.kind,
        "tax_code": producer.tax_code,
        "province": producer.province,
        "district": producer.district,
        "phone": producer.phone,
        "commission_bp": producer.commission_bp,
        "is_active": producer.is_active,
    }


def create_producer(session: Session, data: ProducerInput, actor_id: int | None = None) -> Producer:
    """Register a producer and tell the central server."""
    producer = Producer(**_clean_producer(session, data, None))
    session.add(producer)
    session.flush()
    enqueue(session, "producer", producer.uuid, dict(producer_payload(producer)))
    return producer


def _apply_edit(
    session: Session, record: Producer | Product, clean: dict[str, Any], watched: str, action: str, actor_id: int | None
) -> None:
    """Write validated values onto a record, auditing the one field money depends on when it changes."""
    if clean[watched] != getattr(record, watched):
        audit.record(
            session,
            action,
            user_id=actor_id,
            entity=type(record).__name__.lower(),
            entity_id=record.id,
            before={watched: getattr(record, watched)},
            after={watched: clean[watched]},
        )
    for key, value in clean.items():
        setattr(record, key, value)
    record.updated_at = utcnow()
    session.add(record)
    session.flush()


def update_producer(session: Session, producer_id: int, data: ProducerInput, actor_id: int | None = None) -> Producer:
    """Edit a producer; a commission change is audited since settlements depend on it."""
    producer = get_producer(session, producer_id)
    clean = _clean_producer(session, data, producer_id)
    _apply_edit(session, producer, clean, "commission_bp", "producer.commission", actor_id)
    enqueue(session, "producer", producer.uuid, dict(producer_payload(producer)))
    return producer


def get_producer(session: Session, producer_id: int | str | None) -> Producer:
    """The producer with this id, or NotFound."""
    wanted = parse_id(producer_id if isinstance(producer_id, int) else str(producer_id or ""))
    producer = session.get(Producer, wanted) if wanted else None
    if producer is None:
        raise NotFound("Không tìm thấy nhà sản xuất.", "producer_id")
    return producer


def list_producers(session: Session, q: str = "", active_only: bool = False) -> list[Producer]:
    """Producers by name, optionally only active ones or those whose name or province matches ``q``."""
    query = select(Producer)
    if active_only:
        query = query.where(Producer.is_active == True)  # noqa: E712 (SQL expression)
    key = fold(q)
    if key:
        query = query.where(
            or_(
                Producer.name_search.contains(key, autoescape=True),
                func.lower(Producer.province).contains(nfc(q).lower(), autoescape=True),
                Producer.tax_code == "".join(key.split()),
            )
        )
    return list(session.exec(query.order_by(Producer.name_search, Producer.id)))


def product_counts(session: Session) -> dict[int, int]:
    """Number of products per producer id."""
    rows = session.exec(select(Product.producer_id, func.count()).group_by(Product.producer_id))
    return {pid: int(n) for pid, n in rows}


# --- products -------------------------------------------------------------------------------------------------


@dataclass
class ProductInput:
    """A product as typed in a form, a CSV row or a JSON body, before validation.

    Numbers may come as strings ('125.000') or ints; ``is_food`` None means "decide from the group".
    """

    name: str = ""
    producer_id: int | str | None = None
    price_vnd: int | str = ""
    sku: str = ""
    barcode: str = ""
    unit: str = "cái"
    vat_class: str = "standard"
    ocop_group: str = "thuc_pham"
    ocop_stars: int | str | None = None
    ocop_cert_number: str = ""
    ocop_cert_expiry: date | str | None = None
    min_stock: int | str | None = None
    is_food: bool | None = None
    is_active: bool = True
    # The product's story as typed (None: not part of this input, so left as it is; CSV and JSON omit it).
    story: dict[str, Any] | None = field(default=None)
    sold_by: str = PIECE  # "weight": price_vnd is per kg and quantities are grams
    scale_plu: int | str | None = None  # the item code the weighing scale prints on its labels

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], checkboxes: bool = True) -> ProductInput:
        """From a submitted form (unticked checkboxes are absent) or, with checkboxes=False, JSON."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name == "is_active":
                values[f.name] = ("is_active" in data) if checkboxes else _as_bool(data.get("is_active"), True)
            elif f.name == "is_food":
                # "1" / "0" from the form's select (or JSON true/false); blank: decided by the group.
                if data.get("is_food") not in (None, ""):
                    values[f.name] = _as_bool(data.get("is_food"), False)
            elif f.name == "story":
                if any(name in data for name in STORY_FIELDS):
                    values["story"] = {name: data.get(name, "") for name in STORY_FIELDS}
            elif f.name in data:
                raw = data.get(f.name)
                values[f.name] = "" if raw is None else raw
        return cls(**values)

    @classmethod
    def from_product(cls, product: Product, story: Story | None = None) -> ProductInput:
        """The form's starting values for an existing product (and its story, for the product form)."""
        return cls(
            name=product.name,
            producer_id=product.producer_id,
            price_vnd=product.price_vnd,
            sku=product.sku,
            barcode=product.barcode or "",
            unit=product.unit,
            vat_class=product.vat_class,
            ocop_group=product.ocop_group,
            ocop_stars=product.ocop_stars,
            ocop_cert_number=product.ocop_cert_number,
            ocop_cert_expiry=product.ocop_cert_expiry,
            min_stock=(
                qty_number(product.min_stock, product.sold_by)
                if product.min_stock is not None and is_weighed(product.sold_by)
                else product.min_stock
            ),
            is_food=product.is_food,
            is_active=product.is_active,
            story={name: getattr(story, name) for name in STORY_FIELDS} if story is not None else None,
            sold_by=product.sold_by,
            scale_plu=product.scale_plu,
        )


def _product_with_barcode(session: Session, code: str, exclude_id: int | None) -> Product | None:
    query = select(Product).where(Product.barcode.in_(barcode_variants(code)))  # type: ignore[union-attr]
    if exclude_id is not None:
        query = query.where(Product.id != exclude_id)
    return session.exec(query).first()


def _product_with_sku(session: Session, sku: str, exclude_id: int | None) -> Product | None:
    query = select(Product).where(func.upper(Product.sku) == sku.upper())
    if exclude_id is not None:
        query = query.where(Product.id != exclude_id)
    return session.exec(query).first()


def barcode_taken_message(code: str, owner: Product) -> str:
    """The refusal for a barcode another product already carries."""
    return f"Mã vạch {code} đã dùng cho sản phẩm “{owner.name}” (SKU {owner.sku})."


def check_barcode(session: Session, raw: str, exclude_id: int | None = None) -> str:
    """A typed or scanned barcode, normalised; ValidationError if its check digit is wrong or it is taken."""
    try:
        code = normalize_barcode(nfc(raw))
    except BarcodeError as exc:
        raise ValidationError(str(exc), "barcode") from exc
    owner = _product_with_barcode(session, code, exclude_id)
    if owner is not None:
        raise ValidationError(barcode_taken_message(code, owner), "barcode")
    return code


def assign_instore_barcode(session: Session, prefix: str = DEFAULT_INSTORE_PREFIX) -> str:
    """The next in-store EAN-13 from the never-reused counter (skipping any code typed in by hand)."""
    while True:
        code = instore_ean13(next_value(session, INSTORE_COUNTER), prefix=prefix)
        if _product_with_barcode(session, code, None) is None:
            return code


def next_sku(session: Session) -> str:
    """A fresh SKU 'SP000123' from a counter (skipping any typed in by hand)."""
    while True:
        sku = f"SP{next_value(session, SKU_COUNTER):06d}"
        if _product_with_sku(session, sku, None) is None:
            return sku


def _weighed_min_stock(errors: FieldErrors, raw: object) -> int | None:
    """A weighed product's reorder point in grams, typed as a weight ('5,5' or '5 kg'; a plain number is grams)."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        grams = raw
    else:
        text = nfc(str(raw or "")).strip()
        if not text:
            return None
        try:
            grams = read_weight(text)
        except WeightError:
            grams = -1
    if not 0 <= grams <= MAX_MIN_STOCK * GRAMS_PER_KG:
        errors.add(
            "min_stock",
            f"Tồn kho tối thiểu của hàng cân nhập theo kg, ví dụ 5,5 (tối đa {MAX_MIN_STOCK:,} kg).".replace(",", "."),
        )
        return None
    return grams


def validate_product(session: Session, data: ProductInput, product: Product | None = None) -> dict[str, Any]:
    """Every field checked; all problems raised together. Barcode and SKU are checked, not yet assigned."""
    errors = FieldErrors()
    exclude_id = product.id if product is not None else None
    clean: dict[str, Any] = {
        "name": _text(errors, "name", data.name, "tên sản phẩm", 200, required=True),
        "unit": _text(errors, "unit", data.unit, "đơn vị tính", 20, required=True),
        "ocop_cert_number": _text(errors, "ocop_cert_number", data.ocop_cert_number, "số giấy chứng nhận", 60),
        "is_active": bool(data.is_active),
    }

    try:
        price = parse_money(data.price_vnd)
    except ValueError:
        errors.add("price_vnd", "Giá bán phải là số tiền, ví dụ 125.000.")
    else:
        if price is None:
            errors.add("price_vnd", "Chưa nhập giá bán.")
        elif price <= 0:
            errors.add("price_vnd", "Giá bán phải lớn hơn 0.")
        elif price > MAX_PRICE_VND:
            errors.add("price_vnd", "Giá bán quá lớn (tối đa 1.000.000.000 ₫).")
        clean["price_vnd"] = price

    vat_class = nfc(data.vat_class)
    if vat_class not in VAT_CLASSES:
        errors.add("vat_class", "Loại thuế GTGT không hợp lệ.")
    clean["vat_class"] = vat_class

    group = nfc(data.ocop_group)
    if group not in PRODUCT_GROUPS:
        errors.add("ocop_group", "Nhóm sản phẩm không hợp lệ.")
    clean["ocop_group"] = group

    try:
        stars = parse_int(data.ocop_stars)
    except ValueError:
        stars = -1
    if stars is not None and not 3 <= stars <= 5:
        errors.add("ocop_stars", "Hạng sao OCOP phải là 3, 4 hoặc 5 (hoặc để trống).")
    clean["ocop_stars"] = stars

    try:
        clean["ocop_cert_expiry"] = parse_date(data.ocop_cert_expiry)
    except ValueError:
        errors.add("ocop_cert_expiry", "Ngày hết hạn giấy chứng nhận không hợp lệ (dd/mm/yyyy).")

    if is_weighed(nfc(str(data.sold_by or PIECE))):  # grams: typed as a weight, '5,5' or '5 kg' (as at the till)
        clean["min_stock"] = _weighed_min_stock(errors, data.min_stock)
    else:
        try:
            reorder = parse_int(data.min_stock)
        except ValueError:
            reorder = -1
        if reorder is not None and not 0 <= reorder <= MAX_MIN_STOCK:
            errors.add("min_stock", f"Tồn kho tối thiểu là số nguyên từ 0 đến {MAX_MIN_STOCK:,}.".replace(",", "."))
        clean["min_stock"] = reorder

    try:
        producer = get_producer(session, data.producer_id)
    except NotFound:
        errors.add("producer_id", "Chưa chọn nhà sản xuất, hoặc nhà sản xuất không tồn tại.")
    else:
        clean["producer_id"] = producer.id

    sku = _text(errors, "sku", data.sku, "mã SKU", 40)
    if sku:
        if not _SKU_RE.match(sku):
            errors.add("sku", "Mã SKU chỉ gồm chữ không dấu, số và các dấu . _ - /")
        elif (owner := _product_with_sku(session, sku, exclude_id)) is not None:
            errors.add("sku", f"Mã SKU {sku} đã dùng cho sản phẩm “{owner.name}”.")
    clean["sku"] = sku

    clean["barcode"] = ""
    if nfc(str(data.barcode or "")):
        try:
            clean["barcode"] = check_barcode(session, str(data.barcode), exclude_id)
        except ValidationError as exc:
            errors.add("barcode", exc.message)

    clean["is_food"] = data.is_food if data.is_food is not None else group in FOOD_GROUPS
    if data.story is not None:
        clean["story"] = validate_story(data.story, errors.add)
    _check_sold_by(session, errors, data, product, clean)
    errors.raise_if_any()
    clean["name_search"] = fold(clean["name"])[:200]
    return clean


def _check_sold_by(
    session: Session, errors: FieldErrors, data: ProductInput, product: Product | None, clean: dict[str, Any]
) -> None:
    """Sold by the piece or by weight (then its unit is kg and it may carry a scale PLU, unique in the shop).

    A product whose stock or sales are already counted one way keeps it: its ledger would mix pieces and grams.
    """
    sold_by = nfc(str(data.sold_by or PIECE))
    if sold_by not in SOLD_BY:
        errors.add("sold_by", "Cách bán không hợp lệ.")
    elif product is not None and sold_by != product.sold_by and _has_movements(session, product):
        errors.add("sold_by", "Sản phẩm đã có tồn kho hoặc đã bán: không đổi được cách bán (theo cái / theo cân).")
    clean["sold_by"] = sold_by
    if is_weighed(sold_by):
        clean["unit"] = WEIGHT_UNIT
    try:
        plu = parse_int(data.scale_plu)
    except ValueError:
        plu = -1
    if plu is not None and not 1 <= plu <= MAX_SCALE_PLU:
        errors.add("scale_plu", f"Mã cân (PLU) là số từ 1 đến {MAX_SCALE_PLU}, như đã cài trên cân.")
    elif plu is not None and not is_weighed(sold_by):
        errors.add("scale_plu", "Chỉ sản phẩm bán theo cân mới có mã cân (PLU).")
    elif plu is not None:
        query = select(Product).where(Product.scale_plu == plu)
        if product is not None:
            query = query.where(Product.id != product.id)
        if (owner := session.exec(query).first()) is not None:
            errors.add("scale_plu", f"Mã cân {plu} đã dùng cho sản phẩm “{owner.name}” (SKU {owner.sku}).")
    clean["scale_plu"] = plu if plu and plu > 0 else None


def _has_movements(session: Session, product: Product) -> bool:
    return (
        session.exec(select(StockMovement.id).where(StockMovement.product_id == product.id).limit(1)).first()
        is not None
    )


def product_payload(product: Product, producer_uuid: Any, story: Story | None = None) -> Fields:
    """The outbox record of a product (kind 'product', version 2: with how it is sold and its story)."""
    expiry = product.ocop_cert_expiry
    return {
        "uuid": str(product.uuid),
        "producer_uuid": str(producer_uuid),
        "sku": product.sku,
        "barcode": product.barcode,
        "name": product.name,
        "unit": product.unit,
        "price_vnd": product.price_vnd,
        "vat_class": product.vat_class,
        "ocop_group": product.ocop_group,
        "ocop_stars": product.ocop_stars,
        "ocop_cert_number": product.ocop_cert_number,
        "ocop_cert_expiry": expiry.isoformat() if expiry else None,
        "central_uuid": str(product.central_uuid) if product.central_uuid else None,
        "is_active": product.is_active,
        "sold_by": product.sold_by,
        **{name: getattr(story or Story(), name) for name in STORY_FIELDS},
    }


def free_sku(session: Session, wanted: str) -> str:
    """``wanted`` if no product of this showroom uses it yet, else it with a suffix (-2, -3 …)."""
    candidate, n = wanted[:40], 1
    while session.exec(select(Product.id).where(Product.sku == candidate)).first() is not None:
        n += 1
        candidate = f"{wanted[:36]}-{n}"
    return candidate


def enqueue_product(session: Session, product: Product) -> None:
    """Put the product's record (with its producer's UUID and its story) in the outbox for the central server."""
    producer = session.get(Producer, product.producer_id)
    assert producer is not None  # the foreign key guarantees it
    story = get_story(session, product.id) if product.id is not None else None  # type: ignore[arg-type]
    enqueue(session, "product", product.uuid, dict(product_payload(product, producer.uuid, story)))


def create_product(
    session: Session, data: ProductInput, actor_id: int | None = None, instore_prefix: str = DEFAULT_INSTORE_PREFIX
) -> Product:
    """Add a product; a blank SKU or barcode gets a fresh one (in-store EAN-13 from the counter)."""
    clean = validate_product(session, data, None)
    clean["sku"] = clean["sku"] or next_sku(session)
    clean["barcode"] = clean["barcode"] or assign_instore_barcode(session, instore_prefix)
    story = clean.pop("story", None)
    product = Product(**clean)
    session.add(product)
    session.flush()
    if story is not None:
        save_story(session, product.id, story, actor_id)  # type: ignore[arg-type]
    audit.record(
        session,
        "product.create",
        user_id=actor_id,
        entity="product",
        entity_id=product.id,
        after={"name": product.name, "sku": product.sku, "barcode": product.barcode, "price_vnd": product.price_vnd},
    )
    enqueue_product(session, product)
    return product


def update_product(
    session: Session,
    product_id: int,
    data: ProductInput,
    actor_id: int | None = None,
    instore_prefix: str = DEFAULT_INSTORE_PREFIX,
) -> Product:
    """Edit a product; a price change is audited with its before and after."""
    product = get_product(session, product_id)
    clean = validate_product(session, data, product)
    clean["sku"] = clean["sku"] or product.sku
    if not clean["barcode"]:
        # Clearing a maker's code gives an in-store one; an in-store code already on labels is kept.
        keep = product.barcode if product.barcode and is_instore(product.barcode) else None
        clean["barcode"] = keep or assign_instore_barcode(session, instore_prefix)
    story = clean.pop("story", None)
    _apply_edit(session, product, clean, "price_vnd", "product.price", actor_id)
    if story is not None:
        save_story(session, product_id, story, actor_id)
    enqueue_product(session, product)
    return product


def get_product(session: Session, product_id: int | str | None) -> Product:
    """The product with this id, or NotFound."""
    wanted = parse_id(product_id if isinstance(product_id, int) else str(product_id or ""))
    product = session.get(Product, wanted) if wanted else None
    if product is None:
        raise NotFound("Không tìm thấy sản phẩm.", "product_id")
    return product


def find_by_barcode(session: Session, code: str) -> Product | None:
    """The product a scanned code belongs to (a UPC-A matches its 13-digit form too), or None."""
    code = "".join(nfc(code).split())
    if not code or not code.isdigit():
        return None
    return session.exec(select(Product).where(Product.barcode.in_(barcode_variants(code)))).first()  # type: ignore[union-attr]


def find_by_code(session: Session, code: str) -> Product | None:
    """The product a scanned barcode or a typed SKU names, or None."""
    product = find_by_barcode(session, code)
    text = nfc(code)
    if product is None and text:
        product = session.exec(select(Product).where(func.upper(Product.sku) == text.upper())).first()
    return product


@dataclass(frozen=True)
class ProductRow:
    """A product as listed: with its producer's name and stock on hand."""

    product: Product
    producer_name: str
    on_hand: int
    min_stock: int

    @property
    def is_low(self) -> bool:
        """On hand at or below the reorder point."""
        return self.on_hand <= self.min_stock


def _search_filters(
    q: str,
    producer_id: int | None,
    stars: int | None,
    low_stock: bool,
    group: str | None,
    active: bool | None,
    low_stock_default: int,
) -> list[Any]:
    on_hand = func.coalesce(StockLevel.qty, 0)
    conditions: list[Any] = []
    text = nfc(q)
    if text:
        key = fold(text)
        code = "".join(text.split())
        matches = [Product.name_search.contains(key, autoescape=True)] if key else []
        matches.append(func.upper(Product.sku).startswith(text.upper(), autoescape=True))
        if code.isdigit():
            matches.append(Product.barcode.in_(barcode_variants(code)))  # type: ignore[union-attr]
        conditions.append(or_(*matches))
    if producer_id:
        conditions.append(Product.producer_id == producer_id)
    if stars:
        conditions.append(Product.ocop_stars == stars)
    if group:
        conditions.append(Product.ocop_group == group)
    if active is not None:
        conditions.append(Product.is_active == active)
    if low_stock:
        conditions.append(on_hand <= min_stock_column(Product.min_stock, Product.sold_by, low_stock_default))
    return conditions


def search_products(
    session: Session,
    q: str = "",
    producer_id: int | None = None,
    stars: int | None = None,
    low_stock: bool = False,
    group: str | None = None,
    active: bool | None = True,
    limit: int = 50,
    offset: int = 0,
    low_stock_default: int = 5,
) -> list[ProductRow]:
    """Products matching a name (with or without diacritics), an exact barcode or a SKU prefix, and filters."""
    conditions = _search_filters(q, producer_id, stars, low_stock, group, active, low_stock_default)
    query = (
        select(Product, Producer.name, func.coalesce(StockLevel.qty, 0))
        .join(Producer, Producer.id == Product.producer_id)  # type: ignore[arg-type]
        .outerjoin(StockLevel, StockLevel.product_id == Product.id)  # type: ignore[arg-type]
        .where(*conditions)
        .order_by(Product.name_search, Product.id)
        .limit(limit)
        .offset(offset)
    )
    return [
        ProductRow(product, name, int(qty), min_stock(product.min_stock, product.sold_by, low_stock_default))
        for product, name, qty in session.exec(query)
    ]


def count_products(
    session: Session,
    q: str = "",
    producer_id: int | None = None,
    stars: int | None = None,
    low_stock: bool = False,
    group: str | None = None,
    active: bool | None = True,
    low_stock_default: int = 5,
) -> int:
    """How many products search_products would list without paging."""
    conditions = _search_filters(q, producer_id, stars, low_stock, group, active, low_stock_default)
    query = (
        select(func.count())
        .select_from(Product)
        .outerjoin(StockLevel, StockLevel.product_id == Product.id)  # type: ignore[arg-type]
        .where(*conditions)
    )
    return int(session.exec(query).one())
