"""Time cash-register e-invoices (issue 12, "Speed").

What is measured, on a fresh migrated SQLite file (WAL, synchronous=FULL as the app sets it):
- invoice: for one sale of 4 lines at 8 % and 10 % with a discount, building the HDon tree (lxml), validating it
  against pos/einvoice/schema/hdon-mtt.xsd, serialising it and queueing it (the invoice row, flushed) — p50/p95
  in ms, and as a ratio against lxml serialising the same tree alone in the same run;
- sale: complete_sale in its own committed transaction (the till's checkout without HTTP), invoices on and off,
  interleaved so the machine's other load hits both alike: p50/p95 and the difference at p95;
- queue: draining N invoices (default 10,000) to the local Viettel SInvoice stand-in
  (pos/einvoice/fake_sinvoice.py, waitress in a thread, real HTTP) through a timeout, an HTML page, garbage,
  a rejection and an expired login among them; queue_lost counts invoices neither accepted nor rejected at the
  end, or held twice by the provider;
- schema_valid: every invoice made in the run validates against the schema.

    .venv/bin/python bench/einvoice.py [--sales 300] [--queue 10000]

The last line of output is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lxml import etree  # noqa: E402
from sqlalchemy import func, insert  # noqa: E402
from sqlmodel import select  # noqa: E402

from pos.auth.services import create_user  # noqa: E402
from pos.barcodes import instore_ean13  # noqa: E402
from pos.catalog.models import Producer, Product  # noqa: E402
from pos.db import make_engine, session_scope  # noqa: E402
from pos.einvoice import xml as invoice_xml  # noqa: E402
from pos.einvoice.fake_sinvoice import FakeServer, FakeSInvoice  # noqa: E402
from pos.einvoice.figures import invoice_figures  # noqa: E402
from pos.einvoice.issue import issue_invoice, seller_party  # noqa: E402
from pos.einvoice.models import Invoice  # noqa: E402
from pos.einvoice.rules import rules_on  # noqa: E402
from pos.einvoice.sender import drain  # noqa: E402
from pos.einvoice.settings import Credentials, read_settings  # noqa: E402
from pos.einvoice.viettel import SInvoiceClient  # noqa: E402
from pos.inventory.ledger import record_movement  # noqa: E402
from pos.inventory.models import StockMovement  # noqa: E402
from pos.migrate import upgrade  # noqa: E402
from pos.sales import cart as carts  # noqa: E402
from pos.sales import (  # noqa: E402
    discounts,
    scanning,
    vat,  # noqa: E402
)
from pos.sales.checkout import complete_sale  # noqa: E402
from pos.sales.models import Payment, Sale, SaleLine, Shift  # noqa: E402
from pos.sales.pricing import Discount, DiscountLimits, PaymentInput  # noqa: E402

CONFIG = {
    "EINVOICE_ENABLED": True,
    "SHOWROOM_NAME": "Điểm giới thiệu và bán sản phẩm OCOP Hoàn Kiếm",
    "SHOWROOM_ADDRESS": "12 Hàng Bạc, phường Hoàn Kiếm, Hà Nội",
    "SHOWROOM_TAX_CODE": "0101243150",
    "EINVOICE_TAX_AUTHORITY_CODE": "AB12C",
    "EINVOICE_LETTERS": "AB",
    "EINVOICE_TEMPLATE_CODE": "1/001",
}
SETTINGS = read_settings(CONFIG)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def setup(path: Path) -> tuple[Any, dict[str, Any]]:
    upgrade(f"sqlite:///{path.as_posix()}")
    engine = make_engine(f"sqlite:///{path.as_posix()}")
    with session_scope(engine) as s:
        cashier = create_user(s, "thungan", "Thu Ngân", "cashier", "bench-pass-123")
        producer = Producer(name="HTX Chè Hà Giang", kind="htx", province="Hà Giang")
        s.add(producer)
        s.flush()
        products = []
        for i, (name, price, klass) in enumerate(
            [
                ("Chè Shan tuyết", 120_000, "standard"),
                ("Mật ong bạc hà", 99_999, "reduced"),
                ("Bánh cốm Đình Bảng", 45_000, "standard"),
                ("Nước mắm Phú Quốc", 185_000, "reduced"),
            ],
            start=1,
        ):
            product = Product(
                name=name,
                sku=f"SP{i:03d}",
                barcode=instore_ean13(i),
                price_vnd=price,
                cost_vnd=price // 2,
                vat_class=klass,
                producer_id=producer.id,
                unit="gói",
            )
            s.add(product)
            products.append(product)
        s.flush()
        vat.add_rate(s, "reduced", date(2026, 1, 1), 1000, "bench: a 10 % class beside 8 %", None)
        s.add(Shift(cashier_id=cashier.id, opening_float_vnd=1_000_000))
        for product in products:
            record_movement(s, StockMovement(product_id=product.id, kind="intake", qty_delta=10**7))
    return engine, {"cashier": cashier.id, "barcodes": [p.barcode for p in products]}


def one_sale(engine: Any, shop: dict[str, Any], invoice: bool, n: int) -> float:
    with session_scope(engine, durable=False) as s:
        cart = carts.get_or_create_active_cart(s, shop["cashier"])
        for code in shop["barcodes"]:
            scanning.scan(s, cart, code, qty=2)
        discounts.set_sale_discount(
            s, cart, Discount("amount", 5_000), limits=DiscountLimits(), actor_id=shop["cashier"]
        )
        cart_id = cart.id
    started = time.perf_counter()
    with session_scope(engine) as s:
        complete_sale(
            s,
            cart_id=cart_id,
            payments=[PaymentInput("cash", 1_000_000)],
            cashier_id=shop["cashier"],
            idempotency_key=f"bench-{n:08d}-{uuid4().hex[:8]}",
            showroom_code="SR01",
            allow_negative=False,
            now=datetime.now(UTC),
            einvoice=SETTINGS if invoice else None,
        )
    return (time.perf_counter() - started) * 1000


def invoice_cost(engine: Any, runs: int) -> dict[str, Any]:
    """Build + validate + serialise + queue one invoice for a recorded sale, against lxml serialising alone."""
    with session_scope(engine, write=False) as s:
        sale = s.exec(select(Sale).order_by(Sale.id.desc())).first()
        lines = list(s.exec(select(SaleLine).where(SaleLine.sale_id == sale.id)).all())
        methods = list(s.exec(select(Payment.method).where(Payment.sale_id == sale.id)).all())
    full, raw = [], []
    for _ in range(runs):
        with session_scope(engine) as s:
            started = time.perf_counter()
            issue_invoice(
                s, SETTINGS, sale=sale, lines=lines, methods=methods, buyer=None, till_code="", now=datetime.now(UTC)
            )
            s.flush()
            full.append((time.perf_counter() - started) * 1000)
            s.rollback()
    figures = invoice_figures(1, lines, methods)
    header = invoice_xml.InvoiceHeader(1, "C26MAB", 1, date.today(), "M1-26-AB12C-00100000001")
    tree = invoice_xml.build_invoice_tree(
        rules_on(date.today()), header, seller_party(SETTINGS), invoice_xml.Party(), figures
    )
    for _ in range(runs):
        started = time.perf_counter()
        etree.tostring(tree, xml_declaration=True, encoding="UTF-8")
        raw.append((time.perf_counter() - started) * 1000)
    return {
        "invoice_p50_ms": round(statistics.median(full), 3),
        "invoice_p95_ms": round(pct(full, 95), 3),
        "lxml_serialise_p50_ms": round(statistics.median(raw), 4),
        "invoice_vs_lxml_serialise_p50": round(statistics.median(full) / max(statistics.median(raw), 1e-6), 1),
    }


def fill_queue(engine: Any, n: int) -> None:
    """N invoices waiting, copies of a real one with their own keys, numbers and codes (one INSERT batch)."""
    with session_scope(engine, write=False) as s:
        model = s.exec(select(Invoice).order_by(Invoice.id)).first()
        base = {
            c: getattr(model, c) for c in [col.name for col in Invoice.__table__.columns] if c not in ("id", "uuid")
        }  # type: ignore[attr-defined]
    rows = []
    for i in range(n):
        number = 1_000_000 + i
        code = f"M1-26-AB12C-{999:03d}{number:08d}"
        xml = model.xml.replace(model.mccqt, code)
        rows.append(
            base
            | {
                "uuid": uuid4(),
                "symbol": "C26MZZ",
                "number": number,
                "mccqt": code,
                "xml": xml,
                "state": "waiting",
                "attempts": 0,
                "next_attempt_at": datetime.now(UTC) - timedelta(1),
            }
        )
    with session_scope(engine) as s:
        s.execute(insert(Invoice), rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sales", type=int, default=300)
    parser.add_argument("--queue", type=int, default=10_000)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        engine, shop = setup(Path(tmp) / "bench.db")
        for n in range(20):  # warm up both paths
            one_sale(engine, shop, n % 2 == 0, n)
        on, off = [], []
        for n in range(args.sales * 2):
            (on if n % 2 == 0 else off).append(one_sale(engine, shop, n % 2 == 0, 100 + n))
        cost = invoice_cost(engine, args.sales)
        print(
            f"invoice build+validate+queue: p50 {cost['invoice_p50_ms']} ms, p95 {cost['invoice_p95_ms']} ms "
            f"({cost['invoice_vs_lxml_serialise_p50']}× lxml serialising the same tree)"
        )
        print(
            f"sale p50/p95 with invoice {statistics.median(on):.2f}/{pct(on, 95):.2f} ms, "
            f"without {statistics.median(off):.2f}/{pct(off, 95):.2f} ms"
        )

        fill_queue(engine, args.queue)
        server = FakeServer(FakeSInvoice(), threads=4)
        server.fake.delay_s = 1.2
        server.fake.faults.extend(["timeout", "html", "garbage", "reject", "expire"] + [""] * 500 + ["down"] * 3)
        client = SInvoiceClient(server.url, SETTINGS.seller_tax_code, Credentials("demo", "demo-pass"), timeout_s=1.0)
        started = time.perf_counter()
        clock = [datetime.now(UTC)]

        def now() -> datetime:
            return clock[0]

        passes = 0
        while True:
            passes += 1
            drain(engine, client, SETTINGS, now=now)
            with session_scope(engine, write=False) as s:
                left = s.exec(
                    select(func.count()).select_from(Invoice).where(Invoice.state.in_(("waiting", "sent")))
                ).one()  # type: ignore[attr-defined]
            if left == 0 or passes > 20:
                break
            clock[0] += timedelta(hours=2)  # past every back-off
        drain_s = time.perf_counter() - started
        client.close()
        held = server.fake.invoices
        server.close()
        with session_scope(engine, write=False) as s:
            counts = dict(s.exec(select(Invoice.state, func.count()).group_by(Invoice.state)).all())  # type: ignore[call-overload]
            xmls = s.exec(select(Invoice.xml)).all()
        valid = 0
        for xml in xmls:
            try:
                invoice_xml.validate_bytes(xml)
                valid += 1
            except invoice_xml.InvalidInvoiceXml:
                pass
        total = sum(counts.values())
        lost = total - counts.get("accepted", 0) - counts.get("rejected", 0)
        lost += counts.get("accepted", 0) - sum(1 for k in held if k)  # accepted here but not held there
        print(
            f"queue: {args.queue} invoices drained in {drain_s:.1f} s over {passes} passes "
            f"({args.queue / drain_s:.0f}/s); states {counts}; provider holds {len(held)}"
        )
        print(f"schema: {valid}/{len(xmls)} invoices valid; load average at start {load:.2f} (2 cores, shared)")
    result = {
        **cost,
        "sale_p50_ms_with_invoice": round(statistics.median(on), 3),
        "sale_p95_ms_with_invoice": round(pct(on, 95), 3),
        "sale_p50_ms_without_invoice": round(statistics.median(off), 3),
        "sale_p95_ms_without_invoice": round(pct(off, 95), 3),
        "sale_p95_added_ms": round(pct(on, 95) - pct(off, 95), 3),
        "queue_size": args.queue,
        "queue_drain_s": round(drain_s, 2),
        "queue_per_s": round(args.queue / drain_s, 1),
        "queue_lost": lost,
        "queue_rejected": counts.get("rejected", 0),
        "provider_duplicates": len(held) - len(set(held)),
        "schema_valid": valid == len(xmls),
        "invoices_validated": len(xmls),
        "load_avg_1m": round(load, 2),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
