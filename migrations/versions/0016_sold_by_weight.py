"""Goods sold by weight: quantities count pieces or grams (existing: pieces); a product's scale PLU

Revision ID: 0016_sold_by_weight
Revises: 0015_company_orders
Create Date: 2026-12-06 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0016_sold_by_weight"
down_revision: str | None = "0015_company_orders"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Every product and sale line recorded before this was counted in pieces.
    for table in ("product", "saleline"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column(
                    "sold_by", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False, server_default="piece"
                )
            )
    with op.batch_alter_table("product", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scale_plu", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_product_scale_plu"), ["scale_plu"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("product", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_product_scale_plu"))
        batch_op.drop_column("scale_plu")
    for table in ("saleline", "product"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("sold_by")
