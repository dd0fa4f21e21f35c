"""Stocktake sessions (phiên kiểm kê): freeze the book, count from the tills, show differences, approve once.

A manager opens a session: the book quantity of every product with stock (per lot for lot-kept food)
is frozen, with the id of the last ledger movement. Staff then count with a scanner from any till; each
scan or typed figure is one StocktakeCount, and a line's count is the sum of its entries (a correction is
an entry too, so nothing counted is ever overwritten).

Sales during the count (the showroom stays open) are accounted for at the moment each line was counted:

    expected = book at the freeze + every ledger movement of that product/lot after the freeze
               and up to the line's last count entry (sales, returns, voids, intakes, adjustments)
    difference = counted − expected

Movements after a line's last count (a sale of a bottle already counted) are on top of the count, so they
neither show as a difference nor are lost: approval records ``difference`` as a 'count' movement on
today's book, all lines in one transaction. The count is partial: products never counted are listed as
not counted and are left as they are (a manager counts one shelf, or the whole showroom).

Goods sold by weight are counted in grams: a weighing scale's label adds the grams it carries (read by the
till's own reader, pos/sales/scanning.py), and a figure typed for them is a weight ("350" grams, "1,25" kg).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, text
from sqlmodel import Session, select

from pos.audit import log as audit
from pos.barcodes import ScaleLayout
from pos.catalog.models import Product
from pos.catalog.services import find_by_code
from pos.db import utcnow
from pos.errors import Conflict, NotFound, ValidationError
from pos.inventory.lots import get_lot, is_lot_kept, lot_by_barcode, lot_name, lots_of
from pos.inventory.models import Lot, StockLevel, StockMovement, Stocktake, StocktakeBook, StocktakeCount
from pos.inventory.stock import MAX_QTY, MAX_QTY_TEXT, record_count_delta
from pos.quantity import MIN_WEIGHT_G, PIECE, WeightError, format_qty, is_weighed, read_weight, signed_amount
from pos.sales.scanning import label_grams, scale_reading
from pos.text import fold, nfc

NOTE_MAX = 500


class LotChoiceNeeded(ValidationError):
    """A scanned product kept in several lots: the counter picks which lot is in hand."""


@dataclass(frozen=True)
class StocktakeLine:
    """One product (or lot) of a stocktake: book at the freeze, what moved before its count, count, difference."""

    product_id: int
    lot_id: int | None
    product_name: str
    sku: str
    unit: str
    lot_label: str  # '' for a product kept without lots
    book_qty: int
    moved_qty: int  # ledger movements after the freeze and before the (last) count
    counted_qty: int | None  # None: not counted
    entries: int
    cost_vnd: int
    price_vnd: int  # per kg for goods sold by weight, whose quantities are grams
    sold_by: str = PIECE

    @property
    def expected_qty(self) -> int:
        """What the shelf should have held when it was counted."""
        return self.book_qty + self.moved_qty

    @property
    def difference(self) -> int | None:
        """Counted minus expected (None while not counted)."""
        return None if self.counted_qty is None else self.counted_qty - self.expected_qty

    @property
    def cost_difference_vnd(self) -> int:
        """The difference valued at the last unit cost (what the showroom loses or finds)."""
        return signed_amount(self.difference or 0, self.cost_vnd, self.sold_by)

    @property
    def retail_difference_vnd(self) -> int:
        """The difference valued at the selling price."""
        return signed_amount(self.difference or 0, self.price_vnd, self.sold_by)


@dataclass(frozen=True)
class StocktakeReport:
    """A stocktake's lines, counted ones first, with totals."""

    stocktake: Stocktake
    counted: list[StocktakeLine]
    not_counted: list[StocktakeLine]

    @property
    def with_difference(self) -> list[StocktakeLine]:
        """Counted lines whose count differs from what was expected."""
        return [line for line in self.counted if line.difference]

    @property
    def cost_difference_vnd(self) -> int:
        """Sum of the differences at cost."""
        return sum(line.cost_difference_vnd for line in self.counted)

    @property
    def retail_difference_vnd(self) -> int:
        """Sum of the differences at the selling price."""
        return sum(line.retail_difference_vnd for line in self.counted)


