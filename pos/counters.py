"""Never-reused sequences kept in the database (in-store barcodes, receipt numbers)."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Session


def next_value(session: Session, name: str) -> int:
    """Take the next value of counter ``name`` inside the caller's transaction (1 for a new counter)."""
    row = session.execute(
        text("UPDATE counter SET value = value + 1 WHERE name = :name RETURNING value"), {"name": name}
    ).first()
    if row is not None:
        return int(row[0])
    session.execute(text("INSERT INTO counter (name, value) VALUES (:name, 1)"), {"name": name})
    return 1
