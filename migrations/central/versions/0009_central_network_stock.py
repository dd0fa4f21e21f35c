"""stock levels, lots, transfers and settlements from the showrooms

Revision ID: 0009_central_network_stock
Revises: 0008_central_customer
Create Date: 2026-12-06 22:49:27.273632
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009_central_network_stock"
down_revision: str | None = "0008_central_customer"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "transfer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.Uuid(), nullable=False),
        sa.Column("number", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("from_showroom_id", sa.Integer(), nullable=False),
        sa.Column("to_showroom_code", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("lines", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("qty_sent", sa.Integer(), nullable=False),
        sa.Column("qty_received", sa.Integer(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_by", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
        sa.Column("receipt_note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["from_showroom_id"],
            ["showroom.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uuid"),
    )
    op.create_index(op.f("ix_transfer_from_showroom_id"), "transfer", ["from_showroom_id"], unique=False)
    op.create_index(op.f("ix_transfer_revision"), "transfer", ["revision"], unique=False)
    op.create_index(op.f("ix_transfer_status"), "transfer", ["status"], unique=False)
    op.create_index("ix_transfer_to_code_revision", "transfer", ["to_showroom_code", "revision"], unique=False)
    op.create_table(
        "settlement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.Uuid(), nullable=False),
        sa.Column("showroom_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("number", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("producer_id", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("is_consignment", sa.Boolean(), nullable=False),
        sa.Column("commission_bp", sa.Integer(), nullable=False),
        sa.Column("net_sales_vnd", sa.BigInteger(), nullable=False),
        sa.Column("commission_vnd", sa.BigInteger(), nullable=False),
        sa.Column("amount_owed_vnd", sa.BigInteger(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_by", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paid_reference", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("quantities", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.ForeignKeyConstraint(
            ["producer_id"],
            ["producer.id"],
        ),
        sa.ForeignKeyConstraint(
            ["showroom_id"],
            ["showroom.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("showroom_id", "uuid", name="uq_settlement_showroom_uuid"),
    )
    op.create_index("ix_settlement_producer_period", "settlement", ["producer_id", "period_end"], unique=False)
    op.create_index(op.f("ix_settlement_showroom_id"), "settlement", ["showroom_id"], unique=False)
    op.create_table(
        "stock_level",
        sa.Column("showroom_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("qty", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["product.id"],
        ),
        sa.ForeignKeyConstraint(
            ["showroom_id"],
            ["showroom.id"],
        ),
        sa.PrimaryKeyConstraint("showroom_id", "product_id", name="pk_stock_level"),
    )
    op.create_index(op.f("ix_stock_level_product_id"), "stock_level", ["product_id"], unique=False)
    op.create_table(
        "stock_lot",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.Uuid(), nullable=False),
        sa.Column("showroom_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("lot_code", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("expiry_date", sa.Date(), nullable=True),
        sa.Column("manufactured_on", sa.Date(), nullable=True),
        sa.Column("qty", sa.Integer(), nullable=False),
        sa.Column("recalled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recall_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["product.id"],
        ),
        sa.ForeignKeyConstraint(
            ["showroom_id"],
            ["showroom.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("showroom_id", "uuid", name="uq_stock_lot_showroom_uuid"),
    )
    op.create_index("ix_stock_lot_expiry", "stock_lot", ["expiry_date"], unique=False)
    op.create_index(op.f("ix_stock_lot_product_id"), "stock_lot", ["product_id"], unique=False)


def downgrade() -> None:

    op.drop_index(op.f("ix_stock_lot_product_id"), table_name="stock_lot")
    op.drop_index("ix_stock_lot_expiry", table_name="stock_lot")
    op.drop_table("stock_lot")
    op.drop_index(op.f("ix_stock_level_product_id"), table_name="stock_level")
    op.drop_table("stock_level")
    op.drop_index(op.f("ix_settlement_showroom_id"), table_name="settlement")
    op.drop_index("ix_settlement_producer_period", table_name="settlement")
    op.drop_table("settlement")
    op.drop_index("ix_transfer_to_code_revision", table_name="transfer")
    op.drop_index(op.f("ix_transfer_status"), table_name="transfer")
    op.drop_index(op.f("ix_transfer_revision"), table_name="transfer")
    op.drop_index(op.f("ix_transfer_from_showroom_id"), table_name="transfer")
    op.drop_table("transfer")
