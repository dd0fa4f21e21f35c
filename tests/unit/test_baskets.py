"""Gift baskets through the real till and ledger: defined, assembled, sold, returned, taken apart, settled."""

from __future__ import annotations

import io
import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlmodel import Session, select

from pos.barcodes import instore_ean13
from pos.baskets import services as baskets
from pos.baskets.models import SaleBasket
from pos.baskets.split import component_shares, split_vnd
from pos.errors import Conflict, ValidationError
from pos.inventory.ledger import ledger_mismatches, on_hand_many, record_movement
from pos.inventory.models import StockMovement
from pos.reports.period import Period
from pos.sales import cart as carts
from pos.sales import returns, scanning, shifts
from pos.sales.checkout import complete_sale
from pos.sales.models import Sale, SaleLine
from pos.sales.pricing import PaymentInput
from pos.sales.receipt_data import receipt_for_sale
from pos.settlement import services as settlement
from pos.settlement.pdf import render_statement
from pos.sync.models import OutboxRecord
from tests.unit.test_settlement import META

NOW = datetime(2026, 12, 20, 3, 0, tzinfo=UTC)  # 10:00 in Hà Nội, five weeks before Tết
TZ = "Asia/Ho_Chi_Minh"


def test_the_split_is_proportional_to_retail_and_exact_to_the_dong() -> None:
    assert split_vnd(495_000, [200_000, 300_000, 50_000]) == [180_000, 270_000, 45_000]
    assert split_vnd(100_000, [1, 1, 1]) == [33_334, 33_333, 33_333]  # ties: the first component first
    assert split_vnd(10, [0, 0]) == [5, 5]  # free components share evenly rather than lose the money
    shares = component_shares(1, 99_999, 0, [(3, 10_000), (1, 10_000), (1, 10_000)])
    assert [s.total_vnd for s in shares] == [59_999, 20_000, 20_000]
    assert sum(s.total_vnd for s in shares) == 99_999
    assert [(s.qty, s.unit_price_vnd, s.discount_vnd) for s in shares] == [
        (3, 20_000, 1),
        (1, 20_000, 0),
        (1, 20_000, 0),
    ]
    for s in component_shares(7, 7 * 123_457, 10_001, [(2, 35_000), (5, 9_900), (1, 120_000)]):
        assert s.qty * s.unit_price_vnd == s.gross_vnd and s.gross_vnd - s.discount_vnd == s.total_vnd
        assert s.discount_vnd >= 0


@pytest.fixture
def shop(uow: Any, make_user: Any, make_producer: Any, make_product: Any) -> dict[str, Any]:
    """Three producers' goods in stock (10 each), a cashier with an open shift and a basket of them."""
    cashier = make_user("thungan", "cashier")
    manager = make_user("quanly", "manager")
    a = make_producer(name="HTX Ong mật Hưng Yên", commission_bp=2000)
    b = make_producer(name="HTX Chè Tân Cương", commission_bp=1500)
    c = make_producer(name="Cơ sở mây tre Phú Vinh", commission_bp=1000)
    honey = make_product(name="Mật ong hoa nhãn", barcode=instore_ean13(11), price_vnd=200_000, producer_id=a.id)
    tea = make_product(
        name="Chè Tân Cương", barcode=instore_ean13(12), price_vnd=150_000, vat_class="reduced", producer_id=b.id
    )
    box = make_product(name="Giỏ mây", barcode=instore_ean13(13), price_vnd=50_000, producer_id=c.id)
    with uow() as s:
        for p in (honey, tea, box):
            record_movement(
                s, StockMovement(product_id=p.id, kind="intake", qty_delta=10, created_at=NOW - timedelta(days=1))
            )
        shifts.open_shift(s, cashier.id, 500_000)
        basket = baskets.save_basket(
            s,
            baskets.BasketInput(
                name="Giỏ quà Tết An Khang",
                price_vnd="495.000",
                components=[(honey.barcode, 1), (tea.sku, "2")],
                packaging=box.barcode,
            ),
            showroom_name="Điểm OCOP Hoàn Kiếm",
            actor_id=manager.id,
        )
    return {
        "cashier": cashier,
        "manager": manager,
        "a": a,
        "b": b,
        "c": c,
        "honey": honey,
        "tea": tea,
        "box": box,
        "basket": basket,
    }


