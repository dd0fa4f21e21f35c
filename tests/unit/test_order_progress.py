"""How an order's delivery progress reads in the manager's list and the pickups list."""

from __future__ import annotations

from pos.orders.deliveries import OrderProgress


def test_baskets_handed_over_in_part() -> None:
    assert OrderProgress(300, 500, "piece", "giỏ").text == "300/500 giỏ đã giao"
    assert OrderProgress(1200, 2500, "piece", "giỏ").text == "1.200/2.500 giỏ đã giao"
    assert not OrderProgress(300, 500, "piece", "giỏ").is_complete
    assert OrderProgress(500, 500, "piece", "giỏ").is_complete


def test_lines_of_different_units_are_counted_bare() -> None:
    assert OrderProgress(3, 7, "piece", "").text == "3/7 đã giao"


def test_weighed_goods_in_kg_and_never_added_to_pieces() -> None:
    assert OrderProgress(1_500, 2_000, "weight", "kg").text == "1,500/2,000 kg đã giao"
    assert OrderProgress(1, 2, "", "").text == "1/2 dòng hàng đã giao"
