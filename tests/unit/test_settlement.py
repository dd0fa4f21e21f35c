"""Producer settlement on the known March 2025 history of test_reports (figures worked out by hand there)."""

from __future__ import annotations

import io
import json
import os
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlmodel import Session, select

from pos.audit.models import AuditEntry
from pos.errors import Conflict, NotFound, ValidationError
from pos.inventory.ledger import on_hand
from pos.reports.period import Period
from pos.settlement import services
from pos.settlement.models import Settlement
from pos.settlement.pdf import StatementMeta, render_statement
from pos.settlement.services import ProducerTerms, settlement_amounts
from pos.sync.models import OutboxRecord
from tests.unit.test_reports import MARCH, TZ, History, build_history, local

APRIL = Period(date(2025, 4, 1), date(2025, 4, 30), TZ)
META = StatementMeta(
    number="DS-SR01-2025-0001",
    closed_on=date(2025, 4, 15),
    closed_by="Quản Lý",
    showroom_name="Điểm giới thiệu và bán sản phẩm OCOP Hoàn Kiếm",
    showroom_address="12 Hàng Bạc, Hoàn Kiếm, Hà Nội",
    showroom_tax_code="0101234567",
    showroom_phone="024 3826 1234",
)


@pytest.fixture
def history(uow: Any) -> History:
    with uow() as s:
        return build_history(s)


def compute(engine: Any, producer_id: int, period: Period = MARCH) -> dict[str, Any]:
    with Session(engine) as s:
        return services.compute_settlement(s, producer_id, period)


def close(uow: Any, producer_id: int, period: Period = MARCH, today: date = date(2025, 4, 15)) -> Settlement:
    with uow() as s:
        return services.close_settlement(
            s, producer_id, period, None, today=today, showroom_code="SR01", now=local(2025, 4, 15, 9)
        )


def test_commission_rounds_half_up_and_purchase_terms_pay_for_goods() -> None:
    assert settlement_amounts(12_345, ProducerTerms(True, 1000), 0, 0) == {
        "commission_vnd": 1_235,  # 1 234,5 rounds up
        "amount_owed_vnd": 11_110,
    }
    assert settlement_amounts(-500_000, ProducerTerms(True, 2000), 0, 0)["amount_owed_vnd"] == -400_000
    assert settlement_amounts(900_000, ProducerTerms(False, 2000), 1_200_000, 120_000) == {
        "commission_vnd": 0,
        "amount_owed_vnd": 1_080_000,
    }


def test_march_settlement_of_producer_a(history: History, engine: Any) -> None:
    f = compute(engine, history.producers["A"].id)
    q = {row["sku"]: row for row in f["quantities"]}
    assert set(q) == {"P1", "P2"}  # P5 never moved
    assert {k: q["P1"][k] for k in ("opening", "received", "customer_returns", "voids", "sold", "closing")} == {
        "opening": 50,
        "received": 20,
        "customer_returns": 1,
        "voids": 1,
        "sold": 8,  # includes the voided S4, given back by the void
        "closing": 64,
    }
    assert (q["P2"]["opening"], q["P2"]["sold"], q["P2"]["adjusted"], q["P2"]["closing"]) == (20, 3, 1, 18)
    assert f["reconciles"] and all(row["reconciles"] for row in f["quantities"])
    assert f["quantity_totals"]["closing"] == 82
    assert f["received_value_vnd"] == 20 * 60_000
    # money: P1 200k + 270k + 240k, P2 225k + 500k; R1 -90k
    assert (f["sales_vnd"], f["refunds_vnd"], f["net_sales_vnd"]) == (1_435_000, 90_000, 1_345_000)
    assert (f["commission_vnd"], f["amount_owed_vnd"]) == (269_000, 1_076_000)
    # the annex: 5 sale lines and the return, which is negative; net quantity agrees with the ledger
    assert len(f["lines"]) == 6
    ret = next(line for line in f["lines"] if line["kind"] == "return")
    assert (ret["qty"], ret["unit_price_vnd"], ret["discount_vnd"], ret["total_vnd"]) == (-1, 100_000, -10_000, -90_000)
    assert ret["at"] == "22/03/2025 09:00"
    assert sum(line["total_vnd"] for line in f["lines"]) == f["net_sales_vnd"]
    t = f["quantity_totals"]
    assert f["net_qty"] == t["sold"] - t["voids"] - t["customer_returns"] == 9
    assert [line["unit_price_vnd"] for line in f["lines"] if line["sku"] == "P1" and line["kind"] == "sale"] == [
        100_000,
        100_000,
        120_000,
    ]


