"""a print job keeps the language of the copy it prints (empty: the sale's), for a reprint in another language

Revision ID: 0024_reprint_language
Revises: 0023_order_delivery
Create Date: 2026-12-07 03:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0024_reprint_language"
down_revision: str | None = "0023_order_delivery"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("printjob", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("printjob", schema=None) as batch_op:
        batch_op.drop_column("language")
