"""The summary tables on PostgreSQL: after every push (replays, late voids, returns before their sale, product
records after their lines, a push that fails half-way) they equal what the raw tables give, row for row; the
rebuild writes the same rows; the check finds a row that was tampered with; the office reads the new figures."""

from __future__ import annotations

import json
from typing import Any
from uuid import uuid4

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlmodel import select

from pos.central import credentials, summaries
from pos.central.api import parse_batch
from pos.central.ingest import ingest_batch
from pos.central.models import Showroom
from pos.central.office.products import split_period
from pos.db import session_scope
from pos.sync.samples import Record, batch_document
from tests.http.test_office import TZ, at, by, csv_rows, line, paid, producer, product, sale

pytestmark = pytest.mark.postgres

TABLES = (
    "summary_showroom_day",
    "summary_product_day",
    "summary_product_month",
    "summary_product_dekad",
    "summary_promotion_day",
)


def snapshot(engine: Any) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        return {t: sorted(tuple(r) for r in conn.execute(text(f"SELECT * FROM {t}"))) for t in TABLES}


def assert_agree(engine: Any) -> None:
    with engine.connect() as conn:
        result = summaries.check(conn)
    assert result.ok, (result.differences, result.examples)


def void_of(s: dict[str, Any], minute: int = 5) -> dict[str, Any]:
    return {
        "sale_uuid": s["uuid"],
        "receipt_number": s["receipt_number"],
        "voided_at": at(10, 9, minute).isoformat(),
        "voided_by": "quanly",
        "reason": "Thu ngân bấm nhầm",
    }


def return_of(s: dict[str, Any], item: dict[str, Any], day: int, amount: int, number: str) -> dict[str, Any]:
    return {
        "uuid": str(uuid4()),
        "return_number": number,
        "sale_uuid": s["uuid"],
        "shift_uuid": str(uuid4()),
        "cashier": "thungan1",
        "created_at": at(day, 15).isoformat(),
        "refund_method": "cash",
        "total_vnd": amount,
        "reason": "",
        "lines": [{"sale_line_no": 1, "product_uuid": item["uuid"], "qty": 1, "amount_vnd": amount}],
    }


@pytest.fixture
def shop(central_engine: Any) -> dict[str, Any]:
    """One showroom with a producer and two products (one the central server learns of only from its lines)."""
    with session_scope(central_engine) as s:
        credentials.register_showroom(s, "SR01", "OCOP Hoàn Kiếm", "Hà Nội", "Hoàn Kiếm", actor="admin")
    maker = producer(str(uuid4()), "HTX Mật ong Ba Vì", "Hà Nội")
    honey = product(str(uuid4()), maker, "MO500", "Mật ong 500ml", 150_000, 4, "thuc_pham")
    tea = product(str(uuid4()), maker, "TRA100", "Trà hoa vàng 100g", 200_000, 5, "do_uong")
    return {"maker": maker, "honey": honey, "tea": tea, "seq": 0}


def records(shop: dict[str, Any], *items: tuple[str, dict[str, Any]]) -> list[Record]:
    """Records with seqs following the shop's last (Record numbers them in order)."""
    out = []
    for kind, payload in items:
        uuid = payload.get("uuid") or payload["sale_uuid"]
        out.append(Record(kind, uuid, payload, at(10, 8)))
    return out


def push_numbered(engine: Any, shop: dict[str, Any], recs: list[Record]) -> None:
    """Push records numbered after everything pushed before (what an outbox does)."""
    document = batch_document("SR01", recs)
    for record in document["records"]:
        shop["seq"] += 1
        record["seq"] = shop["seq"]
    batch, payloads = parse_batch(json.dumps(document).encode())
    with session_scope(engine) as s:
        showroom = s.exec(select(Showroom).where(Showroom.code == "SR01")).one()
        ingest_batch(s, showroom, batch, payloads, tz=TZ)


