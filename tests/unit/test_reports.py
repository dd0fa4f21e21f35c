"""Reports checked against a known history whose every figure was worked out by hand.

The history (March 2025, Asia/Ho_Chi_Minh):
  producers A (HTX Chè Tân Cương, 20%) with P1, P2, P5 and B (HKD Mật ong Ba Vì, 15%) with P3, P4.
  Intake 20/02: P1 50 @60k, P2 20 @150k, P3 30 @120k, P4 10 @30k. Intake 10/03: P1 20 @60k.
  S8 28/02 10:00  P3 x2 @180k                                   cash 360k   (before the period)
  S1 03/03 09:15  P1 x2 @100k, P3 x1 @180k                      cash 380k
  S2 05/03 14:40  P2 x1 @250k, line discount 25k                card 225k
  S3 08/03 10:05  P1 x3 @100k, P3 x1 @180k, sale discount 48k   cash 200k + transfer 232k
                  (split 30k on P1 -> 270k, 18k on P3 -> 162k)
  S4 12/03 16:20  P1 x1 @100k, voided at 16:25
  P1 price 100k -> 120k on 15/03
  S5 20/03 11:00  P1 x2 @120k                                   cash 240k
  S6 31/03 23:30  P2 x2 @250k                                   transfer 500k
  S7 01/04 00:30  P1 x1 @120k (17:30 UTC on 31/03: April here)   cash 120k
  R2 10/03 15:00  return of S8: P3 x1, 180k cash
  R1 22/03 09:00  return of S3: P1 x1, 90k cash
  R3 02/04 10:00  return of S5: P1 x1, 120k cash
  25/03 adjustment P3 -1 (hư hỏng); 26/03 return to producer P4 -4; 28/03 count P2 +1.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from uuid import uuid4
from xml.etree import ElementTree

import pytest
from sqlmodel import Session

from pos.auth.services import create_user
from pos.catalog.certificates import certificate_status
from pos.catalog.models import Producer, Product
from pos.errors import ValidationError
from pos.inventory.ledger import ledger_mismatches, record_movement
from pos.inventory.models import Intake, IntakeLine, StockMovement
from pos.reports.export import to_csv, to_xlsx
from pos.reports.period import Period, parse_dmy, parse_period, shop_timezone
from pos.reports.queries import REPORTS, ReportQuery, build_report
from pos.sales.models import Payment, ReturnLine, Sale, SaleLine, SaleReturn, Shift
from pos.text import fold

TZ = shop_timezone("Asia/Ho_Chi_Minh")
MARCH = Period(date(2025, 3, 1), date(2025, 3, 31), TZ)
TODAY = date(2025, 4, 15)


def local(y: int, mo: int, d: int, h: int = 12, mi: int = 0) -> datetime:
    """A showroom wall-clock time as an aware UTC datetime."""
    return datetime(y, mo, d, h, mi, tzinfo=TZ).astimezone(UTC)


@dataclass
class History:
    """Inserts sales, returns, voids and movements directly, with the times given."""

    session: Session
    cashier_id: int = 0
    shift_id: int = 0
    counter: int = 0
    products: dict[str, Product] = field(default_factory=dict)
    producers: dict[str, Producer] = field(default_factory=dict)
    sales: dict[str, Sale] = field(default_factory=dict)

    def setup(self) -> History:
        user = create_user(self.session, "thungan", "Thu Ngân", "cashier", "thungan-pass")
        shift = Shift(cashier_id=user.id, opened_at=local(2025, 2, 1, 7))
        self.session.add(shift)
        self.session.flush()
        self.cashier_id, self.shift_id = user.id, shift.id
        return self

    def producer(self, key: str, **fields: Any) -> Producer:
        producer = Producer(**fields)
        producer.name_search = fold(producer.name)
        self.session.add(producer)
        self.session.flush()
        self.producers[key] = producer
        return producer

    def product(self, key: str, producer: str, **fields: Any) -> Product:
        product = Product(sku=key, producer_id=self.producers[producer].id, **fields)
        product.name_search = fold(product.name)
        self.session.add(product)
        self.session.flush()
        self.products[key] = product
        return product

    def move(self, key: str, kind: str, delta: int, at: datetime, **fields: Any) -> StockMovement:
        return record_movement(
            self.session,
            StockMovement(product_id=self.products[key].id, kind=kind, qty_delta=delta, created_at=at, **fields),
        )

    def intake(self, at: datetime, lines: list[tuple[str, int, int]]) -> None:
        producer_id = self.products[lines[0][0]].producer_id
        intake = Intake(producer_id=producer_id, received_on=at.astimezone(TZ).date(), created_at=at)
        self.session.add(intake)
        self.session.flush()
        for n, (key, qty, cost) in enumerate(lines, start=1):
            line = IntakeLine(
                intake_id=intake.id, line_no=n, product_id=self.products[key].id, qty=qty, unit_cost_vnd=cost
            )
            self.session.add(line)
            self.session.flush()
            self.move(key, "intake", qty, at, unit_cost_vnd=cost, intake_line_id=line.id)

    def sale(
        self,
        at: datetime,
        lines: list[tuple[str, int, int, int]],
        payments: list[tuple[str, int]],
        sale_discount: int = 0,
    ) -> Sale:
        """lines: (sku, qty, unit price, discount on the line incl. its share of the sale discount)."""
        self.counter += 1
        subtotal = sum(q * p for _, q, p, _ in lines)
        total = subtotal - sum(d for *_, d in lines)
        sale = Sale(
            receipt_number=f"SR01-2025-{self.counter:06d}",
            idempotency_key=uuid4().hex,
            shift_id=self.shift_id,
            cashier_id=self.cashier_id,
            subtotal_vnd=subtotal,
            line_discount_vnd=subtotal - total - sale_discount,
            sale_discount_vnd=sale_discount,
            total_vnd=total,
            created_at=at,
        )
        self.session.add(sale)
        self.session.flush()
        for n, (key, qty, price, discount) in enumerate(lines, start=1):
            product = self.products[key]
            line = SaleLine(
                sale_id=sale.id,
                line_no=n,
                product_id=product.id,
                producer_id=product.producer_id,
                name=product.name,
                sku=product.sku,
                qty=qty,
                unit_price_vnd=price,
                discount_vnd=discount,
                total_vnd=qty * price - discount,
                vat_rate_bp=800,
                vat_vnd=0,
                unit_cost_vnd=product.cost_vnd,
            )
            self.session.add(line)
            self.session.flush()
            self.move(key, "sale", -qty, at, sale_line_id=line.id)
        assert sum(amount for _, amount in payments) == total
        for method, amount in payments:
            self.session.add(Payment(sale_id=sale.id, method=method, amount_vnd=amount))
        self.session.flush()
        return sale

    def sale_lines(self, sale: Sale) -> list[SaleLine]:
        from sqlmodel import select

        return list(self.session.exec(select(SaleLine).where(SaleLine.sale_id == sale.id).order_by(SaleLine.line_no)))

    def give_back(
        self, sale: Sale, at: datetime, lines: list[tuple[int, int, int]], method: str = "cash"
    ) -> SaleReturn:
        """lines: (line_no, qty, amount refunded)."""
        self.counter += 1
        ret = SaleReturn(
            return_number=f"TH-SR01-2025-{self.counter:06d}",
            idempotency_key=uuid4().hex,
            sale_id=sale.id,
            shift_id=self.shift_id,
            cashier_id=self.cashier_id,
            refund_method=method,
            total_vnd=sum(a for *_, a in lines),
            created_at=at,
        )
        self.session.add(ret)
        self.session.flush()
        by_no = {line.line_no: line for line in self.sale_lines(sale)}
        for line_no, qty, amount in lines:
            sale_line = by_no[line_no]
            rl = ReturnLine(return_id=ret.id, sale_line_id=sale_line.id, qty=qty, amount_vnd=amount)
            self.session.add(rl)
            self.session.flush()
            self.move(sale_line.sku, "return", qty, at, return_line_id=rl.id)
        return ret

    def void(self, sale: Sale, at: datetime) -> None:
        sale.status, sale.voided_at, sale.void_reason = "voided", at, "Khách đổi ý"
        self.session.add(sale)
        for line in self.sale_lines(sale):
            self.move(line.sku, "void", line.qty, at, sale_line_id=line.id)
        self.session.flush()


def build_history(session: Session) -> History:
    """The March 2025 history described in the module docstring."""
    h = History(session).setup()
    h.producer("A", name="HTX Chè Tân Cương", phone="0912 345 678", commission_bp=2000, province="Thái Nguyên")
    h.producer("B", name="HKD Mật ong Ba Vì", phone="0987 654 321", commission_bp=1500, province="Hà Nội")
    h.product(
        "P1",
        "A",
        name="Chè Tân Cương 200g",
        price_vnd=120_000,
        cost_vnd=60_000,
        ocop_group="do_uong",
        ocop_stars=4,
        ocop_cert_expiry=date(2025, 6, 30),
        min_stock=70,
    )
    h.product(
        "P2",
        "A",
        name="Chè búp đặc biệt 500g",
        price_vnd=250_000,
        cost_vnd=150_000,
        ocop_group="thuc_pham",
        ocop_stars=3,
        ocop_cert_expiry=date(2026, 12, 31),
    )
    h.product(
        "P3",
        "B",
        name="Mật ong rừng 500ml",
        price_vnd=180_000,
        cost_vnd=120_000,
        ocop_group="thuc_pham",
        ocop_stars=4,
        ocop_cert_expiry=date(2025, 4, 1),
        min_stock=30,
    )
    h.product("P4", "B", name="Nến sáp ong", price_vnd=50_000, cost_vnd=30_000, ocop_group="luu_niem")
    h.product(
        "P5",
        "A",
        name="Chè xanh túi lọc",
        price_vnd=40_000,
        cost_vnd=20_000,
        ocop_stars=3,
        ocop_cert_expiry=date(2025, 1, 10),
    )
    h.intake(local(2025, 2, 20, 8), [("P1", 50, 60_000), ("P2", 20, 150_000)])
    h.intake(local(2025, 2, 20, 9), [("P3", 30, 120_000), ("P4", 10, 30_000)])
    s8 = h.sale(local(2025, 2, 28, 10), [("P3", 2, 180_000, 0)], [("cash", 360_000)])
    h.sale(local(2025, 3, 3, 9, 15), [("P1", 2, 100_000, 0), ("P3", 1, 180_000, 0)], [("cash", 380_000)])
    h.sale(local(2025, 3, 5, 14, 40), [("P2", 1, 250_000, 25_000)], [("card", 225_000)])
    s3 = h.sale(
        local(2025, 3, 8, 10, 5),
        [("P1", 3, 100_000, 30_000), ("P3", 1, 180_000, 18_000)],
        [("cash", 200_000), ("transfer", 232_000)],
        sale_discount=48_000,
    )
    h.intake(local(2025, 3, 10, 8), [("P1", 20, 60_000)])
    h.give_back(s8, local(2025, 3, 10, 15), [(1, 1, 180_000)])
    s4 = h.sale(local(2025, 3, 12, 16, 20), [("P1", 1, 100_000, 0)], [("cash", 100_000)])
    h.void(s4, local(2025, 3, 12, 16, 25))
    s5 = h.sale(local(2025, 3, 20, 11), [("P1", 2, 120_000, 0)], [("cash", 240_000)])
    h.give_back(s3, local(2025, 3, 22, 9), [(1, 1, 90_000)])
    h.move("P3", "adjustment", -1, local(2025, 3, 25, 17), reason="damaged")
    h.move("P4", "return_to_producer", -4, local(2025, 3, 26, 10), unit_cost_vnd=30_000)
    h.move("P2", "count", 1, local(2025, 3, 28, 18), reason="count")
    h.sales["S6"] = h.sale(local(2025, 3, 31, 23, 30), [("P2", 2, 250_000, 0)], [("transfer", 500_000)])
    h.sale(local(2025, 4, 1, 0, 30), [("P1", 1, 120_000, 0)], [("cash", 120_000)])
    h.give_back(s5, local(2025, 4, 2, 10), [(1, 1, 120_000)])
    return h


@pytest.fixture
def history(uow: Any) -> History:
    with uow() as s:
        h = build_history(s)
    return h


def query(period: Period = MARCH, **kw: Any) -> ReportQuery:
    return ReportQuery(period=period, today=TODAY, low_stock_default=5, **kw)


def run(engine: Any, name: str, **kw: Any) -> Any:
    with Session(engine) as s:
        return build_report(s, name, query(**kw))


def by(report: Any, key: str) -> dict[Any, dict[str, Any]]:
    return {row[key]: row for row in report.rows}


# --- Periods -------------------------------------------------------------------------------------------------


def test_period_is_local_days_as_a_half_open_utc_range() -> None:
    assert MARCH.utc_start == datetime(2025, 2, 28, 17, tzinfo=UTC)
    assert MARCH.utc_end == datetime(2025, 3, 31, 17, tzinfo=UTC)
    assert MARCH.contains(local(2025, 3, 31, 23, 59))
    assert not MARCH.contains(local(2025, 4, 1, 0, 0))
    assert MARCH.offset_seconds == 7 * 3600
    assert parse_dmy("05/03/2026", "from") == date(2026, 3, 5)
    assert parse_period("", "", TZ, today=date(2025, 4, 15)) == Period(date(2025, 4, 1), date(2025, 4, 15), TZ)


@pytest.mark.parametrize("raw", ["32/01/2025", "2025/01/01", "1.1.2025", "abc"])
def test_bad_dates_are_refused_in_vietnamese(raw: str) -> None:
    with pytest.raises(ValidationError, match="Ngày không hợp lệ"):
        parse_dmy(raw, "from")


def test_a_period_ending_before_it_starts_is_refused() -> None:
    with pytest.raises(ValidationError, match="sau hoặc bằng"):
        Period(date(2025, 3, 2), date(2025, 3, 1), TZ)


# --- Sales reports against hand-computed figures ---------------------------------------------------------------


def test_sales_by_product(history: History, engine: Any) -> None:
    report = run(engine, "products")
    rows = by(report, "sku")
    assert set(rows) == {"P1", "P2", "P3"}
    p1 = rows["P1"]
    # S1 2x100k + S3 3x100k (-30k) + S5 2x120k after the price change; S4 voided; R1 returns 1 for 90k.
    assert (p1["qty_sold"], p1["qty_returned"], p1["qty_net"]) == (7, 1, 6)
    assert (p1["gross_vnd"], p1["discount_vnd"], p1["refunds_vnd"], p1["net_vnd"]) == (740_000, 30_000, 90_000, 620_000)
    assert p1["margin_vnd"] == 620_000 - 6 * 60_000
    p2 = rows["P2"]
    assert (p2["qty_net"], p2["gross_vnd"], p2["discount_vnd"], p2["net_vnd"]) == (3, 750_000, 25_000, 725_000)
    p3 = rows["P3"]
    # R2 returns a February sale in March: it counts in March.
    assert (p3["qty_sold"], p3["qty_returned"], p3["net_vnd"], p3["margin_vnd"]) == (2, 1, 162_000, 42_000)
    assert [r["sku"] for r in report.rows] == ["P2", "P1", "P3"]
    assert report.totals["net_vnd"] == 1_507_000
    assert report.totals["share_bp"] == 10_000
    assert p2["share_bp"] == 4811  # 725 / 1507 = 48,11 %


def test_sales_by_producer_group_and_stars(history: History, engine: Any) -> None:
    producers = by(run(engine, "producers"), "name")
    assert producers["HTX Chè Tân Cương"]["net_vnd"] == 1_345_000
    assert producers["HKD Mật ong Ba Vì"]["net_vnd"] == 162_000
    groups = by(run(engine, "groups"), "group")
    assert groups["Thực phẩm"]["net_vnd"] == 887_000
    assert groups["Đồ uống"]["net_vnd"] == 620_000
    assert groups["Thảo dược"]["net_vnd"] == 0  # every group is listed
    stars = by(run(engine, "stars"), "stars")
    assert stars[4]["net_vnd"] == 782_000
    assert stars[3]["net_vnd"] == 725_000
    assert stars[5]["net_vnd"] == 0
    assert None in stars  # products without a rating have their row, and it says so on screen and in the CSV
    from pos.reports.table import STARS, cell_text, export_value

    assert cell_text(None, STARS) == export_value(None, STARS) == "Chưa xếp hạng" and cell_text(4, STARS) == "4 sao"


def test_sales_per_day_and_hour(history: History, engine: Any) -> None:
    report = run(engine, "daily")
    assert len(report.rows) == 31
    days = by(report, "day")
    assert days[date(2025, 3, 3)]["sales_vnd"] == 380_000
    assert days[date(2025, 3, 8)]["gross_vnd"] == 480_000
    assert days[date(2025, 3, 8)]["discount_vnd"] == 48_000
    assert days[date(2025, 3, 10)]["net_vnd"] == -180_000
    assert days[date(2025, 3, 12)]["sales"] == 0
    assert days[date(2025, 3, 12)]["voided"] == 1
    assert days[date(2025, 3, 31)]["sales_vnd"] == 500_000  # 23:30 local, 16:30 UTC
    t = report.totals
    assert (t["sales"], t["sales_vnd"], t["refunds_vnd"], t["net_vnd"], t["voided"]) == (
        5,
        1_777_000,
        270_000,
        1_507_000,
        1,
    )
    assert report.chart["values"][2] == 380_000

    hours = by(run(engine, "hourly"), "hour")
    assert hours["09:00 – 10:00"]["sales_vnd"] == 380_000
    assert hours["09:00 – 10:00"]["refunds_vnd"] == 90_000
    assert hours["15:00 – 16:00"]["net_vnd"] == -180_000
    assert hours["23:00 – 24:00"]["net_vnd"] == 500_000
    assert "00:00 – 01:00" not in hours  # S7 at 00:30 on 01/04 is April


def test_april_starts_at_local_midnight(history: History, engine: Any) -> None:
    april = Period(date(2025, 4, 1), date(2025, 4, 30), TZ)
    with Session(engine) as s:
        report = build_report(s, "daily", query(april))
    assert report.totals["sales_vnd"] == 120_000
    assert report.totals["refunds_vnd"] == 120_000


def test_sales_by_payment_method(history: History, engine: Any) -> None:
    report = run(engine, "payments")
    rows = by(report, "method")
    assert (rows["Tiền mặt"]["payments"], rows["Tiền mặt"]["taken_vnd"]) == (3, 820_000)
    assert (rows["Tiền mặt"]["refunds"], rows["Tiền mặt"]["refunds_vnd"], rows["Tiền mặt"]["net_vnd"]) == (
        2,
        270_000,
        550_000,
    )
    assert rows["Thẻ"]["net_vnd"] == 225_000
    assert rows["Chuyển khoản (VietQR)"]["net_vnd"] == 732_000
    assert report.totals["net_vnd"] == 1_507_000


def test_every_breakdown_adds_up_to_the_same_net(history: History, engine: Any) -> None:
    nets = {
        name: run(engine, name).totals["net_vnd"]
        for name in ("daily", "hourly", "products", "producers", "groups", "stars", "payments")
    }
    assert set(nets.values()) == {1_507_000}, nets


def test_top_sellers_by_revenue_and_by_quantity(history: History, engine: Any) -> None:
    by_net = run(engine, "top", limit=2)
    assert [r["sku"] for r in by_net.rows] == ["P2", "P1"]
    assert [r["rank"] for r in by_net.rows] == [1, 2]
    by_qty = run(engine, "top", sort="qty")
    assert [(r["sku"], r["qty_net"]) for r in by_qty.rows] == [("P1", 6), ("P2", 3), ("P3", 1)]


# --- Stock reports -------------------------------------------------------------------------------------------


def test_slow_movers(history: History, engine: Any) -> None:
    report = run(engine, "slow", days=30)
    assert [r["sku"] for r in report.rows] == ["P4", "P3"]  # never sold first
    p4, p3 = report.rows
    assert p4["last_sale"] == "Chưa bán lần nào" and p4["qty"] == 6
    assert p3["last_sale"] == date(2025, 3, 8) and p3["idle_days"] == 38 and p3["qty"] == 26
    assert p3["cost_value_vnd"] == 26 * 120_000
    assert "P1" not in {r["sku"] for r in run(engine, "slow", days=15).rows}  # sold 01/04


def test_stock_value_at_cost_and_retail(history: History, engine: Any) -> None:
    with Session(engine) as s:
        assert ledger_mismatches(s) == []
    report = run(engine, "stock_value")
    rows = by(report, "sku")
    assert {k: r["qty"] for k, r in rows.items()} == {"P1": 64, "P2": 18, "P3": 26, "P4": 6}
    assert rows["P1"]["retail_value_vnd"] == 64 * 120_000  # at today's price
    assert report.totals["cost_value_vnd"] == 3_840_000 + 2_700_000 + 3_120_000 + 180_000
    assert report.totals["retail_value_vnd"] == 7_680_000 + 4_500_000 + 4_680_000 + 300_000
    per_producer = by(run(engine, "stock_value", group="producer"), "name")
    assert per_producer["HTX Chè Tân Cương"]["cost_value_vnd"] == 6_540_000
    assert per_producer["HKD Mật ong Ba Vì"]["retail_value_vnd"] == 4_980_000


def test_product_reports_show_the_certificate_as_the_reorder_list_does(history: History, engine: Any) -> None:
    reorder = by(run(engine, "reorder"), "sku")
    for name, params in (("products", {}), ("top", {}), ("slow", {"days": 30})):
        report = run(engine, name, **params)
        assert "certificate" in [c.key for c in report.columns], name
        for sku, row in by(report, "sku").items():
            if sku in reorder:
                assert row["certificate"] == reorder[sku]["certificate"], (name, sku)
    assert by(run(engine, "products"), "sku")["P1"]["certificate"] == "Sắp hết hạn"
    assert by(run(engine, "slow", days=30), "sku")["P3"]["certificate"] == "Đã hết hạn"


def test_reorder_list_per_producer_with_phone(history: History, engine: Any) -> None:
    report = run(engine, "reorder")
    rows = by(report, "sku")
    assert set(rows) == {"P1", "P3", "P5"}  # P2 (18) and P4 (6) are at or above the default 5
    assert (rows["P1"]["qty"], rows["P1"]["min_qty"], rows["P1"]["short"], rows["P1"]["sold_30"]) == (64, 70, 6, 3)
    assert (rows["P5"]["qty"], rows["P5"]["min_qty"]) == (0, 5)  # never received, default minimum
    assert rows["P3"]["phone"] == "0987 654 321"
    # Certificate status beside each product, by the rule labels and receipts use (90 days' warning).
    assert (rows["P1"]["certificate"], rows["P3"]["certificate"]) == ("Sắp hết hạn", "Đã hết hạn")
    assert [r["producer"] for r in report.rows] == ["HKD Mật ong Ba Vì", "HTX Chè Tân Cương", "HTX Chè Tân Cương"]


def test_expiring_and_expired_certificates(history: History, engine: Any) -> None:
    report = run(engine, "certificates", days=90)
    assert [(r["sku"], r["_flag"]) for r in report.rows] == [("P5", "expired"), ("P3", "expired"), ("P1", "soon")]
    assert report.rows[2]["days_left"] == 76
    assert [r["status"] for r in report.rows] == ["Đã hết hạn", "Đã hết hạn", "Sắp hết hạn"]
    # The rule is the catalogue's, with the report's warning days: 30 days leave P1 out.
    assert [r["sku"] for r in run(engine, "certificates", days=30).rows] == ["P5", "P3"]
    assert certificate_status(4, date(2025, 5, 15), TODAY, 30) == "expiring"
    assert certificate_status(4, date(2025, 5, 16), TODAY, 30) == "valid"


def test_every_report_builds_on_an_empty_database(engine: Any) -> None:
    for name in REPORTS:
        report = run(engine, name)
        assert report.rows == [] or name in ("daily", "groups", "stars", "payments")
        to_csv(report)
        to_xlsx(report)


# --- Exports -------------------------------------------------------------------------------------------------


def test_csv_has_a_bom_vietnamese_headers_and_bare_numbers(history: History, engine: Any) -> None:
    body = to_csv(run(engine, "products"))
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:5] == ["Mã hàng", "Sản phẩm", "Nhà sản xuất", "Giấy chứng nhận OCOP", "SL bán (cái)"]
    assert rows[1][0] == "P2" and rows[1][rows[0].index("Doanh thu thuần")] == "725000"
    assert rows[-1][0] == "Tổng cộng" and rows[-1][rows[0].index("Doanh thu thuần")] == "1507000"
    daily = list(csv.reader(io.StringIO(to_csv(run(engine, "daily")).decode("utf-8-sig"))))
    assert daily[3][0] == "03/03/2025"


XL = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def read_xlsx(body: bytes) -> dict[str, Any]:
    """The first sheet's cells by reference (A1 -> value): shared or inline strings resolved, numbers as float. A
    cell without a reference (it is optional) is the column after the previous cell of its row, as Excel reads it."""
    with zipfile.ZipFile(io.BytesIO(body)) as z:
        shared = z.read("xl/sharedStrings.xml") if "xl/sharedStrings.xml" in z.namelist() else None
        strings = [
            "".join(t.text or "" for t in si.iter(f"{XL}t"))
            for si in (ElementTree.fromstring(shared).iter(f"{XL}si") if shared else ())
        ]
        sheet = ElementTree.fromstring(z.read("xl/worksheets/sheet1.xml"))
    cells: dict[str, Any] = {}
    for row in sheet.iter(f"{XL}row"):
        column = 0
        for c in row.iter(f"{XL}c"):
            ref = c.get("r")
            if ref:
                column = _column_number(re.sub(r"\d", "", ref))
            else:
                column += 1
                ref = f"{_column_letters(column)}{row.get('r')}"
            if c.get("t") == "inlineStr":
                cells[ref] = "".join(t.text or "" for t in c.iter(f"{XL}t"))
                continue
            v = c.find(f"{XL}v")
            if v is None:
                continue
            cells[ref] = strings[int(v.text)] if c.get("t") == "s" else float(v.text)
    return cells


def _column_number(letters: str) -> int:
    """'A' -> 1, 'AA' -> 27."""
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def _column_letters(number: int) -> str:
    """1 -> 'A', 27 -> 'AA'."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def test_xlsx_has_vietnamese_headers_and_numbers(history: History, engine: Any) -> None:
    cells = read_xlsx(to_xlsx(run(engine, "producers"), "Điểm OCOP Hoàn Kiếm"))
    assert cells["A1"] == "Doanh thu theo nhà sản xuất"
    assert cells["A2"] == "Điểm OCOP Hoàn Kiếm"
    assert cells["A3"] == "Kỳ báo cáo: 01/03/2025 – 31/03/2025"
    header = {cells[ref]: re.sub(r"\d", "", ref) for ref in cells if ref.endswith("6") and not ref[1:-1].isdigit()}
    assert header["Nhà sản xuất"] == "A"
    col = header["Doanh thu thuần"]
    assert cells["A7"] == "HTX Chè Tân Cương" and cells[f"{col}7"] == 1_345_000
    assert cells["A9"] == "Tổng cộng" and cells[f"{col}9"] == 1_507_000
