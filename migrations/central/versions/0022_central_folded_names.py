"""names folded once, when written: the office's accent-insensitive filters read a stored column

Revision ID: 0022_central_folded_names
Revises: 0021_central_sale_record_no_fk
Create Date: 2026-12-07 12:40:00.000000

The stock pages' product and producer filters compared ``fold_text(name)`` with the folded request, so every
query folded every product of the network again: 200,000 products for 100 showrooms × 2,000, 4.4 s a page (the
function's translate() scans its 900 letters for each character). Each of these tables now keeps its name folded
in a generated column, computed by PostgreSQL when the row is written (the same fold_text), and the filters
read it: a LIKE over stored text. A transfer keeps its lines' text folded the same way. If fold_text is ever
changed, these columns are rewritten by re-adding them in that revision.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0022_central_folded_names"
down_revision: str | None = "0021_central_sale_record_no_fk"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> (column, what is folded)
FOLDED = {
    "product": ("name_folded", "name"),
    "producer": ("name_folded", "name"),
    "settlement_line": ("name_folded", "name"),
    "transfer": ("lines_folded", "lines::text"),
}


def upgrade() -> None:
    for table, (column, source) in FOLDED.items():
        op.execute(f"ALTER TABLE {table} ADD COLUMN {column} text GENERATED ALWAYS AS (fold_text({source})) STORED")


def downgrade() -> None:
    for table, (column, _) in FOLDED.items():
        op.drop_column(table, column)
