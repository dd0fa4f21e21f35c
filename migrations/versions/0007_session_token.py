"""Users get a session token, carried by every login cookie

A new token (logout, new password, deactivation) ends all of the user's logins at once. Every user gets a
random one here, so the logins made before the upgrade end with it.

Revision ID: 0007_session_token
Revises: 0006_till_checks
Create Date: 2026-12-06 21:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007_session_token"
down_revision: str | None = "0006_till_checks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE (a batch copy would drop "user", which every other table refers to); the empty
    # default is never a valid token (the user loader refuses it) and is replaced at once.
    op.execute("""ALTER TABLE "user" ADD COLUMN session_token VARCHAR(64) NOT NULL DEFAULT ''""")
    op.execute('UPDATE "user" SET session_token = lower(hex(randomblob(16)))')


def downgrade() -> None:
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("session_token")
