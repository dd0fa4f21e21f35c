"""Promotions set at the central office: marked by their central UUID, products named by catalogue link

Existing promotions are the showroom's own (central_uuid empty) and stay editable.

Revision ID: 0022_central_promotions
Revises: 0021_transfer_cancel
Create Date: 2026-12-07 01:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0022_central_promotions"
down_revision: str | None = "0021_transfer_cancel"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "centralpromotionitem",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("promotion_id", sa.Integer(), nullable=False),
        sa.Column("catalog_uuid", sa.Uuid(), nullable=False),
        sa.Column("barcode", sqlmodel.sql.sqltypes.AutoString(length=14), nullable=True),
        sa.Column("qty", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["promotion_id"], ["promotion.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("centralpromotionitem", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_centralpromotionitem_catalog_uuid"), ["catalog_uuid"], unique=False)
        batch_op.create_index(batch_op.f("ix_centralpromotionitem_promotion_id"), ["promotion_id"], unique=False)
    with op.batch_alter_table("promotion", schema=None) as batch_op:
        batch_op.add_column(sa.Column("central_uuid", sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f("ix_promotion_central_uuid"), ["central_uuid"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("promotion", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_promotion_central_uuid"))
        batch_op.drop_column("central_uuid")
    with op.batch_alter_table("centralpromotionitem", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_centralpromotionitem_promotion_id"))
        batch_op.drop_index(batch_op.f("ix_centralpromotionitem_catalog_uuid"))
    op.drop_table("centralpromotionitem")
