"""The central office's report pages on PostgreSQL: a small known set of records pushed through the ingest
service, every report's figures checked against numbers worked out by hand, the CSV exports, the stale
showroom flag, the receipt drill-down, the staff's full names (the username for older records), and who may see
the pages."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlmodel import select

from pos.central import catalog, credentials
from pos.central.api import parse_batch
from pos.central.ingest import ingest_batch
from pos.central.models import Showroom
from pos.central.office.products import province_key
from pos.central.office.views import PAGES
from pos.central.users import create_central_user
from pos.db import session_scope
from pos.money import vat_included
from pos.sync import contract
from pos.sync.samples import Record, batch_document
from tests.conftest import CSRF_RE

pytestmark = pytest.mark.postgres

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
MARCH = {"from": "01/03/2026", "to": "31/03/2026"}


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    """A local Hanoi time in 2026, as the aware UTC instant a showroom sends."""
    return datetime(2026, month, day, hour, minute, tzinfo=TZ).astimezone(UTC)


# --- A small world: three showrooms, one catalogue product sold by two of them -----------------------------------


def producer(uuid: str, name: str, province: str) -> dict[str, Any]:
    return {
        "uuid": uuid,
        "name": name,
        "kind": "htx",
        "tax_code": None,
        "province": province,
        "district": "",
        "phone": "",
        "commission_bp": 2000,
        "is_active": True,
    }


def product(
    uuid: str, maker: dict[str, Any], sku: str, name: str, price: int, stars: int | None, group: str, central: str = ""
) -> dict[str, Any]:
    return {
        "uuid": uuid,
        "producer_uuid": maker["uuid"],
        "sku": sku,
        "barcode": None,
        "name": name,
        "unit": "hộp",
        "price_vnd": price,
        "vat_class": "standard",
        "ocop_group": group,
        "ocop_stars": stars,
        "ocop_cert_number": "",
        "ocop_cert_expiry": None,
        "central_uuid": central or None,
        "is_active": True,
    }


def line(no: int, item: dict[str, Any], qty: int, discount: int = 0, rate: int = 800) -> dict[str, Any]:
    total = item["price_vnd"] * qty - discount
    return {
        "line_no": no,
        "product_uuid": item["uuid"],
        "producer_uuid": item["producer_uuid"],
        "name": item["name"],
        "sku": item["sku"],
        "barcode": None,
        "unit": item["unit"],
        "qty": qty,
        "unit_price_vnd": item["price_vnd"],
        "discount_vnd": discount,
        "total_vnd": total,
        "vat_rate_bp": rate,
        "vat_vnd": vat_included(total, rate),
    }


def sale(
    number: str,
    when: datetime,
    shift: str,
    lines: list[dict[str, Any]],
    payments: list[dict[str, Any]],
    sale_discount: int = 0,
) -> dict[str, Any]:
    """A sale whose header adds up; ``sale_discount`` is already inside the (single) line's discount."""
    total = sum(x["total_vnd"] for x in lines)
    return {
        "uuid": str(uuid4()),
        "receipt_number": number,
        "shift_uuid": shift,
        "cashier": "thungan1",
        "created_at": when.isoformat(),
        "subtotal_vnd": sum(x["unit_price_vnd"] * x["qty"] for x in lines),
        "line_discount_vnd": sum(x["discount_vnd"] for x in lines) - sale_discount,
        "sale_discount_vnd": sale_discount,
        "total_vnd": total,
        "vat_vnd": sum(x["vat_vnd"] for x in lines),
        "discount_approved_by": "quanly" if sale_discount else None,
        "lines": lines,
        "payments": payments,
    }


def paid(method: str, amount: int, tendered: int | None = None) -> dict[str, Any]:
    return {
        "method": method,
        "amount_vnd": amount,
        "tendered_vnd": tendered,
        "change_vnd": None if tendered is None else tendered - amount,
        "reference": "",
    }


def close(shift: str, opened: datetime, closed: datetime, sales: list[str], **figures: Any) -> dict[str, Any]:
    return {
        "uuid": shift,
        "cashier": "thungan1",
        "opened_at": opened.isoformat(),
        "closed_at": closed.isoformat(),
        "opening_float_vnd": 1_000_000,
        "sales_count": figures.get("sales_count", 0),
        "sales_total_vnd": figures.get("sales_total_vnd", 0),
        "refunds_total_vnd": 0,
        "voids_count": figures.get("voids_count", 0),
        "discounts_vnd": figures.get("discounts_vnd", 0),
        "payments_by_method": figures.get("payments_by_method", {}),
        "cash_in_vnd": 0,
        "cash_out_vnd": 0,
        "expected_cash_vnd": 1_000_000,
        "counted_cash_vnd": 1_000_000,
        "difference_vnd": 0,
        "sale_uuids": sales,
        "return_uuids": [],
    }


def push(engine: Any, code: str, records: list[Record]) -> None:
    """Store records the way the API does after authenticating the showroom."""
    batch, payloads = parse_batch(json.dumps(batch_document(code, records)).encode())
    with session_scope(engine) as s:
        showroom = s.exec(select(Showroom).where(Showroom.code == code)).one()
        ingest_batch(s, showroom, batch, payloads, tz=TZ)


