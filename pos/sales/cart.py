"""Carts at the till, kept in the database so a reload or a browser crash loses nothing.

Each cashier has one active cart; parked carts wait for the customer to come back. Prices are never
stored on a cart: every view re-prices it from the catalogue and the VAT table of the day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, delete, func, or_
from sqlmodel import Session, select

from pos.audit import log as audit
from pos.auth.models import User
from pos.auth.services import authenticate
from pos.barcodes import BarcodeError, normalize_barcode
from pos.catalog.models import Product
from pos.db import parse_id, utcnow
from pos.errors import Forbidden, NotFound, ValidationError
from pos.inventory.ledger import on_hand
from pos.inventory.models import StockLevel
from pos.money import BP, format_bp, format_vnd
from pos.sales import pricing
from pos.sales.models import Cart, CartLine
from pos.sales.pricing import Discount, DiscountLimits, LineInput, PricedSale
from pos.sales.vat import missing_rate, rates_on
from pos.text import fold, nfc

QTY_MAX = 9999
SEARCH_LIMIT = 20


class ApprovalRequired(Forbidden):
    """A discount above the cashier's limit: the page asks for a manager's credentials and retries."""


@dataclass(frozen=True)
class CartItem:
    """A cart line with its product and the product's stock on hand, as priced together."""

    line: CartLine
    product: Product
    on_hand: int = 0


def get_or_create_active_cart(session: Session, cashier_id: int) -> Cart:
    """The cashier's active cart, created empty if there is none."""
    return active_cart_items(session, cashier_id, with_items=False)[0]


def active_cart_items(session: Session, cashier_id: int, with_items: bool = True) -> tuple[Cart, list[CartItem]]:
    """The cashier's active cart (created empty if there is none) and its items; a new cart needs no read."""
    cart = session.exec(
        select(Cart).where(Cart.cashier_id == cashier_id, Cart.status == "active").order_by(Cart.id)  # type: ignore[arg-type]
    ).first()
    if cart is None:
        cart = Cart(cashier_id=cashier_id)
        session.add(cart)
        session.flush()
        return cart, []
    return cart, _items(session, cart) if with_items else []


def get_cart(session: Session, cart_id: int, cashier_id: int) -> Cart:
    """One of this cashier's carts; NotFound for anyone else's or a sold one."""
    wanted = parse_id(cart_id)
    cart = session.get(Cart, wanted) if wanted else None
    if cart is None or cart.cashier_id != cashier_id:
        raise NotFound("Không tìm thấy đơn hàng này (có thể đã thanh toán). Hãy tải lại trang.", "cart")
    return cart


def _touch(cart: Cart) -> None:
    cart.updated_at = utcnow()


def _check_qty(qty: Any) -> int:
    """A quantity a till can sell: an integer from 1 to 9999."""
    if isinstance(qty, bool) or not isinstance(qty, int):
        raise ValidationError("Số lượng phải là số nguyên.", "qty")
    if qty <= 0:
        raise ValidationError("Số lượng phải lớn hơn 0. Muốn bỏ sản phẩm thì bấm “Xóa”.", "qty")
    if qty > QTY_MAX:
        raise ValidationError(f"Số lượng tối đa cho một dòng là {QTY_MAX}.", "qty")
    return qty


def find_by_code(session: Session, raw: str) -> Product:
    """The product a scanned or typed code names: an EAN-13/EAN-8/UPC-A barcode, or a SKU."""
    return _find(session, raw)[0]


def _find(session: Session, raw: str) -> tuple[Product, int]:
    """find_by_code, with the product's stock on hand read in the same query."""
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
        return _sellable(row[0]), int(row[1] or 0)
    try:
        code = normalize_barcode(text)
    except BarcodeError as exc:
        raise ValidationError(f"{exc} (mã đã quét: {text[:20]}).", "code") from exc
    candidates = {code}
    if len(code) == 12:  # a UPC-A and its EAN-13 form with a leading zero name the same product
        candidates.add("0" + code)
    elif len(code) == 13 and code.startswith("0"):
        candidates.add(code[1:])
    row = session.exec(with_stock.where(Product.barcode.in_(candidates))).first()  # type: ignore[union-attr]
    if row is None:
        raise NotFound(f"Không tìm thấy sản phẩm có mã vạch {code}.", "code")
    return _sellable(row[0]), int(row[1] or 0)


