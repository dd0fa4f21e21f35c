"""no foreign key from the sale and sync_record tables to showroom

Revision ID: 0021_central_sale_record_no_fk
Revises: 0020_central_promotion_lines
Create Date: 2026-12-07 07:50:00.000000

Every sale and every stored record paid a foreign-key check on its showroom, one trigger call per row (a
backlog's push spent about an eighth of its PostgreSQL time in them). The ingest writes the authenticated
showroom's id on each of those rows and a showroom is never deleted; ``dangling_references``
(pos/central/ingest.py) checks them with the line tables' references.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021_central_sale_record_no_fk"
down_revision: str | None = "0020_central_promotion_lines"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("sale", "sync_record")


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    for table in TABLES:
        for fk in inspector.get_foreign_keys(table):
            if fk["constrained_columns"] == ["showroom_id"]:
                op.drop_constraint(fk["name"], table, type_="foreignkey")


def downgrade() -> None:
    for table in TABLES:
        op.create_foreign_key(None, table, "showroom", ["showroom_id"], ["id"])
