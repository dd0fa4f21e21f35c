"""Lots of food products: the lot table, the lot of each stock movement and cart line

Existing stock of food products is put into lots made from their intake lines: a line with a lot code
joins the product's lot of that code and expiry date; what each lot still holds is the old first-in
estimate (stock left oldest-received first, i.e. on hand filled from the newest delivery back); stock the
intake lines do not explain (found goods, counts) goes into one lot without a code or date, so every
food product's lots add up to its on hand. Intake movements are tagged with their lot; the lot's
opening_qty carries the history from before lots were kept (lot qty = opening_qty + its movements).

Revision ID: 0005_lots
Revises: 0004_outbox_version
Create Date: 2026-12-06 20:30:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import uuid4

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import pos.db

revision: str = "0005_lots"
down_revision: str | None = "0004_outbox_version"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("intake_line_id", sa.Integer(), nullable=True),
        sa.Column("lot_code", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("manufactured_on", sa.Date(), nullable=True),
        sa.Column("expiry_date", sa.Date(), nullable=True),
        sa.Column("qty", sa.Integer(), nullable=False),
        sa.Column("opening_qty", sa.Integer(), nullable=False),
        sa.Column("barcode", sqlmodel.sql.sqltypes.AutoString(length=14), nullable=True),
        sa.Column("recalled_at", pos.db.UTCDateTime(), nullable=True),
        sa.Column("recall_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("recalled_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", pos.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["intake_line_id"], ["intakeline.id"]),
        sa.ForeignKeyConstraint(["product_id"], ["product.id"]),
        sa.ForeignKeyConstraint(["recalled_by_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("lot", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lot_barcode"), ["barcode"], unique=True)
        batch_op.create_index(batch_op.f("ix_lot_expiry_date"), ["expiry_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_lot_product_id"), ["product_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_lot_uuid"), ["uuid"], unique=True)
    with op.batch_alter_table("stockmovement", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lot_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_stockmovement_lot_id"), ["lot_id"], unique=False)
        batch_op.create_foreign_key("fk_stockmovement_lot_id_lot", "lot", ["lot_id"], ["id"])
    with op.batch_alter_table("cartline", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lot_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_cartline_lot_id_lot", "lot", ["lot_id"], ["id"])
    _lots_from_intake_lines()


lot_table = sa.table(
    "lot",
    sa.column("id", sa.Integer),
    sa.column("uuid", sa.Uuid),
    sa.column("product_id", sa.Integer),
    sa.column("intake_line_id", sa.Integer),
    sa.column("lot_code", sa.String),
    sa.column("manufactured_on", sa.String),  # as read back by raw SQL: ISO text
    sa.column("expiry_date", sa.String),
    sa.column("qty", sa.Integer),
    sa.column("opening_qty", sa.Integer),
    sa.column("recall_reason", sa.String),
    sa.column("created_at", pos.db.UTCDateTime),
)


def _lots_from_intake_lines() -> None:
    bind = op.get_bind()
    now = datetime.now(UTC)
    levels = dict(
        bind.execute(
            sa.text(
                "SELECT p.id, COALESCE(s.qty, 0) FROM product p LEFT JOIN stocklevel s ON s.product_id = p.id "
                "WHERE p.is_food"
            )
        ).all()
    )
    lines = bind.execute(
        sa.text(
            "SELECT l.id, l.product_id, l.qty, l.lot_code, l.manufactured_on, l.expiry_date FROM intakeline l "
            "JOIN intake i ON i.id = l.intake_id JOIN product p ON p.id = l.product_id WHERE p.is_food "
            "ORDER BY i.received_on DESC, l.id DESC"
        )
    ).all()
    remaining = {pid: max(int(qty), 0) for pid, qty in levels.items()}
    # lot key -> [first line id, product, code, made, expiry, received, left, line ids]
    lots: dict[tuple, list] = {}
    for line_id, product_id, qty, code, made, expiry in lines:
        take = min(max(int(qty), 0), remaining[product_id])
        remaining[product_id] -= take
        key = (product_id, code, expiry) if code else (product_id, "", expiry, line_id)
        lot = lots.setdefault(key, [line_id, product_id, code, made, expiry, 0, 0, []])
        lot[0] = min(lot[0], line_id)
        lot[5] += int(qty)
        lot[6] += take
        lot[7].append(line_id)
    for first_line, product_id, code, made, expiry, received, left, line_ids in lots.values():
        new_id = bind.execute(
            lot_table.insert()
            .values(
                uuid=uuid4(),
                product_id=product_id,
                intake_line_id=first_line,
                lot_code=code or "",
                manufactured_on=made,
                expiry_date=expiry,
                qty=left,
                opening_qty=left - received,
                recall_reason="",
                created_at=now,
            )
            .returning(lot_table.c.id)
        ).scalar_one()
        bind.execute(
            sa.text(
                "UPDATE stockmovement SET lot_id = :lot WHERE kind = 'intake' AND intake_line_id IN :ids"
            ).bindparams(sa.bindparam("ids", expanding=True)),
            {"lot": new_id, "ids": line_ids},
        )
    explained: dict[int, int] = {}
    for lot in lots.values():
        explained[lot[1]] = explained.get(lot[1], 0) + lot[6]
    for product_id, level in levels.items():
        rest = int(level) - explained.get(product_id, 0)
        if rest:
            bind.execute(
                lot_table.insert().values(
                    uuid=uuid4(),
                    product_id=product_id,
                    lot_code="",
                    qty=rest,
                    opening_qty=rest,
                    recall_reason="",
                    created_at=now,
                )
            )


def downgrade() -> None:
    with op.batch_alter_table("cartline", schema=None) as batch_op:
        batch_op.drop_constraint("fk_cartline_lot_id_lot", type_="foreignkey")
        batch_op.drop_column("lot_id")
    with op.batch_alter_table("stockmovement", schema=None) as batch_op:
        batch_op.drop_constraint("fk_stockmovement_lot_id_lot", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_stockmovement_lot_id"))
        batch_op.drop_column("lot_id")
    with op.batch_alter_table("lot", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lot_uuid"))
        batch_op.drop_index(batch_op.f("ix_lot_product_id"))
        batch_op.drop_index(batch_op.f("ix_lot_expiry_date"))
        batch_op.drop_index(batch_op.f("ix_lot_barcode"))
    op.drop_table("lot")
