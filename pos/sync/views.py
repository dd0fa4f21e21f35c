"""The manager's sync page: last success, records waiting, the last error in plain words, "Đồng bộ ngay"."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, flash, redirect, render_template, url_for

from pos.auth.access import bind_role
from pos.db import engine, get_session, utcnow
from pos.sync import scheduler, signing
from pos.sync.client import SyncSettings, get_state, is_running, oldest_waiting_at, to_send_count, unsent_older_than

bp = Blueprint("sync", __name__)
bind_role(bp, "manager")


@bp.get("/sync")
def status() -> Any:
    """Where the sync stands and what to do about it."""
    session = get_session()
    state = get_state(session)
    settings = SyncSettings.from_config(current_app.config)
    config = current_app.config
    key_id = signing.key_id(signing.derive_key(settings.secret, settings.showroom_code)) if settings.secret else None
    next_run = None
    if scheduler.is_enabled(config) or config.get("TESTING"):
        next_run = scheduler.next_due(
            utcnow(),
            scheduler.parse_nightly_at(str(config.get("SYNC_NIGHTLY_AT") or "23:30")),
            ZoneInfo(str(config.get("SHOWROOM_TIMEZONE") or "Asia/Ho_Chi_Minh")),
            state.last_success_at,
            state.last_attempt_at,
            state.failures,
        )
    return render_template(
        "sync/status.html",
        state=state,
        settings=settings,
        problem=settings.problem(),
        key_id=key_id,
        waiting=to_send_count(session),
        oldest=oldest_waiting_at(session),
        stale=unsent_older_than(session, 24),
        running=is_running(engine()),
        next_run=next_run,
        now=utcnow(),
        automatic=scheduler.is_enabled(config),
        nightly_at=str(config.get("SYNC_NIGHTLY_AT") or "23:30"),
    )


@bp.post("/sync/run")
def run_now() -> Any:
    """Sync now: push what is waiting and pull the shared catalogue."""
    return _run(push=True, pull=True)


@bp.post("/sync/catalog")
def pull_catalog_now() -> Any:
    """Fetch the shared catalogue's changes now."""
    return _run(push=False, pull=True)


def _run(push: bool, pull: bool) -> Any:
    result = scheduler.trigger(current_app, push=push, pull=pull)
    if result is None:
        flash("Đã bắt đầu đồng bộ dữ liệu; trang sẽ tự cập nhật khi xong.", "info")
    elif result.ok:
        parts = []
        if push:
            parts.append(f"đã gửi {result.pushed} bản ghi")
        if pull:
            parts.append(
                f"nhận {result.products_pulled} sản phẩm, {result.producers_pulled} nhà sản xuất từ danh mục chung"
                + (f", {result.promotions_pulled} khuyến mãi của văn phòng" if result.promotions_pulled else "")
            )
            if result.restored_text:
                parts.append(result.restored_text)
        flash("Đồng bộ dữ liệu xong: " + ", ".join(parts) + ".", "success")
    else:
        flash(f"Đồng bộ dữ liệu chưa xong: {result.error}", "error")
    return redirect(url_for("sync.status"))