def test_late_voids_returns_before_sales_and_late_products_keep_them_equal(central_engine: Any, shop: dict) -> None:
    honey, tea = shop["honey"], shop["tea"]
    s1 = sale("SR01-2026-000001", at(10, 9), str(uuid4()), [line(1, honey, 2)], [paid("cash", 300_000)])
    s2 = sale("SR01-2026-000002", at(10, 11), str(uuid4()), [line(1, tea, 1)], [paid("card", 200_000)])
    s3 = sale("SR01-2026-000003", at(31, 11), str(uuid4()), [line(1, tea, 1)], [paid("card", 200_000)])
    r1 = return_of(s1, honey, 12, 150_000, "SR01-2026-R000001")
    # The tea's sale arrives before the tea's own record (a stub without stars), the honey's record first.
    push_numbered(
        central_engine,
        shop,
        records(shop, ("producer", shop["maker"]), ("product", honey), ("sale", s1), ("sale", s2), ("sale", s3)),
    )
    assert_agree(central_engine)
    with central_engine.connect() as conn:
        stars = dict(conn.execute(text("SELECT ocop_stars, SUM(sales_vnd) FROM summary_product_day GROUP BY 1")).all())
    assert stars == {4: 300_000, 0: 400_000}  # the tea is not rated yet

    # The return comes in the next push, then the tea's record (5 stars), then the void of S1 (and so of R1).
    push_numbered(central_engine, shop, records(shop, ("return", r1)))
    assert_agree(central_engine)
    push_numbered(central_engine, shop, records(shop, ("product", tea)))
    assert_agree(central_engine)
    with central_engine.connect() as conn:
        stars = dict(conn.execute(text("SELECT ocop_stars, SUM(sales_vnd) FROM summary_product_day GROUP BY 1")).all())
        day = conn.execute(
            text("SELECT sales, sales_vnd, returned_sales FROM summary_showroom_day WHERE day = '2026-03-10'")
        ).one()
    assert stars == {4: 300_000, 5: 400_000}
    assert tuple(day) == (2, 500_000, 1)
    push_numbered(central_engine, shop, records(shop, ("void", void_of(s1))))
    assert_agree(central_engine)
    with central_engine.connect() as conn:
        day = conn.execute(
            text("SELECT sales, sales_vnd, voided, voided_vnd FROM summary_showroom_day WHERE day = '2026-03-10'")
        ).one()
        refunds = conn.execute(text("SELECT COALESCE(SUM(refunds_vnd), 0) FROM summary_showroom_day")).scalar_one()
    assert tuple(day) == (1, 200_000, 1, 300_000)
    assert refunds == 0  # a return against a voided sale counts nowhere

    # Replaying every push changes nothing.
    before = snapshot(central_engine)
    shop["seq"] = 0
    push_numbered(
        central_engine,
        shop,
        records(
            shop,
            ("producer", shop["maker"]),
            ("product", honey),
            ("sale", s1),
            ("sale", s2),
            ("sale", s3),
            ("return", r1),
            ("product", tea),
            ("void", void_of(s1)),
        ),
    )
    assert snapshot(central_engine) == before
    assert_agree(central_engine)

    # The rebuild from the raw tables writes exactly the rows the pushes kept.
    with central_engine.begin() as conn:
        summaries.rebuild(conn)
    assert snapshot(central_engine) == before


def test_a_return_before_its_sale(central_engine: Any, shop: dict) -> None:
    honey = shop["honey"]
    s1 = sale("SR01-2026-000001", at(10, 9), str(uuid4()), [line(1, honey, 3)], [paid("cash", 450_000)])
    r1 = return_of(s1, honey, 11, 150_000, "SR01-2026-R000001")
    push_numbered(central_engine, shop, records(shop, ("producer", shop["maker"]), ("return", r1)))
    assert_agree(central_engine)
    push_numbered(central_engine, shop, records(shop, ("product", honey), ("sale", s1)))
    assert_agree(central_engine)
    push_numbered(central_engine, shop, records(shop, ("void", void_of(s1))))
    assert_agree(central_engine)


def test_a_failed_push_leaves_no_summary_behind(central_engine: Any, shop: dict) -> None:
    honey = shop["honey"]
    s1 = sale("SR01-2026-000001", at(10, 9), str(uuid4()), [line(1, honey, 1)], [paid("cash", 150_000)])
    document = batch_document("SR01", records(shop, ("producer", shop["maker"]), ("product", honey), ("sale", s1)))
    batch, payloads = parse_batch(json.dumps(document).encode())
    with pytest.raises(RuntimeError), session_scope(central_engine) as s:
        showroom = s.exec(select(Showroom).where(Showroom.code == "SR01")).one()
        ingest_batch(s, showroom, batch, payloads, tz=TZ)
        raise RuntimeError("the server dies before the commit")
    assert all(rows == [] for rows in snapshot(central_engine).values())
    assert_agree(central_engine)


