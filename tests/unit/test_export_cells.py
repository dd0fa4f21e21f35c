"""The long tables' exports write each kind of cell as the one-call-per-cell code did: text to escape or to keep
its spaces, characters XML forbids, formulas neutralised, numbers that are not plain ints, empty cells."""

from __future__ import annotations

import csv
import io
from datetime import date

from pos.reports.export import iter_csv, iter_xlsx
from pos.reports.table import DATE, INT, KG, SHARE, STARS, VND, Column, Report, export_value
from tests.unit.test_reports import read_xlsx

COLUMNS = [Column("name", "Tên"), Column("qty", "Số lượng", INT), Column("amount_vnd", "Số tiền", VND)]
ROWS = [
    {"name": "Mật ong & <sáp>", "qty": 3, "amount_vnd": 150_000},
    {"name": " cách đầu", "qty": True, "amount_vnd": 250_000},
    {"name": "tab\there", "qty": None, "amount_vnd": -5_000},
    {"name": "=HYPERLINK(\"x\")", "qty": 0, "amount_vnd": None},
    {"name": "a\x0bb", "qty": 7},
    {"name": "", "qty": 1, "amount_vnd": 1},
    {"name": 12, "qty": 2, "amount_vnd": 2},
]


def test_csv_cells() -> None:
    body = b"".join(iter_csv(Report("t", "T", "", COLUMNS, list(ROWS)))).decode("utf-8").lstrip("\ufeff")
    assert list(csv.reader(io.StringIO(body)))[1:] == [
        ["Mật ong & <sáp>", "3", "150000"],
        [" cách đầu", "1", "250000"],
        ["tab\there", "", "-5000"],
        ["'=HYPERLINK(\"x\")", "0", ""],
        ["a\x0bb", "7", ""],
        ["", "1", "1"],
        ["12", "2", "2"],
    ]


def test_csv_cells_of_every_kind_as_export_value_writes_them() -> None:
    columns = [Column("stars", "Hạng sao", STARS), Column("day", "Ngày", DATE), Column("share", "Tỷ trọng", SHARE),
               Column("kg", "Khối lượng", KG)]  # fmt: skip
    rows = [
        {"stars": None, "day": date(2026, 11, 30), "share": 1250, "kg": 1250},
        {"stars": 4, "day": None, "share": None, "kg": None},
        {"stars": 0},
    ]
    body = b"".join(iter_csv(Report("t", "T", "", columns, list(rows)))).decode("utf-8").lstrip("\ufeff")
    table = list(csv.reader(io.StringIO(body)))[1:]
    unrated = ["Chưa xếp hạng", "", "", ""]
    assert table == [["Chưa xếp hạng", "30/11/2026", "12,5%", "1.250"], ["4 sao", "", "", ""], unrated]
    assert table[0] == [str(export_value(rows[0].get(c.key), c.kind)) for c in columns]


def test_xlsx_cells() -> None:
    cells = read_xlsx(b"".join(iter_xlsx(Report("t", "T", "", COLUMNS, list(ROWS)))))
    table = {ref: value for ref, value in cells.items() if int(ref[1:]) > 6}
    assert table == {
        "A7": "Mật ong & <sáp>", "B7": 3.0, "C7": 150000.0,
        "A8": " cách đầu", "B8": 1.0, "C8": 250000.0,
        "A9": "tab\there", "C9": -5000.0,
        "A10": "=HYPERLINK(\"x\")", "B10": 0.0,
        "A11": "ab", "B11": 7.0,
        "B12": 1.0, "C12": 1.0,
        "A13": "12", "B13": 2.0, "C13": 2.0,
    }  # fmt: skip
