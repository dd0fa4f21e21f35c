"""The demo's year of sales: seasons, Tết, weekends, voids, returns, shifts, monthly settlements, all consistent."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from pos.catalog.models import Product
from pos.demo import seed
from pos.demo_history import Staff, day_factor
from pos.inventory.ledger import ledger_mismatches, lot_mismatches
from pos.inventory.models import IntakeLine, Lot, StockLevel
from pos.numbering import parse_receipt_number, take_receipt_number
from pos.sales.models import Sale, SaleReturn, Shift
from pos.settlement.models import Settlement
from pos.sync.models import OutboxRecord

TODAY = date(2026, 11, 24)
TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def test_busy_days_follow_the_calendar() -> None:
    tuesday, saturday = date(2026, 10, 13), date(2026, 10, 17)
    assert day_factor(saturday) > day_factor(tuesday)
    assert day_factor(date(2026, 2, 10)) > 2 * day_factor(tuesday)  # a week before Tết (17/02/2026)
    assert day_factor(date(2026, 2, 17)) == 0  # mùng 1: closed


def test_a_year_of_history_is_consistent(uow: Any, make_user: Any) -> None:
    a, b = make_user("thungan", "cashier"), make_user("thungan2", "cashier")
    manager = make_user("quanly", "manager")
    with uow() as s:
        assert seed(s, today=TODAY, staff=Staff((a.id, b.id), manager.id), showroom={"code": "SR01"}) is True
    with uow() as s:
        sales = s.execute(select(Sale.created_at, Sale.status, Sale.receipt_number, Sale.total_vnd)).all()
        days = Counter(at.astimezone(TZ).date() for at, *_ in sales)
        assert len(sales) > 5000 and min(days) >= TODAY - timedelta(days=365) and max(days) < TODAY
        weekend = [n for d, n in days.items() if d.weekday() >= 5]
        weekday = [n for d, n in days.items() if d.weekday() < 5 and d.month in (10, 11)]
        assert sum(weekend) / len(weekend) > sum(weekday) / len(weekday)
        before_tet = sum(n for d, n in days.items() if date(2026, 1, 27) <= d < date(2026, 2, 17))
        march = sum(n for d, n in days.items() if date(2026, 3, 2) <= d < date(2026, 3, 23))
        assert before_tet > 2 * march
        assert date(2026, 2, 17) not in days  # closed on mùng 1 Tết
        assert 0 < sum(1 for _, status, *_ in sales if status == "voided") < len(sales) // 50
        assert s.scalar(select(func.count()).select_from(SaleReturn)) > 20

        # Receipt numbers: one series per year, no gap, no double; the next sale follows on.
        by_year: dict[int, list[int]] = {}
        for _, _, number, _ in sales:
            parsed = parse_receipt_number(number)
            assert parsed is not None
            by_year.setdefault(parsed.year, []).append(parsed.n)
        for numbers in by_year.values():
            assert sorted(numbers) == list(range(1, len(numbers) + 1))
        assert parse_receipt_number(take_receipt_number(s, "SR01", 2026)).n == len(by_year[2026]) + 1  # type: ignore[union-attr]

        # Stock: levels are the ledger's, never below zero.
        assert ledger_mismatches(s) == []
        assert s.scalar(select(func.count()).where(StockLevel.qty < 0)) == 0
        # Food: every delivery opened a lot with its expiry date; the lots add up to on hand, none below zero.
        assert lot_mismatches(s) == []
        assert s.scalar(select(func.count()).where(Lot.qty < 0)) == 0
        food = set(s.scalars(select(Product.id).where(Product.is_food)))
        assert food and set(s.scalars(select(Lot.product_id))) == food
        assert (
            s.scalar(select(func.count()).where(IntakeLine.expiry_date.is_(None), IntakeLine.product_id.in_(food))) == 0
        )  # type: ignore[union-attr]
        assert s.scalar(select(func.count()).select_from(Lot)) > 2 * len(food)  # a year of deliveries

        # Shifts: all closed with a Z report; mostly even, some small differences, big ones signed off.
        closed = s.execute(select(Shift.status, Shift.difference_vnd, Shift.signed_off_by_id, Shift.z_report)).all()
        assert closed and all(status == "closed" and z for status, _, _, z in closed)
        assert any(d for _, d, _, _ in closed) and sum(1 for _, d, _, _ in closed if d == 0) > len(closed) // 2
        assert all(signer == manager.id for _, d, signer, _ in closed if abs(d) > 50_000)

        # Settlements: every producer, every closed month, paid but the latest.
        settlements = s.execute(select(Settlement.producer_id, Settlement.period_start, Settlement.paid_at)).all()
        months = {start for _, start, _ in settlements}
        assert len(months) >= 10 and len(settlements) == len(months) * len({p for p, _, _ in settlements})
        assert any(paid is None for *_, paid in settlements) and sum(1 for *_, paid in settlements if paid) > 100
        assert s.scalar(select(func.count()).select_from(OutboxRecord)) == 0  # demo data never syncs
