"""The central server against a showroom that lies: another showroom's records, sales that do not add up,
re-sent records that changed, clocks that jumped (issue 11 items 2, 3 and 7). Real PostgreSQL."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy import text
from sqlmodel import select

from pos.central.models import Producer, Product, Sale, SaleReturn, SaleVoid, ShiftClose, Showroom, SyncIssue
from pos.db import session_scope
from pos.sync.samples import Record, SampleShowroom
from tests.unit.test_sync_central import AT, DAY, count, push, register

pytestmark = pytest.mark.postgres


def two_showrooms(engine: Any) -> tuple[SampleShowroom, SampleShowroom]:
    register(engine, "SR01")
    register(engine, "SR02")
    return SampleShowroom("SR01", seed=1), SampleShowroom("SR02", seed=2)


def issues(engine: Any) -> list[tuple[str, str, int, str, bool, str | None]]:
    """(showroom, kind, seq, problem, held, other showroom) of every issue, in order."""
    with engine.connect() as conn:
        return [
            tuple(row)
            for row in conn.execute(
                text(
                    "SELECT s.code, i.kind, i.seq, i.problem, i.is_held, o.code FROM sync_issue i "
                    "JOIN showroom s ON s.id = i.showroom_id LEFT JOIN showroom o ON o.id = i.other_showroom_id "
                    "ORDER BY i.id"
                )
            )
        ]


def showroom_id(s: Any, code: str) -> int:
    return s.exec(select(Showroom.id).where(Showroom.code == code)).one()


# --- Item 2: one showroom cannot touch another's records --------------------------------------------------------


def test_another_showroom_cannot_overwrite_a_producer_or_a_product(central_engine: Any) -> None:
    sr01, sr02 = two_showrooms(central_engine)
    push(central_engine, "SR01", sr01.catalogue_records(AT))
    producer = copy.deepcopy(sr01.producers[0])
    producer.update(name="Bị chiếm", commission_bp=10_000, is_active=False)
    product = copy.deepcopy(sr01.products[0])
    product.update(name="Bị đổi tên", price_vnd=1, is_active=False)
    push(
        central_engine,
        "SR02",
        [Record("producer", producer["uuid"], producer, AT), Record("product", product["uuid"], product, AT)],
    )
    with session_scope(central_engine) as s:
        sr01_id = showroom_id(s, "SR01")
        theirs = s.exec(
            select(Producer).where(Producer.uuid == producer["uuid"], Producer.first_showroom_id == sr01_id)
        ).one()
        assert (theirs.name, theirs.commission_bp, theirs.is_active) == (sr01.producers[0]["name"], 2000, True)
        item = s.exec(
            select(Product).where(Product.uuid == product["uuid"], Product.first_showroom_id == sr01_id)
        ).one()
        assert (item.name, item.is_active) == (sr01.products[0]["name"], True)
        assert item.producer_id is not None and s.get(Producer, item.producer_id).first_showroom_id == sr01_id  # type: ignore[union-attr]
    assert issues(central_engine) == [
        ("SR02", "producer", 1, "uuid_collision", False, "SR01"),
        ("SR02", "product", 2, "uuid_collision", False, "SR01"),
    ]


def test_a_stolen_sale_uuid_does_not_hide_the_real_sale(central_engine: Any) -> None:
    sr01, sr02 = two_showrooms(central_engine)
    day = sr01.catalogue_records(AT) + sr01.day(DAY, sales=30, shifts=1)
    victim = next(r for r in day if r.kind == "sale")
    push(central_engine, "SR02", sr02.catalogue_records(AT))
    forged = sr02.sale(AT, str(uuid4()))
    forged["uuid"] = victim.payload["uuid"]  # SR01's sale, not yet synced
    push(central_engine, "SR02", [Record("sale", forged["uuid"], forged, AT)], first_seq=100)

    push(central_engine, "SR01", day)
    with session_scope(central_engine) as s:
        sr01_id = showroom_id(s, "SR01")
        mine = s.exec(select(Sale).where(Sale.showroom_id == sr01_id, Sale.uuid == victim.payload["uuid"])).one()
        assert mine.total_vnd == victim.payload["total_vnd"]
        assert len(s.exec(select(Sale).where(Sale.showroom_id == sr01_id)).all()) == 30
        assert s.exec(select(ShiftClose).where(ShiftClose.showroom_id == sr01_id)).one().check_status == "ok"
    assert ("SR01", "sale", victim_seq(day, victim), "uuid_collision", False, "SR02") in issues(central_engine)


def victim_seq(records: list[Record], record: Record) -> int:
    return records.index(record) + 1


def test_another_showroom_cannot_void_a_sale_nor_block_its_real_void(central_engine: Any) -> None:
    sr01, _sr02 = two_showrooms(central_engine)
    sale = sr01.sale(AT, str(uuid4()))
    push(central_engine, "SR01", sr01.catalogue_records(AT) + [Record("sale", sale["uuid"], sale, AT)])
    void_at = AT + timedelta(seconds=30)
    void = SampleShowroom.void(sale, void_at, by="kexau")
    push(central_engine, "SR02", [Record("void", sale["uuid"], void, void_at)])
    with session_scope(central_engine) as s:
        assert s.exec(select(Sale)).one().status == "completed"
        assert s.exec(select(SaleVoid)).first() is None
    assert issues(central_engine) == [("SR02", "void", 1, "foreign_reference", True, "SR01")]

    real = SampleShowroom.void(sale, void_at + timedelta(seconds=5))
    push(central_engine, "SR01", [Record("void", sale["uuid"], real, void_at)], first_seq=500)
    with session_scope(central_engine) as s:
        row = s.exec(select(Sale)).one()
        assert (row.status, row.voided_by) == ("voided", "quanly")


def test_a_return_cannot_be_linked_to_another_showrooms_sale(central_engine: Any) -> None:
    sr01, sr02 = two_showrooms(central_engine)
    sale = sr01.sale(AT, str(uuid4()))
    push(central_engine, "SR01", sr01.catalogue_records(AT) + [Record("sale", sale["uuid"], sale, AT)])
    ret = sr02.sale_return(sale, AT + timedelta(minutes=5), str(uuid4()))
    ret["total_vnd"] = ret["lines"][0]["amount_vnd"] = 99_000_000
    push(central_engine, "SR02", [Record("return", ret["uuid"], ret, AT)])
    assert count(central_engine, "sale_return") == 0
    assert issues(central_engine) == [("SR02", "return", 1, "foreign_reference", True, "SR01")]


def test_showrooms_sharing_a_catalogue_product_are_no_collision(central_engine: Any) -> None:
    from pos.central import catalog

    sr01, sr02 = two_showrooms(central_engine)
    push(central_engine, "SR01", sr01.catalogue_records(AT))
    with session_scope(central_engine) as s:
        entry = catalog.promote_product(s, sr01.products[0]["uuid"], 50_000, actor="office")
    pulled = dict(sr01.products[0], price_vnd=55_000)  # what SR02 holds after pulling the catalogue
    sr02.products.append(pulled)
    sr02.producers.append(next(p for p in sr01.producers if p["uuid"] == pulled["producer_uuid"]))
    push(central_engine, "SR02", sr02.catalogue_records(AT))
    assert issues(central_engine) == []
    with session_scope(central_engine) as s:
        rows = s.exec(select(Product).where(Product.uuid == entry.uuid)).all()
        assert len(rows) == 2 and {r.catalog_product_id for r in rows} == {entry.id}


# --- Item 3: records that do not add up are held aside ---------------------------------------------------------


def _sale(shop: SampleShowroom, **changes: Any) -> dict[str, Any]:
    sale = shop.sale(AT, str(uuid4()), lines=2)
    sale.update(changes)
    return sale


def test_sales_that_do_not_add_up_are_held_aside(central_engine: Any) -> None:
    register(central_engine)
    shop = SampleShowroom("SR01")
    good = _sale(shop)
    inflated = _sale(shop, total_vnd=999_999_999)
    overpaid = _sale(shop)
    overpaid["payments"] = [
        {"method": "card", "amount_vnd": 5_000_000_000, "tendered_vnd": None, "change_vnd": None, "reference": "x"}
    ]
    unpaid = _sale(shop, payments=[])
    bad_vat = _sale(shop)
    bad_vat["lines"][0]["vat_vnd"] += 5_000
    bad_vat["vat_vnd"] += 5_000
    bad_change = _sale(shop)
    bad_change["payments"] = [
        {"method": "cash", "amount_vnd": bad_change["total_vnd"], "tendered_vnd": 10**7, "change_vnd": 0,
         "reference": ""}
    ]  # fmt: skip
    sales = [good, inflated, overpaid, unpaid, bad_vat, bad_change]
    result = push(central_engine, "SR01", [Record("sale", s["uuid"], s, AT) for s in sales])
    assert result.acknowledged == [1, 2, 3, 4, 5, 6]  # acknowledged, so the showroom's queue moves on
    with session_scope(central_engine) as s:
        assert [str(row.uuid) for row in s.exec(select(Sale))] == [good["uuid"]]
        held = s.exec(select(SyncIssue).order_by(SyncIssue.seq)).all()  # type: ignore[arg-type]
        assert [(i.seq, i.problem, i.is_held) for i in held] == [(n, "inconsistent", True) for n in range(2, 7)]
        fields = [{p["field"] for p in i.detail["problems"]} for i in held]
    assert "total_vnd" in fields[0]
    assert "payments.amount_vnd" in fields[1]
    assert "payments" in fields[2]
    assert "vat[800]" in fields[3] or "vat[500]" in fields[3] or "vat[0]" in fields[3]
    assert "payments[0].change_vnd" in fields[4]
    assert count(central_engine, "sale_line") == len(good["lines"])


def test_returns_never_above_what_was_sold(central_engine: Any) -> None:
    register(central_engine)
    shop = SampleShowroom("SR01")
    sale = shop.sale(AT, str(uuid4()), lines=1)
    sale["lines"][0].update(qty=1)
    price = sale["lines"][0]["unit_price_vnd"]
    sale["lines"][0].update(total_vnd=price, discount_vnd=0)
    sale.update(subtotal_vnd=price, line_discount_vnd=0, total_vnd=price)
    sale["lines"][0]["vat_vnd"] = sale["vat_vnd"] = __import__("pos.money").money.vat_included(
        price, sale["lines"][0]["vat_rate_bp"]
    )
    sale["payments"] = [{"method": "card", "amount_vnd": price, "tendered_vnd": None, "change_vnd": None,
                         "reference": "x"}]  # fmt: skip
    first = shop.sale_return(sale, AT + timedelta(minutes=1), sale["shift_uuid"])
    twice = shop.sale_return(sale, AT + timedelta(minutes=2), sale["shift_uuid"])
    too_much = shop.sale_return(sale, AT + timedelta(minutes=3), sale["shift_uuid"])
    too_much["lines"][0]["amount_vnd"] = too_much["total_vnd"] = price * 10
    push(
        central_engine,
        "SR01",
        shop.catalogue_records(AT)
        + [Record("sale", sale["uuid"], sale, AT)]
        + [Record("return", r["uuid"], r, AT) for r in (first, twice)],
    )
    push(central_engine, "SR01", [Record("return", too_much["uuid"], too_much, AT)], first_seq=1000)
    with session_scope(central_engine) as s:
        assert [str(r.uuid) for r in s.exec(select(SaleReturn))] == [first["uuid"]]
    assert [(i[1], i[3], i[4]) for i in issues(central_engine)] == [
        ("return", "inconsistent", True),
        ("return", "inconsistent", True),
    ]


def test_a_resent_seq_with_other_content_is_a_conflict_the_office_sees(central_engine: Any) -> None:
    register(central_engine)
    shop = SampleShowroom("SR01")
    sale = shop.sale(AT, str(uuid4()))
    records = shop.catalogue_records(AT) + [Record("sale", sale["uuid"], sale, AT)]
    push(central_engine, "SR01", records)
    push(central_engine, "SR01", records)  # the same again: a plain duplicate
    assert issues(central_engine) == []
    changed = copy.deepcopy(sale)
    changed["cashier"] = "nguoikhac"
    again = push(central_engine, "SR01", [Record("sale", changed["uuid"], changed, AT)], first_seq=len(records))
    assert again.duplicates == 1
    push(central_engine, "SR01", [Record("sale", changed["uuid"], changed, AT)], first_seq=len(records))
    assert issues(central_engine) == [("SR01", "sale", len(records), "resent_differs", False, None)]
    with session_scope(central_engine) as s:
        assert s.exec(select(Sale)).one().cashier == sale["cashier"]  # the stored one stands


# --- Item 7: clocks that jumped ----------------------------------------------------------------------------------


def test_sales_dated_outside_their_shift_or_far_from_arrival_are_flagged(central_engine: Any) -> None:
    register(central_engine)
    shop = SampleShowroom("SR01", seed=3)
    now = datetime.now(UTC).replace(microsecond=0)
    today = now.date()
    records = shop.catalogue_records(now) + shop.day(today, sales=10, shifts=1)
    close = records[-1].payload
    early = next(r for r in records if r.kind == "sale")
    early.payload["created_at"] = (datetime.fromisoformat(close["opened_at"]) - timedelta(days=2)).isoformat()
    old = shop.sale(datetime(2025, 6, 30, 3, tzinfo=UTC), str(uuid4()))
    records.append(Record("sale", old["uuid"], old, datetime(2025, 6, 30, 3, tzinfo=UTC)))
    push(central_engine, "SR01", records)
    found = {(i.seq, i.detail.get("why")) for i in _issue_rows(central_engine)}
    assert (records.index(early) + 1, "outside_shift") in found
    assert (len(records), "far_from_arrival") in found
    assert all(i.problem == "clock" and not i.is_held for i in _issue_rows(central_engine))
    assert count(central_engine, "sale") == 11  # flagged, still counted


def _issue_rows(engine: Any) -> list[SyncIssue]:
    with session_scope(engine) as s:
        rows = list(s.exec(select(SyncIssue)))
        s.expunge_all()
    return rows
