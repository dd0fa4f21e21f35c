"""Defining gift baskets, assembling them ahead and taking them apart again.

A basket is a product of its own (own barcode, price and label) whose producer is the showroom itself
(a producer of kind "shop", created on first use). Its components are other producers' products.
Assembling moves stock on the ledger (components down, basket up, kind "basket"); taking apart reverses
it. A basket sold is always recorded as its components' sale lines (see pos/baskets/sale.py), so each
producer is paid for its own goods.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, select

from pos.audit import log as audit
from pos.barcodes import DEFAULT_INSTORE_PREFIX
from pos.baskets.models import BasketComponent
from pos.catalog import services as catalog
from pos.catalog.models import Producer, Product
from pos.errors import Conflict, NotFound, ValidationError
from pos.inventory.ledger import on_hand_many, record_movements
from pos.inventory.models import StockMovement
from pos.inventory.stock import movement_payload
from pos.money import format_vnd
from pos.sync.outbox import enqueue
from pos.text import fold, nfc

MAX_COMPONENTS = 30
MAX_COMPONENT_QTY = 999
MAX_ASSEMBLE = 10_000
SHOP_KIND = "shop"


def house_producer(session: Session, showroom_name: str) -> Producer:
    """The showroom itself as the producer of its baskets (and of its own packaging), created once."""
    found = session.exec(select(Producer).where(Producer.kind == SHOP_KIND).order_by(Producer.id)).first()  # type: ignore[arg-type]
    if found is not None:
        return found
    name = nfc(showroom_name) or "Cửa hàng"
    producer = Producer(
        name=name[:200], name_search=fold(name)[:200], kind=SHOP_KIND, is_consignment=False, commission_bp=0
    )
    session.add(producer)
    session.flush()
    return producer


@dataclass(frozen=True)
class Component:
    """A component of a basket with its product."""

    product: Product
    qty: int
    is_packaging: bool


def components_of(session: Session, basket_ids: Iterable[int]) -> dict[int, list[Component]]:
    """{basket product id: its components in order}; products that are not baskets are absent."""
    ids = list(set(basket_ids))
    if not ids:
        return {}
    rows = session.exec(
        select(BasketComponent, Product)
        .join(Product, Product.id == BasketComponent.product_id)  # type: ignore[arg-type]
        .where(BasketComponent.basket_id.in_(ids))  # type: ignore[attr-defined]
        .order_by(BasketComponent.basket_id, BasketComponent.position, BasketComponent.id)  # type: ignore[arg-type]
    ).all()
    found: dict[int, list[Component]] = {}
    for component, product in rows:
        found.setdefault(component.basket_id, []).append(Component(product, component.qty, component.is_packaging))
    return found


def get_basket(session: Session, basket_id: Any) -> tuple[Product, list[Component]]:
    """A basket and its components, or NotFound."""
    product = catalog.get_product(session, basket_id)
    components = components_of(session, [product.id]).get(product.id)  # type: ignore[arg-type]
    if not components:
        raise NotFound("Sản phẩm này không phải giỏ quà.", "basket_id")
    return product, components


@dataclass
class BasketInput:
    """A basket as typed in the form: component lines are (code, qty) with the code scanned or typed."""

    name: str = ""
    price_vnd: int | str = ""
    barcode: str = ""
    components: list[tuple[str, Any]] = field(default_factory=list)
    packaging: str = ""
    is_active: bool = True


def _parse_components(
    session: Session, data: BasketInput, errors: catalog.FieldErrors
) -> list[tuple[Product, int, bool]]:
    wanted: list[tuple[str, Any, bool]] = [(code, qty, False) for code, qty in data.components]
    if nfc(data.packaging):
        wanted.append((data.packaging, 1, True))
    found: list[tuple[Product, int, bool]] = []
    seen: set[int] = set()
    for index, (raw, raw_qty, is_packaging) in enumerate(wanted):
        code = nfc(str(raw or ""))
        where = "packaging" if is_packaging else f"component_{index}"
        if not code:
            continue
        product = catalog.find_by_code(session, code)
        if product is None:
            errors.add(where, f"Không tìm thấy sản phẩm có mã “{code}”.")
            continue
        if components_of(session, [product.id]):  # type: ignore[list-item]
            errors.add(where, f"“{product.name}” là giỏ quà; giỏ không chứa giỏ khác.")
            continue
        if product.id in seen:
            errors.add(where, f"“{product.name}” đã có trong giỏ; hãy tăng số lượng của dòng đó.")
            continue
        try:
            qty = catalog.parse_int(raw_qty if raw_qty not in (None, "") else "1")
        except ValueError:
            qty = None
        if qty is None or not 1 <= qty <= MAX_COMPONENT_QTY:
            errors.add(where, f"Số lượng “{product.name}” phải là số nguyên từ 1 đến {MAX_COMPONENT_QTY}.")
            continue
        seen.add(product.id)  # type: ignore[arg-type]
        found.append((product, qty, is_packaging))
    if not any(not packaging for _, _, packaging in found) and "components" not in errors.errors:
        errors.add("components", "Giỏ quà cần ít nhất một sản phẩm.")
    if len(found) > MAX_COMPONENTS:
        errors.add("components", f"Một giỏ có tối đa {MAX_COMPONENTS} sản phẩm.")
    return found


def save_basket(
    session: Session,
    data: BasketInput,
    *,
    showroom_name: str,
    basket_id: int | None = None,
    actor_id: int | None = None,
    instore_prefix: str = DEFAULT_INSTORE_PREFIX,
) -> Product:
    """Create or edit a basket: its product (name, barcode, price) and its components; audited."""
    errors = catalog.FieldErrors()
    basket = catalog.get_product(session, basket_id) if basket_id is not None else None
    if basket is not None and not components_of(session, [basket.id]):  # type: ignore[list-item]
        raise NotFound("Sản phẩm này không phải giỏ quà.", "basket_id")
    parts = _parse_components(session, data, errors)
    product_input = catalog.ProductInput(
        name=data.name,
        producer_id=basket.producer_id if basket else house_producer(session, showroom_name).id,
        price_vnd=data.price_vnd,
        sku=basket.sku if basket else "",
        barcode=data.barcode,
        unit="giỏ",
        vat_class="standard",  # unused: each component keeps its own rate
        ocop_group="luu_niem",
        is_food=False,  # a basket is never received at intake; its components are
        is_active=data.is_active,
    )
    try:
        catalog.validate_product(session, product_input, basket)
    except ValidationError as exc:
        for name, message in exc.details.get("errors", {}).items():
            errors.add(name, message)
    errors.raise_if_any()
    if basket is None:
        basket = catalog.create_product(session, product_input, actor_id, instore_prefix)
    else:
        basket = catalog.update_product(session, basket.id, product_input, actor_id, instore_prefix)  # type: ignore[arg-type]
    session.execute(delete(BasketComponent).where(BasketComponent.basket_id == basket.id))  # type: ignore[arg-type]
    session.add_all(
        BasketComponent(basket_id=basket.id, product_id=p.id, qty=qty, is_packaging=packaging, position=i)  # type: ignore[arg-type]
        for i, (p, qty, packaging) in enumerate(parts)
    )
    session.flush()
    audit.record(
        session,
        "basket.save",
        user_id=actor_id,
        entity="product",
        entity_id=basket.id,
        after={
            "name": basket.name,
            "price_vnd": basket.price_vnd,
            "components": [{"sku": p.sku, "qty": qty, "packaging": packaging} for p, qty, packaging in parts],
        },
    )
    return basket


@dataclass(frozen=True)
class BasketRow:
    """A basket as listed: assembled on hand, how many more its components' stock allows, retail of its parts."""

    product: Product
    components: list[Component]
    assembled: int
    makeable: int
    retail_vnd: int


