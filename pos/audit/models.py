"""Audit log entries (nhật ký thao tác)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from sqlmodel import Field, SQLModel

from pos.db import UTCDateTime, utcnow


class AuditEntry(SQLModel, table=True):
    """A sensitive action: who, when, what, and the values before and after (JSON)."""

    id: int | None = Field(default=None, primary_key=True)
    uuid: UUID = Field(default_factory=uuid4, unique=True, index=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    user_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    action: str = Field(max_length=40, index=True)
    entity: str = Field(default="", max_length=40)
    entity_id: str = Field(default="", max_length=40)
    before: str = Field(default="")
    after: str = Field(default="")
