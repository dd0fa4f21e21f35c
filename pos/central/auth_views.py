"""Log in and out of the central office (its own users; the showroom's login page is reused)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from pos.auth.views import _safe_next
from pos.central.office_log import log_action
from pos.central.users import authenticate_central
from pos.db import get_session, unit_of_work
from pos.security import throttle_failed_logins

# Named "auth" so base.html's login and logout links work unchanged on the central server.
bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
@throttle_failed_logins
def login() -> Any:
    """Show the login form and check a central-office user's credentials."""
    if request.method == "POST":
        username = request.form.get("username", "")
        user = authenticate_central(get_session(), username, request.form.get("password", ""))
        with unit_of_work() as session:
            log_action(session, username[:60], "login" if user else "login.failed", "central_user", username[:60])
        if user is None:
            flash("Sai tên đăng nhập hoặc mật khẩu.", "error")
            return render_template("auth/login.html", username=username), 401
        login_user(user)
        return redirect(_safe_next(request.args.get("next")) or url_for("main.index"))
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    return render_template("auth/login.html", username="")


@bp.post("/logout")
@login_required
def logout() -> Any:
    """End the session."""
    logout_user()
    flash("Bạn đã đăng xuất.", "info")
    return redirect(url_for("auth.login"))
