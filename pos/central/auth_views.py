"""Log in and out of the central office (its own users; the showroom's login page is reused)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask_login import login_required
from sqlmodel import Session

from pos.auth.views import end_session, login_flow
from pos.central.office_log import log_action
from pos.central.users import authenticate_central
from pos.security import throttle_failed_logins

# Named "auth" so base.html's login and logout links work unchanged on the central server.
bp = Blueprint("auth", __name__)


def _record_login(session: Session, username: str, user: Any) -> None:
    log_action(session, username[:60], "login" if user else "login.failed", "central_user", username[:60])


@bp.route("/login", methods=["GET", "POST"])
@throttle_failed_logins
def login() -> Any:
    """Show the login form and check a central-office user's credentials."""
    return login_flow(authenticate_central, _record_login)


@bp.post("/logout")
@login_required
def logout() -> Any:
    """End the session."""
    return end_session()
