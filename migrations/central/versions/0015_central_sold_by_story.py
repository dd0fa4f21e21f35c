"""products sold by weight and their story at the central server; grams summed apart from pieces

Revision ID: 0015_central_sold_by_story
Revises: 0014_central_sale_customer
Create Date: 2026-12-07 02:00:00

Product records carry ``sold_by`` and the product's story since their version 2. The product summaries sum
the grams of weighed goods apart from the pieces of the rest (``grams_sold``, ``grams_returned``), so that no
quantity column ever adds grams to pieces. Every product here so far reads as sold by the piece until its
showroom sends its record again (a showroom's migration 0020 resends its whole catalogue once), and the
summaries already hold every line as pieces, which agrees with that: nothing to recompute on a server at
0014. A server upgraded from before 0003 with sales has no summaries yet (0003 and 0012 leave them to this
revision, whose columns their SQL needs): they are built here.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0015_central_sold_by_story"
down_revision: str | None = "0014_central_sale_customer"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STORY = (
    ("name_en", 200),
    ("description_vi", 500),
    ("description_en", 500),
    ("origin_commune", 80),
    ("origin_district", 80),
    ("origin_province", 80),
    ("producer_story", 2000),
    ("trace_url", 500),
)
SUMMARIES = ("summary_product_day", "summary_product_month", "summary_product_dekad")


def upgrade() -> None:
    with op.batch_alter_table("product") as batch:
        batch.add_column(
            sa.Column("sold_by", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False, server_default="piece")
        )
        for name, length in STORY:
            batch.add_column(
                sa.Column(name, sqlmodel.sql.sqltypes.AutoString(length=length), nullable=False, server_default="")
            )
    for table in SUMMARIES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("grams_sold", sa.BigInteger(), nullable=False, server_default="0"))
            batch.add_column(sa.Column("grams_returned", sa.BigInteger(), nullable=False, server_default="0"))
    bind = op.get_bind()
    empty = bind.execute(sa.text("SELECT NOT EXISTS (SELECT 1 FROM summary_showroom_day)")).scalar_one()
    if empty:
        from pos.central.summaries import rebuild

        rebuild(bind)


def downgrade() -> None:
    for table in SUMMARIES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("grams_returned")
            batch.drop_column("grams_sold")
    with op.batch_alter_table("product") as batch:
        for name, _ in reversed(STORY):
            batch.drop_column(name)
        batch.drop_column("sold_by")
