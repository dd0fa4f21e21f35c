"""When the showroom syncs by itself: the nightly slot, start-up catch-up and back-off after failures."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from pos.sync import scheduler
from pos.sync.scheduler import backoff_s, is_enabled, last_slot, next_due, parse_nightly_at

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
AT = time(23, 30)


def local(y: int, mo: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=TZ).astimezone(UTC)


def test_the_last_slot_is_tonight_or_last_night() -> None:
    assert last_slot(local(2026, 11, 20, 23, 45), AT, TZ) == local(2026, 11, 20, 23, 30)
    assert last_slot(local(2026, 11, 20, 8, 0), AT, TZ) == local(2026, 11, 19, 23, 30)
    assert last_slot(local(2026, 11, 20, 23, 30), AT, TZ) == local(2026, 11, 20, 23, 30)


def test_a_showroom_synced_last_night_waits_for_tonight() -> None:
    now = local(2026, 11, 20, 9, 0)
    due = next_due(now, AT, TZ, last_success=local(2026, 11, 19, 23, 31), last_attempt=None, failures=0)
    assert due == local(2026, 11, 20, 23, 30)


def test_a_pc_switched_off_at_night_syncs_when_switched_on() -> None:
    now = local(2026, 11, 20, 7, 55)
    assert next_due(now, AT, TZ, last_success=local(2026, 11, 18, 23, 31), last_attempt=None, failures=0) == now
    assert next_due(now, AT, TZ, last_success=None, last_attempt=None, failures=0) == now


def test_failures_back_off_up_to_an_hour() -> None:
    assert [backoff_s(n) for n in range(0, 9)] == [0, 60, 120, 240, 480, 960, 1920, 3600, 3600]
    now = local(2026, 11, 20, 7, 55)
    tried = now - timedelta(seconds=30)
    assert next_due(now, AT, TZ, None, tried, failures=3) == tried + timedelta(minutes=4)


def test_a_failed_run_after_last_nights_success_is_retried_soon() -> None:
    now = local(2026, 11, 20, 9, 0)
    tried = now - timedelta(seconds=10)
    due = next_due(now, AT, TZ, last_success=local(2026, 11, 19, 23, 31), last_attempt=tried, failures=1)
    assert due == tried + timedelta(minutes=1)


def test_nightly_at_is_read_strictly() -> None:
    assert parse_nightly_at("23:30") == time(23, 30) and parse_nightly_at("2") == time(2, 0)
    for bad in ("25:00", "noon", "12:75"):
        with pytest.raises(ValueError):
            parse_nightly_at(bad)


@pytest.mark.parametrize(
    ("config", "enabled"),
    [
        ({}, True),
        ({"TESTING": True}, False),
        ({"ROLE": "central"}, False),
        ({"SYNC_ENABLED": False}, False),
        ({"SYNC_ENABLED": "false"}, False),
        ({"SYNC_ENABLED": "1"}, True),
    ],
)
def test_the_thread_runs_only_for_a_showroom_not_under_test(config: dict[str, Any], enabled: bool) -> None:
    assert is_enabled(config) is enabled


def test_a_showroom_without_a_key_is_left_alone(app: Any, monkeypatch: Any) -> None:
    from pos.db import ENGINE_KEY

    monkeypatch.setattr(scheduler, "NOT_CONFIGURED_WAIT_S", 0)
    thread = scheduler.SyncScheduler(
        app.extensions[ENGINE_KEY], {"SYNC_CENTRAL_URL": "http://x", "SHOWROOM_CODE": "SR01"}
    )
    assert thread.run_once() is None


def test_no_thread_is_started_under_test(app: Any, client: Any) -> None:
    client.get("/login")
    assert scheduler.EXTENSION_KEY not in app.extensions


def test_the_thread_starts_with_the_first_request_and_syncs_when_due(app: Any, client: Any, monkeypatch: Any) -> None:
    ran: list[Any] = []
    monkeypatch.setattr(scheduler, "STARTUP_DELAY_S", 0)
    monkeypatch.setattr(scheduler.SyncScheduler, "run_once", lambda self: ran.append(self) or self.stop.set())
    app.config["TESTING"] = False
    scheduler.init_app(app)
    app.config["TESTING"] = True
    client.get("/login")
    thread = app.extensions[scheduler.EXTENSION_KEY]
    thread.join(timeout=5)
    assert thread in ran  # never synced: due at once (other tests' threads may run the patched method too)


def test_a_run_refused_before_it_starts_still_backs_off(app: Any) -> None:
    """No path may leave failures > 0 without an attempt time: the scheduler would retry in a tight loop."""
    from pos.db import ENGINE_KEY, session_scope
    from pos.sync.client import SyncSettings, get_state, run_sync

    engine = app.extensions[ENGINE_KEY]
    result = run_sync(engine, SyncSettings.from_config({"SHOWROOM_CODE": "SR01"}))
    assert not result.ok
    with session_scope(engine, write=False) as session:
        state = get_state(session)
        assert state.failures == 1 and state.last_attempt_at is not None
        due = scheduler.next_due(
            state.last_attempt_at, time(23, 30), ZoneInfo("Asia/Ho_Chi_Minh"), None, state.last_attempt_at, 1
        )
    assert due > state.last_attempt_at