def seed(engine: Any) -> dict[str, Any]:
    """The known world of these tests (figures worked out in each test's comments)."""
    with session_scope(engine) as s:
        credentials.register_showroom(s, "SR01", "OCOP Hoàn Kiếm", "Hà Nội", "Hoàn Kiếm", actor="admin")
        credentials.register_showroom(s, "SR02", "OCOP Ba Vì", "Hà Nội", "Ba Vì", actor="admin")
        credentials.register_showroom(s, "SR03", "OCOP Sơn Tây", "Hà Nội", "Sơn Tây", actor="admin")
        tea_maker = catalog.create_catalog_producer(
            s, catalog.CatalogProducerInput(name="HTX Chè Tân Cương", province="Thái Nguyên")
        )
        tea = catalog.create_catalog_product(
            s,
            catalog.CatalogProductInput(
                producer_id=tea_maker.id or 0,
                sku="CHE200",
                name="Chè Tân Cương 200g",
                suggested_price_vnd=100_000,
                ocop_group="do_uong",
                ocop_stars=4,
            ),
        )
        tea_maker_uuid, tea_uuid = str(tea_maker.uuid), str(tea.uuid)

    p1 = producer(tea_maker_uuid, "HTX Chè Tân Cương", "Thái Nguyên")  # pulled from the catalogue
    p3 = producer(str(uuid4()), "HTX Miến dong Minh Hồng", "TP. Hà Nội")
    p4 = producer(str(uuid4()), "Hộ kinh doanh Thuốc nam Ba Vì", "Hà Nội")
    a1 = product(tea_uuid, p1, "CHE200", "Chè Tân Cương hộp 200g", 100_000, 4, "do_uong")  # the catalogue's UUID
    a2 = product(str(uuid4()), p3, "MIEN500", "Miến dong Minh Hồng 500g", 50_000, 3, "thuc_pham")
    b1 = product(str(uuid4()), p1, "B-CHE", "Chè Thái 200g (Ba Vì)", 110_000, 4, "do_uong", central=tea_uuid)
    b2 = product(str(uuid4()), p4, "B-THUOC", "Cao thuốc nam Ba Vì", 80_000, None, "thao_duoc")

    x = str(uuid4())  # SR01's shift of 2-3 March, closed with figures that add up
    s1 = sale(
        "SR01-2026-000001", at(2, 10), x, [line(1, a1, 2), line(2, a2, 1, rate=1000)], [paid("cash", 250_000, 300_000)]
    )
    s2 = sale("SR01-2026-000002", at(3, 0, 30), x, [line(1, a2, 2)], [paid("card", 100_000)])  # 17:30 UTC on 2/3
    s3 = sale("SR01-2026-000003", at(3, 9), x, [line(1, a1, 5)], [paid("cash", 500_000, 500_000)])
    void = {
        "sale_uuid": s3["uuid"],
        "receipt_number": s3["receipt_number"],
        "voided_at": at(3, 9, 5).isoformat(),
        "voided_by": "quanly",
        "reason": "Khách đổi ý",
    }
    r1 = {
        "uuid": str(uuid4()),
        "return_number": "SR01-2026-R000001",
        "sale_uuid": s1["uuid"],
        "shift_uuid": str(uuid4()),
        "cashier": "thungan1",
        "created_at": at(5, 15).isoformat(),
        "refund_method": "cash",
        "total_vnd": 100_000,
        "reason": "Hộp bị móp",
        "lines": [{"sale_line_no": 1, "product_uuid": a1["uuid"], "qty": 1, "amount_vnd": 100_000}],
    }
    s0 = sale("SR01-2026-000000", at(28, 12, month=2), str(uuid4()), [line(1, a1, 1)], [paid("cash", 100_000)])
    x_close = close(
        x,
        at(2, 8),
        at(3, 20),
        [s1["uuid"], s2["uuid"], s3["uuid"]],
        sales_count=2,
        sales_total_vnd=350_000,
        voids_count=1,
        payments_by_method={"cash": 250_000, "card": 100_000},
    )
    push(
        engine,
        "SR01",
        [Record("producer", p["uuid"], p, at(1, 8)) for p in (p1, p3)]
        + [Record("product", p["uuid"], p, at(1, 8)) for p in (a1, a2)]
        + [
            Record("sale", s0["uuid"], s0, at(28, 12, month=2)),
            Record("sale", s1["uuid"], s1, at(2, 10)),
            Record("sale", s2["uuid"], s2, at(3, 0, 30)),
            Record("sale", s3["uuid"], s3, at(3, 9)),
            Record("void", s3["uuid"], void, at(3, 9, 5)),
            Record("shift_close", x, x_close, at(3, 20)),
            Record("return", r1["uuid"], r1, at(5, 15)),
        ],
    )

    y, z = str(uuid4()), str(uuid4())
    t1 = sale("SR02-2026-000001", at(3, 11), y, [line(1, b1, 3, discount=30_000)], [paid("card", 300_000)])
    t2 = sale("SR02-2026-000002", at(4, 16), z, [line(1, b2, 1, discount=8_000)], [paid("transfer", 72_000)], 8_000)
    r2 = {
        "uuid": str(uuid4()),
        "return_number": "SR02-2026-R000001",
        "sale_uuid": t1["uuid"],
        "shift_uuid": str(uuid4()),
        "cashier": "thungan1",
        "created_at": at(1, 9, month=4).isoformat(),
        "refund_method": "card",
        "total_vnd": 100_000,
        "reason": "",
        "lines": [{"sale_line_no": 1, "product_uuid": b1["uuid"], "qty": 1, "amount_vnd": 100_000}],
    }
    y_close = close(  # names a sale the central server never got: incomplete
        y, at(3, 8), at(3, 20), [t1["uuid"], str(uuid4())], sales_count=2, sales_total_vnd=350_000
    )
    z_close = close(  # everything arrived but the showroom counted 80.000 ₫: mismatch
        z,
        at(4, 8),
        at(4, 20),
        [t2["uuid"]],
        sales_count=1,
        sales_total_vnd=80_000,
        discounts_vnd=8_000,
        payments_by_method={"transfer": 72_000},
    )
    push(
        engine,
        "SR02",
        [Record("producer", p["uuid"], p, at(1, 8)) for p in (p1, p4)]
        + [Record("product", p["uuid"], p, at(1, 8)) for p in (b1, b2)]
        + [
            Record("sale", t1["uuid"], t1, at(3, 11)),
            Record("shift_close", y, y_close, at(3, 20)),
            Record("sale", t2["uuid"], t2, at(4, 16)),
            Record("shift_close", z, z_close, at(4, 20)),
            Record("return", r2["uuid"], r2, at(1, 9, month=4)),
        ],
    )
    with engine.begin() as conn:  # SR02 last pushed five days ago
        conn.execute(text("UPDATE showroom SET last_push_at = now() - interval '5 days' WHERE code = 'SR02'"))
    return {"s1": s1, "s2": s2, "s3": s3, "t1": t1, "t2": t2, "r1": r1}


