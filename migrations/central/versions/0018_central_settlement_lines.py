"""settlement lines: each product of a showroom's settlement (kind 'settlement' version 2)

Revision ID: 0018_central_settlement_lines
Revises: 0017_central_promotion
Create Date: 2026-12-07 02:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0018_central_settlement_lines"
down_revision: str | None = "0017_central_promotion"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "settlement_line",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("settlement_id", sa.Integer(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("product_uuid", sa.Uuid(), nullable=True),
        sa.Column("sku", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("qty", sa.BigInteger(), nullable=False),
        sa.Column("amount_vnd", sa.BigInteger(), nullable=False),
        sa.Column("commission_vnd", sa.BigInteger(), nullable=False),
        sa.Column("promo_showroom_vnd", sa.BigInteger(), nullable=False),
        sa.Column("promo_producer_vnd", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["settlement_id"], ["settlement.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("settlement_id", "line_no", name="uq_settlement_line_no"),
    )


def downgrade() -> None:
    op.drop_table("settlement_line")
