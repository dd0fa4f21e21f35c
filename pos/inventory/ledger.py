"""The stock ledger: every change of stock is a movement; on-hand is their sum."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select, text
from sqlmodel import Session

from pos.inventory.models import StockLevel, StockMovement

# An upsert, so the running total never races a concurrent first movement of the product.
_FOLD = text(
    "INSERT INTO stocklevel (product_id, qty) VALUES (:pid, :d) "
    "ON CONFLICT (product_id) DO UPDATE SET qty = stocklevel.qty + excluded.qty"
)
_FOLD_LOT = text("UPDATE lot SET qty = qty + :d WHERE id = :lot")


def record_movement(session: Session, movement: StockMovement) -> StockMovement:
    """Add a movement and fold it into the product's on-hand figure, in the caller's transaction."""
    return record_movements(session, [movement])[0]


def record_movements(session: Session, movements: list[StockMovement]) -> list[StockMovement]:
    """record_movement for several at once (a sale's lines): one flush and one batched upsert, not one each."""
    if not movements:
        return movements
    session.add_all(movements)
    session.execute(_FOLD, [{"pid": m.product_id, "d": m.qty_delta} for m in movements])
    by_lot = [{"lot": m.lot_id, "d": m.qty_delta} for m in movements if m.lot_id is not None]
    if by_lot:
        session.execute(_FOLD_LOT, by_lot)
    return movements


def on_hand(session: Session, product_id: int) -> int:
    """Stock on hand of one product."""
    qty = session.scalar(select(StockLevel.qty).where(StockLevel.product_id == product_id))
    return int(qty or 0)


def on_hand_many(session: Session, product_ids: Iterable[int]) -> dict[int, int]:
    """Stock on hand of several products (0 for those never moved)."""
    ids = list(product_ids)
    if not ids:
        return {}
    rows = session.execute(select(StockLevel.product_id, StockLevel.qty).where(StockLevel.product_id.in_(ids)))
    levels = dict.fromkeys(ids, 0)
    levels.update({pid: qty for pid, qty in rows})
    return levels


def ledger_sum(session: Session, product_id: int) -> int:
    """On hand recomputed from the ledger itself (for checks; the till reads StockLevel)."""
    total = session.scalar(
        select(func.coalesce(func.sum(StockMovement.qty_delta), 0)).where(StockMovement.product_id == product_id)
    )
    return int(total or 0)


def ledger_mismatches(session: Session) -> list[tuple[int, int, int]]:
    """Products whose kept on-hand differs from the sum of their ledger: (product_id, kept, ledger)."""
    rows = session.execute(
        text(
            "SELECT p.id, COALESCE(l.qty, 0), COALESCE(m.total, 0) FROM product p "
            "LEFT JOIN stocklevel l ON l.product_id = p.id "
            "LEFT JOIN (SELECT product_id, SUM(qty_delta) AS total FROM stockmovement GROUP BY product_id) m "
            "ON m.product_id = p.id WHERE COALESCE(l.qty, 0) != COALESCE(m.total, 0)"
        )
    )
    return [(int(a), int(b), int(c)) for a, b, c in rows]


def lot_mismatches(session: Session) -> list[tuple[str, int, int, int]]:
    """Lots out of step with the ledger, and lot-kept products whose lots do not add up to on hand.

    ('lot', lot_id, kept, opening + ledger) for a lot; ('product', product_id, on hand, sum of its lots)
    for a product that has lots. Empty when everything agrees.
    """
    lots = session.execute(
        text(
            "SELECT l.id, l.qty, l.opening_qty + COALESCE(m.total, 0) FROM lot l "
            "LEFT JOIN (SELECT lot_id, SUM(qty_delta) AS total FROM stockmovement WHERE lot_id IS NOT NULL "
            "GROUP BY lot_id) m ON m.lot_id = l.id WHERE l.qty != l.opening_qty + COALESCE(m.total, 0)"
        )
    )
    products = session.execute(
        text(
            "SELECT l.product_id, COALESCE(s.qty, 0), SUM(l.qty) FROM lot l "
            "LEFT JOIN stocklevel s ON s.product_id = l.product_id "
            "GROUP BY l.product_id, s.qty HAVING COALESCE(s.qty, 0) != SUM(l.qty)"
        )
    )
    return [("lot", int(a), int(b), int(c)) for a, b, c in lots] + [
        ("product", int(a), int(b), int(c)) for a, b, c in products
    ]
