"""The showroom's pages and exports show grams of weighed goods as kg, pieces as pieces, never one added to the
other: stock list and product page, an intake, the stock reports (value, reorder list, slow movers) and the
sales breakdowns with their SL (cái) / KL (kg) columns."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from pos.errors import ValidationError
from pos.inventory.intake import IntakeLineInput, receive_stock
from pos.inventory.ledger import on_hand
from tests.http.test_weight_http import goods  # noqa: F401  (fixture: tea 5 kg, oranges 20 kg, cake 10)


def test_stock_pages_show_kg_for_weighed_goods(auth, uow, goods) -> None:  # noqa: F811
    auth.login("manager", "quanly")
    listing = auth.client.get("/stock/").get_data(as_text=True)
    assert "Tổng hàng cân tồn" in listing and "25,000 kg" in listing  # tea 5 kg + oranges 20 kg
    assert "<strong>20,000</strong>" in listing  # the oranges' row, beside its unit kg
    assert "<strong>10</strong>" in listing  # the cakes, pieces
    # The showroom's default reorder point (5) is 5 kg of a weighed product, not 5 g.
    assert '<td class="num">5,000</td>' in listing and '<td class="num">5</td>' in listing
    page = auth.client.get(f"/stock/{goods['oranges'].id}").get_data(as_text=True)
    assert "<strong>20,000</strong>" in page and "35.000 ₫ / kg" in page
    assert "+20,000 kg" in page  # the intake in its history


def test_an_intake_of_weighed_goods_in_kg_and_valued_per_kg(auth, uow, goods, make_product) -> None:  # noqa: F811
    user = auth.login("manager", "quanly")
    box = make_product(name="Hộp cam quà biếu", producer_id=goods["oranges"].producer_id, price_vnd=50_000)
    with uow() as s:
        intake = receive_stock(
            s,
            goods["oranges"].producer_id,
            date.today(),
            "PG-01",
            [
                IntakeLineInput(product_id=goods["oranges"].id, qty="12,5", unit_cost_vnd="24.000"),  # kg
                IntakeLineInput(product_id=box.id, qty="4", unit_cost_vnd="30.000"),
            ],
            user.id,
        )
        intake_id = intake.id
    page = auth.client.get(f"/intakes/{intake_id}").get_data(as_text=True)
    assert "12,500 kg" in page and "24.000 ₫/kg" in page
    assert "300.000 ₫" in page  # 12,5 kg × 24.000 ₫/kg
    assert "420.000 ₫" in page  # + 4 × 30.000 ₫, the delivery's value
    listing = auth.client.get("/intakes").get_data(as_text=True)
    assert "12,500 kg" in listing and "420.000 ₫" in listing
    # A weight is read as at the till (a plain number is grams), up to ten tonnes a line: a pallet of 250 kg
    # passes where a count of pieces stops at 100.000.
    with uow() as s:
        receive_stock(
            s,
            goods["oranges"].producer_id,
            date.today(),
            "PG-02",
            [IntakeLineInput(product_id=goods["oranges"].id, qty="250 kg", unit_cost_vnd="24.000")],
            user.id,
        )
        assert on_hand(s, goods["oranges"].id) == 20_000 + 12_500 + 250_000
    with uow() as s, pytest.raises(ValidationError) as refused:
        receive_stock(
            s,
            goods["oranges"].producer_id,
            date.today(),
            "PG-03",
            [IntakeLineInput(product_id=goods["oranges"].id, qty="1,2345", unit_cost_vnd="24.000")],
            user.id,
        )
    assert "không đọc được" in str(refused.value.details["errors"])


def _csv(auth, name: str, **args: str) -> list[dict[str, str]]:
    raw = auth.client.get(f"/reports/{name}/export.csv", query_string=args).get_data()
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


def test_stock_reports_in_each_products_unit(auth, goods) -> None:  # noqa: F811
    auth.login("manager", "quanly")
    value = {r["Sản phẩm"]: r for r in _csv(auth, "stock_value")}
    assert (value["Cam Cao Phong"]["Tồn kho"], value["Cam Cao Phong"]["ĐVT"]) == ("20.000", "kg")
    assert (value["Bánh cốm Đình Bảng"]["Tồn kho"], value["Bánh cốm Đình Bảng"]["ĐVT"]) == ("10", "cái")
    assert value["Cam Cao Phong"]["Giá trị theo giá bán"] == "700000"  # 20 kg × 35.000 ₫/kg
    by_producer = _csv(auth, "stock_value", group="producer")
    assert by_producer[-1]["Tồn kho (kg)"] == "25.000" and by_producer[-1]["Tồn kho (cái)"] == "13"
    page = auth.client.get("/reports/stock_value").get_data(as_text=True)
    assert "20,000" in page
