"""Stock on hand, adjustments (điều chỉnh tồn kho), counts (kiểm kê), movement history and expiring lots.

Every change goes through the ledger (record_movement) and, in the same transaction, an outbox record
for the central server and an audit entry with the on-hand figure before and after.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, case, func, or_, select
from sqlmodel import Session

from pos.audit import log as audit
from pos.auth.models import User
from pos.catalog.models import Producer, Product
from pos.errors import NotFound, ValidationError
from pos.inventory.ledger import ledger_sum, on_hand, record_movement
from pos.inventory.lots import get_lot, is_lot_kept, lot_name, lots_of, upper_first
from pos.inventory.models import (
    ADJUSTMENT_REASONS,
    MOVEMENT_KINDS,
    Intake,
    IntakeLine,
    Lot,
    StockLevel,
    StockMovement,
)
from pos.money import format_vnd
from pos.quantity import WEIGHT, amount_column, min_stock_column, signed_amount
from pos.sales.models import ReturnLine, Sale, SaleLine, SaleReturn
from pos.sync.contract import Fields
from pos.sync.outbox import enqueue
from pos.text import fold, nfc

# No showroom moves a hundred thousand units of one product at once: a figure past this is a typo
# (a barcode scanned into the quantity box, an extra zero) and is refused rather than recorded.
MAX_QTY = 100_000
MAX_QTY_TEXT = format_vnd(MAX_QTY, symbol=False)
NOTE_MAX = 500

# The direction each reason implies; a stock count may go either way.
DECREASING_REASONS = frozenset({"damaged", "lost", "destroyed"})
# What a manager may give for taking a whole (expired, recalled) lot off the shelf.
REMOVAL_REASONS = ("damaged", "destroyed")
INCREASING_REASONS = frozenset({"found"})


def _product(session: Session, product_id: int) -> Product:
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound("Không tìm thấy sản phẩm.")
    return product


def _clean_note(note: str | None) -> str:
    text = nfc(note)
    if len(text) > NOTE_MAX:
        raise ValidationError(f"Ghi chú dài tối đa {NOTE_MAX} ký tự.", "note")
    return text


def _username(session: Session, user_id: int | None) -> str | None:
    if user_id is None:
        return None
    user = session.get(User, user_id)
    return user.username if user is not None else None


def movement_payload(session: Session, movement: StockMovement, product: Product) -> Fields:
    """The self-contained 'stock_adjustment' outbox payload of one adjustment or count."""
    return dict(
        uuid=str(movement.uuid),
        product_uuid=str(product.uuid),
        kind=movement.kind,
        qty_delta=movement.qty_delta,
        reason=movement.reason,
        note=movement.note,
        created_by=_username(session, movement.created_by_id),
        created_at=movement.created_at.isoformat(),
    )


def _record(
    session: Session,
    product: Product,
    movement: StockMovement,
    before: int,
    action: str,
) -> StockMovement:
    """Write the movement, its outbox record and its audit entry together."""
    record_movement(session, movement)
    session.flush()
    enqueue(session, "stock_adjustment", movement.uuid, dict(movement_payload(session, movement, product)))
    audit.record(
        session,
        action,
        user_id=movement.created_by_id,
        entity="product",
        entity_id=product.id,
        before={"on_hand": before},
        after={
            "on_hand": before + movement.qty_delta,
            "qty_delta": movement.qty_delta,
            "reason": movement.reason,
            "note": movement.note,
            "movement_uuid": str(movement.uuid),
            **({"lot_id": movement.lot_id} if movement.lot_id is not None else {}),
        },
    )
    return movement


def _lot_to_change(session: Session, product: Product, lot_id: object, what: str) -> Lot | None:
    """The lot a change of a lot-kept product applies to: the one named, or its only lot.

    A product with several lots must have the lot named (counts and adjustments are per lot).
    """
    if lot_id not in (None, ""):
        lot = get_lot(session, lot_id)
        if lot.product_id != product.id:
            raise ValidationError(f"Lô này không phải lô của “{product.name}”.", "lot_id")
        return lot
    if not is_lot_kept(product):
        return None
    lots = lots_of(session, [product.id]).get(product.id, [])  # type: ignore[list-item]
    with_stock = [lot for lot in lots if lot.qty]
    if len(lots) == 1 or (what == "decrease" and len(with_stock) == 1):
        return (with_stock or lots)[0]
    if lots:
        raise ValidationError(
            f"“{product.name}” có nhiều lô: chọn lô cần {'kiểm kê' if what == 'count' else 'điều chỉnh'}.", "lot_id"
        )
    return None


def adjust_stock(
    session: Session,
    product_id: int,
    qty_delta: int,
    reason: str,
    note: str = "",
    actor_id: int | None = None,
    *,
    allow_negative: bool = False,
    lot_id: int | None = None,
) -> StockMovement:
    """Change a product's stock by ``qty_delta`` for a reason (damaged, lost, found, count, destroyed).

    For a product kept in lots the change is to one lot (``lot_id``, or its only lot).
    """
    product = _product(session, product_id)
    if reason not in ADJUSTMENT_REASONS:
        raise ValidationError("Chọn lý do điều chỉnh: hư hỏng, mất, tìm thấy, kiểm kê hoặc tiêu hủy.", "reason")
    if isinstance(qty_delta, bool) or not isinstance(qty_delta, int):
        raise ValidationError("Số lượng điều chỉnh phải là số nguyên.", "qty_delta")
    if qty_delta == 0:
        raise ValidationError("Số lượng điều chỉnh phải khác 0.", "qty_delta")
    if abs(qty_delta) > MAX_QTY:
        raise ValidationError(f"Số lượng điều chỉnh quá lớn (tối đa {MAX_QTY_TEXT} một lần).", "qty_delta")
    label = ADJUSTMENT_REASONS[reason].lower()
    if reason in DECREASING_REASONS and qty_delta > 0:
        raise ValidationError(f"Lý do “{label}” chỉ làm giảm tồn kho: nhập số lượng âm.", "qty_delta")
    if reason in INCREASING_REASONS and qty_delta < 0:
        raise ValidationError(f"Lý do “{label}” chỉ làm tăng tồn kho: nhập số lượng dương.", "qty_delta")
    note = _clean_note(note)
    before = on_hand(session, product.id)  # type: ignore[arg-type]
    if before + qty_delta < 0 and not allow_negative:
        raise ValidationError(
            f"Không thể giảm {-qty_delta} {product.unit}: tồn kho hiện chỉ còn {before}.", "qty_delta"
        )
    lot = _lot_to_change(session, product, lot_id, "decrease" if qty_delta < 0 else "increase")
    if lot is not None and lot.qty + qty_delta < 0 and not allow_negative:
        raise ValidationError(
            f"Không thể giảm {-qty_delta} {product.unit}: {lot_name(lot)} chỉ còn {lot.qty}.", "qty_delta"
        )
    movement = StockMovement(
        product_id=product.id,  # type: ignore[arg-type]
        kind="adjustment",
        qty_delta=qty_delta,
        reason=reason,
        note=note,
        lot_id=lot.id if lot else None,
        created_by_id=actor_id,
    )
    return _record(session, product, movement, before, "stock.adjust")


def remove_lot(
    session: Session, lot_id: int, reason: str, note: str = "", actor_id: int | None = None
) -> StockMovement:
    """Take everything left of a lot (expired, recalled, spoiled) off the stock in one step, with a reason."""
    lot = get_lot(session, lot_id)
    if reason not in REMOVAL_REASONS:
        raise ValidationError("Chọn lý do: hư hỏng hoặc tiêu hủy.", "reason")
    if lot.qty <= 0:
        raise ValidationError(f"{upper_first(lot_name(lot))} không còn hàng trong kho.", "lot_id")
    return adjust_stock(session, lot.product_id, -lot.qty, reason, note, actor_id, lot_id=lot.id)


def count_stock(
    session: Session,
    product_id: int,
    counted_qty: int,
    note: str = "",
    actor_id: int | None = None,
    *,
    lot_id: int | None = None,
) -> StockMovement | None:
    """Set on-hand (of a lot, for a product kept in lots) to the counted figure with a 'count' movement.

    A count that agrees with the books writes no movement (the ledger only holds changes, and the
    central server has nothing to learn), but it is still written to the audit log, so the manager
    can show when each product was last counted. Returns the movement, or None when nothing changed.
    """
    product = _product(session, product_id)
    if isinstance(counted_qty, bool) or not isinstance(counted_qty, int):
        raise ValidationError("Số đếm thực tế phải là số nguyên.", "counted_qty")
    if counted_qty < 0:
        raise ValidationError("Số đếm thực tế không thể âm.", "counted_qty")
    if counted_qty > MAX_QTY:
        raise ValidationError(f"Số đếm thực tế quá lớn (tối đa {MAX_QTY_TEXT}).", "counted_qty")
    note = _clean_note(note)
    before = on_hand(session, product.id)  # type: ignore[arg-type]
    lot = _lot_to_change(session, product, lot_id, "count")
    counted_before = lot.qty if lot is not None else before
    if counted_qty == counted_before:
        audit.record(
            session,
            "stock.count",
            user_id=actor_id,
            entity="product",
            entity_id=product.id,
            before={"on_hand": before},
            after={"on_hand": before, "qty_delta": 0, "note": note, **({"lot_id": lot.id} if lot else {})},
        )
        return None
    return record_count_delta(
        session, product, counted_qty - counted_before, note, actor_id, lot_id=lot.id if lot else None
    )


def record_count_delta(
    session: Session,
    product: Product,
    qty_delta: int,
    note: str,
    actor_id: int | None = None,
    *,
    lot_id: int | None = None,
) -> StockMovement:
    """A 'count' movement of a difference already worked out (a stocktake's approval), with outbox and audit."""
    movement = StockMovement(
        product_id=product.id,  # type: ignore[arg-type]
        kind="count",
        qty_delta=qty_delta,
        reason="count",
        note=note,
        lot_id=lot_id,
        created_by_id=actor_id,
    )
    return _record(session, product, movement, on_hand(session, product.id), "stock.count")  # type: ignore[arg-type]


# --- Reading ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StockRow:
    """One product on the stock page."""

    product: Product
    producer_name: str
    on_hand: int
    min_stock: int  # the product's own reorder point, or the showroom default
    is_low: bool
    cost_value_vnd: int
    retail_value_vnd: int


@dataclass(frozen=True)
class StockList:
    """A page of stock rows and the totals over every row the filters match."""

    rows: list[StockRow]
    total: int
    total_qty: int  # pieces of the goods sold by the piece
    total_cost_vnd: int
    total_retail_vnd: int
    total_grams: int = 0  # of the goods sold by weight (never added to the pieces)


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_condition(q: str) -> object | None:
    """Name words without diacritics (any order), a SKU prefix or an exact barcode."""
    q = nfc(q)
    if not q:
        return None
    words = fold(q).split()
    by_name = and_(*(Product.name_search.like(f"%{_like_escape(w)}%", escape="\\") for w in words))
    compact = "".join(q.split())
    by_sku = func.upper(Product.sku).startswith(compact.upper(), autoescape=True)
    return or_(by_name, by_sku, Product.barcode == compact)


def stock_list(
    session: Session,
    q: str = "",
    producer_id: int | None = None,
    only_low: bool = False,
    limit: int = 50,
    offset: int = 0,
    low_stock_default: int = 5,
) -> StockList:
    """On hand per product with its value at cost and at retail, filtered and paged.

    Active products are listed, and inactive ones only while they still have stock to account for.
    A product is low when its on-hand is at or below its reorder point (its own, or the default).
    """
    qty = func.coalesce(StockLevel.qty, 0)
    reorder = min_stock_column(Product.min_stock, Product.sold_by, low_stock_default)
    conditions: list[object] = [or_(Product.is_active.is_(True), qty != 0)]  # type: ignore[attr-defined]
    condition = search_condition(q)
    if condition is not None:
        conditions.append(condition)
    if producer_id is not None:
        conditions.append(Product.producer_id == producer_id)
    if only_low:
        conditions.append(qty <= reorder)
    base = (
        select(Product, Producer.name, qty.label("qty"), reorder.label("reorder"))
        .join(Producer, Producer.id == Product.producer_id)
        .outerjoin(StockLevel, StockLevel.product_id == Product.id)
        .where(*conditions)
    )
    totals = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((Product.sold_by == WEIGHT, 0), else_=qty)), 0),
            func.coalesce(func.sum(amount_column(qty, Product.cost_vnd, Product.sold_by)), 0),
            func.coalesce(func.sum(amount_column(qty, Product.price_vnd, Product.sold_by)), 0),
            func.coalesce(func.sum(case((Product.sold_by == WEIGHT, qty), else_=0)), 0),
        )
        .select_from(Product)
        .join(Producer, Producer.id == Product.producer_id)
        .outerjoin(StockLevel, StockLevel.product_id == Product.id)
        .where(*conditions)
    ).one()
    result = session.execute(base.order_by(Product.name_search, Product.id).limit(limit).offset(offset))
    rows = [
        StockRow(
            product=product,
            producer_name=producer_name,
            on_hand=int(level),
            min_stock=int(min_stock),
            is_low=int(level) <= int(min_stock),
            cost_value_vnd=signed_amount(int(level), product.cost_vnd, product.sold_by),
            retail_value_vnd=signed_amount(int(level), product.price_vnd, product.sold_by),
        )
        for product, producer_name, level, min_stock in result
    ]
    return StockList(
        rows=rows,
        total=int(totals[0]),
        total_qty=int(totals[1]),
        total_cost_vnd=int(totals[2]),
        total_retail_vnd=int(totals[3]),
        total_grams=int(totals[4]),
    )


