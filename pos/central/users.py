"""Central-office logins: their own table, so a showroom's staff never log in at the central office."""

from __future__ import annotations

from sqlmodel import Session, select
from werkzeug.security import check_password_hash, generate_password_hash

from pos.central.models import CENTRAL_ROLES, CentralUser
from pos.central.office_log import log_action
from pos.errors import Conflict, ValidationError
from pos.text import nfc


def create_central_user(
    session: Session, username: str, full_name: str, role: str, password: str, actor: str = ""
) -> CentralUser:
    """Add a central-office user with a hashed password."""
    username = nfc(username).lower()
    if not username or len(username) > 60 or not username.replace(".", "").replace("_", "").isalnum():
        raise ValidationError("Tên đăng nhập chỉ gồm chữ, số, dấu chấm hoặc gạch dưới.", "username")
    if role not in CENTRAL_ROLES:
        raise ValidationError("Vai trò không hợp lệ (manager hoặc admin).", "role")
    if len(password) < 8:
        raise ValidationError("Mật khẩu phải có ít nhất 8 ký tự.", "password")
    if session.exec(select(CentralUser).where(CentralUser.username == username)).first():
        raise Conflict(f"Tên đăng nhập “{username}” đã có người dùng.", "username")
    user = CentralUser(
        username=username,
        full_name=nfc(full_name)[:120] or username,
        role=role,
        password_hash=generate_password_hash(password),
    )
    session.add(user)
    session.flush()
    log_action(session, actor, "user.create", "central_user", username, role=role)
    return user


def authenticate_central(session: Session, username: str, password: str) -> CentralUser | None:
    """The active central user with these credentials, or None."""
    user = session.exec(select(CentralUser).where(CentralUser.username == nfc(username).lower())).first()
    if user is None or not user.is_active or not check_password_hash(user.password_hash, password):
        return None
    return user
