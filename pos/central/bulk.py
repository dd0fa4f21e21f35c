"""Bulk writes through PostgreSQL's COPY, in the caller's transaction.

Multi-row INSERT statements with thousands of parameters cost more in building and parsing the SQL than in
the database; COPY streams the rows instead. Where a conflict must be skipped (a record or a sale already
held), the rows are copied into a temporary table first and moved with ``INSERT … SELECT … ON CONFLICT DO
NOTHING RETURNING``, which keeps the exactly-once guarantee of the unique constraints.
"""

from __future__ import annotations

import zlib
from collections.abc import Collection, Iterable, Sequence
from typing import Any
from uuid import UUID

import msgspec
import psycopg
from sqlalchemy import Connection

_COLUMN_TYPES: dict[tuple[str, tuple[str, ...]], list[str]] = {}
_TEXT_ONLY = {"json", "jsonb"}  # written as text (their binary form wants a wrapper the callers do not make)


def driver(conn: Connection) -> psycopg.Connection[Any]:
    """The psycopg connection under ``conn``, in the SQLAlchemy transaction (begun here if none is yet, so that the
    caller's commit commits what is written through the driver)."""
    if not conn.in_transaction():
        conn.begin()
    raw = conn.connection.driver_connection
    assert raw is not None
    return raw  # type: ignore[no-any-return]


def column_types(conn: Connection, table: str, columns: Sequence[str]) -> list[str]:
    """The PostgreSQL type names of ``columns`` of ``table`` (looked up once per process)."""
    key = (table, tuple(columns))
    if key not in _COLUMN_TYPES:
        found = dict(
            conn.exec_driver_sql(
                "SELECT a.attname, t.typname FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
                "WHERE a.attrelid = CAST(%s AS regclass) AND a.attnum > 0 AND NOT a.attisdropped",
                (table,),
            ).all()
        )
        _COLUMN_TYPES[key] = [found[column] for column in columns]
    return _COLUMN_TYPES[key]


def copy_rows(
    conn: Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], *, like: str | None = None
) -> None:
    """COPY ``rows`` (tuples in ``columns`` order; JSON columns as text) into ``table``.

    The rows go in PostgreSQL's binary format, with the column types told first (``like``: the table whose
    types a staging table shares): three times less Python per row than the text format, which formats every
    UUID and timestamp as text.
    """
    raw = driver(conn)
    types = column_types(conn, like or table, columns)
    binary = not _TEXT_ONLY.intersection(types)
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN" + (" (FORMAT BINARY)" if binary else "")
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        if binary:
            copy.set_types(types)
        for row in rows:
            copy.write_row(row)


def pipelined(conn: Connection, statements: Sequence[tuple[str, Any]]) -> list[list[tuple[Any, ...]]]:
    """Run ``statements`` (SQL in psycopg's ``%(name)s`` style, with their parameters) in one round trip to
    PostgreSQL (psycopg's pipeline mode), in order, in the caller's transaction; each one's rows (none for a
    statement that returns nothing).

    A push runs some fifty statements, most of them quick: sent one by one, each waits for the database
    process to be scheduled again, which on a busy server costs more than the statement itself.
    """
    if not statements:
        return []
    raw = driver(conn)
    cursors = []
    with raw.pipeline():
        for sql, params in statements:
            cursor = raw.cursor()
            cursor.execute(sql, params)
            cursors.append(cursor)
    found = [cursor.fetchall() if cursor.description is not None else [] for cursor in cursors]
    for cursor in cursors:
        cursor.close()
    return found