def test_march_settlement_of_producer_b(history: History, engine: Any) -> None:
    f = compute(engine, history.producers["B"].id)
    q = {row["sku"]: row for row in f["quantities"]}
    assert (q["P3"]["opening"], q["P3"]["customer_returns"], q["P3"]["sold"], q["P3"]["adjusted"]) == (28, 1, 2, -1)
    assert q["P3"]["closing"] == 26
    assert (q["P4"]["opening"], q["P4"]["returned_to_producer"], q["P4"]["closing"]) == (10, 4, 6)
    assert f["returned_value_vnd"] == 120_000
    assert f["reconciles"]
    # 180k + 162k sold, the February sale's return (180k) counts in March, when it happened
    assert (f["sales_vnd"], f["refunds_vnd"], f["net_sales_vnd"]) == (342_000, 180_000, 162_000)
    assert (f["commission_vnd"], f["amount_owed_vnd"]) == (24_300, 137_700)


def test_closing_freezes_the_period_and_refuses_overlaps_and_gaps(history: History, engine: Any, uow: Any) -> None:
    a = history.producers["A"].id
    settlement = close(uow, a)
    assert settlement.number == "DS-SR01-2025-0001"
    assert settlement.amount_owed_vnd == 1_076_000
    with Session(engine) as s:
        assert services.is_period_closed(s, a, local(2025, 3, 31, 23, 59))
        assert services.is_period_closed(s, a, date(2025, 3, 1))
        assert not services.is_period_closed(s, a, local(2025, 4, 1, 0, 0))
        assert not services.is_period_closed(s, history.producers["B"].id, date(2025, 3, 15))
        assert s.exec(select(AuditEntry).where(AuditEntry.action == "settlement_close")).one().entity_id == str(
            settlement.id
        )
        with pytest.raises(Conflict, match="đã được đối soát"):
            services.ensure_periods_open(s, [a], local(2025, 3, 12, 16, 20))

    for period, error in [
        (Period(date(2025, 3, 15), date(2025, 4, 10), TZ), Conflict),  # overlaps March
        (Period(date(2025, 3, 1), date(2025, 3, 31), TZ), Conflict),  # the same again
        (Period(date(2025, 4, 5), date(2025, 4, 10), TZ), ValidationError),  # leaves 01/04-04/04 unsettled
        (Period(date(2025, 2, 1), date(2025, 2, 28), TZ), ValidationError),  # before the last one
    ]:
        with pytest.raises(error), uow() as s:
            services.close_settlement(s, a, period, None, today=date(2025, 5, 15), showroom_code="SR01")
    with pytest.raises(ValidationError, match="đã kết thúc"), uow() as s:
        services.close_settlement(s, a, APRIL, None, today=date(2025, 4, 30), showroom_code="SR01")
    with Session(engine) as s:
        assert len(s.exec(select(Settlement)).all()) == 1


