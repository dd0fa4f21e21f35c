"""Alembic environment for the central server's PostgreSQL schema; run through `pos central-migrate`."""

from __future__ import annotations

from typing import Any

from alembic import context

from pos.central.models import metadata
from pos.db import make_engine

config = context.config
target_metadata = metadata
VERSION_TABLE = "central_alembic_version"  # never confused with a showroom's alembic_version


def run_migrations_online() -> None:
    """Run migrations on a live connection (given by the caller, or made from the URL)."""
    connection = config.attributes.get("connection")
    if connection is None:
        engine = make_engine(config.get_main_option("sqlalchemy.url"))
        with engine.connect() as conn:
            _run(conn)
        engine.dispose()
    else:
        _run(connection)


def _run(connection: Any) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        version_table=VERSION_TABLE,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