def stock(uow: Any, shop: dict[str, Any]) -> tuple[int, ...]:
    with uow() as s:
        levels = on_hand_many(s, [shop[k].id for k in ("honey", "tea", "box", "basket")])
        assert ledger_mismatches(s) == []
        return tuple(levels[shop[k].id] for k in ("honey", "tea", "box", "basket"))


def sell(uow: Any, shop: dict[str, Any], codes: list[str], key: str, **kw: Any) -> Sale:
    with uow() as s:
        cart = carts.get_or_create_active_cart(s, shop["cashier"].id)
        for code in codes:
            scanning.scan(s, cart, code)
        _, priced = carts.price_cart(s, cart, NOW.date())
        return complete_sale(
            s,
            cart_id=cart.id,
            payments=[PaymentInput("transfer", priced.total_vnd)],
            cashier_id=shop["cashier"].id,
            idempotency_key=key,
            showroom_code="SR01",
            allow_negative=kw.pop("allow_negative", False),
            now=kw.pop("now", NOW),
            receipt_language=kw.pop("receipt_language", "vi"),
        )


def test_defining_a_basket_refuses_bad_components(uow: Any, shop: dict[str, Any]) -> None:
    with uow() as s, pytest.raises(ValidationError) as err:
        baskets.save_basket(
            s,
            baskets.BasketInput(
                name="Giỏ lỗi",
                price_vnd="100.000",
                components=[("không-có", 1), (shop["honey"].barcode, 0), (shop["basket"].barcode, 1)],
            ),
            showroom_name="X",
        )
    errors = err.value.details["errors"]
    assert "Không tìm thấy" in errors["component_0"]
    assert "từ 1 đến" in errors["component_1"]
    assert "giỏ không chứa giỏ khác" in errors["component_2"]
    with uow() as s:
        basket, components = baskets.get_basket(s, shop["basket"].id)
        producer = s.get(type(shop["a"]), basket.producer_id)
        assert producer.kind == "shop" and not producer.is_consignment
        assert [(c.product.name, c.qty, c.is_packaging) for c in components] == [
            ("Mật ong hoa nhãn", 1, False),
            ("Chè Tân Cương", 2, False),
            ("Giỏ mây", 1, True),
        ]