def test_corrections_after_closing_go_into_the_next_period(history: History, engine: Any, uow: Any) -> None:
    a = history.producers["A"].id
    settlement = close(uow, a)
    # After closing, the manager voids S6 (31/03, P2 x2, 500k) on 20/04: it reaches back into March.
    with uow() as s:
        history.session = s
        sale = s.get(type(history.sales["S6"]), history.sales["S6"].id)
        history.void(sale, local(2025, 4, 20, 10))
    with Session(engine) as s:
        frozen = services.frozen_figures(s.get(Settlement, settlement.id))
    assert frozen["net_sales_vnd"] == 1_345_000  # the statement stays as signed
    assert compute(engine, a)["net_sales_vnd"] == 845_000  # a live recomputation would differ: hence the freeze

    april = compute(engine, a, APRIL)
    kinds = [(line["kind"], line["sku"], line["total_vnd"]) for line in april["lines"]]
    # S7 sold 120k; R3 returned S5's P1 (a March sale) for 120k; the late void of S6 takes back 500k.
    assert kinds == [("sale", "P1", 120_000), ("return", "P1", -120_000), ("void", "P2", -500_000)]
    assert (april["sales_vnd"], april["refunds_vnd"], april["late_voids_vnd"]) == (120_000, 120_000, 500_000)
    assert april["net_sales_vnd"] == -500_000
    assert (april["commission_vnd"], april["amount_owed_vnd"]) == (-100_000, -400_000)
    q = {row["sku"]: row for row in april["quantities"]}
    assert (q["P2"]["opening"], q["P2"]["voids"], q["P2"]["closing"]) == (18, 2, 20)
    assert april["reconciles"]
    with Session(engine) as s:
        assert q["P2"]["closing"] == on_hand(s, history.products["P2"].id)

    second = close(uow, a, APRIL, today=date(2025, 5, 2))
    assert second.number == "DS-SR01-2025-0002"
    assert second.amount_owed_vnd == -400_000


def test_a_void_before_closing_is_not_a_correction(history: History, engine: Any, uow: Any) -> None:
    a = history.producers["A"].id
    with uow() as s:
        history.session = s
        history.void(s.get(type(history.sales["S6"]), history.sales["S6"].id), local(2025, 4, 1, 8))
    assert compute(engine, a)["net_sales_vnd"] == 845_000
    assert compute(engine, a, APRIL)["late_voids_vnd"] == 0  # March was still open: it simply drops out


def test_return_to_producer_moves_stock_with_outbox_and_audit(history: History, engine: Any, uow: Any) -> None:
    p3 = history.products["P3"]
    with uow() as s:
        movement = services.return_to_producer(s, p3.id, 3, "  Hàng móp méo  ", None)
    with Session(engine) as s:
        assert on_hand(s, p3.id) == 23
        assert movement.kind == "return_to_producer" and movement.qty_delta == -3
        assert movement.unit_cost_vnd == 120_000 and movement.note == "Hàng móp méo"
        record = s.exec(select(OutboxRecord).where(OutboxRecord.kind == "stock_adjustment")).one()
        payload = json.loads(record.payload)
        assert payload["product_uuid"] == str(p3.uuid)
        assert (payload["kind"], payload["qty_delta"]) == ("return_to_producer", -3)
        assert s.exec(select(AuditEntry).where(AuditEntry.action == "return_to_producer")).one()


@pytest.mark.parametrize(
    ("qty", "error"), [(0, ValidationError), (-2, ValidationError), (27, Conflict), (10**9, ValidationError)]
)
def test_return_to_producer_refuses_bad_quantities(
    history: History, engine: Any, uow: Any, qty: int, error: type
) -> None:
    p3 = history.products["P3"]
    with pytest.raises(error), uow() as s:
        services.return_to_producer(s, p3.id, qty, "", None)
    with Session(engine) as s:
        assert on_hand(s, p3.id) == 26
        assert s.exec(select(OutboxRecord)).all() == []


def test_return_to_producer_of_an_unknown_product(uow: Any) -> None:
    with pytest.raises(NotFound), uow() as s:
        services.return_to_producer(s, 999, 1, "", None)


