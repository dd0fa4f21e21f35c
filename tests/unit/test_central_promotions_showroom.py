"""Central promotions as a showroom keeps them (real SQLite, no central server): products named by catalogue link
or barcode, a combination of catalogue items, a catalogue producer, re-applying a page, a bad answer refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest

from pos.barcodes import instore_ean13
from pos.db import session_scope
from pos.promotions.central import apply_pulled
from pos.promotions.services import promotions_for
from pos.sync import contract

NOW = datetime(2027, 1, 20, 3, 0, tzinfo=UTC)


def _pulled(**fields: Any) -> list[contract.CentralPromotionOut]:
    row = {
        "uuid": str(uuid4()),
        "name": "Tết văn phòng",
        "kind": "percent",
        "target": "product",
        "percent_bp": 1000,
        "starts_at": (NOW - timedelta(days=1)).isoformat(),
        "ends_at": (NOW + timedelta(days=1)).isoformat(),
        "borne_by": "showroom",
        "is_active": True,
        "revision": 7,
        "items": [],
    }
    row.update(fields)
    return contract.pulled_promotions([row])


def _offers(engine: Any, *lines: tuple[Any, int]) -> list[Any]:
    with session_scope(engine, write=False) as s:
        return promotions_for(s, list(lines), NOW, "SR01")


def test_products_are_found_by_catalogue_link_then_by_barcode(engine: Any, make_product: Any) -> None:
    linked_uuid, by_code_uuid = uuid4(), uuid4()
    linked = make_product(name="Chè linked", price_vnd=100_000, central_uuid=linked_uuid)
    coded = make_product(name="Mật ong", price_vnd=200_000, barcode="8935049500070")
    other = make_product(name="Không liên quan", price_vnd=200_000, barcode=instore_ean13(5))
    items = [
        {"catalog_uuid": str(linked_uuid), "barcode": "8935049500063"},
        {"catalog_uuid": str(by_code_uuid), "barcode": "8935049500070"},
    ]
    with session_scope(engine) as s:
        assert apply_pulled(s, _pulled(items=items)) == 1
    got = _offers(engine, (linked, 1), (coded, 1), (other, 1))
    assert [a.discount_vnd if a else None for a in got] == [10_000, 20_000, None]


def test_a_combination_of_catalogue_items_and_a_catalogue_producer(
    engine: Any, make_product: Any, make_producer: Any
) -> None:
    tea_uuid, cake_uuid = uuid4(), uuid4()
    tea = make_product(name="Chè", price_vnd=120_000, central_uuid=tea_uuid)
    cake = make_product(name="Bánh", price_vnd=80_000, central_uuid=cake_uuid)
    maker = make_producer(name="HTX của danh mục chung")
    honey = make_product(name="Mật ong", price_vnd=100_000, producer_id=maker.id)
    set_items = [{"catalog_uuid": str(tea_uuid)}, {"catalog_uuid": str(cake_uuid)}]
    with session_scope(engine) as s:
        apply_pulled(s, _pulled(name="Bộ quà Tết", kind="combo", price_vnd=150_000, percent_bp=0, items=set_items))
        apply_pulled(s, _pulled(name="HTX giảm 30%", target="producer", target_value=str(maker.uuid), percent_bp=3000))
    combo, _, producer = _offers(engine, (tea, 1), (cake, 1), (honey, 2))
    assert combo is not None and producer is not None
    assert combo.offer.name == "Bộ quà Tết" and producer.offer.name == "HTX giảm 30%"
    assert producer.discount_vnd == 60_000
    tea_off, cake_off = (a.discount_vnd for a in _offers(engine, (tea, 1), (cake, 1)))  # type: ignore[union-attr]
    assert tea_off + cake_off == 50_000  # 200.000 of retail for 150.000, shared by retail value


def test_a_page_applied_twice_changes_nothing_and_an_ended_one_stops(engine: Any, make_product: Any) -> None:
    uuid = uuid4()
    tea = make_product(name="Chè", price_vnd=120_000, central_uuid=uuid)
    page = _pulled(items=[{"catalog_uuid": str(uuid)}])
    with session_scope(engine) as s:
        assert apply_pulled(s, page) == 1
    with session_scope(engine) as s:
        assert apply_pulled(s, page) == 0
    assert _offers(engine, (tea, 1))[0] is not None
    ended = _pulled(uuid=str(page[0].uuid), items=[{"catalog_uuid": str(uuid)}], is_active=False, revision=9)
    with session_scope(engine) as s:
        assert apply_pulled(s, ended) == 1
    assert _offers(engine, (tea, 1)) == [None]


def test_a_bad_answer_is_refused_naming_the_field() -> None:
    with pytest.raises(contract.ContractError) as refused:
        _pulled(kind="half_price")
    assert refused.value.field == "promotions[0].kind" and "trường promotions[0].kind" in refused.value.message
    with pytest.raises(contract.ContractError) as refused:
        _pulled(percent_bp=20_000)
    assert "lớn hơn giá trị cho phép" in refused.value.message