def _clean_note(note: str | None) -> str:
    text_ = nfc(note)
    if len(text_) > NOTE_MAX:
        raise ValidationError(f"Ghi chú dài tối đa {NOTE_MAX} ký tự.", "note")
    return text_


def open_stocktake(session: Session) -> Stocktake | None:
    """The session being counted now, if any (one at a time)."""
    return session.exec(select(Stocktake).where(Stocktake.status == "open")).first()


def get_stocktake(session: Session, stocktake_id: int) -> Stocktake:
    """One stocktake, or NotFound."""
    found = session.get(Stocktake, stocktake_id, populate_existing=True)
    if found is None:
        raise NotFound("Không tìm thấy phiên kiểm kê này.")
    return found


def list_stocktakes(session: Session, limit: int = 50) -> list[Stocktake]:
    """Stocktakes, newest first."""
    return list(session.exec(select(Stocktake).order_by(Stocktake.id.desc()).limit(limit)))  # type: ignore[union-attr]


def start_stocktake(session: Session, note: str = "", actor_id: int | None = None) -> Stocktake:
    """Open a session: freeze the book of every product with stock (per lot for lot-kept products)."""
    if open_stocktake(session) is not None:
        raise Conflict("Đang có một phiên kiểm kê chưa duyệt: duyệt hoặc hủy phiên đó trước khi mở phiên mới.")
    stocktake = Stocktake(note=_clean_note(note), opened_by_id=actor_id, frozen_at=utcnow())
    session.add(stocktake)
    session.flush()  # the write lock is held from here: no movement can slip between the book and the mark
    stocktake.frozen_movement_id = int(session.scalar(select(func.coalesce(func.max(StockMovement.id), 0))) or 0)
    params = {"st": stocktake.id}
    session.execute(
        text(
            "INSERT INTO stocktakebook (stocktake_id, product_id, lot_id, book_qty) "
            "SELECT :st, product_id, id, qty FROM lot WHERE qty != 0"
        ),
        params,
    )
    session.execute(
        text(
            "INSERT INTO stocktakebook (stocktake_id, product_id, lot_id, book_qty) "
            "SELECT :st, s.product_id, NULL, s.qty FROM stocklevel s "
            "WHERE s.qty != 0 AND s.product_id NOT IN (SELECT product_id FROM lot)"
        ),
        params,
    )
    frozen = int(
        session.scalar(select(func.count()).where(StocktakeBook.stocktake_id == stocktake.id)) or 0  # type: ignore[arg-type]
    )
    audit.record(
        session,
        "stocktake.open",
        user_id=actor_id,
        entity="stocktake",
        entity_id=stocktake.id,
        after={"frozen_lines": frozen, "frozen_movement_id": stocktake.frozen_movement_id, "note": stocktake.note},
    )
    session.flush()
    return stocktake


def _must_be_open(session: Session, stocktake_id: int) -> Stocktake:
    stocktake = get_stocktake(session, stocktake_id)
    if stocktake.status != "open":
        raise Conflict("Phiên kiểm kê này đã đóng (đã duyệt hoặc đã hủy): không đếm thêm được.")
    return stocktake


def _parse_qty(raw: object, field: str, allow_zero: bool = False) -> int:
    if isinstance(raw, bool):
        raise ValidationError("Số lượng phải là số nguyên.", field)
    if isinstance(raw, int):
        value = raw
    else:
        text_ = nfc(str(raw or "")).replace(".", "").replace(" ", "")
        if not text_:
            return 1 if field == "qty" else 0
        if not (text_.isascii() and text_.lstrip("-").isdigit()) or len(text_) > 9:
            raise ValidationError("Số lượng phải là số nguyên, ví dụ 1 hoặc 12.", field)
        value = int(text_)
    if value < 0 or (value == 0 and not allow_zero):
        raise ValidationError("Số lượng đếm phải lớn hơn 0 (sửa số sai bằng nút Sửa).", field)
    if value > MAX_QTY:
        raise ValidationError(f"Số lượng quá lớn (tối đa {MAX_QTY_TEXT}).", field)
    return value


