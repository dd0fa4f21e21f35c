"""What a showroom pulls about transfers: notes addressed to it, and what became of the notes it sent.

Every change of a note (made, received, cancelled) took the next ``revision`` under a lock
(pos/central/network_ingest.py), so revisions commit in order: a showroom asks for the changes after the last
revision it saw and, page by page, never misses one. Applying a change twice is harmless at the showroom (each
note is stored once by UUID).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlmodel import Session

PAGE_MAX = 500

_CHANGES = text(
    """
    SELECT t.uuid, t.number, a.code AS from_showroom, t.to_showroom_code AS to_showroom, t.status, t.created_at,
           t.created_by, t.note, t.lines, t.received_at, t.received_by, t.receipt_note, t.cancelled_at,
           t.cancelled_by, t.cancel_reason, t.revision
      FROM transfer t JOIN showroom a ON a.id = t.from_showroom_id
     WHERE t.revision > :since AND (t.to_showroom_code = :code OR t.from_showroom_id = :showroom)
     ORDER BY t.revision
     LIMIT :limit
    """
)


def changes_since(session: Session, showroom_id: int, code: str, since: int, limit: int = PAGE_MAX) -> dict[str, Any]:
    """The notes to or from this showroom changed after revision ``since``, oldest change first.

    ``revision`` is the last one included (``since`` when there is none); ``more`` says another page follows.
    """
    rows = session.execute(_CHANGES, {"since": since, "code": code, "showroom": showroom_id, "limit": limit + 1})
    items = [dict(r._mapping) for r in rows]
    more = len(items) > limit
    items = items[:limit]
    return {
        "revision": int(items[-1]["revision"]) if items else since,
        "more": more,
        "transfers": [
            {
                **item,
                "uuid": str(item["uuid"]),
                "created_at": item["created_at"].isoformat(),
                "received_at": item["received_at"].isoformat() if item["received_at"] else None,
                "cancelled_at": item["cancelled_at"].isoformat() if item["cancelled_at"] else None,
            }
            for item in items
        ],
    }
