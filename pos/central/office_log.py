"""The central office's own log: who registered a showroom, rotated or revoked a key, linked a product."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from pos.central.models import OfficeAudit


def log_action(
    session: Session, username: str, action: str, entity: str = "", entity_id: object = "", **detail: Any
) -> None:
    """Add an entry in the caller's transaction (never a secret or a key in ``detail``)."""
    session.add(
        OfficeAudit(username=username[:60], action=action, entity=entity, entity_id=str(entity_id)[:60], detail=detail)
    )
