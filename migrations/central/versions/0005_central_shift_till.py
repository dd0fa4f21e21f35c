"""the showroom's till (drawer) of each closed shift

Revision ID: 0005_central_shift_till
Revises: 0004_central_showroom_scope
Create Date: 2026-12-06 21:10:00

A showroom with several tills counts one drawer per shift; the shift's till code (Q1, Q2 ...) comes with its
close, so the office sees which drawer a difference belongs to. Empty for shifts closed before tills existed.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0005_central_shift_till"
down_revision: str | None = "0004_central_showroom_scope"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "shift_close",
        sa.Column("till", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False, server_default=""),
    )
    op.alter_column("shift_close", "till", server_default=None)


def downgrade() -> None:
    op.drop_column("shift_close", "till")
