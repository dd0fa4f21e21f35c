"""Overselling is said at the scan, following [stock] allow_negative (not found only at payment)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.http.test_till import goods, till  # noqa: F401  (fixtures)


@pytest.fixture(params=[False, True], ids=["stock-may-not-go-negative", "stock-may-go-negative"])
def app_overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    return {"STOCK_ALLOW_NEGATIVE": request.param}


def test_the_scan_past_the_stock_is_refused_or_warned(till, app_overrides) -> None:  # noqa: F811
    cake = till.goods["cake"]  # 10 in stock
    assert till("/till/api/scan", {"code": f"9*{cake.barcode}"}).status_code == 200
    ok = till("/till/api/scan", {"code": cake.barcode})
    assert ok.status_code == 200 and "warning" not in ok.get_json()  # the tenth: still in stock

    past = till("/till/api/scan", {"code": cake.barcode})
    body = past.get_json()
    line_id = till("/till/api/cart", method="GET").get_json()["lines"][0]["id"]
    if app_overrides["STOCK_ALLOW_NEGATIVE"]:
        assert past.status_code == 200 and body["lines"][0]["qty"] == 11
        assert "kho chỉ còn 10 cái mà đơn có 11" in body["warning"] and "tồn kho sẽ bị âm" in body["warning"]
        lowered = till(f"/till/api/lines/{line_id}/qty", {"qty": 5})
        assert lowered.status_code == 200 and "warning" not in lowered.get_json()
    else:
        assert past.status_code == 409
        assert body["error"] == (
            "Không thêm được “Bánh cốm Đình Bảng”: kho chỉ còn 10 cái, đơn cần 11. "
            "Nếu trên kệ vẫn còn hàng, báo quản lý kiểm tra tồn kho."
        )
        assert till("/till/api/cart", method="GET").get_json()["lines"][0]["qty"] == 10  # the cart as it was
        # The same through the quantity box and the name search.
        assert till(f"/till/api/lines/{line_id}/qty", {"qty": 12}).status_code == 409
        assert till("/till/api/lines", {"product_id": cake.id}).status_code == 409
        assert till(f"/till/api/lines/{line_id}/qty", {"qty": 4}).status_code == 200  # going down is fine
        assert till("/till/api/cart", method="GET").get_json()["lines"][0]["qty"] == 4