def _parse_count(raw: object, product: Product, field: str, allow_zero: bool = False) -> int:
    """A counted figure in the product's own unit: pieces, or grams for goods sold by weight (typed as the till
    takes a weight: '350' grams, '1,25' or '2 kg' kilograms)."""
    if not is_weighed(product.sold_by):
        return _parse_qty(raw, field, allow_zero)
    if isinstance(raw, int) and not isinstance(raw, bool):
        grams = raw
    else:
        text_ = nfc(str(raw or "")).strip()
        if not text_:  # a bare scan of the product's own code: one gram would be counted
            raise ValidationError(
                f"“{product.name}” bán theo cân: quét tem cân, hoặc nhập khối lượng đếm được "
                "(350 là 350 g, 1,25 là 1,25 kg).",
                field,
            )
        try:
            grams = read_weight(text_)
        except WeightError as exc:
            raise ValidationError(str(exc), field) from exc
    if grams < 0 or (grams == 0 and not allow_zero):
        raise ValidationError("Khối lượng đếm phải lớn hơn 0 (sửa số sai bằng nút Sửa).", field)
    if 0 < grams < MIN_WEIGHT_G:  # "2" meant 2 kg, as at the till
        raise ValidationError(
            f"Khối lượng {grams} g quá nhỏ. Nhập số gam (350) hoặc kg có dấu phẩy (1,25); 2 kg nhập “2 kg”.", field
        )
    if grams > MAX_QTY:
        raise ValidationError(f"Khối lượng quá lớn (tối đa {format_qty(MAX_QTY, product.sold_by)}).", field)
    return grams


def find_counted(
    session: Session, code: str, lot_id: object = None, layouts: Sequence[ScaleLayout] = ()
) -> tuple[Product, Lot | None, int | None]:
    """What a scanned code names for counting: the product, its lot for lot-kept food, and the grams of a
    weighing scale's label (None for any other code).

    Unlike the till, a count takes inactive products, expired and recalled lots: they are on the shelf.
    A product barcode of food kept in several lots raises LotChoiceNeeded (its lots in ``details``).
    """
    typed = "".join(nfc(code).split())
    if not typed:
        raise ValidationError("Chưa quét hoặc nhập mã vạch.", "code")
    grams: int | None = None
    lot = None
    if (reading := scale_reading(session, typed, layouts)) is not None:
        product = session.get(Product, reading[0])
        assert product is not None
        grams = label_grams(product, reading[1])
    else:
        lot = lot_by_barcode(session, typed) if typed.isdigit() else None
        product = session.get(Product, lot.product_id) if lot is not None else find_by_code(session, typed)
    if product is None:
        raise NotFound(f"Không tìm thấy sản phẩm có mã “{typed[:40]}”.", "code")
    if lot is None and lot_id not in (None, ""):
        lot = get_lot(session, int(lot_id) if str(lot_id).isdigit() else lot_id)
        if lot.product_id != product.id:
            raise ValidationError(f"Lô này không phải lô của “{product.name}”.", "lot_id")
    if lot is None and is_lot_kept(product):
        lots = lots_of(session, [product.id]).get(product.id, [])  # type: ignore[list-item]
        with_stock = [candidate for candidate in lots if candidate.qty]
        if len(lots) == 1 or len(with_stock) == 1:
            lot = (with_stock or lots)[0]
        elif lots:
            raise LotChoiceNeeded(
                f"“{product.name}” có nhiều lô: chọn lô đang đếm.",
                "lot_id",
                lots=[{"id": c.id, "name": lot_name(c), "qty": c.qty} for c in with_stock or lots],
                code=typed,
            )
    return product, lot, grams


def _mark(session: Session) -> int:
    return int(session.scalar(select(func.coalesce(func.max(StockMovement.id), 0))) or 0)


def _line_total(session: Session, stocktake_id: int, product_id: int, lot_id: int | None) -> int:
    return int(
        session.scalar(
            select(func.coalesce(func.sum(StocktakeCount.qty_delta), 0)).where(
                StocktakeCount.stocktake_id == stocktake_id,
                StocktakeCount.product_id == product_id,
                StocktakeCount.lot_id == lot_id if lot_id is not None else StocktakeCount.lot_id.is_(None),  # type: ignore[union-attr]
            )
        )
        or 0
    )


