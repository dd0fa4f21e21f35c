"""OCOP showroom point of sale."""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Any

from flask import Flask
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import event
from sqlalchemy.orm import Session as SASession
from sqlalchemy.orm import object_session

from pos import db
from pos.config import ROOT, load_config

csrf = CSRFProtect()


def create_app(config_path: str | Path | None = None, overrides: dict[str, Any] | None = None) -> Flask:
    """Build the showroom (or central) app from config.toml, POS_* variables and ``overrides``."""
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    values = load_config(config_path)
    values.update(overrides or {})
    app.config.update(values)
    # Flask's own defaults hold MAX_CONTENT_LENGTH = None, so a setdefault() would never limit uploads.
    if not app.config.get("MAX_CONTENT_LENGTH"):
        app.config["MAX_CONTENT_LENGTH"] = int(app.config.get("UPLOAD_MAX_BYTES", 2_000_000))
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,  # a till stays open all day; the token lives as long as the session
    )
    instance = Path(app.config["INSTANCE_PATH"])
    instance.mkdir(parents=True, exist_ok=True)
    app.instance_path = str(instance)
    app.secret_key = app.config.get("SECRET_KEY") or _instance_secret(instance)

    db.init_app(app)
    csrf.init_app(app)
    from pos.security import init_sessions

    init_sessions(app)
    if app.config.get("ROLE") == "central":
        from pos.central.web import init_central

        init_central(app)  # the central server: its own logins, pages, sync API and PostgreSQL schema
        return app
    _init_login(app)

    from pos import backup
    from pos.barcodes import instore_prefix
    from pos.einvoice import sender as einvoice_sender
    from pos.errors import register_error_handlers
    from pos.printing import worker as print_worker
    from pos.security import init_security
    from pos.sync import scheduler as sync_scheduler
    from pos.web import register_web

    instore_prefix(app.config)  # scale layouts and the in-store prefix read (and refused if they clash) at start
    register_error_handlers(app)
    register_web(app)
    init_security(app)  # after the blueprints: it throttles the login view
    backup.init_app(app)
    sync_scheduler.init_app(app)
    print_worker.init_app(app)
    einvoice_sender.init_app(app)
    return app


def _instance_secret(instance: Path) -> str:
    """The session secret, generated on first start and kept beside the database."""
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32), encoding="ascii")
    return path.read_text(encoding="ascii").strip()


def _init_login(app: Flask) -> None:
    from pos.auth.models import User

    manager = LoginManager(app)
    manager.login_view = "auth.login"
    manager.login_message = "Vui lòng đăng nhập để tiếp tục."
    manager.login_message_category = "info"

    for change in ("after_insert", "after_update", "after_delete"):
        if not event.contains(User, change, _forget_users):
            event.listen(User, change, _forget_users)
    if not event.contains(SASession, "after_commit", _forget_users_after_commit):
        event.listen(SASession, "after_commit", _forget_users_after_commit)

    @manager.user_loader
    def _load(cookie_id: str) -> User | None:
        # "id:token" (User.get_id): a token no longer the user's (logged out, new password) logs no one in.
        user_id, _, token = cookie_id.partition(":")
        if not (user_id.isascii() and user_id.isdigit()) or len(user_id) > 18 or not token:
            return None
        user = _active_user(User, int(user_id))
        return user if user is not None and user.holds_session(token) else None


# Every request loads its user: a till scanning all day would read the same row thousands of times. The row
# is kept a few seconds; any change to a user through the ORM (deactivation, new role) forgets them all.
USER_CACHE_S = 5.0
_users: dict[tuple[Any, int], tuple[float, Any]] = {}


def _forget_users(_mapper: Any = None, _connection: Any = None, user: Any = None) -> None:
    _users.clear()
    owner = object_session(user) if user is not None else None
    if owner is not None:
        owner.info["pos_users_changed"] = True


def _forget_users_after_commit(session: SASession) -> None:
    """Forget again once the change is committed: a request that read the user between the flush and the
    commit (the old row, an old session token) must not keep it for USER_CACHE_S."""
    if session.info.pop("pos_users_changed", False):
        _users.clear()


def _active_user(model: Any, user_id: int) -> Any:
    """The active user with this id (None if missing or deactivated), read at most every USER_CACHE_S."""
    engine = db.engine()
    key, now = (engine.url, user_id), time.monotonic()
    hit = _users.get(key)
    if hit is not None and now - hit[0] < USER_CACHE_S:
        return hit[1]
    # A short read of its own, not the request's read session: that one would hold a snapshot open
    # through the till's write and commit, which keeps SQLite from checkpointing the WAL.
    with db.session_scope(engine, write=False) as session:
        user = session.get(model, user_id)
    user = user if user is not None and user.is_active else None
    _users[key] = (now, user)
    return user
