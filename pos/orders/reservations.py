"""Stock held for company orders: what confirmed orders take, which the till may not sell.

An order holds stock from its confirmation until it is fulfilled (its sale then takes the stock) or
cancelled (the stock is free again): nothing is written to the ledger for a reservation, it is read from
the open orders. An order handed over in parts holds what is left of each line: a delivery's lines stop
being held in the delivery's own transaction (its sale takes them), and a delivery whose sale was voided
counts no more, so its goods are held for the order again. A gift basket on an order holds the baskets
assembled ahead first, then its components, in the same order as a sale takes them (pos/baskets/sale.py
``stock_needs``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, select

from pos.baskets.services import components_of
from pos.catalog.models import Product
from pos.inventory.ledger import on_hand_many
from pos.orders.models import CompanyOrder, OrderDelivery, OrderDeliveryLine, OrderLine
from pos.sales.models import Sale

HOLDING = "ordered"  # the one status whose lines hold stock


def _delivered() -> Any:
    """Units handed over per order line by the deliveries that count: their sale not voided (one being written
    in this transaction, its sale not made yet, counts)."""
    return (
        select(
            OrderDeliveryLine.order_line_id.label("order_line_id"),  # type: ignore[attr-defined]
            func.sum(OrderDeliveryLine.qty).label("qty"),
        )
        .join(OrderDelivery, OrderDelivery.id == OrderDeliveryLine.delivery_id)  # type: ignore[arg-type]
        .outerjoin(Sale, Sale.id == OrderDelivery.sale_id)  # type: ignore[arg-type]
        .where(or_(OrderDelivery.sale_id.is_(None), Sale.status != "voided"))  # type: ignore[union-attr]
        .group_by(OrderDeliveryLine.order_line_id)
    )


def delivered_qty(session: Session, order_ids: Iterable[int]) -> dict[int, int]:
    """{order line id: units handed over} of these orders' lines."""
    query = _delivered().where(OrderDelivery.order_id.in_(list(order_ids)))  # type: ignore[attr-defined]
    return {int(line_id): int(qty) for line_id, qty in session.exec(query).all()}


def reserved_many(session: Session, product_ids: Iterable[int] | None = None) -> dict[int, int]:
    """{product id: units held by confirmed orders} (only those asked for, when ``product_ids`` is given)."""
    from pos.baskets.sale import stock_needs  # pos.baskets.sale asks this module in turn

    delivered = _delivered().subquery()
    rows = session.exec(
        select(Product, OrderLine.qty - func.coalesce(delivered.c.qty, 0))
        .join(OrderLine, OrderLine.product_id == Product.id)  # type: ignore[arg-type]
        .join(CompanyOrder, CompanyOrder.id == OrderLine.order_id)  # type: ignore[arg-type]
        .outerjoin(delivered, delivered.c.order_line_id == OrderLine.id)
        .where(CompanyOrder.status == HOLDING)
        .order_by(CompanyOrder.id, OrderLine.position)  # type: ignore[arg-type]
    ).all()
    lines = [(product, int(qty)) for product, qty in rows if qty > 0]
    if not lines:
        return {}
    components = components_of(session, {p.id for p, _ in lines})  # type: ignore[misc]
    levels = on_hand_many(session, list(components))
    need = stock_needs(lines, components, levels)
    held = {pid: qty for pid, qty in need.qty.items() if qty > 0}
    for basket_id, qty in need.from_assembled.items():
        if qty > 0:
            held[basket_id] = held.get(basket_id, 0) + qty
    if product_ids is not None:
        wanted = set(product_ids)
        held = {pid: qty for pid, qty in held.items() if pid in wanted}
    return held
