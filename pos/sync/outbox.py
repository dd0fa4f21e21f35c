"""Publish records to the outbox in the same transaction as the event itself: the one call every feature uses."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from sqlmodel import Session

from pos.sync import contract
from pos.sync.models import OutboxRecord


def enqueue(session: Session, kind: str, entity_uuid: UUID | str, payload: dict[str, Any]) -> OutboxRecord:
    """Publish a ``kind`` record for the central server; it commits or rolls back with the caller's transaction.

    The payload is checked against the kind's definition in the sync contract (pos/sync/contract.py) first,
    so a record the central server would refuse never enters the outbox (ContractError, a programming error).
    """
    contract.check_payload(kind, payload)
    if is_held_back(session):
        return OutboxRecord(kind=kind, entity_uuid=str(entity_uuid), payload="", version=contract.KIND_VERSIONS[kind])
    record = OutboxRecord(
        kind=kind,
        entity_uuid=str(entity_uuid),
        payload=contract.encode(payload).decode("utf-8"),
        version=contract.KIND_VERSIONS[kind],
    )
    session.add(record)
    return record


HELD_BACK = "pos.outbox.held_back"


@contextmanager
def held_back(session: Session) -> Iterator[None]:
    """Nothing the block publishes enters the outbox (the demo's history: demo data never syncs)."""
    session.info[HELD_BACK] = True
    try:
        yield
    finally:
        session.info.pop(HELD_BACK, None)


def is_held_back(session: Session) -> bool:
    """Whether records published now are kept back (a publisher may then skip building them)."""
    return bool(session.info.get(HELD_BACK))
