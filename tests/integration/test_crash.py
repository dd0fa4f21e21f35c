"""The crash bench, short: three kill-and-restart cycles of the real server under sales from three tills.

The functions are the bench's own (bench/crash.py); the longer run is `python bench/crash.py --cycles 20`.
A second test spoils copies of the database the run left, one way at a time, to show the check would see it.
"""

from __future__ import annotations

import importlib.util
import shutil
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load_bench() -> ModuleType:
    """bench/crash.py as a module (bench/ is a folder of scripts, not a package)."""
    name = "pos_bench_crash"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / "crash.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


crash = load_bench()


@pytest.fixture(scope="module")
def bench_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    """One short run of the bench: its result and its work folder."""
    workdir = tmp_path_factory.mktemp("crash")
    lines: list[str] = []
    result = crash.run_bench(
        cycles=3,
        clients=3,
        seed=7,
        workdir=workdir,
        min_run_s=0.8,
        max_run_s=2.0,
        min_sales_per_cycle=2,
        log=lines.append,
    )
    print("\n".join(lines))
    return result, workdir


def test_killed_server_loses_no_acknowledged_sale_and_leaves_none_in_part(bench_run: tuple[Any, Path]) -> None:
    result, _ = bench_run
    assert result.ok, result.problems
    assert result.cycles == 3
    assert result.acknowledged_sales >= 2 * result.cycles  # enough sales for the checks to mean something
    assert result.sales_in_database == result.acknowledged_sales
    figures = result.figures()
    for name in (
        "lost_sales",
        "torn_sales",
        "orphan_records",
        "receipt_gaps",
        "receipt_repeats",
        "duplicate_sales",
        "ledger_mismatches",
        "unexpected_answers",
    ):
        assert figures[name] == 0, name
    assert figures["integrity_ok"] is True


def acks_of(db: Path) -> dict[str, Any]:
    """Every sale in the file as a till would have had it acknowledged."""
    conn = sqlite3.connect(db)
    acks = {}
    for sale_id, key, number, total in conn.execute("SELECT id, idempotency_key, receipt_number, total_vnd FROM sale"):
        lines = dict(
            conn.execute(
                "SELECT product_id, SUM(qty) FROM saleline WHERE sale_id = ? GROUP BY product_id", (sale_id,)
            ).fetchall()
        )
        payments = conn.execute("SELECT COUNT(*) FROM payment WHERE sale_id = ?", (sale_id,)).fetchone()[0]
        acks[key] = crash.Ack(key, number, total, lines, payments, False)
    conn.close()
    return acks


def _spoilt(db: Path, tmp: Path, name: str, sql: str) -> Path:
    copy = tmp / f"{name}.db"
    shutil.copyfile(db, copy)
    conn = sqlite3.connect(copy)
    conn.execute("PRAGMA foreign_keys=OFF")
    conn.executescript(sql)
    conn.commit()
    conn.close()
    return copy


LAST_SALE = "(SELECT MAX(id) FROM sale)"
SPOILS: dict[str, tuple[str, Callable[[Any], bool]]] = {
    "payment gone": (f"DELETE FROM payment WHERE sale_id = {LAST_SALE};", lambda c: bool(c.torn_sales)),
    "outbox gone": (
        "DELETE FROM outboxrecord WHERE id = (SELECT MAX(id) FROM outboxrecord WHERE kind = 'sale');",
        lambda c: bool(c.torn_sales),
    ),
    "movement gone": (
        "DELETE FROM stockmovement WHERE id = (SELECT MAX(id) FROM stockmovement WHERE kind = 'sale');",
        lambda c: bool(c.torn_sales) and bool(c.ledger_mismatches),
    ),
    "lines gone": (
        f"DELETE FROM stockmovement WHERE sale_line_id IN (SELECT id FROM saleline WHERE sale_id = {LAST_SALE});"
        f"DELETE FROM saleline WHERE sale_id = {LAST_SALE};",
        lambda c: bool(c.torn_sales),
    ),
    "sale gone": (
        f"DELETE FROM sale WHERE id = {LAST_SALE};",
        lambda c: bool(c.lost_sales) and bool(c.orphans) and bool(c.receipt_gaps),
    ),
    "stock level off": (
        "UPDATE stocklevel SET qty = qty + 1 WHERE product_id = 1;",
        lambda c: bool(c.ledger_mismatches),
    ),
    "counter ahead": (
        "UPDATE counter SET value = value + 1 WHERE name LIKE 'receipt:%';",
        lambda c: bool(c.receipt_gaps),
    ),
}


@pytest.mark.parametrize("spoil", list(SPOILS))
def test_the_check_sees_a_spoilt_database(bench_run: tuple[Any, Path], tmp_path: Path, spoil: str) -> None:
    result, workdir = bench_run
    db = workdir / "instance" / "showroom.db"
    sql, seen = SPOILS[spoil]
    acks = acks_of(db)
    assert crash.check_database(db, acks).ok  # the file as the run left it
    check = crash.check_database(_spoilt(db, tmp_path, spoil.replace(" ", "_"), sql), acks)
    assert not check.ok
    assert seen(check), check.problems()
