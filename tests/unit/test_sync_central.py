"""The central server's services on PostgreSQL: credentials, authentication, idempotent ingest, shift checks,
the shared catalogue."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import text
from sqlmodel import select

from pos.central import batches, bulk, catalog, credentials
from pos.central.api import parse_batch
from pos.central.errors import SyncApiError
from pos.central.ingest import RECORD_COLUMNS, dangling_references, ingest_batch
from pos.central.models import (
    AuditEntry,
    Intake,
    IntakeLine,
    Producer,
    Product,
    Sale,
    SaleLine,
    SaleReturn,
    ShiftClose,
    Showroom,
    ShowroomProduct,
    StockMovement,
    SyncBatch,
    SyncLog,
    SyncRecord,
)
from pos.db import make_engine, session_scope
from pos.errors import Conflict
from pos.sync import signing
from pos.sync.samples import Record, SampleShowroom, batch_document, line_count

pytestmark = pytest.mark.postgres

TZ = __import__("zoneinfo").ZoneInfo("Asia/Ho_Chi_Minh")
DAY = date(2026, 11, 20)
AT = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def register(engine: Any, code: str = "SR01") -> credentials.IssuedSecret:
    with session_scope(engine) as s:
        return credentials.register_showroom(s, code, f"Cửa hàng {code}", "Hà Nội", "Hoàn Kiếm", actor="admin")


def push(engine: Any, code: str, records: list[Record], first_seq: int = 1) -> Any:
    """Ingest records as one batch, the way the API does after authenticating."""
    body = json.dumps(batch_document(code, records, first_seq)).encode()
    batch, payloads = parse_batch(body)
    with session_scope(engine) as s:
        showroom = s.exec(select(Showroom).where(Showroom.code == code)).one()
        return ingest_batch(s, showroom, batch, payloads, tz=TZ)


def count(engine: Any, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def totals(engine: Any) -> tuple[int, int, int]:
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT (SELECT count(*) FROM sale), (SELECT coalesce(sum(total_vnd), 0) FROM sale_line), "
                "(SELECT coalesce(sum(amount_vnd), 0) FROM payment)"
            )
        ).one()
    return int(row[0]), int(row[1]), int(row[2])


# --- Credentials ---------------------------------------------------------------------------------------------------


def test_registering_keeps_only_the_derived_key(central_engine: Any) -> None:
    issued = register(central_engine)
    with session_scope(central_engine) as s:
        stored = credentials.live_credential(s, credentials.get_showroom(s, "SR01").id)  # type: ignore[arg-type]
    assert stored is not None
    assert stored.verifier == signing.derive_key(issued.secret, "SR01").hex()
    assert stored.key_id == issued.key_id
    with central_engine.connect() as conn:
        dump = " ".join(
            str(row)
            for table in ("showroom", "showroom_credential", "office_audit")
            for row in conn.execute(text(f"SELECT * FROM {table}"))
        )
    assert issued.secret not in dump
    assert issued.secret.removeprefix(signing.SECRET_PREFIX) not in dump


def test_codes_are_unique_whatever_their_case(central_engine: Any) -> None:
    register(central_engine, "SR01")
    with pytest.raises(Conflict), session_scope(central_engine) as s:
        credentials.register_showroom(s, "sr01", "Khác", "Hà Nội")


def _authenticate(engine: Any, secret: str, code: str = "SR01", now: float | None = None, **kw: Any) -> Any:
    body = kw.pop("body", b"{}")
    headers = kw.pop("headers", None) or signing.signed_headers(
        signing.derive_key(secret, code), code, "POST", "/api/v1/sync/batches", body
    )
    with session_scope(engine) as s:
        return credentials.authenticate(
            s, "POST", "/api/v1/sync/batches", headers, kw.pop("sent_body", body), now or time.time()
        )


def _refused(engine: Any, secret: str, **kw: Any) -> SyncApiError:
    with pytest.raises(SyncApiError) as info:
        _authenticate(engine, secret, **kw)
    return info.value


def test_authentication_refuses_every_bad_request(central_engine: Any) -> None:
    issued = register(central_engine)
    register(central_engine, "SR02")
    assert _authenticate(central_engine, issued.secret).code == "SR01"

    assert _refused(central_engine, signing.new_secret()).code == "bad_credentials"  # wrong key
    assert _refused(central_engine, issued.secret, sent_body=b"{ }").code == "bad_credentials"  # tampered body
    assert _refused(central_engine, issued.secret, code="SR02").code == "bad_credentials"  # another's code
    assert _refused(central_engine, issued.secret, code="SR99").code == "bad_credentials"  # unknown showroom
    stale = _refused(central_engine, issued.secret, now=time.time() + 301)
    assert stale.code == "stale_timestamp" and stale.status == 401 and "server_time" in stale.details
    assert _refused(central_engine, issued.secret, now=time.time() - 301).code == "stale_timestamp"

    headers = signing.signed_headers(
        signing.derive_key(issued.secret, "SR01"), "SR01", "POST", "/api/v1/sync/batches", b"{}"
    )
    _authenticate(central_engine, issued.secret, headers=headers)
    replay = _refused(central_engine, issued.secret, headers=headers)
    assert replay.code == "replay" and replay.status == 409


def test_rotating_stops_the_old_key_at_once(central_engine: Any) -> None:
    old = register(central_engine)
    with session_scope(central_engine) as s:
        new = credentials.rotate_credential(s, "SR01", actor="admin")
    assert new.secret != old.secret and new.key_id != old.key_id
    assert _refused(central_engine, old.secret).code == "revoked"
    assert _authenticate(central_engine, new.secret).code == "SR01"


def test_a_revoked_key_is_refused_until_a_new_one_is_issued(central_engine: Any) -> None:
    issued = register(central_engine)
    with session_scope(central_engine) as s:
        assert credentials.revoke_credential(s, "SR01", actor="admin") == [issued.key_id]
    assert _refused(central_engine, issued.secret).code == "revoked"
    with pytest.raises(Conflict), session_scope(central_engine) as s:
        credentials.revoke_credential(s, "SR01")
    with session_scope(central_engine) as s:
        again = credentials.rotate_credential(s, "SR01")
    assert _authenticate(central_engine, again.secret).code == "SR01"


def test_old_nonces_are_forgotten(central_engine: Any) -> None:
    issued = register(central_engine)
    _authenticate(central_engine, issued.secret)
    with central_engine.begin() as conn:
        conn.execute(text("UPDATE sync_nonce SET seen_at = seen_at - interval '11 minutes'"))
    with session_scope(central_engine) as s:
        assert credentials.forget_old_nonces(s) == 1


# --- Ingest ----------------------------------------------------------------------------------------------------------


def test_a_day_is_stored_once_however_often_it_arrives(central_engine: Any) -> None:
    register(central_engine)
    shop = SampleShowroom("SR01")
    records = shop.catalogue_records(AT) + shop.day(DAY, sales=120)
    first = push(central_engine, "SR01", records)
    assert first.new == len(records) and first.duplicates == 0
    assert first.acknowledged == list(range(1, len(records) + 1))
    before = totals(central_engine)
    assert before[0] == sum(1 for r in records if r.kind == "sale")
    assert count(central_engine, "sale_line") == line_count(records)

    again = push(central_engine, "SR01", records)  # the whole batch replayed (re-signed)
    assert again.new == 0 and again.duplicates == len(records)
    assert again.acknowledged == first.acknowledged
    assert totals(central_engine) == before
    assert count(central_engine, "sync_record") == len(records)
    assert count(central_engine, "sync_batch") == 1  # a replay brings nothing new: its body is not kept

    part = push(central_engine, "SR01", records[10:40], first_seq=11)  # an overlapping re-send
    assert part.new == 0
    assert totals(central_engine) == before
    with session_scope(central_engine) as s:
        shop_row = s.exec(select(Showroom)).one()
        assert shop_row.last_seq == len(records) and shop_row.records_received == len(records)
        assert shop_row.last_push_at is not None
        logs = s.exec(select(SyncLog).order_by(SyncLog.id)).all()  # type: ignore[arg-type]
        assert [(log.new_records, log.duplicates) for log in logs] == [(len(records), 0), (0, len(records)), (0, 30)]


def test_what_arrives_matches_what_was_sold(central_engine: Any) -> None:
    register(central_engine)
    shop = SampleShowroom("SR01", seed=7)
    records = shop.catalogue_records(AT) + shop.day(DAY, sales=60)
    push(central_engine, "SR01", records)
    sales = {r.payload["uuid"]: r.payload for r in records if r.kind == "sale"}
    with session_scope(central_engine) as s:
        for sale in s.exec(select(Sale)):
            sent = sales[str(sale.uuid)]
            assert (sale.total_vnd, sale.receipt_number, sale.cashier) == (
                sent["total_vnd"],
                sent["receipt_number"],
                sent["cashier"],
            )
            assert sale.sold_on == DAY
            lines = s.exec(select(SaleLine).where(SaleLine.sale_id == sale.id).order_by(SaleLine.line_no)).all()  # type: ignore[arg-type]
            assert [(ln.line_no, ln.qty, ln.total_vnd) for ln in lines] == [
                (ln["line_no"], ln["qty"], ln["total_vnd"]) for ln in sent["lines"]
            ]
            product = s.get(Product, lines[0].product_id)
            assert product is not None and not product.is_stub
            assert lines[0].ocop_stars == product.ocop_stars and lines[0].ocop_group == product.ocop_group
        assert s.exec(select(Producer).where(Producer.is_stub)).first() is None


def test_the_same_sale_under_another_seq_is_counted_once(central_engine: Any) -> None:
    register(central_engine)
    shop = SampleShowroom("SR01")
    sale = shop.sale(AT, str(uuid4()))
    records = shop.catalogue_records(AT) + [Record("sale", sale["uuid"], sale, AT)]
    push(central_engine, "SR01", records)
    push(central_engine, "SR01", [Record("sale", sale["uuid"], sale, AT)], first_seq=len(records) + 1)
    assert count(central_engine, "sync_record") == len(records) + 1
    assert count(central_engine, "sale") == 1
    assert count(central_engine, "sale_line") == len(sale["lines"])


def test_a_sale_before_its_products_makes_stubs_that_fill_in_later(central_engine: Any) -> None:
    register(central_engine)
    shop = SampleShowroom("SR01")
    sale = shop.sale(AT, str(uuid4()), lines=2)
    push(central_engine, "SR01", [Record("sale", sale["uuid"], sale, AT)])
    with session_scope(central_engine) as s:
        line = s.exec(select(SaleLine).order_by(SaleLine.line_no)).first()  # type: ignore[arg-type]
        assert line is not None and line.ocop_group is None
        stub = s.get(Product, line.product_id)
        assert stub is not None and stub.is_stub and stub.name == sale["lines"][0]["name"]
        assert (
            s.exec(select(ShowroomProduct).where(ShowroomProduct.product_id == stub.id)).one().price_vnd
            == (sale["lines"][0]["unit_price_vnd"])
        )
    push(central_engine, "SR01", shop.catalogue_records(AT), first_seq=2)
    with session_scope(central_engine) as s:
        line = s.exec(select(SaleLine).order_by(SaleLine.line_no)).first()  # type: ignore[arg-type]
        product = s.get(Product, line.product_id)  # type: ignore[union-attr]
        assert product is not None and not product.is_stub
        assert line.ocop_group == product.ocop_group and line.ocop_stars == product.ocop_stars  # type: ignore[union-attr]
        producer = s.get(Producer, line.producer_id)  # type: ignore[union-attr]
        assert producer is not None and not producer.is_stub and producer.province


def test_a_void_cancels_the_sale_and_its_lines(central_engine: Any) -> None:
    register(central_engine)
    shop = SampleShowroom("SR01")
    sale = shop.sale(AT, str(uuid4()))
    void_at = AT + timedelta(seconds=20)
    push(central_engine, "SR01", shop.catalogue_records(AT) + [Record("sale", sale["uuid"], sale, AT)])
    push(central_engine, "SR01", [Record("void", sale["uuid"], SampleShowroom.void(sale, void_at), void_at)], 1000)
    with session_scope(central_engine) as s:
        row = s.exec(select(Sale)).one()
        assert row.status == "voided" and row.voided_by == "quanly" and row.voided_at == void_at
        assert all(line.is_voided for line in s.exec(select(SaleLine)))


def test_lines_keep_their_references_without_foreign_keys(central_engine: Any) -> None:
    """The line tables have no foreign keys: whatever arrives (stubs, late products, two showrooms with the same
    products, replays, voids), every line and payment points at its own showroom's sale, product and producer."""
    register(central_engine, "SR01")
    register(central_engine, "SR02")
    for code in ("SR01", "SR02"):
        shop = SampleShowroom(code, seed=3)  # the same seed: the same product and producer UUIDs
        day = shop.day(DAY, sales=40)
        push(central_engine, code, day)  # sales before their products: stubs
        push(central_engine, code, shop.catalogue_records(AT), first_seq=len(day) + 1)
        push(central_engine, code, day)  # replayed
        sale = next(r.payload for r in day if r.kind == "sale")
        void_at = AT + timedelta(hours=1)
        push(central_engine, code, [Record("void", sale["uuid"], SampleShowroom.void(sale, void_at), void_at)], 5000)
    with central_engine.connect() as conn:
        assert dangling_references(conn) == {}
        assert conn.execute(text("SELECT count(DISTINCT showroom_id) FROM sale_line")).scalar_one() == 2
        # The check sees a line whose product belongs to another showroom (what a foreign key would not see).
        conn.execute(
            text(
                "UPDATE sale_line SET product_id = (SELECT min(id) FROM product WHERE first_showroom_id <> "
                "sale_line.showroom_id) WHERE id = (SELECT min(id) FROM sale_line)"
            )
        )
        assert dangling_references(conn) == {"sale_line.product_id": 1}
        conn.rollback()
        # Nor have the sale and record tables on their showroom: a row of a showroom that is not there is seen.
        conn.execute(
            text(
                "UPDATE sync_record SET showroom_id = (SELECT max(id) + 1 FROM showroom) "
                "WHERE seq = 1 AND showroom_id = (SELECT min(id) FROM showroom)"
            )
        )
        assert dangling_references(conn) == {"sync_record.showroom_id": 1}
        conn.rollback()
        conn.execute(
            text(
                "UPDATE sale SET showroom_id = (SELECT max(id) + 1 FROM showroom) "
                "WHERE id = (SELECT min(sale_id) FROM sale_line WHERE line_no = 1)"
            )
        )
        found = dangling_references(conn)
        assert found.pop("sale.showroom_id") == 1 and set(found) == {"sale_line.sale_id", "payment.sale_id"}
        conn.rollback()