def _sellable(product: Product) -> Product:
    if not product.is_active:
        raise ValidationError(f"Sản phẩm “{product.name}” đã ngừng bán.", "code")
    return product


def _add(
    session: Session, cart: Cart, product: Product, qty: int, stock: int | None = None
) -> tuple[CartLine, list[CartItem]]:
    """Add ``qty`` of a product (``stock`` on hand, if already read): a new line, or more on its line.

    Returns the line and the cart's items as they now stand.
    """
    qty = _check_qty(qty)
    # The cart is read once, with its products and stock: the line to add to is found in it, and the
    # same items go on to price the cart for the answer (a scan is the till's most frequent request).
    items = _items(session, cart)
    item = next((i for i in items if i.line.product_id == product.id), None)
    if item is None:
        line = CartLine(cart_id=cart.id, product_id=product.id, qty=qty)  # type: ignore[arg-type]
        session.add(line)
    else:
        line = item.line
        line.qty = _check_qty(line.qty + qty)
        _check_line_discount(line, product)
    _touch(cart)
    session.flush()
    if item is None:
        items.append(CartItem(line, product, on_hand(session, product.id) if stock is None else stock))  # type: ignore[arg-type]
    return line, items


def scan(session: Session, cart: Cart, code: str, qty: int = 1) -> CartLine:
    """Ring up a scanned code; a bad or unknown code raises and leaves the cart as it was."""
    return scan_items(session, cart, code, qty)[0]


def scan_items(session: Session, cart: Cart, code: str, qty: int = 1) -> tuple[CartLine, list[CartItem]]:
    """scan(), also giving the cart's items as they now stand, so the answer needs no second read."""
    product, stock = _find(session, code)
    return _add(session, cart, product, qty, stock)


def add_product(session: Session, cart: Cart, product_id: int, qty: int = 1) -> CartLine:
    """Ring up a product picked from the name search."""
    wanted = parse_id(product_id) if isinstance(product_id, int) else None
    product = session.get(Product, wanted) if wanted else None
    if product is None:
        raise NotFound("Không tìm thấy sản phẩm.", "product_id")
    return _add(session, cart, _sellable(product), qty)[0]


def _line(session: Session, cart: Cart, line_id: Any) -> CartLine:
    wanted = parse_id(line_id) if isinstance(line_id, int) else None
    line = session.get(CartLine, wanted) if wanted else None
    if line is None or line.cart_id != cart.id:
        raise NotFound("Dòng này không còn trong đơn. Hãy tải lại trang.", "line")
    return line


def _line_discount(line: CartLine) -> Discount | None:
    return Discount(line.discount_kind, line.discount_value) if line.discount_kind else None


def _sale_discount(cart: Cart) -> Discount | None:
    return Discount(cart.discount_kind, cart.discount_value) if cart.discount_kind else None


def _check_line_discount(line: CartLine, product: Product) -> None:
    """A line's discount may never exceed the line, whatever its quantity becomes."""
    pricing.discount_amount(pricing.line_gross(line.qty, product.price_vnd), _line_discount(line))


def set_qty(session: Session, cart: Cart, line_id: int, qty: Any) -> CartLine:
    """Set a line's quantity (1 to 9999); removing a line is its own action."""
    line = _line(session, cart, line_id)
    line.qty = _check_qty(qty)
    product = session.get(Product, line.product_id)
    assert product is not None
    _check_line_discount(line, product)
    _touch(cart)
    session.flush()
    _check_sale_discount(session, cart)
    return line


def remove_line(session: Session, cart: Cart, line_id: int) -> None:
    """Take a line off the cart."""
    session.delete(_line(session, cart, line_id))
    session.flush()
    if not _items(session, cart):
        _clear_sale_discount(cart)  # a discount on nothing would block the next sale
    _touch(cart)
    _check_sale_discount(session, cart)


def clear_cart(session: Session, cart: Cart) -> None:
    """Empty the cart (the customer left without buying)."""
    session.execute(delete(CartLine).where(CartLine.cart_id == cart.id))  # type: ignore[arg-type]
    _clear_sale_discount(cart)
    _touch(cart)
    session.flush()