def test_the_check_finds_a_tampered_row(central_engine: Any, shop: dict) -> None:
    honey = shop["honey"]
    s1 = sale("SR01-2026-000001", at(10, 9), str(uuid4()), [line(1, honey, 1)], [paid("cash", 150_000)])
    push_numbered(central_engine, shop, records(shop, ("producer", shop["maker"]), ("product", honey), ("sale", s1)))
    with central_engine.begin() as conn:
        conn.execute(text("UPDATE summary_product_month SET qty_sold = qty_sold + 1"))
        conn.execute(text("UPDATE summary_product_dekad SET lines = lines + 1"))
        conn.execute(text("DELETE FROM summary_showroom_day"))
    with central_engine.connect() as conn:
        result = summaries.check(conn)
    assert not result.ok
    assert result.differences == {
        "summary_showroom_day": 1,
        "summary_product_day": 0,
        "summary_product_month": 2,
        "summary_product_dekad": 2,
        "summary_promotion_day": 0,
    }
    with central_engine.begin() as conn:
        summaries.rebuild(conn)
    assert_agree(central_engine)


def test_a_central_promotions_summary_follows_voids_and_returns_and_is_checked(central_engine: Any, shop: dict) -> None:
    honey, promo = shop["honey"], str(uuid4())
    # Two honeys at 15 % off (45.000 given, the producer's), the second sale voided; one honey of the first back.
    got = {"uuid": promo, "discount_vnd": 45_000, "borne_by": "producer"}
    s1 = sale("SR01-2026-000001", at(10, 9), str(uuid4()), [line(1, honey, 2, discount=45_000)], [])
    s2 = sale("SR01-2026-000002", at(10, 10), str(uuid4()), [line(1, honey, 2, discount=45_000)], [])
    for s in (s1, s2):
        s["lines"][0]["promotion"] = got
        s["payments"] = [paid("cash", s["total_vnd"])]
    back = return_of(s1, honey, 12, 127_500, "TH-SR01-2026-0001")
    push_numbered(
        central_engine,
        shop,
        records(
            shop, ("producer", shop["maker"]), ("product", honey), ("sale", s1), ("sale", s2), ("void", void_of(s2))
        ),
    )
    push_numbered(central_engine, shop, records(shop, ("return", back)))
    assert_agree(central_engine)
    with central_engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT day, sales, qty_sold, qty_returned, sales_vnd, refunds_vnd, discount_vnd, producer_cost_vnd "
                "FROM summary_promotion_day ORDER BY day"
            )
        ).all()
    # The sale's day: 1 sale of 2 (255.000, 45.000 off); the return's day: 1 back, 127.500 refunded, 22.500 of the
    # discount taken back (45.000 × 1 / 2).
    assert [tuple(r)[1:] for r in rows] == [
        (1, 2, 0, 255_000, 0, 45_000, 45_000),
        (0, 0, 1, 0, 127_500, -22_500, -22_500),
    ]
    with central_engine.begin() as conn:
        conn.execute(text("UPDATE summary_promotion_day SET discount_vnd = discount_vnd + 1"))
    with central_engine.connect() as conn:
        assert summaries.check(conn).differences["summary_promotion_day"] == 4
    with central_engine.begin() as conn:
        summaries.rebuild(conn)
    assert_agree(central_engine)


def test_periods_split_into_whole_months_dekads_and_days() -> None:
    from datetime import date

    assert split_period(date(2026, 1, 1), date(2026, 12, 31)) == ([date(2026, m, 1) for m in range(1, 13)], [], [])
    assert split_period(date(2026, 3, 15), date(2026, 5, 10)) == (
        [date(2026, 4, 1)],
        [date(2026, 3, 21), date(2026, 5, 1)],
        [(date(2026, 3, 15), date(2026, 3, 20))],
    )
    assert split_period(date(2026, 2, 1), date(2026, 2, 28)) == ([date(2026, 2, 1)], [], [])
    # The last dekad runs to the month's end (8 days in February, 11 in March).
    assert split_period(date(2026, 2, 2), date(2026, 2, 28)) == (
        [],
        [date(2026, 2, 11), date(2026, 2, 21)],
        [(date(2026, 2, 2), date(2026, 2, 10))],
    )
    assert split_period(date(2026, 3, 21), date(2026, 3, 30)) == ([], [], [(date(2026, 3, 21), date(2026, 3, 30))])
    assert split_period(date(2026, 1, 31), date(2026, 3, 1)) == (
        [date(2026, 2, 1)],
        [],
        [(date(2026, 1, 31), date(2026, 1, 31)), (date(2026, 3, 1), date(2026, 3, 1))],
    )
    assert split_period(date(2026, 1, 5), date(2026, 1, 25)) == (
        [],
        [date(2026, 1, 11)],
        [(date(2026, 1, 5), date(2026, 1, 10)), (date(2026, 1, 21), date(2026, 1, 25))],
    )


