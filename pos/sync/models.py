"""The outbox: every event bound for the central server, written in the event's own transaction."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from pos.db import UTCDateTime, utcnow


class OutboxRecord(SQLModel, table=True):
    """One event to send; ``id`` is the showroom's sequence number and is never reused."""

    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=30, index=True)
    entity_uuid: str = Field(max_length=36)
    payload: str  # JSON
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