def test_each_shift_is_checked_against_its_close(central_engine: Any) -> None:
    register(central_engine)
    shop = SampleShowroom("SR01", seed=11)
    records = shop.catalogue_records(AT) + shop.day(DAY, sales=200, shifts=2)
    assert any(r.kind == "void" for r in records) and any(r.kind == "return" for r in records)
    held_back = next(i for i, r in enumerate(records) if r.kind == "sale")
    push(central_engine, "SR01", records[:held_back] + records[held_back + 1 :])
    with session_scope(central_engine) as s:
        statuses = sorted(c.check_status for c in s.exec(select(ShiftClose)))
        assert statuses == ["incomplete", "ok"]
        incomplete = s.exec(select(ShiftClose).where(ShiftClose.check_status == "incomplete")).one()
        assert incomplete.check_detail["missing_sales"] == [records[held_back].entity_uuid]
    push(central_engine, "SR01", [records[held_back]], first_seq=len(records) + 1)
    with session_scope(central_engine) as s:
        assert [c.check_status for c in s.exec(select(ShiftClose))] == ["ok", "ok"]
        returns = s.exec(select(SaleReturn)).all()
        assert returns and all(r.sale_id is not None for r in returns)


def test_a_shift_whose_figures_differ_is_a_mismatch(central_engine: Any) -> None:
    register(central_engine)
    shop = SampleShowroom("SR01", seed=5)
    records = shop.catalogue_records(AT) + shop.day(DAY, sales=40, shifts=1)
    close = records[-1]
    assert close.kind == "shift_close"
    close.payload["sales_total_vnd"] += 1000
    close.payload["payments_by_method"]["card"] += 1000
    push(central_engine, "SR01", records)
    with session_scope(central_engine) as s:
        shift = s.exec(select(ShiftClose)).one()
    assert shift.check_status == "mismatch"
    assert set(shift.check_detail["differences"]) == {"sales_total_vnd", "payments_by_method.card"}
    assert shift.check_detail["differences"]["sales_total_vnd"]["showroom"] == (
        shift.check_detail["differences"]["sales_total_vnd"]["central"] + 1000
    )


