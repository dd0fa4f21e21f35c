"""Bulk writes through PostgreSQL's COPY, in the caller's transaction.

Multi-row INSERT statements with thousands of parameters cost more in building and parsing the SQL than in
the database; COPY streams the rows instead. Where a conflict must be skipped (a record or a sale already
held), the rows are copied into a temporary table first and moved with ``INSERT … SELECT … ON CONFLICT DO
NOTHING RETURNING``, which keeps the exactly-once guarantee of the unique constraints.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection


def copy_rows(conn: Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """COPY ``rows`` (tuples in ``columns`` order; JSON columns as text) into ``table``."""
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def insert_new(
    conn: Connection,
    table: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    conflict: Sequence[str],
    returning: Sequence[str],
) -> list[Any]:
    """Insert the rows whose ``conflict`` key is not yet in ``table``; returns ``returning`` of those inserted."""
    if not rows:
        return []
    cols = ", ".join(columns)
    temporary = f"incoming_{table}"
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {temporary}")
    conn.exec_driver_sql(
        f"CREATE TEMPORARY TABLE {temporary} ON COMMIT DROP AS SELECT {cols} FROM {table} WITH NO DATA"
    )
    copy_rows(conn, temporary, columns, rows)
    keys = ", ".join(conflict)
    result = conn.exec_driver_sql(
        f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {temporary} ORDER BY {keys} "
        f"ON CONFLICT ({keys}) DO NOTHING RETURNING {', '.join(returning)}"
    )
    return list(result)
