"""Signing and verifying sync requests, body validation and the push body, without a database."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, date, datetime
from types import SimpleNamespace
from uuid import uuid4

import msgspec
import pytest

from pos.sync import contract, signing
from pos.sync.client import SyncSettings, build_body
from pos.sync.samples import SampleShowroom, batch_document

KEY = signing.derive_key("ocop1.secret-for-tests-only-0123456789abcdef", "SR01")
PATH = "/api/v1/sync/batches"
BODY = b'{"showroom":"SR01"}'


def _verify(headers: dict[str, str], method: str = "POST", path: str = PATH, body: bytes = BODY) -> bool:
    parsed = signing.parse_headers(headers)
    assert parsed is not None
    code, ts, nonce, sig = parsed
    return signing.verify(KEY, sig, method, path, code, ts, nonce, body)


def test_a_signed_request_verifies() -> None:
    headers = signing.signed_headers(KEY, "SR01", "POST", PATH, BODY)
    assert _verify(headers)


@pytest.mark.parametrize(
    "change",
    [
        {"body": b'{"showroom":"SR02"}'},
        {"path": "/api/v1/catalog"},
        {"method": "GET"},
    ],
)
def test_a_tampered_request_fails(change: dict[str, object]) -> None:
    headers = signing.signed_headers(KEY, "SR01", "POST", PATH, BODY)
    assert not _verify(headers, **change)  # type: ignore[arg-type]


def test_the_code_timestamp_and_nonce_are_signed_too() -> None:
    headers = signing.signed_headers(KEY, "SR01", "POST", PATH, BODY)
    for name, value in [
        (signing.HEADER_TIMESTAMP, str(int(headers[signing.HEADER_TIMESTAMP]) + 1)),
        (signing.HEADER_NONCE, "0" * 32),
        (signing.HEADER_SHOWROOM, "SR02"),
    ]:
        assert not _verify({**headers, name: value})


def test_the_key_is_bound_to_the_showroom_and_the_secret() -> None:
    secret = signing.new_secret()
    assert secret.startswith(signing.SECRET_PREFIX) and len(secret) > 40
    assert signing.derive_key(secret, "SR01") == signing.derive_key(secret, "SR01")
    assert signing.derive_key(secret, "SR01") != signing.derive_key(secret, "SR02")
    assert signing.derive_key(secret, "SR01") != signing.derive_key(signing.new_secret(), "SR01")
    assert secret not in signing.derive_key(secret, "SR01").hex()
    assert len(signing.key_id(KEY)) == 12


def test_malformed_headers_are_not_parsed() -> None:
    good = signing.signed_headers(KEY, "SR01", "POST", PATH, BODY)
    assert signing.parse_headers(good) is not None
    for name, value in [
        (signing.HEADER_TIMESTAMP, "soon"),
        (signing.HEADER_NONCE, "short"),
        (signing.HEADER_SIGNATURE, "zz" * 32),
        (signing.HEADER_SHOWROOM, "SR 01"),
    ]:
        assert signing.parse_headers({**good, name: value}) is None
    assert signing.parse_headers({}) is None


def test_freshness_window() -> None:
    assert signing.is_fresh(1_000_000, 1_000_000 + 300)
    assert signing.is_fresh(1_000_000, 1_000_000 - 300)
    assert not signing.is_fresh(1_000_000, 1_000_000 + 301)
    assert not signing.is_fresh(1_000_000, 1_000_000 - 301)


# --- The body ----------------------------------------------------------------------------------------------------


def _day_document() -> dict:
    shop = SampleShowroom("SR01", seed=3)
    records = shop.catalogue_records(datetime(2026, 11, 1, tzinfo=UTC)) + shop.day(date(2026, 11, 2), sales=30)
    records.append(SampleShowroom.audit(datetime(2026, 11, 2, 12, tzinfo=UTC)))
    return batch_document("SR01", records)


def _decode(document: dict) -> contract.Batch:
    return contract.decode_batch(json.dumps(document).encode())


def test_sample_records_of_every_kind_validate() -> None:
    batch = _decode(_day_document())
    kinds = {r.kind for r in batch.records}
    assert {"producer", "product", "sale", "shift_close", "audit"} <= kinds
    assert contract.too_new(batch) is None


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d["records"][0].pop("seq"), "records[0].seq"),
        (lambda d: d["records"][0].update(kind="gift"), "records[0].kind"),
        (lambda d: _first(d, "sale")["payload"]["lines"][0].update(qty=1.5), "payload.lines[0].qty"),
        (lambda d: _first(d, "sale")["payload"]["lines"][0].update(qty=True), "payload.lines[0].qty"),
        (lambda d: _first(d, "sale")["payload"].update(total_vnd="100"), "payload.total_vnd"),
        (lambda d: _first(d, "sale")["payload"].update(created_at="2026-11-02T10:00:00"), "payload.created_at"),
        (lambda d: _first(d, "sale")["payload"].update(uuid="not-a-uuid"), "payload.uuid"),
        (lambda d: _first(d, "sale")["payload"].update(receipt_number="x" * 41), "payload.receipt_number"),
        (lambda d: _first(d, "product")["payload"].update(ocop_cert_expiry="2026-13-45"), "payload.ocop_cert_expiry"),
        (lambda d: d.update(extra=1), "extra"),
        (lambda d: d.update(records=[]), "records"),
    ],
)
def test_a_bad_body_names_the_field(mutate: object, field: str) -> None:
    document = _day_document()
    mutate(document)  # type: ignore[operator]
    with pytest.raises(msgspec.ValidationError) as info:
        _decode(document)
    message, named, problems = contract.validation_error(info.value)
    assert named.endswith(field), named
    assert named in message and problems[0]["field"] == named


def test_a_newer_version_is_refused_and_an_older_one_accepted() -> None:
    document = _day_document()
    _first(document, "sale")["v"] = contract.KIND_VERSIONS["sale"] + 1
    refusal = contract.too_new(_decode(document))
    assert refusal is not None and "mới hơn phiên bản máy chủ trung tâm hỗ trợ" in refusal.message
    assert refusal.field.endswith(".v")
    document = _day_document()
    document["payload_version"] = contract.BATCH_VERSION + 1
    assert contract.too_new(_decode(document)).field == "payload_version"  # type: ignore[union-attr]
    document = _day_document()
    for record in document["records"]:
        record.pop("v", None)  # written before records carried a version: version 1, accepted
    assert contract.too_new(_decode(document)) is None


def test_a_feature_cannot_publish_what_the_contract_refuses() -> None:
    shop = SampleShowroom("SR01", seed=5)
    sale = shop.sale(datetime(2026, 11, 2, 9, tzinfo=UTC), str(uuid4()))
    assert contract.check_payload("sale", sale).total_vnd == sale["total_vnd"]
    with pytest.raises(contract.ContractError) as info:
        contract.check_payload("sale", dict(sale, total_vnd=1.5))
    assert info.value.field == "payload.total_vnd"
    with pytest.raises(contract.ContractError, match="chưa có trong hợp đồng"):
        contract.check_payload("gift_card", {})


def _first(document: dict, kind: str) -> dict:
    return next(r for r in document["records"] if r["kind"] == kind)


def test_unknown_payload_keys_are_ignored_but_unknown_envelope_keys_refused() -> None:
    document = _day_document()
    _first(document, "sale")["payload"]["future_field"] = "kept as sent"
    _decode(document)
    document["records"][0]["surprise"] = 1
    with pytest.raises(msgspec.ValidationError):
        _decode(document)


def test_the_push_body_embeds_stored_payloads_and_validates() -> None:
    shop = SampleShowroom("SR01", seed=4)
    at = datetime(2026, 11, 2, 9, tzinfo=UTC)
    sale = shop.sale(at, str(shop.producers[0]["uuid"]))
    rows = [
        SimpleNamespace(
            id=7,
            kind="sale",
            entity_uuid=sale["uuid"],
            payload=json.dumps(sale, ensure_ascii=False),
            created_at=at,
            version=1,
        )
    ]
    body = build_body("SR01", rows)
    document = json.loads(body)
    assert document["records"][0]["payload"] == sale
    batch = contract.decode_batch(body)
    assert batch.records[0].seq == 7 and batch.records[0].v == 1
    assert gzip.decompress(gzip.compress(body)) == body


def test_settings_say_what_is_missing() -> None:
    settings = SyncSettings.from_config(
        {"SHOWROOM_CODE": "SR01", "SYNC_CENTRAL_URL": "http://x", "INSTANCE_PATH": "/nonexistent"}
    )
    assert settings.problem() and "khóa" in settings.problem()  # type: ignore[operator]
    settings.secret = signing.new_secret()
    assert settings.problem() is None
    assert SyncSettings.from_config({"SYNC_BATCH_SIZE": "50", "SYNC_GZIP": "false"}).batch_size == 50
    assert SyncSettings.from_config({"SYNC_GZIP": "false"}).gzip is False
