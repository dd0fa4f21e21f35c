"""The central schema's Alembic migrations (migrations/central), driven from code like pos/migrate.py."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text

CENTRAL_MIGRATIONS = Path(__file__).resolve().parent.parent.parent / "migrations" / "central"


def alembic_config(url: str) -> Config:
    """An Alembic config for the central schema at ``url``."""
    cfg = Config()
    cfg.set_main_option("script_location", CENTRAL_MIGRATIONS.as_posix())
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the central database at ``url`` up to ``revision``."""
    command.upgrade(alembic_config(url), revision)


def check(url: str) -> None:
    """Raise if the central models and their migrations disagree (alembic check)."""
    command.check(alembic_config(url))


def autovacuum_off(url: str) -> bool:
    """Whether PostgreSQL's autovacuum is off at ``url``: the planner's statistics then stay as the last ANALYZE
    left them, and a table that grew from nothing in a network's first weeks is planned as if it were still small."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SHOW autovacuum")).scalar_one() != "on"
    finally:
        engine.dispose()
