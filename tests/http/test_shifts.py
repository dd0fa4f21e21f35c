"""Shift, return and void pages over HTTP: permissions, the blind count, sign-off, PDFs read back."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import select

from pos.audit.models import AuditEntry
from pos.catalog.models import Product
from pos.sales.models import Sale, SaleLine, SaleReturn, Shift
from tests.unit.test_shifts import counts_of, pdf_text, ring_sale, squash


@pytest.fixture
def products(make_product: Callable[..., Product]) -> dict[str, Product]:
    return {
        "honey": make_product(name="Mật ong bạc hà Mèo Vạc", price_vnd=185_000, unit="chai"),
        "cake": make_product(name="Bánh cốm làng Vòng", price_vnd=40_000, unit="hộp"),
    }


@pytest.fixture
def manager(make_user: Callable[..., Any]) -> Any:
    """A manager who comes to the till to type their credentials (password quanly-pass)."""
    return make_user("quanly", "manager", "Trần Văn Quản Lý")


def open_my_shift(auth: Any, amount: str = "1.000.000") -> Shift:
    response = auth.post("/shifts/open", {"opening_float": amount})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def my_shift(uow: Callable[[], Any], username: str = "cashier") -> Shift:
    from pos.auth.models import User

    with uow() as s:
        user = s.exec(select(User).where(User.username == username)).one()
        return s.exec(select(Shift).where(Shift.cashier_id == user.id).order_by(Shift.id.desc())).first()  # type: ignore[union-attr]


def logout(client: Any, auth: Any) -> None:
    """Log out from a page that carries a form (a cashier's home page is a redirect to the till)."""
    client.post("/logout", data={"csrf_token": auth.csrf("/shifts/returns/new")})


def notes(**counts: int) -> dict[str, str]:
    """{'n500': 2} -> {'note_500000': '2'}."""
    return {f"note_{int(k[1:]) * 1000}": str(v) for k, v in counts.items()}


def test_anonymous_goes_to_login(client) -> None:
    for path in ["/shifts/current", "/shifts/open", "/shifts/returns/new", "/shifts/void-last", "/shifts/close"]:
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path


def test_cashier_opens_a_shift_and_records_cash(client, auth, uow) -> None:
    auth.login("cashier")
    response = client.get("/shifts/current")
    assert response.status_code == 302 and response.headers["Location"].endswith("/shifts/open")
    page = client.get("/shifts/open").get_data(as_text=True)
    assert "Tiền đầu ca" in page and "autofocus" in page
    for bad, message in [
        ("abc", "số tiền không hợp lệ"),
        ("-5", "số tiền không hợp lệ"),
        ("60.000.000", "50.000.000 ₫"),
    ]:
        response = auth.post("/shifts/open", {"opening_float": bad})
        assert response.status_code == 422 and message in response.get_data(as_text=True), bad
    with uow() as s:
        assert counts_of(s, Shift) == 0
    open_my_shift(auth)
    # A second open goes to the shift already open.
    assert client.get("/shifts/open").status_code == 302
    response = auth.post(
        "/shifts/current/cash", {"kind": "in", "amount": "500.000", "reason": "Đổi tiền lẻ"}, "/shifts/current"
    )
    assert response.status_code == 302
    response = auth.post("/shifts/current/cash", {"kind": "out", "amount": "200000", "reason": ""}, "/shifts/current")
    assert response.status_code == 422 and "lý do" in response.get_data(as_text=True)
    response = auth.post("/shifts/current/cash", {"kind": "out", "amount": "x", "reason": "Mua"}, "/shifts/current")
    assert response.status_code == 422 and "Rút tiền khỏi két: số tiền không hợp lệ" in response.get_data(as_text=True)
    html = client.get("/shifts/current").get_data(as_text=True)
    assert "Đổi tiền lẻ" in html and "500.000 ₫" in html
    assert 'data-figure="expected"' not in html  # the cashier does not see the book figure before counting
    assert "1.500.000" not in html


def test_cashier_sees_counts_and_non_cash_totals_only_until_the_count(client, auth, uow, products) -> None:
    auth.login("cashier")
    open_my_shift(auth, "1.310.000")
    shift = my_shift(uow)
    with uow() as s:
        ring_sale(s, s.get(Shift, shift.id), [(products["honey"], 2)], [("cash", 370_000, 400_000)])
        ring_sale(s, s.get(Shift, shift.id), [(products["cake"], 1)], [("card", 40_000, None)])
    # Opening float, cash taken, tendered, change, the sales total and the book cash: none on the cashier's page.
    cash_figures = ["1.310.000", "370.000", "400.000", "30.000", "410.000", "1.680.000"]
    for path in ("/shifts/current", f"/shifts/{shift.id}"):
        html = client.get(path).get_data(as_text=True)
        assert "40.000 ₫" in html and 'id="blind-note"' in html, path  # the card total stays
        assert not [figure for figure in cash_figures if figure in html], path
    text = pdf_text(client.get(f"/shifts/{shift.id}/x.pdf").data)
    assert squash("Thẻ40.000 ₫") in text and squash("Số lần nộp tiền vào két0") in text
    assert not [figure for figure in cash_figures if figure in text]
    logout(client, auth)

    auth.login("manager")
    html = client.get(f"/shifts/{shift.id}").get_data(as_text=True)
    assert "1.680.000 ₫" in html and "410.000 ₫" in html and 'id="blind-note"' not in html
    assert squash("Tiền theo sổ1.680.000 ₫") in pdf_text(client.get(f"/shifts/{shift.id}/x.pdf").data)


def test_blind_close_within_threshold_then_z_pdf(client, auth, uow, products) -> None:
    auth.login("cashier")
    open_my_shift(auth)
    shift = my_shift(uow)
    with uow() as s:
        ring_sale(s, s.get(Shift, shift.id), [(products["honey"], 2)], [("cash", 370_000, 400_000)])
    page = client.get("/shifts/close").get_data(as_text=True)
    assert all(f'name="note_{n}"' in page for n in (500000, 200000, 100000, 50000, 20000, 10000, 5000, 2000, 1000))
    assert "1.370.000" not in page and "Tiền theo sổ" not in page  # blind: no expected figure before counting

    response = auth.post("/shifts/close", notes(n500=2, n200=1, n100=1, n50=1, n10=1), "/shifts/close")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/shifts/{shift.id}")
    detail = client.get(f"/shifts/{shift.id}").get_data(as_text=True)
    assert "Chênh lệch" in detail and "-10.000 ₫" in detail and "1.370.000 ₫" in detail
    pdf = client.get(f"/shifts/{shift.id}/z.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = pdf_text(pdf.data)
    for phrase in [
        "BÁO CÁO ĐÓNG CA (Z)",
        "Tiền theo sổ1.370.000 ₫",
        "Tiền đếm thực tế1.360.000 ₫",
        "Chênh lệch-10.000 ₫",
    ]:
        assert squash(phrase) in text, phrase
    a4 = client.get(f"/shifts/{shift.id}/z.pdf?paper=a4")
    assert a4.status_code == 200 and pdf_text(a4.data) == text
    assert client.get(f"/shifts/{shift.id}/z.pdf?paper=letter").status_code == 422
    # Closed: the till's shift is gone, and a new one can be opened.
    assert client.get("/shifts/current").status_code == 302


@pytest.mark.parametrize(
    "form, message",
    [
        ({"note_500000": "abc"}, "Nhập số tờ là số nguyên"),
        ({"note_1000": "-1"}, "Nhập số tờ là số nguyên"),
        ({"note_1000": "100001"}, "từ 0 đến 100.000"),
        ({"note_20000": "1,5"}, "Nhập số tờ là số nguyên"),
    ],
)
def test_bad_counts_give_422_and_keep_the_shift_open(client, auth, uow, form, message) -> None:
    auth.login("cashier")
    open_my_shift(auth)
    response = auth.post("/shifts/close", form, "/shifts/close")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert my_shift(uow).status == "open"


def test_large_difference_needs_a_manager_signoff(client, auth, uow, manager) -> None:
    auth.login("cashier")
    open_my_shift(auth)
    shift = my_shift(uow)
    counted = notes(n500=1, n200=2)  # 900.000 against 1.000.000
    response = auth.post("/shifts/close", counted, "/shifts/close")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "-100.000 ₫" in html and "quản lý" in html
    assert my_shift(uow).status == "open"
    with uow() as s:
        assert s.exec(select(AuditEntry).where(AuditEntry.action == "shift.count")).one()

    for creds, message in [
        ({"manager_username": "cashier", "manager_password": "cashier-pass"}, "không phải quản lý"),
        ({"manager_username": "quanly", "manager_password": "sai"}, "Sai tên đăng nhập hoặc mật khẩu"),
    ]:
        response = auth.post("/shifts/close", counted | creds, "/shifts/close")
        assert response.status_code == 403 and message in response.get_data(as_text=True)
        assert my_shift(uow).status == "open"

    response = auth.post(
        "/shifts/close", counted | {"manager_username": "quanly", "manager_password": "quanly-pass"}, "/shifts/close"
    )
    assert response.status_code == 302
    closed = my_shift(uow)
    assert closed.status == "closed" and closed.signed_off_by_id == manager.id
    assert squash("Trần Văn Quản Lý") in pdf_text(client.get(f"/shifts/{shift.id}/z.pdf").data)


def test_who_sees_which_shift(client, auth, uow, make_user) -> None:
    auth.login("cashier")
    open_my_shift(auth)
    mine = my_shift(uow)
    assert client.get("/shifts/").status_code == 302  # the list is the manager's
    x_pdf = client.get(f"/shifts/{mine.id}/x.pdf")
    assert x_pdf.status_code == 200 and "BÁOCÁOGIỮACA(X)" in pdf_text(x_pdf.data)
    assert "Tiềntheosổ" not in pdf_text(x_pdf.data)
    logout(client, auth)

    auth.login("cashier", "thungan2")
    assert client.get(f"/shifts/{mine.id}").status_code == 403
    assert client.get(f"/shifts/{mine.id}/x.pdf").status_code == 403
    assert client.get(f"/shifts/{mine.id}/close").status_code == 403
    logout(client, auth)

    auth.login("manager")
    listing = client.get("/shifts/")
    assert listing.status_code == 200 and "Cashier" in listing.get_data(as_text=True)
    assert "Tiềntheosổ1.000.000₫" in pdf_text(client.get(f"/shifts/{mine.id}/x.pdf").data)
    # A manager can close a shift a cashier left open.
    response = auth.post(f"/shifts/{mine.id}/close", notes(n500=2), f"/shifts/{mine.id}/close")
    assert response.status_code == 302
    assert my_shift(uow).status == "closed"
    assert client.get(f"/shifts/{mine.id}/z.pdf").status_code == 200


def test_return_by_receipt_number_with_confirm_and_refund_pdf(client, auth, uow, products) -> None:
    auth.login("cashier")
    open_my_shift(auth)
    shift = my_shift(uow)
    with uow() as s:
        sale = ring_sale(s, s.get(Shift, shift.id), [(products["honey"], 2), (products["cake"], 3)])
        line_ids = [
            line.id for line in s.exec(select(SaleLine).where(SaleLine.sale_id == sale.id).order_by(SaleLine.line_no))
        ]

    missing = client.get("/shifts/returns/new?receipt=SR01-2026-999999")
    assert missing.status_code == 404 and "Không tìm thấy hóa đơn số SR01-2026-999999" in missing.get_data(as_text=True)
    found = client.get(f"/shifts/returns/new?receipt={sale.receipt_number.lower()}")
    html = found.get_data(as_text=True)
    assert found.status_code == 200 and "Mật ong bạc hà Mèo Vạc" in html and f'name="qty_{line_ids[0]}"' in html

    path = f"/shifts/returns/new?receipt={sale.receipt_number}"
    base = {"receipt_number": sale.receipt_number, "refund_method": "cash", "reason": "Hộp bị móp"}
    too_many = auth.post("/shifts/returns/new", base | {f"qty_{line_ids[1]}": "4"}, path)
    assert too_many.status_code == 422 and "tối đa 3 hộp" in too_many.get_data(as_text=True)
    not_number = auth.post("/shifts/returns/new", base | {f"qty_{line_ids[1]}": "hai"}, path)
    assert not_number.status_code == 422 and "số nguyên" in not_number.get_data(as_text=True)
    foreign = auth.post("/shifts/returns/new", base | {"qty_999999": "1"}, path)
    assert foreign.status_code == 422 and "không có trong hóa đơn" in foreign.get_data(as_text=True)

    review = auth.post("/shifts/returns/new", base | {f"qty_{line_ids[1]}": "1"}, path)
    page = review.get_data(as_text=True)
    assert review.status_code == 200 and "Xác nhận hoàn 40.000 ₫" in page
    with uow() as s:
        assert counts_of(s, SaleReturn) == 0  # the review writes nothing
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    form = base | {f"qty_{line_ids[1]}": "1", "idempotency_key": key}
    done = auth.post("/shifts/returns", form, path)
    assert done.status_code == 302
    again = auth.post("/shifts/returns", form, path)  # a double click
    assert again.headers["Location"] == done.headers["Location"]
    with uow() as s:
        made = s.exec(select(SaleReturn)).one()
    assert done.headers["Location"].endswith(f"/shifts/returns/{made.return_number}")
    assert made.total_vnd == 40_000 and made.refund_method == "cash"
    assert client.get(done.headers["Location"]).status_code == 200
    pdf = client.get(f"/shifts/returns/{made.return_number}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = pdf_text(pdf.data)
    for phrase in [
        "PHIẾU HOÀN TIỀN",
        f"Trả hàng cho hóa đơn số {sale.receipt_number}",
        "Bánh cốm làng Vòng",
        "Hoàn tiền40.000 ₫",
        "Tiền mặt40.000 ₫",
    ]:
        assert squash(phrase) in text, phrase
    assert client.get("/shifts/returns/SR01-2026-R999999.pdf").status_code == 404


def test_return_needs_an_open_shift(client, auth, uow, products) -> None:
    auth.login("cashier")
    open_my_shift(auth)
    shift = my_shift(uow)
    with uow() as s:
        sale = ring_sale(s, s.get(Shift, shift.id), [(products["cake"], 1)])
        line_id = s.exec(select(SaleLine.id).where(SaleLine.sale_id == sale.id)).one()
    auth.post("/shifts/close", notes(n500=2, n20=2), "/shifts/close")
    assert "mở ca làm việc" in client.get("/shifts/returns/new").get_data(as_text=True)
    response = auth.post(
        "/shifts/returns",
        {
            "receipt_number": sale.receipt_number,
            f"qty_{line_id}": "1",
            "reason": "Đổi ý",
            "idempotency_key": "abc12345",
        },
        "/shifts/returns/new",
    )
    assert response.status_code == 409 and "Cần mở ca" in response.get_data(as_text=True)


def test_void_needs_manager_credentials(client, auth, uow, products, manager) -> None:
    auth.login("cashier")
    open_my_shift(auth)
    shift = my_shift(uow)
    with uow() as s:
        ring_sale(s, s.get(Shift, shift.id), [(products["cake"], 1)])
        last = ring_sale(s, s.get(Shift, shift.id), [(products["honey"], 1)])
    page = client.get("/shifts/void-last").get_data(as_text=True)
    assert last.receipt_number in page and "Mật ong bạc hà Mèo Vạc" in page
    form = {"receipt_number": last.receipt_number, "reason": "Quét nhầm"}
    for creds, status, message in [
        ({"manager_username": "cashier", "manager_password": "cashier-pass"}, 403, "không phải quản lý"),
        ({"manager_username": "quanly", "manager_password": "x"}, 403, "Sai tên đăng nhập"),
        ({"manager_username": "", "manager_password": ""}, 422, "tên đăng nhập và mật khẩu của quản lý"),
    ]:
        response = auth.post("/shifts/void-last", form | creds)
        assert response.status_code == status and message in response.get_data(as_text=True)
    stale = auth.post(
        "/shifts/void-last",
        {
            "receipt_number": "SR01-2026-000001",
            "reason": "Quét nhầm",
            "manager_username": "quanly",
            "manager_password": "quanly-pass",
        },
    )
    assert stale.status_code == 422 and "vừa thay đổi" in stale.get_data(as_text=True)
    with uow() as s:
        assert s.get(Sale, last.id).status == "completed"  # type: ignore[union-attr]
    response = auth.post("/shifts/void-last", form | {"manager_username": "quanly", "manager_password": "quanly-pass"})
    assert response.status_code == 302
    with uow() as s:
        voided = s.get(Sale, last.id)
        assert voided.status == "voided" and voided.voided_by_id == manager.id  # type: ignore[union-attr]
        entry = s.exec(select(AuditEntry).where(AuditEntry.action == "sale.void")).one()
        assert json.loads(entry.after)["requested_by"] == "cashier"
    assert "đã được hủy" in client.get("/shifts/void-last").get_data(as_text=True)


def test_forged_post_without_csrf_is_refused(client, auth, uow) -> None:
    auth.login("cashier")
    response = client.post("/shifts/open", data={"opening_float": "100000"})
    assert response.status_code == 400
    with uow() as s:
        assert counts_of(s, Shift) == 0