@pytest.fixture
def world(central_engine: Any) -> dict[str, Any]:
    return seed(central_engine)


@pytest.fixture
def office(central_app: Flask, central_engine: Any, world: dict[str, Any]) -> FlaskClient:
    """A client logged in as a central-office user, on the seeded world."""
    with session_scope(central_engine) as s:
        create_central_user(s, "vanphong", "Nguyễn Thị Văn Phòng", "manager", "matkhau123")
    client = central_app.test_client()
    login(client, "vanphong", "matkhau123")
    return client


def login(client: FlaskClient, username: str, password: str) -> Any:
    page = client.get("/login").get_data(as_text=True)
    token = CSRF_RE.search(page)
    assert token, "the login page carries a CSRF token"
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token.group(1)})


def csv_rows(client: FlaskClient, path: str, **args: str) -> list[dict[str, str]]:
    """A CSV export: checks the BOM and content type, returns the rows (totals row last) by header."""
    response = client.get(path, query_string=args)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    raw = response.get_data()
    response.close()  # a streamed body ends its request (and returns its connection) when closed, as WSGI does
    assert raw.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


def by(rows: list[dict[str, str]], key: str) -> dict[str, dict[str, str]]:
    return {row[key]: row for row in rows}


# --- Figures ----------------------------------------------------------------------------------------------------


def test_sales_by_showroom(office: FlaskClient) -> None:
    # SR01: S1 250.000 + S2 100.000 sold; S3 voided; S0 is February; R1 refunds 100.000 on 5/3 -> net 250.000.
    # SR02: T1 300.000 + T2 72.000; R2 is in April -> net 372.000. SR03 sold nothing. Total net 622.000.
    rows = by(csv_rows(office, "/office/showrooms.csv", **MARCH), "Mã")
    sr1, sr2, sr3, total = rows["SR01"], rows["SR02"], rows["SR03"], rows["Tổng cộng"]
    assert (sr1["Số đơn"], sr1["Doanh thu bán"], sr1["Hoàn tiền trả hàng"], sr1["Doanh thu thuần"]) == (
        "2",
        "350000",
        "100000",
        "250000",
    )
    assert sr1["Đơn đã hủy (không tính)"] == "1"
    assert (sr2["Số đơn"], sr2["Doanh thu bán"], sr2["Hoàn tiền trả hàng"], sr2["Doanh thu thuần"]) == (
        "2",
        "372000",
        "0",
        "372000",
    )
    assert (sr3["Số đơn"], sr3["Doanh thu thuần"]) == ("0", "0")
    assert (total["Số đơn"], total["Doanh thu thuần"], total["Tỷ trọng"]) == ("4", "622000", "100,0%")
    assert sr2["Tỷ trọng"] == "59,8%"  # 372.000 / 622.000
    # Shift checks: SR01's shift adds up; SR02 has one shift missing a sale and one that differs.
    assert (sr1["Ca khớp"], sr1["Ca không khớp"], sr1["Ca chưa đủ dữ liệu"]) == ("1", "0", "0")
    assert (sr2["Ca khớp"], sr2["Ca không khớp"], sr2["Ca chưa đủ dữ liệu"]) == ("0", "1", "1")
    # Sync: SR02 pushed five days ago and SR03 never; SR01 just now.
    assert sr1["Tình trạng đồng bộ"] == "Bình thường"
    assert sr2["Tình trạng đồng bộ"] == "Quá hạn (5 ngày chưa đồng bộ)"
    assert sr3["Tình trạng đồng bộ"] == "Chưa đồng bộ lần nào"


