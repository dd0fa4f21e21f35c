"""Never-reused sequences kept in the database (in-store barcodes, receipt numbers)."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Session


def next_value(session: Session, name: str) -> int:
    """Take the next value of counter ``name`` inside the caller's transaction (1 for a new counter)."""
    return next_values(session, name, 1)[0]


def next_values(session: Session, name: str, n: int) -> range:
    """Take the next ``n`` values of counter ``name`` at once (a month's settlements for every producer)."""
    row = session.execute(
        text("UPDATE counter SET value = value + :n WHERE name = :name RETURNING value"), {"name": name, "n": n}
    ).first()
    if row is not None:
        return range(int(row[0]) - n + 1, int(row[0]) + 1)
    session.execute(text("INSERT INTO counter (name, value) VALUES (:name, :n)"), {"name": name, "n": n})
    return range(1, n + 1)
