"""Engine per app, a read session per request, and unit_of_work() for every write.

SQLite is opened in WAL mode with foreign keys on and synchronous=FULL, so a commit the till has
acknowledged survives a power cut. Writes begin with BEGIN IMMEDIATE: two tills selling the last unit
queue for the write lock instead of failing half-way on a lock upgrade.

The one exception is a cart change (a scan, a quantity, a discount): ``unit_of_work(durable=False)`` commits
it with synchronous=NORMAL, which in WAL mode skips the fsync of every commit. Such a commit survives a crash
of the app or of the browser, but a power cut may lose the last few cart changes (never a sale: the next
durable commit syncs every frame written before it). Sales, returns, voids, shift closes, intakes and stock
adjustments keep the default, durable=True.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import DateTime, Engine, create_engine, event
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session

ENGINE_KEY = "pos.engine"
MAX_ID = 2**63 - 1  # the largest INTEGER SQLite (and PostgreSQL's bigint) holds
WRITE_ENGINE_KEY = "pos.write_engine"
_SYNCHRONOUS = "pos.synchronous"  # the level last set on a pooled connection (kept in its .info)


def utcnow() -> datetime:
    """Timezone-aware UTC now."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, stored naive-UTC (SQLite keeps no zone)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def parse_id(raw: object) -> int | None:
    """An id from a form, a JSON body or a URL: a positive whole number a database can hold, else None.

    Not str.isdigit() alone: it accepts '²' and '٣', which int() refuses or reads differently, and a
    number past 2**63 makes the database driver raise instead of finding nothing.
    """
    if isinstance(raw, bool):
        return None
    if isinstance(raw, str):
        text = raw.strip()
        if not (text.isascii() and text.isdigit()) or len(text) > 19:
            return None
        raw = int(text)
    if not isinstance(raw, int):
        return None
    return raw if 0 < raw <= MAX_ID else None


def is_sqlite(url: str) -> bool:
    """Whether a database URL names SQLite."""
    return url.startswith("sqlite")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create the engine, with the SQLite pragmas and begin handling the showroom relies on."""
    if not is_sqlite(url):
        return create_engine(url, pool_pre_ping=True, **kwargs)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control away from pysqlite so BEGIN IMMEDIATE can be issued below.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        options = conn.get_execution_options()
        # synchronous cannot change inside a transaction, so it is set here, before BEGIN, and only
        # a transaction that asks for less durability gets it: every other one runs with FULL.
        level = "FULL" if options.get("pos_durable", True) else "NORMAL"
        if conn.info.get(_SYNCHRONOUS) != level:
            conn.exec_driver_sql(f"PRAGMA synchronous={level}")
            conn.info[_SYNCHRONOUS] = level
        conn.exec_driver_sql(f"BEGIN {'IMMEDIATE' if options.get('pos_write') else 'DEFERRED'}")

    return engine


def init_app(app: Flask) -> None:
    """Create this app's engines and close the request session after each request."""
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions[ENGINE_KEY] = engine
    app.extensions[WRITE_ENGINE_KEY] = engine.execution_options(pos_write=True)
    app.teardown_appcontext(_close_session)


def engine() -> Engine:
    """The current app's engine."""
    return current_app.extensions[ENGINE_KEY]


def get_session() -> Session:
    """The request's read session; nothing is ever committed through it."""
    if "db_session" not in g:
        g.db_session = Session(current_app.extensions[ENGINE_KEY])
    return g.db_session


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


@contextmanager
def session_scope(bind: Engine, write: bool = True, durable: bool = True) -> Iterator[Session]:
    """One transaction: committed if the block ends normally, rolled back on any exception.

    ``durable=False`` is for cart changes only (see the module's docstring).
    """
    if write:
        bind = bind.execution_options(pos_write=True, pos_durable=durable)
    session = Session(bind, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@contextmanager
def unit_of_work(durable: bool = True) -> Iterator[Session]:
    """The current app's write transaction for one use case (``durable=False``: a cart change only)."""
    with session_scope(current_app.extensions[ENGINE_KEY], durable=durable) as session:
        yield session