def _clear_sale_discount(cart: Cart) -> None:
    cart.discount_kind, cart.discount_value, cart.discount_approved_by_id = "", 0, None


def _check_sale_discount(session: Session, cart: Cart) -> None:
    """Re-price without VAT to make sure the sale discount still fits under what remains."""
    items = _items(session, cart)
    pricing.discount_amount(_sale_base(items), _sale_discount(cart))


def _sale_base(items: list[CartItem]) -> int:
    """What a sale discount applies to: every line after its own discount."""
    total = 0
    for item in items:
        gross = pricing.line_gross(item.line.qty, item.product.price_vnd)
        total += gross - pricing.discount_amount(gross, _line_discount(item.line))
    return total


def approve_discount(session: Session, username: str, password: str) -> User:
    """The manager whose credentials were typed at the till to approve a discount."""
    user = authenticate(session, username or "", password or "")
    if user is None:
        raise Forbidden("Tên đăng nhập hoặc mật khẩu của quản lý không đúng.", "approval")
    if not user.has_role("manager"):
        raise Forbidden(f"Tài khoản “{user.username}” không phải quản lý, không được duyệt giảm giá.", "approval")
    return user


def _authorize(
    session: Session,
    cart: Cart,
    discount: Discount | None,
    base_vnd: int,
    *,
    what: str,
    limits: DiscountLimits,
    actor_id: int,
    actor_is_manager: bool,
    approver: User | None,
) -> int | None:
    """Who approved a discount above the cashier's limit (None if it needs no approval); audited."""
    if discount is None or not pricing.needs_approval(discount, base_vnd, limits):
        return None
    if actor_is_manager:
        approved_by = actor_id
    elif approver is None:
        raise ApprovalRequired(
            f"Giảm giá {_describe(discount, base_vnd)} vượt hạn mức {format_bp(limits.cashier_bp)} của thu ngân: "
            "cần quản lý duyệt.",
            "approval",
        )
    else:
        approved_by = approver.id  # type: ignore[assignment]
    audit.record(
        session,
        "discount.approve",
        user_id=approved_by,
        entity="cart",
        entity_id=cart.id,
        after={
            "on": what,
            "kind": discount.kind,
            "value": discount.value,
            "amount_vnd": pricing.discount_amount(base_vnd, discount),
            "base_vnd": base_vnd,
            "cashier_id": actor_id,
        },
    )
    return approved_by


def _describe(discount: Discount, base_vnd: int) -> str:
    """'15%' or '30.000 ₫ (15%)' for messages."""
    if discount.kind == "percent":
        return format_bp(discount.value)
    percent = discount.value * BP // base_vnd if base_vnd else 0
    return f"{format_vnd(discount.value)} (khoảng {format_bp(percent)})"


def set_line_discount(
    session: Session,
    cart: Cart,
    line_id: int,
    discount: Discount | None,
    *,
    limits: DiscountLimits,
    actor_id: int,
    actor_is_manager: bool = False,
    approver: User | None = None,
) -> CartLine:
    """Set (or with None, remove) a line's discount; above the cashier's limit a manager must approve."""
    line = _line(session, cart, line_id)
    product = session.get(Product, line.product_id)
    assert product is not None
    base = pricing.line_gross(line.qty, product.price_vnd)
    approved_by = _authorize(
        session,
        cart,
        discount,
        base,
        what=f"line:{product.sku}",
        limits=limits,
        actor_id=actor_id,
        actor_is_manager=actor_is_manager,
        approver=approver,
    )
    line.discount_kind = discount.kind if discount else ""
    line.discount_value = discount.value if discount else 0
    line.discount_approved_by_id = approved_by
    _touch(cart)
    session.flush()
    _check_sale_discount(session, cart)
    return line


