"""a sale's customer (its uuid at the showroom), for the office's purchases of a customer

Revision ID: 0014_central_sale_customer
Revises: 0013_central_fold_text
Create Date: 2026-12-07 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_central_sale_customer"
down_revision: str | None = "0013_central_fold_text"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A nullable column without a default: PostgreSQL adds it without rewriting the (large) sale table.
    op.add_column("sale", sa.Column("customer_uuid", sa.Uuid(), nullable=True))
    op.create_index(
        "ix_sale_showroom_customer",
        "sale",
        ["showroom_id", "customer_uuid"],
        unique=False,
        postgresql_where=sa.text("customer_uuid IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_sale_showroom_customer", table_name="sale", postgresql_where=sa.text("customer_uuid IS NOT NULL"))
    op.drop_column("sale", "customer_uuid")
