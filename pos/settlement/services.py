"""Producer settlement (đối soát và thanh toán cho nhà sản xuất) and goods handed back to producers.

How periods and corrections work:
- Every event counts in the period in which it was recorded: a sale on its sale time, a customer return
  on the return's time (against the price actually paid), a stock movement on its own time.
- A period can be closed only once it is over (its last day is before today), so nothing recorded
  afterwards can carry a time inside it: a return of a sale from a closed period falls, by its own date,
  into the next open period, which is the correction the producer sees there.
- A void is the one event that reaches back: it takes a sale out of every sum. A void recorded after the
  sale's period was closed is therefore carried into the period of the void, as a negative line
  ("Hủy đơn của kỳ đã chốt"), and the closed statement stays as signed. Its promotion's cost goes back with
  it, in the same period: the void line carries the cost negative, so what the closed period added back
  (the showroom's share, on consignment) or deducted (the producer's) is undone there, and the statement
  shows that part on a line of its own.
- Periods of one producer are contiguous and never overlap: each one starts the day after the last one.
- Closing freezes the figures as JSON; the statement is printed from that JSON, never recomputed.

Promotions (pos/promotions/) cost what they took off the list price, borne by the showroom or by the
producer as the promotion was set (the producer's terms). Every annex line carries its promotion's share
(a return: the returned part of it). On consignment the producer is paid on the promoted price less only
what it bears: the showroom's share is added back before the commission. On outright purchase the producer
is paid for goods received, less the promotion cost it agreed to bear.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import defer
from sqlmodel import Session

from pos.audit.log import entry as audit_entry
from pos.audit.log import record as audit
from pos.audit.log import record_many
from pos.auth.models import User
from pos.catalog.models import Producer, Product
from pos.db import UTCDateTime, utcnow
from pos.errors import Conflict, NotFound, ValidationError
from pos.inventory.ledger import on_hand, record_movement
from pos.inventory.lots import Want, allocate
from pos.inventory.models import StockMovement
from pos.money import part_sql, percent_of
from pos.numbering import take_settlement_numbers
from pos.quantity import amount_sql, is_weighed
from pos.reports.period import Period, format_dmy, local_date, shop_timezone
from pos.reports.queries import COMPLETED, fetch
from pos.settlement.models import Settlement
from pos.sync.outbox import enqueue, is_held_back
from pos.text import nfc

MAX_RETURN_QTY = 100_000
# Ledger kinds and the settlement column each one feeds; a kind missing here breaks the reconciliation,
# which is the point: the statement must not balance by accident.
QTY_KINDS = {
    "intake": "received",
    "return": "customer_returns",
    "void": "voids",
    "sale": "sold",
    "return_to_producer": "returned_to_producer",
    "adjustment": "adjusted",
    "count": "adjusted",
    "basket": "in_baskets",  # into gift baskets assembled ahead (-), back out when taken apart or sold (+)
    # Goods moved between showrooms stay the producer's (consignment): each showroom settles what it sold.
    "transfer_out": "transferred",
    "transfer_in": "transferred",
    "transfer_cancel": "transferred",  # a note called back: its goods back in this ledger
}
OUTFLOWS = {"sold", "returned_to_producer"}  # shown as positive quantities taken out
# A component sold in a gift basket: the statement's annex names the basket (pos/baskets/split.py says
# how the basket's price was shared between its components).
IN_BASKET = "sb.name AS basket"
BASKET_JOIN = (
    "LEFT JOIN salebasketline sbl ON sbl.sale_line_id = sl.id LEFT JOIN salebasket sb ON sb.id = sbl.sale_basket_id"
)
# The promotion a sale line got (pos/promotions/models.py SalePromotion): its cost and who bears it; a return
# takes back its part of the cost, half-up to the đồng.
PROMO = "COALESCE(sp.discount_vnd, 0) AS promo, COALESCE(sp.borne_by, '') AS borne"
PROMO_RETURNED = (
    f"COALESCE({part_sql('sp.discount_vnd', 'rl.qty', 'sl.qty')}, 0) AS promo, COALESCE(sp.borne_by, '') AS borne"
)
PROMO_JOIN = "LEFT JOIN salepromotion sp ON sp.sale_line_id = sl.id"
QTY_FIELDS = (
    "opening",
    "received",
    "customer_returns",
    "voids",
    "sold",
    "returned_to_producer",
    "adjusted",
    "in_baskets",
    "transferred",
    "closing",
)
# The totals of weighed goods, in grams, beside the pieces' (QTY_FIELDS): grams and pieces are never added.
WEIGHT_FIELDS = tuple(f"{key}_g" for key in QTY_FIELDS)


@dataclass(frozen=True)
class ProducerTerms:
    """What the producer is paid: consignment (net sales less commission) or outright purchase (goods received)."""

    is_consignment: bool
    commission_bp: int


def settlement_amounts(
    net_sales_vnd: int,
    terms: ProducerTerms,
    received_value_vnd: int,
    returned_value_vnd: int,
    promo_showroom_vnd: int = 0,
    promo_producer_vnd: int = 0,
) -> dict[str, int]:
    """Commission and amount owed: pure arithmetic, rounding half-up to the đồng.

    Consignment: the commission is on the net sales with the showroom-borne promotion cost added back (the
    producer is paid as if the showroom's own promotions had not been run). Purchase: goods received less
    returned, less the promotion cost the producer bears.
    """
    if terms.is_consignment:
        basis = net_sales_vnd + promo_showroom_vnd
        commission = percent_of(basis, terms.commission_bp)
        return {"commission_vnd": commission, "amount_owed_vnd": basis - commission}
    return {"commission_vnd": 0, "amount_owed_vnd": received_value_vnd - returned_value_vnd - promo_producer_vnd}


def reconciles(row: dict[str, int]) -> bool:
    """opening + received + customer returns + voids - sold - returned to producer ± adjusted ± baskets = closing."""
    return (
        row["opening"]
        + row["received"]
        + row["customer_returns"]
        + row["voids"]
        - row["sold"]
        - row["returned_to_producer"]
        + row["adjusted"]
        + row.get("in_baskets", 0)
        + row.get("transferred", 0)
        == row["closing"]
    )


# --- Computing a period ---------------------------------------------------------------------------------


def _producer(session: Session, producer_id: int) -> Producer:
    producer = session.get(Producer, producer_id)
    if producer is None:
        raise NotFound("Không tìm thấy nhà sản xuất.", "producer_id")
    return producer


def _quantities(
    session: Session, producer_ids: list[int], period: Period
) -> dict[int, tuple[list[dict[str, Any]], dict[str, int]]]:
    """Per product of each producer: on hand at the start, each kind of movement in the period, on hand at the end."""
    kinds = list(QTY_KINDS.items())
    # The ledger summed once per product, kind and side of the period's start (a few rows per product), then
    # spread into columns: cheaper than every column's CASE over every movement of the product's history.
    in_period = ", ".join(
        f"SUM(CASE WHEN g.inside = 1 AND g.kind = :k{i} THEN g.qty ELSE 0 END) AS q{i}" for i, _ in enumerate(kinds)
    )
    params: dict[str, Any] = {"start": period.utc_start, "end": period.utc_end, "pids": producer_ids}
    params.update({f"k{i}": kind for i, (kind, _) in enumerate(kinds)})
    cost = "COALESCE(m.unit_cost_vnd, 0)"
    rows = fetch(
        session,
        "SELECT p.producer_id AS producer_id, p.id AS product_id, p.sku AS sku, p.name AS name, p.unit AS unit, "
        "p.sold_by AS sold_by, "
        "SUM(CASE WHEN g.inside = 1 THEN 0 ELSE g.qty END) AS opening, "
        "SUM(g.qty) AS closing, "
        f"{in_period}, "
        "SUM(CASE WHEN g.inside = 1 AND g.kind = 'intake' THEN g.value ELSE 0 END) AS received_value, "
        "SUM(CASE WHEN g.inside = 1 AND g.kind = 'return_to_producer' THEN g.value ELSE 0 END) AS returned_value "
        "FROM (SELECT m.product_id AS product_id, m.kind AS kind, "
        "CASE WHEN m.created_at >= :start THEN 1 ELSE 0 END AS inside, SUM(m.qty_delta) AS qty, "
        # Each delivery's value: qty × unit cost, grams × cost per kg rounded half-up for goods sold by weight.
        f"SUM(CASE WHEN m.kind = 'intake' THEN {amount_sql('m.qty_delta', cost, 'p.sold_by')} "
        f"WHEN m.kind = 'return_to_producer' THEN {amount_sql('(-m.qty_delta)', cost, 'p.sold_by')} "
        "ELSE 0 END) AS value "
        "FROM stockmovement m JOIN product p ON p.id = m.product_id "
        "WHERE p.producer_id IN :pids AND m.created_at < :end GROUP BY 1, 2, 3) g "
        "JOIN product p ON p.id = g.product_id "
        "GROUP BY p.producer_id, p.id, p.sku, p.name, p.unit, p.sold_by ORDER BY p.name, p.sku",
        params,
    )
    found: dict[int, tuple[list[dict[str, Any]], dict[str, int]]] = {
        pid: ([], dict.fromkeys((*QTY_FIELDS, *WEIGHT_FIELDS, "received_value_vnd", "returned_value_vnd"), 0))
        for pid in producer_ids
    }
    for r in rows:
        out, totals = found[r.producer_id]
        m = r._mapping
        row: dict[str, Any] = {"sku": r.sku, "name": r.name, "unit": r.unit, "sold_by": r.sold_by}
        row.update(dict.fromkeys(QTY_FIELDS, 0))
        row["opening"], row["closing"] = int(r.opening or 0), int(r.closing or 0)
        for i, (_, column) in enumerate(kinds):
            value = int(m[f"q{i}"] or 0)
            row[column] += -value if column in OUTFLOWS else value
        row["received_value_vnd"] = int(r.received_value or 0)
        row["returned_value_vnd"] = int(r.returned_value or 0)
        if not any(row[f] for f in QTY_FIELDS):
            continue  # a product with nothing on hand and no movement in the period
        row["reconciles"] = reconciles(row)
        weighed = is_weighed(r.sold_by)  # its grams go to the totals in kg, never to the pieces
        for key in QTY_FIELDS:
            totals[f"{key}_g" if weighed else key] += row[key]
        for key in ("received_value_vnd", "returned_value_vnd"):
            totals[key] += row[key]
        out.append(row)
    return found


def _annex(session: Session, producer_ids: list[int], period: Period) -> dict[int, list[dict[str, Any]]]:
    """Of each producer, every sale line, customer return line and late void behind the sums, in time order."""
    tz = period.tz
    params = {"start": period.utc_start, "end": period.utc_end, "pids": producer_ids, "completed": COMPLETED}
    found: dict[int, list[tuple[datetime, int, dict[str, Any]]]] = {pid: [] for pid in producer_ids}
    stamps: dict[datetime, str] = {}  # a sale's lines share its time: written once

    def stamp(at: datetime) -> str:
        written = stamps.get(at)
        if written is None:
            written = stamps[at] = at.astimezone(tz).strftime("%d/%m/%Y %H:%M")
        return written

    for r in fetch(
        session,
        "SELECT sl.producer_id AS pid, s.receipt_number AS receipt, s.created_at AS at, sl.id AS line_id, "
        "sl.sku AS sku, sl.name AS name, sl.sold_by AS sold_by, "
        "sl.qty AS qty, sl.unit_price_vnd AS price, sl.discount_vnd AS discount, sl.total_vnd AS total, "
        f"{IN_BASKET}, {PROMO} FROM sale s JOIN saleline sl ON sl.sale_id = s.id {BASKET_JOIN} {PROMO_JOIN} "
        "WHERE sl.producer_id IN :pids AND s.status = :completed AND s.created_at >= :start AND s.created_at < :end",
        params,
        at=UTCDateTime(),
    ):
        found[r.pid].append((r.at, r.line_id, _line("sale", r.receipt, "", stamp(r.at), r, 1)))
    for r in fetch(
        session,
        "SELECT sl.producer_id AS pid, r.return_number AS number, s.receipt_number AS receipt, r.created_at AS at, "
        "rl.id AS line_id, "
        "sl.sku AS sku, sl.name AS name, sl.sold_by AS sold_by, rl.qty AS qty, sl.unit_price_vnd AS price, "
        f"{amount_sql('rl.qty', 'sl.unit_price_vnd', 'sl.sold_by')} - rl.amount_vnd AS discount, "
        f"rl.amount_vnd AS total, {IN_BASKET}, {PROMO_RETURNED} "
        "FROM salereturn r JOIN returnline rl ON rl.return_id = r.id "
        f"JOIN saleline sl ON sl.id = rl.sale_line_id JOIN sale s ON s.id = sl.sale_id {BASKET_JOIN} {PROMO_JOIN} "
        "WHERE sl.producer_id IN :pids AND s.status = :completed AND r.created_at >= :start AND r.created_at < :end",
        params,
        at=UTCDateTime(),
    ):
        found[r.pid].append((r.at, r.line_id, _line("return", r.receipt, r.number, stamp(r.at), r, -1)))
    for r in _late_voids(session, producer_ids, period):
        found[r.pid].append((r.at, r.line_id, _line("void", r.receipt, "", stamp(r.at), r, -1)))
    out = {}
    for pid, lines in found.items():
        lines.sort(key=lambda t: (t[0], t[2]["kind"] != "sale", t[1]))
        out[pid] = [line for _, _, line in lines]
    return out


def _line(kind: str, receipt: str, number: str, at: str, r: Any, sign: int) -> dict[str, Any]:
    """One annex line from its row; ``at`` is its local time already written dd/mm/yyyy hh:mm."""
    basket = r.basket
    return {
        "kind": kind,
        "receipt_number": receipt,
        "return_number": number,
        "at": at,
        "sku": r.sku,
        "name": f"{r.name} (trong giỏ quà “{basket}”)" if basket else r.name,
        "qty": sign * int(r.qty),
        "sold_by": r.sold_by,  # "weight": qty in grams, unit_price_vnd per kg
        "unit_price_vnd": int(r.price),
        "discount_vnd": sign * int(r.discount),
        "total_vnd": sign * int(r.total),
        "promo_vnd": sign * int(r.promo),
        "promo_borne_by": r.borne,
    }


def _late_voids(session: Session, producer_ids: list[int], period: Period) -> list[Any]:
    """Lines of sales voided in this period whose sale lies in a period of its producer closed before the void."""
    found = fetch(
        session,
        "SELECT sl.producer_id AS pid, s.receipt_number AS receipt, s.created_at AS sold_at, s.voided_at AS at, "
        "sl.id AS line_id, "
        "sl.sku AS sku, sl.name AS name, sl.sold_by AS sold_by, sl.qty AS qty, sl.unit_price_vnd AS price, "
        "sl.discount_vnd AS discount, "
        f"sl.total_vnd AS total, {IN_BASKET}, {PROMO} FROM sale s JOIN saleline sl ON sl.sale_id = s.id "
        f"{BASKET_JOIN} {PROMO_JOIN} "
        "WHERE sl.producer_id IN :pids AND s.status = :voided AND s.voided_at >= :start AND s.voided_at < :end "
        "AND s.created_at < :start",
        {"start": period.utc_start, "end": period.utc_end, "pids": producer_ids, "voided": "voided"},
        sold_at=UTCDateTime(),
        at=UTCDateTime(),
    )
    if not found:
        return []
    closed: dict[int, list[Settlement]] = {}
    for settlement in session.scalars(
        select(Settlement).where(Settlement.producer_id.in_({r.pid for r in found}))  # type: ignore[attr-defined]
    ):
        closed.setdefault(settlement.producer_id, []).append(settlement)
    late = []
    for r in found:
        day = local_date(r.sold_at, period.tz)
        if any(s.period_start <= day <= s.period_end and s.created_at < r.at for s in closed.get(r.pid, ())):
            late.append(r)
    return late


def compute_settlement(session: Session, producer_id: int, period: Period) -> dict[str, Any]:
    """Every figure of a producer's statement for a period, as a JSON-ready dict (nothing is written)."""
    return compute_settlements(session, [_producer(session, producer_id)], period)[producer_id]


def compute_settlements(session: Session, producers: list[Producer], period: Period) -> dict[int, dict[str, Any]]:
    """The statement figures of several producers for one period, from one set of queries (producer id -> figures)."""
    ids = [p.id for p in producers]
    quantities = _quantities(session, ids, period)  # type: ignore[arg-type]
    annex = _annex(session, ids, period)  # type: ignore[arg-type]
    return {p.id: _statement(p, period, *quantities[p.id], annex[p.id]) for p in producers}  # type: ignore[index,misc]


def _statement(
    producer: Producer,
    period: Period,
    quantities: list[dict[str, Any]],
    qty_totals: dict[str, int],
    lines: list[dict[str, Any]],
) -> dict[str, Any]:
    """A statement's figures from its quantity rows and annex lines: net sales, promotion costs, amount owed."""
    terms = ProducerTerms(producer.is_consignment, producer.commission_bp)
    sales = sum(line["total_vnd"] for line in lines if line["kind"] == "sale")
    refunds = -sum(line["total_vnd"] for line in lines if line["kind"] == "return")
    voids = -sum(line["total_vnd"] for line in lines if line["kind"] == "void")
    net = sales - refunds - voids
    promo = {
        who: sum(line["promo_vnd"] for line in lines if line["promo_borne_by"] == who)
        for who in ("showroom", "producer")
    }
    # A late void takes its promotion's cost back with its amount, in this period (the lines carry it, negative).
    late_promo = {
        who: -sum(line["promo_vnd"] for line in lines if line["kind"] == "void" and line["promo_borne_by"] == who)
        for who in ("showroom", "producer")
    }
    amounts = settlement_amounts(
        net,
        terms,
        qty_totals["received_value_vnd"],
        qty_totals["returned_value_vnd"],
        promo["showroom"],
        promo["producer"],
    )
    return {
        "producer": {
            "id": producer.id,
            "uuid": str(producer.uuid),
            "name": producer.name,
            "kind": producer.kind,
            "tax_code": producer.tax_code or "",
            "address": ", ".join(p for p in (producer.address, producer.district, producer.province) if p),
            "phone": producer.phone,
            "contact_name": producer.contact_name,
            "bank_account": producer.bank_account,
        },
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
        "terms": {"is_consignment": terms.is_consignment, "commission_bp": terms.commission_bp},
        "quantities": quantities,
        "quantity_totals": qty_totals,
        "reconciles": all(row["reconciles"] for row in quantities),
        "lines": lines,
        "sales_vnd": sales,
        "refunds_vnd": refunds,
        "late_voids_vnd": voids,
        "net_sales_vnd": net,
        "promo_showroom_vnd": promo["showroom"],
        "promo_producer_vnd": promo["producer"],
        "late_void_promo_showroom_vnd": late_promo["showroom"],
        "late_void_promo_producer_vnd": late_promo["producer"],
        "net_qty": sum(line["qty"] for line in lines if not is_weighed(line["sold_by"])),  # pieces
        "net_grams": sum(line["qty"] for line in lines if is_weighed(line["sold_by"])),
        "received_value_vnd": qty_totals["received_value_vnd"],
        "returned_value_vnd": qty_totals["returned_value_vnd"],
        **amounts,
    }


# --- Closing ----------------------------------------------------------------------------------------------


def list_settlements(
    session: Session, producer_id: int | None = None, limit: int | None = None, offset: int = 0
) -> list[Settlement]:
    """Settlements, newest period first, of one producer or of all; a page of them with ``limit``.

    The frozen figures (the statement's JSON, some kilobytes each) are left unloaded until read.
    """
    stmt = (
        select(Settlement)
        .options(defer(Settlement.figures))  # type: ignore[arg-type]
        .order_by(Settlement.period_end.desc(), Settlement.id.desc())  # type: ignore[attr-defined]
        .limit(limit)
        .offset(offset)
    )
    if producer_id:
        stmt = stmt.where(Settlement.producer_id == producer_id)
    return list(session.scalars(stmt))


def count_settlements(session: Session, producer_id: int | None = None) -> int:
    """How many settlements list_settlements would give without a limit."""
    stmt = select(func.count()).select_from(Settlement)
    if producer_id:
        stmt = stmt.where(Settlement.producer_id == producer_id)
    return int(session.scalar(stmt) or 0)


def get_settlement(session: Session, settlement_id: int) -> Settlement:
    """One settlement, or NotFound."""
    settlement = session.get(Settlement, settlement_id)
    if settlement is None:
        raise NotFound("Không tìm thấy biên bản đối soát.")
    return settlement


def last_settlement(session: Session, producer_id: int) -> Settlement | None:
    """The producer's most recent settled period."""
    return session.scalars(
        select(Settlement).where(Settlement.producer_id == producer_id).order_by(Settlement.period_end.desc())
    ).first()


def next_period_bounds(session: Session, producer_id: int, today: date) -> tuple[date, date]:
    """The period to settle next: from the day after the last one (or last month) to the end of that month."""
    last = last_settlement(session, producer_id)
    if last is not None:
        start = last.period_end + timedelta(days=1)
    else:
        start = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    month_end = (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    end = max(start, min(month_end, today - timedelta(days=1)))
    return start, end


def is_period_closed(session: Session, producer_id: int, when: datetime | date, tz: tzinfo | None = None) -> bool:
    """Whether ``when`` (an aware instant, or a local day) lies in a settled period of this producer."""
    day = when if not isinstance(when, datetime) else local_date(when, tz or shop_timezone())
    found = session.scalar(
        select(Settlement.id).where(
            Settlement.producer_id == producer_id, Settlement.period_start <= day, Settlement.period_end >= day
        )
    )
    return found is not None


def ensure_periods_open(
    session: Session, producer_ids: Iterable[int], when: datetime, tz: tzinfo | None = None
) -> None:
    """Refuse to change a sale dated inside a producer's settled period (for voids; returns are dated today)."""
    for producer_id in set(producer_ids):
        if is_period_closed(session, producer_id, when, tz):
            name = _producer(session, producer_id).name
            raise Conflict(
                f"Kỳ bán hàng ngày {format_dmy(local_date(when, tz or shop_timezone()))} của {name} đã được đối soát "
                "và chốt; không thể sửa. Hãy ghi nhận điều chỉnh vào kỳ tiếp theo."
            )


def close_settlement(
    session: Session,
    producer_id: int,
    period: Period,
    actor_id: int | None,
    *,
    today: date,
    showroom_code: str,
    note: str = "",
    now: datetime | None = None,
) -> Settlement:
    """Freeze a producer's period: check it is over and follows the last one, compute, number and store it."""
    (settlement,) = close_settlements(
        session, [producer_id], period, actor_id, today=today, showroom_code=showroom_code, note=note, now=now
    )
    return settlement


def close_settlements(
    session: Session,
    producer_ids: list[int],
    period: Period,
    actor_id: int | None,
    *,
    today: date,
    showroom_code: str,
    note: str = "",
    now: datetime | None = None,
) -> list[Settlement]:
    """Freeze one period of several producers at once (the demo's months), each checked as close_settlement says.

    ``now`` is the moment of closing (the demo's history closes its months when they were closed).
    """
    producers = [_producer(session, producer_id) for producer_id in producer_ids]
    if period.end >= today:
        raise ValidationError(
            "Chỉ chốt được kỳ đã kết thúc: ngày cuối kỳ phải trước hôm nay "
            f"({format_dmy(today)}), để không còn giao dịch nào phát sinh trong kỳ.",
            "to",
        )
    overlapping = session.scalars(
        select(Settlement).where(
            Settlement.producer_id.in_(producer_ids),  # type: ignore[attr-defined]
            Settlement.period_start <= period.end,
            Settlement.period_end >= period.start,
        )
    ).first()
    if overlapping is not None:
        raise Conflict(
            f"Kỳ {period.label()} trùng với biên bản đối soát số {overlapping.number} "
            f"({format_dmy(overlapping.period_start)} – {format_dmy(overlapping.period_end)}) đã chốt.",
            "from",
        )
    last = _last_settlements(session, producer_ids)
    for producer in producers:
        previous = last.get(producer.id)  # type: ignore[arg-type]
        if previous is not None and period.start != previous.period_end + timedelta(days=1):
            expected = previous.period_end + timedelta(days=1)
            raise ValidationError(
                f"Kỳ đối soát của {producer.name} phải bắt đầu từ ngày {format_dmy(expected)}, ngay sau kỳ đã chốt "
                f"gần nhất (số {previous.number}), để không bỏ sót giao dịch nào.",
                "from",
            )
    computed = compute_settlements(session, producers, period)
    if not all(figures["reconciles"] for figures in computed.values()):
        raise Conflict("Số liệu tồn kho trong kỳ không khớp (tồn đầu + nhập − xuất ≠ tồn cuối); cần kiểm tra sổ kho.")
    closed_at = now or utcnow()
    numbers = take_settlement_numbers(session, showroom_code, today.year, len(producers))
    made = []
    for producer, number in zip(producers, numbers, strict=True):
        figures = computed[producer.id]  # type: ignore[index]
        made.append(
            Settlement(
                number=number,
                producer_id=producer.id,  # type: ignore[arg-type]
                period_start=period.start,
                period_end=period.end,
                is_consignment=figures["terms"]["is_consignment"],
                commission_bp=figures["terms"]["commission_bp"],
                net_sales_vnd=figures["net_sales_vnd"],
                commission_vnd=figures["commission_vnd"],
                amount_owed_vnd=figures["amount_owed_vnd"],
                figures=json.dumps(figures, ensure_ascii=False, separators=(",", ":")),
                note=nfc(note or "").strip()[:500],
                created_by_id=actor_id,
                created_at=closed_at,
            )
        )
    session.add_all(made)
    session.flush()
    entries = []
    for producer, settlement in zip(producers, made, strict=True):
        entry = audit_entry(
            "settlement_close",
            user_id=actor_id,
            entity="settlement",
            entity_id=settlement.id,
            after={
                "number": settlement.number,
                "producer": producer.name,
                "period": [period.start.isoformat(), period.end.isoformat()],
                "net_sales_vnd": settlement.net_sales_vnd,
                "commission_vnd": settlement.commission_vnd,
                "amount_owed_vnd": settlement.amount_owed_vnd,
            },
            at=closed_at,
        )
        entries.append(entry)
        publish_settlement(session, settlement, producer)
    record_many(session, entries)
    return made


def _last_settlements(session: Session, producer_ids: list[int]) -> dict[int, Settlement]:
    """Each producer's most recent settled period (as last_settlement, for several at once)."""
    # Only the latest row of each producer (periods never overlap), not every past statement with its figures.
    latest = (
        select(Settlement.producer_id, func.max(Settlement.period_end).label("period_end"))
        .where(Settlement.producer_id.in_(producer_ids))  # type: ignore[attr-defined]
        .group_by(Settlement.producer_id)
        .subquery()
    )
    found = session.scalars(
        select(Settlement)
        .options(defer(Settlement.figures))  # type: ignore[arg-type]
        .join(
            latest,
            (Settlement.producer_id == latest.c.producer_id) & (Settlement.period_end == latest.c.period_end),
        )
    )
    return {settlement.producer_id: settlement for settlement in found}


def mark_paid(
    session: Session, settlement_id: int, actor_id: int | None, reference: str = "", now: datetime | None = None
) -> Settlement:
    """Record that the producer has been paid what the statement says (``now``: when, for the demo's history)."""
    settlement = get_settlement(session, settlement_id)
    if settlement.status == "paid":
        raise Conflict(f"Biên bản {settlement.number} đã được ghi nhận thanh toán.")
    settlement.status = "paid"
    settlement.paid_at = now or utcnow()
    settlement.paid_by_id = actor_id
    settlement.paid_reference = nfc(reference or "").strip()[:120]
    session.add(settlement)
    audit(
        session,
        "settlement_paid",
        user_id=actor_id,
        entity="settlement",
        entity_id=settlement.id,
        before={"status": "closed"},
        after={"status": "paid", "amount_owed_vnd": settlement.amount_owed_vnd, "reference": settlement.paid_reference},
        at=settlement.paid_at,
    )
    publish_settlement(session, settlement)
    return settlement


def statement_lines(figures: dict[str, Any]) -> list[dict[str, Any]]:
    """The statement per product, from its frozen figures: net quantity and amount (sales less returns and late
    voids), the commission's share and the promotion cost by who bears it. Pure; the commission shares sum to the
    statement's commission exactly (the rounding difference goes to the largest line)."""
    by_product: dict[str, dict[str, Any]] = {}
    for line in figures.get("lines", []):
        key = line["sku"] or line["name"]
        row = by_product.setdefault(
            key,
            {"sku": line["sku"], "name": line["name"], "qty": 0, "amount_vnd": 0, "promo_showroom_vnd": 0,
             "promo_producer_vnd": 0},
        )  # fmt: skip
        if len(line["name"]) < len(row["name"]):  # the plain name, not "… (trong giỏ quà …)"
            row["name"] = line["name"]
        row["qty"] += line["qty"]
        row["amount_vnd"] += line["total_vnd"]
        if line.get("promo_borne_by") in ("showroom", "producer"):
            row[f"promo_{line['promo_borne_by']}_vnd"] += line["promo_vnd"]
    rows = [by_product[key] for key in sorted(by_product, key=lambda k: (by_product[k]["name"], k))]
    terms = figures.get("terms", {})
    bp = int(terms.get("commission_bp") or 0) if terms.get("is_consignment") else 0
    for row in rows:
        row["commission_vnd"] = percent_of(row["amount_vnd"] + row["promo_showroom_vnd"], bp)
    if rows:
        largest = max(rows, key=lambda r: abs(r["amount_vnd"] + r["promo_showroom_vnd"]))
        largest["commission_vnd"] += int(figures.get("commission_vnd") or 0) - sum(r["commission_vnd"] for r in rows)
    for n, row in enumerate(rows, start=1):
        row["line_no"] = n
    return rows


def publish_settlement(session: Session, settlement: Settlement, producer: Producer | None = None) -> None:
    """Send the statement as frozen to the central server (again, whole, when it is paid), with its lines."""
    if is_held_back(session):
        return
    producer = producer or _producer(session, settlement.producer_id)
    closed_by = session.get(User, settlement.created_by_id) if settlement.created_by_id else None
    figures = frozen_figures(settlement)
    totals = figures.get("quantity_totals", {})
    lines = statement_lines(figures)
    skus = [line["sku"] for line in lines if line["sku"]]
    with session.no_autoflush:  # nothing pending is a product: closing 40 producers need not flush 40 times
        found = session.execute(select(Product.sku, Product.uuid).where(Product.sku.in_(skus))).all() if skus else []
    uuids = dict(found)
    for line in lines:
        line["product_uuid"] = str(uuids[line["sku"]]) if line["sku"] in uuids else ""
    enqueue(
        session,
        "settlement",
        settlement.uuid,
        {
            "uuid": str(settlement.uuid),
            "number": settlement.number,
            "producer_uuid": str(producer.uuid),
            "period_start": settlement.period_start.isoformat(),
            "period_end": settlement.period_end.isoformat(),
            "status": settlement.status,
            "is_consignment": settlement.is_consignment,
            "commission_bp": settlement.commission_bp,
            "net_sales_vnd": settlement.net_sales_vnd,
            "commission_vnd": settlement.commission_vnd,
            "amount_owed_vnd": settlement.amount_owed_vnd,
            "closed_at": settlement.created_at.isoformat(),
            "closed_by": closed_by.username if closed_by else None,
            "paid_at": settlement.paid_at.isoformat() if settlement.paid_at else None,
            "paid_reference": settlement.paid_reference,
            "quantities": {k: int(v) for k, v in totals.items() if isinstance(v, int)},
            "lines": lines,
        },
    )


def frozen_figures(settlement: Settlement) -> dict[str, Any]:
    """The figures as they were when the settlement was closed."""
    return json.loads(settlement.figures)


# --- Goods handed back to the producer --------------------------------------------------------------------


def return_to_producer(session: Session, product_id: int, qty: int, note: str, actor_id: int | None) -> StockMovement:
    """Take goods out of stock because they go back to their producer (unsold, damaged, expiring)."""
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound("Không tìm thấy sản phẩm.", "product_id")
    if not isinstance(qty, int) or isinstance(qty, bool) or qty <= 0 or qty > MAX_RETURN_QTY:
        raise ValidationError("Số lượng trả phải là số nguyên dương.", "qty")
    available = on_hand(session, product_id)
    if qty > available:
        raise Conflict(f"Chỉ còn {available} {product.unit} “{product.name}” trong kho; không thể trả {qty}.", "qty")
    note = nfc(note or "").strip()[:500]
    user = session.get(User, actor_id) if actor_id else None
    # A food product gives back from its lots, expired and recalled ones first (what must leave the shelf).
    (parts,) = allocate(session, [Want(product, qty)], date.today(), for_sale=False)
    for lot_id, part_qty in parts:
        movement = record_movement(
            session,
            StockMovement(
                product_id=product_id,
                kind="return_to_producer",
                qty_delta=-part_qty,
                unit_cost_vnd=product.cost_vnd,
                lot_id=lot_id,
                note=note,
                created_by_id=actor_id,
            ),
        )
        session.flush()
        enqueue(
            session,
            "stock_adjustment",
            movement.uuid,
            {
                "uuid": str(movement.uuid),
                "product_uuid": str(product.uuid),
                "kind": "return_to_producer",
                "qty_delta": -part_qty,
                "reason": "",
                "note": note,
                "created_by": user.username if user else None,
                "created_at": movement.created_at.isoformat(),
            },
        )
    audit(
        session,
        "return_to_producer",
        user_id=actor_id,
        entity="product",
        entity_id=product_id,
        before={"on_hand": available},
        after={"on_hand": available - qty, "qty": qty, "note": note},
    )
    return movement


def recent_returns_to_producer(session: Session, limit: int = 20) -> list[tuple[StockMovement, Product, Producer]]:
    """The latest goods handed back, for the form page."""
    rows = session.execute(
        select(StockMovement, Product, Producer)
        .join(Product, Product.id == StockMovement.product_id)
        .join(Producer, Producer.id == Product.producer_id)
        .where(StockMovement.kind == "return_to_producer")
        .order_by(StockMovement.created_at.desc(), StockMovement.id.desc())
        .limit(limit)
    )
    return [(m, p, pr) for m, p, pr in rows]
