"""The till's quiet word when sales have waited more than a day to reach the central server."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pos.db import utcnow
from pos.sync.models import OutboxRecord

NOTE = "giao dịch chưa đồng bộ quá 1 ngày — báo quản lý kiểm tra mục Đồng bộ."


def test_the_till_says_how_many_records_waited_over_a_day(auth: Any, uow: Any) -> None:
    auth.login("cashier")
    assert NOTE not in auth.client.get("/till/").get_data(as_text=True)
    with uow() as s:
        old = utcnow() - timedelta(hours=30)
        for n in range(3):
            s.add(OutboxRecord(kind="sale", entity_uuid=f"u{n}", payload="{}", created_at=old))
        s.add(OutboxRecord(kind="sale", entity_uuid="sent", payload="{}", created_at=old, sent_at=utcnow()))
        s.add(OutboxRecord(kind="sale", entity_uuid="fresh", payload="{}"))
    page = auth.client.get("/till/").get_data(as_text=True)
    assert f"Có 3 {NOTE}" in page
