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
    version: int = Field(default=1)  # the kind's version in the sync contract when it was written
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)


class SyncState(SQLModel, table=True):
    """The showroom's sync bookkeeping: a single row (id 1), written only by the sync itself."""

    id: int = Field(default=1, primary_key=True)
    last_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_success_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str = Field(default="", max_length=500)  # in plain Vietnamese, for the manager
    last_error_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    failures: int = Field(default=0)  # consecutive failed runs, for the back-off
    records_sent: int = Field(default=0)
    snapshot_done: bool = Field(default=False)  # every producer and product enqueued once
    audit_enqueued_through: int = Field(default=0)  # AuditEntry.id already copied to the outbox
    catalog_revision: int = Field(default=0)  # the central catalogue's revision pulled so far
    catalog_pulled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    clock_offset_s: int = Field(default=0)  # central clock − this PC's, learnt from a refused timestamp
    stock_sent_through: int = Field(default=0)  # StockMovement.id covered by the stock snapshots sent so far
    stock_sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # the last snapshot's time
    stock_complete_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # the last complete one's
    transfer_revision: int = Field(default=0)  # the central server's transfer revision pulled so far
