"""The showroom's side of the sync: push the outbox to the central server, pull the shared catalogue.

A run (``run_sync``):

0. after ``pos restore`` (the database is marked), first asks the central server what it holds and moves the
   outbox sequence and the receipt counters past it (pos/sync/restore.py), so no number is reused;
1. prepares the outbox in one transaction: on the first run every producer and product is enqueued once (a
   database that existed before the sync did), then every audit entry not yet copied (the audit log is
   append-only, so a watermark on its id is exact; the entries travel at sync time rather than from
   pos/audit/log.py so that logging stays a single insert);
2. pushes the unsent records in sequence order, ``batch_size`` at a time, signed (pos/sync/signing.py) and
   gzip-compressed, to ``POST /api/v1/sync/batches``; only the seqs the central server acknowledged are
   marked sent, in their own transaction. If the run is cut off anywhere (the process killed, the
   connection dropped, a 500, a timeout, the central server restarted) the unacknowledged records are
   simply sent again next time, and the central server, which stores each (showroom, seq) once, answers
   that it already holds them. A network error, a timeout or a 5xx is retried within the run with
   back-off; a 413 halves the batch; a refused timestamp adopts the central server's clock and retries;
3. pulls the catalogue's changes since the last revision (``GET /api/v1/catalog?since=``) and upserts
   producers and products by UUID: an existing product keeps its own selling price and SKU, a new one gets
   the suggested price; a local product with the same barcode is linked instead of duplicated; with them come
   the promotions the central office set for this showroom (pos/promotions/central.py), read-only here;
4. records the outcome in ``SyncState`` (last success, or the last error in plain Vietnamese, and the count
   of consecutive failures the scheduler backs off on).

Only one run at a time per database in a process; a second caller is told a sync is already running.
Two processes (the server's scheduler and ``pos sync``) may overlap harmlessly: the central server
deduplicates and marking sent is idempotent.
"""

from __future__ import annotations

import contextlib
import gzip
import logging
import os
import threading
import time
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import msgspec
from sqlalchemy import Engine, LargeBinary, cast, func, update
from sqlmodel import Session, select

from pos.audit.models import AuditEntry
from pos.auth.models import User
from pos.catalog.models import Producer, Product
from pos.db import session_scope, utcnow
from pos.promotions import central as central_promotions
from pos.sync import contract, signing
from pos.sync.models import OutboxRecord, SyncState
from pos.sync.outbox import enqueue
from pos.text import fold

log = logging.getLogger(__name__)

PUSH_PATH = "/api/v1/sync/batches"
CATALOG_PATH = "/api/v1/catalog"
STATE_PATH = "/api/v1/sync/state"
TRANSFERS_PATH = "/api/v1/transfers"
SECRET_FILE = "sync_secret"


# --- Settings and the secret ------------------------------------------------------------------------------------


def _as_bool(value: Any, default: bool) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def read_secret(config: Mapping[str, Any]) -> str | None:
    """The showroom's sync secret: $POS_SYNC_SECRET (config SYNC_SECRET), else instance/sync_secret."""
    secret = str(config.get("SYNC_SECRET") or "").strip()
    if secret:
        return secret
    path = Path(str(config.get("INSTANCE_PATH", "instance"))) / SECRET_FILE
    if path.exists():
        return path.read_text(encoding="utf-8").strip() or None
    return None


def save_secret(config: Mapping[str, Any], secret: str) -> Path:
    """Keep the secret in the instance folder, readable by this account only (where the OS allows)."""
    secret = secret.strip()
    if not secret.startswith(signing.SECRET_PREFIX) or len(secret) < 40:
        raise ValueError("Khóa đồng bộ không đúng dạng (bắt đầu bằng “ocop1.”).")
    path = Path(str(config.get("INSTANCE_PATH", "instance"))) / SECRET_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(secret + "\n", encoding="utf-8")
    with contextlib.suppress(OSError):  # Windows keeps its own ACLs
        os.chmod(path, 0o600)
    return path


