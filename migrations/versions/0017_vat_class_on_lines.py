"""sale lines keep their VAT class (KCT is not 0 %); the KKKNT class

Revision ID: 0017_vat_class_on_lines
Revises: 0016_sold_by_weight
Create Date: 2026-12-06 23:15:00
"""

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0017_vat_class_on_lines"
down_revision: str | None = "0016_sold_by_weight"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

vat_rate = sa.table(
    "vatrate",
    sa.column("vat_class", sa.String),
    sa.column("valid_from", sa.Date),
    sa.column("rate_bp", sa.Integer),
    sa.column("note", sa.String),
)


def upgrade() -> None:
    with op.batch_alter_table("saleline") as batch:
        batch.add_column(
            sa.Column(
                "vat_class",
                sqlmodel.sql.sqltypes.AutoString(length=12),
                nullable=False,
                server_default="standard",
            )
        )
    # Lines sold before: the class their product has now (the best the database knows).
    op.execute(
        "UPDATE saleline SET vat_class = coalesce("
        "(SELECT product.vat_class FROM product WHERE product.id = saleline.product_id), 'standard')"
    )
    op.bulk_insert(
        vat_rate,
        [
            {
                "vat_class": "untaxed",
                "valid_from": date(2000, 1, 1),
                "rate_bp": 0,
                "note": "Không kê khai, tính nộp thuế GTGT",
            }
        ],
    )


def downgrade() -> None:
    op.execute(vat_rate.delete().where(vat_rate.c.vat_class == "untaxed"))
    with op.batch_alter_table("saleline") as batch:
        batch.drop_column("vat_class")
