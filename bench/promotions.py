"""Time central promotions at a showroom: applying pulled pages, and pricing a cart under them.

Builds a migrated SQLite showroom with ``--products`` products (half of them linked to catalogue products), then:
- apply: ``--promotions`` pulled promotions (``CentralPromotionOut``, validated by the contract as the pull does)
  stored through pos/promotions/central.py ``apply_pulled`` in pages of 1,000, against raw sqlite3 inserting the
  same promotion and item rows (executemany, one transaction per page), as a ratio;
- price: ``promotions_for`` of a 20-line cart (the till's call on every scan) with every promotion in force, local
  promotions of the same terms against the central ones (whose products are resolved by catalogue link at each
  call), p50 of ``--runs`` calls;
- raw: plain sqlite3 reading the in-force promotions and their items for the same cart, as the floor.

    .venv/bin/python bench/promotions.py [--products 5000] [--promotions 2000] [--runs 200]

The last line of output is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

from sqlmodel import Session, select

from pos.catalog.models import Producer, Product
from pos.db import make_engine
from pos.migrate import upgrade
from pos.promotions.central import apply_pulled
from pos.promotions.models import Promotion, PromotionItem
from pos.promotions.services import promotions_for
from pos.sync import contract
from pos.text import fold

NOW = datetime(2027, 1, 20, 3, 0, tzinfo=UTC)
PAGE = 1000


def build(path: Path, products: int, seed: int = 17) -> list[tuple[str, str]]:
    """Producers and products (half linked to the catalogue); returns (catalogue UUID, barcode) of the linked."""
    engine = make_engine(f"sqlite:///{path.as_posix()}")
    rnd = random.Random(seed)
    linked: list[tuple[str, str]] = []
    with Session(engine) as s:
        makers = [Producer(name=f"HTX {n}", name_search=f"htx {n}", province="Hà Nội") for n in range(50)]
        s.add_all(makers)
        s.flush()
        for n in range(products):
            central = uuid4() if n % 2 == 0 else None
            barcode = f"89350{n:07d}"
            s.add(
                Product(
                    sku=f"SP{n:05d}",
                    name=f"Sản phẩm {n}",
                    name_search=fold(f"Sản phẩm {n}"),
                    price_vnd=rnd.randrange(20, 500) * 1000,
                    producer_id=makers[n % 50].id,
                    barcode=barcode,
                    central_uuid=central,
                    ocop_stars=rnd.choice([3, 4, 5]),
                )
            )
            if central:
                linked.append((str(central), barcode))
        s.commit()
    engine.dispose()
    return linked


def pulled(linked: list[tuple[str, str]], count: int, seed: int = 5) -> list[dict]:
    """Pulled promotions as the central server answers them: product targets of 1-3 linked products."""
    rnd = random.Random(seed)
    rows = []
    for n in range(count):
        items = [{"catalog_uuid": u, "barcode": b, "qty": 1} for u, b in rnd.sample(linked, rnd.randint(1, 3))]
        rows.append(
            {
                "uuid": str(uuid4()),
                "name": f"Khuyến mãi {n}",
                "kind": "percent",
                "target": "product",
                "percent_bp": rnd.choice([500, 1000, 1500, 2000]),
                "starts_at": (NOW - timedelta(days=3)).isoformat(),
                "ends_at": (NOW + timedelta(days=3)).isoformat(),
                "borne_by": "showroom",
                "is_active": True,
                "revision": n + 1,
                "items": items,
            }
        )
    return rows


def time_apply(path: Path, rows: list[dict]) -> float:
    engine = make_engine(f"sqlite:///{path.as_posix()}")
    start = time.perf_counter()
    for i in range(0, len(rows), PAGE):
        page = contract.pulled_promotions(rows[i : i + PAGE])
        with Session(engine) as s:
            apply_pulled(s, page)
            s.commit()
    elapsed = time.perf_counter() - start
    engine.dispose()
    return elapsed


def time_raw_apply(path: Path, rows: list[dict]) -> float:
    """Plain sqlite3 writing the same promotion and item rows (the floor of ``apply_pulled``)."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    start = time.perf_counter()
    stamp = NOW.strftime("%Y-%m-%d %H:%M:%S.%f")
    for i in range(0, len(rows), PAGE):
        with conn:
            for r in rows[i : i + PAGE]:
                cur = conn.execute(
                    "INSERT INTO promotion (uuid, name, kind, target, target_value, percent_bp, price_vnd, buy_qty,"
                    " get_qty, starts_at, ends_at, borne_by, showrooms, is_active, central_uuid, created_at)"
                    " VALUES (?, ?, ?, ?, '', ?, 0, 0, 0, ?, ?, ?, '', 1, ?, ?)",
                    (uuid4().hex, r["name"], r["kind"], r["target"], r["percent_bp"], stamp, stamp, r["borne_by"],
                     uuid4().hex, stamp),
                )  # fmt: skip
                conn.executemany(
                    "INSERT INTO centralpromotionitem (promotion_id, catalog_uuid, barcode, qty) VALUES (?, ?, ?, ?)",
                    [(cur.lastrowid, i["catalog_uuid"].replace("-", ""), i["barcode"], 1) for i in r["items"]],
                )
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def cart(session: Session, rows: list[dict], size: int = 20) -> list[tuple[Product, int]]:
    """A cart of products the promotions name (and a few they do not)."""
    wanted = [i["catalog_uuid"] for r in rows[:size] for i in r["items"]][: size - 5]
    from uuid import UUID

    products = list(session.exec(select(Product).where(Product.central_uuid.in_([UUID(u) for u in wanted]))))  # type: ignore[union-attr]
    products += list(session.exec(select(Product).where(Product.central_uuid.is_(None)).limit(size - len(products))))  # type: ignore[union-attr]
    return [(p, 2) for p in products[:size]]


