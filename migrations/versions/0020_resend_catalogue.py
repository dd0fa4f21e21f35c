"""send the whole catalogue to the central server once more, now with how each product is sold and its story

Revision ID: 0020_resend_catalogue
Revises: 0019_receipt_language
Create Date: 2026-12-07 02:00:00

Product records gained ``sold_by`` and the product's story (version 2). The central server read every product
sent before as sold by the piece; clearing ``snapshot_done`` makes the next sync enqueue every producer and
product again (pos/sync/client.py prepare_outbox), so weighed goods and stories reach the office.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020_resend_catalogue"
down_revision: str | None = "0019_receipt_language"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("UPDATE syncstate SET snapshot_done = 0 WHERE snapshot_done")


def downgrade() -> None:
    pass
