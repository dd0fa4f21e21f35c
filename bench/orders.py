"""Time company orders in the two weeks before Tết: the stock they hold, read at every scan, and a delivery.

A showroom file (SQLite, migrated) with one gift basket (three components) and a few loose products, and
``--orders`` confirmed company orders of 20 to 300 baskets each, every one already delivered twice in part.
Measured, each against the raw library on the same file:

- held: ``reserved_many`` (what open orders hold, net of their deliveries, baskets as their components: the
  till reads it for every scan and checkout) against one raw sqlite3 query summing the order lines less the
  delivered lines (which does not expand baskets, so the ratio is an upper bound of the overhead);
- delivery: 300 baskets handed over through ``deliver`` (delivery note, cart, the real checkout: stock, lots,
  outbox), against ``complete_sale`` of the same 300 baskets rung up as a plain cart (the part a delivery
  cannot avoid), as a ratio.

    .venv/bin/python bench/orders.py [--orders 40] [--rounds 200]

The last line of output is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlmodel import select  # noqa: E402

from pos.auth.services import create_user  # noqa: E402
from pos.baskets.services import BasketInput, save_basket  # noqa: E402
from pos.catalog.models import Producer, Product  # noqa: E402
from pos.customers import services as customers  # noqa: E402
from pos.db import make_engine, session_scope  # noqa: E402
from pos.inventory.ledger import record_movement  # noqa: E402
from pos.inventory.models import StockMovement  # noqa: E402
from pos.migrate import upgrade  # noqa: E402
from pos.orders import deliveries  # noqa: E402
from pos.orders import services as orders  # noqa: E402
from pos.orders.models import OrderLine  # noqa: E402
from pos.orders.reservations import reserved_many  # noqa: E402
from pos.sales import cart as carts  # noqa: E402
from pos.sales import shifts  # noqa: E402
from pos.sales.checkout import complete_sale  # noqa: E402
from pos.sales.models import CartLine  # noqa: E402
from pos.sales.pricing import DiscountLimits, PaymentInput  # noqa: E402
from pos.text import fold  # noqa: E402

NOW = datetime(2027, 1, 25, 3, 0, tzinfo=UTC)
TZ = "Asia/Ho_Chi_Minh"
RAW_HELD = """
SELECT l.product_id, SUM(l.qty - COALESCE(d.qty, 0))
FROM orderline l JOIN companyorder o ON o.id = l.order_id
LEFT JOIN (SELECT dl.order_line_id, SUM(dl.qty) AS qty FROM orderdeliveryline dl
           JOIN orderdelivery od ON od.id = dl.delivery_id LEFT JOIN sale s ON s.id = od.sale_id
           WHERE od.sale_id IS NULL OR s.status != 'voided' GROUP BY dl.order_line_id) d ON d.order_line_id = l.id
