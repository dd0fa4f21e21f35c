"""pos central-demo: several showrooms with their days of sales, through the real ingest, seeded once."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import text

from pos.central.demo import seed_central

pytestmark = pytest.mark.postgres


def test_the_central_demo_fills_several_showrooms_once(central_engine: Any, central_app: Any) -> None:
    said: list[str] = []
    assert seed_central(central_engine, date(2026, 2, 20), showrooms=3, days=30, say=said.append) is True
    with central_engine.connect() as conn:
        per_shop = dict(
            conn.execute(
                text("SELECT r.code, count(*) FROM sale s JOIN showroom r ON r.id = s.showroom_id GROUP BY r.code")
            ).all()
        )
        mung_mot = conn.execute(text("SELECT count(*) FROM sale WHERE sold_on = '2026-02-17'")).scalar()
    assert set(per_shop) == {"SR01", "SR02", "SR03"} and all(n > 100 for n in per_shop.values())
    assert mung_mot == 0  # closed on the first day of Tết
    with central_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM sync_issue")).scalar() == 0  # no backfill noise
    assert len(said) == 3 and "SR01" in said[0]
    assert seed_central(central_engine, date(2026, 2, 20), showrooms=3, days=30, say=said.append) is False

    from tests.http.test_office import login

    client = central_app.test_client()
    assert login(client, "vanphong", "vanphong123").status_code == 302
    assert "Điểm bán OCOP Hội An" in client.get("/showrooms", follow_redirects=True).get_data(as_text=True)