def set_sale_discount(
    session: Session,
    cart: Cart,
    discount: Discount | None,
    *,
    limits: DiscountLimits,
    actor_id: int,
    actor_is_manager: bool = False,
    approver: User | None = None,
) -> Cart:
    """Set (or with None, remove) the discount on the whole sale, spread over the lines when priced."""
    items = _items(session, cart)
    if discount is not None and not items:
        raise ValidationError("Đơn chưa có sản phẩm nào để giảm giá.", "discount_value")
    approved_by = _authorize(
        session,
        cart,
        discount,
        _sale_base(items),
        what="sale",
        limits=limits,
        actor_id=actor_id,
        actor_is_manager=actor_is_manager,
        approver=approver,
    )
    cart.discount_kind = discount.kind if discount else ""
    cart.discount_value = discount.value if discount else 0
    cart.discount_approved_by_id = approved_by
    _touch(cart)
    session.flush()
    return cart


def park(session: Session, cart: Cart, label: str = "") -> Cart:
    """Put the sale aside (lưu tạm) and give the cashier a new empty cart."""
    if not _items(session, cart):
        raise ValidationError("Đơn đang trống, không có gì để lưu tạm.", "cart")
    cart.status = "parked"
    cart.label = nfc(label)[:80]
    _touch(cart)
    session.flush()
    return get_or_create_active_cart(session, cart.cashier_id)


def resume(session: Session, cashier_id: int, cart_id: int) -> Cart:
    """Bring a parked sale back; the sale on screen is parked in its place (or dropped if empty)."""
    target = get_cart(session, cart_id, cashier_id)
    if target.status != "parked":
        raise NotFound("Đơn này không nằm trong danh sách lưu tạm.", "cart")
    current = session.exec(select(Cart).where(Cart.cashier_id == cashier_id, Cart.status == "active")).all()
    for cart in current:
        if _items(session, cart):
            cart.status = "parked"
            cart.label = cart.label or "Đơn đang bán dở"
        else:
            delete_cart(session, cart)
    target.status = "active"
    _touch(target)
    session.flush()
    return target


def delete_cart(session: Session, cart: Cart) -> None:
    """Remove a cart and its lines (after the sale, or an empty cart)."""
    session.execute(delete(CartLine).where(CartLine.cart_id == cart.id))  # type: ignore[arg-type]
    session.delete(cart)
    session.flush()


def list_parked(session: Session, cashier_id: int, today: date) -> list[dict[str, Any]]:
    """This cashier's parked sales, newest first, with their item count and total."""
    carts = session.exec(
        select(Cart).where(Cart.cashier_id == cashier_id, Cart.status == "parked").order_by(Cart.updated_at.desc())  # type: ignore[attr-defined]
    ).all()
    rates = rates_on(session, today)
    parked = []
    for cart in carts:
        items = _items(session, cart)
        priced = _price(items, _sale_discount(cart), rates, today)
        parked.append(
            {
                "id": cart.id,
                "label": cart.label,
                "parked_at": cart.updated_at.isoformat(),
                "items": sum(item.line.qty for item in items),
                "names": ", ".join(item.product.name for item in items[:3]) + ("…" if len(items) > 3 else ""),
                "total_vnd": priced.total_vnd,
            }
        )
    return parked


def count_parked(session: Session, cashier_id: int) -> int:
    """How many sales this cashier has parked."""
    return int(session.scalar(select(func.count()).where(Cart.cashier_id == cashier_id, Cart.status == "parked")) or 0)


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


def _items(session: Session, cart: Cart) -> list[CartItem]:
    rows = session.exec(
        select(CartLine, Product, StockLevel.qty)
        .join(Product, Product.id == CartLine.product_id)  # type: ignore[arg-type]
        .outerjoin(StockLevel, StockLevel.product_id == CartLine.product_id)  # type: ignore[arg-type]
        .where(CartLine.cart_id == cart.id)
        .order_by(CartLine.id)  # type: ignore[arg-type]
    ).all()
    return [CartItem(line, product, int(qty or 0)) for line, product, qty in rows]


def cart_items(session: Session, cart: Cart) -> list[CartItem]:
    """The cart's lines with their products, in the order they were rung up."""
    return _items(session, cart)


def _price(items: list[CartItem], sale_discount: Discount | None, rates: dict[str, int], today: date) -> PricedSale:
    inputs = []
    for item in items:
        if item.product.vat_class not in rates:
            raise missing_rate(item.product.vat_class, today)
        rate = rates[item.product.vat_class]
        inputs.append(LineInput(item.line.qty, item.product.price_vnd, rate, _line_discount(item.line)))
    return pricing.price_sale(inputs, sale_discount)