def test_a_sale_its_close_does_not_list_is_unexpected(central_engine: Any) -> None:
    register(central_engine)
    shop = SampleShowroom("SR01", seed=5)
    records = shop.catalogue_records(AT) + shop.day(DAY, sales=40, shifts=1)
    close = records[-1]
    assert close.kind == "shift_close"
    dropped = close.payload["sale_uuids"].pop()  # the till's list lacks a sale the central server holds
    push(central_engine, "SR01", records)
    with session_scope(central_engine) as s:
        shift = s.exec(select(ShiftClose)).one()
    assert shift.check_status == "mismatch"
    assert shift.check_detail["unexpected"] == [dropped]
    assert "missing_sales" not in shift.check_detail


def test_a_close_checks_its_returns_and_each_sale_by_what_the_showroom_holds(central_engine: Any) -> None:
    register(central_engine)
    shop = SampleShowroom("SR01", seed=11)
    records = shop.catalogue_records(AT) + shop.day(DAY, sales=200, shifts=2)
    closes = [r for r in records if r.kind == "shift_close"]
    returned = next(r for r in records if r.kind == "return")
    first, second = (c.payload for c in closes)
    owner, other = (first, second) if returned.entity_uuid in first["return_uuids"] else (second, first)
    owner["return_uuids"].remove(returned.entity_uuid)  # held under the shift, not listed: unexpected
    invented = "00000000-0000-4000-8000-000000000001"
    owner["return_uuids"].append(invented)  # listed, held nowhere: missing
    moved = other["sale_uuids"].pop()  # a sale listed by the wrong close: held, so not missing there
    owner["sale_uuids"].append(moved)
    push(central_engine, "SR01", records)
    with session_scope(central_engine) as s:
        shifts = {c.uuid: c for c in s.exec(select(ShiftClose))}
    checked = shifts[UUID(owner["uuid"])]
    assert checked.check_status == "incomplete"
    assert checked.check_detail["missing_returns"] == [invented]
    assert checked.check_detail["missing_returns_count"] == 1
    assert checked.check_detail["unexpected"] == [returned.entity_uuid]
    assert "missing_sales" not in checked.check_detail
    assert shifts[UUID(other["uuid"])].check_detail["unexpected"] == [moved]