def test_reports_over_months_and_edge_days_add_up(office: FlaskClient) -> None:
    # The office world (tests/http/test_office.py): from 28/02 to 05/04 reads February's and April's days and
    # March whole. Net: S0 100.000 (28/02) + March 622.000 - R2 100.000 (01/04) = 622.000.
    rows = by(csv_rows(office, "/office/producers.csv", **{"from": "28/02/2026", "to": "05/04/2026"}), "Nhà sản xuất")
    assert rows["Tổng cộng"]["Doanh thu thuần"] == "622000"
    march = by(csv_rows(office, "/office/producers.csv", **{"from": "01/03/2026", "to": "31/03/2026"}), "Nhà sản xuất")
    assert march["Tổng cộng"]["Doanh thu thuần"] == "622000"
    one_day = by(
        csv_rows(office, "/office/producers.csv", **{"from": "28/02/2026", "to": "28/02/2026"}), "Nhà sản xuất"
    )
    assert one_day["Tổng cộng"]["Doanh thu thuần"] == "100000"

    # Read from a day, a month and days, summed per showroom first. Chè Tân Cương: S0 1 x 100.000 (28/02, SR01),
    # March's 2 (SR01) and 3 x 110.000 - 30.000 (SR02), R1 (March) and R2 (01/04) 100.000 back each: two showrooms.
    period = {"from": "28/02/2026", "to": "05/04/2026"}
    tea = rows["HTX Chè Tân Cương"]
    assert (tea["SL bán (cái)"], tea["SL khách trả (cái)"], tea["Số cửa hàng bán"]) == ("6", "2", "2")
    assert (tea["Tiền hàng"], tea["Giảm giá"], tea["Hoàn tiền trả hàng"], tea["Doanh thu thuần"]) == (
        "630000",
        "30000",
        "200000",
        "400000",
    )
    assert rows["HTX Miến dong Minh Hồng"]["Số cửa hàng bán"] == "1"
    top = by(csv_rows(office, "/office/top.csv", **period), "Sản phẩm")
    got = {name: (r["Số cửa hàng bán"], r["SL thuần (cái)"], r["Doanh thu thuần"]) for name, r in top.items()}
    assert got == {
        "Chè Tân Cương 200g": ("2", "4", "400000"),
        "Miến dong Minh Hồng 500g": ("1", "3", "150000"),
        "Cao thuốc nam Ba Vì": ("1", "1", "72000"),
    }


@pytest.fixture
def office(central_app: Any, central_engine: Any) -> FlaskClient:
    from pos.central.users import create_central_user
    from tests.http.test_office import login, seed

    seed(central_engine)
    with session_scope(central_engine) as s:
        create_central_user(s, "vanphong", "Nguyễn Thị Văn Phòng", "manager", "matkhau123")
    client = central_app.test_client()
    login(client, "vanphong", "matkhau123")
    return client


def test_the_sales_list_counts_from_the_summaries(office: FlaskClient) -> None:
    # March: S1, S2, S3 (voided) at SR01; T1, T2 at SR02. With returns: S1 (R1) and T1 (R2, in April).
    for status, count in (("", 5), ("completed", 4), ("voided", 1), ("returned", 2)):
        page = office.get(
            "/office/sales", query_string={"from": "01/03/2026", "to": "31/03/2026", "sale_status": status}
        )
        assert page.status_code == 200
        assert f"{count} đơn" in page.get_data(as_text=True), status


def test_every_export_opens(office: FlaskClient) -> None:
    # The provinces' title holds a "/" (tỉnh/thành), which Excel refuses in a sheet's name.
    import zipfile
    from io import BytesIO

    for slug in ("showrooms", "days", "showroom-days", "producers", "provinces", "ocop", "top", "shifts", "sync"):
        response = office.get(f"/office/{slug}.xlsx", query_string={"from": "01/03/2026", "to": "31/03/2026"})
        assert response.status_code == 200, slug
        with zipfile.ZipFile(BytesIO(response.get_data())) as book:
            sheet = book.read("xl/worksheets/sheet1.xml").decode()
        assert sheet.count("<row ") > 3, slug
