"""Stock snapshots for the central office: on hand and lots exactly as this ledger keeps them.

The central server never recomputes a showroom's stock from sales and intakes (gift baskets, counts and
lots would make that a guess); it stores what StockLevel and Lot say. A snapshot lists the products (and
their lots) whose stock moved since the last one, or every product once a day (``complete``), so a lost or
out-of-order figure is put right by the next complete one. Lots recalled since the last snapshot are
included even when nothing moved.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

from sqlalchemy import func, or_, select
from sqlmodel import Session

from pos.catalog.models import Product
from pos.inventory.models import Lot, StockLevel, StockMovement

COMPLETE_EVERY = timedelta(hours=24)


def _day(value: Any) -> str:
    return value.isoformat() if value else ""


def build_snapshot(
    session: Session, through: int, sent_at: datetime | None, complete_at: datetime | None, now: datetime
) -> tuple[dict[str, Any] | None, int]:
    """(the snapshot payload, or None when nothing changed; the last movement id it covers)."""
    last = int(session.scalar(select(func.coalesce(func.max(StockMovement.id), 0))) or 0)
    if last == 0 and through == 0:
        return None, 0  # nothing ever moved: nothing to tell
    complete = complete_at is None or now - complete_at >= COMPLETE_EVERY or last < through
    if complete:
        product_ids = None
    else:
        moved = set(session.scalars(select(StockMovement.product_id).where(StockMovement.id > through).distinct()))
        if sent_at is not None:
            moved |= set(session.scalars(select(Lot.product_id).where(Lot.recalled_at >= sent_at)))
        if not moved:
            return None, through
        product_ids = sorted(moved)
    levels = select(Product.uuid, func.coalesce(StockLevel.qty, 0)).join(
        StockLevel, StockLevel.product_id == Product.id, isouter=True
    )
    lots = select(Lot, Product.uuid).join(Product, Product.id == Lot.product_id)
    if product_ids is None:
        levels = levels.where(or_(StockLevel.qty != 0, Product.is_active.is_(True)))
        lots = lots.where(or_(Lot.qty != 0, Lot.recalled_at.is_not(None)))
    else:
        levels = levels.where(Product.id.in_(product_ids))
        lots = lots.where(Lot.product_id.in_(product_ids))
    payload = {
        "uuid": str(uuid4()),
        "taken_at": now.isoformat(),
        "complete": complete,
        "levels": [{"product_uuid": str(uuid), "qty": int(qty)} for uuid, qty in session.execute(levels)],
        "lots": [
            {
                "uuid": str(lot.uuid),
                "product_uuid": str(product_uuid),
                "qty": lot.qty,
                "lot_code": lot.lot_code,
                "expiry_date": _day(lot.expiry_date),
                "manufactured_on": _day(lot.manufactured_on),
                "recalled_at": lot.recalled_at.isoformat() if lot.recalled_at else None,
                "recall_reason": lot.recall_reason[:500],
            }
            for lot, product_uuid in session.execute(lots)
        ],
    }
    return payload, last