def test_intakes_stock_movements_and_audit_entries_arrive(central_engine: Any) -> None:
    register(central_engine)
    shop = SampleShowroom("SR01")
    product, producer = shop.products[0], shop.producers[0]
    intake = {
        "uuid": str(uuid4()),
        "producer_uuid": producer["uuid"],
        "received_on": "2026-11-20",
        "delivery_note_number": "PGH-01",
        "created_by": "quanly",
        "created_at": AT.isoformat(),
        "lines": [
            {"product_uuid": product["uuid"], "qty": 24, "unit_cost_vnd": 30_000, "lot_code": "L1", "expiry_date": None}
        ],
    }
    movement = {
        "uuid": str(uuid4()),
        "product_uuid": product["uuid"],
        "kind": "adjustment",
        "qty_delta": -2,
        "reason": "damaged",
        "note": "Vỡ hộp",
        "created_by": "quanly",
        "created_at": AT.isoformat(),
    }
    records = [
        Record("intake", intake["uuid"], intake, AT),
        Record("stock_adjustment", movement["uuid"], movement, AT),
        SampleShowroom.audit(AT, "stock.adjust"),
    ]
    push(central_engine, "SR01", records)
    push(central_engine, "SR01", records, first_seq=4)  # the same entities again under new seqs
    with session_scope(central_engine) as s:
        assert len(s.exec(select(Intake)).all()) == 1
        assert s.exec(select(IntakeLine)).one().qty == 24
        assert s.exec(select(StockMovement)).one().qty_delta == -2
        assert s.exec(select(AuditEntry)).one().action == "stock.adjust"
        assert s.exec(select(Product).where(Product.uuid == product["uuid"])).one().is_stub
    assert count(central_engine, "sync_record") == 6


