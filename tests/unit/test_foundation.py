"""Config, database pragmas, migrations against the models, ledger and rollback."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import select

from pos.catalog.models import Producer
from pos.config import load_config
from pos.db import make_engine, session_scope
from pos.inventory.ledger import ledger_mismatches, on_hand, record_movement
from pos.inventory.models import StockMovement
from pos.migrate import check, upgrade
from pos.money import allocate, format_vnd, parse_vnd, vat_included
from pos.text import fold, nfc


def test_models_and_migrations_agree(tmp_path: Path) -> None:
    url = f"sqlite:///{(tmp_path / 'check.db').as_posix()}"
    upgrade(url)
    check(url)  # raises if autogenerate would find a difference


def test_sqlite_is_wal_with_foreign_keys_and_full_sync(engine) -> None:
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL


def test_config_env_overrides_file(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('instance_path = "inst"\n[server]\nport = 8000\n[stock]\nallow_negative = false\n', "utf-8")
    values = load_config(cfg, env={"POS_SERVER_PORT": "9001", "POS_STOCK_ALLOW_NEGATIVE": "true"})
    assert values["SERVER_PORT"] == 9001
    assert values["STOCK_ALLOW_NEGATIVE"] is True
    assert values["DATABASE_URL"].endswith("/inst/showroom.db")


def test_uncommitted_work_is_rolled_back(engine) -> None:
    with pytest.raises(RuntimeError), session_scope(engine) as s:
        s.add(Producer(name="HTX Bỏ dở"))
        s.flush()
        raise RuntimeError("crash mid-use-case")
    with session_scope(engine, write=False) as s:
        assert s.exec(select(Producer)).all() == []


def test_ledger_keeps_on_hand_equal_to_sum(engine, make_product) -> None:
    product = make_product()
    with session_scope(engine) as s:
        record_movement(s, StockMovement(product_id=product.id, kind="intake", qty_delta=10))
        record_movement(s, StockMovement(product_id=product.id, kind="sale", qty_delta=-3))
    with session_scope(engine, write=False) as s:
        assert on_hand(s, product.id) == 7
        assert ledger_mismatches(s) == []
        s.execute(text("UPDATE stocklevel SET qty = 99"))
        assert ledger_mismatches(s) == [(product.id, 99, 7)]
        s.rollback()


def test_money_helpers() -> None:
    assert format_vnd(1_250_000) == "1.250.000 ₫"
    assert parse_vnd("1.250.000 ₫") == 1_250_000
    with pytest.raises(ValueError):
        parse_vnd("12,5abc")
    assert vat_included(108_000, 800) == 8_000
    assert allocate(100, [1, 1, 1]) == [34, 33, 33]


def test_text_is_nfc_and_folds_diacritics() -> None:
    decomposed = "Ba\u0301nh co\u0302\u0301m"
    assert nfc(decomposed) == "Bánh cốm"
    assert fold("Bánh cốm Đình Bảng") == "banh com dinh bang"
    assert make_engine  # imported for the fixture's sake
