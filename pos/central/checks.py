"""Does an arriving record add up? Plain arithmetic on a decoded payload, no database.

The central server recomputes what the till computed (pos/sales/pricing.py) and compares: a record that
disagrees with itself is held aside for the office (pos/central/ingest.py) and never counts in its figures.
Each check returns a list of problems, each ``{"field", "showroom", "central"}`` (the value sent and the
value it should have had), empty when the record is consistent.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from pos.money import vat_included
from pos.quantity import line_amount

Problem = dict[str, Any]

# A sale dated this far after it reached the central server, or this long before, is flagged.
AHEAD_TOLERANCE = timedelta(minutes=10)
DEFAULT_MAX_AGE = timedelta(days=60)


def _differs(problems: list[Problem], field: str, sent: Any, expected: Any) -> None:
    if sent != expected:
        problems.append({"field": field, "showroom": sent, "central": expected})


def check_sale(sale: Any) -> list[Problem]:
    """Lines (qty × price − discount), the sale's totals and discounts, VAT per rate, payments and change.

    One pass over the lines (each line's amount made once): the ingest checks every sale of every push.
    """
    problems: list[Problem] = []
    lines = sale.lines
    numbers = [line.line_no for line in lines]
    if len(set(numbers)) != len(numbers):
        problems.append({"field": "lines.line_no", "showroom": numbers, "central": "mỗi dòng một số"})
    by_rate: dict[int, list[Any]] = defaultdict(list)
    subtotal = discounts = total = vat = 0
    for i, line in enumerate(lines):
        gross = line_amount(line.qty, line.unit_price_vnd, line.sold_by)  # grams × price per kg when weighed
        if line.discount_vnd > gross:
            problems.append({"field": f"lines[{i}].discount_vnd", "showroom": line.discount_vnd, "central": gross})
        if line.total_vnd != gross - line.discount_vnd:
            _differs(problems, f"lines[{i}].total_vnd", line.total_vnd, gross - line.discount_vnd)
        by_rate[line.vat_rate_bp].append(line)
        subtotal += gross
        discounts += line.discount_vnd
        total += line.total_vnd
        vat += line.vat_vnd
    _differs(problems, "subtotal_vnd", sale.subtotal_vnd, subtotal)
    _differs(
        problems, "line_discount_vnd + sale_discount_vnd", sale.line_discount_vnd + sale.sale_discount_vnd, discounts
    )
    _differs(problems, "total_vnd", sale.total_vnd, total)
    _differs(
        problems, "total_vnd (tạm tính − giảm giá)", sale.total_vnd,
        sale.subtotal_vnd - sale.line_discount_vnd - sale.sale_discount_vnd,
    )  # fmt: skip
    for rate, rated in sorted(by_rate.items()):
        # The till rounds once per rate (pos/sales/pricing.py); rounding each line on its own is accepted too.
        if not all(ln.vat_vnd == vat_included(ln.total_vnd, rate) for ln in rated):
            _differs(
                problems,
                f"vat[{rate}]",
                sum(ln.vat_vnd for ln in rated),
                vat_included(sum(ln.total_vnd for ln in rated), rate),
            )
    _differs(problems, "vat_vnd", sale.vat_vnd, vat)
    problems += check_payments(sale.payments, sale.total_vnd)
    return problems


def check_payments(payments: Iterable[Any], total_vnd: int) -> list[Problem]:
    """The payments cover the total exactly; cash alone has tendered ≥ amount and change = the difference."""
    problems: list[Problem] = []
    payments = list(payments)
    if total_vnd > 0 and not payments:
        problems.append({"field": "payments", "showroom": [], "central": "ít nhất một khoản thanh toán"})
    _differs(problems, "payments.amount_vnd", sum(p.amount_vnd for p in payments), total_vnd)
    for i, p in enumerate(payments):
        if p.amount_vnd <= 0:
            problems.append({"field": f"payments[{i}].amount_vnd", "showroom": p.amount_vnd, "central": "> 0"})
        if p.method == "cash" and p.tendered_vnd is not None:
            if p.tendered_vnd < p.amount_vnd:
                problems.append(
                    {"field": f"payments[{i}].tendered_vnd", "showroom": p.tendered_vnd, "central": p.amount_vnd}
                )
            _differs(problems, f"payments[{i}].change_vnd", p.change_vnd or 0, p.tendered_vnd - p.amount_vnd)
        elif p.method != "cash" and p.change_vnd:
            problems.append({"field": f"payments[{i}].change_vnd", "showroom": p.change_vnd, "central": 0})
    return problems


def check_return(
    ret: Any, sold: Mapping[int, tuple[int, int]], returned: Mapping[int, tuple[int, int]]
) -> list[Problem]:
    """A return against its sale: ``sold`` and ``returned`` (before this one) map a line number to (qty, đồng).

    Each line comes back at most as often as it was sold, never for more than it cost; the refund is the
    sum of its lines.
    """
    problems: list[Problem] = []
    _differs(problems, "total_vnd", ret.total_vnd, sum(line.amount_vnd for line in ret.lines))
    taken: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for line in ret.lines:
        taken[line.sale_line_no][0] += line.qty
        taken[line.sale_line_no][1] += line.amount_vnd
    for line_no, (qty, amount) in sorted(taken.items()):
        if line_no not in sold:
            problems.append({"field": f"lines[{line_no}].sale_line_no", "showroom": line_no, "central": None})
            continue
        sold_qty, sold_vnd = sold[line_no]
        before_qty, before_vnd = returned.get(line_no, (0, 0))
        if before_qty + qty > sold_qty:
            problems.append({"field": f"lines[{line_no}].qty", "showroom": before_qty + qty, "central": sold_qty})
        if before_vnd + amount > sold_vnd:
            problems.append(
                {"field": f"lines[{line_no}].amount_vnd", "showroom": before_vnd + amount, "central": sold_vnd}
            )
    return problems


def check_sale_time(created_at: datetime, arrived_at: datetime, max_age: timedelta = DEFAULT_MAX_AGE) -> list[Problem]:
    """A sale dated after it reached the central server, or long before, says the till's clock was wrong."""
    if created_at > arrived_at + AHEAD_TOLERANCE:
        return [{"field": "created_at", "showroom": created_at.isoformat(), "central": arrived_at.isoformat()}]
    if created_at < arrived_at - max_age:
        return [{"field": "created_at", "showroom": created_at.isoformat(), "central": arrived_at.isoformat()}]
    return []
