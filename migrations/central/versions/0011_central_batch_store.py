"""each push body kept once (sync_batch); no foreign keys on the sale line and payment tables

Revision ID: 0011_central_batch_store
Revises: 0010_central_staff_name
Create Date: 2026-12-06 23:10:00.000000

A record's payload is no longer stored a second time as JSONB: the batch it came in is kept once, as the
gzip bytes that came (``body`` is stored as it is, not compressed again by TOAST). Rows stored before keep
their JSONB payload. The sale line and payment tables lose their foreign keys (the check of every line made
the ingest several times slower); the ingest enforces those references itself (pos/central/ingest.py).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_central_batch_store"
down_revision: str | None = "0010_central_staff_name"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DROPPED = {
    "sale_line": ("sale_id", "showroom_id", "product_id", "producer_id"),
    "payment": ("sale_id", "showroom_id"),
}


def _foreign_keys(table: str) -> dict[str, str]:
    """Column -> name of its foreign key constraint (the names PostgreSQL gave them)."""
    inspector = sa.inspect(op.get_bind())
    return {fk["constrained_columns"][0]: fk["name"] for fk in inspector.get_foreign_keys(table)}


def upgrade() -> None:
    op.create_table(
        "sync_batch",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("showroom_id", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["showroom_id"], ["showroom.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_sync_batch_showroom_at", "sync_batch", ["showroom_id", "received_at"], unique=False)
    op.execute("ALTER TABLE sync_batch ALTER COLUMN body SET STORAGE EXTERNAL")  # already compressed
    op.add_column("sync_record", sa.Column("batch_id", sa.BigInteger(), nullable=True))
    op.alter_column("sync_record", "payload", nullable=True)
    for table, columns in DROPPED.items():
        names = _foreign_keys(table)
        for column in columns:
            if column in names:
                op.drop_constraint(names[column], table, type_="foreignkey")
    op.create_index(op.f("ix_payment_sale_id"), "payment", ["sale_id"], unique=False, if_not_exists=True)


def downgrade() -> None:
    targets = {"sale_id": "sale", "showroom_id": "showroom", "product_id": "product", "producer_id": "producer"}
    for table, columns in DROPPED.items():
        for column in columns:
            op.create_foreign_key(None, table, targets[column], [column], ["id"])
    op.alter_column("sync_record", "payload", nullable=False)
    op.drop_column("sync_record", "batch_id")
    op.drop_index("ix_sync_batch_showroom_at", table_name="sync_batch")
    op.drop_table("sync_batch")
