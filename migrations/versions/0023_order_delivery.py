"""company orders handed over in parts: delivery notes and what each one delivered

New tables only; an order fulfilled before this revision has no delivery row (its sale is on the order).

Revision ID: 0023_order_delivery
Revises: 0022_central_promotions
Create Date: 2026-12-07 01:50:12.049850
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import pos.db

revision: str = "0023_order_delivery"
down_revision: str | None = "0022_central_promotions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "orderdelivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("seq_no", sa.Integer(), nullable=False),
        sa.Column("number", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("sale_id", sa.Integer(), nullable=True),
        sa.Column("prepaid_vnd", sa.Integer(), nullable=False),
        sa.Column("receiver_name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("delivered_by_id", sa.Integer(), nullable=False),
        sa.Column("delivered_at", pos.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivered_by_id"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["companyorder.id"],
        ),
        sa.ForeignKeyConstraint(
            ["sale_id"],
            ["sale.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
        sa.UniqueConstraint("sale_id"),
    )
    with op.batch_alter_table("orderdelivery", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_orderdelivery_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_orderdelivery_uuid"), ["uuid"], unique=True)

    op.create_table(
        "orderdeliveryline",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=False),
        sa.Column("qty", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["orderdelivery.id"],
        ),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["orderline.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("orderdeliveryline", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_orderdeliveryline_delivery_id"), ["delivery_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_orderdeliveryline_order_line_id"), ["order_line_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("orderdeliveryline", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_orderdeliveryline_order_line_id"))
        batch_op.drop_index(batch_op.f("ix_orderdeliveryline_delivery_id"))

    op.drop_table("orderdeliveryline")
    with op.batch_alter_table("orderdelivery", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_orderdelivery_uuid"))
        batch_op.drop_index(batch_op.f("ix_orderdelivery_order_id"))

    op.drop_table("orderdelivery")