@dataclass(frozen=True)
class HistoryRow:
    """One movement of a product's history, with the balance right after it."""

    movement: StockMovement
    kind_label: str
    reason_label: str
    balance: int
    user_name: str | None
    intake_id: int | None
    receipt_number: str | None


def movement_history(session: Session, product_id: int, limit: int = 100, offset: int = 0) -> list[HistoryRow]:
    """A product's movements, newest first, each with the running balance after it."""
    newest_first = (StockMovement.created_at.desc(), StockMovement.id.desc())  # type: ignore[union-attr]
    # The balance after the newest movement is the ledger total; each older one is that minus what came after.
    skipped = session.scalar(
        select(func.coalesce(func.sum(StockMovement.qty_delta), 0)).where(
            StockMovement.id.in_(  # type: ignore[union-attr]
                select(StockMovement.id)
                .where(StockMovement.product_id == product_id)
                .order_by(*newest_first)
                .limit(offset)
            )
        )
    )
    balance = ledger_sum(session, product_id) - int(skipped or 0)
    returns = (
        select(ReturnLine.id.label("rl_id"), SaleReturn.return_number)  # type: ignore[union-attr]
        .join(SaleReturn, SaleReturn.id == ReturnLine.return_id)
        .subquery()
    )
    result = session.execute(
        select(StockMovement, User.full_name, IntakeLine.intake_id, Sale.receipt_number, returns.c.return_number)
        .outerjoin(User, User.id == StockMovement.created_by_id)
        .outerjoin(IntakeLine, IntakeLine.id == StockMovement.intake_line_id)
        .outerjoin(SaleLine, SaleLine.id == StockMovement.sale_line_id)
        .outerjoin(Sale, Sale.id == SaleLine.sale_id)
        .outerjoin(returns, returns.c.rl_id == StockMovement.return_line_id)
        .where(StockMovement.product_id == product_id)
        .order_by(*newest_first)
        .limit(limit)
        .offset(offset)
    )
    rows = []
    for movement, user_name, intake_id, receipt_number, return_number in result:
        rows.append(
            HistoryRow(
                movement=movement,
                kind_label=MOVEMENT_KINDS.get(movement.kind, movement.kind),
                reason_label=ADJUSTMENT_REASONS.get(movement.reason, "") if movement.kind == "adjustment" else "",
                balance=balance,
                user_name=user_name,
                intake_id=intake_id,
                receipt_number=return_number or receipt_number,
            )
        )
        balance -= movement.qty_delta
    return rows


