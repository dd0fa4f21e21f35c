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
    # Later (data) revisions build on 0001: set them aside while 0001 is regenerated from the models alone.
    later = [p for p in (MIGRATIONS / "versions").glob("*.py") if not p.name.startswith("0001_")]
    for path in later:
        path.rename(Path(tmp, path.name))
    try:
        cfg = alembic_config(f"sqlite:///{Path(tmp, 'regen.db').as_posix()}")
        command.revision(cfg, message="initial schema", autogenerate=True, rev_id="0001")
    finally:
        for path in later:
            Path(tmp, path.name).rename(path)
generated = next((MIGRATIONS / "versions").glob("0001_*.py"))
generated.rename(target)
print(f"wrote {target}")
