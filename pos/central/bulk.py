"""Bulk writes through PostgreSQL's COPY, in the caller's transaction.

Multi-row INSERT statements with thousands of parameters cost more in building and parsing the SQL than in
the database; COPY streams the rows instead. Where a conflict must be skipped (a record or a sale already
held), the rows are copied into a temporary table first and moved with ``INSERT … SELECT … ON CONFLICT DO
NOTHING RETURNING``, which keeps the exactly-once guarantee of the unique constraints.
"""

from __future__ import annotations

import zlib
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


def staging_table(conn: Connection, table: str, columns: Sequence[str]) -> str:
    """An empty temporary table with ``columns`` of ``table``, made once per database connection.

    It lives as long as the connection (``ON COMMIT DELETE ROWS`` empties it at every commit, a rollback takes
    its rows too), so a push does not create and drop a table each time (catalogue writes, and their bloat).
    """
    staging = f"staging_{table}_{zlib.crc32(' '.join(columns).encode()):08x}"
    conn.exec_driver_sql(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging} ON COMMIT DELETE ROWS AS "
        f"SELECT {', '.join(columns)} FROM {table} WITH NO DATA"
    )
    conn.exec_driver_sql(f"DELETE FROM {staging}")  # when used twice in one transaction
    return staging


def insert_new(
    conn: Connection,
    table: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    conflict: Sequence[str],
    returning: Sequence[str],
) -> list[Any]:
    """Insert the rows whose ``conflict`` key is not yet in ``table``; returns ``returning`` of those inserted.

    The staging merge any kind of record can use: COPY into a staging table, then one ``INSERT … SELECT …
    ON CONFLICT DO NOTHING RETURNING`` (sorted by the key, so concurrent pushes lock in the same order).
    """
    if not rows:
        return []
    cols = ", ".join(columns)
    staging = staging_table(conn, table, columns)
    copy_rows(conn, staging, columns, rows)
    keys = ", ".join(conflict)
    result = conn.exec_driver_sql(
        f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {staging} ORDER BY {keys} "
        f"ON CONFLICT ({keys}) DO NOTHING RETURNING {', '.join(returning)}"
    )
    return list(result)
