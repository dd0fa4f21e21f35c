"""a transfer note can be cancelled by its sender before it is received

Revision ID: 0021_transfer_cancel
Revises: 0020_resend_catalogue
Create Date: 2026-12-07 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import pos.db

revision: str = "0021_transfer_cancel"
down_revision: str | None = "0020_resend_catalogue"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("transfer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cancelled_at", pos.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("cancelled_by", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True))
        batch_op.add_column(
            sa.Column("cancel_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("transfer", schema=None) as batch_op:
        batch_op.drop_column("cancel_reason")
        batch_op.drop_column("cancelled_by")
        batch_op.drop_column("cancelled_at")
