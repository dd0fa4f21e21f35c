"""summary rows of products not yet known, found by product (a partial index)

Revision ID: 0006_central_summary_unknown
Revises: 0005_central_shift_till
Create Date: 2026-12-06 21:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_central_summary_unknown"
down_revision: str | None = "0005_central_shift_till"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# When a product's record arrives, the ingest looks for the days that summed it without its OCOP group (a stub
# known from its lines); without this index that was a scan of every summary row (2,9 s for a year of 100
# showrooms).
def upgrade() -> None:
    op.create_index(
        "ix_summary_product_day_unknown",
        "summary_product_day",
        ["product_id"],
        unique=False,
        postgresql_where=sa.text("ocop_group = ''"),
    )


def downgrade() -> None:
    op.drop_index("ix_summary_product_day_unknown", table_name="summary_product_day")
