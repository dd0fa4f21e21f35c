"""indexes by day alone, for the office's reports over all showrooms

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 10:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The (showroom_id, day) indexes serve one showroom's pages; a report over every showroom filters on the day
# alone and could not use them.
INDEXES = [
    ("ix_sale_sold_on_created_at", "sale", ["sold_on", "created_at"]),
    ("ix_sale_line_sold_on", "sale_line", ["sold_on"]),
    ("ix_sale_return_returned_on", "sale_return", ["returned_on"]),
    ("ix_shift_close_closed_on", "shift_close", ["closed_on"]),
]


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
