"""Log in and log out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask import session as cookie_session
from flask_login import current_user, login_required, login_user, logout_user
from sqlmodel import Session

from pos.audit import log as audit
from pos.auth.services import authenticate, end_sessions
from pos.db import get_session, unit_of_work
from pos.security import throttle_failed_logins

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str | None:
    """Only follow a ?next= that stays on this site."""
    if not target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc and target.startswith("/") else None


def login_flow(check: Callable[[Session, str, str], Any], record: Callable[[Session, str, Any], None]) -> Any:
    """The login form: show it, check the credentials with ``check``, ``record`` the attempt, log the user in.

    Shared by the showroom and the central office, which differ only in their users and their logs."""
    if request.method == "POST":
        username = request.form.get("username", "")
        user = check(get_session(), username, request.form.get("password", ""))
        with unit_of_work() as session:
            record(session, username, user)
        if user is None:
            flash("Sai tên đăng nhập hoặc mật khẩu.", "error")
            return render_template("auth/login.html", username=username), 401
        login_user(user)
        cookie_session.permanent = True  # refreshed on each request, it ends after LOGIN_IDLE_HOURS idle
        return redirect(_safe_next(request.args.get("next")) or url_for("main.index"))
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    return render_template("auth/login.html", username="")


def end_session() -> Any:
    """Log out and go back to the login page (showroom and central office alike)."""
    logout_user()
    flash("Bạn đã đăng xuất.", "info")
    return redirect(url_for("auth.login"))


def _record_login(session: Session, username: str, user: Any) -> None:
    audit.record(
        session,
        "login" if user else "login.failed",
        user_id=user.id if user else None,
        entity="user",
        entity_id=username[:40],
    )


@bp.route("/login", methods=["GET", "POST"])
@throttle_failed_logins
def login() -> Any:
    """Show the login form and check the credentials."""
    return login_flow(authenticate, _record_login)


@bp.post("/logout")
@login_required
def logout() -> Any:
    """End the session, and every other login of this user (their cookies are no longer honoured)."""
    with unit_of_work() as session:
        end_sessions(session, current_user.id)
    return end_session()
