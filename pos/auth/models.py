"""Staff accounts."""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import event, inspect
from sqlmodel import Field, SQLModel

from pos.db import UTCDateTime, utcnow

ROLES: dict[str, str] = {
    "cashier": "Thu ngân",
    "manager": "Quản lý cửa hàng",
    "admin": "Quản trị",
}
ROLE_RANK = {"cashier": 1, "manager": 2, "admin": 3}


def new_session_token() -> str:
    """A fresh random session token."""
    return secrets.token_hex(16)


class User(SQLModel, table=True):
    """A member of staff who logs in; the password is stored hashed."""

    id: int | None = Field(default=None, primary_key=True)
    uuid: UUID = Field(default_factory=uuid4, unique=True, index=True)
    username: str = Field(max_length=60, unique=True, index=True)
    full_name: str = Field(max_length=120)
    role: str = Field(default="cashier", max_length=12)
    password_hash: str = Field(max_length=255)
    is_active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Part of every login cookie: a new one (logout, deactivation, new password) ends all of the user's logins.
    session_token: str = Field(default_factory=new_session_token, max_length=64)

    # Flask-Login's interface
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        """What the login cookie holds: the id and the current session token."""
        return f"{self.id}:{self.session_token}"

    def holds_session(self, token: str) -> bool:
        """Whether a login cookie's token is this user's current one (compared in constant time)."""
        return hmac.compare_digest(self.session_token.encode(), token.encode())

    def has_role(self, role: str) -> bool:
        """Whether this user's role is at least ``role`` (admin > manager > cashier)."""
        return ROLE_RANK.get(self.role, 0) >= ROLE_RANK[role]


@event.listens_for(User, "before_update")
def _end_sessions_on_credential_change(_mapper: object, _connection: object, user: User) -> None:
    """A new password or a deactivation ends every login of the user at once, whichever code made it."""
    state = inspect(user)
    if state.attrs.password_hash.history.has_changes() or (
        state.attrs.is_active.history.has_changes() and not user.is_active
    ):
        user.session_token = new_session_token()
