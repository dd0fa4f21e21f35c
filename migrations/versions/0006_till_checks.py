"""Discount approvals remember what they covered; a sale remembers its cart

Cart and cart line: the base and the amount the manager approved (re-checked when the cart changes).
Sale: who approved the discount on the whole sale, and the cart it was sold from (its idempotency key
serves no other cart); sale line: who approved the line's discount.

Revision ID: 0006_till_checks
Revises: 0005_lots
Create Date: 2026-12-06 20:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_till_checks"
down_revision: str | None = "0005_lots"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE: a batch copy of cart, sale or saleline would drop a table other tables refer to.
    for table in ("cart", "cartline"):
        op.add_column(table, sa.Column("discount_approved_base_vnd", sa.Integer(), nullable=True))
        op.add_column(table, sa.Column("discount_approved_vnd", sa.Integer(), nullable=True))
    op.add_column("sale", sa.Column("cart_id", sa.Integer(), nullable=True))
    op.execute('ALTER TABLE sale ADD COLUMN sale_discount_approved_by_id INTEGER REFERENCES "user" (id)')
    op.execute('ALTER TABLE saleline ADD COLUMN discount_approved_by_id INTEGER REFERENCES "user" (id)')


def downgrade() -> None:
    with op.batch_alter_table("saleline", schema=None) as batch_op:
        batch_op.drop_column("discount_approved_by_id")
    with op.batch_alter_table("sale", schema=None) as batch_op:
        batch_op.drop_column("sale_discount_approved_by_id")
        batch_op.drop_column("cart_id")
    for table in ("cartline", "cart"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("discount_approved_vnd")
            batch_op.drop_column("discount_approved_base_vnd")
