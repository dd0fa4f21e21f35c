"""`pos migrate` follows the install's role: a central server gets its own (PostgreSQL) migrations."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from pos.cli import main


@pytest.mark.postgres
def test_pos_migrate_on_a_central_install_runs_the_central_migrations(central_db_url: str, tmp_path: Path) -> None:
    env = {"POS_ROLE": "central", "POS_DATABASE_URL": central_db_url, "POS_INSTANCE_PATH": str(tmp_path)}
    result = CliRunner().invoke(main, ["migrate"], env=env)
    assert result.exit_code == 0, result.output
    assert "máy chủ trung tâm" in result.output
    engine = create_engine(central_db_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT to_regclass('sync_record')")).scalar() is not None
            autovacuum = conn.execute(text("SHOW autovacuum")).scalar_one()
        # Warned of exactly when PostgreSQL's autovacuum is off (PostgreSQL's default is on; these machines run it off).
        assert ("autovacuum của PostgreSQL đang tắt" in result.stderr) == (autovacuum != "on")
    finally:
        engine.dispose()
