"""Upgrades keep the data: a showroom database at the OLDEST migration, full of sales, is upgraded to the newest.

The rows are written with raw SQL as they were valid at the first revision (the models of today are not used
to write them), then `alembic upgrade head` runs, and every sale, stock figure and unsent outbox record is
found as it was, read back both row by row and through today's domain code; a sale rung up afterwards takes
the next receipt number and stock from the same ledger.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from alembic.script import ScriptDirectory
from sqlmodel import Session, select
from werkzeug.security import generate_password_hash

from pos.db import make_engine, session_scope
from pos.inventory.ledger import ledger_mismatches, lot_mismatches, on_hand_many
from pos.inventory.models import Lot
from pos.migrate import alembic_config, upgrade
from pos.sales.cart import get_or_create_active_cart
from pos.sales.checkout import complete_sale
from pos.sales.models import Payment, Sale, SaleLine
from pos.sales.pricing import PaymentInput
from pos.sales.scanning import add_product
from pos.sync.client import waiting_count
from pos.sync.models import OutboxRecord

WHEN = datetime(2026, 3, 14, 3, 30, tzinfo=UTC)  # 10:30 in Hà Nội
STAMP = WHEN.strftime("%Y-%m-%d %H:%M:%S.%f")
TABLES = ["user", "producer", "product", "shift", "sale", "saleline", "payment", "stockmovement", "stocklevel"]
TABLES += ["intake", "intakeline", "outboxrecord", "counter"]


def revisions() -> tuple[str, str]:
    """The first and the newest revision of the showroom schema."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    base = script.get_base()
    head = script.get_current_head()
    assert base and head
    return base, head


def insert(conn: sqlite3.Connection, table: str, **values: Any) -> int:
    """INSERT with the given values; a NOT NULL column added to the first revision later gets a neutral value."""
    for _cid, name, decl, notnull, default, pk in conn.execute(f'PRAGMA table_info("{table}")'):
        if name in values or not notnull or default is not None or pk:
            continue
        decl = decl.upper()
        if decl.startswith("CHAR(32)"):
            values[name] = uuid4().hex
        elif decl.startswith(("INTEGER", "BOOLEAN", "NUMERIC")):
            values[name] = 0
        elif decl.startswith("DATETIME"):
            values[name] = STAMP
        elif decl.startswith("DATE"):
            values[name] = WHEN.date().isoformat()
        else:
            values[name] = ""
    columns = ", ".join(f'"{c}"' for c in values)
    marks = ", ".join("?" for _ in values)
    cursor = conn.execute(f'INSERT INTO "{table}" ({columns}) VALUES ({marks})', list(values.values()))
    return int(cursor.lastrowid or 0)