def test_statement_pdf_reads_back_in_vietnamese(history: History, engine: Any) -> None:
    figures = compute(engine, history.producers["A"].id)
    reader = PdfReader(io.BytesIO(render_statement(figures, META)))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "BIÊN BẢN ĐỐI SOÁT VÀ THANH TOÁN CHO NHÀ SẢN XUẤT" in text
    assert "HTX Chè Tân Cương" in text
    assert "1.076.000 ₫" in text
    assert "269.000 ₫" in text
    assert "Một triệu không trăm bảy mươi sáu nghìn đồng" in text
    assert "ĐẠI DIỆN CỬA HÀNG" in text and "ĐẠI DIỆN NHÀ SẢN XUẤT" in text
    assert "PHỤ LỤC" in text and "SR01-2025-000002" in text and "-90.000 ₫" in text
    fonts = {str(f["/BaseFont"]) for page in reader.pages for f in page["/Resources"]["/Font"].values()}
    assert all("DejaVu" in name for name in fonts), fonts


def test_draft_statement_is_marked(history: History, engine: Any) -> None:
    figures = compute(engine, history.producers["B"].id)
    draft = StatementMeta(**{**META.__dict__, "number": None})
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(render_statement(figures, draft))).pages)
    assert "BẢN NHÁP" in text and "137.700 ₫" in text


def test_the_tills_own_sale_return_and_void_reach_reports_and_settlement(
    uow: Any, engine: Any, make_user: Any, make_producer: Any, make_product: Any
) -> None:
    """Not inserted by hand this time: rung up, returned and voided through the till's services."""
    from pos.barcodes import instore_ean13
    from pos.db import utcnow
    from pos.inventory.ledger import record_movement
    from pos.inventory.models import StockMovement
    from pos.reports.period import local_today
    from pos.reports.queries import ReportQuery, build_report
    from pos.sales import cart as carts
    from pos.sales import returns, scanning, shifts
    from pos.sales.checkout import complete_sale
    from pos.sales.models import SaleLine
    from pos.sales.pricing import PaymentInput

    cashier = make_user("thungan", "cashier")
    make_user("quanly", "manager")  # approves the void
    producer = make_producer(name="HTX Mây tre Phú Vinh", commission_bp=2000)
    basket = make_product(
        name="Giỏ mây Phú Vinh", barcode=instore_ean13(7), price_vnd=45_000, cost_vnd=30_000, producer_id=producer.id
    )
    with uow() as s:
        record_movement(s, StockMovement(product_id=basket.id, kind="intake", qty_delta=20, unit_cost_vnd=30_000))
        shift = shifts.open_shift(s, cashier.id, 500_000)

    def sell(qty: int, payments: list[PaymentInput], key: str) -> Any:
        with uow() as s:
            cart = carts.get_or_create_active_cart(s, cashier.id)
            for _ in range(qty):
                scanning.scan(s, cart, basket.barcode)
            return complete_sale(
                s,
                cart_id=cart.id,
                payments=payments,
                cashier_id=cashier.id,
                idempotency_key=key,
                showroom_code="SR01",
                allow_negative=False,
                now=utcnow(),
            )

    first = sell(3, [PaymentInput("cash", 200_000)], "k-first-0001")
    sell(1, [PaymentInput("card", 45_000, "4321")], "k-second-001")
    with uow() as s:
        returns.void_last_sale(s, s.get(type(shift), shift.id), "quanly", "quanly-pass", "Khách đổi ý", cashier.id)
    with uow() as s:
        line = s.exec(select(SaleLine).where(SaleLine.sale_id == first.id)).one()
        returns.create_return(
            s,
            first.receipt_number,
            {line.id: 1},
            None,
            "Giỏ bị xước",
            cashier.id,
            s.get(type(shift), shift.id),
            "k-return-001",
        )

    today = local_today(TZ)
    period = Period(today - timedelta(days=1), today + timedelta(days=1), TZ)  # safe if run across midnight
    with Session(engine) as s:
        q = ReportQuery(period=period, today=today)
        products = build_report(s, "products", q)
        payments = {r["method"]: r for r in build_report(s, "payments", q).rows}
        daily = build_report(s, "daily", q)
        figures = services.compute_settlement(s, producer.id, period)
    assert (products.totals["qty_net"], products.totals["net_vnd"]) == (2, 90_000)
    assert (payments["Tiền mặt"]["taken_vnd"], payments["Tiền mặt"]["refunds_vnd"]) == (135_000, 45_000)
    assert payments["Thẻ"]["taken_vnd"] == 0  # the card sale was voided
    assert (daily.totals["sales"], daily.totals["voided"], daily.totals["net_vnd"]) == (1, 1, 90_000)
    q_row = figures["quantities"][0]
    assert {k: q_row[k] for k in ("opening", "received", "sold", "voids", "customer_returns", "closing")} == {
        "opening": 0,
        "received": 20,
        "sold": 4,
        "voids": 1,
        "customer_returns": 1,
        "closing": 18,
    }
    assert figures["reconciles"]
    assert (figures["net_sales_vnd"], figures["commission_vnd"], figures["amount_owed_vnd"]) == (90_000, 18_000, 72_000)


