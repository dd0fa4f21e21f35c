"""Developer tool: rebuild the initial revision from the models while the schema is unreleased.

Run: .venv/bin/python migrations/regen.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from alembic import command

from pos.migrate import MIGRATIONS, alembic_config

target = MIGRATIONS / "versions" / "0001_initial.py"
target.unlink(missing_ok=True)
with tempfile.TemporaryDirectory() as tmp:
    cfg = alembic_config(f"sqlite:///{Path(tmp, 'regen.db').as_posix()}")
    command.revision(cfg, message="initial schema", autogenerate=True, rev_id="0001")
generated = next((MIGRATIONS / "versions").glob("0001_*.py"))
generated.rename(target)
print(f"wrote {target}")