def movement_count(session: Session, product_id: int) -> int:
    """How many movements a product has (for paging its history)."""
    return int(
        session.scalar(select(func.count()).where(StockMovement.product_id == product_id)) or 0  # type: ignore[arg-type]
    )


@dataclass(frozen=True)
class ExpiringLot:
    """A lot whose expiry date is near or past (or that is recalled) and that still has stock."""

    intake_id: int | None
    intake_line_id: int | None
    received_on: date | None
    product_id: int
    product_name: str
    sku: str
    unit: str
    producer_name: str
    lot_code: str
    expiry_date: date | None
    days_left: int  # negative once expired
    is_expired: bool
    qty_received: int
    on_hand: int  # of the product, all lots together
    lot_left: int  # what the lot holds (an estimate for products that keep no lots: oldest received left first)
    lot_id: int | None = None  # None for a product that keeps no lots
    is_recalled: bool = False
    sold_by: str = "piece"  # "weight": quantities in grams


def expiring_lots(session: Session, within_days: int, today: date) -> list[ExpiringLot]:
    """Lots with stock expiring on or before today + ``within_days``, and recalled lots; expired first."""
    horizon = today + timedelta(days=within_days)
    kept = session.execute(
        select(Lot, IntakeLine, Intake.received_on, Product, Producer.name, StockLevel.qty)
        .outerjoin(IntakeLine, IntakeLine.id == Lot.intake_line_id)
        .outerjoin(Intake, Intake.id == IntakeLine.intake_id)
        .join(Product, Product.id == Lot.product_id)
        .join(Producer, Producer.id == Product.producer_id)
        .outerjoin(StockLevel, StockLevel.product_id == Product.id)
        .where(Lot.qty > 0, or_(Lot.expiry_date <= horizon, Lot.recalled_at.is_not(None)))  # type: ignore[union-attr, operator]
    ).all()
    lots = [
        ExpiringLot(
            intake_id=line.intake_id if line else None,
            intake_line_id=line.id if line else None,
            received_on=received_on,
            product_id=product.id,
            product_name=product.name,
            sku=product.sku,
            unit=product.unit,
            producer_name=producer_name,
            lot_code=lot.lot_code,
            expiry_date=lot.expiry_date,
            days_left=(lot.expiry_date - today).days if lot.expiry_date else 0,
            is_expired=lot.expiry_date is not None and lot.expiry_date < today,
            qty_received=line.qty if line else lot.opening_qty,
            on_hand=int(level or 0),
            lot_left=lot.qty,
            lot_id=lot.id,
            is_recalled=lot.recalled_at is not None,
            sold_by=product.sold_by,
        )
        for lot, line, received_on, product, producer_name, level in kept
    ]
    lots += _unkept_expiring(session, horizon, today)
    lots.sort(
        key=lambda lot: (
            not (lot.is_expired or lot.is_recalled),
            lot.expiry_date or date.max,
            fold(lot.product_name),
            lot.lot_id or 0,
            lot.intake_line_id or 0,
        )
    )
    return lots


