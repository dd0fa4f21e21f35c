"""A product's story: English name, VI/EN descriptions, origin, producer's story and traceability link

One optional row per product (productstory); products without a story have none, so existing data needs
nothing done.

Revision ID: 0013_product_story
Revises: 0012_customers
Create Date: 2026-12-06 23:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import pos.db

revision: str = "0013_product_story"
down_revision: str | None = "0012_customers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "productstory",
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("name_en", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("description_vi", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("description_en", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("origin_commune", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("origin_district", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("origin_province", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("producer_story", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("trace_url", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("updated_at", pos.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["product_id"], ["product.id"]),
        sa.PrimaryKeyConstraint("product_id"),
    )


def downgrade() -> None:
    op.drop_table("productstory")