def test_raw_records_are_kept_as_sent(central_engine: Any) -> None:
    register(central_engine)
    shop = SampleShowroom("SR01")
    sale = shop.sale(AT, str(uuid4()))
    sale["future_field"] = "giữ nguyên"
    push(central_engine, "SR01", [Record("sale", sale["uuid"], sale, AT)])
    with session_scope(central_engine) as s:
        record = s.exec(select(SyncRecord)).one()
        stored = batches.stored_records(s.connection(), record.showroom_id, [1])[1]
        kept = s.exec(select(SyncBatch)).one()
    assert record.payload is None and record.batch_id == kept.id  # the payload is not stored a second time
    assert stored.decoded() == sale and record.seq == 1 and record.kind == "sale"
    assert (kept.first_seq, kept.last_seq, kept.records) == (1, 1, 1)
    assert json.loads(batches.inflate(kept.body))["records"][0]["payload"] == sale


# --- The shared catalogue ------------------------------------------------------------------------------------------


def _catalogue(engine: Any) -> tuple[Any, Any]:
    with session_scope(engine) as s:
        producer = catalog.create_catalog_producer(
            s, catalog.CatalogProducerInput(name="HTX Chè Tân Cương", province="Thái Nguyên"), actor="vp"
        )
        product = catalog.create_catalog_product(
            s,
            catalog.CatalogProductInput(
                producer_id=producer.id,  # type: ignore[arg-type]
                sku="OCOP-0001",
                name="Chè Tân Cương 200g",
                suggested_price_vnd=120_000,
                barcode="8934567890120",
                ocop_group="do_uong",
                ocop_stars=4,
            ),
            actor="vp",
        )
    return producer, product


