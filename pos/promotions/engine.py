"""The till's one rule for promotions, on plain values.

The rule: every cart line gets at most one promotion, the one that takes the most off that line (a tie
goes to the promotion set first). A combination price ("trọn bộ") counts, for each of its lines, as that
line's share of the saving on the complete sets the cart holds, shared in proportion to retail value as
baskets are (pos/baskets/split.py). Promotions never stack on each other; a cashier's or manager's
discount may come on top, within the caps (pos/sales/cart.py counts the promotion inside the cap).

Goods sold by weight (quantities in grams, prices per kg; pos/quantity.py) take a percentage or a special
price per kg like any line; "buy X get Y" and combination sets count pieces, so they never apply to them
(500 g is one weighing, not 500 pieces) and the manager's form refuses a weighed product for them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pos.baskets.split import split_vnd
from pos.money import percent_of
from pos.quantity import PIECE, is_weighed, line_amount

COUNTED_IN_PIECES = ("bxgy", "combo")  # the kinds that count pieces: never for goods sold by weight


@dataclass(frozen=True)
class Offer:
    """A promotion as the engine needs it; ``products`` are the target products or the combination's items."""

    id: int
    name: str
    kind: str
    target: str
    target_value: str
    percent_bp: int = 0
    price_vnd: int = 0
    buy_qty: int = 0
    get_qty: int = 0
    products: tuple[tuple[int, int], ...] = ()  # (product id, qty)
    borne_by: str = "showroom"


@dataclass(frozen=True)
class Item:
    """A cart line as the engine needs it."""

    product_id: int
    producer_id: int
    group: str
    stars: int | None
    qty: int
    unit_price_vnd: int
    sold_by: str = PIECE  # "weight": qty in grams, unit_price_vnd per kg

    @property
    def gross_vnd(self) -> int:
        """The line before any discount (grams × price per kg rounded half-up, for weighed goods)."""
        return line_amount(self.qty, self.unit_price_vnd, self.sold_by)


@dataclass(frozen=True)
class Applied:
    """The promotion a line got and the đồng it takes off."""

    offer: Offer
    discount_vnd: int


def targets(offer: Offer, item: Item) -> bool:
    """Whether a single-line offer covers the item's product."""
    if offer.target == "product":
        return any(pid == item.product_id for pid, _ in offer.products)
    if offer.target == "producer":
        return offer.target_value == str(item.producer_id)
    if offer.target == "group":
        return offer.target_value == item.group
    if offer.target == "stars":
        return item.stars is not None and offer.target_value.isdigit() and item.stars >= int(offer.target_value)
    return False


def line_discount(offer: Offer, item: Item) -> int:
    """What a single-line offer takes off a line (never more than the line)."""
    gross = item.gross_vnd
    if offer.kind == "price":  # a weighed line at the special price per kg, rounded as the till rounds it
        off = gross - line_amount(item.qty, min(offer.price_vnd, item.unit_price_vnd), item.sold_by)
    elif offer.kind == "percent":
        off = percent_of(gross, offer.percent_bp)
    elif offer.kind in COUNTED_IN_PIECES and is_weighed(item.sold_by):
        off = 0
    elif offer.kind == "bxgy" and offer.buy_qty > 0 and offer.get_qty > 0:
        off = item.qty // (offer.buy_qty + offer.get_qty) * offer.get_qty * item.unit_price_vnd
    else:
        off = 0
    return min(max(off, 0), gross)


def combo_discounts(offer: Offer, items: Sequence[Item]) -> dict[int, int]:
    """{line index: its share of a combination's saving} over the complete sets in the cart."""
    if not offer.products:
        return {}
    held: dict[int, int] = {}
    for item in items:
        if not is_weighed(item.sold_by):  # a set counts pieces
            held[item.product_id] = held.get(item.product_id, 0) + item.qty
    sets = min(held.get(pid, 0) // qty for pid, qty in offer.products)
    if sets <= 0:
        return {}
    price = {item.product_id: item.unit_price_vnd for item in items}
    retail = sum(qty * price[pid] for pid, qty in offer.products)
    saving = sets * (retail - offer.price_vnd)
    if saving <= 0:
        return {}
    lines = [
        i
        for i, item in enumerate(items)
        if not is_weighed(item.sold_by) and any(pid == item.product_id for pid, _ in offer.products)
    ]
    # Units in sets, line by line (a product rung up on two lines fills its sets from the first line on).
    need = {pid: sets * qty for pid, qty in offer.products}
    in_sets = []
    for i in lines:
        take = min(items[i].qty, need[items[i].product_id])
        need[items[i].product_id] -= take
        in_sets.append(take * items[i].unit_price_vnd)
    shares = split_vnd(saving, in_sets)
    return {i: share for i, share in zip(lines, shares, strict=True) if share > 0}


def best_offers(items: Sequence[Item], offers: Sequence[Offer]) -> list[Applied | None]:
    """For each line, the promotion that takes the most off it (ties: the promotion set first)."""
    best: list[Applied | None] = [None] * len(items)

    def consider(i: int, offer: Offer, off: int) -> None:
        current = best[i]
        if off > 0 and (
            current is None
            or off > current.discount_vnd
            or (off == current.discount_vnd and offer.id < current.offer.id)
        ):
            best[i] = Applied(offer, off)

    for offer in sorted(offers, key=lambda o: o.id):
        if offer.kind == "combo":
            for i, off in combo_discounts(offer, items).items():
                consider(i, offer, min(off, items[i].gross_vnd))
            continue
        for i, item in enumerate(items):
            if targets(offer, item):
                consider(i, offer, line_discount(offer, item))
    return best