def p50(call, runs: int) -> float:  # noqa: ANN001
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def localise(path: Path) -> None:
    """Turn every central promotion into a local one of the same terms (items by local product id)."""
    engine = make_engine(f"sqlite:///{path.as_posix()}")
    from pos.promotions.central import local_products

    with Session(engine) as s:
        promotions = list(s.exec(select(Promotion)))
        resolved = local_products(s, promotions)
        for p in promotions:
            s.add_all(PromotionItem(promotion_id=p.id, product_id=pid, qty=q) for pid, q in resolved[p.id])  # type: ignore[index,arg-type]
            p.central_uuid = None
            s.add(p)
        s.commit()
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=5000)
    parser.add_argument("--promotions", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-promotions-"))
    path, raw_path = folder / "showroom.db", folder / "raw.db"
    upgrade(f"sqlite:///{path.as_posix()}")
    linked = build(path, args.products)
    raw_path.write_bytes(path.read_bytes())
    rows = pulled(linked, args.promotions)

    apply_s = time_apply(path, rows)
    raw_apply_s = time_raw_apply(raw_path, rows)
    print(f"apply {len(rows)} pulled promotions: {apply_s:.3f} s, raw sqlite3 {raw_apply_s:.3f} s "
          f"(ratio {raw_apply_s / apply_s:.2f}x of raw speed)")  # fmt: skip

    engine = make_engine(f"sqlite:///{path.as_posix()}")
    with Session(engine) as s:
        lines = cart(s, rows)
        central_s = p50(lambda: promotions_for(s, lines, NOW, "SR01"), args.runs)
        got = promotions_for(s, lines, NOW, "SR01")
    engine.dispose()
    conn = sqlite3.connect(path)
    stamp = NOW.strftime("%Y-%m-%d %H:%M:%S.%f")

    def raw() -> None:
        ids = [r[0] for r in conn.execute(
            "SELECT id FROM promotion WHERE is_active AND starts_at <= ? AND ends_at > ?", (stamp, stamp))]  # fmt: skip
        marks = ",".join("?" * len(ids))
        sql = f"SELECT promotion_id, catalog_uuid, qty FROM centralpromotionitem WHERE promotion_id IN ({marks})"
        conn.execute(sql, ids).fetchall()

    raw_s = p50(raw, args.runs)
    conn.close()
    localise(path)
    engine = make_engine(f"sqlite:///{path.as_posix()}")
    with Session(engine) as s:
        lines = [(s.get(Product, p.id), q) for p, q in lines]  # type: ignore[misc]
        local_s = p50(lambda: promotions_for(s, lines, NOW, "SR01"), args.runs)  # type: ignore[arg-type]
        same = [a.discount_vnd if a else 0 for a in promotions_for(s, lines, NOW, "SR01")]  # type: ignore[arg-type]
    engine.dispose()
    assert same == [a.discount_vnd if a else 0 for a in got], "central and local promotions priced differently"
    print(f"price a {len(lines)}-line cart under {len(rows)} promotions in force: central {central_s * 1000:.1f} ms, "
          f"local {local_s * 1000:.1f} ms, raw sqlite3 read {raw_s * 1000:.1f} ms "
          f"(central/local {central_s / local_s:.2f}, raw/central {raw_s / central_s:.2f})")  # fmt: skip
    load = os.getloadavg()[0]
    print(json.dumps({
        "promotions": len(rows), "products": args.products, "apply_s": round(apply_s, 3),
        "raw_apply_s": round(raw_apply_s, 3), "apply_ratio_of_raw": round(raw_apply_s / apply_s, 3),
        "price_central_ms": round(central_s * 1000, 2), "price_local_ms": round(local_s * 1000, 2),
        "raw_read_ms": round(raw_s * 1000, 2), "load_average": round(load, 2),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
