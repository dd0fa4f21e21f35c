"""A basket at the till: its VAT parts, the stock it takes, and the component sale lines it is recorded as.

A basket sold is written as one sale line per component (producer, VAT rate, price share as split by
pos/baskets/split.py), linked to one SaleBasket row that the receipt prints. Baskets assembled ahead are
taken first: their ledger line goes down and their components come back out of the basket (kind
"basket", reason "sale") just before the components' own sale movements, so every producer's ledger shows
the sale. What is not assembled is made at the sale, straight from the components' stock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session

from pos.baskets.models import SaleBasket, SaleBasketLine
from pos.baskets.services import Component, basket_movements, components_of, record_basket_movements
from pos.baskets.split import component_shares
from pos.catalog.models import Product
from pos.errors import Conflict
from pos.inventory.ledger import on_hand_many
from pos.inventory.models import StockMovement
from pos.sales.models import SaleLine
from pos.sales.vat import missing_rate


def line_parts(components: Sequence[Component], rates: dict[str, int], on: date) -> tuple[tuple[int, int], ...]:
    """(retail weight, VAT rate on day ``on``) of each component, as pricing takes a basket line."""
    parts = []
    for c in components:
        if c.product.vat_class not in rates:
            raise missing_rate(c.product.vat_class, on)
        parts.append((c.qty * c.product.price_vnd, rates[c.product.vat_class]))
    return tuple(parts)


def basket_parts(
    session: Session, items: Sequence[object], rates: dict[str, int], on: date
) -> dict[int, tuple[tuple[int, int], ...]]:
    """{basket product id: its line_parts} for the baskets among cart items (anything with a ``product``)."""
    found = components_of(session, [item.product.id for item in items])  # type: ignore[attr-defined]
    return {product_id: line_parts(comps, rates, on) for product_id, comps in found.items()}


@dataclass(frozen=True)
class Need:
    """What a cart takes from stock: per product, and how many baskets come from those assembled ahead."""

    qty: dict[int, int]
    from_assembled: dict[int, int]


def stock_needs(
    lines: Sequence[tuple[Product, int]], components: dict[int, list[Component]], levels: dict[int, int]
) -> Need:
    """Per product, the units a cart's (product, qty) lines take, baskets assembled ahead used first."""
    need: dict[int, int] = {}
    assembled: dict[int, int] = {}
    for product, qty in lines:
        comps = components.get(product.id)  # type: ignore[arg-type]
        if not comps:
            need[product.id] = need.get(product.id, 0) + qty  # type: ignore[index,arg-type]
            continue
        left = max(levels.get(product.id, 0) - assembled.get(product.id, 0), 0)  # type: ignore[arg-type]
        taken = min(qty, left)
        assembled[product.id] = assembled.get(product.id, 0) + taken  # type: ignore[index,arg-type]
        for c in comps:
            need[c.product.id] = need.get(c.product.id, 0) + (qty - taken) * c.qty  # type: ignore[index,arg-type]
    return Need(need, assembled)


def check_stock(session: Session, lines: Sequence[tuple[Product, int]]) -> Need:
    """Refuse a cart that needs more than is on hand; baskets count assembled stock, then their components.

    Stock held for confirmed company orders (pos/orders/reservations.py) is not on hand for anyone else.
    """
    from pos.orders.reservations import reserved_many

    products = {p.id: p for p, _ in lines}
    components = components_of(session, products)  # type: ignore[arg-type]
    for comps in components.values():
        products.update({c.product.id: c.product for c in comps})
    levels = on_hand_many(session, products)  # type: ignore[arg-type]
    held = reserved_many(session, products)  # type: ignore[arg-type]
    levels = {pid: qty - held.get(pid, 0) for pid, qty in levels.items()}
    need = stock_needs(lines, components, levels)
    for product_id, qty in need.qty.items():
        have = levels.get(product_id, 0)
        if qty > 0 and have < qty:
            product = products[product_id]
            kept = f" (đang giữ {held[product_id]} cho đơn đặt hàng)" if held.get(product_id) else ""
            raise Conflict(
                f"Không đủ hàng “{product.name}”: tồn kho còn {max(have, 0)} {product.unit}{kept}, đơn cần {qty}.",
                "stock",
                product_id=product_id,
                on_hand=have,
            )
    return need


