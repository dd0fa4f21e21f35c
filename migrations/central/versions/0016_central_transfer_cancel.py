"""a transfer note's cancel by its sender (kind 'transfer_cancel')

Revision ID: 0016_central_transfer_cancel
Revises: 0015_central_sold_by_story
Create Date: 2026-12-07 02:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0016_central_transfer_cancel"
down_revision: str | None = "0015_central_sold_by_story"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("transfer", sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("transfer", sa.Column("cancelled_by", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True))
    op.add_column(
        "transfer",
        sa.Column("cancel_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False, server_default=""),
    )


def downgrade() -> None:
    op.drop_column("transfer", "cancel_reason")
    op.drop_column("transfer", "cancelled_by")
    op.drop_column("transfer", "cancelled_at")
