"""each sale line names the central promotion that priced it (sale version 5); a summary per promotion and day

Revision ID: 0020_central_promotion_lines
Revises: 0019_central_catalog_sent
Create Date: 2026-12-07 07:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0020_central_promotion_lines"
down_revision: str | None = "0019_central_catalog_sent"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable without a default: PostgreSQL adds them without rewriting the year of lines already there.
    op.add_column("sale_line", sa.Column("promotion_uuid", sa.Uuid(), nullable=True))
    op.add_column("sale_line", sa.Column("promotion_discount_vnd", sa.BigInteger(), nullable=True))
    op.add_column(
        "sale_line", sa.Column("promotion_borne_by", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True)
    )
    op.create_table(
        "summary_promotion_day",
        sa.Column("showroom_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("promotion_uuid", sa.Uuid(), nullable=False),
        sa.Column("sales", sa.Integer(), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("qty_sold", sa.BigInteger(), nullable=False),
        sa.Column("qty_returned", sa.BigInteger(), nullable=False),
        sa.Column("grams_sold", sa.BigInteger(), nullable=False),
        sa.Column("grams_returned", sa.BigInteger(), nullable=False),
        sa.Column("sales_vnd", sa.BigInteger(), nullable=False),
        sa.Column("refunds_vnd", sa.BigInteger(), nullable=False),
        sa.Column("discount_vnd", sa.BigInteger(), nullable=False),
        sa.Column("showroom_cost_vnd", sa.BigInteger(), nullable=False),
        sa.Column("producer_cost_vnd", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("showroom_id", "day", "promotion_uuid", name="pk_summary_promotion_day"),
    )
    op.create_index(
        "ix_summary_promotion_day_promotion", "summary_promotion_day", ["promotion_uuid", "day"], unique=False
    )
    # No line names a promotion before this revision: the new summary starts empty, nothing to fill.


def downgrade() -> None:
    op.drop_index("ix_summary_promotion_day_promotion", table_name="summary_promotion_day")
    op.drop_table("summary_promotion_day")
    op.drop_column("sale_line", "promotion_borne_by")
    op.drop_column("sale_line", "promotion_discount_vnd")
    op.drop_column("sale_line", "promotion_uuid")
