"""The one rule that splits a basket's price over its components.

A basket's amount (its gross, and separately its discounts) is split over the components in proportion to
their retail value in the basket (quantity × the component's own price at the moment of sale), with the
largest-remainder method of ``pos.money.allocate`` so the parts add up to the đồng. What a component
brings in (gross share less discount share) is what its producer is paid on and what its VAT rate is taken
on. The till (pricing), the sale lines (checkout) and so the producer's statement all use this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pos.money import allocate


def split_vnd(amount_vnd: int, weights: Sequence[int]) -> list[int]:
    """Split ``amount_vnd`` in proportion to ``weights``; all-zero weights (free components) split evenly."""
    if weights and not any(weights):
        return allocate(amount_vnd, [1] * len(weights))
    return allocate(amount_vnd, list(weights))


def split_line(gross_vnd: int, discount_vnd: int, weights: Sequence[int]) -> list[int]:
    """What each component of a basket line brings in: its share of the gross less its share of the discount."""
    return [g - d for g, d in zip(split_vnd(gross_vnd, weights), split_vnd(discount_vnd, weights), strict=True)]


@dataclass(frozen=True)
class ComponentShare:
    """A component's sale line figures: qty × unit price = gross; gross - discount = total."""

    qty: int
    unit_price_vnd: int
    gross_vnd: int
    discount_vnd: int
    total_vnd: int


def component_shares(
    basket_qty: int, gross_vnd: int, discount_vnd: int, components: Sequence[tuple[int, int]]
) -> list[ComponentShare]:
    """Sale line figures of each component ``(qty per basket, retail price)`` of ``basket_qty`` baskets.

    The unit price is the component's gross share per unit, rounded up to the đồng, so that a line's
    quantity times its unit price is never below its share; the few đồng of that rounding count as discount.
    """
    weights = [qty * price for qty, price in components]
    gross = split_vnd(gross_vnd, weights)
    totals = split_line(gross_vnd, discount_vnd, weights)
    shares = []
    for (per_basket, _price), g, total in zip(components, gross, totals, strict=True):
        qty = basket_qty * per_basket
        unit = -(-g // qty)
        shares.append(ComponentShare(qty, unit, qty * unit, qty * unit - total, total))
    return shares
