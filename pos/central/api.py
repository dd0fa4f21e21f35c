"""The sync API, version 1 (``/api/v1``), described by static/openapi/sync-v1.json.

Every endpoint but the OpenAPI document is signed by a showroom (pos/sync/signing.py). Errors are JSON
``{"error": <Vietnamese>, "code": <machine code>, "field": <the field at fault>}``; the codes are in
pos/central/errors.py. A request is handled in one transaction (its nonce included), retried on a
PostgreSQL deadlock or serialisation failure, so a refusal or a crash leaves nothing half-written.
"""

from __future__ import annotations

import gc
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import msgspec
from flask import Blueprint, current_app, jsonify, request
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from pos import numbering
from pos.central import catalog, errors, transfers
from pos.central.batches import Body
from pos.central.credentials import authenticate, forget_old_nonces
from pos.central.errors import SyncApiError
from pos.central.ingest import ingest_batch
from pos.config import ROOT
from pos.db import unit_of_work
from pos.errors import PosError
from pos.sync import contract, signing

bp = Blueprint("sync_api", __name__, url_prefix="/api/v1")

DEFAULT_MAX_BODY_BYTES = 16_000_000
RETRYABLE_SQLSTATES = {"40P01", "40001"}  # deadlock detected, serialization failure
OPENAPI_DIR = ROOT / "static" / "openapi"

R = TypeVar("R")
_cleanup_lock = threading.Lock()
_last_cleanup = [0.0]