@dataclass(frozen=True)
class Counted:
    """What a count entry did, for the counter's screen."""

    product: Product
    lot: Lot | None
    added: int
    total: int


def count_item(
    session: Session,
    stocktake_id: int,
    code: str,
    qty: object = 1,
    *,
    lot_id: object = None,
    till_id: int | None = None,
    actor_id: int | None = None,
    layouts: Sequence[ScaleLayout] = (),
) -> Counted:
    """Add ``qty`` counted units of what ``code`` names to the session (a scan adds one; a scale label its grams,
    whatever ``qty`` says)."""
    stocktake = _must_be_open(session, stocktake_id)
    product, lot, grams = find_counted(session, code, lot_id, layouts)
    amount = grams if grams is not None else _parse_count(qty, product, "qty")
    entry = StocktakeCount(
        stocktake_id=stocktake.id,  # type: ignore[arg-type]
        product_id=product.id,  # type: ignore[arg-type]
        lot_id=lot.id if lot else None,
        qty_delta=amount,
        movement_mark=_mark(session),
        till_id=till_id,
        counted_by_id=actor_id,
    )
    session.add(entry)
    session.flush()
    return Counted(product, lot, amount, _line_total(session, stocktake.id, product.id, entry.lot_id))  # type: ignore[arg-type]


def correct_count(
    session: Session,
    stocktake_id: int,
    product_id: int,
    lot_id: int | None,
    counted_qty: object,
    *,
    till_id: int | None = None,
    actor_id: int | None = None,
) -> Counted:
    """Set a line's count to ``counted_qty`` (a miscount, a double scan): recorded as one more entry, audited."""
    stocktake = _must_be_open(session, stocktake_id)
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound("Không tìm thấy sản phẩm.")
    lot = get_lot(session, lot_id) if lot_id is not None else None
    if lot is not None and lot.product_id != product.id:
        raise ValidationError(f"Lô này không phải lô của “{product.name}”.", "lot_id")
    wanted = _parse_count(counted_qty, product, "counted_qty", allow_zero=True)
    before = _line_total(session, stocktake.id, product.id, lot_id)  # type: ignore[arg-type]
    if wanted != before:
        session.add(
            StocktakeCount(
                stocktake_id=stocktake.id,  # type: ignore[arg-type]
                product_id=product.id,  # type: ignore[arg-type]
                lot_id=lot_id,
                qty_delta=wanted - before,
                is_correction=True,
                movement_mark=_mark(session),
                till_id=till_id,
                counted_by_id=actor_id,
            )
        )
        audit.record(
            session,
            "stocktake.correct",
            user_id=actor_id,
            entity="stocktake",
            entity_id=stocktake.id,
            before={"product_id": product.id, "lot_id": lot_id, "counted": before},
            after={"product_id": product.id, "lot_id": lot_id, "counted": wanted},
        )
        session.flush()
    return Counted(product, lot, wanted - before, wanted)


