"""transfers between showrooms, stock snapshots sent

Revision ID: 0014_transfers
Revises: 0013_product_story
Create Date: 2026-12-06 22:50:57.414196
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import pos.db

revision: str = "0014_transfers"
down_revision: str | None = "0013_product_story"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "transfer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.Uuid(), nullable=False),
        sa.Column("number", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("direction", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("other_showroom", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
        sa.Column("created_at", pos.db.UTCDateTime(), nullable=False),
        sa.Column("received_at", pos.db.UTCDateTime(), nullable=True),
        sa.Column("received_by", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
        sa.Column("receipt_note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("transfer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_transfer_direction"), ["direction"], unique=False)
        batch_op.create_index(batch_op.f("ix_transfer_number"), ["number"], unique=False)
        batch_op.create_index(batch_op.f("ix_transfer_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_transfer_uuid"), ["uuid"], unique=True)

    op.create_table(
        "transferline",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("transfer_id", sa.Integer(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("lot_id", sa.Integer(), nullable=True),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("unit", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("lot_code", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("expiry_date", sa.Date(), nullable=True),
        sa.Column("qty", sa.Integer(), nullable=False),
        sa.Column("qty_received", sa.Integer(), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("wire", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(
            ["lot_id"],
            ["lot.id"],
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["product.id"],
        ),
        sa.ForeignKeyConstraint(
            ["transfer_id"],
            ["transfer.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("transferline", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_transferline_product_id"), ["product_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_transferline_transfer_id"), ["transfer_id"], unique=False)

    with op.batch_alter_table("syncstate", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stock_sent_through", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("stock_sent_at", pos.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("stock_complete_at", pos.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("transfer_revision", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:

    with op.batch_alter_table("syncstate", schema=None) as batch_op:
        batch_op.drop_column("transfer_revision")
        batch_op.drop_column("stock_complete_at")
        batch_op.drop_column("stock_sent_at")
        batch_op.drop_column("stock_sent_through")

    with op.batch_alter_table("transferline", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transferline_transfer_id"))
        batch_op.drop_index(batch_op.f("ix_transferline_product_id"))

    op.drop_table("transferline")
    with op.batch_alter_table("transfer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transfer_uuid"))
        batch_op.drop_index(batch_op.f("ix_transfer_status"))
        batch_op.drop_index(batch_op.f("ix_transfer_number"))
        batch_op.drop_index(batch_op.f("ix_transfer_direction"))

    op.drop_table("transfer")