@dataclass
class SyncSettings:
    """What a run needs to know, taken from config.toml ([showroom] code, [sync] …)."""

    central_url: str
    showroom_code: str
    secret: str | None
    batch_size: int = contract.MAX_RECORDS  # 2,000: the fastest measured (bench/sync.py), and the largest allowed
    timeout_s: float = 30.0
    retries: int = 2
    retry_base_s: float = 1.0
    gzip: bool = True
    max_body_bytes: int = 8_000_000

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SyncSettings:
        """Settings from the app's config (environment overrides arrive as strings)."""
        return cls(
            central_url=str(config.get("SYNC_CENTRAL_URL") or "").rstrip("/"),
            showroom_code=str(config.get("SHOWROOM_CODE") or ""),
            secret=read_secret(config),
            batch_size=max(1, min(contract.MAX_RECORDS, int(config.get("SYNC_BATCH_SIZE") or contract.MAX_RECORDS))),
            timeout_s=float(config.get("SYNC_TIMEOUT_S") or 30),
            retries=max(0, int(config.get("SYNC_RETRIES") if config.get("SYNC_RETRIES") is not None else 2)),
            retry_base_s=float(config.get("SYNC_RETRY_BASE_S") or 1.0),
            gzip=_as_bool(config.get("SYNC_GZIP"), True),
            max_body_bytes=int(config.get("SYNC_MAX_BODY_BYTES") or 8_000_000),
        )

    def problem(self) -> str | None:
        """Why a run cannot start, in plain words, or None."""
        if not self.central_url:
            return "Chưa cấu hình địa chỉ máy chủ trung tâm ([sync] central_url trong config.toml)."
        if not signing.is_valid_code(self.showroom_code):
            return "Mã cửa hàng trong config.toml ([showroom] code) không hợp lệ."
        if not self.secret:
            return "Chưa nhập khóa đồng bộ do văn phòng trung tâm cấp (chạy “pos sync --set-secret”)."
        return None


# --- Outcome ------------------------------------------------------------------------------------------------------


