"""The sync API against its OpenAPI document, its refusals, the central office's pages, and the showroom's
sync page (its "Đồng bộ ngay" against a central server served by waitress)."""

from __future__ import annotations

import gzip
import json
import re
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator, FormatChecker
from sqlmodel import select

from pos.central import credentials
from pos.central.models import CatalogProducer, CatalogProduct, Product
from pos.central.openapi import DOCUMENT, render
from pos.central.users import create_central_user
from pos.db import ENGINE_KEY, session_scope
from pos.sync import signing
from pos.sync.models import OutboxRecord
from pos.sync.samples import SampleShowroom, batch_document, enqueue_records
from tests.conftest import CSRF_RE, LiveServer

pytestmark = pytest.mark.postgres

PUSH = "/api/v1/sync/batches"
AT = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
OPENAPI = json.loads(DOCUMENT.read_text(encoding="utf-8"))


def validator(schema: dict[str, Any]) -> Draft202012Validator:
    """A JSON Schema validator for a schema that refers into the document's components."""
    return Draft202012Validator({**schema, "components": OPENAPI["components"]}, format_checker=FormatChecker())


def check_answer(response: Any, path: str, method: str) -> Any:
    """The answer's status is documented for the operation and its body matches the documented schema."""
    operation = OPENAPI["paths"][path][method.lower()]
    status = str(response.status_code)
    assert status in operation["responses"], f"{method} {path} answered an undocumented {status}"
    schema = operation["responses"][status]["content"]["application/json"]["schema"]
    body = response.get_json()
    errors = sorted(validator(schema).iter_errors(body), key=str)
    assert not errors, [e.message for e in errors]
    return body


def check_request(document: dict[str, Any]) -> list[str]:
    """The problems the OpenAPI document finds in a push body (empty when it is valid)."""
    schema = OPENAPI["paths"][PUSH]["post"]["requestBody"]["content"]["application/json"]["schema"]
    return [e.message for e in validator(schema).iter_errors(document)]


@pytest.fixture
def issued(central_app: Flask) -> credentials.IssuedSecret:
    with session_scope(central_app.extensions[ENGINE_KEY]) as s:
        credentials.register_showroom(s, "SR02", "Cửa hàng SR02", "Hà Nội")
        return credentials.register_showroom(s, "SR01", "Cửa hàng SR01", "Hà Nội")


@pytest.fixture
def api(central_app: Flask) -> FlaskClient:
    return central_app.test_client()


def signed(secret: str, body: bytes, code: str = "SR01", method: str = "POST", path: str = PUSH, **kw: Any) -> dict:
    headers = signing.signed_headers(signing.derive_key(secret, code), code, method, path, body, **kw)
    return {**headers, "Content-Type": "application/json"}


def day_document(sales: int = 20, seed: int = 1) -> dict[str, Any]:
    shop = SampleShowroom("SR01", seed=seed)
    return batch_document("SR01", shop.catalogue_records(AT) + shop.day(date(2026, 11, 20), sales=sales))


def push(api: FlaskClient, secret: str, document: dict[str, Any] | bytes, **kw: Any) -> Any:
    body = document if isinstance(document, bytes) else json.dumps(document).encode()
    headers = kw.pop("headers", None) or signed(secret, body, **kw)
    return api.post(PUSH, data=body, headers=headers)


# --- The document and the implementation ---------------------------------------------------------------------------


def test_the_document_on_disk_is_current() -> None:
    assert DOCUMENT.read_text(encoding="utf-8") == render(), "run: python -m pos.central.openapi"
    Draft202012Validator.check_schema({"$ref": "#/components/schemas/Batch", "components": OPENAPI["components"]})


def test_every_api_route_is_documented_and_every_documented_one_exists(central_app: Flask) -> None:
    implemented = {
        (rule.rule, method.lower())
        for rule in central_app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }
    documented = {(path, method) for path, item in OPENAPI["paths"].items() for method in item}
    assert implemented == documented


def test_a_push_and_its_answer_match_the_document(api: FlaskClient, issued: Any) -> None:
    document = day_document()
    assert check_request(document) == []
    response = push(api, issued.secret, document)
    body = check_answer(response, PUSH, "POST")
    assert response.status_code == 200
    assert body["acknowledged"] == [r["seq"] for r in document["records"]]
    assert body["new"] == len(document["records"]) and body["duplicates"] == 0
    again = check_answer(push(api, issued.secret, document), PUSH, "POST")  # re-signed: harmless
    assert again["new"] == 0 and again["duplicates"] == len(document["records"])


