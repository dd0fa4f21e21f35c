"""A year of demo sales so that every report and office chart has something to judge (pos demo).

Seasons, Tết, weekends, two shifts a day with small cash differences, a few voids and returns, restocking
when a shelf runs low, and producer settlements closed every month. A year is some 9.000 sales, so it goes
in as bulk inserts into the real models' tables, and what the real flow computes is computed by the real code
for the whole year at once: stock levels folded from the ledger, every shift's figures from one set of grouped
queries (``shifts.shift_figures``) and its Z report frozen by ``shifts.freeze_close`` (what ``close_shift``
does), each month's statements for every producer by ``close_settlements`` and paid by ``mark_paid``; the audit
log gets the entries the till would have written (deliveries, shifts opened and closed, sign-offs, voids,
refunds, settlements), dated when they happened. The receipt and return counters move past the numbers used.
Food keeps lots as at the till: each delivery opens one with its expiry date, sales take first expiry first,
what expires on the shelf is written off. Demo data never syncs: the statements are held back from the outbox.
tests/unit/test_demo_history.py closes a sample again with the real services on a copy and compares.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from sqlalchemy import Date, bindparam, delete, func, insert, select, text, update
from sqlmodel import Session

from pos.audit import log as audit
from pos.auth.models import User
from pos.catalog.models import Producer, Product, VatRate
from pos.db import UTCDateTime
from pos.inventory.models import Intake, IntakeLine, Lot, StockLevel, StockMovement
from pos.money import allocate, vat_included
from pos.numbering import format_receipt_number, format_return_number, receipt_key, return_key
from pos.reports.period import Period
from pos.sales import shifts
from pos.sales.models import Payment, ReturnLine, Sale, SaleLine, SaleReturn, Shift
from pos.sales.vat import rates_on
from pos.settlement.services import close_settlements, mark_paid
from pos.sync import outbox
from pos.sync.models import OutboxRecord

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
# Lunar new year (mùng 1 Tết): the weeks before it are the showroom's busiest (gift baskets); the days after, quiet.
TET = (date(2025, 1, 29), date(2026, 2, 17), date(2027, 2, 6), date(2028, 1, 26))
HOLIDAYS = {(4, 30): 1.8, (5, 1): 1.8, (9, 2): 1.6, (1, 1): 1.4, (11, 20): 1.5, (3, 8): 1.4, (10, 20): 1.4}
# (choices, cumulative weights) for random.choices: lines in a sale 45/30/17/8 %, pieces of a cheap line 70/20/7/3 %,
# payment by cash/transfer/card 55/30/15 % (summed here, not again at each of some 9.000 sales)
LINES_PER_SALE = ([1, 2, 3, 4], [45, 75, 92, 100])
QTY_PER_LINE = ([1, 2, 3, 5], [70, 90, 97, 100])
PAYMENT_MIX = (["cash", "transfer", "card"], [55, 85, 100])
NOTES_DESC = (500_000, 200_000, 100_000, 50_000, 20_000, 10_000, 5_000, 2_000, 1_000)


@dataclass(frozen=True)
class Staff:
    """Who works the demo's till: two cashiers taking turns and the manager who signs off and settles."""

    cashier_ids: tuple[int, int]
    manager_id: int