def test_sales_by_day_uses_local_days(office: FlaskClient) -> None:
    # S2 was rung up at 00:30 on 3/3 in Hanoi (17:30 UTC on 2/3): it belongs to 3/3.
    rows = by(csv_rows(office, "/office/days.csv", **MARCH), "Ngày")
    assert len(rows) == 32  # every day of March, and the totals
    assert (rows["02/03/2026"]["Số đơn"], rows["02/03/2026"]["Doanh thu thuần"]) == ("1", "250000")
    assert (rows["03/03/2026"]["Số đơn"], rows["03/03/2026"]["Doanh thu thuần"]) == ("2", "400000")
    assert rows["03/03/2026"]["Số cửa hàng có bán"] == "2"
    assert rows["03/03/2026"]["Đơn đã hủy (không tính)"] == "1"
    assert rows["04/03/2026"]["Doanh thu thuần"] == "72000"
    assert rows["04/03/2026"]["Giảm giá"] == "8000"
    assert (rows["05/03/2026"]["Hoàn tiền trả hàng"], rows["05/03/2026"]["Doanh thu thuần"]) == ("100000", "-100000")
    assert rows["06/03/2026"]["Doanh thu thuần"] == "0"
    assert rows["Tổng cộng"]["Doanh thu thuần"] == "622000"
    # One showroom only.
    sr2 = by(csv_rows(office, "/office/days.csv", showroom="SR02", **MARCH), "Ngày")
    assert (sr2["03/03/2026"]["Doanh thu thuần"], sr2["Tổng cộng"]["Doanh thu thuần"]) == ("300000", "372000")


def test_sales_by_showroom_and_day(office: FlaskClient) -> None:
    rows = csv_rows(office, "/office/showroom-days.csv", **MARCH)
    cells = {(r["Mã"], r["Ngày"]): r["Doanh thu thuần"] for r in rows if r["Mã"]}
    assert cells == {
        ("SR01", "02/03/2026"): "250000",
        ("SR01", "03/03/2026"): "100000",  # the voided S3 of that day counts nowhere
        ("SR01", "05/03/2026"): "-100000",
        ("SR02", "03/03/2026"): "300000",
        ("SR02", "04/03/2026"): "72000",
    }
    page = office.get("/office/showroom-days", query_string=MARCH).get_data(as_text=True)
    heatmap = json.loads(_attr(page, "data-heatmap"))
    assert [r["label"] for r in heatmap["rows"]] == [
        "SR01 – OCOP Hoàn Kiếm",
        "SR02 – OCOP Ba Vì",
        "SR03 – OCOP Sơn Tây",
    ]
    assert heatmap["rows"][0]["values"][:5] == [0, 250_000, 100_000, 0, -100_000]
    assert len(heatmap["days"]) == 31