def uuid_array(uuids: Iterable[UUID]) -> str:
    """The ``uuid[]`` literal of ``uuids``, for ``CAST(%s AS uuid[])``: written by msgspec in C, where psycopg dumps a
    list element by element in Python (5 ms for a push's 2,000 sale UUIDs, against 0.5 ms)."""
    return "{" + msgspec.json.encode(list(uuids)).decode()[1:-1] + "}"


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
    *,
    held: Collection[tuple[Any, ...]] | None = None,
) -> list[tuple[Any, ...]]:
    """Insert the rows whose ``conflict`` key is not yet in ``table``; returns ``returning`` of those inserted.

    The staging merge any kind of record can use. First the keys already held are looked up (one probe each
    through the unique index), unless the caller knows them (``held``, keys in ``conflict`` order), and the others are
    COPYed straight into ``table`` (an ``id`` asked for in ``returning`` is drawn from its sequence first), in
    key order, inside a savepoint; the probe, the draw and the savepoint go in one round trip. Should a
    concurrent push store one of those keys meanwhile, the unique index refuses the COPY; the savepoint is
    rolled back and the rows go the careful way: COPY into a staging table, then one ``INSERT … SELECT … ON
    CONFLICT DO NOTHING RETURNING``. Either way the unique constraint decides, so nothing is stored twice.
    """
    if not rows:
        return []
    generated = [name for name in returning if name not in columns]
    if generated not in ([], ["id"]):
        return _merge(conn, table, columns, rows, conflict, returning)
    at = [columns.index(name) for name in conflict]
    types = column_types(conn, table, columns)
    statements: list[tuple[str, Any]] = []
    if held is None:
        probe = (
            f"SELECT {', '.join(f't.{k}' for k in conflict)} FROM unnest("
            + ", ".join(f"CAST(%s AS {types[i]}[])" for i in at)
            + f") AS k({', '.join(conflict)}) JOIN {table} t ON "
            + " AND ".join(f"t.{k} = k.{k}" for k in conflict)
        )
        statements.append((probe, tuple([row[i] for row in rows] for i in at)))
    if generated:  # as many as there are rows: the ids of keys found held are simply not used
        statements.append(
            (f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, %s)", (len(rows),))
        )
    statements.append(("SAVEPOINT insert_new", None))
    found = pipelined(conn, statements)
    if held is None:
        held = {tuple(r) for r in found[0]}
    fresh: dict[tuple[Any, ...], Sequence[Any]] = {}
    for row in rows:
        key = tuple(row[i] for i in at)
        if key not in held and key not in fresh:
            fresh[key] = row
    raw = driver(conn)
    if not fresh:
        raw.execute("RELEASE SAVEPOINT insert_new")
        return []
    # The order the unique index locks in (keys of plain numbers compare as they are).
    uuids = any(isinstance(part, UUID) for part in next(iter(fresh)))
    ordered = [fresh[key] for key in sorted(fresh, key=_index_order if uuids else None)]
    ids = [int(n) for (n,) in found[-2]][: len(ordered)] if generated else []
    try:
        if generated:
            copy_rows(conn, table, ("id", *columns), [(n, *row) for n, row in zip(ids, ordered, strict=True)])
        else:
            copy_rows(conn, table, columns, ordered)
    except psycopg.errors.UniqueViolation:
        raw.execute("ROLLBACK TO SAVEPOINT insert_new")
        return _merge(conn, table, columns, rows, conflict, returning)
    raw.execute("RELEASE SAVEPOINT insert_new")
    picks = [columns.index(name) if name in columns else -1 for name in returning]
    return [tuple(ids[n] if i < 0 else row[i] for i in picks) for n, row in enumerate(ordered)]


def _index_order(key: tuple[Any, ...]) -> tuple[Any, ...]:
    """A key as the unique index orders it, cheap to compare (a UUID by its 128-bit number, as PostgreSQL orders
    its bytes)."""
    return tuple(part.int if isinstance(part, UUID) else part for part in key)


def _merge(
    conn: Connection,
    table: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    conflict: Sequence[str],
    returning: Sequence[str],
) -> list[tuple[Any, ...]]:
    """COPY into a staging table, then one ``INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING`` (key order)."""
    cols = ", ".join(columns)
    staging = staging_table(conn, table, columns)
    copy_rows(conn, staging, columns, rows, like=table)
    keys = ", ".join(conflict)
    result = conn.exec_driver_sql(
        f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {staging} ORDER BY {keys} "
        f"ON CONFLICT ({keys}) DO NOTHING RETURNING {', '.join(returning)}"
    )
    return [tuple(row) for row in result]
