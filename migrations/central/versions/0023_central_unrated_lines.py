"""the lines still waiting for their product's stars, indexed apart

Revision ID: 0023_central_unrated_lines
Revises: 0022_central_folded_names
Create Date: 2026-12-07 15:30:00.000000

A product record fills in the OCOP stars and group of the lines that arrived before it (those with no group yet).
Looked up through the index on the product, that read every line the product ever sold, to find none: a showroom
sending its shelf of 300 products again (new prices) made PostgreSQL scan all 25.5 million lines of a year of 100
showrooms, 3.9 s of a push. A partial index holds only the lines still without a group, a handful at any time.
"""

from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

revision: str = "0023_central_unrated_lines"
down_revision: str | None = "0022_central_folded_names"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_sale_line_unrated", "sale_line", ["product_id"], postgresql_where=text("ocop_group IS NULL"))


def downgrade() -> None:
    op.drop_index("ix_sale_line_unrated", table_name="sale_line")
