"""Lots (lô hàng) of food products: first-expiry-first-out picking, expiry and recall blocks, returns to their lot.

A food product's stock lives in its lots: every movement of it names a lot, and Lot.qty is kept with the
ledger (pos/inventory/ledger.py). A lot is sellable while it is neither recalled nor past its expiry date
(the expiry day itself still sells). Products that are not food keep one figure and no lots.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from pos.catalog.models import Product
from pos.errors import Conflict, NotFound, ValidationError
from pos.inventory.models import IntakeLine, Lot, StockMovement
from pos.sales.models import ReturnLine


class LotRefused(Conflict):
    """A lot the till may not sell (expired or recalled); the message is the cashier's."""


def is_lot_kept(product: Product) -> bool:
    """Food keeps its stock in lots (a lot and expiry date are required at intake)."""
    return bool(product.is_food)


def upper_first(text: str) -> str:
    """'lô L1' -> 'Lô L1' (str.capitalize would lower the lot code)."""
    return text[:1].upper() + text[1:]


def lot_name(lot: Lot) -> str:
    """'lô L2611-3' or, for a lot without a code, 'lô HSD 12/03/2027' / 'lô chưa ghi số'."""
    if lot.lot_code:
        return f"lô {lot.lot_code}"
    if lot.expiry_date:
        return f"lô HSD {lot.expiry_date:%d/%m/%Y}"
    return "lô chưa ghi số"


def is_expired(lot: Lot, today: date) -> bool:
    """Past its expiry date (the expiry day itself is still good)."""
    return lot.expiry_date is not None and lot.expiry_date < today


def is_sellable(lot: Lot, today: date) -> bool:
    """Neither recalled nor expired."""
    return lot.recalled_at is None and not is_expired(lot, today)


def refusal(lot: Lot, product_name: str, today: date) -> str | None:
    """Why the till may not sell this lot, in the cashier's words; None when it may."""
    if lot.recalled_at is not None:
        return (
            f"“{product_name}” {lot_name(lot)} đang bị thu hồi — không được bán. Để riêng sản phẩm này và báo quản lý."
        )
    if is_expired(lot, today):
        return (
            f"“{product_name}” {lot_name(lot)} đã hết hạn sử dụng ngày {lot.expiry_date:%d/%m/%Y} — không được bán. "
            "Để riêng sản phẩm này và báo quản lý."
        )
    return None


def expiry_warning(lot: Lot, today: date, within_days: int) -> str | None:
    """'Lô X hết hạn ngày dd/mm/yyyy (còn n ngày)' for a sellable lot expiring within ``within_days``."""
    if lot.expiry_date is None or not is_sellable(lot, today) or lot.expiry_date > today + timedelta(within_days):
        return None
    left = (lot.expiry_date - today).days
    when = "hết hạn hôm nay" if left == 0 else f"còn {left} ngày"
    return f"{upper_first(lot_name(lot))} hết hạn ngày {lot.expiry_date:%d/%m/%Y} ({when})."


def fefo_key(lot: Lot) -> tuple[bool, date, int]:
    """First expiry first; lots without a date last; then the older lot."""
    return (lot.expiry_date is None, lot.expiry_date or date.max, lot.id or 0)


def lots_of(session: Session, product_ids: Iterable[int], with_stock_only: bool = False) -> dict[int, list[Lot]]:
    """Each product's lots in FEFO order (products without lots are absent)."""
    ids = list(set(product_ids))
    if not ids:
        return {}
    # populate_existing: the ledger folds quantities into lot rows with SQL, behind the ORM's back.
    query = select(Lot).where(Lot.product_id.in_(ids)).execution_options(populate_existing=True)  # type: ignore[attr-defined]
    if with_stock_only:
        query = query.where(Lot.qty != 0)
    found: dict[int, list[Lot]] = {}
    for lot in session.exec(query):
        found.setdefault(lot.product_id, []).append(lot)
    for lots in found.values():
        lots.sort(key=fefo_key)
    return found


def get_lot(session: Session, lot_id: object) -> Lot:
    """One lot, or NotFound."""
    wanted = isinstance(lot_id, int) and not isinstance(lot_id, bool)
    lot = session.get(Lot, lot_id, populate_existing=True) if wanted else None
    if lot is None:
        raise NotFound("Không tìm thấy lô hàng này.", "lot_id")
    return lot


def lot_by_barcode(session: Session, code: str) -> Lot | None:
    """The lot whose own label carries this barcode."""
    return session.exec(select(Lot).where(Lot.barcode == code)).first()


# --- Opening a lot at intake --------------------------------------------------------------------------------


def lot_for_intake(session: Session, product: Product, line: IntakeLine) -> Lot | None:
    """The lot an intake line fills: the product's lot with the same code and expiry, or a new one.

    A producer may deliver one lot in several deliveries; they are one lot for FEFO and for a recall.
    A line without a lot code opens a lot of its own. None for products that keep no lots.
    """
    (lot,) = lots_for_intake(session, [(product, line)])
    return lot


