"""OCOP certificates with their issuing authority, issue date, stars and computed validity

Each product that already had a certificate number or expiry date gets one certificate row: its end of
validity as recorded, its issue date taken as 36 months before (the validity then in force), and an
authority left blank for the manager to fill in at the next re-rating.

Revision ID: 0008_ocop_certificates
Revises: 0007_session_token
Create Date: 2026-12-06 21:45:00
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import pos.db

revision: str = "0008_ocop_certificates"
down_revision: str | None = "0007_session_token"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ocopcertificate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("number", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("authority", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("stars", sa.Integer(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", pos.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["product_id"], ["product.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("ocopcertificate", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ocopcertificate_product_id"), ["product_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ocopcertificate_valid_until"), ["valid_until"], unique=False)
    certificate = sa.table(
        "ocopcertificate",
        sa.column("product_id", sa.Integer),
        sa.column("number", sa.String),
        sa.column("authority", sa.String),
        sa.column("issued_on", sa.Date),
        sa.column("stars", sa.Integer),
        sa.column("valid_until", sa.Date),
        sa.column("created_at", pos.db.UTCDateTime),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT id, ocop_cert_number, ocop_stars, ocop_cert_expiry FROM product "
            "WHERE ocop_stars IS NOT NULL AND ocop_cert_expiry IS NOT NULL"
        )
    ).all()
    now = datetime.now(UTC)
    for product_id, number, stars, expiry in rows:
        until = date.fromisoformat(str(expiry)[:10])
        issued = (
            until.replace(year=until.year - 3)
            if not (until.month == 2 and until.day == 29)
            else date(until.year - 3, 2, 28)
        )
        bind.execute(
            certificate.insert().values(
                product_id=product_id,
                number=number or "",
                authority="",
                issued_on=issued,
                stars=stars,
                valid_until=until,
                created_at=now,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("ocopcertificate", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ocopcertificate_valid_until"))
        batch_op.drop_index(batch_op.f("ix_ocopcertificate_product_id"))
    op.drop_table("ocopcertificate")
