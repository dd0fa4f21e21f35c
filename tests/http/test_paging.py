"""Long lists come in pages of 50, counted and cut in SQL, under the same pager: settlements, shifts."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pos.sales.models import Shift
from pos.settlement.models import Settlement


def _numbers(html: str) -> list[str]:
    return re.findall(r">(DS-SR01-\d{4}-\d{4})<", html)


def test_settlements_come_in_pages_newest_first(client: Any, auth: Any, make_producer: Any, uow: Any) -> None:
    a, b = make_producer(name="HTX Chè Tân Cương"), make_producer(name="HTX Mây tre Phú Vinh")
    with uow() as s:
        start = date(2022, 1, 1)
        for n in range(60):  # 60 months of producer a, then 3 of b
            producer = a if n < 57 else b
            first = (start + timedelta(days=31 * n)).replace(day=1)
            last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
            s.add(
                Settlement(
                    number=f"DS-SR01-{first.year}-{n + 1:04d}",
                    producer_id=producer.id,
                    period_start=first,
                    period_end=last,
                    figures="{}",
                    created_at=datetime(first.year, first.month, 28, tzinfo=UTC),
                )
            )
    auth.login("manager")
    first_page = client.get("/settlements/").get_data(as_text=True)
    numbers = _numbers(first_page)
    assert len(numbers) == 50 and numbers[0].endswith("-0060")
    assert "Trang 1 / 2" in first_page and "page=2" in first_page
    second = _numbers(client.get("/settlements/?page=2").get_data(as_text=True))
    assert len(second) == 10 and not set(second) & set(numbers) and second[-1] == "DS-SR01-2022-0001"
    assert _numbers(client.get("/settlements/?page=99").get_data(as_text=True)) == second  # past the end: the last
    for odd in ("0", "-1", "abc", "²", "9" * 30):
        assert client.get(f"/settlements/?page={odd}").status_code == 200
    only_a = client.get(f"/settlements/?producer_id={a.id}").get_data(as_text=True)
    assert len(_numbers(only_a)) == 50 and f"producer_id={a.id}" in only_a.split('class="pager"')[1]
    only_b = client.get(f"/settlements/?producer_id={b.id}").get_data(as_text=True)
    assert len(_numbers(only_b)) == 3 and 'class="pager"' not in only_b  # one page: no pager


def test_shifts_come_in_pages_under_the_same_pager(client: Any, auth: Any, make_user: Any, uow: Any) -> None:
    cashier = make_user("thungan", "cashier")
    with uow() as s:
        for n in range(55):
            opened = datetime(2026, 1, 1, 1, tzinfo=UTC) + timedelta(days=n)
            s.add(
                Shift(
                    cashier_id=cashier.id,
                    status="closed",
                    opened_at=opened,
                    closed_at=opened + timedelta(hours=6),
                    opening_float_vnd=1_000_000,
                    z_report='{"sales_count": 0, "sales_total_vnd": 0, "refunds_total_vnd": 0, "expected_cash_vnd": 0}',
                )
            )
    auth.login("manager")
    page = client.get("/shifts/").get_data(as_text=True)
    assert "Trang 1 / 2" in page and page.count("/shifts/5") >= 1
    last = client.get("/shifts/?page=2").get_data(as_text=True)
    assert "Trang 2 / 2" in last and "Trang trước" in last and "Trang sau" not in last
    assert len(re.findall(r'href="/shifts/(\d+)"', last)) == 5
