"""Promotions at the till: every kind at the first and last minute of its period (local time), the one rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session, select

from pos.barcodes import instore_ean13
from pos.errors import ValidationError
from pos.inventory.ledger import record_movement
from pos.inventory.models import StockMovement
from pos.promotions import services as promotions
from pos.promotions.models import SalePromotion
from pos.sales import cart as carts
from pos.sales import discounts, scanning, shifts
from pos.sales.checkout import complete_sale
from pos.sales.pricing import Discount, DiscountLimits, PaymentInput
from pos.sales.receipt_data import receipt_for_sale
from pos.sales.till_json import cart_view

TZ = "Asia/Ho_Chi_Minh"
# 20/01/2027 08:00 to 17:59 in Hà Nội (UTC+7): in force from 01:00:00 UTC to 10:59:59 UTC.
FIRST = datetime(2027, 1, 20, 1, 0, tzinfo=UTC)
LAST = datetime(2027, 1, 20, 10, 59, 59, tzinfo=UTC)
SECOND = timedelta(seconds=1)


@pytest.fixture
def shop(uow: Any, make_user: Any, make_producer: Any, make_product: Any) -> dict[str, Any]:
    cashier = make_user("thungan", "cashier")
    maker = make_producer(name="HTX Chè Shan tuyết")
    other = make_producer(name="Làng cốm Vòng")
    tea = make_product(
        name="Chè Shan tuyết",
        barcode=instore_ean13(21),
        price_vnd=120_000,
        producer_id=maker.id,
        ocop_group="do_uong",
        ocop_stars=4,
    )
    cake = make_product(
        name="Bánh cốm",
        barcode=instore_ean13(22),
        price_vnd=45_000,
        producer_id=other.id,
        ocop_stars=3,
        vat_class="reduced",
    )
    with uow() as s:
        for p in (tea, cake):
            record_movement(s, StockMovement(product_id=p.id, kind="intake", qty_delta=50))
        shifts.open_shift(s, cashier.id, 0)
    return {"cashier": cashier, "maker": maker, "tea": tea, "cake": cake}


def promote(uow: Any, **fields: Any) -> Any:
    data = promotions.PromotionInput(
        name=fields.pop("name", "Đón Tết"), starts="20/01/2027 08:00", ends="20/01/2027 17:59", **fields
    )
    with uow() as s:
        return promotions.save_promotion(s, data, tz_name=TZ, actor_id=None)


def priced_at(uow: Any, shop: dict[str, Any], at: datetime, *lines: tuple[str, int]) -> Any:
    with uow() as s:
        cart = carts.get_or_create_active_cart(s, shop["cashier"].id)
        carts.clear_cart(s, cart)
        for code, qty in lines:
            scanning.scan(s, cart, code, qty)
        return carts.price_cart(s, cart, at.date(), at=at)[1]


def promo_at(uow: Any, shop: dict[str, Any], at: datetime, *lines: tuple[str, int]) -> list[int]:
    return [line.promo_vnd for line in priced_at(uow, shop, at, *lines).lines]


KINDS = [
    ({"kind": "price", "price_vnd": "99.000", "items": [("TEA", 1)]}, [("TEA", 2)], [42_000]),
    ({"kind": "percent", "percent": "15", "items": [("TEA", 1)]}, [("TEA", 1)], [18_000]),
    (
        {"kind": "percent", "percent": "10", "target": "producer", "target_value": "MAKER"},
        [("TEA", 1), ("CAKE", 1)],
        [12_000, 0],
    ),
    ({"kind": "percent", "percent": "20", "target": "group", "target_value": "do_uong"}, [("TEA", 1)], [24_000]),
    (
        {"kind": "percent", "percent": "10", "target": "stars", "target_value": "4"},
        [("TEA", 1), ("CAKE", 1)],
        [12_000, 0],
    ),
    ({"kind": "bxgy", "buy_qty": "2", "get_qty": "1", "items": [("TEA", 1)]}, [("TEA", 7)], [240_000]),
    (
        {"kind": "combo", "price_vnd": "150.000", "items": [("TEA", 1), ("CAKE", 1)]},
        [("TEA", 1), ("CAKE", 2)],
        [10_909, 4_091],
    ),
]


@pytest.mark.parametrize(
    ("fields", "lines", "expected"),
    KINDS,
    ids=["price", "percent-product", "percent-producer", "percent-group", "percent-stars", "buy-x-get-y", "combo"],
)
def test_every_kind_at_its_first_and_last_minute(
    uow: Any, shop: dict[str, Any], fields: dict[str, Any], lines: list[tuple[str, int]], expected: list[int]
) -> None:
    codes = {"TEA": shop["tea"].barcode, "CAKE": shop["cake"].barcode}
    fields = dict(fields)
    if "items" in fields:
        fields["items"] = [(codes[c], q) for c, q in fields["items"]]
    if fields.get("target_value") == "MAKER":
        fields["target_value"] = str(shop["maker"].id)
    promote(uow, **fields)
    ring = [(codes[c], q) for c, q in lines]
    nothing = [0] * len(lines)
    assert promo_at(uow, shop, FIRST - SECOND, *ring) == nothing  # 07:59:59 in Hà Nội
    assert promo_at(uow, shop, FIRST, *ring) == expected  # 08:00:00
    assert promo_at(uow, shop, LAST, *ring) == expected  # 17:59:59
    assert promo_at(uow, shop, LAST + SECOND, *ring) == nothing  # 18:00:00


def test_the_best_promotion_wins_and_none_stacks(uow: Any, shop: dict[str, Any]) -> None:
    tea = shop["tea"].barcode
    promote(uow, name="Giảm 10%", kind="percent", percent="10", items=[(tea, 1)])
    promote(uow, name="Giá Tết", kind="price", price_vnd="99.000", items=[(tea, 1)])
    promote(uow, name="Mua 2 tặng 1", kind="bxgy", buy_qty="2", get_qty="1", items=[(tea, 1)])
    one = priced_at(uow, shop, FIRST, (tea, 1)).lines[0]
    assert (one.promotion_name, one.promo_vnd) == ("Giá Tết", 21_000)
    three = priced_at(uow, shop, FIRST, (tea, 3)).lines[0]
    assert (three.promotion_name, three.promo_vnd) == ("Mua 2 tặng 1", 120_000)  # beats 3 × 21 000
    assert three.total_vnd == 240_000


def test_a_showroom_not_named_gets_nothing(uow: Any, shop: dict[str, Any]) -> None:
    promote(uow, kind="percent", percent="10", items=[(shop["tea"].barcode, 1)], showrooms="SR02, sr03")
    with uow() as s:
        cart = carts.get_or_create_active_cart(s, shop["cashier"].id)
        scanning.scan(s, cart, shop["tea"].barcode)
        assert carts.price_cart(s, cart, FIRST.date(), at=FIRST, showroom_code="SR01")[1].lines[0].promo_vnd == 0
        assert carts.price_cart(s, cart, FIRST.date(), at=FIRST, showroom_code="SR03")[1].lines[0].promo_vnd == 12_000


def test_a_typed_discount_comes_on_top_of_the_promotion(uow: Any, shop: dict[str, Any]) -> None:
    promote(uow, kind="percent", percent="8", items=[(shop["tea"].barcode, 1)], name="KM 8%")
    limits = DiscountLimits(cashier_bp=1000, manager_bp=5000)
    now = datetime.now(UTC)
    with uow() as s:  # a promotion in force now, so the till's own clock sees it
        p = promotions.list_promotions(s)[0]
        p.starts_at, p.ends_at = now - timedelta(hours=1), now + timedelta(hours=1)
    with uow() as s:
        cart = carts.get_or_create_active_cart(s, shop["cashier"].id)
        line = scanning.scan(s, cart, shop["tea"].barcode)
        # The typed 2% applies to what the 8% promotion leaves; the caps measure the typed discount.
        discounts.set_line_discount(
            s, cart, line.id, Discount("percent", 200), limits=limits, actor_id=shop["cashier"].id
        )
        with pytest.raises(discounts.ApprovalRequired):
            discounts.set_line_discount(
                s, cart, line.id, Discount("percent", 1100), limits=limits, actor_id=shop["cashier"].id
            )
        view = cart_view(s, cart, now.date(), limits)
        assert view["lines"][0]["promotion"]["name"] == "KM 8%"
        assert view["lines"][0]["line_discount_vnd"] == 9_600 + 2_208


def test_a_sale_records_its_promotion_for_the_receipt_and_the_report(
    uow: Any, engine: Any, shop: dict[str, Any]
) -> None:
    promote(
        uow,
        name="Trọn bộ quà Tết",
        kind="combo",
        price_vnd="150.000",
        items=[(shop["tea"].barcode, 1), (shop["cake"].barcode, 1)],
        borne_by="producer",
    )
    with uow() as s:
        cart = carts.get_or_create_active_cart(s, shop["cashier"].id)
        scanning.scan(s, cart, shop["tea"].barcode)
        scanning.scan(s, cart, shop["cake"].barcode)
        sale = complete_sale(
            s,
            cart_id=cart.id,
            payments=[PaymentInput("cash", 150_000)],
            cashier_id=shop["cashier"].id,
            idempotency_key="k-promo-0001",
            showroom_code="SR01",
            allow_negative=False,
            now=LAST,
        )
    assert sale.total_vnd == 150_000
    with Session(engine) as s:
        rows = s.exec(select(SalePromotion)).all()
        assert sorted(r.discount_vnd for r in rows) == [4_091, 10_909]
        receipt = receipt_for_sale(s, sale, {})
        assert receipt.lines[0].promotion == "Trọn bộ quà Tết (Trọn bộ 150.000 ₫)"
        report = promotions.promotion_report(s, FIRST, LAST + SECOND)
        assert [(r.producer, r.sold_vnd, r.cost_vnd, r.borne_by) for r in report] == [
            ("HTX Chè Shan tuyết", 109_091, 10_909, "producer"),
            ("Làng cốm Vòng", 40_909, 4_091, "producer"),
        ]


def test_bad_promotions_are_refused_with_every_reason(uow: Any, shop: dict[str, Any]) -> None:
    with uow() as s, pytest.raises(ValidationError) as err:
        promotions.save_promotion(
            s,
            promotions.PromotionInput(
                name="", kind="percent", percent="150", starts="32/01/2027", ends="x", items=[("nope", 1)]
            ),
            tz_name=TZ,
            actor_id=None,
        )
    errors = err.value.details["errors"]
    assert {"name", "percent", "starts", "ends", "item_0"} <= set(errors)


# --- Goods sold by weight ---------------------------------------------------------------------------------------


@pytest.fixture
def oranges(uow: Any, make_product: Any, shop: dict[str, Any]) -> Any:
    """Oranges at 60.000 ₫/kg, sold by weight (quantities in grams), in the tea's producer's range."""
    orange = make_product(
        name="Cam Cao Phong",
        barcode=instore_ean13(23),
        price_vnd=60_000,
        producer_id=shop["maker"].id,
        ocop_group="do_uong",
        sold_by="weight",
        unit="kg",
    )
    with uow() as s:
        record_movement(s, StockMovement(product_id=orange.id, kind="intake", qty_delta=20_000))
    return orange


def weighed_promo_at(uow: Any, shop: dict[str, Any], at: datetime, orange: Any, grams: str, *more: Any) -> list[int]:
    with uow() as s:
        cart = carts.get_or_create_active_cart(s, shop["cashier"].id)
        carts.clear_cart(s, cart)
        scanning.scan(s, cart, orange.barcode, weight=grams)
        for code, qty in more:
            scanning.scan(s, cart, code, qty)
        return [line.promo_vnd for line in carts.price_cart(s, cart, at.date(), at=at)[1].lines]


def test_buy_x_get_y_never_counts_grams_as_pieces(uow: Any, shop: dict[str, Any], oranges: Any) -> None:
    """A "buy 2 get 1" over the producer's range gives the tea its free box and 500 g of oranges nothing (it would
    have taken 166 "free pieces" of 60.000 ₫ had the grams been counted)."""
    promote(uow, kind="bxgy", buy_qty="2", get_qty="1", target="producer", target_value=str(shop["maker"].id))
    assert weighed_promo_at(uow, shop, FIRST, oranges, "500", (shop["tea"].barcode, 3)) == [0, 120_000]


def test_percent_and_price_per_kg_take_off_a_weighed_line(uow: Any, shop: dict[str, Any], oranges: Any) -> None:
    promote(uow, name="Giảm 10%", kind="percent", percent="10", items=[(oranges.barcode, 1)])
    assert weighed_promo_at(uow, shop, FIRST, oranges, "0,35") == [2_100]  # 10% of 350 g × 60.000 ₫/kg = 21.000 ₫
    promote(uow, name="Cam 45.000 ₫/kg", kind="price", price_vnd="45.000", items=[(oranges.barcode, 1)])
    # 1,255 kg: 75.300 ₫ at 60.000 ₫/kg, 56.475 ₫ at 45.000 ₫/kg (each rounded half-up like the till's line).
    assert weighed_promo_at(uow, shop, FIRST, oranges, "1255") == [75_300 - 56_475]


@pytest.mark.parametrize("kind", ["bxgy", "combo"])
def test_the_form_refuses_a_weighed_product_for_pieces_only_kinds(
    uow: Any, shop: dict[str, Any], oranges: Any, kind: str
) -> None:
    fields = {"buy_qty": "2", "get_qty": "1"} if kind == "bxgy" else {"price_vnd": "100.000"}
    items = [(oranges.barcode, 1), (shop["cake"].barcode, 1)]
    with pytest.raises(ValidationError) as err:
        promote(uow, kind=kind, items=items, **fields)
    message = err.value.details["errors"]["item_0"]
    assert "“Cam Cao Phong” bán theo cân" in message and "chỉ áp dụng cho hàng bán theo cái" in message
    with uow() as s:
        assert promotions.list_promotions(s) == []  # nothing half-written
