"""The demo showroom: enough producers and products, valid unique barcodes, stock on hand, seeded once."""

from __future__ import annotations

import unicodedata
from datetime import date

from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from pos.auth.services import authenticate
from pos.barcodes import is_instore, normalize_barcode
from pos.catalog.models import PRODUCT_GROUPS, Producer, Product, ProductStory
from pos.demo import DEMO_PASSWORD_HASHES, DEMO_USERS, demo_users, seed
from pos.demo_stories import ENGLISH_NAMES
from pos.inventory.ledger import ledger_mismatches, lot_mismatches, on_hand_many
from pos.inventory.models import Intake, IntakeLine
from pos.inventory.stock import expiring_lots, stock_list
from pos.sync.models import OutboxRecord
from pos.text import fold

TODAY = date(2026, 11, 24)


def test_seed_builds_a_believable_showroom_quickly(uow) -> None:
    with uow() as s:  # its speed is measured in bench/demo.py, never asserted here
        assert seed(s, today=TODAY) is True
    with uow() as s:
        producers = s.execute(select(Producer)).scalars().all()
        products = s.execute(select(Product)).scalars().all()
        levels = on_hand_many(s, [p.id for p in products])
        assert ledger_mismatches(s) == [] and lot_mismatches(s) == []
        assert s.scalar(select(func.count()).select_from(OutboxRecord)) == 0  # demo data never syncs
        intakes = s.scalar(select(func.count()).select_from(Intake))
        lots = expiring_lots(s, 30, TODAY)
        low = stock_list(s, only_low=True, low_stock_default=5)
        by_folded_name = stock_list(s, q="banh com")
        english = s.execute(select(ProductStory.name_en).where(ProductStory.name_en != "")).scalars().all()

    assert len(producers) >= 20
    assert len({p.province for p in producers}) >= 8
    assert {p.kind for p in producers} == {"htx", "hkd", "dn"}
    assert len(products) >= 300
    assert {p.ocop_group for p in products} >= set(PRODUCT_GROUPS) - {"du_lich"}

    codes = [p.barcode for p in products]
    assert all(code and normalize_barcode(code) == code for code in codes)
    assert len(set(codes)) == len(codes)
    assert len({p.sku for p in products}) == len(products)
    gs1 = [c for c in codes if c.startswith("893")]
    instore = [c for c in codes if is_instore(c)]
    assert gs1 and instore and len(gs1) + len(instore) == len(codes)

    for product in products:
        assert unicodedata.is_normalized("NFC", product.name)
        assert product.name_search == fold(product.name)
        assert product.price_vnd % 1000 == 0 and 35_000 <= product.price_vnd <= 2_500_000
        assert product.ocop_stars in (3, 4, 5) and product.ocop_cert_number
        assert 0 <= product.cost_vnd < product.price_vnd
    assert any(p.ocop_cert_expiry < TODAY for p in products)  # a lapsed certificate to notice
    assert all(p.is_food for p in products if p.ocop_group == "thuc_pham")

    assert sum(levels.values()) > 0
    assert sum(1 for qty in levels.values() if qty > 0) >= 0.9 * len(products)
    assert min(levels.values()) >= 0
    assert intakes >= len(producers)
    assert [lot for lot in lots if lot.is_expired]  # one lot already past its date
    assert len([lot for lot in lots if not lot.is_expired]) >= 5
    assert low.total > 0
    assert any(row.product.name.startswith("Bánh cốm") for row in by_folded_name.rows)
    assert len(english) == len(ENGLISH_NAMES)  # every English name the demo tells finds its product


def test_every_food_lot_has_a_lot_code_and_expiry(uow) -> None:
    with uow() as s:
        seed(s, today=TODAY)
    with uow() as s:
        rows = s.execute(
            select(IntakeLine.lot_code, IntakeLine.expiry_date, Product.is_food).join(
                Product, Product.id == IntakeLine.product_id
            )
        ).all()
    assert all(bool(lot) == bool(expiry) == is_food for lot, expiry, is_food in rows)


def test_seeding_twice_adds_nothing(uow) -> None:
    with uow() as s:
        assert seed(s, today=TODAY) is True
    with uow() as s:
        counts = [s.scalar(select(func.count()).select_from(t)) for t in (Producer, Product, IntakeLine)]
        assert seed(s) is False
    with uow() as s:
        assert [s.scalar(select(func.count()).select_from(t)) for t in (Producer, Product, IntakeLine)] == counts


def test_seed_leaves_a_database_with_products_alone(uow, make_product) -> None:
    make_product(name="Sản phẩm có sẵn")
    with uow() as s:
        assert seed(s) is False
        assert s.scalar(select(func.count()).select_from(Producer)) == 1


def test_seed_is_deterministic(uow, tmp_path) -> None:
    with uow() as s:
        seed(s, today=TODAY)
    with uow() as s:
        first = s.execute(select(Product.name, Product.barcode, Product.price_vnd).order_by(Product.id)).all()
    # The same seed on a second, fresh database gives the same catalogue.
    from pos.db import make_engine, session_scope
    from pos.migrate import upgrade

    url = f"sqlite:///{(tmp_path / 'again.db').as_posix()}"
    upgrade(url)
    engine = make_engine(url)
    try:
        with session_scope(engine) as s:
            seed(s, today=TODAY)
        with session_scope(engine) as s:
            second = s.execute(select(Product.name, Product.barcode, Product.price_vnd).order_by(Product.id)).all()
    finally:
        engine.dispose()
    assert first == second


def test_demo_staff_sign_in_with_their_printed_passwords(uow) -> None:
    for password, hashed in DEMO_PASSWORD_HASHES.items():
        assert hashed.startswith("scrypt:") and check_password_hash(hashed, password)
    assert {password for *_, password in DEMO_USERS} <= set(DEMO_PASSWORD_HASHES)
    extra = ("thungan3", "Lê Văn Ba", "cashier", "matkhau-khac")  # a password with no stored hash: hashed then
    with uow() as s:
        made = demo_users(s, [*DEMO_USERS, extra])
    with uow() as s:
        assert demo_users(s, [*DEMO_USERS, extra]).keys() == made.keys()  # found again, not made twice
        for username, _name, role, password in [*DEMO_USERS, extra]:
            user = authenticate(s, username, password)
            assert user is not None and user.role == role
            assert authenticate(s, username, password + "x") is None
