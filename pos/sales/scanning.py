"""What a scan at the till names, and ringing it up: a barcode (EAN-13/EAN-8/UPC-A), a SKU, or a name search.

A bad or unknown code raises a clear message and leaves the cart as it was.

A code is looked up among the stored barcodes first (so in-store codes made in 20–29 before they moved to 04
keep working), then among lots' labels, then read as a weighing scale's label when its prefix is one the
scale layouts in config.toml cover: the item code names the product by its scale PLU, the label gives the
weight in grams (or the price, from which the weight is worked back at the product's price per kg).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, case, func, or_
from sqlmodel import Session, select

from pos.barcodes import BarcodeError, ScaleLabel, ScaleLayout, layout_for, normalize_barcode, parse_scale_label
from pos.catalog.models import Product
from pos.catalog.services import barcode_variants
from pos.db import parse_id
from pos.errors import NotFound, ValidationError
from pos.inventory.lots import check_scan, get_lot, lot_by_barcode
from pos.inventory.models import Lot, StockLevel
from pos.money import div_round
from pos.quantity import (
    GRAMS_PER_KG,
    WeightError,
    check_weight,
    format_unit_price,
    is_weighed,
    parse_weight,
)
from pos.sales.cart import CartItem, add_item, cart_line, touch
from pos.sales.models import Cart, CartLine
from pos.text import fold, nfc

SEARCH_LIMIT = 20


@dataclass(frozen=True)
class Scanned:
    """What a code named: the product, its stock on hand, the lot of a lot label, the reading of a scale label."""

    product: Product
    stock: int
    lot: Lot | None = None
    scale: ScaleLabel | None = None


def find_scanned(session: Session, raw: str, layouts: Sequence[ScaleLayout] = ()) -> tuple[Product, int]:
    """The sellable product a scanned or typed code names, with its stock on hand read in the same query."""
    found = _find(session, raw, layouts)
    return found.product, found.stock


def _find(session: Session, raw: str, layouts: Sequence[ScaleLayout] = ()) -> Scanned:
    """find_scanned, with the lot when the code is a lot's own label and the reading of a scale label."""
    with_stock = select(Product, StockLevel.qty).outerjoin(
        StockLevel,
        StockLevel.product_id == Product.id,  # type: ignore[arg-type]
    )
    text = "".join(nfc(raw).split())
    if not text:
        raise ValidationError("Chưa nhập mã vạch.", "code")
    if not text.isdigit():
        # Unlabelled goods are sometimes rung up by their SKU; anything else is a bad scan.
        row = session.exec(with_stock.where(func.upper(Product.sku) == text.upper())).first()
        if row is None:
            raise ValidationError(
                f"Mã “{text[:40]}” không phải mã vạch hợp lệ (mã vạch chỉ gồm chữ số). Tìm theo tên bằng F2.",
                "code",
            )
        return Scanned(_sellable(row[0]), int(row[1] or 0))
    if (reading := scale_reading(session, text, layouts)) is not None:
        product_id, label = reading
        row = session.exec(with_stock.where(Product.id == product_id)).one()
        return Scanned(_sellable(row[0]), int(row[1] or 0), None, label)
    try:
        code = normalize_barcode(text)
    except BarcodeError as exc:
        raise ValidationError(f"{exc} (mã đã quét: {text[:20]}).", "code") from exc
    row = session.exec(with_stock.where(Product.barcode.in_(barcode_variants(code)))).first()  # type: ignore[union-attr]
    lot = None
    if row is None and (lot := lot_by_barcode(session, code)) is not None:
        row = session.exec(with_stock.where(Product.id == lot.product_id)).first()
    if row is None:
        raise NotFound(f"Không tìm thấy sản phẩm có mã vạch {code}.", "code")
    return Scanned(_sellable(row[0]), int(row[1] or 0), lot)


def _sellable(product: Product) -> Product:
    if not product.is_active:
        raise ValidationError(f"Sản phẩm “{product.name}” đã ngừng bán.", "code")
    return product


def scan(
    session: Session,
    cart: Cart,
    code: str,
    qty: int = 1,
    today: date | None = None,
    *,
    weight: str | None = None,
    layouts: Sequence[ScaleLayout] = (),
) -> CartLine:
    """Ring up a scanned code; a bad or unknown code raises and leaves the cart as it was."""
    return scan_items(session, cart, code, qty, today, weight=weight, layouts=layouts)[0]


def scan_items(
    session: Session,
    cart: Cart,
    code: str,
    qty: int = 1,
    today: date | None = None,
    *,
    weight: str | None = None,
    layouts: Sequence[ScaleLayout] = (),
) -> tuple[CartLine, list[CartItem]]:
    """scan(), also giving the cart's items as they now stand, so the answer needs no second read.

    With ``today``, a lot the till may not sell (expired, recalled) is refused at the scan. Goods sold by
    weight take their grams from the scale's label, or from ``weight`` as the cashier typed it ("350" grams,
    "0,35" kg); a product sold by weight scanned by its own code with no weight is refused with what to do.
    """
    found = _find(session, code, layouts)
    product = found.product
    if today is not None:
        check_scan(session, product, found.lot, today)
    if found.scale is not None:
        qty = label_grams(product, found.scale)
    elif is_weighed(product.sold_by):
        qty = _typed_grams(product, weight, code)
    elif weight is not None and not (weight.isascii() and weight.isdigit()):
        raise ValidationError(f"Số lượng “{weight[:12]}” phải là số nguyên: “{product.name}” bán theo cái.", "qty")
    return add_item(session, cart, product, qty, found.stock, found.lot.id if found.lot else None)


