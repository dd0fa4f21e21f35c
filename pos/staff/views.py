"""Staff pages (nhân viên), for admins: the list, add, edit, deactivate or reactivate, reset a password."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from pos.auth.access import bind_role
from pos.auth.models import ROLES
from pos.auth.services import create_user
from pos.db import get_session, unit_of_work
from pos.errors import PosError
from pos.staff import services as staff
from pos.text import nfc

bp = Blueprint("staff", __name__, url_prefix="/staff")
bind_role(bp, "admin")

ROLE_HELP = {
    "cashier": "Bán hàng, trả hàng, mở và đóng ca của mình.",
    "manager": "Mọi việc của thu ngân, cộng sản phẩm, nhập kho, báo cáo, đối soát, duyệt giảm giá và hủy đơn.",
    "admin": "Mọi việc của quản lý, cộng quản lý nhân viên.",
}


def _form_page(template: str, status: int = 200, **context: Any) -> Any:
    context.setdefault("errors", {})
    return render_template(template, roles=ROLES, role_help=ROLE_HELP, **context), status


@bp.get("/")
def index() -> Any:
    """Everyone who can log in at this showroom (and those who no longer can)."""
    return render_template("staff/index.html", users=staff.list_staff(get_session()), roles=ROLES)


@bp.route("/new", methods=["GET", "POST"])
def new() -> Any:
    """Add a member of staff with a first password (they are told it, and the admin can reset it)."""
    form = {"username": "", "full_name": "", "role": "cashier"}
    if request.method == "GET":
        return _form_page("staff/form.html", form=form, user=None)
    form = {key: nfc(request.form.get(key, "")).strip() for key in form}
    password, confirm = request.form.get("password", ""), request.form.get("confirm", "")
    try:
        full_name = staff.clean_full_name(form["full_name"])
        staff.check_password(password, confirm)
        with unit_of_work() as session:
            user = create_user(session, form["username"], full_name, form["role"], password, current_user.id)
            name = user.full_name
    except PosError as exc:
        return _form_page("staff/form.html", exc.status, form=form, user=None, errors={exc.field or "": exc.message})
    flash(f"Đã thêm nhân viên {name}.", "success")
    return redirect(url_for("staff.index"))


@bp.route("/<int:user_id>", methods=["GET", "POST"])
def edit(user_id: int) -> Any:
    """Change a name or a role."""
    user = staff.get_staff(get_session(), user_id)
    form = {"username": user.username, "full_name": user.full_name, "role": user.role}
    if request.method == "GET":
        return _form_page("staff/form.html", form=form, user=user)
    form.update(full_name=request.form.get("full_name", ""), role=request.form.get("role", ""))
    try:
        with unit_of_work() as session:
            staff.update_staff(
                session, staff.get_staff(session, user_id), form["full_name"], form["role"], current_user.id
            )
    except PosError as exc:
        return _form_page("staff/form.html", exc.status, form=form, user=user, errors={exc.field or "": exc.message})
    flash(f"Đã lưu thông tin của {nfc(form['full_name']).strip()}.", "success")
    return redirect(url_for("staff.index"))


@bp.post("/<int:user_id>/active")
def set_active(user_id: int) -> Any:
    """Deactivate (active=0) or reactivate (active=1) an account."""
    active = request.form.get("active") == "1"
    try:
        with unit_of_work() as session:
            user = staff.set_active(session, staff.get_staff(session, user_id), active, current_user.id)
            name = user.full_name
    except PosError as exc:
        flash(exc.message, "error")
        return redirect(url_for("staff.index"))
    flash(f"Đã mở lại tài khoản của {name}." if active else f"Đã khóa tài khoản của {name}.", "success")
    return redirect(url_for("staff.index"))


@bp.route("/<int:user_id>/password", methods=["GET", "POST"])
def password(user_id: int) -> Any:
    """Set a new password for someone who forgot theirs."""
    user = staff.get_staff(get_session(), user_id)
    if request.method == "GET":
        return _form_page("staff/password.html", user=user)
    try:
        with unit_of_work() as session:
            staff.reset_password(
                session,
                staff.get_staff(session, user_id),
                request.form.get("password", ""),
                request.form.get("confirm", ""),
                current_user.id,
            )
    except PosError as exc:
        return _form_page("staff/password.html", exc.status, user=user, errors={exc.field or "": exc.message})
    flash(f"Đã đặt mật khẩu mới cho {user.full_name}; mật khẩu cũ không còn dùng được.", "success")
    return redirect(url_for("staff.index"))
