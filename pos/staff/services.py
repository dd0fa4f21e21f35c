"""Staff accounts: edit, set a role, deactivate or reactivate, reset a password; each change audited.

An admin never locks the showroom out: the last active admin keeps the role and the account, and no admin
demotes or deactivates themself. A cashier with an open shift is deactivated only once it is closed (a manager
can close it), so no drawer is left without its cashier on the books.
"""

from __future__ import annotations

from sqlmodel import Session, func, select
from werkzeug.security import generate_password_hash

from pos.audit import log as audit
from pos.auth.models import ROLES, User
from pos.errors import Conflict, NotFound, ValidationError
from pos.sales.models import Shift
from pos.text import nfc

MIN_PASSWORD = 6


def list_staff(session: Session) -> list[User]:
    """Everyone, active first, then by role (admins first) and name."""
    rank = {"admin": 0, "manager": 1, "cashier": 2}
    users = session.exec(select(User)).all()
    return sorted(users, key=lambda u: (not u.is_active, rank.get(u.role, 3), u.full_name.lower(), u.username))


def get_staff(session: Session, user_id: int | None) -> User:
    """One account, or a Vietnamese 404."""
    user = session.get(User, user_id) if user_id else None
    if user is None:
        raise NotFound("Không tìm thấy nhân viên này.")
    return user


def check_password(password: str, confirm: str) -> str:
    """A new password typed twice: long enough and the same both times."""
    if len(password) < MIN_PASSWORD:
        raise ValidationError(f"Mật khẩu phải có ít nhất {MIN_PASSWORD} ký tự.", "password")
    if password != confirm:
        raise ValidationError("Hai lần nhập mật khẩu không giống nhau.", "confirm")
    return password


def clean_full_name(raw: str) -> str:
    """A full name as printed on receipts: NFC, single spaces, 1-120 characters."""
    full_name = " ".join(nfc(raw).split())
    if not full_name:
        raise ValidationError("Chưa nhập họ và tên.", "full_name")
    if len(full_name) > 120:
        raise ValidationError("Họ và tên dài quá 120 ký tự.", "full_name")
    return full_name


def _active_admins(session: Session) -> int:
    return int(session.exec(select(func.count()).where(User.role == "admin", User.is_active == True)).one())  # noqa: E712


def _has_open_shift(session: Session, user_id: int) -> bool:
    return session.exec(select(Shift.id).where(Shift.cashier_id == user_id, Shift.status == "open")).first() is not None


def _keeps_an_admin(session: Session, user: User, actor_id: int, losing: str) -> None:
    """Refuse the change that would leave the showroom with no admin, or an admin without their own access."""
    if user.role != "admin" or not user.is_active:
        return
    if user.id == actor_id:
        raise Conflict(f"Bạn không thể tự {losing} tài khoản quản trị của chính mình.", "role")
    if _active_admins(session) <= 1:
        raise Conflict(f"Đây là quản trị viên cuối cùng; không thể {losing}.", "role")


def update_staff(session: Session, user: User, full_name: str, role: str, actor_id: int) -> User:
    """Change a member of staff's full name and role."""
    full_name = clean_full_name(full_name)
    if role not in ROLES:
        raise ValidationError("Vai trò không hợp lệ.", "role")
    if role != user.role:
        _keeps_an_admin(session, user, actor_id, "bỏ quyền quản trị của")
    before = {"full_name": user.full_name, "role": user.role}
    after = {"full_name": full_name, "role": role}
    if before == after:
        return user
    user.full_name, user.role = full_name, role
    session.add(user)
    session.flush()
    action = "user.role" if before["role"] != role else "user.update"
    audit.record(session, action, user_id=actor_id, entity="user", entity_id=user.id, before=before, after=after)
    return user


def set_active(session: Session, user: User, active: bool, actor_id: int) -> User:
    """Deactivate (no more logins, history kept) or reactivate an account."""
    if user.is_active == active:
        return user
    if not active:
        _keeps_an_admin(session, user, actor_id, "khóa")
        if _has_open_shift(session, user.id):  # type: ignore[arg-type]
            raise Conflict(
                f"{user.full_name} đang có ca làm việc mở; hãy đóng ca đó trước (Ca làm việc → Danh sách ca).",
                "active",
            )
    user.is_active = active
    session.add(user)
    session.flush()
    audit.record(
        session,
        "user.activate" if active else "user.deactivate",
        user_id=actor_id,
        entity="user",
        entity_id=user.id,
        before={"is_active": not active},
        after={"is_active": active},
    )
    return user


def reset_password(session: Session, user: User, password: str, confirm: str, actor_id: int) -> User:
    """Give an account a new password (the old one stops working); the audit says who, never the password."""
    user.password_hash = generate_password_hash(check_password(password, confirm))
    session.add(user)
    session.flush()
    audit.record(session, "user.password", user_id=actor_id, entity="user", entity_id=user.id, after={"reset": True})
    return user