def max_body_bytes() -> int:
    """The largest request body accepted (config central.max_body_bytes)."""
    return int(current_app.config.get("CENTRAL_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES))


@bp.errorhandler(SyncApiError)
def _sync_error(exc: SyncApiError) -> tuple[Response, int]:
    return jsonify(exc.body()), exc.status


@bp.errorhandler(PosError)
def _pos_error(exc: PosError) -> tuple[Response, int]:
    body: dict[str, Any] = {"error": exc.message, "code": errors.INVALID_BODY}
    if exc.field:
        body["field"] = exc.field
    return jsonify(body), exc.status


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_exc: RequestEntityTooLarge) -> tuple[Response, int]:
    return jsonify(_too_large_error().body()), 413


def _too_large_error() -> SyncApiError:
    limit = max_body_bytes()
    return SyncApiError(
        f"Gói dữ liệu quá lớn (tối đa {limit:,} byte); hãy gửi ít bản ghi hơn mỗi lần.".replace(",", "."),
        413,
        errors.TOO_LARGE,
        "body",
        max_bytes=limit,
    )


def _signed_path() -> str:
    """The path and query exactly as the showroom signed them."""
    query = request.query_string.decode("latin-1")
    return request.path + (f"?{query}" if query else "")


def _read_body() -> bytes:
    """The raw body as sent, refused with 413 beyond the configured size."""
    if request.content_length is not None and request.content_length > max_body_bytes():
        raise _too_large_error()
    return request.get_data(cache=False)


def _decode(raw: bytes) -> bytes:
    """The JSON bytes: gzip is undone (the signature covers the compressed bytes as sent)."""
    encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding in ("", "identity"):
        return raw
    if encoding != "gzip":
        raise SyncApiError(f"Không hỗ trợ nén “{encoding}”; dùng gzip.", 415, errors.UNSUPPORTED, "Content-Encoding")
    limit = 8 * max_body_bytes()
    inflater = zlib.decompressobj(wbits=31)
    try:
        data = inflater.decompress(raw, limit)
    except zlib.error as exc:
        raise SyncApiError("Dữ liệu nén gzip bị hỏng.", 400, errors.INVALID_BODY, "body") from exc
    if inflater.unconsumed_tail:
        raise _too_large_error()
    return data


def _timezone() -> ZoneInfo:
    return ZoneInfo(
        current_app.config.get("CENTRAL_TIMEZONE") or current_app.config.get("SHOWROOM_TIMEZONE") or "Asia/Ho_Chi_Minh"
    )


def _max_skew() -> int:
    return int(current_app.config.get("CENTRAL_MAX_CLOCK_SKEW_S", signing.MAX_SKEW_S))


def _in_transaction(work: Callable[[Any], R]) -> R:
    """Run ``work(session)`` in one transaction, again (up to three times) after a deadlock."""
    for attempt in range(3):
        try:
            with unit_of_work() as session:
                return work(session)
        except DBAPIError as exc:
            sqlstate = getattr(exc.orig, "sqlstate", None)
            if sqlstate not in RETRYABLE_SQLSTATES or attempt == 2:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


def _forget_old_nonces() -> None:
    """At most once a minute per process, in its own short transaction."""
    now = time.monotonic()
    if now - _last_cleanup[0] < 60 or not _cleanup_lock.acquire(blocking=False):
        return
    try:
        _last_cleanup[0] = now
        with unit_of_work() as session:
            forget_old_nonces(session, _max_skew())
    finally:
        _cleanup_lock.release()


_gc_lock = threading.Lock()
_gc_pausers = {"count": 0, "paused": False}


@contextmanager
def gc_paused() -> Iterator[None]:
    """Python's cyclic garbage collector held off while a push is decoded and stored.

    A 2,000-record batch makes some hundred thousand objects, so the collector would run its full passes over
    the whole process many times a push (a decode measured 13 ms took 115 ms when one fell in it). The push
    makes no cycles worth collecting meanwhile; the collector resumes when the last push in progress ends.
    """
    with _gc_lock:
        if _gc_pausers["count"] == 0 and gc.isenabled():
            gc.disable()
            _gc_pausers["paused"] = True
        _gc_pausers["count"] += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pausers["count"] -= 1
            if _gc_pausers["count"] == 0 and _gc_pausers["paused"]:
                _gc_pausers["paused"] = False
                gc.enable()


def parse_batch(data: bytes, sent_gzip: bytes | None = None) -> tuple[contract.Batch, Body]:
    """Decode and validate a push body by the sync contract (once): the batch, and the body to keep.

    ``sent_gzip`` is the body as it came when it came gzip-compressed (kept as it is)."""
    try:
        batch = contract.decode_batch(data)
    except msgspec.ValidationError as exc:
        message, field, problems = contract.validation_error(exc)
        raise SyncApiError(message, 422, errors.INVALID_BODY, field, problems=problems) from exc
    except (msgspec.DecodeError, RecursionError) as exc:  # "[[[[…" is bad JSON too
        raise SyncApiError("Nội dung gửi lên không phải JSON hợp lệ.", 400, errors.INVALID_BODY, "body") from exc
    refusal = contract.too_new(batch)
    if refusal is not None:
        raise SyncApiError(refusal.message, 422, errors.INVALID_BODY, refusal.field)
    seen: set[int] = set()
    for index, record in enumerate(batch.records):
        if record.seq in seen:
            raise SyncApiError(
                f"Số thứ tự {record.seq} xuất hiện hai lần trong cùng một gói.",
                422,
                errors.INVALID_BODY,
                f"records[{index}].seq",
            )
        seen.add(record.seq)
    return batch, Body(data, sent_gzip)


@bp.post("/sync/batches")
def push_batch() -> Any:
    """Receive one batch of a showroom's outbox records; acknowledge every seq the central server now holds."""
    raw = _read_body()
    _forget_old_nonces()
    now = time.time()

    def work(session: Any) -> dict[str, Any]:
        showroom = authenticate(session, "POST", _signed_path(), request.headers, raw, now, _max_skew())
        data = _decode(raw)
        batch, body = parse_batch(data, raw if data is not raw else None)
        if batch.showroom != showroom.code:
            raise SyncApiError(
                f"Khóa đồng bộ của cửa hàng {showroom.code} không được gửi dữ liệu của cửa hàng {batch.showroom}.",
                403,
                errors.SHOWROOM_MISMATCH,
                "showroom",
            )
        result = ingest_batch(
            session,
            showroom,
            batch,
            body,
            tz=_timezone(),
            body_bytes=len(raw),
            remote_addr=request.remote_addr or "",
        )
        return {
            "showroom": showroom.code,
            "acknowledged": result.acknowledged,
            "received": len(result.acknowledged),
            "new": result.new,
            "duplicates": result.duplicates,
            "shifts_checked": result.shifts_checked,
            "server_time": int(time.time()),
        }

    with gc_paused():
        answer = _in_transaction(work)
    return jsonify(answer)


@bp.get("/sync/state")
def sync_state() -> Any:
    """What the central server holds for the calling showroom (a cheap check of the credential, too)."""
    raw = _read_body()
    now = time.time()

    def work(session: Any) -> dict[str, Any]:
        showroom = authenticate(session, "GET", _signed_path(), request.headers, raw, now, _max_skew())
        return {
            "showroom": showroom.code,
            "name": showroom.name,
            "last_seq": showroom.last_seq,
            "records_received": showroom.records_received,
            "last_push_at": showroom.last_push_at.isoformat() if showroom.last_push_at else None,
            **highest_numbers(session, showroom.id),
            "server_time": int(time.time()),
        }

    return jsonify(_in_transaction(work))


_HIGHEST_NUMBERS = text(numbering.pg_highest_numbers_sql())


def highest_numbers(session: Any, showroom_id: int | None) -> dict[str, Any]:
    """The highest seq and the highest number of every series held for a showroom (a restored one goes past them)."""
    max_seq = session.execute(
        text("SELECT coalesce(max(seq), 0) FROM sync_record WHERE showroom_id = :showroom"), {"showroom": showroom_id}
    ).scalar()
    found: dict[str, dict[str, int]] = {kind: {} for kind in numbering.CENTRAL_SERIES}
    for kind, sub, n in session.execute(_HIGHEST_NUMBERS, {"showroom": showroom_id}).all():
        found[kind][sub] = int(n)
    return {"max_seq": int(max_seq or 0), **{f"{kind}_max": held for kind, held in found.items()}}


@bp.get("/catalog")
def get_catalog() -> Any:
    """The shared catalogue's changes since a revision, and this showroom's products linked to it."""
    raw = _read_body()
    now = time.time()
    since_raw = request.args.get("since", "0")
    if not (since_raw.isascii() and since_raw.isdigit()) or len(since_raw) > 18:
        raise SyncApiError("Tham số since phải là số nguyên không âm.", 422, errors.INVALID_BODY, "since")

    paging = _catalog_paging()

    def work(session: Any) -> dict[str, Any]:
        showroom = authenticate(session, "GET", _signed_path(), request.headers, raw, now, _max_skew())
        return catalog.changes_since(session, showroom.id, int(since_raw), **paging)

    return jsonify(_in_transaction(work))


CATALOG_PAGE_MAX = 5000


def _catalog_paging() -> dict[str, Any]:
    """``until``, ``after`` and ``limit`` of a paged catalogue pull (none of them: the whole answer at once)."""
    paging: dict[str, Any] = {}
    until, after, limit = (request.args.get(k) for k in ("until", "after", "limit"))
    if until is not None:
        if not (until.isascii() and until.isdigit()) or len(until) > 18:
            raise SyncApiError("Tham số until phải là số nguyên không âm.", 422, errors.INVALID_BODY, "until")
        paging["until"] = int(until)
    if after is not None:
        if not catalog.PAGE_TOKEN.fullmatch(after):
            raise SyncApiError("Tham số after không hợp lệ.", 422, errors.INVALID_BODY, "after")
        paging["after"] = after
    if limit is not None:
        if not (limit.isascii() and limit.isdigit()) or len(limit) > 6 or not 1 <= int(limit) <= CATALOG_PAGE_MAX:
            raise SyncApiError(f"Tham số limit phải từ 1 đến {CATALOG_PAGE_MAX}.", 422, errors.INVALID_BODY, "limit")
        paging["limit"] = int(limit)
    return paging


@bp.get("/transfers")
def get_transfers() -> Any:
    """Transfer notes to or from this showroom changed after a revision (``since``), a page at a time."""
    raw = _read_body()
    now = time.time()
    since_raw = request.args.get("since", "0")
    if not (since_raw.isascii() and since_raw.isdigit()) or len(since_raw) > 18:
        raise SyncApiError("Tham số since phải là số nguyên không âm.", 422, errors.INVALID_BODY, "since")

    def work(session: Any) -> dict[str, Any]:
        showroom = authenticate(session, "GET", _signed_path(), request.headers, raw, now, _max_skew())
        return transfers.changes_since(session, showroom.id, showroom.code, int(since_raw))

    return jsonify(_in_transaction(work))


@bp.get("/openapi.json")
def openapi() -> Any:
    """The OpenAPI 3.1 document of this API."""
    return Response((OPENAPI_DIR / "sync-v1.json").read_bytes(), mimetype="application/json")
