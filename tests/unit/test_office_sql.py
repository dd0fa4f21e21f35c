"""What the central database writes for the office agrees with the Python it stands for (real PostgreSQL):
fold_text() folds as pos.text.fold does; local_text_sql() writes a time as local_text() does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from pos.central.office.common import local_text, local_text_sql
from pos.reports.period import shop_timezone
from pos.text import fold

pytestmark = pytest.mark.postgres

RANGES = ((0x1, 0x250), (0x300, 0x370), (0x1680, 0x1681), (0x1E00, 0x1F00), (0x2000, 0x2030), (0x205F, 0x2060))
LETTERS = [chr(c) for r in (*RANGES, (0x3000, 0x3001)) for c in range(*r)]  # letters, marks and spaces
PHRASES = ["Nước mắm Phú Quốc", "ĐẶC SẢN  Đà Lạt", "Bánh cốm Vòng", "Mật ong bạc hà", "Trà shan tuyết 4★",
           "Nuoc mam", "  kẹo   dừa ", "Nước mắm", "Ớt Ương Ỷ"]  # fmt: skip


def test_fold_text_agrees_with_python_fold_on_every_latin_letter_and_mark(central_engine: Any) -> None:
    with central_engine.connect() as conn:
        got = conn.execute(text("SELECT fold_text(x) FROM unnest(CAST(:xs AS text[])) AS x"), {"xs": LETTERS})
        folded = [row[0] for row in got]
        phrases = conn.execute(text("SELECT fold_text(x) FROM unnest(CAST(:xs AS text[])) AS x"), {"xs": PHRASES})
        assert [row[0] for row in phrases] == [fold(p) for p in PHRASES]
        # A decomposed (NFD) name, as a showroom on another keyboard might type it, folds the same.
        nfd = "Nu\u031b\u0301o\u031bc ma\u0306\u0301m"
        assert conn.execute(text("SELECT fold_text(:x)"), {"x": nfd}).scalar() == "nuoc mam"
    wrong = [(hex(ord(c)), c, f, fold(c)) for c, f in zip(LETTERS, folded, strict=True) if f != fold(c)]
    assert wrong == []


def test_local_text_sql_writes_times_as_local_text_does(central_engine: Any) -> None:
    moments = [datetime(2026, 1, 1, 16, 59, 30, tzinfo=UTC), datetime(2026, 12, 31, 17, 0, tzinfo=UTC), None]
    for tz in (shop_timezone(), timezone(timedelta(hours=7), "ICT"), ZoneInfo("Europe/Paris")):
        column, params = local_text_sql("t.at", tz)
        with central_engine.connect() as conn:
            got = conn.execute(
                text(f"SELECT {column} FROM unnest(CAST(:at AS timestamptz[])) WITH ORDINALITY AS t(at, n) ORDER BY n"),
                {"at": moments, **params},
            ).scalars()
            assert list(got) == [local_text(m, tz) for m in moments], tz
