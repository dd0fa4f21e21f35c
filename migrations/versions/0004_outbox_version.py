"""the contract version of each outbox record

Revision ID: 0004_outbox_version
Revises: 0003_printing
Create Date: 2026-12-06 21:20:00

The sync contract (pos/sync/contract.py) versions each record kind; a record keeps the version it was
written in, so the central server can accept an older one and refuse one newer than it knows.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_outbox_version"
down_revision: str | None = "0003_printing"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outboxrecord") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("outboxrecord") as batch:
        batch.drop_column("version")