def test_promotion_cost_is_on_the_statement_as_the_producer_bears_it(
    uow: Any, engine: Any, make_user: Any, make_producer: Any, make_product: Any
) -> None:
    """Rung up at the till with promotions in force: the showroom's cost is added back on consignment, the
    producer's stays deducted; on purchase terms the producer's cost comes off what it is paid."""
    from pos.barcodes import instore_ean13
    from pos.db import utcnow
    from pos.inventory.ledger import record_movement
    from pos.inventory.models import StockMovement
    from pos.promotions.services import PromotionInput, save_promotion
    from pos.reports.period import local_today
    from pos.sales import cart as carts
    from pos.sales import returns, scanning, shifts
    from pos.sales.checkout import complete_sale
    from pos.sales.models import SaleLine
    from pos.sales.pricing import PaymentInput

    cashier = make_user("thungan", "cashier")
    consigned = make_producer(name="HTX Chè Tân Cương", commission_bp=2000)
    bought = make_producer(name="Cơ sở Mây tre Phú Vinh", is_consignment=False)
    tea = make_product(name="Chè", barcode=instore_ean13(51), price_vnd=100_000, producer_id=consigned.id)
    honey = make_product(name="Mật ong", barcode=instore_ean13(52), price_vnd=50_000, producer_id=consigned.id)
    tray = make_product(
        name="Khay mây", barcode=instore_ean13(53), price_vnd=60_000, cost_vnd=30_000, producer_id=bought.id
    )
    day = local_today(TZ)
    starts, ends = (day - timedelta(days=1)).strftime("%d/%m/%Y"), (day + timedelta(days=1)).strftime("%d/%m/%Y")
    with uow() as s:
        for p in (tea, honey, tray):
            record_movement(s, StockMovement(product_id=p.id, kind="intake", qty_delta=10, unit_cost_vnd=p.cost_vnd))
        shift = shifts.open_shift(s, cashier.id, 0)
        for name, code, percent, borne in (
            ("Tết: chè giảm 10%", tea.sku, "10", "showroom"),
            ("Mật ong giảm 20%", honey.sku, "20", "producer"),
            ("Khay mây giảm 25%", tray.sku, "25", "producer"),
        ):
            save_promotion(
                s,
                PromotionInput(
                    name=name, percent=percent, starts=starts, ends=ends, borne_by=borne, items=[(code, "1")]
                ),
                tz_name="Asia/Ho_Chi_Minh",
                actor_id=None,
            )
    with uow() as s:
        cart = carts.get_or_create_active_cart(s, cashier.id)
        for code in (tea.barcode, tea.barcode, honey.barcode, honey.barcode, tray.barcode):
            scanning.scan(s, cart, code)
        sale = complete_sale(
            s,
            cart_id=cart.id,
            payments=[PaymentInput("cash", 305_000)],
            cashier_id=cashier.id,
            idempotency_key="k-promo-settle-1",
            showroom_code="SR01",
            allow_negative=False,
            now=utcnow(),
        )
        assert sale.total_vnd == 180_000 + 80_000 + 45_000
    with uow() as s:
        line = s.exec(select(SaleLine).where(SaleLine.sale_id == sale.id, SaleLine.product_id == tea.id)).one()
        returns.create_return(
            s, sale.receipt_number, {line.id: 1}, None, "Đổi ý", cashier.id, s.get(type(shift), shift.id), "k-r-pr-1"
        )
    period = Period(day - timedelta(days=1), day + timedelta(days=1), TZ)
    with Session(engine) as s:
        a = services.compute_settlement(s, consigned.id, period)
        b = services.compute_settlement(s, bought.id, period)
    # Tea: 20 000 off (showroom), 10 000 of it back with the returned unit; honey: 20 000 off (producer).
    assert (a["net_sales_vnd"], a["promo_showroom_vnd"], a["promo_producer_vnd"]) == (170_000, 10_000, 20_000)
    assert (a["commission_vnd"], a["amount_owed_vnd"]) == (36_000, 144_000)  # 20% of 180 000
    assert (b["received_value_vnd"], b["promo_producer_vnd"], b["amount_owed_vnd"]) == (300_000, 15_000, 285_000)
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(render_statement(a, META))).pages)
    assert "Khuyến mãi cửa hàng chịu" in text and "Trong đó khuyến mãi nhà sản xuất chịu" in text
    assert settlement_amounts(100_000, ProducerTerms(False, 0), 300_000, 0, 0, 15_000)["amount_owed_vnd"] == 285_000
    # Per product, as the lines travel to the central server: the commission shares sum to the commission.
    got = [
        (r["line_no"], r["name"], r["qty"], r["amount_vnd"], r["commission_vnd"], r["promo_showroom_vnd"],
         r["promo_producer_vnd"])
        for r in services.statement_lines(a)
    ]  # fmt: skip
    assert got == [(1, "Chè", 1, 90_000, 20_000, 10_000, 0), (2, "Mật ong", 2, 80_000, 16_000, 0, 20_000)]
    assert [(r["name"], r["amount_vnd"], r["commission_vnd"], r["promo_producer_vnd"])
            for r in services.statement_lines(b)] == [("Khay mây", 45_000, 0, 15_000)]  # fmt: skip


