"""Stocktake sessions: the book frozen per product/lot, counts from the tills, approval

New tables only; existing stock is untouched until a manager opens and approves a session.

Revision ID: 0018_stocktake
Revises: 0017_vat_class_on_lines
Create Date: 2026-12-06 22:52:56.741296
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import pos.db

revision: str = "0018_stocktake"
down_revision: str | None = "0017_vat_class_on_lines"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stocktake",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.Uuid(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("frozen_at", pos.db.UTCDateTime(), nullable=False),
        sa.Column("frozen_movement_id", sa.Integer(), nullable=False),
        sa.Column("opened_by_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", pos.db.UTCDateTime(), nullable=True),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["closed_by_id"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["opened_by_id"],
            ["user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("stocktake", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stocktake_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_stocktake_uuid"), ["uuid"], unique=True)

    op.create_table(
        "stocktakebook",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stocktake_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=True),
        sa.Column("book_qty", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["lot_id"],
            ["lot.id"],
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["product.id"],
        ),
        sa.ForeignKeyConstraint(
            ["stocktake_id"],
            ["stocktake.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("stocktakebook", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stocktakebook_stocktake_id"), ["stocktake_id"], unique=False)

    op.create_table(
        "stocktakecount",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stocktake_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=True),
        sa.Column("qty_delta", sa.Integer(), nullable=False),
        sa.Column("is_correction", sa.Boolean(), nullable=False),
        sa.Column("movement_mark", sa.Integer(), nullable=False),
        sa.Column("till_id", sa.Integer(), nullable=True),
        sa.Column("counted_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", pos.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["counted_by_id"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["lot_id"],
            ["lot.id"],
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["product.id"],
        ),
        sa.ForeignKeyConstraint(
            ["stocktake_id"],
            ["stocktake.id"],
        ),
        sa.ForeignKeyConstraint(
            ["till_id"],
            ["till.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("stocktakecount", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stocktakecount_stocktake_id"), ["stocktake_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("stocktakecount", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stocktakecount_stocktake_id"))

    op.drop_table("stocktakecount")
    with op.batch_alter_table("stocktakebook", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stocktakebook_stocktake_id"))

    op.drop_table("stocktakebook")
    with op.batch_alter_table("stocktake", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stocktake_uuid"))
        batch_op.drop_index(batch_op.f("ix_stocktake_status"))

    op.drop_table("stocktake")
