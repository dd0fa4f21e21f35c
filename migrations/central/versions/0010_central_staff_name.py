"""who a showroom's username is: the staff's full names for the office

Revision ID: 0010_central_staff_name
Revises: 0009_central_network_stock
Create Date: 2026-12-06 23:00:00

Sales, returns, voids and shift closes carry the staff's full name beside the username since their versions
2 (3 for shift closes); the office shows the name, and the username where a showroom has not sent one yet.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0010_central_staff_name"
down_revision: str | None = "0009_central_network_stock"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "staff_name",
        sa.Column("showroom_id", sa.Integer(), sa.ForeignKey("showroom.id"), nullable=False),
        sa.Column("username", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("full_name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("showroom_id", "username", name="pk_staff_name"),
    )


def downgrade() -> None:
    op.drop_table("staff_name")
