"""A central office with several showrooms' year of sales (pos central-demo), so the office pages have history.

Each showroom's days come from pos.sync.samples (the records a till writes: sales, returns, voids, shift
closes), as many sales a day as the showroom demo's calendar says (weekends, holidays, the weeks before
Tết), and go through the real ingest (parse_batch, ingest_batch) as a push would, summaries included.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, delete
from sqlmodel import select

from pos.central import credentials
from pos.central.api import parse_batch
from pos.central.ingest import ingest_batch
from pos.central.models import Showroom, SyncIssue
from pos.central.users import create_central_user
from pos.db import session_scope
from pos.demo_history import day_factor
from pos.sync.contract import MAX_RECORDS
from pos.sync.samples import Record, SampleShowroom, batch_document

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
SHOWROOMS = [
    ("SR01", "Điểm bán OCOP Hoàn Kiếm", "Hà Nội", "Hoàn Kiếm", 1.3),
    ("SR02", "Điểm bán OCOP Hội An", "Quảng Nam", "Hội An", 1.0),
    ("SR03", "Điểm bán OCOP Sa Pa", "Lào Cai", "Sa Pa", 0.8),
    ("SR04", "Điểm bán OCOP Phú Quốc", "Kiên Giang", "Phú Quốc", 0.9),
    ("SR05", "Điểm bán OCOP Huế", "Thừa Thiên Huế", "Huế", 0.7),
]
OFFICE_LOGIN = ("vanphong", "Nguyễn Văn Phòng", "admin", "vanphong123")
BATCH = 2_000


def seed_central(
    engine: Engine, today: date, showrooms: int = 4, days: int = 365, say: Callable[[str], None] = print
) -> bool:
    """Register the demo showrooms and fill a year of each; False (nothing done) when SR01 is already there."""
    with session_scope(engine) as s:
        if s.exec(select(Showroom).where(Showroom.code == "SR01")).first() is not None:
            return False
        create_central_user(s, *OFFICE_LOGIN, actor="demo")
        for code, name, province, district, _ in SHOWROOMS[:showrooms]:
            credentials.register_showroom(s, code, name, province, district, actor="demo")
    for index, (code, name, _province, _district, size) in enumerate(SHOWROOMS[:showrooms]):
        shop = SampleShowroom(code, seed=index + 1)
        first = today - timedelta(days=days)
        records: list[Record] = shop.catalogue_records(datetime.combine(first, datetime.min.time(), UTC))
        seq = 1
        sales = 0
        day = first
        while day < today:
            busy = day_factor(day)
            n = int(16 * size * busy + shop.rng.gauss(0, 2)) if busy else 0  # closed on mùng 1-3 Tết
            if n > 0:
                records.extend(shop.day(day, sales=n))
                sales += n
            if len(records) >= BATCH:
                seq = _push(engine, code, records, seq)
                records = []
            day += timedelta(days=1)
        if records:
            _push(engine, code, records, seq)
        say(f"  {code} {name}: {sales} đơn bán hàng trong {days} ngày")
    with session_scope(engine) as s:
        # A year sent in one evening: every record is "far from its arrival", which a real push never is.
        s.execute(delete(SyncIssue).where(SyncIssue.problem == "clock"))  # type: ignore[arg-type]
    return True


def _push(engine: Engine, code: str, records: list[Record], first_seq: int) -> int:
    """Batches through the real ingest, as the sync API takes them after checking the signature."""
    for start in range(0, len(records), MAX_RECORDS):
        chunk = records[start : start + MAX_RECORDS]
        batch, payloads = parse_batch(json.dumps(batch_document(code, chunk, first_seq)).encode())
        with session_scope(engine) as s:
            showroom = s.exec(select(Showroom).where(Showroom.code == code)).one()
            ingest_batch(s, showroom, batch, payloads, tz=TZ)
        first_seq += len(chunk)
    return first_seq
