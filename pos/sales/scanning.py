"""What a scan at the till names, and ringing it up: a barcode (EAN-13/EAN-8/UPC-A), a SKU, or a name search.

A bad or unknown code raises a clear message and leaves the cart as it was.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import and_, func, or_
from sqlmodel import Session, select

from pos.barcodes import BarcodeError, normalize_barcode
from pos.catalog.models import Product
from pos.catalog.services import barcode_variants
from pos.db import parse_id
from pos.errors import NotFound, ValidationError
from pos.inventory.lots import check_scan, get_lot, lot_by_barcode
from pos.inventory.models import Lot, StockLevel
from pos.sales.cart import CartItem, add_item, cart_line, touch
from pos.sales.models import Cart, CartLine
from pos.text import fold, nfc

SEARCH_LIMIT = 20


def find_scanned(session: Session, raw: str) -> tuple[Product, int]:
    """The sellable product a scanned or typed code names, with its stock on hand read in the same query."""
    product, stock, _lot = _find(session, raw)
    return product, stock


def _find(session: Session, raw: str) -> tuple[Product, int, Lot | None]:
    """find_scanned, and the lot when the code is a lot's own label."""
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
        return _sellable(row[0]), int(row[1] or 0), None
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
    return _sellable(row[0]), int(row[1] or 0), lot


def _sellable(product: Product) -> Product:
    if not product.is_active:
        raise ValidationError(f"Sản phẩm “{product.name}” đã ngừng bán.", "code")
    return product


def scan(session: Session, cart: Cart, code: str, qty: int = 1, today: date | None = None) -> CartLine:
    """Ring up a scanned code; a bad or unknown code raises and leaves the cart as it was."""
    return scan_items(session, cart, code, qty, today)[0]


def scan_items(
    session: Session, cart: Cart, code: str, qty: int = 1, today: date | None = None
) -> tuple[CartLine, list[CartItem]]:
    """scan(), also giving the cart's items as they now stand, so the answer needs no second read.

    With ``today``, a lot the till may not sell (expired, recalled) is refused at the scan.
    """
    product, stock, lot = _find(session, code)
    if today is not None:
        check_scan(session, product, lot, today)
    return add_item(session, cart, product, qty, stock, lot.id if lot else None)


def add_product(session: Session, cart: Cart, product_id: int, qty: int = 1, today: date | None = None) -> CartLine:
    """Ring up a product picked from the name search."""
    wanted = parse_id(product_id) if isinstance(product_id, int) else None
    product = session.get(Product, wanted) if wanted else None
    if product is None:
        raise NotFound("Không tìm thấy sản phẩm.", "product_id")
    if today is not None:
        check_scan(session, product, None, today)
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
    """Active products whose name holds every word typed, with or without diacritics (or SKU/barcode)."""
    words = fold(query).split()
    if not words:
        return []
    exact = "".join(nfc(query).split())
    by_name = [Product.name_search.like(f"%{_escape_like(word)}%", escape="\\") for word in words]  # type: ignore[attr-defined]
    statement = (
        select(Product)
        .where(Product.is_active, or_(and_(*by_name), Product.sku == exact.upper(), Product.barcode == exact))
        .order_by(Product.name_search)
        .limit(limit)
    )
    return list(session.exec(statement).all())


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
