"""a sale keeps the language its receipt was asked for (vi, en, vi+en), for reprints and refunds

Revision ID: 0019_receipt_language
Revises: 0018_stocktake
Create Date: 2026-12-07 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0019_receipt_language"
down_revision: str | None = "0018_stocktake"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Every receipt printed before this was Vietnamese.
    with op.batch_alter_table("sale", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "receipt_language", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False, server_default="vi"
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("sale", schema=None) as batch_op:
        batch_op.drop_column("receipt_language")