def test_the_catalogue_is_pulled_by_revision(central_engine: Any) -> None:
    register(central_engine)
    producer, product = _catalogue(central_engine)
    with session_scope(central_engine) as s:
        full = catalog.changes_since(s, None, 0)
        assert full["revision"] == 2 and [p["uuid"] for p in full["products"]] == [str(product.uuid)]
        assert full["products"][0]["producer_uuid"] == str(producer.uuid)
        assert full["products"][0]["suggested_price_vnd"] == 120_000 and full["products"][0]["is_food"]
        nothing = catalog.changes_since(s, None, full["revision"])
        assert nothing["producers"] == [] and nothing["products"] == [] and nothing["revision"] == 2
    with session_scope(central_engine) as s:
        catalog.update_catalog_product(
            s,
            product.id,
            catalog.CatalogProductInput(
                producer_id=producer.id,
                sku="OCOP-0001",
                name="Chè Tân Cương 200g",
                suggested_price_vnd=125_000,
                barcode="8934567890120",
            ),
        )
    with session_scope(central_engine) as s:
        changed = catalog.changes_since(s, None, 2)
    assert [p["suggested_price_vnd"] for p in changed["products"]] == [125_000] and changed["producers"] == []


def test_the_catalogue_is_pulled_in_pages_of_one_snapshot(central_engine: Any) -> None:
    register(central_engine)
    with session_scope(central_engine) as s:
        makers = [
            catalog.create_catalog_producer(s, catalog.CatalogProducerInput(name=f"HTX {n}", province="Hà Nội"))
            for n in range(3)
        ]
        for n in range(7):
            catalog.create_catalog_product(
                s,
                catalog.CatalogProductInput(
                    producer_id=makers[n % 3].id or 0, sku=f"SP{n}", name=f"Sản phẩm {n}", suggested_price_vnd=10_000
                ),
            )
    with session_scope(central_engine) as s:
        whole = catalog.changes_since(s, None, 0)
        pages, after, until = [], "", None
        while True:
            page = catalog.changes_since(s, None, 0, until=until, after=after, limit=4)
            pages.append(page)
            until, after = page["revision"], page["next"]
            if not after:
                break
            if len(pages) == 2:  # a change made while the pages are read waits for the next pull
                catalog.create_catalog_product(
                    s,
                    catalog.CatalogProductInput(
                        producer_id=makers[0].id or 0, sku="MOI", name="Mới", suggested_price_vnd=1_000
                    ),
                )
    assert [len(p["producers"]) + len(p["products"]) for p in pages] == [4, 4, 2]
    assert pages[0]["producers"] and not pages[-1]["producers"]  # producers come before the products naming them
    assert [p["uuid"] for page in pages for p in page["producers"]] == [p["uuid"] for p in whole["producers"]]
    assert [p["uuid"] for page in pages for p in page["products"]] == [p["uuid"] for p in whole["products"]]
    assert {p["revision"] for p in pages} == {whole["revision"]} and whole["next"] is None