def scale_reading(session: Session, code: str, layouts: Sequence[ScaleLayout]) -> tuple[int, ScaleLabel] | None:
    """The product a weighing scale's label names (by its PLU) and the label's reading; None for a code that is
    no scale label (outside the configured prefixes, or a code stored on a product: in-store codes made in
    20–29 before the move win). A bad check digit or an unknown PLU raises, saying which."""
    text = "".join(nfc(code).split())
    if not text.isdigit() or layout_for(text, layouts) is None:
        return None
    if session.exec(select(Product.id).where(Product.barcode == text)).first() is not None:
        return None
    try:
        label = parse_scale_label(text, layouts)
    except BarcodeError as exc:
        raise ValidationError(f"{exc}.", "code") from exc
    assert label is not None
    product_id = session.exec(select(Product.id).where(Product.scale_plu == label.item_code)).first()
    if product_id is None:
        raise NotFound(
            f"Tem cân {text}: không có sản phẩm nào mang mã cân (PLU) {label.item_code}. "
            "Kiểm tra mã hàng đã cài trên cân với mã cân của sản phẩm.",
            "code",
        )
    return product_id, label  # type: ignore[return-value]


def _typed_grams(product: Product, weight: str | None, code: str = "") -> int:
    """The weight the cashier typed for a product sold by weight, in grams; refused when missing or absurd."""
    if weight is None or not weight.strip():
        example = "".join(code.split())[:20] or "mã"
        raise ValidationError(
            f"“{product.name}” bán theo cân ({format_unit_price(product.price_vnd, product.sold_by)}): "
            f"nhập khối lượng rồi quét, ví dụ 350*{example} (350 g) hoặc 0,35*{example} (0,35 kg).",
            "qty",
        )
    try:
        return parse_weight(weight)
    except WeightError as exc:
        raise ValidationError(str(exc), "qty") from exc


def label_grams(product: Product, label: ScaleLabel) -> int:
    """The grams a scale label sells: its weight, or the weight its price stands for at the product's price per kg.

    A price label carries no price per kg, so the line is the weight worked back to the gram and priced by the
    one rule (money.line_amount_vnd): it differs from the printed price by at most half a gram's price.
    """
    if not is_weighed(product.sold_by):
        raise ValidationError(
            f"Tem cân này mang mã cân của “{product.name}”, sản phẩm bán theo cái: kiểm tra mã hàng trên cân.", "code"
        )
    if label.grams is not None:
        grams = label.grams
    elif product.price_vnd <= 0:
        raise ValidationError(f"“{product.name}” chưa có giá mỗi kg.", "code")
    else:
        assert label.price_vnd is not None
        grams = div_round(label.price_vnd * GRAMS_PER_KG, product.price_vnd)
    try:
        return check_weight(grams)
    except WeightError as exc:
        raise ValidationError(f"Tem cân {label.code}: {exc}", "code") from exc


def add_product(
    session: Session,
    cart: Cart,
    product_id: int,
    qty: int = 1,
    today: date | None = None,
    *,
    weight: str | None = None,
) -> CartLine:
    """Ring up a product picked from the name search (with the weight typed, for goods sold by weight)."""
    wanted = parse_id(product_id) if isinstance(product_id, int) else None
    product = session.get(Product, wanted) if wanted else None
    if product is None:
        raise NotFound("Không tìm thấy sản phẩm.", "product_id")
    if today is not None:
        check_scan(session, product, None, today)
    if is_weighed(product.sold_by):
        qty = _typed_grams(product, weight)
    return add_item(session, cart, _sellable(product), qty)[0]


def choose_lot(session: Session, cart: Cart, line_id: int, lot_id: int | None, today: date) -> CartLine:
    """Sell a line from the lot the cashier picked (the label on the pack says so); None: first expiry first."""
    line = cart_line(session, cart, line_id)
    product = session.get(Product, line.product_id)
    assert product is not None
    if lot_id is not None:
        lot = get_lot(session, lot_id)
        if lot.product_id != product.id:
            raise ValidationError(f"Lô này không phải lô của “{product.name}”.", "lot_id")
        check_scan(session, product, lot, today)
    line.lot_id = lot_id
    touch(cart)
    session.flush()
    return line


def search_products(session: Session, query: str, limit: int = SEARCH_LIMIT) -> list[Product]:
    """Active products whose name holds every word typed, with or without diacritics (or SKU/barcode).

    Best first: the code typed, then names that start with the words ("mật ong…" before "ba kích ngâm mật ong"),
    then names holding them together, then the rest, each by name; the limit keeps the best.
    """
    words = fold(query).split()
    if not words:
        return []
    exact = "".join(nfc(query).split())
    phrase = _escape_like(" ".join(words))
    by_name = [Product.name_search.like(f"%{_escape_like(word)}%", escape="\\") for word in words]  # type: ignore[attr-defined]
    is_code = or_(Product.sku == exact.upper(), Product.barcode == exact)
    rank = case(
        (is_code, 0),
        (Product.name_search.like(f"{phrase}%", escape="\\"), 1),  # type: ignore[attr-defined]
        (Product.name_search.like(f"%{phrase}%", escape="\\"), 2),  # type: ignore[attr-defined]
        else_=3,
    )
    statement = (
        select(Product)
        .where(Product.is_active, or_(and_(*by_name), is_code))
        .order_by(rank, Product.name_search)
        .limit(limit)
    )
    return list(session.exec(statement).all())


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
