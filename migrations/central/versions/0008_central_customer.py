"""customers of the showrooms that send them (kind "customer" records)

Revision ID: 0008_central_customer
Revises: 0007_central_einvoice
Create Date: 2026-12-06 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0008_central_customer"
down_revision: str | None = "0007_central_einvoice"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "customer",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.Uuid(), nullable=False),
        sa.Column("showroom_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("phone", sqlmodel.sql.sqltypes.AutoString(length=15), nullable=False),
        sa.Column("company_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("tax_code", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=250), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["showroom_id"], ["showroom.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("showroom_id", "uuid", name="uq_customer_showroom_uuid"),
    )
    op.create_index(op.f("ix_customer_phone"), "customer", ["phone"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_customer_phone"), table_name="customer")
    op.drop_table("customer")
