"""Creating users and checking passwords."""

from __future__ import annotations

from sqlmodel import Session, select
from werkzeug.security import check_password_hash, generate_password_hash

from pos.audit import log as audit
from pos.auth.models import ROLES, User, new_session_token
from pos.errors import Conflict, Forbidden, ValidationError
from pos.text import nfc


def create_user(
    session: Session,
    username: str,
    full_name: str,
    role: str,
    password: str,
    actor_id: int | None = None,
    *,
    password_hash: str | None = None,
) -> User:
    """Add a member of staff with a hashed password.

    ``password_hash``: ``password`` already hashed by generate_password_hash (the demo's staff who share a
    password share its one hash, the dearest step of a demo seed); it must be the hash of ``password``.
    """
    username = nfc(username).lower()
    if not username or len(username) > 60 or not username.replace(".", "").replace("_", "").isalnum():
        raise ValidationError("Tên đăng nhập chỉ gồm chữ, số, dấu chấm hoặc gạch dưới.", "username")
    if role not in ROLES:
        raise ValidationError("Vai trò không hợp lệ.", "role")
    if len(password) < 6:
        raise ValidationError("Mật khẩu phải có ít nhất 6 ký tự.", "password")
    if session.exec(select(User).where(User.username == username)).first():
        raise Conflict(f"Tên đăng nhập “{username}” đã có người dùng.", "username")
    user = User(
        username=username,
        full_name=nfc(full_name) or username,
        role=role,
        password_hash=password_hash or generate_password_hash(password),
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        "user.create",
        user_id=actor_id,
        entity="user",
        entity_id=user.id,
        after={"username": username, "role": role},
    )
    return user


def full_names(session: Session, usernames: list[str | None]) -> dict[str, str]:
    """This showroom's staff by login name -> full name, for records that keep the login (transfer notes)."""
    wanted = {name for name in usernames if name}
    if not wanted:
        return {}
    rows = session.exec(select(User.username, User.full_name).where(User.username.in_(wanted)))  # type: ignore[attr-defined]
    return {username: full_name for username, full_name in rows if full_name}


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with these credentials, or None."""
    user = session.exec(select(User).where(User.username == nfc(username).lower())).first()
    if user is None or not user.is_active or not _is_encodable(password):
        return None
    return user if check_password_hash(user.password_hash, password) else None


def end_sessions(session: Session, user_id: int) -> None:
    """Log the user out everywhere at once: every login cookie issued to them so far stops working."""
    user = session.get(User, user_id)
    if user is None:
        return
    user.session_token = new_session_token()
    session.flush()
    audit.record(session, "logout", user_id=user.id, entity="user", entity_id=user.username[:40])


def set_password(session: Session, user_id: int, password: str, actor_id: int | None = None) -> User:
    """Give a user a new password (hashed); their logins everywhere end with it (User's before_update)."""
    user = session.get(User, user_id)
    if user is None:
        raise ValidationError("Không tìm thấy người dùng.", "user")
    if len(password) < 6:
        raise ValidationError("Mật khẩu phải có ít nhất 6 ký tự.", "password")
    if not _is_encodable(password):
        raise ValidationError("Mật khẩu có ký tự không hợp lệ.", "password")
    user.password_hash = generate_password_hash(password)
    session.flush()
    audit.record(session, "user.password", user_id=actor_id, entity="user", entity_id=user.id)
    return user


def verify_manager(session: Session, username: str | None, password: str | None, *, field: str | None = None) -> User:
    """The manager (or admin) whose credentials were typed at a till; anyone else is refused with a clear message.

    The one check behind every manager approval (discount, shift sign-off, void, return). ``field`` names
    the form field every refusal points at (the till's discount dialog shows its approval box for "approval").
    """
    if not nfc(username) or not password:
        raise ValidationError("Vui lòng nhập tên đăng nhập và mật khẩu của quản lý.", field or "manager_username")
    user = authenticate(session, username or "", password)
    if user is None:
        raise Forbidden("Sai tên đăng nhập hoặc mật khẩu của quản lý.", field or "manager_password")
    if not user.has_role("manager"):
        raise Forbidden(f"Tài khoản “{user.username}” không phải quản lý cửa hàng.", field or "manager_username")
    return user


def _is_encodable(password: str) -> bool:
    """False for a lone surrogate (valid in JSON, not in UTF-8): no hash can take it, so it matches no one."""
    try:
        password.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
