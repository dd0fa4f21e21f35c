"""VAT rates in force since 2000, including the reduced 8% of Nghị quyết 204/2025/QH15

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 18:00:00
"""

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

vat_rate = sa.table(
    "vatrate",
    sa.column("vat_class", sa.String),
    sa.column("valid_from", sa.Date),
    sa.column("rate_bp", sa.Integer),
    sa.column("note", sa.String),
)

ROWS = [
    ("standard", date(2000, 1, 1), 1000, "Thuế suất phổ thông 10%"),
    ("standard", date(2025, 7, 1), 800, "Giảm còn 8% theo Nghị quyết 204/2025/QH15 (đến hết 31/12/2026)"),
    ("standard", date(2027, 1, 1), 1000, "Hết thời hạn giảm thuế, trở lại 10%"),
    ("reduced", date(2000, 1, 1), 500, "Thuế suất 5%"),
    ("zero", date(2000, 1, 1), 0, "Thuế suất 0%"),
    ("exempt", date(2000, 1, 1), 0, "Không chịu thuế GTGT"),
]


def upgrade() -> None:
    op.bulk_insert(
        vat_rate,
        [{"vat_class": c, "valid_from": d, "rate_bp": r, "note": n} for c, d, r, n in ROWS],
    )


def downgrade() -> None:
    for vat_class, valid_from, rate_bp, _note in ROWS:
        op.execute(
            vat_rate.delete().where(
                vat_rate.c.vat_class == vat_class,
                vat_rate.c.valid_from == valid_from,
                vat_rate.c.rate_bp == rate_bp,
            )
        )
