"""Write events to the outbox in the same transaction as the event itself."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from sqlmodel import Session

from pos.sync.models import OutboxRecord


def enqueue(session: Session, kind: str, entity_uuid: UUID | str, payload: dict[str, Any]) -> OutboxRecord:
    """Add an event for the central server; it commits or rolls back with the caller's transaction."""
    record = OutboxRecord(
        kind=kind,
        entity_uuid=str(entity_uuid),
        payload=json.dumps(payload, ensure_ascii=False, default=str, separators=(",", ":")),
    )
    session.add(record)
    return record
