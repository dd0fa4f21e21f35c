"""Stock pages: permissions, the list, a product's history, adjustments and counts by form, expiring lots."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from pos.inventory.ledger import ledger_mismatches, on_hand, record_movement
from pos.inventory.models import Intake, IntakeLine, StockMovement
from pos.inventory.stock import local_today
from pos.sync.models import OutboxRecord


def receive(uow, product, qty: int, *, expiry=None, lot: str = "") -> int:
    """Stock in, as an intake writes it."""
    with uow() as s:
        intake = Intake(producer_id=product.producer_id, received_on=local_today("Asia/Ho_Chi_Minh"))
        s.add(intake)
        s.flush()
        line = IntakeLine(
            intake_id=intake.id, line_no=1, product_id=product.id, qty=qty, lot_code=lot, expiry_date=expiry
        )
        s.add(line)
        s.flush()
        record_movement(s, StockMovement(product_id=product.id, kind="intake", qty_delta=qty, intake_line_id=line.id))
        return intake.id


@pytest.fixture
def cake(make_product, uow):
    product = make_product(name="Bánh cốm làng Vòng", unit="hộp", price_vnd=125_000, is_food=True)
    receive(uow, product, 10)
    return product


@pytest.mark.parametrize("path", ["/stock/", "/stock/expiry", "/stock/{id}"])
def test_manager_only(client, auth, cake, path: str) -> None:
    path = path.format(id=cake.id)
    anonymous = client.get(path)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    auth.login("manager")
    assert client.get(path).status_code == 200
    auth.logout()
    auth.login("cashier")
    assert client.get(path).status_code == 403


def test_cashier_cannot_adjust(client, auth, cake, uow) -> None:
    token = auth.csrf()  # the session's token, valid after login too (a cashier's home has no form to take it from)
    auth.login("cashier")
    response = client.post(f"/stock/{cake.id}/adjust", data={"reason": "lost", "qty_delta": "1", "csrf_token": token})
    assert response.status_code == 403
    with uow() as s:
        assert on_hand(s, cake.id) == 10


def test_stock_list_finds_a_name_typed_without_diacritics(client, auth, cake, make_product) -> None:
    make_product(name="Gốm men lam Bát Tràng")
    auth.login("manager")
    html = client.get("/stock/?q=banh+com").get_data(as_text=True)
    assert "Bánh cốm làng Vòng" in html and "Gốm men lam" not in html
    assert "1.250.000 ₫" in html  # 10 × 125.000 at retail
    everything = client.get("/stock/").get_data(as_text=True)
    assert "Gốm men lam Bát Tràng" in everything


@pytest.mark.parametrize("query", ["?page=abc", "?page=-1", "?producer=x", "?page=99999999999", "?q=%25%25", "?low=1"])
def test_odd_list_parameters_never_fail(client, auth, cake, query: str) -> None:
    auth.login("manager")
    assert client.get(f"/stock/{query}").status_code == 200


def test_a_name_full_of_markup_is_shown_escaped(client, auth, make_product, uow) -> None:
    product = make_product(name="<script>alert(1)</script> Mật ong")
    receive(uow, product, 1)
    auth.login("manager")
    for path in ("/stock/", f"/stock/{product.id}"):
        html = client.get(path).get_data(as_text=True)
        assert "<script>alert(1)" not in html and "&lt;script&gt;" in html


def test_product_page_shows_history_with_kinds_in_vietnamese(client, auth, cake) -> None:
    auth.login("manager")
    html = client.get(f"/stock/{cake.id}").get_data(as_text=True)
    assert "Nhập kho" in html and "Lịch sử nhập xuất" in html
    assert "Hư hỏng" in html and "Tìm thấy" in html  # the reason select
    assert client.get("/stock/999999").status_code == 404


def test_adjustment_by_form(client, auth, cake, uow) -> None:
    auth.login("manager")
    page = f"/stock/{cake.id}"
    response = auth.post(f"{page}/adjust", {"reason": "damaged", "qty_delta": "2", "note": "Vỡ hộp"}, token_from=page)
    assert response.status_code == 302 and response.headers["Location"].endswith(page)
    html = client.get(page).get_data(as_text=True)
    assert "Đã điều chỉnh tồn kho" in html and "Tồn kho hiện là 8" in html
    assert "Điều chỉnh tồn kho" in html and "Vỡ hộp" in html and "-2" in html
    with uow() as s:
        assert on_hand(s, cake.id) == 8
        assert ledger_mismatches(s) == []
        assert s.exec(select(OutboxRecord).where(OutboxRecord.kind == "stock_adjustment")).one()


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"reason": "damaged", "qty_delta": "abc"}, "Nhập số lượng là số nguyên"),
        ({"reason": "damaged", "qty_delta": ""}, "Nhập số lượng là số nguyên"),
        ({"reason": "", "qty_delta": "2"}, "Chọn lý do điều chỉnh"),
        ({"reason": "hacked", "qty_delta": "2"}, "Chọn lý do điều chỉnh"),
        ({"reason": "damaged", "qty_delta": "+2"}, "chỉ làm giảm tồn kho"),
        ({"reason": "found", "qty_delta": "-2"}, "chỉ làm tăng tồn kho"),
        ({"reason": "count", "qty_delta": "0"}, "phải khác 0"),
        ({"reason": "lost", "qty_delta": "50"}, "tồn kho hiện chỉ còn 10"),
        ({"reason": "found", "qty_delta": "999999999"}, "quá lớn"),
        ({"reason": "lost", "qty_delta": "1", "note": "x" * 600}, "Ghi chú dài tối đa"),
    ],
)
def test_a_bad_adjustment_is_shown_beside_the_form_and_writes_nothing(client, auth, cake, uow, form, message) -> None:
    auth.login("manager")
    page = f"/stock/{cake.id}"
    response = auth.post(f"{page}/adjust", form, token_from=page)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html
    if form["qty_delta"] and len(form["qty_delta"]) < 12:
        assert f'value="{form["qty_delta"]}"' in html  # what was typed stays in the box
    with uow() as s:
        assert on_hand(s, cake.id) == 10
        assert s.exec(select(OutboxRecord)).all() == []


def test_count_by_form(client, auth, cake, uow) -> None:
    auth.login("manager")
    page = f"/stock/{cake.id}"
    response = auth.post(f"{page}/count", {"counted_qty": "7", "count_note": "Kiểm kê quý"}, token_from=page)
    assert response.status_code == 302
    assert "tồn kho từ 10 thành 7" in client.get(page).get_data(as_text=True)
    same = auth.post(f"{page}/count", {"counted_qty": "7"}, token_from=page, follow_redirects=True)
    assert "số đếm khớp với sổ" in same.get_data(as_text=True)
    bad = auth.post(f"{page}/count", {"counted_qty": "-3"}, token_from=page)
    assert bad.status_code == 422 and "số nguyên không âm" in bad.get_data(as_text=True)
    with uow() as s:
        assert on_hand(s, cake.id) == 7


def test_adjusting_an_unknown_product_is_404(client, auth) -> None:
    auth.login("manager")
    response = auth.post("/stock/999999/adjust", {"reason": "lost", "qty_delta": "1"}, token_from="/stock/")
    assert response.status_code == 404


def test_expiry_page_flags_expired_and_soon_lots(client, auth, make_product, uow) -> None:
    today = local_today("Asia/Ho_Chi_Minh")
    old = make_product(name="Giò lụa Ước Lễ", is_food=True)
    soon = make_product(name="Mật ong bạc hà", is_food=True)
    later = make_product(name="Gạo tám Hải Hậu", is_food=True)
    receive(uow, old, 3, expiry=today - timedelta(days=2), lot="GL-01")
    receive(uow, soon, 5, expiry=today + timedelta(days=12), lot="MO-07")
    receive(uow, later, 5, expiry=today + timedelta(days=300), lot="GT-01")
    auth.login("manager")
    html = client.get("/stock/expiry").get_data(as_text=True)
    assert "Đã hết hạn" in html and "flag-expired" in html and "Còn 12 ngày" in html
    assert html.index("Giò lụa Ước Lễ") < html.index("Mật ong bạc hà")
    assert "Gạo tám Hải Hậu" not in html
    wider = client.get("/stock/expiry?days=365").get_data(as_text=True)
    assert "Gạo tám Hải Hậu" in wider
    assert client.get("/stock/expiry?days=abc").status_code == 200
