"""The showroom's sync client against the real central app (PostgreSQL) over an in-process HTTP transport,
with faults injected between them: lost acknowledgements, 500s, timeouts, a refused clock, small limits."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from flask import Flask
from sqlalchemy import text
from sqlmodel import select

from pos.catalog.models import Producer, Product
from pos.central import catalog as central_catalog
from pos.central import credentials
from pos.db import ENGINE_KEY, session_scope, utcnow
from pos.sync import client as sync_client
from pos.sync import signing
from pos.sync.client import SyncSettings, prepare_outbox, run_sync, unsent_older_than
from pos.sync.models import OutboxRecord, SyncState
from pos.sync.samples import SampleShowroom, enqueue_records

pytestmark = pytest.mark.postgres

AT = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


class Faulty(httpx.BaseTransport):
    """Hands requests to the central app, letting a test break the Nth POST in a chosen way."""

    def __init__(self, central: Flask) -> None:
        self.inner = httpx.WSGITransport(app=central)
        self.posts = 0
        self.requests = 0
        self.fault: Callable[[Faulty, httpx.Request], httpx.Response] | None = None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        if request.method == "POST":
            self.posts += 1
        if self.fault is not None:
            return self.fault(self, request)
        return self.forward(request)

    def forward(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        response.read()
        return response


def fail_post(n: int, how: str) -> Callable[[Faulty, httpx.Request], httpx.Response]:
    """A fault on the Nth POST: 'lost_ack' (central commits, the answer never comes), '500', 'timeout', 'refused'."""

    def fault(transport: Faulty, request: httpx.Request) -> httpx.Response:
        if request.method != "POST" or transport.posts != n:
            return transport.forward(request)
        if how == "lost_ack":
            transport.forward(request)
            raise httpx.RemoteProtocolError("server disconnected", request=request)
        if how == "500":
            return httpx.Response(500, text="Internal Server Error", request=request)
        if how == "timeout":
            raise httpx.ReadTimeout("timed out", request=request)
        raise httpx.ConnectError("connection refused", request=request)

    return fault


@pytest.fixture
def central(central_app: Flask) -> Flask:
    return central_app


@pytest.fixture
def issued(central: Flask) -> credentials.IssuedSecret:
    with session_scope(central.extensions[ENGINE_KEY]) as s:
        return credentials.register_showroom(s, "SR01", "Cửa hàng SR01", "Hà Nội")


@pytest.fixture
def settings(issued: credentials.IssuedSecret) -> SyncSettings:
    return SyncSettings(
        central_url="http://central.test", showroom_code="SR01", secret=issued.secret, batch_size=50, retry_base_s=0
    )


@pytest.fixture
def transport(central: Flask) -> Faulty:
    return Faulty(central)


def fill_outbox(uow: Any, sales: int = 60, seed: int = 1) -> int:
    shop = SampleShowroom("SR01", seed=seed)
    records = shop.catalogue_records(AT) + shop.day(date(2026, 11, 20), sales=sales)
    with uow() as s:
        enqueue_records(s, records)
    return len(records)


def run(engine: Any, settings: SyncSettings, transport: httpx.BaseTransport, **kw: Any) -> sync_client.SyncResult:
    return run_sync(engine, settings, transport=transport, sleep=lambda _s: None, **kw)


def outbox(engine: Any) -> tuple[int, int]:
    with session_scope(engine, write=False) as s:
        rows = s.exec(select(OutboxRecord)).all()
    return len(rows), sum(1 for r in rows if r.sent_at is None)


def central_matches_showroom(central: Flask, engine: Any) -> None:
    """Central holds every outbox record exactly once, and its sale totals equal the outbox's, sale by sale."""
    import json

    with session_scope(engine, write=False) as s:
        records = s.exec(select(OutboxRecord).order_by(OutboxRecord.id)).all()  # type: ignore[arg-type]
    with central.extensions[ENGINE_KEY].connect() as conn:
        held = conn.execute(text("SELECT seq, kind, entity_uuid::text FROM sync_record ORDER BY seq")).all()
        sales = dict(conn.execute(text("SELECT uuid::text, total_vnd FROM sale")).all())
        lines = dict(
            conn.execute(
                text("SELECT s.uuid::text, count(*) FROM sale_line l JOIN sale s ON s.id = l.sale_id GROUP BY 1")
            ).all()
        )
    assert [(r.id, r.kind, r.entity_uuid) for r in records] == [tuple(h) for h in held]
    sent_sales = {r.entity_uuid: json.loads(r.payload) for r in records if r.kind == "sale"}
    assert {u: p["total_vnd"] for u, p in sent_sales.items()} == {u: int(t) for u, t in sales.items()}
    assert {u: len(p["lines"]) for u, p in sent_sales.items()} == {u: int(n) for u, n in lines.items()}


