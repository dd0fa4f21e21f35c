"""The demo's year of sales: seasons, Tết, weekends, voids, returns, shifts, monthly settlements, all consistent."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, func, select

from pos.audit.models import AuditEntry
from pos.auth.services import create_user
from pos.catalog.models import Product
from pos.db import make_engine, session_scope
from pos.demo import seed
from pos.demo_history import Staff, day_factor
from pos.inventory.ledger import ledger_mismatches, lot_mismatches
from pos.inventory.models import IntakeLine, Lot, StockLevel
from pos.numbering import parse_receipt_number, take_receipt_number
from pos.reports.period import Period
from pos.sales import shifts
from pos.sales.models import Sale, SaleReturn, Shift
from pos.settlement.models import Settlement
from pos.settlement.services import close_settlement, compute_settlement
from pos.sync.models import OutboxRecord

TODAY = date(2026, 11, 24)
TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def test_busy_days_follow_the_calendar() -> None:
    tuesday, saturday = date(2026, 10, 13), date(2026, 10, 17)
    assert day_factor(saturday) > day_factor(tuesday)
    assert day_factor(date(2026, 2, 10)) > 2 * day_factor(tuesday)  # a week before Tết (17/02/2026)
    assert day_factor(date(2026, 2, 17)) == 0  # mùng 1: closed


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory, migrated_template: Path) -> Path:
    """One demo showroom with its year of history (seeded once for the module; tests read it or copy it)."""
    path = tmp_path_factory.mktemp("demo-history") / "showroom.db"
    shutil.copyfile(migrated_template, path)
    engine = make_engine(f"sqlite:///{path.as_posix()}")
    with session_scope(engine) as s:
        a = create_user(s, "thungan", "Thu Ngân", "cashier", "thungan-pass")
        b = create_user(s, "thungan2", "Phạm Thị Hoa", "cashier", "thungan2-pass")
        manager = create_user(s, "quanly", "Quản Lý", "manager", "quanly-pass")
        staff = Staff((a.id, b.id), manager.id)  # type: ignore[arg-type]
        assert seed(s, today=TODAY, staff=staff, showroom={"code": "SR01"}) is True
    engine.dispose()
    return path


def _copy(seeded: Path, tmp_path: Path) -> Any:
    """An engine on a copy of the seeded showroom, for a test that changes it."""
    path = tmp_path / "copy.db"
    shutil.copyfile(seeded, path)
    return make_engine(f"sqlite:///{path.as_posix()}")


def test_a_year_of_history_is_consistent(seeded: Path, tmp_path: Path) -> None:
    engine = _copy(seeded, tmp_path)
    manager_id = 3
    with session_scope(engine) as s:
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
        assert all(signer == manager_id for _, d, signer, _ in closed if abs(d) > 50_000)

        # Settlements: every producer, every closed month, paid but the latest.
        settlements = s.execute(select(Settlement.producer_id, Settlement.period_start, Settlement.paid_at)).all()
        months = {start for _, start, _ in settlements}
        assert len(months) >= 10 and len(settlements) == len(months) * len({p for p, _, _ in settlements})
        assert any(paid is None for *_, paid in settlements) and sum(1 for *_, paid in settlements if paid) > 100
        assert s.scalar(select(func.count()).select_from(OutboxRecord)) == 0  # demo data never syncs
    engine.dispose()


def _z(shift: Shift) -> dict[str, Any]:
    return json.loads(shift.z_report)


def _after(s: Any, action: str, entity: str, entity_id: int) -> list[tuple[Any, int | None, dict[str, Any]]]:
    rows = s.execute(
        select(AuditEntry.at, AuditEntry.user_id, AuditEntry.after).where(
            AuditEntry.action == action, AuditEntry.entity == entity, AuditEntry.entity_id == str(entity_id)
        )
    ).all()
    return [(at, user, json.loads(after)) for at, user, after in rows]


def test_bulk_closed_shifts_are_what_close_shift_writes(seeded: Path, tmp_path: Path) -> None:
    """A sample of the shifts reopened on a copy and closed again by the real close_shift: same Z, same log."""
    engine = _copy(seeded, tmp_path)
    with session_scope(engine) as s:
        ids = list(s.scalars(select(Shift.id).order_by(Shift.id)))
        signed = list(s.scalars(select(Shift.id).where(Shift.signed_off_by_id.is_not(None))))  # type: ignore[union-attr]
        with_returns = list(s.scalars(select(SaleReturn.shift_id).distinct()))
        sample = sorted({*ids[::60], ids[-1], *signed[:3], *with_returns[:3]})
        assert signed and with_returns and len(sample) > 12
        bulk = {}
        for shift_id in sample:
            shift = s.get(Shift, shift_id)
            bulk[shift_id] = (
                _z(shift),
                {
                    c: getattr(shift, c)
                    for c in ("closed_at", "counted_cash_vnd", "expected_cash_vnd", "difference_vnd")
                },
                shift.count_detail,
                shift.signed_off_by_id,
                _after(s, "shift.close", "shift", shift_id),
                _after(s, "shift.signoff", "shift", shift_id),
            )
            shift.status, shift.z_report, shift.closed_at = "open", "", None
            s.execute(delete(AuditEntry).where(AuditEntry.entity == "shift", AuditEntry.entity_id == str(shift_id)))
    with session_scope(engine) as s:
        for shift_id, (z, columns, detail, signer, close_log, signoff_log) in bulk.items():
            shift = s.get(Shift, shift_id)
            counts = {int(k): v for k, v in json.loads(detail).items()}
            closed = shifts.close_shift(
                s, shift, counts, shift.cashier_id, signer, 50_000, {"code": "SR01"}, now=columns["closed_at"]
            )
            assert _z(closed) == z
            assert {c: getattr(closed, c) for c in columns} == columns and closed.signed_off_by_id == signer
            assert _after(s, "shift.close", "shift", shift_id) == close_log
            assert _after(s, "shift.signoff", "shift", shift_id) == signoff_log
        assert ledger_mismatches(s) == [] and lot_mismatches(s) == []
    engine.dispose()


def test_bulk_settlements_are_what_the_real_services_compute(seeded: Path, tmp_path: Path) -> None:
    """Every month's statements as compute_settlement makes them producer by producer; the last one closed again."""
    engine = _copy(seeded, tmp_path)
    with session_scope(engine) as s:
        settlements = list(s.scalars(select(Settlement).order_by(Settlement.period_start, Settlement.producer_id)))
        months = sorted({x.period_start for x in settlements})
        for settlement in settlements:
            if settlement.period_start in (months[0], months[len(months) // 2], months[-1]) or settlement.id % 17 == 0:
                period = Period(settlement.period_start, settlement.period_end, TZ)
                assert compute_settlement(s, settlement.producer_id, period) == json.loads(settlement.figures)
        for settlement in settlements:
            assert settlement.net_sales_vnd == json.loads(settlement.figures)["net_sales_vnd"]
            closed_log = _after(s, "settlement_close", "settlement", settlement.id)
            assert [(at, after["number"]) for at, _, after in closed_log] == [
                (settlement.created_at, settlement.number)
            ]
            paid_log = _after(s, "settlement_paid", "settlement", settlement.id)
            assert [at for at, _, _ in paid_log] == ([settlement.paid_at] if settlement.paid_at else [])
        last = [x for x in settlements if x.period_start == months[-1]]
        frozen = {x.producer_id: (json.loads(x.figures), x.amount_owed_vnd, x.created_at) for x in last}
        for x in last:
            s.delete(x)
    with session_scope(engine) as s:
        for producer_id, (figures, owed, closed_at) in frozen.items():
            period = Period(
                date.fromisoformat(figures["period"]["start"]), date.fromisoformat(figures["period"]["end"]), TZ
            )
            again = close_settlement(
                s, producer_id, period, 3, today=closed_at.astimezone(TZ).date(), showroom_code="SR01", now=closed_at
            )
            assert json.loads(again.figures) == figures and again.amount_owed_vnd == owed
    engine.dispose()