WHERE o.status = 'ordered' GROUP BY l.product_id
"""


def build(engine: Any, n_orders: int) -> dict[str, Any]:
    """The showroom: a basket of three components in stock for every order, n_orders each delivered twice."""
    with session_scope(engine) as s:
        manager = create_user(s, "quanly", "Quản Lý", "manager", "bench-pass-123")
        producer = Producer(name="HTX Quà Tết", province="Hà Nội", commission_bp=2000)
        producer.name_search = fold(producer.name)
        s.add(producer)
        s.flush()
        parts = []
        for n, (name, price) in enumerate((("Chè", 120_000), ("Mật ong", 150_000), ("Bánh", 45_000)), start=1):
            product = Product(sku=f"SP{n}", name=name, price_vnd=price, producer_id=producer.id)
            product.name_search = fold(name)
            s.add(product)
            s.flush()
            record_movement(s, StockMovement(product_id=product.id, kind="intake", qty_delta=100_000))
            parts.append(product)
        basket = save_basket(
            s,
            BasketInput(name="Giỏ quà Tết", price_vnd="350.000", components=[(p.sku, "1") for p in parts]),
            showroom_name="Bench",
        )
        shifts.open_shift(s, manager.id, 0)  # type: ignore[arg-type]
        customers.save_customer(
            s, {"phone": "0903123456", "name": "Chị Lan", "company_name": "Công ty Quà", "tax_code": "0104359717"}, None
        )
    for i in range(n_orders):
        qty = 20 + (i * 37) % 281
        with session_scope(engine) as s:
            order = orders.save_quote(
                s,
                orders.OrderInput(customer_phone="0903123456", lines=[(basket.sku, str(qty)), ("SP3", "10")]),
                actor_id=manager.id,  # type: ignore[arg-type]
                showroom_code="SR01",
                now=NOW,
                tz_name=TZ,
                limits=DiscountLimits(),
            )
            orders.confirm(s, order.id, actor_id=manager.id, allow_negative=False, now=NOW, tz_name=TZ)  # type: ignore[arg-type]
            line_id = s.exec(select(OrderLine.id).where(OrderLine.order_id == order.id, OrderLine.position == 0)).one()
        for part in (qty // 3, qty // 4):
            deliver(engine, manager.id, order.id, {line_id: part})  # type: ignore[arg-type]
    return {"manager": manager, "basket": basket, "parts": parts}


def deliver(engine: Any, cashier_id: int, order_id: int, quantities: dict[int, int]) -> Any:
    with session_scope(engine) as s:
        quote = deliveries.quote_delivery(s, orders.get_order(s, order_id), quantities, NOW.date(), "SR01")
        paid = [PaymentInput("card", quote.due_now_vnd, "AP1")] if quote.due_now_vnd else []
        return deliveries.deliver(
            s,
            order_id,
            quantities=quantities,
            paid_now=paid,
            receiver_name="",
            note="",
            cashier_id=cashier_id,
            showroom_code="SR01",
            allow_negative=False,
            now=NOW,
            tz_name=TZ,
            limits=DiscountLimits(),
            checkout={},
        )


def timed(fn: Any, rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--deliveries", type=int, default=10)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-orders-"))
    path = folder / "pos.db"
    url = f"sqlite:///{path.as_posix()}"
    upgrade(url)
    engine = make_engine(url)
    world = build(engine, args.orders)

    with session_scope(engine, write=False) as s:
        held = reserved_many(s)
        ours = timed(lambda: reserved_many(s), args.rounds)
    raw = sqlite3.connect(path)
    # No basket is assembled ahead: the baskets held are held as their components (the first is in one a basket).
    assert dict(raw.execute(RAW_HELD).fetchall())[world["basket"].id] == held[world["parts"][0].id]
    raws = timed(lambda: raw.execute(RAW_HELD).fetchall(), args.rounds)

    manager_id, basket = world["manager"].id, world["basket"]
    via_delivery, via_cart = [], []
    for _ in range(args.deliveries):
        with session_scope(engine) as s:
            order = orders.save_quote(
                s,
                orders.OrderInput(customer_phone="0903123456", lines=[(basket.sku, "600")]),
                actor_id=manager_id,
                showroom_code="SR01",
                now=NOW,
                tz_name=TZ,
                limits=DiscountLimits(),
            )
            orders.confirm(s, order.id, actor_id=manager_id, allow_negative=False, now=NOW, tz_name=TZ)  # type: ignore[arg-type]
            line_id = s.exec(select(OrderLine.id).where(OrderLine.order_id == order.id)).one()
            order_id = order.id
        start = time.perf_counter()
        deliver(engine, manager_id, order_id, {line_id: 300})  # type: ignore[arg-type]
        via_delivery.append(time.perf_counter() - start)
        start = time.perf_counter()
        with session_scope(engine) as s:
            cart = carts.get_or_create_active_cart(s, manager_id)
            s.add(CartLine(cart_id=cart.id, product_id=basket.id, qty=300))  # type: ignore[arg-type]
            s.flush()
            complete_sale(
                s,
                cart_id=cart.id,  # type: ignore[arg-type]
                payments=[PaymentInput("card", 300 * 350_000, "AP2")],
                cashier_id=manager_id,
                idempotency_key=os.urandom(8).hex(),
                showroom_code="SR01",
                allow_negative=False,
                now=NOW,
                tz_name=TZ,
            )
        via_cart.append(time.perf_counter() - start)

    figures = {
        "orders": args.orders,
        "held_ms_p50": round(statistics.median(ours) * 1000, 3),
        "held_raw_ms_p50": round(statistics.median(raws) * 1000, 3),
        "held_ratio": round(statistics.median(ours) / statistics.median(raws), 1),
        "delivery_300_ms_p50": round(statistics.median(via_delivery) * 1000, 1),
        "cart_sale_300_ms_p50": round(statistics.median(via_cart) * 1000, 1),
        "delivery_vs_cart_sale": round(statistics.median(via_delivery) / statistics.median(via_cart), 2),
        "load_average": round(os.getloadavg()[0], 2),
    }
    print(f"held stock, {args.orders} open orders delivered twice each: {figures['held_ms_p50']} ms a read "
          f"(raw sqlite3 {figures['held_raw_ms_p50']} ms, ×{figures['held_ratio']})")  # fmt: skip
    print(f"a delivery of 300 baskets: {figures['delivery_300_ms_p50']} ms; the same 300 rung up as a cart "
          f"{figures['cart_sale_300_ms_p50']} ms (×{figures['delivery_vs_cart_sale']})")  # fmt: skip
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