class SyncError(Exception):
    """A run that could not finish; ``message`` is for the manager, in Vietnamese."""

    def __init__(self, message: str, code: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


@dataclass
class SyncResult:
    """What a run did."""

    ok: bool = False
    pushed: int = 0
    batches: int = 0
    duplicates: int = 0
    producers_pulled: int = 0
    products_pulled: int = 0
    promotions_pulled: int = 0  # central promotions new or changed for this showroom
    transfers_pulled: int = 0  # notes addressed here, new
    transfers_closed: int = 0  # notes sent from here that the other showroom received
    transfers_restored: int = 0  # this showroom's own steps on notes, lost by a restore, put back from central's
    error: str | None = None
    busy: bool = False
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def restored_text(self) -> str:
        """What the pull put back after a restore, in the manager's words ("" when nothing)."""
        if not self.transfers_restored:
            return ""
        return (
            f"ghi lại {self.transfers_restored} bước chuyển kho đã làm trước khi khôi phục dữ liệu "
            "(theo máy chủ trung tâm; xem Nhật ký thao tác)"
        )


# --- One run at a time per database -----------------------------------------------------------------------------

_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock_for(engine: Engine) -> threading.Lock:
    key = engine.url.render_as_string(hide_password=False)
    with _locks_guard:
        return _locks.setdefault(key, threading.Lock())


def is_running(engine: Engine) -> bool:
    """Whether a run on this database is under way in this process."""
    return _lock_for(engine).locked()


# --- State and the till's warning ---------------------------------------------------------------------------------


def get_state(session: Session) -> SyncState:
    """The sync's bookkeeping row (a fresh, unsaved one before the first run)."""
    return session.get(SyncState, 1) or SyncState(id=1)


def _state_for_update(session: Session) -> SyncState:
    state = session.get(SyncState, 1)
    if state is None:
        state = SyncState(id=1)
        session.add(state)
        session.flush()
    return state


def waiting_count(session: Session) -> int:
    """Records not yet acknowledged by the central server."""
    return int(session.scalar(select(func.count()).where(OutboxRecord.sent_at.is_(None))) or 0)  # type: ignore[union-attr]


def to_send_count(session: Session) -> int:
    """What the next run will send: unsent records plus the audit entries (and, before the first run, the
    producers and products) it will enqueue first."""
    state = get_state(session)
    count = waiting_count(session)
    count += int(
        session.scalar(select(func.count()).where(AuditEntry.id > state.audit_enqueued_through)) or 0  # type: ignore[operator]
    )
    if not state.snapshot_done:
        count += int(session.scalar(select(func.count()).select_from(Producer)) or 0)
        count += int(session.scalar(select(func.count()).select_from(Product)) or 0)
    return count


def oldest_waiting_at(session: Session) -> datetime | None:
    """When the oldest unsent record was written."""
    return session.scalar(select(func.min(OutboxRecord.created_at)).where(OutboxRecord.sent_at.is_(None)))  # type: ignore[union-attr]


def unsent_older_than(session: Session, hours: int = 24) -> int:
    """How many records written more than ``hours`` ago are still unsent (the till's quiet warning)."""
    cutoff = utcnow() - timedelta(hours=hours)
    return int(
        session.scalar(
            select(func.count()).where(
                OutboxRecord.sent_at.is_(None),  # type: ignore[union-attr]
                OutboxRecord.created_at < cutoff,
            )
        )
        or 0
    )


# --- The run ------------------------------------------------------------------------------------------------------


def run_sync(
    engine: Engine,
    settings: SyncSettings,
    *,
    push: bool = True,
    pull: bool = True,
    transport: httpx.BaseTransport | None = None,
    sleep: Any = time.sleep,
) -> SyncResult:
    """One sync run; never raises for a sync failure (the result and SyncState say what went wrong)."""
    lock = _lock_for(engine)
    if not lock.acquire(blocking=False):
        return SyncResult(ok=False, busy=True, error="Đang đồng bộ dữ liệu; vui lòng đợi lượt này xong.")
    result = SyncResult()
    try:
        problem = settings.problem()
        if problem:
            raise SyncError(problem, "not_configured")
        with session_scope(engine) as session:
            state = _state_for_update(session)
            state.last_attempt_at = utcnow()
            offset = state.clock_offset_s
        channel = _Channel(settings, offset, transport, sleep)
        try:
            if push:
                reconcile_if_restored(engine, settings, channel, result)
                prepare_outbox(engine)
                push_outbox(engine, settings, channel, result)
            if pull:
                pull_catalog(engine, channel, result)
                pull_transfers(engine, settings, channel, result)
        finally:
            channel.close()
            if channel.offset != offset:
                with session_scope(engine) as session:
                    _state_for_update(session).clock_offset_s = channel.offset
        if push:  # a catalogue-only pull says nothing about what waits to be sent
            with session_scope(engine) as session:
                state = _state_for_update(session)
                state.last_success_at = utcnow()
                state.last_error = ""
                state.failures = 0
        result.ok = True
    except SyncError as exc:
        result.error = exc.message
        _record_failure(engine, exc.message)
    except Exception as exc:  # a bug must not kill the scheduler thread; it is logged and shown
        log.exception("sync failed")
        result.error = f"Lỗi không mong đợi khi đồng bộ: {exc.__class__.__name__}. Dữ liệu vẫn được giữ nguyên."
        _record_failure(engine, result.error)
    finally:
        lock.release()
    return result


def _record_failure(engine: Engine, message: str) -> None:
    with session_scope(engine) as session:
        state = _state_for_update(session)
        state.last_error = message[:500]
        state.last_error_at = utcnow()
        # A run refused before it started still counts as an attempt, so the scheduler backs off on it.
        state.last_attempt_at = state.last_error_at
        state.failures += 1


def reconcile_if_restored(engine: Engine, settings: SyncSettings, channel: _Channel, result: SyncResult) -> None:
    """After ``pos restore``: before anything is pushed, move the outbox and the counters past the central server's."""
    from pos.numbering import restore_tag
    from pos.sync.restore import reconcile_after_restore

    with session_scope(engine, write=False) as session:
        if restore_tag(session) is None:
            return
    central = channel.request("GET", STATE_PATH)
    with session_scope(engine) as session:
        if restore_tag(session) is None:  # another process did it meanwhile
            return
        done = reconcile_after_restore(session, settings.showroom_code, central)
    log.info("after restore: %s", done)
    result.details["restore"] = done


# --- Preparing the outbox ------------------------------------------------------------------------------------------


def prepare_outbox(engine: Engine) -> int:
    """Enqueue, in one transaction, what travels without its own event: the first catalogue snapshot, new audit
    entries and the stock snapshot."""
    from pos.catalog.services import enqueue_product, producer_payload

    added = 0
    with session_scope(engine) as session:
        state = _state_for_update(session)
        if not state.snapshot_done:
            producers = {p.id: p for p in session.exec(select(Producer).order_by(Producer.id))}
            for producer in producers.values():
                enqueue(session, "producer", producer.uuid, dict(producer_payload(producer)))
                added += 1
            for product in session.exec(select(Product).order_by(Product.id)):
                enqueue_product(session, product)
                added += 1
            state.snapshot_done = True
        usernames: dict[int, str] = {}
        last = state.audit_enqueued_through
        for entry in session.exec(
            select(AuditEntry).where(AuditEntry.id > state.audit_enqueued_through).order_by(AuditEntry.id)  # type: ignore[operator]
        ):
            if entry.user_id is not None and entry.user_id not in usernames:
                user = session.get(User, entry.user_id)
                usernames[entry.user_id] = user.username if user else ""
            enqueue(session, "audit", entry.uuid, audit_payload(entry, usernames.get(entry.user_id or 0)))
            last = entry.id or last
            added += 1
        state.audit_enqueued_through = last
        added += enqueue_stock_snapshot(session, state)
    return added


def enqueue_stock_snapshot(session: Session, state: SyncState) -> int:
    """Enqueue on hand and lots moved since the last snapshot (or all of them once a day); 1 if one was added."""
    from pos.inventory.snapshot import build_snapshot

    now = utcnow()
    payload, through = build_snapshot(
        session, state.stock_sent_through, state.stock_sent_at, state.stock_complete_at, now
    )
    if payload is None:
        return 0
    enqueue(session, "stock_snapshot", payload["uuid"], payload)
    state.stock_sent_through = through
    state.stock_sent_at = now
    if payload["complete"]:
        state.stock_complete_at = now
    return 1


def audit_payload(entry: AuditEntry, username: str | None) -> dict[str, Any]:
    """The outbox record of an audit entry (kind 'audit', pos/sync/contract.py AuditIn)."""
    return {
        "uuid": str(entry.uuid),
        "at": entry.at.isoformat(),
        "user": username or None,
        "action": entry.action,
        "entity": entry.entity,
        "entity_id": entry.entity_id,
        "before": entry.before,
        "after": entry.after,
    }


# --- Talking to the central server --------------------------------------------------------------------------------


class _TooLarge(Exception):
    pass


class _Channel:
    """Signed requests to the central server, retried with back-off on network errors, timeouts and 5xx."""

    def __init__(self, settings: SyncSettings, offset: int, transport: httpx.BaseTransport | None, sleep: Any) -> None:
        assert settings.secret is not None
        self.settings = settings
        self.key = signing.derive_key(settings.secret, settings.showroom_code)
        self.offset = offset
        self.sleep = sleep
        self.http = httpx.Client(base_url=settings.central_url, timeout=settings.timeout_s, transport=transport)

    def close(self) -> None:
        self.http.close()

    def request(self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None) -> Any:
        """The decoded JSON answer of a signed request (``path`` includes its query string)."""
        clock_fixed = False
        attempt = 0
        while True:
            signed = signing.signed_headers(
                self.key, self.settings.showroom_code, method, path, body, now=time.time() + self.offset
            )
            try:
                response = self.http.request(method, path, content=body or None, headers={**(headers or {}), **signed})
            except httpx.TimeoutException:
                error = SyncError(
                    "Máy chủ trung tâm không trả lời kịp. Dữ liệu vẫn được giữ và sẽ gửi lại lần sau.", "timeout"
                )
            except httpx.TransportError:
                error = SyncError(
                    f"Không kết nối được máy chủ trung tâm ({self.settings.central_url}). Kiểm tra mạng Internet; "
                    "dữ liệu vẫn được giữ và sẽ gửi lại lần sau.",
                    "network",
                )
            else:
                if response.status_code < 400:
                    return response.json()
                answer = _json_or_empty(response)
                if response.status_code >= 500:
                    error = SyncError(
                        f"Máy chủ trung tâm đang gặp lỗi (HTTP {response.status_code}). "
                        "Dữ liệu vẫn được giữ và sẽ gửi lại lần sau.",
                        "server_error",
                        response.status_code,
                    )
                elif response.status_code == 413:
                    raise _TooLarge()
                elif answer.get("code") == "stale_timestamp" and "server_time" in answer and not clock_fixed:
                    # This PC's clock is off: sign with the central server's time from now on.
                    self.offset = int(answer["server_time"]) - int(time.time())
                    clock_fixed = True
                    continue
                else:
                    message = str(answer.get("error") or f"Máy chủ trung tâm từ chối (HTTP {response.status_code}).")
                    raise SyncError(message, str(answer.get("code", "")), response.status_code)
            if attempt >= self.settings.retries:
                raise error
            self.sleep(self.settings.retry_base_s * (2**attempt))
            attempt += 1


def _json_or_empty(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def build_body(showroom_code: str, rows: list[Any]) -> bytes:
    """A push body from outbox rows (a ``contract.Batch``); each payload's stored JSON (text, or its UTF-8 bytes as
    ``_prepare`` reads it) is embedded as it is."""
    return contract.encode(
        {
            "showroom": showroom_code,
            "payload_version": contract.BATCH_VERSION,
            "records": [
                {
                    "seq": row.id,
                    "kind": row.kind,
                    "entity_uuid": row.entity_uuid,
                    "created_at": row.created_at.isoformat(),
                    "v": row.version,
                    "payload": msgspec.Raw(row.payload if isinstance(row.payload, bytes) else row.payload.encode()),
                }
                for row in rows
            ],
        }
    )


@dataclass
class _Prepared:
    """One batch read from the outbox and encoded, ready to send."""

    ids: set[int]
    body: bytes
    headers: dict[str, str]
    size: int  # the batch size it was read with


def _prepare(engine: Engine, settings: SyncSettings, after: int, batch_size: int) -> _Prepared | None:
    """Read the next ``batch_size`` unsent records after seq ``after`` and encode (and gzip) their body."""
    with session_scope(engine, write=False) as session:
        rows = session.execute(
            select(*_OUTBOX_COLUMNS)
            .where(OutboxRecord.sent_at.is_(None), OutboxRecord.id > after)  # type: ignore[union-attr,operator]
            .order_by(OutboxRecord.id)  # type: ignore[arg-type]
            .limit(batch_size)
        ).all()
    if not rows:
        return None
    body = build_body(settings.showroom_code, list(rows))
    headers = {"Content-Type": "application/json"}
    if settings.gzip:
        body = gzip.compress(body, compresslevel=5, mtime=0)
        headers["Content-Encoding"] = "gzip"
    return _Prepared({row.id for row in rows}, body, headers, batch_size)


_OUTBOX_COLUMNS = (
    OutboxRecord.id,
    OutboxRecord.kind,
    OutboxRecord.entity_uuid,
    OutboxRecord.created_at,
    OutboxRecord.version,
    # The JSON's UTF-8 bytes as SQLite holds them: not decoded into a str only to be encoded again.
    cast(OutboxRecord.payload, LargeBinary).label("payload"),
)


def push_outbox(engine: Engine, settings: SyncSettings, channel: _Channel, result: SyncResult) -> None:
    """Send every unsent record, batch by batch; mark sent exactly those the central server acknowledged.

    One helper thread works beside the request in flight: it reads and encodes the next batch, and marks the
    previous one sent, while the central server stores the current one (the showroom's side of a push is
    then mostly hidden behind the central server's). A batch is marked only once acknowledged; the run waits
    for every mark before it returns, and a run cut off anywhere leaves the unmarked records to go again.
    """
    batch_size = settings.batch_size
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pos-sync-push") as helper:
        marks: list[Future[None]] = []
        following = helper.submit(_prepare, engine, settings, 0, batch_size)
        after = 0
        try:
            while True:
                prepared = following.result()
                if prepared is None:
                    break
                if prepared.size != batch_size or (len(prepared.body) > settings.max_body_bytes and batch_size > 1):
                    if prepared.size == batch_size:
                        batch_size = max(1, batch_size // 2)
                    following = helper.submit(_prepare, engine, settings, after, batch_size)
                    continue
                following = helper.submit(_prepare, engine, settings, max(prepared.ids), batch_size)
                try:
                    answer = channel.request("POST", PUSH_PATH, prepared.body, prepared.headers)
                except _TooLarge:
                    if batch_size == 1:
                        raise SyncError(
                            "Một bản ghi lớn hơn giới hạn của máy chủ trung tâm; hãy báo bộ phận kỹ thuật.",
                            "too_large",
                        ) from None
                    batch_size = max(1, batch_size // 2)
                    continue  # the batch read ahead has the old size: it is read again from ``after``
                acknowledged = prepared.ids & {
                    int(seq) for seq in answer.get("acknowledged", []) if isinstance(seq, int)
                }
                if not acknowledged:
                    raise SyncError("Máy chủ trung tâm không xác nhận bản ghi nào; sẽ gửi lại lần sau.", "no_ack")
                marks.append(helper.submit(mark_sent, engine, acknowledged))
                result.pushed += len(acknowledged)
                result.batches += 1
                result.duplicates += int(answer.get("duplicates", 0) or 0)
                # Anything sent but not acknowledged stays unsent and goes again in the next run.
                after = max(prepared.ids)
        finally:
            following.cancel()
            wait(marks)  # every acknowledged batch is marked before the run ends
        for mark in marks:
            mark.result()  # a mark that failed fails the run (its records simply go again)


def mark_sent(engine: Engine, ids: set[int]) -> None:
    """Mark acknowledged records sent (a record already marked keeps its first time)."""
    now = utcnow()
    with session_scope(engine) as session:
        session.execute(
            update(OutboxRecord)
            .where(OutboxRecord.id.in_(sorted(ids)), OutboxRecord.sent_at.is_(None))  # type: ignore[union-attr]
            .values(sent_at=now)
        )
        _state_for_update(session).records_sent += len(ids)


def check_connection(
    engine: Engine, settings: SyncSettings, transport: httpx.BaseTransport | None = None
) -> dict[str, Any]:
    """What the central server holds for this showroom (checks the address and the key); raises SyncError."""
    problem = settings.problem()
    if problem:
        raise SyncError(problem, "not_configured")
    with session_scope(engine, write=False) as session:
        offset = get_state(session).clock_offset_s
    channel = _Channel(settings, offset, transport, time.sleep)
    try:
        return dict(channel.request("GET", STATE_PATH))
    finally:
        channel.close()


# --- Pulling the catalogue -----------------------------------------------------------------------------------------


CATALOG_PAGE = 1000  # rows per page of the catalogue pull: 18,000 products come in 18 short answers


def pull_catalog(engine: Engine, channel: _Channel, result: SyncResult) -> None:
    """Fetch the catalogue's changes since the last pull, page by page, each page applied in its own transaction.

    The pages belong to one snapshot (``until`` = the first answer's revision); the pulled revision moves only
    with the last page, so a pull cut off half-way starts again from the same revision (re-applying a page
    changes nothing the second time).
    """
    with session_scope(engine, write=False) as session:
        since = get_state(session).catalog_revision
    query: dict[str, Any] = {"since": since, "limit": CATALOG_PAGE}
    while True:
        answer = channel.request("GET", f"{CATALOG_PATH}?{urlencode(query)}")
        following = answer.get("next")
        try:
            pulled = contract.pulled_promotions(answer.get("promotions"))
        except contract.ContractError as exc:
            raise SyncError(f"Máy chủ trung tâm gửi khuyến mãi không hợp lệ: {exc.message}", "bad_answer") from exc
        with session_scope(engine) as session:
            producers, products = apply_catalog(session, answer)
            promotions = central_promotions.apply_pulled(session, pulled)
            if not following:
                state = _state_for_update(session)
                state.catalog_revision = max(state.catalog_revision, int(answer.get("revision", since)))
                state.catalog_pulled_at = utcnow()
        result.producers_pulled += producers
        result.products_pulled += products
        result.promotions_pulled += promotions
        if not following:
            return
        query = {"since": since, "until": int(answer["revision"]), "after": following, "limit": CATALOG_PAGE}


def pull_transfers(engine: Engine, settings: SyncSettings, channel: _Channel, result: SyncResult) -> None:
    """Fetch the transfer notes to or from this showroom changed since the last pull, each page applied (and the
    revision moved) in its own transaction: a pull cut off starts again where the last page ended."""
    from pos.inventory.transfers import apply_pulled, end_awaiting_pull

    while True:
        with session_scope(engine, write=False) as session:
            since = get_state(session).transfer_revision
        answer = channel.request("GET", f"{TRANSFERS_PATH}?{urlencode({'since': since})}")
        with session_scope(engine) as session:
            added, closed, restored = apply_pulled(session, list(answer.get("transfers", [])), settings.showroom_code)
            state = _state_for_update(session)
            state.transfer_revision = max(state.transfer_revision, int(answer.get("revision", since)))
            if not answer.get("more"):
                end_awaiting_pull(session)  # after a restore: receiving and cancelling are allowed again
        result.transfers_pulled += added
        result.transfers_closed += closed
        result.transfers_restored += restored
        if not answer.get("more"):
            return


CATALOG_PRODUCER_FIELDS = ("name", "kind", "tax_code", "province", "district", "address", "phone")
CATALOG_PRODUCT_FIELDS = (
    "name",
    "unit",
    "vat_class",
    "ocop_group",
    "ocop_stars",
    "ocop_cert_number",
    "ocop_cert_expiry",
)


def apply_catalog(session: Session, answer: Mapping[str, Any]) -> tuple[int, int]:
    """Upsert the catalogue's producers and products by UUID; the showroom's own prices and SKUs stay.

    A changed or new row is enqueued (kind producer/product) so the central server learns that this showroom
    carries it, and at what price. Returns how many producers and products changed.
    """
    from uuid import UUID

    from pos.catalog.services import enqueue_product, producer_payload

    changed_producers = 0
    for item in answer.get("producers", []):
        uuid = UUID(item["uuid"])
        producer = session.exec(select(Producer).where(Producer.uuid == uuid)).first()
        values = {k: item.get(k) if k == "tax_code" else (item.get(k) or "") for k in CATALOG_PRODUCER_FIELDS}
        if producer is None:
            producer = Producer(uuid=uuid, **values)
        elif all(getattr(producer, k) == v for k, v in values.items()):
            continue
        else:
            for key, value in values.items():
                setattr(producer, key, value)
            producer.updated_at = utcnow()
        producer.name_search = fold(producer.name)[:200]
        session.add(producer)
        session.flush()
        enqueue(session, "producer", producer.uuid, dict(producer_payload(producer)))
        changed_producers += 1

    changed_products = 0
    for item in answer.get("products", []):
        product = _apply_catalog_product(session, item)
        if product is not None:
            enqueue_product(session, product)
            changed_products += 1

    for link in answer.get("links", []):
        product = session.exec(select(Product).where(Product.uuid == UUID(link["product_uuid"]))).first()
        target = UUID(link["catalog_uuid"]) if link.get("catalog_uuid") else None
        if product is None or product.central_uuid == target:
            continue
        product.central_uuid = target
        product.updated_at = utcnow()
        session.add(product)
        session.flush()
        enqueue_product(session, product)
    return changed_producers, changed_products


def _apply_catalog_product(session: Session, item: Mapping[str, Any]) -> Product | None:
    """Insert or update one catalogue product; the changed Product, or None when nothing changed."""
    from datetime import date
    from uuid import UUID

    from pos.catalog.services import free_sku

    uuid = UUID(item["uuid"])
    producer = session.exec(select(Producer).where(Producer.uuid == UUID(item["producer_uuid"]))).first()
    if producer is None:
        log.warning("catalogue product %s names an unknown producer; skipped", uuid)
        return None
    values: dict[str, Any] = {k: item.get(k) for k in CATALOG_PRODUCT_FIELDS}
    values["ocop_cert_expiry"] = date.fromisoformat(item["ocop_cert_expiry"]) if item.get("ocop_cert_expiry") else None
    values["ocop_cert_number"] = values["ocop_cert_number"] or ""
    barcode = item.get("barcode") or None
    product = session.exec(select(Product).where(Product.uuid == uuid)).first()
    if product is None and barcode:
        # The showroom already sells this code under a product of its own: link it rather than duplicate it.
        local = session.exec(select(Product).where(Product.barcode == barcode)).first()
        if local is not None:
            if local.central_uuid == uuid:
                return None
            local.central_uuid = uuid
            local.updated_at = utcnow()
            session.add(local)
            session.flush()
            return local
    if product is None:
        product = Product(
            uuid=uuid,
            sku=free_sku(session, str(item.get("sku") or "OCOP")),
            barcode=barcode,
            price_vnd=int(item.get("suggested_price_vnd") or 0),
            producer_id=producer.id,  # type: ignore[arg-type]
            is_food=bool(item.get("is_food")),
            central_uuid=uuid,
            **values,
        )
    else:
        unchanged = all(getattr(product, k) == v for k, v in values.items()) and product.central_uuid == uuid
        if unchanged and (product.barcode == barcode or not barcode):
            return None
        for key, value in values.items():
            setattr(product, key, value)
        if barcode and product.barcode != barcode:
            taken = session.exec(select(Product).where(Product.barcode == barcode, Product.id != product.id)).first()
            if taken is None:
                product.barcode = barcode
        product.central_uuid = uuid
        product.updated_at = utcnow()
    product.name_search = fold(product.name)[:200]
    session.add(product)
    session.flush()
    return product