def test_assembled_sold_returned_and_taken_apart_through_till_and_ledger(
    uow: Any, engine: Any, shop: dict[str, Any]
) -> None:
    with uow() as s:
        baskets.assemble(s, shop["basket"].id, 1, actor_id=shop["manager"].id, now=NOW)
    assert stock(uow, shop) == (9, 8, 9, 1)

    # Two baskets: the one assembled ahead, and one made at the sale from the components' stock.
    sale = sell(uow, shop, [shop["basket"].barcode, shop["basket"].barcode], "k-basket-0001")
    assert stock(uow, shop) == (8, 6, 8, 0)
    assert sale.total_vnd == 990_000
    with Session(engine) as s:
        lines = s.exec(select(SaleLine).where(SaleLine.sale_id == sale.id).order_by(SaleLine.line_no)).all()
        assert [(ln.name, ln.producer_id, ln.qty, ln.unit_price_vnd, ln.total_vnd, ln.vat_rate_bp) for ln in lines] == [
            ("Mật ong hoa nhãn", shop["a"].id, 2, 180_000, 360_000, 800),
            ("Chè Tân Cương", shop["b"].id, 4, 135_000, 540_000, 500),
            ("Giỏ mây", shop["c"].id, 2, 45_000, 90_000, 800),
        ]
        # VAT per component's rate: 450 000 at 8% and 540 000 at 5%, one rounding per rate.
        assert sale.vat_vnd == 33_333 + 25_714
        row = s.exec(select(SaleBasket).where(SaleBasket.sale_id == sale.id)).one()
        assert (row.name, row.qty, row.total_vnd, row.assembled_qty) == ("Giỏ quà Tết An Khang", 2, 990_000, 1)
        receipt = receipt_for_sale(s, sale, {"SHOWROOM_NAME": "X"})
        assert [(ln.name, ln.qty, ln.total_vnd) for ln in receipt.lines] == [("Giỏ quà Tết An Khang", 2, 990_000)]
        assert receipt.lines[0].contents == ("1 Mật ong hoa nhãn", "2 Chè Tân Cương", "1 Giỏ mây")
        assert [(v.rate_bp, v.gross_vnd, v.vat_vnd) for v in receipt.vat] == [
            (800, 450_000, 33_333),
            (500, 540_000, 25_714),
        ]
        movements = s.exec(
            select(StockMovement).where(StockMovement.kind == "basket", StockMovement.reason == "sale")
        ).all()
        assert sorted((m.product_id, m.qty_delta) for m in movements) == sorted(
            [(shop["basket"].id, -1), (shop["honey"].id, 1), (shop["tea"].id, 2), (shop["box"].id, 1)]
        )
        sent = s.exec(select(OutboxRecord).where(OutboxRecord.kind == "stock_adjustment")).all()
        assert len(sent) == 8  # assembled (4 lines) and used at the sale (4 lines): the central ledger agrees

    # One basket comes back: each of its components, at the price it was sold for.
    with uow() as s:
        ids = {ln.sku: ln.id for ln in s.exec(select(SaleLine).where(SaleLine.sale_id == sale.id)).all()}
        per_basket = {ids[shop["honey"].sku]: 1, ids[shop["tea"].sku]: 2, ids[shop["box"].sku]: 1}
        refund = returns.create_return(
            s,
            sale.receipt_number,
            per_basket,
            None,
            "Khách đổi ý",
            shop["cashier"].id,
            shifts.current_shift(s, shop["cashier"].id),
            "k-return-0001",
        )
        assert refund.total_vnd == 495_000
    assert stock(uow, shop) == (9, 8, 9, 0)

    with uow() as s:
        baskets.assemble(s, shop["basket"].id, 2, actor_id=shop["manager"].id, now=NOW)
        baskets.disassemble(s, shop["basket"].id, 1, actor_id=shop["manager"].id, now=NOW)
    assert stock(uow, shop) == (8, 6, 8, 1)
    with uow() as s, pytest.raises(Conflict):
        baskets.disassemble(s, shop["basket"].id, 2, actor_id=shop["manager"].id, now=NOW)
    with uow() as s, pytest.raises(Conflict, match="Không đủ “Chè Tân Cương”"):
        baskets.assemble(s, shop["basket"].id, 4, actor_id=shop["manager"].id, now=NOW)

    # The producers' statements against the history worked out by hand above.
    period = Period(date(2026, 12, 1), date(2026, 12, 31), settlement.shop_timezone(TZ))
    with Session(engine) as s:
        honey = settlement.compute_settlement(s, shop["a"].id, period)
        tea = settlement.compute_settlement(s, shop["b"].id, period)
    q = honey["quantities"][0]
    assert {k: q[k] for k in ("received", "sold", "customer_returns", "in_baskets", "closing")} == {
        "received": 10,
        "sold": 2,
        "customer_returns": 1,
        "in_baskets": -1,
        "closing": 8,
    }
    assert honey["reconciles"] and tea["reconciles"]
    assert (honey["sales_vnd"], honey["refunds_vnd"], honey["commission_vnd"], honey["amount_owed_vnd"]) == (
        360_000,
        180_000,
        36_000,
        144_000,
    )
    assert (tea["net_sales_vnd"], tea["commission_vnd"], tea["amount_owed_vnd"]) == (270_000, 40_500, 229_500)
    assert honey["lines"][0]["name"] == "Mật ong hoa nhãn (trong giỏ quà “Giỏ quà Tết An Khang”)"
    pdf = render_statement(honey, META)
    if os.environ.get("POS_SCREENSHOTS"):
        Path(os.environ["POS_SCREENSHOTS"], "statement.pdf").write_bytes(pdf)
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
    assert "Giỏ quà" in text and "trong giỏ quà “Giỏ quà Tết An Khang”" in text


def test_a_basket_short_of_a_component_is_refused_unless_negative_stock_is_allowed(
    uow: Any, shop: dict[str, Any]
) -> None:
    codes = [shop["basket"].barcode] * 6  # 12 tea needed, 10 on hand
    with pytest.raises(Conflict, match="Không đủ hàng “Chè Tân Cương”"):
        sell(uow, shop, codes, "k-basket-0002")
    assert stock(uow, shop) == (10, 10, 10, 0)
    sell(uow, shop, codes, "k-basket-0003", allow_negative=True)
    assert stock(uow, shop) == (4, -2, 4, 0)
