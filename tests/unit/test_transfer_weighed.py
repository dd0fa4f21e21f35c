"""A transfer note of goods sold by weight: the wire line (transfer version 3) says so, the contract accepts it,
and the receiving showroom carries the product as sold by weight, so its grams stay grams there."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlmodel import select

from pos.inventory.ledger import record_movement
from pos.inventory.models import StockMovement, TransferLine
from pos.inventory.transfers import TransferLineInput, _carry_product, create_transfer
from pos.sync import contract
from pos.sync.models import OutboxRecord


def test_a_weighed_line_travels_as_grams_sold_by_weight(uow: Any, make_product: Any) -> None:
    oranges = make_product(name="Cam Cao Phong", sold_by="weight", unit="kg", price_vnd=35_000, scale_plu=7)
    with uow() as s:
        record_movement(s, StockMovement(product_id=oranges.id, kind="intake", qty_delta=20_000))
    with uow() as s:
        create_transfer(
            s, "SR02", [TransferLineInput(oranges.id, "12500")], None, showroom_code="SR01", today=date.today()
        )
    with uow() as s:
        record = s.exec(select(OutboxRecord).where(OutboxRecord.kind == "transfer")).one()
        assert record.version == contract.KIND_VERSIONS["transfer"] == 3
        payload = json.loads(record.payload)
        (wire,) = payload["lines"]
        assert (wire["qty"], wire["sold_by"]) == (12_500, "weight")
        contract.check_payload("transfer", payload)  # what the central server accepts
        (line,) = s.exec(select(TransferLine)).all()
        assert line.sold_by == "weight"
        # The receiver, lacking the product, carries it as sold by weight (a new UUID stands for another showroom).
        carried = _carry_product(s, {**wire, "product_uuid": "6f1c1c1e-1111-4111-8111-111111111111"})
        assert (carried.sold_by, carried.price_vnd) == ("weight", 35_000)
