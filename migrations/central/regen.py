"""Developer tool: rebuild the central schema's initial revision from pos.central.models while unreleased.

Needs an empty PostgreSQL database to compare against; it creates and drops one.
Run: .venv/bin/python migrations/central/regen.py  (POS_TEST_PG_URL overrides the server's URL)
"""

from __future__ import annotations

import os
import secrets

import psycopg
from alembic import command

from pos.central.migrate import CENTRAL_MIGRATIONS, alembic_config

server = os.environ.get("POS_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
name = f"pos_regen_{secrets.token_hex(4)}"
with psycopg.connect(server, autocommit=True) as conn:
    conn.execute(f'CREATE DATABASE "{name}"')
try:
    target = CENTRAL_MIGRATIONS / "versions" / "0001_central_initial.py"
    target.unlink(missing_ok=True)
    url = server.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{name}"
    command.revision(alembic_config(url), message="central initial schema", autogenerate=True, rev_id="0001")
    generated = next((CENTRAL_MIGRATIONS / "versions").glob("0001_*.py"))
    generated.rename(target)
    print(f"wrote {target}")
finally:
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
