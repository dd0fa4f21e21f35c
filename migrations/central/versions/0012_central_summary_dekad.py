"""product summaries per ten days (dekad), so partial months read fewer daily rows

Revision ID: 0012_central_summary_dekad
Revises: 0011_central_batch_store
Create Date: 2026-12-06 23:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0012_central_summary_dekad"
down_revision: str | None = "0011_central_batch_store"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "summary_product_dekad",
        sa.Column("showroom_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("producer_id", sa.Integer(), nullable=False),
        sa.Column("ocop_group", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("ocop_stars", sa.Integer(), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("qty_sold", sa.BigInteger(), nullable=False),
        sa.Column("qty_returned", sa.BigInteger(), nullable=False),
        sa.Column("gross_vnd", sa.BigInteger(), nullable=False),
        sa.Column("discount_vnd", sa.BigInteger(), nullable=False),
        sa.Column("sales_vnd", sa.BigInteger(), nullable=False),
        sa.Column("vat_vnd", sa.BigInteger(), nullable=False),
        sa.Column("refunds_vnd", sa.BigInteger(), nullable=False),
        sa.Column("dekad", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint(
            "showroom_id",
            "dekad",
            "product_id",
            "producer_id",
            "ocop_group",
            "ocop_stars",
            name="pk_summary_product_dekad",
        ),
    )
    op.create_index("ix_summary_product_dekad_dekad", "summary_product_dekad", ["dekad"], unique=False)
    # A server that already holds sales: its dekads summed from the daily summary it already has.
    from pos.central.summaries import fill_dekads

    fill_dekads(op.get_bind())


def downgrade() -> None:
    op.drop_index("ix_summary_product_dekad_dekad", table_name="summary_product_dekad")
    op.drop_table("summary_product_dekad")