def fill_at_first_revision(path: Path) -> dict[str, Any]:
    """A showroom at revision one: two products received, three sales (one split, one voided), outbox unsent."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA foreign_keys=ON")
    cashier = insert(
        conn,
        "user",
        uuid=uuid4().hex,
        username="thungan",
        full_name="Nguyễn Thị Thu Ngân",
        role="cashier",
        password_hash=generate_password_hash("thungan-pass"),
        is_active=1,
        created_at=STAMP,
    )
    producer_uuid = uuid4().hex
    producer = insert(
        conn,
        "producer",
        uuid=producer_uuid,
        name="HTX Mật ong Mèo Vạc",
        name_search="htx mat ong meo vac",
        kind="htx",
        province="Hà Giang",
        district="Mèo Vạc",
        address="",
        contact_name="",
        phone="",
        email="",
        bank_account="",
        commission_bp=2000,
        is_consignment=1,
        is_active=1,
        created_at=STAMP,
        updated_at=STAMP,
    )
    products = {}
    for sku, name, price, barcode in [
        ("MO-01", "Mật ong bạc hà Mèo Vạc", 185_000, "2000000000015"),
        ("CHE-01", "Chè Shan tuyết", 240_000, "2000000000022"),
    ]:
        products[sku] = insert(
            conn,
            "product",
            uuid=uuid4().hex,
            sku=sku,
            barcode=barcode,
            name=name,
            name_search=name.lower(),
            unit="hũ",
            price_vnd=price,
            cost_vnd=price * 7 // 10,
            vat_class="standard",
            ocop_group="thuc_pham",
            ocop_stars=4,
            ocop_cert_number="",
            producer_id=producer,
            is_food=1,
            is_active=1,
            created_at=STAMP,
            updated_at=STAMP,
        )
    intake_uuid = uuid4().hex
    intake = insert(
        conn,
        "intake",
        uuid=intake_uuid,
        producer_id=producer,
        received_on="2026-03-01",
        delivery_note_number="PGH-7",
        note="",
        created_at=STAMP,
    )
    stock = {}
    for line_no, (sku, qty) in enumerate([("MO-01", 40), ("CHE-01", 25)], start=1):
        line = insert(
            conn,
            "intakeline",
            intake_id=intake,
            line_no=line_no,
            product_id=products[sku],
            qty=qty,
            unit_cost_vnd=100_000,
            lot_code=f"LO{line_no}",
            expiry_date="2027-03-01",
        )
        insert(
            conn,
            "stockmovement",
            uuid=uuid4().hex,
            product_id=products[sku],
            kind="intake",
            qty_delta=qty,
            unit_cost_vnd=100_000,
            reason="",
            note="",
            intake_line_id=line,
            created_at=STAMP,
        )
        stock[products[sku]] = qty
    insert(conn, "outboxrecord", kind="intake", entity_uuid=intake_uuid, payload="{}", created_at=STAMP, sent_at=STAMP)
    shift_uuid = uuid4().hex
    shift = insert(
        conn,
        "shift",
        uuid=shift_uuid,
        cashier_id=cashier,
        status="open",
        opened_at=STAMP,
        opening_float_vnd=500_000,
        count_detail="",
        z_report="",
    )
    sales = [
        ("SR01-2026-000001", [("MO-01", 2)], [("cash", None)], "completed"),
        ("SR01-2026-000002", [("MO-01", 1), ("CHE-01", 3)], [("transfer", 500_000), ("cash", None)], "completed"),
        ("SR01-2026-000003", [("CHE-01", 1)], [("card", None)], "voided"),
    ]
    prices = {"MO-01": 185_000, "CHE-01": 240_000}
    for number, lines, payments, status in sales:
        total = sum(prices[sku] * qty for sku, qty in lines)
        vat = sum(round(prices[sku] * qty * 800 / 10800) for sku, qty in lines)
        sale_uuid = uuid4()
        sale = insert(
            conn,
            "sale",
            uuid=sale_uuid.hex,
            receipt_number=number,
            idempotency_key=str(uuid4()),
            shift_id=shift,
            cashier_id=cashier,
            status=status,
            subtotal_vnd=total,
            line_discount_vnd=0,
            sale_discount_vnd=0,
            total_vnd=total,
            vat_vnd=vat,
            reprint_count=0,
            created_at=STAMP,
            voided_at=STAMP if status == "voided" else None,
            void_reason="Khách đổi ý" if status == "voided" else "",
        )
        for line_no, (sku, qty) in enumerate(lines, start=1):
            line = insert(
                conn,
                "saleline",
                sale_id=sale,
                line_no=line_no,
                product_id=products[sku],
                producer_id=producer,
                name=sku,
                sku=sku,
                unit="hũ",
                qty=qty,
                unit_price_vnd=prices[sku],
                discount_vnd=0,
                total_vnd=prices[sku] * qty,
                vat_rate_bp=800,
                vat_vnd=round(prices[sku] * qty * 800 / 10800),
                unit_cost_vnd=100_000,
            )
            deltas = [("sale", -qty)] + ([("void", qty)] if status == "voided" else [])
            for kind, delta in deltas:
                insert(
                    conn,
                    "stockmovement",
                    uuid=uuid4().hex,
                    product_id=products[sku],
                    kind=kind,
                    qty_delta=delta,
                    unit_cost_vnd=100_000,
                    reason="",
                    note=number,
                    sale_line_id=line,
                    created_by_id=cashier,
                    created_at=STAMP,
                )
                stock[products[sku]] += delta
        left = total
        for method, amount in payments:
            amount = amount or left
            left -= amount
            insert(conn, "payment", sale_id=sale, method=method, amount_vnd=amount, reference="")
        payload = {"uuid": str(sale_uuid), "receipt_number": number, "total_vnd": total}
        insert(
            conn,
            "outboxrecord",
            kind="sale",
            entity_uuid=str(sale_uuid),
            payload=json.dumps(payload, ensure_ascii=False),
            created_at=STAMP,
        )
        if status == "voided":
            insert(
                conn,
                "outboxrecord",
                kind="void",
                entity_uuid=str(sale_uuid),
                payload=json.dumps({"sale_uuid": str(sale_uuid)}),
                created_at=STAMP,
            )
    for product_id, qty in stock.items():
        insert(conn, "stocklevel", product_id=product_id, qty=qty)
    insert(conn, "counter", name="receipt:SR01:2026", value=3)
    conn.commit()
    conn.close()
    return {"cashier": cashier, "products": products, "stock": stock, "shift": shift}


def snapshot(path: Path) -> dict[str, list[dict[str, Any]]]:
    """Every row of the tables that hold sales, stock and the outbox."""
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    rows = {t: [dict(r) for r in conn.execute(f'SELECT * FROM "{t}" ORDER BY rowid')] for t in TABLES}
    conn.close()
    return rows


@pytest.fixture
def old_database(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    """A database migrated only to the first revision, with a showroom's day in it."""
    path = tmp_path / "old.db"
    first, _head = revisions()
    upgrade(f"sqlite:///{path.as_posix()}", first)
    return path, fill_at_first_revision(path)


