"""fold_text() in the central database folds exactly as pos.text.fold does (real PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

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
