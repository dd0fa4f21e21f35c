"""Alembic environment for the showroom database; run through `pos migrate` (pos/migrate.py)."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlmodel import SQLModel

import pos.models  # noqa: F401  (registers every table on SQLModel.metadata)
from pos.db import UTCDateTime, is_sqlite, make_engine

config = context.config
target_metadata = SQLModel.metadata


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Render our own column types with an import the migration can use."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        autogen_context.imports.add("import pos.db")
        return "pos.db.UTCDateTime()"
    return False


def run_migrations_online() -> None:
    """Run migrations on a live connection (given by the caller, or made from the URL)."""
    connection = config.attributes.get("connection")
    url = config.get_main_option("sqlalchemy.url")
    if connection is None:
        engine = make_engine(url)
        with engine.connect() as conn:
            _run(conn, is_sqlite(url))
        engine.dispose()
    else:
        _run(connection, connection.dialect.name == "sqlite")


def _run(connection: Any, sqlite: bool) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=sqlite,
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
