"""outbox.held_back: what a block publishes never enters the outbox (the demo's history), and only in that block."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from pos.reports.period import Period
from pos.settlement.services import close_settlement
from pos.sync import outbox
from pos.sync.models import OutboxRecord

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def test_a_statement_closed_while_held_back_is_not_published(uow: Any, make_producer: Any) -> None:
    producer = make_producer()
    with uow() as s:
        with outbox.held_back(s):
            assert outbox.is_held_back(s)
            close_settlement(s, producer.id, Period(date(2026, 9, 1), date(2026, 9, 30), TZ), None,
                             today=date(2026, 10, 5), showroom_code="SR01")  # fmt: skip
        assert not outbox.is_held_back(s)
        assert s.scalar(select(func.count()).select_from(OutboxRecord)) == 0
        close_settlement(s, producer.id, Period(date(2026, 10, 1), date(2026, 10, 31), TZ), None,
                         today=date(2026, 11, 5), showroom_code="SR01")  # fmt: skip
    with uow() as s:
        assert s.scalars(select(OutboxRecord.kind)).all() == ["settlement"]