def price_cart(
    session: Session, cart: Cart, on: date, items: list[CartItem] | None = None
) -> tuple[list[CartItem], PricedSale]:
    """The cart's lines (read now unless given) priced with today's catalogue prices and the VAT rates of ``on``."""
    if items is None:
        items = _items(session, cart)
    return items, _price(items, _sale_discount(cart), rates_on(session, on), on)


def unapproved_discounts(items: list[CartItem], cart: Cart, limits: DiscountLimits) -> dict[int | None, str]:
    """{line id (None for the whole sale): name} of discounts above the cashier's limit with no approval.

    A discount within the limit can drift above it when the quantity under an amount discount falls.
    """
    found: dict[int | None, str] = {}
    for item in items:
        discount = _line_discount(item.line)
        base = pricing.line_gross(item.line.qty, item.product.price_vnd)
        if (
            discount
            and item.line.discount_approved_by_id is None
            and pricing.exceeds_limit(discount, base, limits.cashier_bp)
        ):
            found[item.line.id] = item.product.name
    discount = _sale_discount(cart)
    if (
        discount
        and cart.discount_approved_by_id is None
        and pricing.exceeds_limit(discount, _sale_base(items), limits.cashier_bp)
    ):
        found[None] = "giảm giá cả đơn"
    return found


def cart_view(
    session: Session,
    cart: Cart,
    today: date,
    limits: DiscountLimits,
    allow_negative: bool = True,
    items: list[CartItem] | None = None,
) -> dict[str, Any]:
    """The cart as the till page shows it: every figure computed here, as plain JSON-ready values.

    ``items`` are the cart's items as a change just left them (scan_items); without them they are read.
    """
    items, priced = price_cart(session, cart, today, items)
    unapproved = unapproved_discounts(items, cart, limits)
    lines = []
    for item, p in zip(items, priced.lines, strict=True):
        product, line, stock = item.product, item.line, item.on_hand
        lines.append(
            {
                "id": line.id,
                "product_id": product.id,
                "name": product.name,
                "sku": product.sku,
                "barcode": product.barcode,
                "unit": product.unit,
                "qty": line.qty,
                "unit_price_vnd": p.unit_price_vnd,
                "gross_vnd": p.gross_vnd,
                "discount": {"kind": line.discount_kind, "value": line.discount_value} if line.discount_kind else None,
                "discount_approved": line.discount_approved_by_id is not None,
                "line_discount_vnd": p.line_discount_vnd,
                "sale_discount_vnd": p.sale_discount_vnd,
                "total_vnd": p.total_vnd,
                "vat_rate_bp": p.vat_rate_bp,
                "vat_vnd": p.vat_vnd,
                "on_hand": stock,
                "short": not allow_negative and line.qty > stock,
                "needs_approval": line.id in unapproved,
            }
        )
    return {
        "id": cart.id,
        "uuid": str(cart.uuid),
        "label": cart.label,
        "lines": lines,
        "items": sum(line.qty for line in (item.line for item in items)),
        "subtotal_vnd": priced.subtotal_vnd,
        "line_discount_vnd": priced.line_discount_vnd,
        "sale_discount": {"kind": cart.discount_kind, "value": cart.discount_value} if cart.discount_kind else None,
        "sale_discount_approved": cart.discount_approved_by_id is not None,
        "sale_discount_vnd": priced.sale_discount_vnd,
        "discount_vnd": priced.discount_vnd,
        "total_vnd": priced.total_vnd,
        "vat": [
            {
                "rate_bp": part.rate_bp,
                "rate": format_bp(part.rate_bp),
                "gross_vnd": part.gross_vnd,
                "vat_vnd": part.vat_vnd,
            }
            for part in priced.vat
        ],
        "vat_vnd": priced.vat_vnd,
        "cash_suggestions": pricing.cash_suggestions(priced.total_vnd),
        "needs_approval": bool(unapproved),
        "parked_count": count_parked(session, cart.cashier_id),
        "vat_date": today.isoformat(),
    }