def report(session: Session, stocktake_id: int) -> StocktakeReport:
    """Every frozen or counted product/lot of a session with its expected figure and difference."""
    stocktake = get_stocktake(session, stocktake_id)
    book = {
        (pid, lot): qty
        for pid, lot, qty in session.execute(
            select(StocktakeBook.product_id, StocktakeBook.lot_id, StocktakeBook.book_qty).where(
                StocktakeBook.stocktake_id == stocktake_id
            )
        )
    }
    counts = {
        (pid, lot): (int(total), int(n), int(mark))
        for pid, lot, total, n, mark in session.execute(
            select(
                StocktakeCount.product_id,
                StocktakeCount.lot_id,
                func.sum(StocktakeCount.qty_delta),
                func.count(),
                func.max(StocktakeCount.movement_mark),
            )
            .where(StocktakeCount.stocktake_id == stocktake_id)
            .group_by(StocktakeCount.product_id, StocktakeCount.lot_id)
        )
    }
    moved = {
        (pid, lot): int(total or 0)
        for pid, lot, total in session.execute(
            text(
                "SELECT c.product_id, c.lot_id, SUM(m.qty_delta) FROM "
                "(SELECT product_id, lot_id, MAX(movement_mark) AS mark FROM stocktakecount "
                " WHERE stocktake_id = :st GROUP BY product_id, lot_id) c "
                "JOIN stockmovement m ON m.product_id = c.product_id "
                " AND (c.lot_id IS NULL OR m.lot_id = c.lot_id) AND m.id > :frozen AND m.id <= c.mark "
                "GROUP BY c.product_id, c.lot_id"
            ),
            {"st": stocktake_id, "frozen": stocktake.frozen_movement_id},
        )
    }
    keys = set(book) | set(counts)
    products = {
        p.id: p
        for p in session.exec(select(Product).where(Product.id.in_({pid for pid, _ in keys})))  # type: ignore[union-attr]
    }
    lots = {
        lot.id: lot
        for lot in session.exec(select(Lot).where(Lot.id.in_({lot for _, lot in keys if lot is not None})))  # type: ignore[union-attr]
    }
    lines = []
    for pid, lot_id in keys:
        product = products[pid]
        total, entries, _ = counts.get((pid, lot_id), (None, 0, 0))
        lines.append(
            StocktakeLine(
                product_id=pid,
                lot_id=lot_id,
                product_name=product.name,
                sku=product.sku,
                unit=product.unit,
                lot_label=lot_name(lots[lot_id]) if lot_id is not None else "",
                book_qty=int(book.get((pid, lot_id), 0)),
                moved_qty=moved.get((pid, lot_id), 0),
                counted_qty=total,
                entries=entries,
                cost_vnd=product.cost_vnd,
                price_vnd=product.price_vnd,
                sold_by=product.sold_by,
            )
        )
    lines.sort(key=lambda line: (fold(line.product_name), line.product_id, line.lot_label))
    return StocktakeReport(
        stocktake=stocktake,
        counted=[line for line in lines if line.counted_qty is not None],
        not_counted=[line for line in lines if line.counted_qty is None],
    )


def approve_stocktake(
    session: Session, stocktake_id: int, actor_id: int | None = None, now: datetime | None = None
) -> list[StockMovement]:
    """Move the ledger by every counted line's difference, all in the caller's one transaction.

    A difference that would take today's book below zero (units sold after being counted, miscounted)
    stops at zero. Returns the 'count' movements written.
    """
    stocktake = _must_be_open(session, stocktake_id)
    summary = report(session, stocktake_id)
    movements = []
    note = f"Kiểm kê phiên số {stocktake.id}"
    for line in summary.with_difference:
        product = session.get(Product, line.product_id)
        assert product is not None
        if line.lot_id is not None:
            now_qty = get_lot(session, line.lot_id).qty
        else:
            now_qty = int(session.scalar(select(StockLevel.qty).where(StockLevel.product_id == line.product_id)) or 0)
        delta = max(line.difference or 0, -max(now_qty, 0))
        if delta:
            movements.append(record_count_delta(session, product, delta, note, actor_id, lot_id=line.lot_id))
    stocktake.status = "approved"
    stocktake.closed_at = now or utcnow()
    stocktake.closed_by_id = actor_id
    session.add(stocktake)
    audit.record(
        session,
        "stocktake.approve",
        user_id=actor_id,
        entity="stocktake",
        entity_id=stocktake.id,
        after={
            "counted_lines": len(summary.counted),
            "lines_changed": len(movements),
            "cost_difference_vnd": summary.cost_difference_vnd,
            "retail_difference_vnd": summary.retail_difference_vnd,
        },
    )
    session.flush()
    return movements


def cancel_stocktake(session: Session, stocktake_id: int, reason: str = "", actor_id: int | None = None) -> Stocktake:
    """Close a session without touching the stock (counts are kept for the record)."""
    stocktake = _must_be_open(session, stocktake_id)
    stocktake.status = "cancelled"
    stocktake.closed_at = utcnow()
    stocktake.closed_by_id = actor_id
    session.add(stocktake)
    audit.record(
        session,
        "stocktake.cancel",
        user_id=actor_id,
        entity="stocktake",
        entity_id=stocktake.id,
        after={"reason": _clean_note(reason)},
    )
    session.flush()
    return stocktake
