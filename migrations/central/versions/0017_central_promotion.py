"""promotions set at the central office for every showroom or a chosen list (pulled with the catalogue)

Revision ID: 0017_central_promotion
Revises: 0016_central_transfer_cancel
Create Date: 2026-12-07 01:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0017_central_promotion"
down_revision: str | None = "0016_central_transfer_cancel"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "central_promotion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.Uuid(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("target", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("target_value", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("percent_bp", sa.Integer(), nullable=False),
        sa.Column("price_vnd", sa.BigInteger(), nullable=False),
        sa.Column("buy_qty", sa.Integer(), nullable=False),
        sa.Column("get_qty", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("borne_by", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("all_showrooms", sa.Boolean(), nullable=False),
        sa.Column("ever_all", sa.Boolean(), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_by", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uuid"),
    )
    op.create_index(op.f("ix_central_promotion_revision"), "central_promotion", ["revision"], unique=False)
    op.create_table(
        "central_promotion_showroom",
        sa.Column("promotion_id", sa.Integer(), nullable=False),
        sa.Column("showroom_id", sa.Integer(), nullable=False),
        sa.Column("is_chosen", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["promotion_id"],
            ["central_promotion.id"],
        ),
        sa.ForeignKeyConstraint(
            ["showroom_id"],
            ["showroom.id"],
        ),
        sa.PrimaryKeyConstraint("promotion_id", "showroom_id"),
    )
    op.create_index(
        op.f("ix_central_promotion_showroom_showroom_id"), "central_promotion_showroom", ["showroom_id"], unique=False
    )
    op.create_table(
        "central_promotion_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("promotion_id", sa.Integer(), nullable=False),
        sa.Column("catalog_product_id", sa.Integer(), nullable=False),
        sa.Column("qty", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["catalog_product_id"],
            ["catalog_product.id"],
        ),
        sa.ForeignKeyConstraint(
            ["promotion_id"],
            ["central_promotion.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_central_promotion_item_catalog_product_id"),
        "central_promotion_item",
        ["catalog_product_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_central_promotion_item_promotion_id"), "central_promotion_item", ["promotion_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_central_promotion_item_promotion_id"), table_name="central_promotion_item")
    op.drop_index(op.f("ix_central_promotion_item_catalog_product_id"), table_name="central_promotion_item")
    op.drop_table("central_promotion_item")
    op.drop_index(op.f("ix_central_promotion_showroom_showroom_id"), table_name="central_promotion_showroom")
    op.drop_table("central_promotion_showroom")
    op.drop_index(op.f("ix_central_promotion_revision"), table_name="central_promotion")
    op.drop_table("central_promotion")