def test_long_tables_are_paged_with_totals_of_the_whole_period(
    office: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("pos.central.office.common.PAGE_ROWS", 2)
    # Five showroom-days in March, two to a page, by code and day; the totals are the whole period's.
    first = office.get("/office/showroom-days", query_string=MARCH).get_data(as_text=True)
    assert "Trang 1 / 3 · 5 dòng" in first and "Trang sau" in first and "Trang trước" not in first
    assert _cells(first, "col-day") == ["02/03/2026", "03/03/2026"]
    assert "622.000 ₫" in first.split("<tfoot>")[1]  # net of every row, not of the page
    last = office.get("/office/showroom-days", query_string={**MARCH, "page": "3"}).get_data(as_text=True)
    assert "Trang 3 / 3" in last and _cells(last, "col-code") == ["SR02"] and _cells(last, "col-day") == ["04/03/2026"]
    beyond = office.get("/office/showroom-days", query_string={**MARCH, "page": "99"}).get_data(as_text=True)
    assert "Trang 3 / 3" in beyond  # a page past the end shows the last one
    assert "page=2" in last and "Trang đầu" in last
    # The tabs and filters start again from the first page.
    assert 'href="/office/shifts?from=01/03/2026&amp;to=31/03/2026"' in last
    # The exports hold every row, whatever the page.
    rows = csv_rows(office, "/office/showroom-days.csv", page="2", **MARCH)
    assert len(rows) == 6 and rows[-1]["Doanh thu thuần"] == "622000"
    # Shifts: problems first across pages; the status counts are over every shift.
    shifts = office.get("/office/shifts", query_string={**MARCH, "page": "2"}).get_data(as_text=True)
    assert "Trang 2 / 2 · 3 dòng" in shifts and _cells(shifts, "col-status") == ["Khớp"]
    assert "<strong>1</strong> khớp" in shifts and "<strong>1</strong> không khớp" in shifts
    assert len(csv_rows(office, "/office/shifts.csv", **MARCH)) == 3
    for path, rows_expected in (("/office/shifts.xlsx", 3), ("/office/showroom-days.xlsx", 5 + 1)):
        response = office.get(path, query_string={**MARCH, "page": "2"})
        assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
        with zipfile.ZipFile(io.BytesIO(response.get_data())) as book:
            sheet = book.read("xl/worksheets/sheet1.xml").decode()
        assert sheet.count("<row ") == 5 + rows_expected, path  # title, name, period, what is counted, header
    assert "<v>622000</v>" in sheet  # the showroom-days' totals row


def _cells(page: str, css: str) -> list[str]:
    """The text of every body cell of the report's table with this column class."""
    import re

    body = page.split("<tbody>")[1].split("</tbody>")[0]
    return [re.sub(r"<[^>]+>", "", m).strip() for m in re.findall(rf'<td class="[^"]*{css}">(.*?)</td>', body, re.S)]


def test_sales_by_producer_merges_the_catalogue_link(office: FlaskClient) -> None:
    # Tân Cương: A1 2 x 100.000 (SR01) + B1 3 x 110.000 - 30.000 (SR02) - 1 returned (100.000) = 400.000.
    # Minh Hồng: A2 1 x 50.000 + 2 x 50.000 = 150.000. Thuốc nam Ba Vì: 80.000 - 8.000 = 72.000.
    rows = by(csv_rows(office, "/office/producers.csv", **MARCH), "Nhà sản xuất")
    tea = rows["HTX Chè Tân Cương"]
    pieces = (tea["SL bán (cái)"], tea["SL khách trả (cái)"], tea["SL thuần (cái)"], tea["Số cửa hàng bán"])
    assert pieces == ("5", "1", "4", "2")
    assert (tea["Tiền hàng"], tea["Giảm giá"], tea["Hoàn tiền trả hàng"], tea["Doanh thu thuần"]) == (
        "530000",
        "30000",
        "100000",
        "400000",
    )
    assert tea["Tỉnh/thành"] == "Thái Nguyên"
    assert rows["HTX Miến dong Minh Hồng"]["Doanh thu thuần"] == "150000"
    assert rows["Hộ kinh doanh Thuốc nam Ba Vì"]["Doanh thu thuần"] == "72000"
    assert rows["Tổng cộng"]["Doanh thu thuần"] == "622000"


def test_sales_by_province_groups_spellings(office: FlaskClient) -> None:
    # "TP. Hà Nội" (Minh Hồng) and "Hà Nội" (Ba Vì) are one province: 150.000 + 72.000.
    rows = by(csv_rows(office, "/office/provinces.csv", **MARCH), "Tỉnh/thành xuất xứ")
    assert set(rows) == {"Thái Nguyên", "Hà Nội", "Tổng cộng"}
    assert (rows["Hà Nội"]["Doanh thu thuần"], rows["Hà Nội"]["Số nhà sản xuất"]) == ("222000", "2")
    assert rows["Thái Nguyên"]["Doanh thu thuần"] == "400000"
    assert rows["Tổng cộng"]["Doanh thu thuần"] == "622000"
    assert province_key("Thành phố Hà Nội") == province_key("ha noi") == province_key("TP.Hà Nội") == "ha noi"
    assert province_key("Tỉnh Thái Nguyên") == "thai nguyen"


def test_sales_by_ocop_stars_and_group(office: FlaskClient) -> None:
    rows = by(csv_rows(office, "/office/ocop.csv", **MARCH), "Nhóm sản phẩm")
    assert rows["Đồ uống"]["4 sao"] == "400000"
    assert rows["Thực phẩm"]["3 sao"] == "150000"
    assert rows["Thảo dược"]["Chưa xếp hạng"] == "72000"
    assert rows["Vải và may mặc"]["Doanh thu thuần"] == "0"
    total = rows["Tổng cộng"]
    assert (total["5 sao"], total["4 sao"], total["3 sao"], total["Chưa xếp hạng"]) == (
        "0",
        "400000",
        "150000",
        "72000",
    )
    assert total["Doanh thu thuần"] == "622000"


def test_top_products_add_up_across_showrooms(office: FlaskClient) -> None:
    # A1 (the catalogue's own UUID, SR01) and B1 (SR02's product linked to it) are one catalogue product.
    rows = csv_rows(office, "/office/top.csv", **MARCH)
    assert [r["Sản phẩm"] for r in rows] == ["Chè Tân Cương 200g", "Miến dong Minh Hồng 500g", "Cao thuốc nam Ba Vì"]
    tea, noodles, herbs = rows
    got = (tea["Hạng"], tea["Số cửa hàng bán"], tea["SL thuần (cái)"], tea["Doanh thu thuần"])
    assert got == ("1", "2", "4", "400000")
    assert tea["Danh mục chung"] == "Đã liên kết"
    assert tea["Tỷ trọng"] == "64,3%"  # 400.000 / 622.000
    assert (noodles["SL thuần (cái)"], noodles["Doanh thu thuần"]) == ("3", "150000")
    assert herbs["Danh mục chung"] == "Chưa liên kết (hàng của SR02)"
    by_qty = csv_rows(office, "/office/top.csv", sort="qty", limit="2", **MARCH)
    assert [r["Sản phẩm"] for r in by_qty] == ["Chè Tân Cương 200g", "Miến dong Minh Hồng 500g"]


def test_shift_reconciliation(office: FlaskClient) -> None:
    rows = csv_rows(office, "/office/shifts.csv", **MARCH)
    status = [(r["Mã"], r["Đối chiếu"]) for r in rows]
    assert status == [("SR02", "Không khớp"), ("SR02", "Chưa đủ dữ liệu"), ("SR01", "Khớp")]  # problems first
    assert "Doanh thu bán: cửa hàng 80.000 ₫, trung tâm 72.000 ₫" in rows[0]["Chi tiết"]
    assert "Thiếu 1 đơn bán chưa về trung tâm" in rows[1]["Chi tiết"]
    only = csv_rows(office, "/office/shifts.csv", status="incomplete", **MARCH)
    assert [r["Đối chiếu"] for r in only] == ["Chưa đủ dữ liệu"]
    filtered = office.get("/office/shifts", query_string={"status": "incomplete", **MARCH}).get_data(as_text=True)
    assert "<strong>1</strong> khớp" in filtered and "<strong>1</strong> không khớp" in filtered  # every count shown
    page = office.get("/office/shifts", query_string={"showroom": "SR01", **MARCH}).get_data(as_text=True)
    assert "Khớp" in page and "Không khớp</span>" not in page


def test_stale_showrooms_are_flagged(office: FlaskClient) -> None:
    rows = csv_rows(office, "/office/sync.csv")
    assert [r["Mã"] for r in rows] == ["SR03", "SR02", "SR01"]  # never synced, then the quietest
    assert rows[1]["Số ngày chưa đồng bộ"] == "5"
    page = office.get("/office/", query_string=MARCH).get_data(as_text=True)
    assert "2 cửa hàng quá 2 ngày chưa đồng bộ" in page
    assert "OCOP Ba Vì" in page and "OCOP Sơn Tây" in page


def test_stale_days_come_from_config(central_app: Flask, office: FlaskClient) -> None:
    central_app.config["CENTRAL_STALE_DAYS"] = 7
    rows = by(csv_rows(office, "/office/sync.csv"), "Mã")
    assert rows["SR02"]["Tình trạng"] == "Bình thường"  # five days quiet is fine under a seven-day rule
    assert rows["SR03"]["Tình trạng"] == "Chưa đồng bộ lần nào"


def test_overview_totals_and_charts(office: FlaskClient) -> None:
    page = office.get("/office/", query_string=MARCH).get_data(as_text=True)
    assert "622.000 ₫" in page  # net revenue
    day_chart = json.loads(_attr(page, "data-chart"))
    assert day_chart["type"] == "line" and len(day_chart["values"]) == 31
    assert day_chart["values"][1:5] == [250_000, 400_000, 72_000, -100_000]
    assert "Không tính đơn đã hủy" in page


def test_every_page_renders(office: FlaskClient) -> None:
    for path in ("/office/", "/office/sales", "/office/showrooms", "/office/days", "/office/showroom-days",
                 "/office/producers", "/office/provinces", "/office/ocop", "/office/top", "/office/shifts",
                 "/office/sync"):  # fmt: skip
        response = office.get(path, query_string=MARCH)
        assert response.status_code == 200, path
        body = response.get_data(as_text=True)
        assert "<script>" not in body and 'style="' not in body, path  # the CSP allows neither
        if path not in ("/office/sync", "/office/sales", "/office/shifts"):
            assert "Không tính đơn đã hủy" in body, path


# --- Sales list and one receipt ----------------------------------------------------------------------------------


def test_sales_list_and_csv(office: FlaskClient, world: dict[str, Any]) -> None:
    page = office.get("/office/sales", query_string=MARCH).get_data(as_text=True)
    for number in ("SR01-2026-000001", "SR01-2026-000002", "SR01-2026-000003", "SR02-2026-000001"):
        assert number in page
    assert "SR01-2026-000000" not in page  # February
    assert f"/office/sales/{world['s1']['uuid']}" in page
    rows = by(csv_rows(office, "/office/sales.csv", **MARCH), "Số hóa đơn")
    assert set(rows) == {
        "SR01-2026-000001",
        "SR01-2026-000002",
        "SR01-2026-000003",
        "SR02-2026-000001",
        "SR02-2026-000002",
    }
    assert rows["SR01-2026-000003"]["Trạng thái"] == "Đã hủy"
    assert (rows["SR01-2026-000001"]["Trạng thái"], rows["SR01-2026-000001"]["Đã hoàn tiền"]) == (
        "Có trả hàng",
        "100000",
    )
    assert rows["SR01-2026-000002"]["Thời gian"] == "03/03/2026 00:30"
    voided = csv_rows(office, "/office/sales.csv", sale_status="voided", **MARCH)
    assert [r["Số hóa đơn"] for r in voided] == ["SR01-2026-000003"]


def test_a_whole_receipt_number_is_found_on_any_date(office: FlaskClient) -> None:
    rows = csv_rows(office, "/office/sales.csv", number="sr01-2026-000000", **MARCH)
    assert [r["Số hóa đơn"] for r in rows] == ["SR01-2026-000000"]  # February, outside the period
    part = csv_rows(office, "/office/sales.csv", number="000002", **MARCH)
    assert sorted(r["Số hóa đơn"] for r in part) == ["SR01-2026-000002", "SR02-2026-000002"]


def test_receipt_drill_down(office: FlaskClient, world: dict[str, Any]) -> None:
    response = office.get(f"/office/sales/{world['s1']['uuid']}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for text_ in (
        "SR01-2026-000001",
        "OCOP Hoàn Kiếm",
        "thungan1",
        "02/03/2026 10:00",
        "Chè Tân Cương hộp 200g",
        "Miến dong Minh Hồng 500g",
        "250.000 ₫",  # total
        "300.000 ₫",  # tendered
        "50.000 ₫",  # change
        "Tiền mặt",
        "SR01-2026-R000001",  # the return of one box of tea
        "Hộp bị móp",
        "Khớp",  # its shift's check
    ):
        assert text_ in page, text_
    # VAT by rate: 8% on 200.000, 10% on 50.000.
    assert f"{200_000:,}".replace(",", ".") + " ₫" in page and "10%" in page and "8%" in page
    rows = csv_rows(office, f"/office/sales/{world['s1']['uuid']}.csv")
    assert [(r["Sản phẩm"], r["SL"], r["Thành tiền"], r["Thuế suất GTGT"]) for r in rows[:2]] == [
        ("Chè Tân Cương hộp 200g", "2", "200000", "8%"),
        ("Miến dong Minh Hồng 500g", "1", "50000", "10%"),
    ]


def test_voided_receipt_says_so(office: FlaskClient, world: dict[str, Any]) -> None:
    page = office.get(f"/office/sales/{world['s3']['uuid']}").get_data(as_text=True)
    assert "Đơn đã hủy" in page and "Khách đổi ý" in page and "quanly" in page


def test_unknown_receipt_is_404(office: FlaskClient) -> None:
    assert office.get(f"/office/sales/{uuid4()}").status_code == 404
    assert office.get("/office/sales/not-a-uuid").status_code == 404
    assert office.get("/office/nothing-here").status_code == 404
    assert office.get("/office/showrooms.pdf").status_code == 404


# --- Bad input, permissions ----------------------------------------------------------------------------------------


def test_bad_dates_keep_the_default_period(office: FlaskClient) -> None:
    response = office.get("/office/showrooms", query_string={"from": "31/02/2026", "to": "x"})
    assert response.status_code == 200
    assert "Ngày không hợp lệ" in response.get_data(as_text=True)
    assert office.get("/office/showrooms", query_string={"from": "31/03/2026", "to": "01/03/2026"}).status_code == 200
    assert office.get("/office/showrooms.csv", query_string={"from": "nonsense"}).status_code == 422
    unknown = office.get("/office/days", query_string={"showroom": "NOPE", **MARCH}).get_data(as_text=True)
    assert "Không có cửa hàng mã “NOPE”" in unknown


def test_anonymous_goes_to_the_central_login(central_app: Flask, world: dict[str, Any]) -> None:
    client = central_app.test_client()
    for path in ("/office/", "/office/showrooms", "/office/showrooms.csv", "/office/sales"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert "/login" in response.headers["Location"]


def test_showroom_logins_do_not_exist_here(central_app: Flask, central_engine: Any, world: dict[str, Any]) -> None:
    # A showroom's manager account lives in the showroom's SQLite; the central server knows only central users.
    client = central_app.test_client()
    response = login(client, "quanly", "matkhau123")
    assert response.status_code == 401
    assert client.get("/office/").status_code == 302


def test_quick_periods_and_tabs_keep_the_filters(office: FlaskClient) -> None:
    page = office.get("/office/producers", query_string={"showroom": "SR02", **MARCH}).get_data(as_text=True)
    assert "/office/top?from=01/03/2026&amp;to=31/03/2026&amp;showroom=SR02" in page
    rows = by(csv_rows(office, "/office/producers.csv", showroom="SR02", **MARCH), "Nhà sản xuất")
    assert rows["HTX Chè Tân Cương"]["Doanh thu thuần"] == "300000"  # SR02's own sales of the tea
    assert rows["Tổng cộng"]["Doanh thu thuần"] == "372000"


def _attr(page: str, name: str) -> str:
    """The (HTML-unescaped) value of the first ``name="..."`` attribute in the page."""
    import html

    start = page.index(f'{name}="') + len(name) + 2
    return html.unescape(page[start : page.index('"', start)])


def test_dates_sent_are_utc(world: dict[str, Any]) -> None:
    # The builder's own sanity: 00:30 on 3/3 in Hanoi is 17:30 UTC on 2/3.
    assert world["s2"]["created_at"].startswith("2026-03-02T17:30")


def test_a_new_push_shows_at_once(office: FlaskClient, central_engine: Any, world: dict[str, Any]) -> None:
    # The slow line-based reports are kept between requests, but never past a push that changes them.
    before = by(csv_rows(office, "/office/producers.csv", **MARCH), "Nhà sản xuất")
    assert before["Tổng cộng"]["Doanh thu thuần"] == "622000"
    line1 = dict(world["t2"]["lines"][0], discount_vnd=0, total_vnd=80_000, vat_vnd=vat_included(80_000, 800))
    late = sale("SR02-2026-000003", at(20, 9), str(uuid4()), [line1], [paid("cash", 80_000, 80_000)])
    batch, payloads = parse_batch(
        json.dumps(batch_document("SR02", [Record("sale", late["uuid"], late, at(20, 9))], 100)).encode()
    )
    with session_scope(central_engine) as s:
        ingest_batch(s, s.exec(select(Showroom).where(Showroom.code == "SR02")).one(), batch, payloads, tz=TZ)
    after = by(csv_rows(office, "/office/producers.csv", **MARCH), "Nhà sản xuất")
    assert after["Tổng cộng"]["Doanh thu thuần"] == "702000"
    assert after["Hộ kinh doanh Thuốc nam Ba Vì"]["Doanh thu thuần"] == "152000"


def test_xlsx_export(office: FlaskClient) -> None:
    response = office.get("/office/showrooms.xlsx", query_string=MARCH)
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response.get_data().startswith(b"PK")


def test_pages_render_before_any_showroom(central_app: Flask, central_engine: Any) -> None:
    with session_scope(central_engine) as s:
        create_central_user(s, "vanphong", "Văn phòng", "manager", "matkhau123")
    client = central_app.test_client()
    login(client, "vanphong", "matkhau123")
    for path in ("/office/", "/office/sales", *(f"/office/{slug}" for slug in PAGES)):
        assert client.get(path).status_code == 200, path
    assert csv_rows(client, "/office/sync.csv") == []


# --- Full names (sale, return, void version 2; shift close version 3) ---------------------------------------------


def test_the_newer_versions_carry_full_names() -> None:
    assert contract.KIND_VERSIONS["sale"] >= 2 and contract.KIND_VERSIONS["shift_close"] >= 3
    assert contract.KIND_VERSIONS["return"] >= 2 and contract.KIND_VERSIONS["void"] >= 2
    # An older showroom's records (no names) are still accepted, with empty names.
    old = contract.check_payload(
        "void",
        {"sale_uuid": str(uuid4()), "receipt_number": "X-1", "voided_at": at(1, 9).isoformat(), "voided_by": "quanly"},
    )
    assert old.voided_by_name == ""  # type: ignore[attr-defined]


def test_office_pages_show_full_names(office: FlaskClient, central_engine: Any) -> None:
    maker = producer(str(uuid4()), "HTX Gạo Tám", "Nam Định")
    rice = product(str(uuid4()), maker, "GAO5", "Gạo tám thơm 5kg", 150_000, 4, "thuc_pham")
    shift = str(uuid4())
    first = dict(sale("SR03-2026-000001", at(10, 9), shift, [line(1, rice, 1)], [paid("cash", 150_000, 200_000)]))
    first.update(cashier="thungan7", cashier_name="Đỗ Thị Mai")
    second = dict(sale("SR03-2026-000002", at(10, 10), shift, [line(1, rice, 2)], [paid("card", 300_000)]))
    second.update(cashier="thungan7", cashier_name="Đỗ Thị Mai Anh")  # renamed since: the newer name wins
    void = {
        "sale_uuid": second["uuid"],
        "receipt_number": second["receipt_number"],
        "voided_at": at(10, 10, 5).isoformat(),
        "voided_by": "quanly3",
        "voided_by_name": "Vũ Văn Quang",
        "reason": "Nhập nhầm",
    }
    done = close(
        shift,
        at(10, 8),
        at(10, 20),
        [first["uuid"], second["uuid"]],
        sales_count=1,
        sales_total_vnd=150_000,
        voids_count=1,
        payments_by_method={"cash": 150_000},
    )
    done["cashier"], done["cashier_name"] = "thungan7", "Đỗ Thị Mai Anh"
    push(
        central_engine,
        "SR03",
        [Record("producer", maker["uuid"], maker, at(1, 8)), Record("product", rice["uuid"], rice, at(1, 8))]
        + [
            Record("sale", first["uuid"], first, at(10, 9)),
            Record("sale", second["uuid"], second, at(10, 10)),
            Record("void", second["uuid"], void, at(10, 10, 5)),
            Record("shift_close", shift, done, at(10, 20)),
        ],
    )
    with central_engine.connect() as conn:
        names = dict(conn.execute(text("SELECT username, full_name FROM staff_name")).all())
    assert names == {"thungan7": "Đỗ Thị Mai Anh", "quanly3": "Vũ Văn Quang"}

    sales = by(csv_rows(office, "/office/sales.csv", **MARCH), "Số hóa đơn")
    assert sales["SR03-2026-000001"]["Thu ngân"] == "Đỗ Thị Mai Anh"
    assert sales["SR01-2026-000001"]["Thu ngân"] == "thungan1"  # an older showroom's record: the username
    shifts = [(r["Mã"], r["Thu ngân"]) for r in csv_rows(office, "/office/shifts.csv", **MARCH)]
    assert ("SR03", "Đỗ Thị Mai Anh") in shifts and ("SR01", "thungan1") in shifts
    receipt = office.get(f"/office/sales/{second['uuid']}").get_data(as_text=True)
    assert "Đỗ Thị Mai Anh" in receipt and "người hủy: Vũ Văn Quang" in receipt and "thungan7" not in receipt
    page = office.get("/showrooms/SR03").get_data(as_text=True)
    assert "Đỗ Thị Mai Anh" in page