def makeable(components: Sequence[Component], levels: dict[int, int]) -> int:
    """How many baskets the components on hand allow."""
    return max(0, min(levels.get(c.product.id, 0) // c.qty for c in components))  # type: ignore[arg-type]


def list_baskets(session: Session, include_inactive: bool = True) -> list[BasketRow]:
    """Every basket, by name, with its stock figures."""
    ids = list(session.exec(select(BasketComponent.basket_id).distinct()).all())
    by_basket = components_of(session, ids)
    products = session.exec(select(Product).where(Product.id.in_(ids)).order_by(Product.name_search)).all()  # type: ignore[union-attr]
    wanted = set(ids) | {c.product.id for cs in by_basket.values() for c in cs}
    levels = on_hand_many(session, wanted)  # type: ignore[arg-type]
    return [
        BasketRow(
            p,
            by_basket[p.id],  # type: ignore[index]
            levels.get(p.id, 0),  # type: ignore[arg-type]
            makeable(by_basket[p.id], levels),  # type: ignore[index]
            retail_value(by_basket[p.id]),  # type: ignore[index]
        )
        for p in products
        if include_inactive or p.is_active
    ]


def retail_value(components: Sequence[Component]) -> int:
    """What the components would cost bought one by one."""
    return sum(c.qty * c.product.price_vnd for c in components)


def basket_movements(
    basket: Product,
    components: Sequence[Component],
    qty: int,
    reason: str,
    note: str,
    actor_id: int | None,
    now: datetime,
) -> list[StockMovement]:
    """The ledger lines of ``qty`` baskets assembled (qty > 0) or taken apart (qty < 0)."""
    cost = sum(c.qty * c.product.cost_vnd for c in components)
    moves = [
        StockMovement(
            product_id=c.product.id,  # type: ignore[arg-type]
            kind="basket",
            qty_delta=-qty * c.qty,
            unit_cost_vnd=c.product.cost_vnd,
            reason=reason,
            note=note,
            created_by_id=actor_id,
            created_at=now,
        )
        for c in components
    ]
    moves.append(
        StockMovement(
            product_id=basket.id,  # type: ignore[arg-type]
            kind="basket",
            qty_delta=qty,
            unit_cost_vnd=cost,
            reason=reason,
            note=note,
            created_by_id=actor_id,
            created_at=now,
        )
    )
    return moves


def record_basket_movements(session: Session, movements: list[StockMovement], products: dict[int, Product]) -> None:
    """Write basket movements to the ledger and the outbox (the central office keeps the same ledger)."""
    record_movements(session, movements)
    session.flush()
    for movement in movements:
        product = products[movement.product_id]
        enqueue(session, "stock_adjustment", movement.uuid, dict(movement_payload(session, movement, product)))


def _check_qty(qty: Any) -> int:
    if isinstance(qty, bool) or not isinstance(qty, int) or not 1 <= qty <= MAX_ASSEMBLE:
        raise ValidationError(f"Số giỏ phải là số nguyên từ 1 đến {MAX_ASSEMBLE}.", "qty")
    return qty


def assemble(
    session: Session, basket_id: Any, qty: Any, *, actor_id: int | None, now: datetime, allow_negative: bool = False
) -> list[StockMovement]:
    """Assemble ``qty`` baskets ahead: each component's stock goes down, the basket's goes up."""
    qty = _check_qty(qty)
    basket, components = get_basket(session, basket_id)
    levels = on_hand_many(session, [c.product.id for c in components])  # type: ignore[misc]
    if not allow_negative:
        short = [c for c in components if levels[c.product.id] < qty * c.qty]  # type: ignore[index]
        if short:
            c = short[0]
            raise Conflict(
                f"Không đủ “{c.product.name}” để đóng {qty} giỏ: cần {qty * c.qty}, tồn kho còn "
                f"{max(levels[c.product.id], 0)} {c.product.unit}.",  # type: ignore[index]
                "qty",
            )
    return _move(session, basket, components, qty, "assemble", actor_id, now)


def disassemble(
    session: Session, basket_id: Any, qty: Any, *, actor_id: int | None, now: datetime
) -> list[StockMovement]:
    """Take ``qty`` assembled baskets apart: the basket's stock goes down, each component's goes back up."""
    qty = _check_qty(qty)
    basket, components = get_basket(session, basket_id)
    have = on_hand_many(session, [basket.id])[basket.id]  # type: ignore[list-item,index]
    if have < qty:
        raise Conflict(f"Chỉ còn {max(have, 0)} giỏ “{basket.name}” đã đóng sẵn để tháo.", "qty")
    return _move(session, basket, components, -qty, "disassemble", actor_id, now)


def _move(
    session: Session,
    basket: Product,
    components: list[Component],
    qty: int,
    reason: str,
    actor_id: int | None,
    now: datetime,
) -> list[StockMovement]:
    moves = basket_movements(basket, components, qty, reason, basket.sku, actor_id, now)
    products = {c.product.id: c.product for c in components} | {basket.id: basket}
    record_basket_movements(session, moves, products)  # type: ignore[arg-type]
    audit.record(
        session,
        f"basket.{reason}",
        user_id=actor_id,
        entity="product",
        entity_id=basket.id,
        after={"qty": abs(qty), "components": {c.product.sku: abs(qty) * c.qty for c in components}},
    )
    return moves


def describe_price(basket_price_vnd: int, components: Sequence[Component]) -> str:
    """'giảm 10% so với mua lẻ' style note for the manager, from the components' retail value."""
    retail = retail_value(components)
    if retail <= 0 or retail == basket_price_vnd:
        return "bằng giá mua lẻ"
    if basket_price_vnd < retail:
        return f"rẻ hơn mua lẻ {format_vnd(retail - basket_price_vnd)}"
    return f"đắt hơn mua lẻ {format_vnd(basket_price_vnd - retail)} (công đóng giỏ)"
