"""Weighed goods in a stocktake over HTTP: a weighing scale's label (both configured layouts, read by the till's
own reader) adds its grams to the product's count, a typed figure is a weight, a bare scan is refused with what
to do, a bad check digit is refused; approval moves the ledger in grams and the page shows kg."""

from __future__ import annotations

import pytest
from sqlmodel import select

from pos.barcodes import make_scale_label
from pos.inventory.ledger import ledger_mismatches, on_hand
from pos.inventory.models import Stocktake, StocktakeCount
from tests.http.test_weight_http import PRICE_LABEL, WEIGHT_LABEL, goods  # noqa: F401  (fixture)


@pytest.fixture
def counting(auth, make_user, uow, goods):  # noqa: F811
    """The manager opens a stocktake; returns a function that posts one count entry."""
    auth.login("manager", "quanly")
    assert auth.post("/stocktake/", {"note": "Hàng cân"}, token_from="/stocktake/").status_code == 302
    with uow() as s:
        (session,) = s.exec(select(Stocktake)).all()
        st_id = session.id
    token = auth.csrf("/stocktake/count")

    def count(code: str, qty: str = "", json: bool = False):
        headers = {"Accept": "application/json"} if json else {}
        data = {"code": code, "qty": qty, "lot_id": "", "csrf_token": token}
        return auth.client.post(f"/stocktake/{st_id}/count", data=data, headers=headers)

    count.st_id = st_id  # type: ignore[attr-defined]
    count.token = token  # type: ignore[attr-defined]
    return count


def test_scale_labels_add_their_grams_to_the_count(auth, uow, goods, counting) -> None:  # noqa: F811
    tea = goods["tea"]  # 5 kg on the book, PLU 42, 120.000 ₫/kg
    weight_label = make_scale_label(WEIGHT_LABEL, "21", 42, 1_250)  # 1,250 kg
    price_label = make_scale_label(PRICE_LABEL, "22", 42, 300_000)  # 300.000 ₫ of tea at 120.000 ₫/kg: 2,500 kg
    first = counting(weight_label, json=True)
    assert first.status_code == 200, first.get_json()
    assert first.get_json()["total"] == 1_250
    assert "+1,250 kg" in first.get_json()["message"] and "tổng 1,250 kg" in first.get_json()["message"]
    # A scale label's grams win over any quantity typed with it; the price label's weight is worked back.
    assert counting(price_label, "7", json=True).get_json()["total"] == 3_750
    # Typed by the product's own code: a weight, in grams or kg, as at the till.
    assert counting(tea.barcode, "0,75", json=True).get_json()["total"] == 4_500
    assert counting(tea.barcode, "300", json=True).get_json()["total"] == 4_800
    # A bare scan of a weighed product's own code would have counted one gram: refused, saying what to do.
    bare = counting(tea.barcode, json=True)
    assert bare.status_code == 422 and "bán theo cân" in bare.get_json()["error"]
    # A wrong check digit is refused, as at the till; an unknown PLU names itself.
    bad = weight_label[:-1] + str((int(weight_label[-1]) + 1) % 10)
    assert counting(bad, json=True).status_code == 422
    unknown = counting(make_scale_label(WEIGHT_LABEL, "21", 999, 350), json=True)
    assert unknown.status_code == 404 and "999" in unknown.get_json()["error"]
    with uow() as s:
        entries = s.exec(select(StocktakeCount).where(StocktakeCount.product_id == tea.id)).all()
        assert [e.qty_delta for e in entries] == [1_250, 2_500, 750, 300]

    # The page shows the count and the difference in kg; a correction is typed as a weight too.
    page = auth.client.get("/stocktake/count").get_data(as_text=True)
    assert "4,800 kg" in page
    fixed = auth.client.post(
        f"/stocktake/{counting.st_id}/correct",
        data={"product_id": tea.id, "counted_qty": "4,9 kg", "csrf_token": counting.token},
    )
    assert fixed.status_code == 302
    review = auth.client.get(f"/stocktake/{counting.st_id}").get_data(as_text=True)
    assert "4,900 kg" in review and "-0,100 kg" in review
    approve = auth.post(f"/stocktake/{counting.st_id}/approve", {}, token_from=f"/stocktake/{counting.st_id}")
    assert approve.status_code == 302, approve.get_data(as_text=True)[:500]
    with uow() as s:
        assert on_hand(s, tea.id) == 4_900  # grams
        assert ledger_mismatches(s) == []
