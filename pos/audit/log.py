"""Write audit entries in the caller's transaction."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session

from pos.audit.models import AuditEntry


def record(
    session: Session,
    action: str,
    *,
    user_id: int | None,
    entity: str = "",
    entity_id: object = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an audit entry; it commits or rolls back with the action it describes."""
    entry = AuditEntry(
        user_id=user_id,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        before=json.dumps(before, ensure_ascii=False, default=str) if before is not None else "",
        after=json.dumps(after, ensure_ascii=False, default=str) if after is not None else "",
    )
    session.add(entry)
    return entry