def lots_for_intake(session: Session, items: list[tuple[Product, IntakeLine]]) -> list[Lot | None]:
    """lot_for_intake for the lines of a delivery at once: one query for the lots they name, one flush.

    Lines of the same product, code and expiry fill one lot, as they would one after the other.
    """
    kept = [(product, line) for product, line in items if is_lot_kept(product)]
    named: dict[tuple[int, str, date | None], Lot] = {}
    wanted = {product.id for product, line in kept if line.lot_code}
    if wanted:
        codes = {line.lot_code for _, line in kept if line.lot_code}
        for lot in session.exec(
            select(Lot)
            .where(Lot.product_id.in_(wanted), Lot.lot_code.in_(codes))  # type: ignore[union-attr]
            .order_by(Lot.id)  # type: ignore[arg-type]
        ):
            named.setdefault((lot.product_id, lot.lot_code, lot.expiry_date), lot)
    found: list[Lot | None] = []
    made = False
    for product, line in items:
        if not is_lot_kept(product):
            found.append(None)
            continue
        key = (product.id, line.lot_code, line.expiry_date)  # type: ignore[arg-type]
        same_kept = bool(line.lot_code) and line.expiry_date is not None  # NULL = NULL matches nothing in SQL
        lot = named.get(key) if same_kept else None  # type: ignore[arg-type]
        if lot is None:
            lot = Lot(
                product_id=product.id,  # type: ignore[arg-type]
                intake_line_id=line.id,
                lot_code=line.lot_code,
                manufactured_on=line.manufactured_on,
                expiry_date=line.expiry_date,
            )
            session.add(lot)
            made = True
            if same_kept:
                named[key] = lot  # type: ignore[index]
        found.append(lot)
    if made:
        session.flush()
    return found


def recalled_lot(session: Session, product_id: int, lot_code: str, expiry: date | None) -> Lot | None:
    """A recalled lot with this code and expiry (a delivery of it is refused)."""
    if not lot_code:
        return None
    return session.exec(
        select(Lot).where(
            Lot.product_id == product_id,
            Lot.lot_code == lot_code,
            Lot.expiry_date == expiry,
            Lot.recalled_at.is_not(None),  # type: ignore[union-attr]
        )
    ).first()


# --- Taking stock out ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Want:
    """A quantity of a product to take out, from a chosen lot or (lot_id None) first-expiry-first."""

    product: Product
    qty: int
    lot_id: int | None = None


Parts = list[tuple[int | None, int]]  # (lot id, or None for a product without lots; quantity)


def allocate(
    session: Session, wants: Sequence[Want], today: date, *, allow_negative: bool = False, for_sale: bool = True
) -> list[Parts]:
    """Which lots each wanted quantity comes from, in the order given; nothing is written.

    For a sale (``for_sale``) expired and recalled lots are refused with the cashier's message, and only
    sellable lots are taken from; otherwise (damaged, returned to the producer) the blocked ones go first,
    since they are what leaves the shelf. Chosen lots are served before first-expiry picking, so a
    lot-labelled pack and an unlabelled one of the same product in one sale never draw on the same units.
    Past the stock of the lots, ``allow_negative`` puts the rest on the last lot picked; otherwise Conflict.
    """
    lots = lots_of(session, [w.product.id for w in wants])  # type: ignore[misc]
    left = {lot.id: lot.qty for group in lots.values() for lot in group}
    by_id = {lot.id: lot for group in lots.values() for lot in group}
    result: list[Parts | None] = [None] * len(wants)
    order = sorted(range(len(wants)), key=lambda i: wants[i].lot_id is None)
    for i in order:
        want = wants[i]
        group = lots.get(want.product.id)  # type: ignore[arg-type]
        if want.lot_id is not None:
            lot = by_id.get(want.lot_id)
            if lot is None or lot.product_id != want.product.id:
                raise ValidationError(f"Lô đã chọn không phải lô của “{want.product.name}”.", "lot_id")
            if for_sale and (why := refusal(lot, want.product.name, today)):
                raise LotRefused(why, "lot", product_id=want.product.id, lot_id=lot.id)
            if left[lot.id] < want.qty and not allow_negative:
                raise Conflict(
                    f"“{want.product.name}” {lot_name(lot)} chỉ còn {max(left[lot.id], 0)} {want.product.unit}, "
                    f"cần {want.qty}.",
                    "stock",
                    product_id=want.product.id,
                    lot_id=lot.id,
                )
            left[lot.id] -= want.qty
            result[i] = [(lot.id, want.qty)]
            continue
        if not group:
            result[i] = [(None, want.qty)]
            continue
        if for_sale:
            candidates = [lot for lot in group if is_sellable(lot, today)]
        else:  # what must leave the shelf anyway goes first
            candidates = sorted(group, key=lambda lot: (is_sellable(lot, today), fefo_key(lot)))
        parts: Parts = []
        remaining = want.qty
        for lot in candidates:
            take = min(max(left[lot.id], 0), remaining)
            if take:
                parts.append((lot.id, take))
                left[lot.id] -= take
                remaining -= take
            if not remaining:
                break
        if remaining:
            if not allow_negative or not candidates:
                raise _short(want, want.qty - remaining, group, candidates, left, today, for_sale)
            last = parts[-1][0] if parts else candidates[-1].id
            parts = [(lot_id, qty + (remaining if lot_id == last else 0)) for lot_id, qty in parts] or [
                (last, remaining)
            ]
            left[last] -= remaining
        result[i] = parts
    return [parts or [] for parts in result]