def test_a_gzip_push_is_accepted(api: FlaskClient, issued: Any) -> None:
    body = gzip.compress(json.dumps(day_document(sales=5)).encode())
    headers = {**signed(issued.secret, body), "Content-Encoding": "gzip"}
    response = api.post(PUSH, data=body, headers=headers)
    assert check_answer(response, PUSH, "POST")["new"] > 0


def test_state_catalogue_and_document_answers_match(api: FlaskClient, issued: Any) -> None:
    push(api, issued.secret, day_document(sales=3))
    response = api.get(
        "/api/v1/sync/state", headers=signed(issued.secret, b"", method="GET", path="/api/v1/sync/state")
    )
    state = check_answer(response, "/api/v1/sync/state", "GET")
    assert state["showroom"] == "SR01" and state["last_seq"] > 0 and state["last_push_at"]
    assert state["max_seq"] == state["last_seq"]
    assert list(state["receipt_max"].values()) == [3]  # the day's three sales, SR01-YYYY-000001 … 000003
    path = "/api/v1/catalog?since=0"
    catalogue = check_answer(
        api.get(path, headers=signed(issued.secret, b"", method="GET", path=path)), "/api/v1/catalog", "GET"
    )
    assert catalogue == {
        "revision": 0, "since": 0, "producers": [], "products": [], "links": [], "promotions": [], "next": None
    }  # fmt: skip
    bad = "/api/v1/catalog?since=-1"
    refused = api.get(bad, headers=signed(issued.secret, b"", method="GET", path=bad))
    assert check_answer(refused, "/api/v1/catalog", "GET")["field"] == "since" and refused.status_code == 422
    unsigned_query = api.get(path, headers=signed(issued.secret, b"", method="GET", path="/api/v1/catalog"))
    assert unsigned_query.status_code == 401  # the query string is signed too
    served = api.get("/api/v1/openapi.json")
    assert served.status_code == 200 and served.get_json()["openapi"] == "3.1.0"


# --- Refusals --------------------------------------------------------------------------------------------------------


def _mutated(mutate: Any) -> dict[str, Any]:
    document = day_document(sales=2)
    mutate(document)
    return document


REFUSALS = [
    ("wrong key", lambda s: {"secret": signing.new_secret()}, 401, "bad_credentials"),
    ("another showroom's code", lambda s: {"code": "SR02"}, 403, "showroom_mismatch"),
    ("old timestamp", lambda s: {"now": time.time() - 3600}, 401, "stale_timestamp"),
    ("future timestamp", lambda s: {"now": time.time() + 3600}, 401, "stale_timestamp"),
]


