"""Deliveries of a company order through the real checkout: the parts never cost more than the order, and a
delivery whose sale was voided counts no more (its goods are held again, its transfer is free again)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel import select

from pos.barcodes import instore_ean13
from pos.customers import services as customers
from pos.errors import Conflict, ValidationError
from pos.inventory.ledger import ledger_mismatches, on_hand, record_movement
from pos.inventory.models import StockMovement
from pos.orders import deliveries
from pos.orders import services as orders
from pos.orders.models import OrderLine
from pos.orders.reservations import reserved_many
from pos.sales import returns, shifts
from pos.sales.models import Payment, Sale
from pos.sales.pricing import DiscountLimits, PaymentInput

NOW = datetime(2027, 1, 20, 3, 0, tzinfo=UTC)
TZ = "Asia/Ho_Chi_Minh"


@pytest.fixture
def world(uow: Any, make_user: Any, make_product: Any) -> dict[str, Any]:
    manager = make_user("quanly", "manager")
    tea = make_product(name="Chè Shan tuyết", barcode=instore_ean13(61), price_vnd=33_309)
    with uow() as s:
        record_movement(s, StockMovement(product_id=tea.id, kind="intake", qty_delta=20))
        shifts.open_shift(s, manager.id, 0)
        customers.save_customer(
            s,
            {"phone": "0903123456", "name": "Chị Lan", "company_name": "Công ty Quà Việt", "tax_code": "0104359717"},
            None,
        )
    return {"manager": manager, "tea": tea}


def _order(uow: Any, world: dict[str, Any], qty: int, discount: str = "") -> tuple[int, int]:
    manager = world["manager"]
    with uow() as s:
        order = orders.save_quote(
            s,
            orders.OrderInput(
                customer_phone="0903123456", lines=[(world["tea"].sku, str(qty))], discount_percent=discount
            ),
            actor_id=manager.id,
            showroom_code="SR01",
            now=NOW,
            tz_name=TZ,
            limits=DiscountLimits(),
        )
        orders.confirm(s, order.id, actor_id=manager.id, allow_negative=False, now=NOW, tz_name=TZ)  # type: ignore[arg-type]
        line_id = s.exec(select(OrderLine.id).where(OrderLine.order_id == order.id)).one()
        return order.id, line_id  # type: ignore[return-value]


def _deliver(uow: Any, world: dict[str, Any], order_id: int, qty: dict[int, int], paid: list[PaymentInput]) -> Sale:
    with uow() as s:
        delivery = deliveries.deliver(
            s,
            order_id,
            quantities=qty,
            paid_now=paid,
            receiver_name="",
            note="",
            cashier_id=world["manager"].id,
            showroom_code="SR01",
            allow_negative=False,
            now=NOW,
            tz_name=TZ,
            limits=DiscountLimits(),
            checkout={},
        )
        return s.get(Sale, delivery.sale_id)  # type: ignore[return-value]


def test_the_parts_of_an_order_never_cost_more_than_the_order(uow: Any, world: dict[str, Any]) -> None:
    """3 teas at 33 309, 5% off: the order is 99 927 − 4 996 (4 996,35) = 94 931. One tea alone is 33 309 − 1 665
    (1 665,45) = 31 644, so three parts would make 94 932: the last part is 31 643."""
    order_id, line = _order(uow, world, 3, "5")
    with uow() as s:
        assert orders.get_order(s, order_id).quoted_total_vnd == 94_931
        orders.record_payment(
            s,
            order_id,
            kind="full",
            amount="94.931",
            reference="FT1",
            received_on="",
            actor_id=world["manager"].id,
            today=NOW.date(),
            showroom_code="SR01",
        )
    totals = [_deliver(uow, world, order_id, {line: 1}, []).total_vnd for _ in range(3)]
    assert totals == [31_644, 31_644, 31_643] and sum(totals) == 94_931
    with uow() as s:
        last = s.exec(select(Sale).order_by(Sale.id.desc())).first()
        assert (last.sale_discount_vnd, last.sale_discount_approved_by_id) == (1_666, world["manager"].id)
        assert sorted(p.amount_vnd for p in s.exec(select(Payment))) == [31_643, 31_644, 31_644]  # the one transfer
        assert deliveries.prepaid_left_vnd(s, order_id) == 0
        assert orders.get_order(s, order_id).status == "fulfilled" and reserved_many(s) == {}
        assert ledger_mismatches(s) == []


def test_a_delivery_whose_sale_is_voided_is_held_again(uow: Any, world: dict[str, Any]) -> None:
    order_id, line = _order(uow, world, 10)  # 333 090, nothing paid yet
    tea = world["tea"].id
    with pytest.raises(ValidationError, match="Còn phải thu tại quầy 133.236 ₫"):
        _deliver(uow, world, order_id, {line: 4}, [])
    with pytest.raises(ValidationError, match="tiền mặt hoặc thẻ"):
        _deliver(uow, world, order_id, {line: 4}, [PaymentInput("transfer", 133_236, "FT9")])
    sale = _deliver(uow, world, order_id, {line: 4}, [PaymentInput("cash", 150_000)])
    with uow() as s:
        assert (reserved_many(s), on_hand(s, tea)) == ({tea: 6}, 16)
        shift = shifts.current_shift(s, world["manager"].id)
        assert shifts.expected_cash(s, shift) == 133_236
        returns.void_last_sale(s, shift, "quanly", "quanly-pass", "Khách đổi ngày lấy")
    with uow() as s:
        assert s.get(Sale, sale.id).status == "voided"
        assert (reserved_many(s), on_hand(s, tea)) == ({tea: 10}, 20)  # back in stock, and held for the order again
        assert [lp.remaining for lp in deliveries.progress(s, orders.get_order(s, order_id))] == [10]
        assert shifts.expected_cash(s, shifts.current_shift(s, world["manager"].id)) == 0
    again = _deliver(uow, world, order_id, {line: 10}, [PaymentInput("cash", 333_090)])
    assert again.total_vnd == 333_090
    with uow() as s, pytest.raises(Conflict, match="Chỉ giao được"):
        deliveries.deliver(
            s,
            order_id,
            quantities={line: 1},
            paid_now=[],
            receiver_name="",
            note="",
            cashier_id=world["manager"].id,
            showroom_code="SR01",
            allow_negative=False,
            now=NOW,
            tz_name=TZ,
            limits=DiscountLimits(),
            checkout={},
        )
