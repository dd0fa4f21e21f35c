"""Every central-office page at 1024×768, 1366×768 and 1920×1080 on hand-made networks (PostgreSQL): each answers
200 and none scrolls sideways. The menus, the report tabs and the buttons are followed, and from each list the
first record of each kind (a receipt, a customer, a showroom, a transfer...).

Two networks, as the office tests build them: March's sales of three showrooms (tests/http/test_office.py, with
a company buying at two of them), and two real showrooms' stock pushed through the real sync client
(tests/http/test_office_network.py). Set POS_SCREENSHOTS to a folder to keep a screenshot of each page at each size.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from flask import Flask
from sqlmodel import select

from pos.catalog.models import Product
from pos.central.users import create_central_user
from pos.db import ENGINE_KEY, session_scope
from pos.inventory.transfers import ReceivedLine, TransferLineInput, create_transfer, receive_transfer
from pos.settlement.services import close_settlement
from pos.sync.samples import Record
from tests.browser.test_pages_fit_browser import same_origin_paths
from tests.conftest import LiveServer, browser_login
from tests.http.test_office import MARCH, at, line, paid, producer, product, sale, seed
from tests.http.test_office_customers import customer, push
from tests.http.test_office_network import network  # noqa: F401  (the fixture)
from tests.showrooms import TODAY
from tests.unit.test_reports import MARCH as REPORT_MARCH
from tests.unit.test_reports import build_history, local

pytestmark = [pytest.mark.browser, pytest.mark.postgres]
SHOTS = Path(os.environ.get("POS_SCREENSHOTS", "")) if os.environ.get("POS_SCREENSHOTS") else None
SIZES = ((1024, 768), (1366, 768), (1920, 1080))
HIDDEN_COLUMNS_JS = """() => Math.max(0, ...[...document.querySelectorAll('.table-wrap')]
    .map(e => e.scrollWidth - e.clientWidth))"""
CLIPPED_TILES_JS = """() => [...document.querySelectorAll('.figures > div')]
    .filter(e => e.scrollWidth > e.clientWidth).map(e => e.innerText)"""
KIND = re.compile(r"/[^/]*\d[^/]*")


def walk(tab: Any, start: str, prefix: str, within: str = "/", seen: list[str] | None = None) -> list[str]:
    """Follow every link under ``within`` from ``start`` (each page once, ``seen`` shared between walks); the
    problems found (status, sideways scrolling, script errors)."""
    todo, problems = [start], []
    seen = [] if seen is None else seen
    kinds: set[str] = set()
    while todo:
        path = todo.pop(0)
        if path in seen or not path.startswith(within):
            continue
        seen.append(path)
        tab.problems.clear()
        response = tab.goto(path)
        if response is None or not response.headers.get("content-type", "").startswith("text/html"):
            continue
        for width, height in SIZES:
            tab.set_viewport_size({"width": width, "height": height})
            tab.wait_for_load_state("networkidle")
            overflow = tab.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            if overflow > 0:
                problems.append(f"{path}: {overflow}px sideways at {width}px")
            hidden = tab.evaluate(HIDDEN_COLUMNS_JS)
            if hidden:
                problems.append(f"{path}: a table scrolls {hidden}px inside its frame at {width}px")
            if SHOTS is not None:
                name = re.sub(r"[^A-Za-z0-9]+", "_", path).strip("_") or "home"
                tab.screenshot(path=str(SHOTS / f"{prefix}-{name[:90]}-{width}.png"), full_page=True)
        if response.status != 200 or tab.problems:
            problems.append(f"{path}: HTTP {response.status} {tab.problems}")
        links = same_origin_paths(tab, "nav a[href], main a.button[href], main nav a[href]")
        todo += [p for p in links if p not in seen and (p.startswith("/office") or "?" not in p)]
        for link in same_origin_paths(tab, "main table tbody a[href], main dl a[href]"):
            kind = KIND.sub("/N", link.split("?")[0])
            if kind not in kinds and "?" not in link:
                kinds.add(kind)
                todo.append(link)
    return problems


@pytest.fixture
def office_tab(browser: Any, central_app: Flask) -> Iterator[Any]:
    """A logged-in office tab (waitress on loopback); the test fills the central database first."""
    with session_scope(central_app.extensions[ENGINE_KEY]) as s:
        create_central_user(s, "vanphong", "Văn phòng", "manager", "matkhau123")
    server = LiveServer(central_app)
    context = browser.new_context(base_url=server.url, locale="vi-VN")
    tab = context.new_page()
    tab.problems = []
    tab.on("console", lambda m: tab.problems.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: tab.problems.append(str(e)))
    browser_login(tab, "vanphong", "matkhau123")
    yield tab
    context.close()
    server.close()


def test_the_office_s_sales_pages_fit(central_engine: Any, office_tab: Any) -> None:
    seed(central_engine)
    maker = producer(str(uuid4()), "HTX Quà Tết Bắc Ninh", "Bắc Ninh")
    basket = product(str(uuid4()), maker, "GQ01", "Giỏ quà Tết An Khang", 625_000, 4, "thuc_pham")
    company = customer("0912345678", "Chị Hoa", "Công ty TNHH Thương mại Hoa Sen Bắc Ninh", "0101234567")
    bought = sale("SR01-2026-000201", at(10, 10), str(uuid4()), [line(1, basket, 2)], [paid("transfer", 1_250_000)])
    bought["customer_uuid"] = company["uuid"]
    records = [
        Record("producer", maker["uuid"], maker, at(1, 8)),
        Record("product", basket["uuid"], basket, at(1, 8)),
        Record("customer", company["uuid"], company, at(10, 9)),
        Record("sale", bought["uuid"], bought, at(10, 10)),
    ]
    push(central_engine, "SR01", records, first_seq=5000)
    office_tab.goto("/office/")
    seen: list[str] = []
    problems = walk(office_tab, f"/office/?from={MARCH['from']}&to={MARCH['to']}", "sales", seen=seen)
    problems += walk(office_tab, f"/office/customers/{company['uuid']}", "customer", seen=seen)
    assert len(seen) > 30, seen  # the menus were walked, not just the first page
    assert not problems, problems

    # The showroom's "Thêm ▾" group has none of its pages here: no menu that opens on nothing.
    empty = office_tab.eval_on_selector_all(".navgroup", "gs => gs.filter(g => !g.querySelector('a')).length")
    assert empty == 0
    # This month nothing was sold: a sentence, not charts of zeros with a legend of "đến 0".
    office_tab.goto("/office/")
    assert "Không có số liệu cho kỳ này" in office_tab.locator("main").inner_text()
    assert office_tab.locator("figure.chart").count() == 0
    # A year of a hundred showrooms is a long figure: at 1024 px its tile widens rather than cutting it off.
    office_tab.set_viewport_size({"width": 1024, "height": 768})
    office_tab.goto(f"/office/?from={MARCH['from']}&to={MARCH['to']}")
    office_tab.locator(".figures strong").first.evaluate("e => e.textContent = '2.190.456.789.000 ₫'")
    clipped = office_tab.evaluate(CLIPPED_TILES_JS)
    assert clipped == [], clipped


def test_the_office_s_stock_pages_fit(network: dict[str, Any], office_tab: Any) -> None:  # noqa: F811
    """The network of test_office_network, with March 2025's sales settled at SR01 and a transfer from SR01 to
    SR02 received one jar short."""
    a, b = network["a"], network["b"]
    with session_scope(a.engine) as s:
        history = build_history(s)
        close_settlement(
            s, history.producers["A"].id, REPORT_MARCH, None, today=date(2025, 4, 15), showroom_code="SR01",
            now=local(2025, 4, 15, 9),
        )  # fmt: skip
    with session_scope(a.engine) as s:
        honey = s.exec(select(Product).where(Product.sku == "MO01")).one()
        note = create_transfer(s, "SR02", [TransferLineInput(honey.id, 3)], None, showroom_code="SR01", today=TODAY)
        number = note.number
    assert a.sync().ok and b.sync().ok
    with session_scope(b.engine) as s:
        incoming = b.transfer(number)
        receive_transfer(s, incoming.id, [ReceivedLine(1, 2, "damaged", "1 lọ vỡ")], None)
    assert b.sync().ok and a.sync().ok
    seen: list[str] = []
    problems = walk(office_tab, "/office/stock/levels", "stock", "/office/stock", seen)
    for view in ("product", "producer"):
        problems += walk(office_tab, f"/office/stock/levels?view={view}", "stock", "/office/stock", seen)
    assert len(seen) > 6, seen
    assert not problems, problems