@pytest.mark.parametrize(("case", "change", "status", "code"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_bad_credentials_are_refused(
    api: FlaskClient, central_app: Flask, issued: Any, case: str, change: Any, status: int, code: str
) -> None:
    with session_scope(central_app.extensions[ENGINE_KEY]) as s:
        other = credentials.rotate_credential(s, "SR02")
    options = change(None)
    secret = options.pop("secret", issued.secret)
    if options.get("code") == "SR02":
        secret = other.secret  # SR02's own valid key, pushing a body that says SR01
    response = push(api, secret, day_document(sales=2), **options)
    body = check_answer(response, PUSH, "POST")
    assert (response.status_code, body["code"]) == (status, code)
    if code == "stale_timestamp":
        assert abs(body["server_time"] - time.time()) < 5


def test_a_replayed_request_and_a_tampered_body_are_refused(api: FlaskClient, issued: Any) -> None:
    body = json.dumps(day_document(sales=2)).encode()
    headers = signed(issued.secret, body)
    assert api.post(PUSH, data=body, headers=headers).status_code == 200
    replay = api.post(PUSH, data=body, headers=headers)
    assert (replay.status_code, check_answer(replay, PUSH, "POST")["code"]) == (409, "replay")
    tampered = body.replace(b'"total_vnd": ', b'"total_vnd": 1', 1)
    response = api.post(PUSH, data=tampered, headers=signed(issued.secret, body))
    assert (response.status_code, check_answer(response, PUSH, "POST")["code"]) == (401, "bad_credentials")


def test_a_revoked_key_is_refused(api: FlaskClient, central_app: Flask, issued: Any) -> None:
    with session_scope(central_app.extensions[ENGINE_KEY]) as s:
        credentials.revoke_credential(s, "SR01")
    response = push(api, issued.secret, day_document(sales=1))
    assert (response.status_code, check_answer(response, PUSH, "POST")["code"]) == (401, "revoked")


BAD_BODIES = [
    ("qty not an integer", lambda d: _sale(d)["payload"]["lines"][0].update(qty="2"), "lines[0].qty"),
    ("amount as a float", lambda d: _sale(d)["payload"].update(total_vnd=10.5), "payload.total_vnd"),
    ("missing uuid", lambda d: _sale(d)["payload"].pop("uuid"), "payload.uuid"),
    ("unknown kind", lambda d: d["records"][0].update(kind="gift"), "records[0].kind"),
    ("negative seq", lambda d: d["records"][0].update(seq=-1), "records[0].seq"),
    ("naive time", lambda d: d["records"][0].update(created_at="2026-11-20T09:00:00"), "records[0].created_at"),
    ("name too long", lambda d: _sale(d)["payload"]["lines"][0].update(name="x" * 201), "lines[0].name"),
    ("no records", lambda d: d.update(records=[]), "records"),
    ("unknown key", lambda d: d.update(hello=1), "hello"),
]


def _sale(document: dict[str, Any]) -> dict[str, Any]:
    return next(r for r in document["records"] if r["kind"] == "sale")


@pytest.mark.parametrize(("case", "mutate", "field"), BAD_BODIES, ids=[b[0] for b in BAD_BODIES])
def test_a_body_the_document_refuses_is_refused_naming_the_field(
    api: FlaskClient, issued: Any, case: str, mutate: Any, field: str
) -> None:
    document = _mutated(mutate)
    assert check_request(document), "the OpenAPI document should refuse this body too"
    response = push(api, issued.secret, document)
    body = check_answer(response, PUSH, "POST")
    assert response.status_code == 422 and body["code"] == "invalid_body"
    assert body["field"].endswith(field) and body["field"] in body["error"]
    with session_scope(api.application.extensions[ENGINE_KEY]) as s:  # type: ignore[attr-defined]
        assert s.exec(select(Product)).first() is None  # nothing half-written


def test_malformed_oversized_and_odd_bodies_are_refused(api: FlaskClient, central_app: Flask, issued: Any) -> None:
    not_json = push(api, issued.secret, b"{not json")
    assert (not_json.status_code, check_answer(not_json, PUSH, "POST")["field"]) == (400, "body")
    nested = push(api, issued.secret, b"[" * 100_000 + b"]" * 100_000)
    assert (nested.status_code, check_answer(nested, PUSH, "POST")["field"]) == (422, "body")  # JSON, not a batch
    twice = day_document(sales=1)
    twice["records"][1]["seq"] = twice["records"][0]["seq"]
    duplicated = push(api, issued.secret, twice)
    assert (duplicated.status_code, check_answer(duplicated, PUSH, "POST")["field"]) == (422, "records[1].seq")
    broken = b"\x1f\x8b not really gzip"
    response = api.post(PUSH, data=broken, headers={**signed(issued.secret, broken), "Content-Encoding": "gzip"})
    assert (response.status_code, check_answer(response, PUSH, "POST")["code"]) == (400, "invalid_body")
    odd = b"{}"
    response = api.post(PUSH, data=odd, headers={**signed(issued.secret, odd), "Content-Encoding": "br"})
    assert (response.status_code, check_answer(response, PUSH, "POST")["code"]) == (415, "unsupported")
    central_app.config["CENTRAL_MAX_BODY_BYTES"] = 10_000
    big = json.dumps(day_document(sales=30)).encode()
    response = push(api, issued.secret, big)
    body = check_answer(response, PUSH, "POST")
    assert (response.status_code, body["code"], body["max_bytes"]) == (413, "too_large", 10_000)


# --- The central office's pages -----------------------------------------------------------------------------------


def office_login(client: FlaskClient, app: Flask, role: str = "admin") -> None:
    with session_scope(app.extensions[ENGINE_KEY]) as s:
        create_central_user(s, role, f"Người {role}", role, f"{role}-password")
    token = CSRF_RE.search(client.get("/login").get_data(as_text=True))
    assert token
    response = client.post(
        "/login", data={"username": role, "password": f"{role}-password", "csrf_token": token.group(1)}
    )
    assert response.status_code == 302


def form_post(client: FlaskClient, path: str, data: dict[str, str], token_from: str) -> Any:
    token = CSRF_RE.search(client.get(token_from).get_data(as_text=True))
    assert token, f"no CSRF token on {token_from}"
    return client.post(path, data={**data, "csrf_token": token.group(1)})


def test_an_admin_registers_a_showroom_and_sees_its_secret_once(central_app: Flask) -> None:
    client = central_app.test_client()
    assert client.get("/showrooms").status_code == 302  # to the login page
    office_login(client, central_app)
    response = form_post(
        client,
        "/showrooms",
        {"code": "SR07", "name": "Cửa hàng Long Biên", "province": "Hà Nội", "district": "Long Biên"},
        "/showrooms",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    secret = re.search(r"ocop1\.[A-Za-z0-9_-]+", html)
    assert secret and "chỉ hiện một lần" in html
    with session_scope(central_app.extensions[ENGINE_KEY]) as s:
        code = credentials.authenticate(
            s,
            "POST",
            PUSH,
            signing.signed_headers(signing.derive_key(secret.group(0), "SR07"), "SR07", "POST", PUSH, b""),
            b"",
            time.time(),
        ).code
    assert code == "SR07"
    listing = client.get("/showrooms").get_data(as_text=True)
    assert "Cửa hàng Long Biên" in listing and secret.group(0) not in listing
    assert secret.group(0) not in client.get("/showrooms/SR07").get_data(as_text=True)
    again = form_post(client, "/showrooms", {"code": "SR07", "name": "x", "province": "Hà Nội"}, "/showrooms")
    assert again.status_code == 409 and "đã được đăng ký" in again.get_data(as_text=True)

    rotated = form_post(client, "/showrooms/SR07/rotate", {}, "/showrooms/SR07")
    new_secret = re.search(r"ocop1\.[A-Za-z0-9_-]+", rotated.get_data(as_text=True))
    assert new_secret and new_secret.group(0) != secret.group(0)
    revoked = form_post(client, "/showrooms/SR07/revoke", {}, "/showrooms/SR07")
    assert revoked.status_code == 302
    page = client.get("/showrooms/SR07").get_data(as_text=True)
    assert "Đã thu hồi" in page and "Đang dùng" not in page


def test_a_central_manager_sees_all_but_cannot_issue_keys(central_app: Flask, issued: Any) -> None:
    client = central_app.test_client()
    office_login(client, central_app, "manager")
    page = client.get("/showrooms").get_data(as_text=True)
    assert "SR01" in page and "SR02" in page and "Đăng ký cửa hàng mới" not in page
    assert "Chưa đồng bộ" in page  # neither has pushed yet: both flagged
    assert (
        form_post(client, "/showrooms", {"code": "SR09", "name": "x", "province": "y"}, "/showrooms").status_code == 403
    )
    assert form_post(client, "/showrooms/SR01/rotate", {}, "/showrooms/SR01").status_code == 403
    assert client.get("/").status_code == 200


def test_the_office_keeps_the_catalogue_and_links_products(api: FlaskClient, central_app: Flask, issued: Any) -> None:
    push(api, issued.secret, day_document(sales=1))
    client = central_app.test_client()
    office_login(client, central_app, "manager")
    response = form_post(
        client,
        "/catalog/producers/new",
        {"name": "HTX Chè Tân Cương", "kind": "htx", "province": "Thái Nguyên"},
        "/catalog/producers/new",
    )
    assert response.status_code == 302
    with session_scope(central_app.extensions[ENGINE_KEY]) as s:
        producer_id = str(s.exec(select(CatalogProducer.id)).one())
    product = {
        "producer_id": producer_id,
        "sku": "OCOP-0001",
        "name": "Chè Tân Cương 200g",
        "suggested_price": "120.000",
        "barcode": "8934567890121",
        "unit": "hộp",
        "vat_class": "standard",
        "ocop_group": "do_uong",
        "ocop_stars": "4",
        "ocop_cert_expiry": "31/12/2027",
    }
    bad = form_post(client, "/catalog/products/new", product, "/catalog/products/new")
    assert bad.status_code == 422 and "Mã vạch" in bad.get_data(as_text=True)
    assert 'value="Chè Tân Cương 200g"' in bad.get_data(as_text=True)  # what was typed is kept
    product["barcode"] = "8934567890120"
    assert form_post(client, "/catalog/products/new", product, "/catalog/products/new").status_code == 302
    assert "Chè Tân Cương 200g" in client.get("/catalog?q=che tan").get_data(as_text=True)

    links = client.get("/catalog/links").get_data(as_text=True)
    shop_product = SampleShowroom("SR01", seed=1).products[0]
    assert shop_product["name"] in links
    linked = form_post(
        client, "/catalog/links", {"product_uuid": shop_product["uuid"], "catalog_ref": "OCOP-0001"}, "/catalog/links"
    )
    assert linked.status_code == 302
    promoted_uuid = SampleShowroom("SR01", seed=1).products[1]["uuid"]
    promoted = form_post(
        client, "/catalog/promote", {"product_uuid": promoted_uuid, "suggested_price": "45.000"}, "/catalog/links"
    )
    assert promoted.status_code == 302
    unknown = form_post(
        client, "/catalog/links", {"product_uuid": shop_product["uuid"], "catalog_ref": "NOPE"}, "/catalog/links"
    )
    assert unknown.status_code == 422 and "NOPE" in unknown.get_data(as_text=True)
    with session_scope(central_app.extensions[ENGINE_KEY]) as s:
        assert s.exec(select(Product).where(Product.uuid == shop_product["uuid"])).one().catalog_product_id
        assert (
            s.exec(select(CatalogProduct).where(CatalogProduct.uuid == promoted_uuid)).one().suggested_price_vnd
            == 45_000
        )


# --- The showroom's sync page -------------------------------------------------------------------------------------


@pytest.fixture
def live_central(central_app: Flask) -> Iterator[LiveServer]:
    server = LiveServer(central_app)
    yield server
    server.close()


@pytest.fixture
def app_overrides(live_central: LiveServer, issued: Any) -> dict[str, Any]:
    return {
        "SYNC_CENTRAL_URL": live_central.url,
        "SYNC_SECRET": issued.secret,
        "SHOWROOM_CODE": "SR01",
        "SYNC_RETRIES": 1,
        "SYNC_RETRY_BASE_S": 0.01,
        "SYNC_TIMEOUT_S": 5,
    }


def test_the_sync_page_is_for_managers(client: FlaskClient, auth: Any) -> None:
    assert client.get("/sync").status_code == 302
    auth.login("cashier")
    assert client.get("/sync").status_code == 403


def test_sync_now_sends_what_waits_and_says_so(client: FlaskClient, auth: Any, uow: Any, central_app: Flask) -> None:
    shop = SampleShowroom("SR01", seed=2)
    with uow() as s:
        enqueue_records(s, shop.catalogue_records(AT) + shop.day(date(2026, 11, 20), sales=10))
    auth.login("manager")
    page = client.get("/sync").get_data(as_text=True)
    assert "Bản ghi đang chờ gửi" in page and "Chưa lần nào" in page and "Đồng bộ ngay" in page
    response = auth.post("/sync/run", token_from="/sync", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Đồng bộ dữ liệu xong" in html, html
    with uow() as s:
        assert all(r.sent_at is not None for r in s.exec(select(OutboxRecord)))
    assert "Chưa lần nào" not in html


def test_sync_now_after_a_restore_says_what_it_put_back(
    client: FlaskClient, auth: Any, app: Flask, uow: Any, db_path: Any, tmp_path: Any, make_product: Any
) -> None:
    from pos import backup as bk
    from pos.inventory.intake import IntakeLineInput, receive_stock
    from pos.inventory.ledger import on_hand
    from pos.inventory.models import Transfer
    from pos.inventory.transfers import TransferLineInput, create_transfer

    honey = make_product(name="Mật ong bạc hà")
    with uow() as s:
        receive_stock(s, honey.producer_id, date(2026, 11, 20), "GH-1", [IntakeLineInput(honey.id, 10)], None)
    auth.login("manager")
    backup = bk.backup_database(db_path, tmp_path / "backups", code="SR01")  # before the note
    with uow() as s:
        sent = create_transfer(
            s, "SR02", [TransferLineInput(honey.id, 4)], None, showroom_code="SR01", today=date.today()
        )
    auth.login("manager")
    html = auth.post("/sync/run", token_from="/sync", follow_redirects=True).get_data(as_text=True)
    assert "Đồng bộ dữ liệu xong" in html and "bước chuyển kho" not in html

    app.extensions[ENGINE_KEY].dispose()
    bk.restore_database(backup, db_path)  # the note is lost here, its goods back on the shelf of the database
    auth.login("manager")
    html = auth.post("/sync/run", token_from="/sync", follow_redirects=True).get_data(as_text=True)
    assert "ghi lại 1 bước chuyển kho đã làm trước khi khôi phục dữ liệu" in html, html
    with uow() as s:
        assert s.exec(select(Transfer.number, Transfer.status)).one() == (sent.number, "in_transit")
        assert on_hand(s, honey.id) == 6


def test_a_failed_sync_is_explained_in_plain_words(client: FlaskClient, auth: Any, app: Flask) -> None:
    app.config["SYNC_CENTRAL_URL"] = "http://127.0.0.1:9"  # nothing listens there: the central server is down
    auth.login("manager")
    html = auth.post("/sync/run", token_from="/sync", follow_redirects=True).get_data(as_text=True)
    assert "Không kết nối được máy chủ trung tâm" in html
    assert "Lỗi gần nhất" in html
