"""The manager's transfer pages on a real SQLite showroom: a note out, bad input told in Vietnamese, receiving."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import select

from pos.db import session_scope
from pos.inventory.intake import IntakeLineInput, receive_stock
from pos.inventory.ledger import on_hand
from pos.inventory.models import Transfer, TransferLine
from pos.inventory.transfers import AWAITING_PULL_MESSAGE, apply_pulled, end_awaiting_pull, mark_awaiting_pull
from pos.reports.period import local_today, shop_timezone

TODAY = local_today(shop_timezone())


def test_a_manager_sends_goods_and_is_told_what_is_wrong(auth: Any, app: Any, make_product: Any, engine: Any) -> None:
    honey = make_product(name="Mật ong bạc hà", unit="lọ")
    with session_scope(engine) as s:
        receive_stock(s, honey.producer_id, TODAY, "GH-1", [IntakeLineInput(honey.id, 9)], None, today=TODAY)
    auth.login("manager")
    page = auth.client.get("/stock/transfers/new").get_data(as_text=True)
    assert "Phiếu chuyển kho sang cửa hàng khác" in page and "Mật ong bạc hà" in page and "còn 9 lọ" in page
    for data, message, status in [
        ({"to": "", "product_id-1": str(honey.id), "qty-1": "2"}, "Nhập mã cửa hàng nhận", 422),
        ({"to": "SR02", "product_id-1": str(honey.id), "qty-1": "hai"}, "Dòng 1: số lượng phải là số nguyên", 422),
        ({"to": "SR02", "product_id-1": str(honey.id), "qty-1": "10"}, "Chỉ còn 9 lọ", 409),
        ({"to": "SR02"}, "ít nhất một sản phẩm", 422),
    ]:
        response = auth.post("/stock/transfers/new", data)
        assert response.status_code == status, response.get_data(as_text=True)[:300]
        body = response.get_data(as_text=True)
        assert message in body and "Chưa lập phiếu – chưa trừ gì khỏi kho." in body
    response = auth.post("/stock/transfers/new", {"to": "sr02", "product_id-1": str(honey.id), "qty-1": "4"})
    assert response.status_code == 302
    with session_scope(engine, write=False) as s:
        note = s.exec(select(Transfer)).one()
        assert (note.other_showroom, note.status) == ("SR02", "in_transit") and on_hand(s, honey.id) == 5
    listing = auth.client.get("/stock/transfers/").get_data(as_text=True)
    assert note.number in listing and "Đang chuyển" in listing and "đến SR02" in listing
    shown = auth.client.get(f"/stock/transfers/{note.id}").get_data(as_text=True)
    assert " · Manager</dd>" in shown  # who made it, by the full name (the note itself carries the login)
    assert auth.client.get("/stock/transfers/999").status_code == 404

    # Called back before it is received: a reason is asked for, then the goods are back.
    shown = auth.client.get(f"/stock/transfers/{note.id}").get_data(as_text=True)
    assert "Hủy phiếu, cộng hàng lại vào kho" in shown
    refused = auth.post(f"/stock/transfers/{note.id}/cancel", {"reason": ""}, token_from=f"/stock/transfers/{note.id}")
    assert refused.status_code == 422
    assert "Nhập lý do hủy phiếu" in refused.get_data(as_text=True)
    assert "Chưa hủy phiếu – kho không thay đổi." in refused.get_data(as_text=True)
    done = auth.post(f"/stock/transfers/{note.id}/cancel", {"reason": "Xe không đi"}, token_from="/stock/transfers/")
    assert done.status_code == 302
    shown = auth.client.get(f"/stock/transfers/{note.id}").get_data(as_text=True)
    assert "Đã hủy phiếu" in shown and "Xe không đi" in shown and "Hủy phiếu, cộng hàng lại" not in shown
    with session_scope(engine, write=False) as s:
        assert on_hand(s, honey.id) == 9
    again = auth.post(f"/stock/transfers/{note.id}/cancel", {"reason": "x"}, token_from=f"/stock/transfers/{note.id}")
    assert again.status_code == 409 and "đã được hủy lúc" in again.get_data(as_text=True)


def test_a_manager_receives_an_incoming_note_in_part(auth: Any, app: Any, make_product: Any, engine: Any) -> None:
    honey = make_product(name="Mật ong bạc hà")
    wire = {
        "line_no": 1, "product_uuid": str(honey.uuid), "producer_uuid": "5f0d3f4e-8f77-4f3c-9a4e-000000000001",
        "sku": "MO01", "name": "Mật ong bạc hà", "unit": "lọ", "qty": 5, "price_vnd": 250_000,
    }  # fmt: skip
    with session_scope(engine) as s:
        apply_pulled(
            s,
            [
                {
                    "uuid": "5f0d3f4e-8f77-4f3c-9a4e-0000000000aa", "number": "CK-SR02-2026-0001",
                    "from_showroom": "SR02", "to_showroom": "SR", "status": "in_transit",
                    "created_at": (TODAY - timedelta(days=1)).isoformat() + "T09:00:00+07:00", "lines": [wire],
                }
            ],
            "SR",
        )  # fmt: skip
        note_id = s.exec(select(Transfer)).one().id
    auth.login("manager")
    # Restored from a backup and not synced since: no receipt form, and a receipt posted anyway is refused.
    with session_scope(engine) as s:
        mark_awaiting_pull(s, 1_800_000_000)
    page = auth.client.get(f"/stock/transfers/{note_id}").get_data(as_text=True)
    assert AWAITING_PULL_MESSAGE in page and "Nhận hàng và cộng kho" not in page
    assert AWAITING_PULL_MESSAGE in auth.client.get("/stock/transfers/").get_data(as_text=True)
    refused = auth.post(f"/stock/transfers/{note_id}/receive", {"qty-1": "5"}, token_from="/stock/transfers/")
    assert refused.status_code == 409 and AWAITING_PULL_MESSAGE in refused.get_data(as_text=True)
    with session_scope(engine) as s:
        assert on_hand(s, honey.id) == 0 and s.get(Transfer, note_id).status == "in_transit"  # type: ignore[union-attr]
        end_awaiting_pull(s)  # what the next complete transfer pull does
    page = auth.client.get(f"/stock/transfers/{note_id}").get_data(as_text=True)
    assert "Nhận hàng và cộng kho" in page and "CK-SR02-2026-0001" in page and AWAITING_PULL_MESSAGE not in page
    assert AWAITING_PULL_MESSAGE not in auth.client.get("/stock/transfers/").get_data(as_text=True)
    bad = auth.post(f"/stock/transfers/{note_id}/receive", {"qty-1": "4"}, token_from=f"/stock/transfers/{note_id}")
    assert bad.status_code == 422 and "chọn lý do chênh lệch" in bad.get_data(as_text=True)
    bad = auth.post(f"/stock/transfers/{note_id}/receive", {"qty-1": "x"}, token_from=f"/stock/transfers/{note_id}")
    assert bad.status_code == 422 and "nhập số lượng thực nhận" in bad.get_data(as_text=True)
    ok = auth.post(
        f"/stock/transfers/{note_id}/receive",
        {"qty-1": "4", "reason-1": "damaged", "note-1": "vỡ 1 lọ"},
        token_from=f"/stock/transfers/{note_id}",
    )
    assert ok.status_code == 302
    with session_scope(engine, write=False) as s:
        line = s.exec(select(TransferLine)).one()
        assert (line.qty_received, line.reason) == (4, "damaged") and on_hand(s, honey.id) == 4
        assert s.get(Transfer, note_id).status == "differences"  # type: ignore[union-attr]
    again = auth.post(f"/stock/transfers/{note_id}/receive", {"qty-1": "4"}, token_from="/stock/transfers/")
    assert again.status_code == 409 and "đã được nhận" in again.get_data(as_text=True)
