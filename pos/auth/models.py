"""Staff accounts."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from sqlmodel import Field, SQLModel

from pos.db import UTCDateTime, utcnow

ROLES: dict[str, str] = {
    "cashier": "Thu ngân",
    "manager": "Quản lý cửa hàng",
    "admin": "Quản trị",
}
ROLE_RANK = {"cashier": 1, "manager": 2, "admin": 3}


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

    # Flask-Login's interface
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)

    def has_role(self, role: str) -> bool:
        """Whether this user's role is at least ``role`` (admin > manager > cashier)."""
        return ROLE_RANK.get(self.role, 0) >= ROLE_RANK[role]
