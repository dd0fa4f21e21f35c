"""Write audit entries in the caller's transaction."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import uuid4

from sqlalchemy import insert
from sqlmodel import Session

from pos.audit.models import AuditEntry
from pos.db import utcnow


def entry(
    action: str,
    *,
    user_id: int | None,
    entity: str = "",
    entity_id: object = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
    """An audit entry's column values: who, what, on which record, before and after as JSON, when (default now)."""
    return {
        "uuid": uuid4(),
        "at": at or utcnow(),
        "user_id": user_id,
        "action": action,
        "entity": entity,
        "entity_id": str(entity_id),
        "before": json.dumps(before, ensure_ascii=False, default=str) if before is not None else "",
        "after": json.dumps(after, ensure_ascii=False, default=str) if after is not None else "",
    }


def record(
    session: Session,
    action: str,
    *,
    user_id: int | None,
    entity: str = "",
    entity_id: object = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    """Add an audit entry; it commits or rolls back with the action it describes."""
    added = AuditEntry(
        **entry(action, user_id=user_id, entity=entity, entity_id=entity_id, before=before, after=after, at=at)
    )
    session.add(added)
    return added


def record_many(session: Session, entries: Sequence[dict[str, Any]]) -> None:
    """Write entries made by ``entry`` in one statement (a shift's close, the demo's year of history)."""
    if entries:
        session.execute(insert(AuditEntry.__table__), list(entries))  # type: ignore[attr-defined]