def test_a_late_void_takes_its_promotion_cost_back_in_the_next_open_period(
    history: History, engine: Any, uow: Any, tmp_path: Any
) -> None:
    """S9 (31/03 22:00, producer A): P2 x2 at 250 000 with 25 000 a unit off, borne by the showroom, and P1 x1 at
    120 000 with 12 000 off, borne by the producer. March is closed with it; S9 is voided on 20/04.

    March paid A for S9: net 450 000 + 108 000 = 558 000, the showroom's 50 000 added back: basis 608 000, less
    20% commission 121 600: 486 400. April undoes exactly that: the void lines take back 558 000 and the 50 000
    added back, the producer's 12 000 is no longer deducted (it was inside the 558 000)."""
    from pos.promotions.models import Promotion, SalePromotion

    a = history.producers["A"].id
    with uow() as s:
        history.session = s
        promos = {
            who: Promotion(
                name=f"Tết ({who})",
                kind="percent",
                percent_bp=1000,
                starts_at=local(2025, 3, 1, 0),
                ends_at=local(2025, 3, 31, 23, 59),
                borne_by=who,
            )
            for who in ("showroom", "producer")
        }
        s.add_all(promos.values())
        s.flush()
        s9 = history.sale(
            local(2025, 3, 31, 22), [("P2", 2, 250_000, 50_000), ("P1", 1, 120_000, 12_000)], [("cash", 558_000)]
        )
        p2_line, p1_line = history.sale_lines(s9)
        s.add(
            SalePromotion(
                sale_line_id=p2_line.id, promotion_id=promos["showroom"].id, discount_vnd=50_000, borne_by="showroom"
            )
        )
        s.add(
            SalePromotion(
                sale_line_id=p1_line.id, promotion_id=promos["producer"].id, discount_vnd=12_000, borne_by="producer"
            )
        )
        s9_id = s9.id
    march = compute(engine, a)
    assert (march["net_sales_vnd"], march["promo_showroom_vnd"], march["promo_producer_vnd"]) == (
        1_345_000 + 558_000,
        50_000,
        12_000,
    )
    assert march["amount_owed_vnd"] == 1_076_000 + 486_400  # S9 alone: (558 000 + 50 000) × 80%
    settlement = close(uow, a)
    with uow() as s:
        history.session = s
        history.void(s.get(type(s9), s9_id), local(2025, 4, 20, 10))
    with Session(engine) as s:
        assert services.frozen_figures(s.get(Settlement, settlement.id))["amount_owed_vnd"] == 1_562_400  # as signed

    april = compute(engine, a, APRIL)
    voids = [
        (line["sku"], line["total_vnd"], line["promo_vnd"], line["promo_borne_by"])
        for line in april["lines"]
        if line["kind"] == "void"
    ]
    assert voids == [("P2", -450_000, -50_000, "showroom"), ("P1", -108_000, -12_000, "producer")]
    # April's own: S7 120 000 sold, R3 120 000 returned, no promotions; then the void of S9.
    assert (april["late_voids_vnd"], april["net_sales_vnd"]) == (558_000, -558_000)
    assert (april["late_void_promo_showroom_vnd"], april["late_void_promo_producer_vnd"]) == (50_000, 12_000)
    assert (april["promo_showroom_vnd"], april["promo_producer_vnd"]) == (-50_000, -12_000)
    assert (april["commission_vnd"], april["amount_owed_vnd"]) == (-121_600, -486_400)  # S9's March payment, undone
    to_central = {r["sku"]: (r["promo_showroom_vnd"], r["promo_producer_vnd"]) for r in services.statement_lines(april)}
    assert (to_central["P2"], to_central["P1"]) == ((-50_000, 0), (0, -12_000))  # the lines central gets say it too

    statement = render_statement(april, META)
    (tmp_path / "april.pdf").write_bytes(statement)  # rendered to PNG and looked at while writing this
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(statement)).pages)
    assert "Hủy đơn của kỳ đã chốt (điều chỉnh)" in text and "-558.000 ₫" in text
    assert "Khuyến mãi cửa hàng chịu của đơn hủy kỳ trước (trừ lại)" in text and "-50.000 ₫" in text
    assert "Trong đó khuyến mãi NSX chịu của đơn hủy kỳ trước (hoàn lại)" in text
    assert "-486.400 ₫" in text
    second = close(uow, a, APRIL, today=date(2025, 5, 2))
    assert second.amount_owed_vnd == -486_400


