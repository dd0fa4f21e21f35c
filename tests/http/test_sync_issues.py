"""The office's list of records held aside or flagged by the ingest (issue 11 items 2 and 3)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
from flask import Flask

from pos.central.users import create_central_user
from pos.db import session_scope
from pos.sync.samples import Record, SampleShowroom
from tests.http.test_office import login
from tests.unit.test_sync_central import AT, push, register

pytestmark = pytest.mark.postgres


def test_the_office_sees_collisions_and_held_records(central_app: Flask, central_engine: Any) -> None:
    register(central_engine, "SR01")
    register(central_engine, "SR02")
    sr01, sr02 = SampleShowroom("SR01", seed=1), SampleShowroom("SR02", seed=2)
    push(central_engine, "SR01", sr01.catalogue_records(AT))
    stolen = copy.deepcopy(sr01.producers[0]) | {"name": "Bị chiếm"}
    inflated = sr02.sale(AT, str(uuid4())) | {"total_vnd": 999_999_999}
    march = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)  # months before it reached the central server: the till's clock?
    late = sr02.sale(march, str(uuid4()))
    push(
        central_engine,
        "SR02",
        [
            Record("producer", stolen["uuid"], stolen, AT),
            Record("sale", inflated["uuid"], inflated, AT),
            Record("sale", late["uuid"], late, march),
        ],
    )
    with session_scope(central_engine) as s:
        create_central_user(s, "vanphong", "Văn phòng", "manager", "matkhau123")
    client = central_app.test_client()
    login(client, "vanphong", "matkhau123")

    page = client.get("/sync-issues").get_data(as_text=True)
    assert "Trùng mã UUID với bản ghi của cửa hàng khác (SR01)" in page
    assert "Số liệu không khớp nhau" in page and "Bị giữ lại" in page
    assert "Tổng thanh toán: cửa hàng 999.999.999 ₫" in page
    # The detail in the office's words: the instant in Vietnam's time, dd/mm/yyyy, the reason in a sentence.
    assert "Thời điểm bán: cửa hàng 10/03/2026 10:00, trung tâm" in page
    assert "Lý do: ngày bán cách quá xa lúc trung tâm nhận" in page
    assert "far_from_arrival" not in page and "created_at" not in page
    only = client.get("/sync-issues", query_string={"showroom": "SR02", "problem": "inconsistent"}).get_data(
        as_text=True
    )
    assert "Số liệu không khớp nhau" in only and "(SR01)" not in only
    home = client.get("/").get_data(as_text=True)
    assert "3 bản ghi đồng bộ bị giữ lại hoặc được đánh dấu" in home
    assert 'href="/office/stock/levels"><strong>Kho toàn mạng lưới</strong>' in home  # the network's stock, a tile
    assert "xem danh sách" in client.get("/showrooms/SR02").get_data(as_text=True)
    assert "xem danh sách" not in client.get("/showrooms/SR01").get_data(as_text=True)
