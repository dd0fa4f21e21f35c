"""When the showroom syncs by itself: nightly, at start-up when overdue, and again after a failure.

A daemon thread in the app's own process (no fork, no cron, nothing POSIX: it runs the same on Windows).
It starts with the first request rather than in create_app, because every CLI command (migrate,
create-user, sync) builds the app too and must not start syncing; the till's browser makes that first
request as soon as the server is up. It is not started under TESTING, for the central server, or when
``[sync] enabled = false``.

The rule (``next_due``): a sync is due when the last success is older than the most recent nightly slot
(``[sync] nightly_at``, showroom time) — so a PC switched off at night syncs when it is next switched on,
and a showroom whose last success is more than a day old always syncs at start-up. After a failure the
next try (of any failed run, the manager's included) waits 1, 2, 4, … minutes, at most an hour, until
one succeeds. "Đồng bộ ngay" wakes the thread.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from pos.background import start_with_first_request
from pos.db import ENGINE_KEY, session_scope, utcnow
from pos.sync.client import SyncResult, SyncSettings, get_state, run_sync

log = logging.getLogger(__name__)

EXTENSION_KEY = "pos.sync_scheduler"
STARTUP_DELAY_S = 30  # let the first pages load before the start-up sync
MAX_BACKOFF_S = 3600
NOT_CONFIGURED_WAIT_S = 600
BUSY_WAIT_S = 15


def parse_nightly_at(value: str) -> time:
    """ "23:30" -> time(23, 30); anything else is refused with ValueError."""
    hour, _, minute = str(value).strip().partition(":")
    result = time(int(hour), int(minute or 0))
    return result


def last_slot(now: datetime, at: time, tz: ZoneInfo) -> datetime:
    """The most recent nightly slot at or before ``now`` (aware UTC in, aware UTC out)."""
    local = now.astimezone(tz)
    slot = datetime.combine(local.date(), at, tz)
    if slot > local:
        slot = datetime.combine(local.date() - timedelta(days=1), at, tz)
    return slot.astimezone(now.tzinfo)


def backoff_s(failures: int) -> int:
    """Wait after ``failures`` consecutive failed runs: 60 s, 120 s, 240 s, … at most an hour."""
    if failures <= 0:
        return 0
    return min(MAX_BACKOFF_S, 60 * 2 ** (failures - 1))


def next_due(
    now: datetime,
    at: time,
    tz: ZoneInfo,
    last_success: datetime | None,
    last_attempt: datetime | None,
    failures: int,
) -> datetime:
    """When the next automatic sync should run (``now`` or earlier means at once)."""
    slot = last_slot(now, at, tz)
    due = now
    if last_success is not None and last_success >= slot:
        following = slot + timedelta(days=1)
        due = datetime.combine(following.astimezone(tz).date(), at, tz).astimezone(now.tzinfo)
    if failures > 0 and last_attempt is not None:
        # A failed run (nightly or "Đồng bộ ngay") is tried again after the back-off, whatever the slot.
        retry = last_attempt + timedelta(seconds=backoff_s(failures))
        return min(due, retry) if due > now else retry
    return due


def is_enabled(config: Any) -> bool:
    """Whether this app should sync by itself."""
    value = config.get("SYNC_ENABLED", True)
    if isinstance(value, str):
        value = value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value) and not config.get("TESTING") and config.get("ROLE", "showroom") == "showroom"


class SyncScheduler(threading.Thread):
    """The showroom's sync thread: sleeps until the next due time, runs, records the outcome."""

    def __init__(self, engine: Engine, config: dict[str, Any]) -> None:
        super().__init__(name="pos-sync", daemon=True)
        self.engine = engine
        self.config = config
        self.tz = ZoneInfo(str(config.get("SHOWROOM_TIMEZONE") or "Asia/Ho_Chi_Minh"))
        self.at = parse_nightly_at(str(config.get("SYNC_NIGHTLY_AT") or "23:30"))
        self.wake = threading.Event()
        self.stop = threading.Event()
        self.now_requested = False
        self.last_result: SyncResult | None = None

    def request_now(self) -> None:
        """Run as soon as possible (the manager's "Đồng bộ ngay")."""
        self.now_requested = True
        self.wake.set()

    def due_at(self) -> datetime:
        """The next automatic run, from the stored state."""
        with session_scope(self.engine, write=False) as session:
            state = get_state(session)
            return next_due(utcnow(), self.at, self.tz, state.last_success_at, state.last_attempt_at, state.failures)

    def run_once(self) -> SyncResult | None:
        """One sync with the settings as they are now (a secret saved since start-up is picked up).

        A showroom not set up for sync yet (no central address or key) is left alone, quietly: the sync page
        says what is missing, and the thread looks again every few minutes.
        """
        settings = SyncSettings.from_config(self.config)
        if settings.problem():
            self.stop.wait(NOT_CONFIGURED_WAIT_S)
            return None
        result = run_sync(self.engine, settings)
        self.last_result = result
        if result.ok:
            log.info("sync: %s records pushed in %s batches", result.pushed, result.batches)
        elif not result.busy:
            log.warning("sync failed: %s", result.error)
        return result

    def run(self) -> None:
        self.wake.wait(STARTUP_DELAY_S)
        while not self.stop.is_set():
            try:
                due = self.due_at()
                wait = (due - utcnow()).total_seconds()
                if self.now_requested or wait <= 0:
                    self.now_requested = False
                    self.wake.clear()
                    result = self.run_once()
                    if result is not None and result.busy:
                        self.stop.wait(BUSY_WAIT_S)  # a "Đồng bộ ngay" run holds the lock: let it finish
                    continue
                self.wake.wait(min(wait, 600))  # wake now and then: the clock or the state may change
                self.wake.clear()
            except Exception:  # the thread must outlive a database hiccup
                log.exception("sync scheduler")
                self.stop.wait(60)


def init_app(app: Any) -> None:
    """Arrange for the sync thread to start with the app's first request (showroom, not under test)."""
    if not is_enabled(app.config):
        return
    start_with_first_request(app, EXTENSION_KEY, lambda: SyncScheduler(app.extensions[ENGINE_KEY], app.config))


def trigger(app: Any, push: bool = True, pull: bool = True) -> SyncResult | None:
    """ "Đồng bộ ngay": in the background (the thread, woken, or a one-off thread), or here under test.

    Returns the result when the run happened here, None when it goes on in the background.
    """
    engine = app.extensions[ENGINE_KEY]
    if not is_enabled(app.config):
        return run_sync(engine, SyncSettings.from_config(app.config), push=push, pull=pull)
    thread = app.extensions.get(EXTENSION_KEY)
    if push and pull and thread is not None and thread.is_alive():
        thread.request_now()
        return None
    settings = SyncSettings.from_config(app.config)
    threading.Thread(
        target=run_sync, args=(engine, settings), kwargs={"push": push, "pull": pull}, name="pos-sync-now", daemon=True
    ).start()
    return None