def test_upgrade_from_the_oldest_revision_keeps_every_sale_stock_figure_and_unsent_record(
    old_database: tuple[Path, dict[str, Any]],
) -> None:
    path, seeded = old_database
    before = snapshot(path)
    _first, head = revisions()

    upgrade(f"sqlite:///{path.as_posix()}", "head")

    conn = sqlite3.connect(path)
    assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(head,)]
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    conn.close()
    after = snapshot(path)
    for table, rows in before.items():  # every row, every old column, as it was (new columns may sit beside)
        assert len(after[table]) == len(rows), table
        for old, new in zip(rows, after[table], strict=True):
            assert {k: new[k] for k in old} == old, table

    engine = make_engine(f"sqlite:///{path.as_posix()}")
    try:
        with Session(engine) as s:
            sales = s.exec(select(Sale).order_by(Sale.id)).all()  # type: ignore[arg-type]
            assert [(x.receipt_number, x.status) for x in sales] == [
                ("SR01-2026-000001", "completed"),
                ("SR01-2026-000002", "completed"),
                ("SR01-2026-000003", "voided"),
            ]
            for sale in sales:
                lines = s.exec(select(SaleLine).where(SaleLine.sale_id == sale.id)).all()
                paid = s.exec(select(Payment).where(Payment.sale_id == sale.id)).all()
                assert sum(line.total_vnd for line in lines) == sale.total_vnd
                assert sum(p.amount_vnd for p in paid) == sale.total_vnd
                assert sale.created_at == WHEN  # read back as the aware UTC instant it was
            assert on_hand_many(s, seeded["stock"]) == seeded["stock"] == {1: 37, 2: 22}
            assert ledger_mismatches(s) == []
            # The food products' stock now sits in lots made from their intake lines (the old estimate).
            assert sorted((lot.lot_code, lot.qty) for lot in s.exec(select(Lot))) == [("LO1", 37), ("LO2", 22)]
            assert lot_mismatches(s) == []
            assert waiting_count(s) == 4  # three sales and a void; the intake was sent before the upgrade
            waiting = s.exec(select(OutboxRecord).where(OutboxRecord.sent_at.is_(None)).order_by(OutboxRecord.id)).all()  # type: ignore[union-attr]
            assert [r.kind for r in waiting] == ["sale", "sale", "sale", "void"]
            assert [json.loads(r.payload).get("receipt_number") for r in waiting[:3]] == [
                "SR01-2026-000001",
                "SR01-2026-000002",
                "SR01-2026-000003",
            ]

        # Today's till carries on where the old one stopped: the next receipt number, the same ledger.
        with session_scope(engine) as s:
            cart = get_or_create_active_cart(s, seeded["cashier"])
            add_product(s, cart, seeded["products"]["MO-01"], 2)
            sale = complete_sale(
                s,
                cart_id=cart.id,  # type: ignore[arg-type]
                payments=[PaymentInput("cash", 370_000)],
                cashier_id=seeded["cashier"],
                idempotency_key=str(uuid4()),
                showroom_code="SR01",
                allow_negative=False,
                now=WHEN,
            )
            assert sale.receipt_number == "SR01-2026-000004"
        with Session(engine) as s:
            assert on_hand_many(s, [1, 2]) == {1: 35, 2: 22}
            assert ledger_mismatches(s) == [] and lot_mismatches(s) == []
            assert waiting_count(s) == 5
    finally:
        engine.dispose()
