"""How durable each till commit is: cart changes may skip the fsync, a sale never does.

The level is read from inside the transaction that writes the rows (PRAGMA synchronous: 1 = NORMAL,
2 = FULL), on the very connection that runs the INSERT, so a pooled connection left at NORMAL by a scan
would be caught here when it goes on to complete a sale.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, text

from pos.barcodes import instore_ean13
from pos.db import ENGINE_KEY, session_scope
from pos.inventory.ledger import record_movement
from pos.inventory.models import StockMovement
from pos.sales.models import Shift

NORMAL, FULL = 1, 2
HEADERS = {"Accept": "application/json"}


@pytest.fixture
def seen(app: Any) -> Iterator[dict[str, list[int]]]:
    """{table written: [synchronous level at each INSERT/UPDATE/DELETE of it]} for the app's engine."""
    levels: dict[str, list[int]] = {}
    engine = app.extensions[ENGINE_KEY]

    def _before(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        words = statement.split()
        verb = words[0].upper() if words else ""
        if verb not in ("INSERT", "UPDATE", "DELETE"):
            return
        table = words[2] if verb in ("INSERT", "DELETE") else words[1]
        level = conn.connection.dbapi_connection.execute("PRAGMA synchronous").fetchone()[0]
        levels.setdefault(table.lower(), []).append(level)

    event.listen(engine, "before_cursor_execute", _before)
    yield levels
    event.remove(engine, "before_cursor_execute", _before)


def test_session_scope_is_full_unless_asked_and_a_pooled_connection_goes_back_to_full(engine) -> None:
    with session_scope(engine, durable=False) as s:
        assert s.exec(text("PRAGMA synchronous")).one()[0] == NORMAL
    for _ in range(3):  # the pool hands back the same connection: it must not stay at NORMAL
        with session_scope(engine) as s:
            assert s.exec(text("PRAGMA synchronous")).one()[0] == FULL
        with session_scope(engine, write=False) as s:
            assert s.exec(text("PRAGMA synchronous")).one()[0] == FULL


def test_scans_skip_the_fsync_and_the_sale_is_committed_with_full(auth, uow, make_product, seen) -> None:
    tea = make_product(name="Chè Shan tuyết", barcode=instore_ean13(1), price_vnd=120_000)
    cashier = auth.login("cashier", "thungan")
    with uow() as s:
        s.add(Shift(cashier_id=cashier.id, opening_float_vnd=500_000))
        record_movement(s, StockMovement(product_id=tea.id, kind="intake", qty_delta=10))
    headers = {**HEADERS, "X-CSRFToken": auth.csrf("/till/")}

    cart = auth.client.post("/till/api/scan", json={"code": tea.barcode}, headers=headers).get_json()
    auth.client.post("/till/api/scan", json={"code": tea.barcode}, headers=headers)
    assert seen["cartline"] and set(seen["cartline"]) == {NORMAL}

    body = {
        "cart_id": cart["id"],
        "payments": [{"method": "cash", "amount_vnd": 240_000}],
        "idempotency_key": "durable-sale-0001",
        "expected_total_vnd": 240_000,
    }
    response = auth.client.post("/till/api/checkout", json=body, headers=headers)
    assert response.status_code == 200, response.get_json()
    for table in ("sale", "saleline", "payment", "stockmovement", "stocklevel", "counter", "outboxrecord"):
        assert seen[table] and set(seen[table]) == {FULL}, (table, seen.get(table))
    # The next customer's empty cart is opened in the sale's own commit.
    assert seen["cart"][-1] == FULL
    # and the next scan is a cart write again
    auth.client.post("/till/api/scan", json={"code": tea.barcode}, headers=headers)
    assert seen["cartline"][-1] == NORMAL