@dataclass
class SoldBasket:
    """A basket line being written: its product, components, figures and the sale lines made for it."""

    product: Product
    components: list[Component]
    qty: int
    unit_price_vnd: int
    gross_vnd: int
    discount_vnd: int
    total_vnd: int
    lines: list[SaleLine]


def component_lines(
    sale_id: int,
    first_line_no: int,
    basket: Product,
    components: list[Component],
    qty: int,
    gross_vnd: int,
    discount_vnd: int,
    part_vats_vnd: Sequence[int],
    vat_rates_bp: Sequence[int],
    approver_id: int | None = None,
) -> list[SaleLine]:
    """The sale lines of ``qty`` baskets: one per component, with its share of the price and its VAT.

    A discount approved on the basket's line is recorded as approved on each of its component lines.
    """
    shares = component_shares(qty, gross_vnd, discount_vnd, [(c.qty, c.product.price_vnd) for c in components])
    lines = []
    for n, (c, share, vat, rate) in enumerate(zip(components, shares, part_vats_vnd, vat_rates_bp, strict=True)):
        product = c.product
        lines.append(
            SaleLine(
                sale_id=sale_id,
                line_no=first_line_no + n,
                product_id=product.id,  # type: ignore[arg-type]
                producer_id=product.producer_id,
                name=product.name,
                sku=product.sku,
                barcode=product.barcode,
                unit=product.unit,
                qty=share.qty,
                unit_price_vnd=share.unit_price_vnd,
                discount_vnd=share.discount_vnd,
                total_vnd=share.total_vnd,
                vat_rate_bp=rate,
                vat_vnd=vat,
                vat_class=product.vat_class,
                unit_cost_vnd=product.cost_vnd,
                discount_approved_by_id=approver_id,
            )
        )
    return lines


def record_sold_baskets(
    session: Session,
    sale_id: int,
    receipt_number: str,
    sold: list[SoldBasket],
    need: Need | None,
    actor_id: int,
    now: datetime,
) -> list[SaleBasket]:
    """SaleBasket rows and their links (the lines are flushed), and the ledger lines of assembled baskets used."""
    if not sold:
        return []
    if need is None:  # negative stock allowed: still use what was assembled first
        levels = on_hand_many(session, [b.product.id for b in sold])  # type: ignore[misc]
        need = stock_needs([(b.product, b.qty) for b in sold], {b.product.id: b.components for b in sold}, levels)  # type: ignore[misc]
    rows = []
    taken: dict[int, int] = dict(need.from_assembled)
    moves: list[StockMovement] = []
    products: dict[int, Product] = {}
    for b in sold:
        from_assembled = min(b.qty, taken.get(b.product.id, 0))  # type: ignore[arg-type]
        taken[b.product.id] = taken.get(b.product.id, 0) - from_assembled  # type: ignore[index,arg-type]
        row = SaleBasket(
            sale_id=sale_id,
            line_no=b.lines[0].line_no,
            product_id=b.product.id,  # type: ignore[arg-type]
            name=b.product.name,
            sku=b.product.sku,
            barcode=b.product.barcode,
            qty=b.qty,
            unit_price_vnd=b.unit_price_vnd,
            discount_vnd=b.discount_vnd,
            total_vnd=b.total_vnd,
            assembled_qty=from_assembled,
        )
        rows.append(row)
        if from_assembled:
            moves += basket_movements(b.product, b.components, -from_assembled, "sale", receipt_number, actor_id, now)
            products[b.product.id] = b.product  # type: ignore[index]
            products.update({c.product.id: c.product for c in b.components})  # type: ignore[misc]
    session.add_all(rows)
    session.flush()
    session.add_all(
        SaleBasketLine(sale_line_id=line.id, sale_basket_id=row.id)  # type: ignore[arg-type]
        for row, b in zip(rows, sold, strict=True)
        for line in b.lines
    )
    if moves:
        record_basket_movements(session, moves, products)
    return rows