def _local(day: date, hour: float) -> datetime:
    minutes = int(hour * 60)
    return datetime.combine(day, time(minutes // 60, minutes % 60), TZ)


def day_factor(day: date) -> float:
    """How busy a day is against an ordinary weekday: weekends, holidays, tourist months, Tết."""
    factor = {4: 1.15, 5: 1.5, 6: 1.45}.get(day.weekday(), 1.0)
    factor *= {6: 1.25, 7: 1.35, 8: 1.25, 12: 1.15, 3: 0.9, 9: 0.95}.get(day.month, 1.0)
    factor *= HOLIDAYS.get((day.month, day.day), 1.0)
    for tet in TET:
        before = (tet - day).days
        if 0 < before <= 21:
            factor *= 1.6 + (21 - before) / 9  # rising to about 3.8x on the eve
        elif -4 < before <= 0:
            return 0.0 if before > -3 else 0.4  # closed mùng 1-3, quiet mùng 4
        elif -12 < before <= -4:
            factor *= 0.6
    return factor


def _pick(rng: random.Random, options: tuple[list[Any], list[int]]) -> Any:
    """One of ``options`` (choices, cumulative weights), drawn as random.choices draws it."""
    values, cum_weights = options
    return rng.choices(values, cum_weights=cum_weights)[0]


def _notes_for(amount: int) -> dict[int, int]:
    """A drawer that holds ``amount``, note by note (largest first)."""
    counts = {}
    for note in NOTES_DESC:
        counts[note], amount = divmod(amount, note)
    return counts


def _tendered(rng: random.Random, total: int) -> int:
    """What a customer hands over for ``total``: exact, or rounded up to a convenient note."""
    step = rng.choice([10_000, 50_000, 100_000, 100_000, 500_000]) if rng.random() < 0.7 else 1_000
    return -(-total // step) * step


def seed_history(
    session: Session, products: list[Product], staff: Staff, today: date, showroom: dict[str, Any], days: int = 365
) -> dict[str, int]:
    """A year of trading before ``today`` (the catalogue exists, nothing sold yet); returns what was made."""
    rng = random.Random(20261206)
    # Some 37.000 rows take a uuid: version 4 from a generator seeded once from the system's randomness
    # (unique per run, unlike rng's), not a system call each as uuid4() makes.
    uuid_bits = random.Random(os.urandom(32)).getrandbits

    def new_uuid() -> UUID:
        return UUID(int=uuid_bits(128), version=4)

    code = str(showroom.get("code") or "SR01")
    first = today - timedelta(days=days)
    sellable = [p for p in products if p.is_active]
    weights = [1 / (p.price_vnd / 50_000) ** 0.7 for p in sellable]
    food_weights = [w * (2.2 if p.is_food else 1.0) for p, w in zip(sellable, weights, strict=True)]
    # Summed once (random.choices would sum the weights again at every one of some 9.000 sales).
    cum_weights, cum_food_weights = list(accumulate(weights)), list(accumulate(food_weights))
    level: dict[int, int] = {p.id: 0 for p in sellable}  # type: ignore[misc]
    counters: dict[str, int] = {}
    tables = (Sale, SaleLine, Shift, Intake, IntakeLine, Lot)
    ids = {t: int(session.scalar(select(func.coalesce(func.max(t.id), 0))) or 0) for t in tables}  # type: ignore[arg-type]
    keys = ("intake", "iline", "lot", "shift", "sale", "line", "pay", "move", "ret", "rline")
    rows: dict[str, list[dict[str, Any]]] = {k: [] for k in keys}
    line_nos: dict[int, int] = {}
    expected: dict[int, int] = {}  # shift id -> the cash its drawer should hold (chooses each count's difference)
    restocks: dict[tuple[date, int], int] = {}  # (day, producer) -> intake id
    shift_days: list[tuple[int, date, int]] = []  # shift id, day, cashier
    sold_lines: list[tuple[dict[str, Any], dict[str, Any], str]] = []  # line, sale, payment method
    # Food keeps its stock in lots, as at the till: each delivery opens one, sales take first expiry first,
    # what expires on the shelf is written off, so the lots of every food product add up to its on hand.
    lots: dict[int, list[dict[str, Any]]] = {}  # product id -> its lots, first expiry first
    lot_by_id: dict[int, dict[str, Any]] = {}
    line_parts: dict[int, list[tuple[int | None, int]]] = {}  # sale line id -> (lot id, qty) taken

    def expire(product: Product, day: date) -> None:
        """Lots past their date before ``day`` leave the shelf the morning after (tiêu hủy)."""
        for lot in lots.get(product.id, ()):  # type: ignore[arg-type]
            if lot["qty"] > 0 and lot["expiry_date"] < day:
                rows["move"].append(
                    {
                        "uuid": new_uuid(),
                        "product_id": product.id,
                        "kind": "adjustment",
                        "qty_delta": -lot["qty"],
                        "unit_cost_vnd": product.cost_vnd,
                        "reason": "destroyed",
                        "note": f"Hết hạn sử dụng lô {lot['lot_code']}",
                        "lot_id": lot["id"],
                        "created_by_id": staff.manager_id,
                        "created_at": _local(lot["expiry_date"] + timedelta(days=1), 7.0),
                    }
                )
                level[product.id] -= lot["qty"]  # type: ignore[index]
                lot["qty"] = 0

    def take_lots(product: Product, qty: int) -> list[tuple[int | None, int]]:
        """Which lots a sale of ``qty`` comes from (first expiry first); (None, qty) for goods without lots."""
        if not product.is_food:
            return [(None, qty)]
        parts: list[tuple[int | None, int]] = []
        for lot in lots[product.id]:  # type: ignore[index]
            part = min(lot["qty"], qty - sum(q for _, q in parts))
            if part > 0:
                lot["qty"] -= part
                parts.append((lot["id"], part))
        return parts

    def take(series: str, year: int) -> int:
        counters[series] = counters.get(series, 0) + 1
        return counters[series]

    def restock(product: Product, day: date, wanted: int) -> None:
        """A delivery before opening when the shelf would run out: a few weeks' worth."""
        key = (day, product.producer_id)
        intake_id = restocks.get(key)
        if intake_id is None:
            ids[Intake] += 1
            intake_id = restocks[key] = ids[Intake]
            rows["intake"].append(
                {
                    "id": intake_id,
                    "uuid": new_uuid(),
                    "producer_id": product.producer_id,
                    "received_on": day,
                    "delivery_note_number": f"PGH-{day:%y%m%d}-{product.producer_id:02d}",
                    "note": "Dữ liệu mẫu: bổ sung hàng",
                    "created_by_id": staff.manager_id,
                    "created_at": _local(day, 7.5),
                }
            )
            line_nos[intake_id] = 0
        qty = max(wanted, rng.randint(12, 30) if product.price_vnd < 400_000 else rng.randint(4, 10))
        made = day - timedelta(days=rng.randint(1, 10))
        ids[IntakeLine] += 1
        line_nos[intake_id] += 1
        lot_id = None
        if product.is_food:
            ids[Lot] += 1
            lot_id = ids[Lot]
            lot = {
                "id": lot_id,
                "uuid": new_uuid(),
                "product_id": product.id,
                "intake_line_id": ids[IntakeLine],
                "lot_code": f"L{made:%y%m%d}-{ids[IntakeLine] % 9 + 1}",
                "manufactured_on": made,
                "expiry_date": made + timedelta(days=rng.choice([180, 270, 365])),
                "qty": qty,
                "opening_qty": 0,
                "created_at": _local(day, 7.5),
            }
            rows["lot"].append(lot)
            lot_by_id[lot_id] = lot
            group = lots.setdefault(product.id, [])  # type: ignore[arg-type]
            group.append(lot)
            group.sort(key=lambda x: (x["expiry_date"], x["id"]))
        rows["iline"].append(
            {
                "id": ids[IntakeLine],
                "intake_id": intake_id,
                "line_no": line_nos[intake_id],
                "product_id": product.id,
                "qty": qty,
                "unit_cost_vnd": product.cost_vnd,
                "lot_code": lot_by_id[lot_id]["lot_code"] if lot_id else "",
                "manufactured_on": made if lot_id else None,
                "expiry_date": lot_by_id[lot_id]["expiry_date"] if lot_id else None,
            }
        )
        rows["move"].append(
            {
                "uuid": new_uuid(),
                "product_id": product.id,
                "kind": "intake",
                "qty_delta": qty,
                "unit_cost_vnd": product.cost_vnd,
                "intake_line_id": ids[IntakeLine],
                "lot_id": lot_id,
                "note": f"Phiếu nhập {intake_id}",
                "created_by_id": staff.manager_id,
                "created_at": _local(day, 7.5),
            }
        )
        level[product.id] += qty  # type: ignore[index]

    # The rates in force change only on a row's valid_from: rates_on is asked again on those days alone.
    changes = set(session.scalars(select(VatRate.valid_from).where(VatRate.valid_from > first)))
    rates = rates_on(session, first)
    day = first
    while day < today:
        busy = day_factor(day)
        if day in changes:
            rates = rates_on(session, day)
        n_sales = int(rng.gauss(20 * busy, 3 * max(busy, 0.3))) if busy else 0
        before_tet = any(0 < (tet - day).days <= 21 for tet in TET)
        for half, (start, end) in enumerate(((8.0, 14.0), (14.0, 21.0))):
            if not n_sales:
                break
            ids[Shift] += 1
            shift_id = ids[Shift]
            cashier = staff.cashier_ids[(half + day.isocalendar().week) % 2]
            rows["shift"].append(
                {
                    "id": shift_id,
                    "uuid": new_uuid(),
                    "cashier_id": cashier,
                    "status": "open",
                    "opened_at": _local(day, start - 0.25),
                    "opening_float_vnd": 1_000_000,
                    "count_detail": "",
                    "z_report": "",
                }
            )
            shift_days.append((shift_id, day, cashier))
            expected[shift_id] = 1_000_000
            share = n_sales * (0.42 if half == 0 else 0.58)
            times = sorted(rng.uniform(start, end - 0.1) for _ in range(max(int(share), 1)))
            for hour in times:
                ids[Sale] += 1
                at = _local(day, hour)
                picks = rng.choices(
                    sellable,
                    cum_weights=cum_food_weights if before_tet else cum_weights,
                    k=_pick(rng, LINES_PER_SALE),
                )
                lines = []
                for product in {p.id: p for p in picks}.values():  # a product once per sale
                    qty = 1 if product.price_vnd > 300_000 else _pick(rng, QTY_PER_LINE)
                    if product.is_food:
                        expire(product, day)
                    if level[product.id] < qty:  # type: ignore[index]
                        restock(product, day, qty)
                    level[product.id] -= qty  # type: ignore[index]
                    lines.append((product, qty))
                gross = [p.price_vnd * q for p, q in lines]
                discount = sum(gross) // 10 // 1000 * 1000 if rng.random() < 0.04 else 0  # a 10% goodwill discount
                shares = allocate(discount, gross) if discount else [0] * len(lines)
                total = sum(gross) - discount
                number = format_receipt_number(code, day.year, take(receipt_key(code, day.year), day.year))
                sale = {
                    "id": ids[Sale],
                    "uuid": new_uuid(),
                    "receipt_number": number,
                    "idempotency_key": f"demo-{ids[Sale]}",
                    "shift_id": shift_id,
                    "cashier_id": cashier,
                    "status": "completed",
                    "subtotal_vnd": sum(gross),
                    "line_discount_vnd": 0,
                    "sale_discount_vnd": discount,
                    "total_vnd": total,
                    "vat_vnd": 0,
                    "reprint_count": 0,
                    "created_at": at,
                    "void_reason": "",
                }
                vat_total = 0
                for line_no, ((product, qty), line_gross, cut) in enumerate(zip(lines, gross, shares, strict=True), 1):
                    ids[SaleLine] += 1
                    rate = rates.get(product.vat_class, 0)
                    line_total = line_gross - cut
                    vat = vat_included(line_total, rate)
                    vat_total += vat
                    line = {
                        "id": ids[SaleLine],
                        "sale_id": sale["id"],
                        "line_no": line_no,
                        "product_id": product.id,
                        "producer_id": product.producer_id,
                        "name": product.name,
                        "sku": product.sku,
                        "barcode": product.barcode,
                        "unit": product.unit,
                        "qty": qty,
                        "unit_price_vnd": product.price_vnd,
                        "discount_vnd": cut,
                        "total_vnd": line_total,
                        "vat_rate_bp": rate,
                        "vat_vnd": vat,
                        "unit_cost_vnd": product.cost_vnd,
                    }
                    rows["line"].append(line)
                    line_parts[line["id"]] = take_lots(product, qty)
                    for lot_id, part in line_parts[line["id"]]:
                        rows["move"].append(
                            {
                                "uuid": new_uuid(),
                                "product_id": product.id,
                                "kind": "sale",
                                "qty_delta": -part,
                                "unit_cost_vnd": product.cost_vnd,
                                "sale_line_id": line["id"],
                                "lot_id": lot_id,
                                "note": number,
                                "created_by_id": cashier,
                                "created_at": at,
                            }
                        )
                    sold_lines.append((line, sale, ""))
                sale["vat_vnd"] = vat_total
                method = _pick(rng, PAYMENT_MIX)
                tendered = _tendered(rng, total) if method == "cash" else None
                rows["pay"].append(
                    {
                        "sale_id": sale["id"],
                        "method": method,
                        "amount_vnd": total,
                        "tendered_vnd": tendered,
                        "change_vnd": tendered - total if tendered is not None else None,
                        "reference": "" if method == "cash" else f"DEMO{sale['id']:06d}",
                    }
                )
                for i in range(len(lines)):
                    sold_lines[-1 - i] = (sold_lines[-1 - i][0], sale, method)
                if method == "cash":
                    expected[shift_id] += total
                if rng.random() < 0.004:  # a sale cancelled by the manager a few minutes later, stock back
                    sale.update(status="voided", voided_at=at + timedelta(minutes=4), voided_by_id=staff.manager_id)
                    if method == "cash":
                        expected[shift_id] -= total
                    sale["void_reason"] = rng.choice(["Khách đổi ý", "Quét nhầm sản phẩm", "Khách không đủ tiền"])
                    for line_id, (product, qty) in enumerate(lines, ids[SaleLine] - len(lines) + 1):
                        level[product.id] += qty  # type: ignore[index]
                        for lot_id, part in line_parts[line_id]:
                            if lot_id is not None:
                                lot_by_id[lot_id]["qty"] += part
                            rows["move"].append(
                                {
                                    "uuid": new_uuid(),
                                    "product_id": product.id,
                                    "kind": "void",
                                    "qty_delta": part,
                                    "unit_cost_vnd": product.cost_vnd,
                                    "sale_line_id": line_id,
                                    "lot_id": lot_id,
                                    "note": number,
                                    "created_by_id": staff.manager_id,
                                    "created_at": sale["voided_at"],
                                }
                            )
                rows["sale"].append(sale)
        day += timedelta(days=1)

    _returns(rng, rows, sold_lines, shift_days, level, code, take, expected, line_parts, lot_by_id)
    for product in sellable:
        expire(product, today)
    for table, key in (
        (Intake, "intake"),
        (IntakeLine, "iline"),
        (Lot, "lot"),
        (Shift, "shift"),
        (Sale, "sale"),
        (SaleLine, "line"),
        (Payment, "pay"),
        (SaleReturn, "ret"),
        (ReturnLine, "rline"),
        (StockMovement, "move"),
    ):
        if rows[key]:
            _insert_many(session, table.__table__, rows[key])  # type: ignore[attr-defined]
    _fold_levels(session)
    _set_counters(session, counters)
    closes = _close_shifts(session, rng, shift_days, expected, staff, showroom)
    audit.record_many(session, [*_audit_entries(session, rows), *closes])
    with outbox.held_back(session):  # demo data never syncs: the statements are not published
        settled = _settle_monthly(session, staff, first, today, code)
    session.execute(delete(OutboxRecord))  # nor anything else the history made
    return {
        "sales": len(rows["sale"]),
        "lines": len(rows["line"]),
        "returns": len(rows["ret"]),
        "voids": sum(1 for s in rows["sale"] if s["status"] == "voided"),
        "shifts": len(shift_days),
        "restocks": len(restocks),
        "settlements": settled,
    }


def _returns(
    rng: random.Random,
    rows: dict[str, list[dict[str, Any]]],
    sold_lines: list[tuple[dict[str, Any], dict[str, Any], str]],
    shift_days: list[tuple[int, date, int]],
    level: dict[int, int],
    code: str,
    take: Any,
    expected: dict[int, int],
    line_parts: dict[int, list[tuple[int | None, int]]],
    lot_by_id: dict[int, dict[str, Any]],
) -> None:
    """About one sale in a hundred comes back one unit, a few days later, refunded the way it was paid."""
    by_day = {}
    for shift_id, day, cashier in shift_days:
        by_day[day] = (shift_id, cashier)  # the afternoon shift of the day
    last_day = max(by_day) if by_day else None
    for line, sale, method in sold_lines:
        if sale["status"] != "completed" or rng.random() > 0.01 or line["line_no"] != 1:
            continue
        day = sale["created_at"].astimezone(TZ).date() + timedelta(days=rng.randint(1, 5))
        while day not in by_day and last_day and day <= last_day:
            day += timedelta(days=1)
        if day not in by_day:
            continue
        shift_id, cashier = by_day[day]
        at = _local(day, 16.5)
        amount = line["total_vnd"] // line["qty"]
        return_id = len(rows["ret"]) + 1
        number = format_return_number(code, day.year, take(return_key(code, day.year), day.year))
        rows["ret"].append(
            {
                "id": return_id,
                "uuid": uuid4(),
                "return_number": number,
                "idempotency_key": f"demo-return-{return_id}",
                "sale_id": sale["id"],
                "shift_id": shift_id,
                "cashier_id": cashier,
                "refund_method": method if method != "card" else "transfer",
                "total_vnd": amount,
                "reason": rng.choice(["Hộp bị móp", "Khách đổi ý, hàng còn nguyên", "Sản phẩm lỗi"]),
                "created_at": at,
            }
        )
        rows["rline"].append(
            {"id": return_id, "return_id": return_id, "sale_line_id": line["id"], "qty": 1, "amount_vnd": amount}
        )
        lot_id = line_parts[line["id"]][0][0]  # back to the lot it was sold from
        if lot_id is not None:
            lot_by_id[lot_id]["qty"] += 1
        rows["move"].append(
            {
                "uuid": uuid4(),
                "product_id": line["product_id"],
                "kind": "return",
                "qty_delta": 1,
                "unit_cost_vnd": line["unit_cost_vnd"],
                "return_line_id": return_id,
                "lot_id": lot_id,
                "note": number,
                "created_by_id": cashier,
                "created_at": at,
            }
        )
        level[line["product_id"]] += 1
        if rows["ret"][-1]["refund_method"] == "cash":
            expected[shift_id] -= amount


def _audit_entries(session: Session, rows: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The audit entries the real flow writes for the history: deliveries, shifts opened, voids, refunds."""
    names = dict(session.execute(select(User.id, User.username)).all())
    producers = dict(session.execute(select(Producer.id, Producer.name)).all())
    lines: dict[int, list[int]] = {}
    for line in rows["iline"]:
        lines.setdefault(line["intake_id"], []).append(line["qty"])
    receipts = {sale["id"]: sale["receipt_number"] for sale in rows["sale"]}
    # (action, who, entity, its row, before, after, when), as intake.py, shifts.py and returns.py record them
    made: list[tuple[str, int, str, dict[str, Any], dict[str, Any] | None, dict[str, Any], datetime]] = []
    for intake in rows["intake"]:
        after = {
            "producer": producers[intake["producer_id"]],
            "delivery_note_number": intake["delivery_note_number"],
            "lines": len(lines[intake["id"]]),
            "qty": sum(lines[intake["id"]]),
        }
        made.append(("intake.create", intake["created_by_id"], "intake", intake, None, after, intake["created_at"]))
    for shift in rows["shift"]:
        after = {"opening_float_vnd": shift["opening_float_vnd"], "till_id": None}
        made.append(("shift.open", shift["cashier_id"], "shift", shift, None, after, shift["opened_at"]))
    for sale in rows["sale"]:
        if sale["status"] == "voided":
            after = {
                "status": "voided",
                "receipt_number": sale["receipt_number"],
                "total_vnd": sale["total_vnd"],
                "reason": sale["void_reason"],
                "requested_by": names[sale["cashier_id"]],
            }
            made.append(
                ("sale.void", sale["voided_by_id"], "sale", sale, {"status": "completed"}, after, sale["voided_at"])
            )
    for ret in rows["ret"]:
        after = {
            "return_number": ret["return_number"],
            "receipt_number": receipts[ret["sale_id"]],
            "refund_method": ret["refund_method"],
            "total_vnd": ret["total_vnd"],
            "reason": ret["reason"],
            "points_taken": 0,
            "points_forgiven": 0,
        }
        made.append(("refund", ret["cashier_id"], "salereturn", ret, None, after, ret["created_at"]))
    return [
        audit.entry(action, user_id=user, entity=entity, entity_id=row["id"], before=before, after=after, at=at)
        for action, user, entity, row, before, after, at in made
    ]


def _insert_many(session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    """Rows into ``table`` in one executemany, each value bound through its column's type as Core binds it.

    A column a row leaves out takes its default, as in a Core insert. Core's own executemany builds a parameter
    set per row, which for the history's 60.000 rows costs more than the database's work; this binds column by
    column and hands the driver one statement.
    """
    connection = session.connection()
    dialect = connection.dialect
    given = set().union(*rows)
    columns: dict[str, list[Any]] = {}
    for column in table.c:
        default = column.default
        if column.key in given:
            key = column.key
            try:
                values = [row[key] for row in rows]  # most columns are in every row: indexing is the fast path
            except KeyError:
                fallback = default.arg if default is not None and default.is_scalar else None
                values = [row.get(key, fallback) for row in rows]
        elif default is not None and default.is_scalar:
            values = [default.arg] * len(rows)
        elif default is not None and default.is_callable:
            values = [default.arg(None) for _ in rows]  # uuid4, utcnow
        else:
            continue
        bind = column.type.dialect_impl(dialect).bind_processor(dialect)
        if bind is None:
            columns[column.key] = values
        elif isinstance(column.type, UTCDateTime | Date):
            # A sale's lines and movements share its time: each distinct moment is bound once.
            bound: dict[Any, Any] = {}
            columns[column.key] = [bound[v] if v in bound else bound.setdefault(v, bind(v)) for v in values]
        else:
            columns[column.key] = [bind(v) for v in values]
    names = ", ".join(dialect.identifier_preparer.quote(table.c[key].name) for key in columns)
    marks = ", ".join(("?" if dialect.paramstyle == "qmark" else "%s") for _ in columns)
    connection.exec_driver_sql(
        f"INSERT INTO {dialect.identifier_preparer.format_table(table)} ({names}) VALUES ({marks})",
        list(zip(*columns.values(), strict=True)),
    )


def _fold_levels(session: Session) -> None:
    """Stock levels as the ledger says (the till reads StockLevel; the history went in around it)."""
    session.execute(delete(StockLevel))
    session.execute(
        insert(StockLevel.__table__).from_select(  # type: ignore[attr-defined]
            ["product_id", "qty"],
            select(StockMovement.product_id, func.sum(StockMovement.qty_delta)).group_by(StockMovement.product_id),
        )
    )


def _set_counters(session: Session, counters: dict[str, int]) -> None:
    """The receipt and return counters past the numbers the history used, so the next sale follows on."""
    for name, value in counters.items():
        session.execute(
            text(
                "INSERT INTO counter (name, value) VALUES (:name, :value) "
                "ON CONFLICT (name) DO UPDATE SET value = max(counter.value, excluded.value)"
            ),
            {"name": name, "value": value},
        )


def _close_shifts(
    session: Session,
    rng: random.Random,
    shift_days: list[tuple[int, date, int]],
    expected_cash: dict[int, int],
    staff: Staff,
    showroom: dict,
) -> list[dict[str, Any]]:
    """Each shift counted and closed as close_shift would: mostly even, a few thousand off, rarely more.

    A year of shifts at once: their figures from one set of grouped queries (shifts.shift_figures), each Z report
    frozen by shifts.freeze_close, the rows written back in one executemany; returns the closes' audit entries.
    """
    threshold = 50_000
    loaded = {shift.id: shift for shift in session.scalars(select(Shift).where(Shift.status == "open"))}
    figures = shifts.shift_figures(session, {i: loaded[i].opening_float_vnd for i, _, _ in shift_days})
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_((*staff.cashier_ids, staff.manager_id))))}  # type: ignore[attr-defined]
    manager = users[staff.manager_id]
    entries: list[dict[str, Any]] = []
    columns = ("status", "closed_at", "counted_cash_vnd", "count_detail", "expected_cash_vnd", "difference_vnd")
    updates = []
    for shift_id, day, cashier in shift_days:
        shift = loaded[shift_id]
        expected = expected_cash[shift_id]
        assert figures[shift_id]["expected_cash_vnd"] == expected  # the history's own book agrees with the tables
        roll = rng.random()
        if roll < 0.80:
            difference = 0
        elif roll < 0.97:
            difference = rng.choice([-1, 1]) * rng.choice([1_000, 2_000, 5_000, 10_000, 20_000])
        else:
            difference = -rng.choice([60_000, 100_000, 200_000])
        counted = max(expected + difference, 0)
        closing = shift.opened_at.astimezone(TZ).hour < 12
        entries += shifts.freeze_close(
            shift,
            shifts.report_of(shift, users[cashier], None, figures[shift_id]),
            shifts.parse_counts(_notes_for(counted)),
            actor=users[cashier],
            signer=manager if abs(counted - expected) > threshold else None,
            threshold_vnd=threshold,
            attempts=1,
            showroom=showroom,
            closed_at=_local(day, 14.1 if closing else 21.2).astimezone(UTC),  # as utcnow() gives it at the till
        )
        updates.append(
            {
                "b_id": shift_id,
                "signed_off_by_id": shift.signed_off_by_id,
                "z_report": shift.z_report,
                **{c: getattr(shift, c) for c in columns},
            }
        )
    for shift in loaded.values():
        session.expunge(shift)  # written below in one statement, not by the unit of work
    table = Shift.__table__  # type: ignore[attr-defined]
    session.execute(
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values({c: bindparam(c) for c in updates[0] if c != "b_id"}),
        updates,
    )
    return entries


def _settle_monthly(session: Session, staff: Staff, first: date, today: date, code: str) -> int:
    """Every producer's months closed on the 5th of the next month and paid, the last month left to pay."""
    producers = list(session.scalars(select(Producer).order_by(Producer.id)))  # held: mark_paid finds them loaded
    producer_ids = [producer.id for producer in producers]
    month = date(first.year, first.month, 1)
    if month < first:
        month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    made = 0
    while True:
        nxt = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
        end = nxt - timedelta(days=1)
        closing_day = nxt + timedelta(days=4)
        if closing_day >= today:
            break
        settlements = close_settlements(
            session,
            producer_ids,
            Period(month, end, TZ),
            staff.manager_id,
            today=closing_day,
            showroom_code=code,
            now=_local(closing_day, 10),
        )
        made += len(settlements)
        if nxt + timedelta(days=35) < today:
            for settlement in settlements:  # paid ten days after closing
                paid_at = _local(closing_day + timedelta(days=10), 15)
                mark_paid(session, settlement.id, staff.manager_id, f"UNC-{settlement.number}", now=paid_at)  # type: ignore[arg-type]
        month = nxt
    session.flush()
    return made