def test_the_office_links_a_showroom_product_and_the_showroom_hears_of_it(central_engine: Any) -> None:
    register(central_engine)
    shop = SampleShowroom("SR01")
    push(central_engine, "SR01", shop.catalogue_records(AT))
    _producer, entry = _catalogue(central_engine)
    local = shop.products[0]
    with session_scope(central_engine) as s:
        assert catalog.count_unlinked(s) == len(shop.products)
        row = next(r for r in catalog.unlinked_products(s) if str(r.uuid) == local["uuid"])
        assert row.showrooms == "SR01"
        linked = catalog.link_product(s, local["uuid"], entry.uuid, actor="vp")
        assert linked.catalog_product_id == entry.id
    with session_scope(central_engine) as s:
        showroom_id = credentials.get_showroom(s, "SR01").id
        links = catalog.changes_since(s, showroom_id, 2)["links"]
        assert links == [{"product_uuid": local["uuid"], "catalog_uuid": str(entry.uuid)}]
        assert catalog.changes_since(s, None, 2)["links"] == []  # only the showroom's own products
    # A later product record from the showroom without the link does not undo the office's.
    push(central_engine, "SR01", [Record("product", local["uuid"], local, AT)], first_seq=1000)
    with session_scope(central_engine) as s:
        assert s.exec(select(Product).where(Product.uuid == local["uuid"])).one().catalog_product_id == entry.id


def test_a_showroom_product_is_promoted_under_its_own_uuid(central_engine: Any) -> None:
    register(central_engine)
    shop = SampleShowroom("SR01")
    push(central_engine, "SR01", shop.catalogue_records(AT))
    local = shop.products[3]
    with session_scope(central_engine) as s:
        entry = catalog.promote_product(s, local["uuid"], 99_000, actor="vp")
        assert str(entry.uuid) == local["uuid"] and entry.suggested_price_vnd == 99_000
        full = catalog.changes_since(s, None, 0)
    assert [p["uuid"] for p in full["products"]] == [local["uuid"]]
    assert full["producers"][0]["uuid"] == local["producer_uuid"]
    with pytest.raises(Conflict), session_scope(central_engine) as s:
        catalog.promote_product(s, local["uuid"], 99_000)


# --- The schema ----------------------------------------------------------------------------------------------------


def test_central_migrations_build_exactly_the_models(pg_database: Any) -> None:
    from sqlmodel import SQLModel

    import pos.models  # noqa: F401  (every showroom table)
    from pos.central.migrate import check, upgrade
    from pos.central.models import metadata

    url = pg_database()
    upgrade(url)
    check(url)  # alembic check: raises if the models and the migrations disagree
    engine = make_engine(url)
    with engine.connect() as conn:
        tables = set(conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars())
    engine.dispose()
    assert tables == set(metadata.tables) | {"central_alembic_version"}
    assert not set(metadata.tables) & {"outboxrecord", "user", "syncstate"}
    assert "sync_record" not in SQLModel.metadata.tables  # the two schemas never mix


def test_a_key_stored_meanwhile_by_another_push_is_not_stored_twice(central_engine: Any) -> None:
    """insert_new's fast path (probe, then COPY) meets a concurrent push of the same key: the unique index
    refuses the COPY, and the careful merge stores only what is new."""
    register(central_engine)
    with central_engine.connect() as conn:
        showroom_id = conn.execute(text("SELECT id FROM showroom")).scalar_one()
    row = lambda seq: (showroom_id, seq, "audit", uuid4(), None, AT, AT)  # noqa: E731
    first = central_engine.connect()
    assert bulk.insert_new(first, "sync_record", RECORD_COLUMNS, [row(1)], ("showroom_id", "seq"), ("seq",)) == [(1,)]
    outcome: dict[str, Any] = {}

    def second_push() -> None:
        with central_engine.begin() as conn:  # its probe cannot see seq 1 yet: the COPY waits on the first
            outcome["new"] = bulk.insert_new(
                conn, "sync_record", RECORD_COLUMNS, [row(1), row(2)], ("showroom_id", "seq"), ("seq",)
            )

    racer = threading.Thread(target=second_push)
    racer.start()
    waiting = 0
    with central_engine.connect() as watch:
        for _ in range(400):
            waiting = watch.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = :db"),
                {"db": watch.engine.url.database},
            ).scalar_one()
            watch.rollback()  # a new snapshot of pg_stat_activity each time
            if waiting:
                break
            time.sleep(0.05)
    assert waiting, "the second push should be waiting on the first one's seq"
    first.commit()
    first.close()
    racer.join(30)
    assert outcome["new"] == [(2,)]
    assert count(central_engine, "sync_record") == 2