# --- Pushing -----------------------------------------------------------------------------------------------------


def test_a_run_sends_everything_and_marks_what_was_acknowledged(
    engine: Any, uow: Any, central: Flask, settings: SyncSettings, transport: Faulty, make_user: Any
) -> None:
    make_user("quanly", "manager")  # an audit entry that must travel too
    count = fill_outbox(uow)
    result = run(engine, settings, transport)
    assert result.ok, result.error
    total, unsent = outbox(engine)
    assert total == count + 1 and unsent == 0 and result.pushed == total
    assert result.batches == -(-total // settings.batch_size)
    central_matches_showroom(central, engine)
    with session_scope(engine, write=False) as s:
        state = s.get(SyncState, 1)
        assert state is not None and state.last_success_at and state.failures == 0 and state.records_sent == total
    again = run(engine, settings, transport)
    assert again.ok and again.pushed == 0


@pytest.mark.parametrize("how", ["lost_ack", "500", "timeout", "refused"])
def test_a_run_cut_off_is_finished_by_the_next_with_every_record_once(
    engine: Any, uow: Any, central: Flask, settings: SyncSettings, transport: Faulty, how: str
) -> None:
    count = fill_outbox(uow, sales=80)
    settings.retries = 0
    transport.fault = fail_post(2, how)
    first = run(engine, settings, transport)
    assert not first.ok and first.pushed == settings.batch_size
    _total, unsent = outbox(engine)
    assert unsent == count - settings.batch_size  # the cut-off batch is not marked, whatever central did
    with session_scope(engine, write=False) as s:
        state = s.get(SyncState, 1)
        assert state is not None and state.failures == 1 and state.last_error
    transport.fault = None
    second = run(engine, settings, transport)
    assert second.ok, second.error
    assert outbox(engine)[1] == 0
    assert second.duplicates == (settings.batch_size if how == "lost_ack" else 0)
    central_matches_showroom(central, engine)


def test_transient_failures_are_retried_within_the_run(
    engine: Any, uow: Any, central: Flask, settings: SyncSettings, transport: Faulty
) -> None:
    fill_outbox(uow, sales=20)
    settings.retries = 2
    transport.fault = fail_post(1, "500")  # only the first attempt fails
    slept: list[float] = []
    result = run_sync(engine, settings, transport=transport, sleep=slept.append)
    assert result.ok and slept == [0]
    central_matches_showroom(central, engine)


@pytest.mark.parametrize(
    ("how", "words"),
    [("500", "HTTP 500"), ("timeout", "không trả lời kịp"), ("refused", "Không kết nối được")],
)
def test_failures_are_told_in_plain_words(
    engine: Any, uow: Any, settings: SyncSettings, transport: Faulty, how: str, words: str
) -> None:
    fill_outbox(uow, sales=5)
    transport.fault = lambda t, r: fail_post(t.posts, how)(t, r) if r.method == "POST" else t.forward(r)
    result = run(engine, settings, transport)
    assert not result.ok and words in (result.error or "")
    assert transport.posts == settings.retries + 1
    with session_scope(engine, write=False) as s:
        assert words in s.get(SyncState, 1).last_error  # type: ignore[union-attr]
    assert outbox(engine)[1] == outbox(engine)[0]


def test_a_wrong_or_revoked_key_is_refused_and_nothing_is_marked(
    engine: Any, uow: Any, central: Flask, settings: SyncSettings, transport: Faulty
) -> None:
    fill_outbox(uow, sales=5)
    good = settings.secret
    settings.secret = signing.new_secret()
    result = run(engine, settings, transport)
    assert not result.ok and "khóa đồng bộ không đúng" in (result.error or "")
    assert transport.posts == 1  # a refusal is not retried
    settings.secret = good
    with session_scope(central.extensions[ENGINE_KEY]) as s:
        credentials.revoke_credential(s, "SR01")
    result = run(engine, settings, transport)
    assert not result.ok and "thu hồi" in (result.error or "")
    assert outbox(engine)[1] == outbox(engine)[0]


def test_a_body_over_the_limit_is_sent_in_smaller_batches(
    engine: Any, uow: Any, central: Flask, settings: SyncSettings, transport: Faulty
) -> None:
    count = fill_outbox(uow, sales=40)
    central.config["CENTRAL_MAX_BODY_BYTES"] = 30_000
    settings.gzip = False
    result = run(engine, settings, transport)
    assert result.ok, result.error
    assert result.batches > -(-count // settings.batch_size)
    central_matches_showroom(central, engine)


def test_a_showroom_clock_that_is_off_is_corrected(
    engine: Any, uow: Any, central: Flask, settings: SyncSettings, transport: Faulty
) -> None:
    fill_outbox(uow, sales=5)
    with uow() as s:
        s.add(SyncState(id=1, clock_offset_s=-3600))  # as if this PC's clock were an hour slow
    result = run(engine, settings, transport)
    assert result.ok, result.error
    with session_scope(engine, write=False) as s:
        assert abs(s.get(SyncState, 1).clock_offset_s) < 5  # type: ignore[union-attr]


def test_one_run_at_a_time(engine: Any, settings: SyncSettings, transport: Faulty) -> None:
    lock = sync_client._lock_for(engine)
    with lock:
        result = run(engine, settings, transport)
    assert result.busy and not result.ok and transport.requests == 0


def test_a_showroom_without_a_key_is_told_what_to_do(engine: Any, transport: Faulty) -> None:
    settings = SyncSettings(central_url="http://central.test", showroom_code="SR01", secret=None)
    result = run(engine, settings, transport)
    assert not result.ok and "pos sync --set-secret" in (result.error or "")


# --- What travels without its own event ------------------------------------------------------------------------------


def test_existing_products_and_audit_entries_are_enqueued_once(
    engine: Any, uow: Any, make_product: Any, make_user: Any
) -> None:
    product = make_product(name="Mật ong bạc hà")
    make_user("thungan", "cashier")
    assert prepare_outbox(engine) == 3  # producer, product, the user's creation in the audit log
    with session_scope(engine, write=False) as s:
        kinds = [r.kind for r in s.exec(select(OutboxRecord).order_by(OutboxRecord.id))]  # type: ignore[arg-type]
        assert kinds == ["producer", "product", "audit"]
        payload = s.exec(select(OutboxRecord).where(OutboxRecord.kind == "product")).one()
        assert str(product.uuid) in payload.payload
    assert prepare_outbox(engine) == 0
    make_user("thungan2", "cashier")
    assert prepare_outbox(engine) == 1


def test_unsent_older_than_counts_only_old_unsent_records(uow: Any) -> None:
    with uow() as s:
        for hours, sent in [(30, False), (25, False), (25, True), (2, False)]:
            record = OutboxRecord(
                kind="audit", entity_uuid="x", payload="{}", created_at=utcnow() - timedelta(hours=hours)
            )
            record.sent_at = utcnow() if sent else None
            s.add(record)
    with uow() as s:
        assert unsent_older_than(s, 24) == 2
        assert unsent_older_than(s, 1) == 3


# --- Pulling the shared catalogue ------------------------------------------------------------------------------------


def _catalogue_entry(central: Flask, barcode: str = "8934567890120", price: int = 120_000) -> Any:
    with session_scope(central.extensions[ENGINE_KEY]) as s:
        producer = central_catalog.create_catalog_producer(
            s, central_catalog.CatalogProducerInput(name="HTX Chè Tân Cương", province="Thái Nguyên")
        )
        return central_catalog.create_catalog_product(
            s,
            central_catalog.CatalogProductInput(
                producer_id=producer.id,  # type: ignore[arg-type]
                sku="OCOP-0001",
                name="Chè Tân Cương 200g",
                suggested_price_vnd=price,
                barcode=barcode,
                ocop_group="do_uong",
                ocop_stars=4,
            ),
        )


def test_the_catalogue_arrives_and_the_showroom_keeps_its_own_price(
    engine: Any, central: Flask, settings: SyncSettings, transport: Faulty
) -> None:
    entry = _catalogue_entry(central)
    result = run(engine, settings, transport)
    assert result.ok and result.products_pulled == 1 and result.producers_pulled == 1
    with session_scope(engine) as s:
        product = s.exec(select(Product).where(Product.uuid == entry.uuid)).one()
        assert (product.price_vnd, product.barcode, product.central_uuid, product.ocop_stars) == (
            120_000,
            "8934567890120",
            entry.uuid,
            4,
        )
        assert product.sku == "OCOP-0001" and product.is_food
        product.price_vnd = 135_000  # the showroom sets its own price
        s.add(product)
    with session_scope(central.extensions[ENGINE_KEY]) as s:
        central_catalog.update_catalog_product(
            s,
            entry.id,
            central_catalog.CatalogProductInput(
                producer_id=entry.producer_id,
                sku="OCOP-0001",
                name="Chè Tân Cương hộp 200g",
                suggested_price_vnd=150_000,
                barcode="8934567890120",
                ocop_stars=5,
            ),
        )
    assert run(engine, settings, transport).products_pulled == 1
    with session_scope(engine, write=False) as s:
        product = s.exec(select(Product).where(Product.uuid == entry.uuid)).one()
        assert (product.name, product.ocop_stars, product.price_vnd) == ("Chè Tân Cương hộp 200g", 5, 135_000)
        assert s.get(SyncState, 1).catalog_revision == 3  # type: ignore[union-attr]
    # The pulled product travelled back up with the showroom's price.
    with central.extensions[ENGINE_KEY].connect() as conn:
        price = conn.execute(text("SELECT price_vnd FROM showroom_product")).scalar_one()
    assert price == 120_000 or price == 135_000
    assert run(engine, settings, transport).ok
    with central.extensions[ENGINE_KEY].connect() as conn:
        assert conn.execute(text("SELECT price_vnd FROM showroom_product")).scalar_one() == 135_000


def test_a_local_product_with_the_same_barcode_is_linked_not_duplicated(
    engine: Any, central: Flask, settings: SyncSettings, transport: Faulty, make_product: Any
) -> None:
    local = make_product(barcode="8934567890120", price_vnd=99_000)
    entry = _catalogue_entry(central)
    assert run(engine, settings, transport).ok
    with session_scope(engine, write=False) as s:
        products = s.exec(select(Product)).all()
        assert len(products) == 1 and products[0].id == local.id
        assert products[0].central_uuid == entry.uuid and products[0].price_vnd == 99_000
        assert len(s.exec(select(Producer)).all()) == 2  # its own and the catalogue's


def test_a_link_made_by_the_office_reaches_the_showroom(
    engine: Any, central: Flask, settings: SyncSettings, transport: Faulty, make_product: Any
) -> None:
    local = make_product(name="Miến dong Bắc Kạn")
    entry = _catalogue_entry(central)
    assert run(engine, settings, transport).ok  # the product goes up; the catalogue comes down
    with session_scope(central.extensions[ENGINE_KEY]) as s:
        central_catalog.link_product(s, local.uuid, entry.uuid)
    assert run(engine, settings, transport).ok
    with session_scope(engine, write=False) as s:
        assert s.get(Product, local.id).central_uuid == entry.uuid  # type: ignore[union-attr]
        last = s.exec(select(OutboxRecord).order_by(OutboxRecord.id.desc())).first()  # type: ignore[union-attr]
        assert last is not None and last.kind == "product" and str(entry.uuid) in last.payload


def test_the_catalogue_comes_in_pages_and_a_broken_pull_starts_again(
    engine: Any, central: Flask, settings: SyncSettings, transport: Faulty, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sync_client, "CATALOG_PAGE", 2)
    with session_scope(central.extensions[ENGINE_KEY]) as s:
        producer = central_catalog.create_catalog_producer(
            s, central_catalog.CatalogProducerInput(name="HTX Mây tre Phú Vinh", province="Hà Nội")
        )
        for n in range(5):
            central_catalog.create_catalog_product(
                s,
                central_catalog.CatalogProductInput(
                    producer_id=producer.id or 0, sku=f"MAY{n}", name=f"Giỏ mây {n}", suggested_price_vnd=90_000
                ),
            )
    pages: list[str] = []
    broken = [True]

    def second_page_breaks(faulty: Faulty, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/catalog"):
            pages.append(request.url.query.decode())
            if broken[0] and "after=" in pages[-1]:  # every try of the second page, retries included
                return httpx.Response(500, json={"code": "internal", "message": "lỗi"})
        return faulty.forward(request)

    transport.fault = second_page_breaks
    assert not run(engine, settings, transport).ok
    with session_scope(engine, write=False) as s:
        assert s.get(SyncState, 1).catalog_revision == 0  # type: ignore[union-attr]
        assert len(s.exec(select(Product)).all()) == 1  # the first page (the producer and one product) stayed
    pages.clear()
    broken[0] = False
    result = run(engine, settings, transport)
    assert result.ok and result.products_pulled == 5 - 1 and result.producers_pulled == 0
    # Six rows by two: three full pages, then an empty one that says there is no more.
    assert len(pages) == 4 and "after=" not in pages[0] and all("until=6" in p for p in pages[1:])
    with session_scope(engine, write=False) as s:
        assert s.get(SyncState, 1).catalog_revision == 6  # type: ignore[union-attr]
        assert sorted(p.sku for p in s.exec(select(Product))) == [f"MAY{n}" for n in range(5)]