def test_a_weighed_product_on_the_statement_in_kg_and_valued_per_kg(
    uow: Any, engine: Any, make_user: Any, make_producer: Any, make_product: Any, auth: Any
) -> None:
    """Oranges sold by weight beside baskets sold by the piece, rung up at the till: the statement shows kg for
    the oranges, pieces for the baskets, a total of each (never grams added to pieces), and values a delivery
    at its cost per kg (purchase terms: the producer is paid for 12,5 kg × 40.000 ₫/kg, not 12.500 kg)."""
    from pos.barcodes import instore_ean13
    from pos.db import utcnow
    from pos.inventory.ledger import record_movement
    from pos.inventory.models import StockMovement
    from pos.reports.period import local_today
    from pos.sales import cart as carts
    from pos.sales import scanning, shifts
    from pos.sales.checkout import complete_sale
    from pos.sales.pricing import PaymentInput

    cashier = make_user("thungan", "cashier")
    producer = make_producer(name="HTX Cam Cao Phong", commission_bp=1500)
    with uow() as s:
        s.get(type(producer), producer.id).is_consignment = False  # type: ignore[union-attr]
    orange = make_product(
        name="Cam Cao Phong",
        barcode=instore_ean13(8),
        price_vnd=60_000,
        cost_vnd=40_000,
        producer_id=producer.id,
        sold_by="weight",
        unit="kg",
    )
    basket = make_product(
        name="Giỏ cam quà biếu", barcode=instore_ean13(9), price_vnd=50_000, cost_vnd=30_000, producer_id=producer.id
    )
    with uow() as s:
        record_movement(s, StockMovement(product_id=orange.id, kind="intake", qty_delta=12_500, unit_cost_vnd=40_000))
        record_movement(s, StockMovement(product_id=basket.id, kind="intake", qty_delta=3, unit_cost_vnd=30_000))
        shifts.open_shift(s, cashier.id, 500_000)
    with uow() as s:
        cart = carts.get_or_create_active_cart(s, cashier.id)
        scanning.scan(s, cart, orange.barcode, weight="1,25")
        scanning.scan(s, cart, basket.barcode, 2)
        complete_sale(
            s,
            cart_id=cart.id,
            payments=[PaymentInput("cash", 175_000)],
            cashier_id=cashier.id,
            idempotency_key="k-weighed-0001",
            showroom_code="SR01",
            allow_negative=False,
            now=utcnow(),
        )
    today = local_today(TZ)
    period = Period(today - timedelta(days=1), today + timedelta(days=1), TZ)
    with Session(engine) as s:
        figures = services.compute_settlement(s, producer.id, period)
    rows = {r["name"]: r for r in figures["quantities"]}
    assert (rows["Cam Cao Phong"]["received"], rows["Cam Cao Phong"]["sold"], rows["Cam Cao Phong"]["closing"]) == (
        12_500,
        1_250,
        11_250,
    )
    totals = figures["quantity_totals"]
    assert (totals["received"], totals["sold"], totals["received_g"], totals["sold_g"]) == (3, 2, 12_500, 1_250)
    assert (figures["net_qty"], figures["net_grams"]) == (2, 1_250)
    assert figures["received_value_vnd"] == 12_500 * 40_000 // 1000 + 3 * 30_000  # 500.000 + 90.000
    assert figures["amount_owed_vnd"] == 590_000

    pdf = render_statement(figures, META)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "12,500" in text and "1,250 kg" in text and "11,250" in text
    assert "60.000 ₫/kg" in text and "75.000 ₫" in text  # the annex line: 1,250 kg × 60.000 ₫/kg
    assert "Cộng hàng cân" in text and "Cộng hàng theo cái" in text
    assert "2 cái và 1,250 kg hàng cân" in text
    assert "12500" not in text.replace(".", "")  # the grams are never printed as a count
    if out := os.environ.get("POS_STATEMENT_OUT"):  # to look at it: pdftoppm -png -r 80 the file
        Path(out).write_bytes(pdf)

    # The manager's preview page: a unit column, kg numbers for the oranges, a total of each kind.
    auth.login("manager")
    args = {"producer_id": producer.id, "from": f"{period.start:%d/%m/%Y}", "to": f"{period.end:%d/%m/%Y}"}
    response = auth.client.get("/settlements/preview", query_string=args)
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page[-2000:]
    assert "<th>ĐVT</th>" in page and "Cộng hàng bán theo cân" in page
    assert '<td class="num">12,500</td>' in page and '<td class="num">1,250 kg</td>' in page
    assert "60.000 ₫/kg" in page
