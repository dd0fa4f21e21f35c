"""every record scoped by its showroom; the sync issues the office sees

Revision ID: 0004_central_showroom_scope
Revises: 0003_central_summaries
Create Date: 2026-12-06 20:10:00

A record was matched by its UUID alone, so one showroom's push could overwrite, hide, void or refer to
another's. Each UUID is now unique within its showroom only (producers and products belong to the showroom
that reported them), and what the ingest holds aside or flags is kept in ``sync_issue``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004_central_showroom_scope"
down_revision: str | None = "0003_central_summaries"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, column, the old unique constraint's name) for the tables with a showroom_id column
SCOPED = [
    ("sale", "uuid", "sale_uuid_key"),
    ("sale_void", "sale_uuid", "sale_void_sale_uuid_key"),
    ("sale_return", "uuid", "sale_return_uuid_key"),
    ("shift_close", "uuid", "shift_close_uuid_key"),
    ("intake", "uuid", "intake_uuid_key"),
    ("stock_movement", "uuid", "stock_movement_uuid_key"),
    ("audit_entry", "uuid", "audit_entry_uuid_key"),
]
OWNED = ["producer", "product"]  # owner column first_showroom_id


def upgrade() -> None:
    for table, column, old in SCOPED:
        op.drop_constraint(old, table, type_="unique")
        op.create_unique_constraint(f"uq_{table}_showroom_{column}", table, ["showroom_id", column])
        op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=False)
    for table in OWNED:
        # A row made before owners were kept belongs to the first showroom that sold it, else to the first one.
        op.execute(
            f"UPDATE {table} SET first_showroom_id = coalesce("
            f"(SELECT min(sl.showroom_id) FROM sale_line sl WHERE sl.{table}_id = {table}.id), "
            "(SELECT min(id) FROM showroom)) WHERE first_showroom_id IS NULL"
        )
        op.alter_column(table, "first_showroom_id", existing_type=sa.Integer(), nullable=False)
        op.drop_index(f"ix_{table}_uuid", table_name=table)
        op.create_index(f"ix_{table}_uuid", table, ["uuid"], unique=False)
        op.create_unique_constraint(f"uq_{table}_showroom_uuid", table, ["first_showroom_id", "uuid"])

    op.create_table(
        "sync_issue",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("showroom_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("entity_uuid", sa.Uuid(), nullable=False),
        sa.Column("problem", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("is_held", sa.Boolean(), nullable=False),
        sa.Column("other_showroom_id", sa.Integer(), nullable=True),
        sa.Column("detail", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["other_showroom_id"], ["showroom.id"]),
        sa.ForeignKeyConstraint(["showroom_id"], ["showroom.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_sync_issue_showroom_at", "sync_issue", ["showroom_id", "at"], unique=False)
    op.create_index(op.f("ix_sync_issue_problem"), "sync_issue", ["problem"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_sync_issue_problem"), table_name="sync_issue")
    op.drop_index("ix_sync_issue_showroom_at", table_name="sync_issue")
    op.drop_table("sync_issue")
    for table in reversed(OWNED):
        op.drop_constraint(f"uq_{table}_showroom_uuid", table, type_="unique")
        op.drop_index(f"ix_{table}_uuid", table_name=table)
        op.create_index(f"ix_{table}_uuid", table, ["uuid"], unique=True)
        op.alter_column(table, "first_showroom_id", existing_type=sa.Integer(), nullable=True)
    for table, column, old in reversed(SCOPED):
        op.drop_index(op.f(f"ix_{table}_{column}"), table_name=table)
        op.drop_constraint(f"uq_{table}_showroom_{column}", table, type_="unique")
        op.create_unique_constraint(old, table, [column])
