"""The central server's app: its own logins, the office's pages and the sync API, on PostgreSQL.

create_app() calls init_central() instead of the showroom's set-up when config.toml says ``role = "central"``
(or POS_ROLE=central). The filters, security headers and error pages are the showroom's own (pos/web.py,
pos/errors.py); the blueprints are the central ones, plus any in CENTRAL_BLUEPRINTS that exist in this build.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_login import LoginManager

from pos import db

DEFAULT_NAME = "Văn phòng trung tâm OCOP"

# Central blueprints added by other features (the office's reports); one not yet in this build is skipped.
CENTRAL_BLUEPRINTS = [
    ("pos.central.reports", "bp"),
    ("pos.central.report_views", "bp"),
    ("pos.central.office.views", "bp"),
    ("pos.central.office.network_views", "bp"),
    ("pos.central.office.promotion_views", "bp"),
]


def init_central(app: Flask) -> None:
    """Wire the central server's pieces onto a freshly configured app."""
    from pos import csrf
    from pos.central.api import DEFAULT_MAX_BODY_BYTES
    from pos.central.api import bp as api_bp
    from pos.central.auth_views import bp as auth_bp
    from pos.central.views import bp as office_bp
    from pos.central.views import main as main_bp
    from pos.errors import register_error_handlers
    from pos.security import init_security
    from pos.web import register_web

    # The API's own limit is checked before reading; this one only guards the office's forms.
    app.config["MAX_CONTENT_LENGTH"] = int(app.config.get("CENTRAL_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES))
    # A showroom served from the same host (another port) must not share the login cookie.
    app.config["SESSION_COOKIE_NAME"] = "pos_central_session"
    _init_login(app)
    register_error_handlers(app)
    register_web(app, blueprints=False)

    @app.context_processor
    def _central_globals() -> dict[str, Any]:
        return {
            "showroom_name": app.config.get("CENTRAL_NAME") or DEFAULT_NAME,
            "showroom_code": "TRUNG TÂM",
            "is_central": True,
        }

    for blueprint in (main_bp, auth_bp, office_bp, api_bp):
        app.register_blueprint(blueprint)
    csrf.exempt(api_bp)  # signed per request by the showroom's key, not by a browser session
    for module, name in CENTRAL_BLUEPRINTS:
        try:
            blueprint = getattr(__import__(module, fromlist=[name]), name)
        except ModuleNotFoundError as exc:
            if not (exc.name and module.startswith(exc.name)):
                raise
            continue
        app.register_blueprint(blueprint)
    init_security(app)  # after the blueprints: it throttles the login view


def _init_login(app: Flask) -> None:
    from pos.central.models import CentralUser

    manager = LoginManager(app)
    manager.login_view = "auth.login"
    manager.login_message = "Vui lòng đăng nhập để tiếp tục."
    manager.login_message_category = "info"

    @manager.user_loader
    def _load(user_id: str) -> CentralUser | None:
        if not user_id.isdigit():
            return None
        user = db.get_session().get(CentralUser, int(user_id))
        return user if user is not None and user.is_active else None
