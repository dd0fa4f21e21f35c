"""Stocktake sessions over HTTP: freeze, count from two tills while the till sells, correct, approve once."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlmodel import select

from pos.audit.models import AuditEntry
from pos.barcodes import instore_ean13
from pos.inventory.ledger import ledger_mismatches, lot_mismatches, on_hand, record_movement
from pos.inventory.models import Lot, StockMovement, Stocktake, StocktakeCount
from pos.sync.models import OutboxRecord
from tests.conftest import AuthActions
from tests.http.test_till import checkout, goods, till  # noqa: F401  (fixtures)


@pytest.fixture
def honey(uow, make_product):
    """Food kept in two lots: L1 (5, expiring first) and L2 (4)."""
    product = make_product(name="Mật ong bạc hà", barcode=instore_ean13(3), price_vnd=185_000, is_food=True)
    with uow() as s:
        soon = Lot(product_id=product.id, lot_code="L1", expiry_date=date.today() + timedelta(days=90))
        later = Lot(product_id=product.id, lot_code="L2", expiry_date=date.today() + timedelta(days=200))
        s.add_all([soon, later])
        s.flush()
        record_movement(s, StockMovement(product_id=product.id, kind="intake", qty_delta=5, lot_id=soon.id))
        record_movement(s, StockMovement(product_id=product.id, kind="intake", qty_delta=4, lot_id=later.id))
        return product, soon.id, later.id


def _sell(till, code: str, qty: int, key: str) -> None:  # noqa: F811
    cart = till("/till/api/scan", {"code": f"{qty}*{code}"}).get_json()
    response = checkout(till, key=key, payments=[{"method": "cash", "amount_vnd": cart["total_vnd"]}])
    assert response.status_code == 200, response.get_json()


def test_a_stocktake_counts_from_two_tills_while_the_till_sells(till, auth, app, make_user, uow, honey) -> None:  # noqa: F811
    tea, cake = till.goods["tea"], till.goods["cake"]  # 10 each
    honey_product, lot1, lot2 = honey
    client = auth.client  # the cashier, counting from the till's PC
    boss = AuthActions(app.test_client(), make_user)  # the manager, on another PC
    boss.login("manager")

    # A cashier may count but not open a session; nothing is open yet.
    assert "Chưa có phiên kiểm kê nào đang mở" in client.get("/stocktake/count").get_data(as_text=True)
    assert client.get("/stocktake/").status_code == 403

    assert boss.post("/stocktake/", {"note": "Cuối tháng"}, token_from="/stocktake/").status_code == 302
    with uow() as s:
        (session,) = s.exec(select(Stocktake)).all()
        st_id = session.id
    again = boss.post("/stocktake/", {"note": "Lần hai"}, token_from="/stocktake/")
    assert again.status_code == 302
    with uow() as s:
        assert len(s.exec(select(Stocktake)).all()) == 1  # one open session at a time

    # Two tea sold after the freeze, before the tea shelf is counted: the shelf holds 8, the book says 8.
    _sell(till, tea.barcode, 2, "11111111-1111-4111-8111-111111111111")
    token = auth.csrf("/stocktake/count")

    def count(code: str, qty: str = "", lot_id: str = "", who=client, csrf=token):
        data = {"code": code, "qty": qty, "lot_id": lot_id, "csrf_token": csrf}
        return who.post(f"/stocktake/{st_id}/count", data=data)

    for _ in range(3):
        assert count(tea.barcode).status_code == 302  # three scans
    assert count(tea.barcode, "6").status_code == 302  # six more typed: 9, one too many
    fixed = client.post(
        f"/stocktake/{st_id}/correct", data={"product_id": tea.id, "counted_qty": "8", "csrf_token": token}
    )
    assert fixed.status_code == 302
    # Cake: 4 counted at the till, 5 by the manager on another PC; then one cake is sold (already counted).
    assert count(cake.sku, "4").status_code == 302
    boss_token = boss.csrf("/stocktake/count")
    assert count(cake.barcode, "5", who=boss.client, csrf=boss_token).status_code == 302
    _sell(till, cake.barcode, 1, "22222222-2222-4222-8222-222222222222")
    # Honey: the product barcode asks which lot; L1 counted 4 (one is missing), L2 never counted.
    ask = count(honey_product.barcode, "4")
    html = ask.get_data(as_text=True)
    assert ask.status_code == 422 and "có nhiều lô: chọn lô đang đếm" in html and "lô L1 (sổ: 5)" in html
    assert count(honey_product.barcode, "4", str(lot1)).status_code == 302

    # Bad input: a clear message, nothing written.
    with uow() as s:
        entries = len(s.exec(select(StocktakeCount)).all())
    for bad_code, bad_qty in (("4006381333932", ""), ("", ""), (tea.barcode, "-3"), (tea.barcode, "abc")):
        refused = count(bad_code, bad_qty)
        assert refused.status_code in (404, 422), (bad_code, bad_qty)
        assert 'id="count-message" role="status" aria-live="assertive" class="flash flash-error"' in refused.get_data(
            as_text=True
        )
    with uow() as s:
        assert len(s.exec(select(StocktakeCount)).all()) == entries

    page = client.get("/stocktake/count").get_data(as_text=True)
    assert "Chè Shan tuyết Hà Giang" in page and "lô L1" in page
    assert "Tồn lúc chốt sổ" not in page  # the counter counts blind

    report = boss.client.get(f"/stocktake/{st_id}").get_data(as_text=True)
    assert "Dòng chênh lệch" in report and "Chưa đếm (1)" in report

    from pos.inventory.stocktake import report as build_report

    with uow() as s:
        lines = {(line.product_id, line.lot_id): line for line in build_report(s, st_id).counted}
        tea_line, cake_line = lines[(tea.id, None)], lines[(cake.id, None)]
        assert (tea_line.book_qty, tea_line.moved_qty, tea_line.counted_qty, tea_line.difference) == (10, -2, 8, 0)
        assert (cake_line.book_qty, cake_line.moved_qty, cake_line.counted_qty, cake_line.difference) == (10, 0, 9, -1)
        assert lines[(honey_product.id, lot1)].difference == -1
        assert on_hand(s, cake.id) == 9  # the sale after the count

    assert client.post(f"/stocktake/{st_id}/approve", data={"csrf_token": token}).status_code == 403
    done = boss.post(f"/stocktake/{st_id}/approve", token_from=f"/stocktake/{st_id}")
    assert done.status_code == 302
    with uow() as s:
        assert on_hand(s, tea.id) == 8  # no difference: untouched
        assert on_hand(s, cake.id) == 8  # 9 − the one missing
        assert s.get(Lot, lot1).qty == 4 and s.get(Lot, lot2).qty == 4  # L2 not counted: left as it was
        moves = s.exec(select(StockMovement).where(StockMovement.kind == "count")).all()
        assert sorted((m.product_id, m.lot_id, m.qty_delta) for m in moves) == sorted(
            [(cake.id, None, -1), (honey_product.id, lot1, -1)]
        )
        assert {m.note for m in moves} == {f"Kiểm kê phiên số {st_id}"}
        assert ledger_mismatches(s) == [] and lot_mismatches(s) == []
        sent = [json.loads(r.payload) for r in s.exec(select(OutboxRecord)) if r.kind == "stock_adjustment"]
        assert sorted(p["qty_delta"] for p in sent) == [-1, -1]
        actions = {e.action for e in s.exec(select(AuditEntry))}
        assert {"stocktake.open", "stocktake.correct", "stocktake.approve", "stock.count"} <= actions
        assert s.get(Stocktake, st_id).status == "approved"

    # Approving twice, or counting into a closed session, is refused and moves nothing.
    twice = boss.post(f"/stocktake/{st_id}/approve", token_from=f"/stocktake/{st_id}")
    assert twice.status_code == 302
    late = count(tea.barcode)
    assert late.status_code == 409 and "đã đóng" in late.get_data(as_text=True)
    with uow() as s:
        assert len(s.exec(select(StockMovement).where(StockMovement.kind == "count")).all()) == 2
    after = boss.client.get(f"/stocktake/{st_id}").get_data(as_text=True)
    assert "Đã duyệt" in after and "Duyệt và điều chỉnh tồn kho" not in after


def test_a_cancelled_stocktake_leaves_the_stock_alone(auth, uow, make_product) -> None:
    tea = make_product(name="Chè Tân Cương", barcode=instore_ean13(9))
    with uow() as s:
        record_movement(s, StockMovement(product_id=tea.id, kind="intake", qty_delta=6))
    auth.login("manager")
    assert auth.post("/stocktake/", {"note": ""}, token_from="/stocktake/").status_code == 302
    with uow() as s:
        st_id = s.exec(select(Stocktake)).one().id
    assert (
        auth.post(f"/stocktake/{st_id}/count", {"code": tea.barcode, "qty": "2"}, "/stocktake/count").status_code == 302
    )
    assert auth.post(f"/stocktake/{st_id}/cancel", {"reason": "Đếm nhầm kệ"}, f"/stocktake/{st_id}").status_code == 302
    with uow() as s:
        assert on_hand(s, tea.id) == 6 and s.get(Stocktake, st_id).status == "cancelled"
    assert auth.client.get("/stocktake/99999").status_code == 404
