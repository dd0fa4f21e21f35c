"""the catalogue revision each showroom last pulled in full, so the office sees who received a promotion

Revision ID: 0019_central_catalog_sent
Revises: 0018_central_settlement_lines
Create Date: 2026-12-07 02:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_central_catalog_sent"
down_revision: str | None = "0018_central_settlement_lines"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("showroom", sa.Column("catalog_sent_revision", sa.BigInteger(), server_default="0", nullable=False))


def downgrade() -> None:
    op.drop_column("showroom", "catalog_sent_revision")