def _unkept_expiring(session: Session, horizon: date, today: date) -> list[ExpiringLot]:
    """Intake lines with a near expiry date of products that keep no lots (their share left is estimated)."""
    result = session.execute(
        select(IntakeLine, Intake.received_on, Product, Producer.name, StockLevel.qty)
        .join(Intake, Intake.id == IntakeLine.intake_id)
        .join(Product, Product.id == IntakeLine.product_id)
        .join(Producer, Producer.id == Product.producer_id)
        .join(StockLevel, StockLevel.product_id == Product.id)
        .where(
            IntakeLine.expiry_date.is_not(None),  # type: ignore[union-attr]
            IntakeLine.expiry_date <= horizon,  # type: ignore[operator]
            StockLevel.qty > 0,
            ~Product.id.in_(select(Lot.product_id)),  # type: ignore[union-attr]
        )
    ).all()
    left = _fifo_lot_left(session, {product.id for _, _, product, _, _ in result})
    return [
        ExpiringLot(
            intake_id=line.intake_id,
            intake_line_id=line.id,
            received_on=received_on,
            product_id=product.id,
            product_name=product.name,
            sku=product.sku,
            unit=product.unit,
            producer_name=producer_name,
            lot_code=line.lot_code,
            expiry_date=line.expiry_date,
            days_left=(line.expiry_date - today).days,
            is_expired=line.expiry_date < today,
            qty_received=line.qty,
            on_hand=int(level),
            lot_left=left.get(line.id, 0),
            sold_by=product.sold_by,
        )
        for line, received_on, product, producer_name, level in result
    ]


def _fifo_lot_left(session: Session, product_ids: set[int]) -> dict[int, int]:
    """Per intake line, how much of it is probably still on the shelf: on-hand filled from the newest lot back."""
    if not product_ids:
        return {}
    levels = {
        pid: qty
        for pid, qty in session.execute(
            select(StockLevel.product_id, StockLevel.qty).where(StockLevel.product_id.in_(product_ids))
        )
    }
    lines = session.execute(
        select(IntakeLine.id, IntakeLine.product_id, IntakeLine.qty)
        .join(Intake, Intake.id == IntakeLine.intake_id)
        .where(IntakeLine.product_id.in_(product_ids))  # type: ignore[attr-defined]
        .order_by(Intake.received_on.desc(), IntakeLine.id.desc())  # type: ignore[attr-defined]
    ).all()
    remaining = {pid: max(int(levels.get(pid, 0)), 0) for pid in product_ids}
    left: dict[int, int] = {}
    for line_id, product_id, qty in lines:
        take = min(max(qty, 0), remaining[product_id])
        left[line_id] = take
        remaining[product_id] -= take
    return left


def local_today(timezone: str) -> date:
    """Today's date in the showroom's time zone (expiry is a calendar matter, not a UTC one)."""
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo(timezone)).date()
