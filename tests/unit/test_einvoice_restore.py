"""After restoring an older backup no invoice number (nor code) the central server knows is issued again:
invoices wait, held, until the first sync has moved every series past the central server's
(pos/sync/restore.py, pos/einvoice/issue.py number_held_invoices). Real SQLite showroom, real PostgreSQL central."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text
from sqlmodel import select

from pos import backup as bk
from pos.audit.models import AuditEntry
from pos.db import ENGINE_KEY
from pos.einvoice import xml as invoice_xml
from pos.einvoice.fake_sinvoice import FakeServer
from pos.einvoice.models import Invoice
from pos.einvoice.sender import drain
from pos.einvoice.settings import Credentials
from pos.einvoice.viettel import SInvoiceClient
from pos.numbering import central_counters, parse_mccqt
from pos.sales.pricing import PaymentInput
from pos.sales.receipt_data import invoice_copy
from pos.sync.client import SyncSettings
from tests.unit.test_einvoice import CONFIG, sell
from tests.unit.test_einvoice import shop as shop  # noqa: F401  (the fixture)
from tests.unit.test_einvoice_queue import SETTINGS
from tests.unit.test_restore_sync import settings as settings  # noqa: F401  (the fixture)
from tests.unit.test_restore_sync import sync

pytestmark = pytest.mark.postgres

CASH = [PaymentInput("cash", 10**6)]


def central_numbers(central_app: Flask) -> list[tuple[int, str]]:
    with central_app.extensions[ENGINE_KEY].connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT number, mccqt FROM invoice ORDER BY number, id"))]


def test_a_sale_after_restoring_an_older_backup_reuses_no_invoice_number(
    uow: Any,
    engine: Any,
    db_path: Path,
    tmp_path: Path,
    shop: dict[str, Any],
    settings: SyncSettings,
    central_app: Flask,
) -> None:
    for _ in range(3):
        sell(uow, shop, CASH)
    sync(engine, settings, central_app)
    backup = bk.backup_database(db_path, tmp_path / "backups", code="SR01")
    lost = [sell(uow, shop, CASH)[1].mccqt for _ in range(2)]  # 4 and 5: reach the central server, then lost
    sync(engine, settings, central_app)
    assert [n for n, _c in central_numbers(central_app)] == [1, 2, 3, 4, 5]

    engine.dispose()
    bk.restore_database(backup, db_path)  # the local counter is back at 3

    # Offline after the restore: the sale and its invoice are kept, but the invoice is held, without a number.
    sale, held = sell(uow, shop, CASH)
    assert held.state == "held" and held.number < 0 and parse_mccqt(held.mccqt) is None
    invoice_xml.validate_bytes(held.xml)
    with uow() as s:
        copy = invoice_copy(s, s.get(Invoice, held.id), CONFIG)
    assert copy.number == "chờ cấp số" and copy.lookup_qr == "" and "khôi phục" in copy.lookup
    server = FakeServer()
    client = SInvoiceClient(server.url, "0101243150", Credentials("demo", "demo-pass"), timeout_s=2)
    try:
        drain(engine, client, SETTINGS)  # the backup's three go out again (by their keys); the held one stays
        with uow() as s:
            assert s.get(Invoice, held.id).state == "held"  # type: ignore[union-attr]

        result = sync(engine, settings, central_app)  # the first sync: counters past the central's, then numbered
        assert result.details["restore"]["invoices_numbered"] == 1
        assert result.details["restore"]["counters"]["invoice:1C26MAB"] == 5
        with uow() as s:
            numbered = s.get(Invoice, held.id)
            assert (numbered.number, numbered.state) == (6, "waiting")  # type: ignore[union-attr]
            assert numbered.mccqt == "M1-26-AB12C-00700000006"  # type: ignore[union-attr]
            tree = invoice_xml.validate_bytes(numbered.xml)  # type: ignore[union-attr]
            assert tree.findtext("DLHDon/TTChung/SHDon") == "6" and tree.findtext("MCCQT") == numbered.mccqt  # type: ignore[union-attr]
            bumps = s.exec(select(AuditEntry.entity_id).where(AuditEntry.action == "counter.bump")).all()
            assert "invoice:1C26MAB" in bumps
        after = sell(uow, shop, CASH)[1]
        assert (after.number, after.state) == (7, "waiting")
        assert drain(engine, client, SETTINGS).accepted == 2
    finally:
        client.close()
        server.close()
    sync(engine, settings, central_app)

    held_centrally = central_numbers(central_app)
    assert [n for n, _c in held_centrally] == [1, 2, 3, 4, 5, 6, 7]  # no number twice, none skipped
    codes = [c for _n, c in held_centrally]
    assert len(set(codes)) == 7 and set(lost) <= set(codes)
    assert sale.receipt_number.startswith("SR01-2026-K")


def test_the_central_answer_maps_to_counters_of_every_series() -> None:
    answer = {
        "receipt_max": {"2026": 40, "junk": 3},
        "return_max": {"2026": 4, "2025": 0},
        "invoice_max": {"1C26MAB": 12, "2C26MAC": 3, "1C26MA": 9, "9X": 1, "1C26MAD": "7"},
        "max_seq": 8,
    }
    assert central_counters("SR01", answer) == {
        "receipt:SR01:2026": 40,
        "return:SR01:2026": 4,
        "invoice:1C26MAB": 12,
        "invoice:2C26MAC": 3,
    }
    assert central_counters("SR01", {"receipt_max": None, "invoice_max": ["x"]}) == {}