def _short(
    want: Want,
    good: int,
    group: list[Lot],
    candidates: list[Lot],
    left: dict[int | None, int],
    today: date,
    for_sale: bool,
) -> Conflict:
    blocked = [lot for lot in group if lot not in candidates and left[lot.id] > 0]
    name, unit = want.product.name, want.product.unit
    if for_sale and blocked and not good:
        return LotRefused(refusal(blocked[0], name, today) or "", "lot", product_id=want.product.id)
    if for_sale and blocked:
        return Conflict(
            f"“{name}” chỉ còn {good} {unit} trong hạn sử dụng (đơn cần {want.qty}); "
            "phần còn lại đã hết hạn hoặc bị thu hồi, không được bán.",
            "stock",
            product_id=want.product.id,
        )
    return Conflict(
        f"Không đủ hàng “{name}”: các lô còn {good} {unit}, cần {want.qty}.", "stock", product_id=want.product.id
    )


def check_scan(session: Session, product: Product, lot: Lot | None, today: date) -> None:
    """Refuse at the scan a lot the till may not sell: the scanned lot, or a product whose every lot is blocked."""
    if lot is not None:
        if why := refusal(lot, product.name, today):
            raise LotRefused(why, "code", product_id=product.id, lot_id=lot.id)
        return
    if not is_lot_kept(product):
        return
    group = lots_of(session, [product.id], with_stock_only=True).get(product.id)  # type: ignore[list-item]
    if not group:
        return
    in_stock = [lot for lot in group if lot.qty > 0]
    if in_stock and not any(is_sellable(lot, today) for lot in in_stock):
        raise LotRefused(refusal(in_stock[0], product.name, today) or "", "code", product_id=product.id)


def next_lot_note(lots: list[Lot], lot_id: int | None, today: date, within_days: int) -> tuple[Lot | None, str | None]:
    """The lot a cart line will be sold from (its chosen lot, else the first sellable) and its expiry warning."""
    if lot_id is not None:
        lot = next((lot for lot in lots if lot.id == lot_id), None)
    else:
        lot = next((lot for lot in lots if is_sellable(lot, today) and lot.qty > 0), None)
    if lot is None:
        return None, None
    return lot, expiry_warning(lot, today, within_days)


# --- Putting stock back ----------------------------------------------------------------------------------


def sold_parts(session: Session, sale_line_id: int) -> Parts:
    """The lots a sale line was taken from, in the order taken: (lot id, units)."""
    rows = session.exec(
        select(StockMovement.lot_id, StockMovement.qty_delta)
        .where(StockMovement.sale_line_id == sale_line_id, StockMovement.kind == "sale")
        .order_by(StockMovement.id)  # type: ignore[arg-type]
    ).all()
    return [(lot_id, -qty) for lot_id, qty in rows]


def return_parts(session: Session, sale_line_id: int, product_id: int, qty: int) -> Parts:
    """Which lots ``qty`` units brought back against a sale line go back to: the lots it came from.

    Units already returned are taken off each lot first; the rest go back last-taken first.
    """
    sold = sold_parts(session, sale_line_id)
    returned = dict(
        session.exec(
            select(StockMovement.lot_id, func.sum(StockMovement.qty_delta))
            .join(ReturnLine, ReturnLine.id == StockMovement.return_line_id)  # type: ignore[arg-type]
            .where(ReturnLine.sale_line_id == sale_line_id, StockMovement.kind == "return")
            .group_by(StockMovement.lot_id)
        ).all()
    )
    open_: list[tuple[int | None, int]] = []
    for lot_id, units in sold:
        back = min(units, int(returned.get(lot_id) or 0))
        returned[lot_id] = int(returned.get(lot_id) or 0) - back
        if units - back:
            open_.append((lot_id, units - back))
    parts: Parts = []
    remaining = qty
    for lot_id, units in reversed(open_):
        take = min(units, remaining)
        if take:
            parts.append((lot_id, take))
            remaining -= take
    if remaining:
        parts.append((None, remaining))
    if any(lot_id is None for lot_id, _ in parts):
        # Sold before lots were kept: to the product's last lot, so its lots still add up to its on hand.
        lots = lots_of(session, [product_id]).get(product_id)
        if lots:
            parts = [(lot_id if lot_id is not None else lots[-1].id, units) for lot_id, units in parts]
    return parts
