"""The invoice queue through a misbehaving provider: the Viettel SInvoice client against the local server that
follows its documented requests and answers (pos/einvoice/fake_sinvoice.py), over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlmodel import select

from pos.db import session_scope, utcnow
from pos.einvoice.fake_sinvoice import FakeServer, FakeSInvoice
from pos.einvoice.models import Invoice
from pos.einvoice.sender import drain, drain_once
from pos.einvoice.settings import Credentials, read_settings
from pos.einvoice.viettel import SInvoiceClient
from pos.sales.pricing import PaymentInput
from tests.unit.test_einvoice import CONFIG, sell
from tests.unit.test_einvoice import shop as shop  # noqa: F401  (the fixture)

SETTINGS = read_settings({**CONFIG, "EINVOICE_TEMPLATE_CODE": "1/001"})


@pytest.fixture
def fake() -> Iterator[FakeServer]:
    server = FakeServer(FakeSInvoice(token_life_s=300))
    server.fake.delay_s = 1.5
    yield server
    server.close()


@pytest.fixture
def client(fake: FakeServer) -> Iterator[SInvoiceClient]:
    c = SInvoiceClient(fake.url, "0101243150", Credentials("demo", "demo-pass"), timeout_s=0.5)
    yield c
    c.close()


def script(fake: FakeServer, *faults: str) -> None:
    httpx.post(f"{fake.url}/_fake/script", json={"faults": list(faults)}).raise_for_status()


def states(engine: Any) -> list[tuple[int, str, str]]:
    with session_scope(engine, write=False) as s:
        return [(i.number, i.state, i.reason) for i in s.exec(select(Invoice).order_by(Invoice.id)).all()]


def later() -> Any:
    """A clock two hours on: every back-off has passed."""
    return utcnow() + timedelta(hours=2)


def test_the_queue_survives_timeouts_duplicates_rejections_and_expired_logins(
    uow: Any, engine: Any, shop: dict[str, Any], fake: FakeServer, client: SInvoiceClient
) -> None:
    for _ in range(6):
        sell(uow, shop, [PaymentInput("cash", 10**6)])
    # 1: times out after the provider kept it; 2: HTML page; 3: garbage; 4: rejected; 5: token expired; 6: fine
    script(fake, "timeout", "html", "garbage", "reject", "expire")
    first = drain_once(engine, client, SETTINGS)
    assert (first.accepted, first.rejected, first.unanswered) == (2, 1, 3)
    got = states(engine)
    assert [state for _n, state, _r in got] == ["sent", "sent", "sent", "rejected", "accepted", "accepted"]
    assert "hết thời gian" in got[0][2] and "HTML" in got[1][2] and "không đọc được" in got[2][2]
    assert "Mã số thuế người mua" in got[3][2]
    assert drain_once(engine, client, SETTINGS).handled == 0  # backing off: nothing due yet

    result = drain(engine, client, SETTINGS, now=later)  # the provider is back
    assert result.accepted == 3
    held = httpx.get(f"{fake.url}/_fake/invoices").json()
    assert len(held["invoices"]) == 5  # the one that timed out was looked up, never sent twice
    assert len({i["transactionUuid"] for i in held["invoices"]}) == 5
    assert [s for _n, s, _r in states(engine)] == ["accepted"] * 3 + ["rejected"] + ["accepted"] * 2
    with session_scope(engine, write=False) as s:
        accepted = s.exec(select(Invoice).where(Invoice.state == "accepted")).all()
        assert all(i.provider_number and i.lookup_code for i in accepted)


def test_a_provider_answering_twice_makes_one_invoice(
    uow: Any, engine: Any, shop: dict[str, Any], fake: FakeServer, client: SInvoiceClient
) -> None:
    sell(uow, shop, [PaymentInput("cash", 10**6)])
    with session_scope(engine, write=False) as s:
        invoice = s.exec(select(Invoice)).one()
    from pos.einvoice.provider import Outgoing

    outgoing = Outgoing(str(invoice.uuid), invoice.xml.encode(), "1/001", "original")
    one, two = client.send(outgoing), client.send(outgoing)  # the second meets "duplicate" and is looked up
    assert one == two
    assert len(httpx.get(f"{fake.url}/_fake/invoices").json()["invoices"]) == 1


def test_a_wrong_password_and_an_unreachable_provider_keep_the_invoices(
    uow: Any, engine: Any, shop: dict[str, Any], fake: FakeServer
) -> None:
    sell(uow, shop, [PaymentInput("cash", 10**6)])
    wrong = SInvoiceClient(fake.url, "0101243150", Credentials("demo", "nope"), timeout_s=0.5)
    assert drain_once(engine, wrong, SETTINGS).rejected == 1
    assert "Sai tên đăng nhập" in states(engine)[0][2]
    nowhere = SInvoiceClient("http://127.0.0.1:9", "0101243150", Credentials("demo", "demo-pass"), timeout_s=0.5)
    with session_scope(engine) as s:
        s.exec(select(Invoice)).one().state = "waiting"
    assert drain_once(engine, nowhere, SETTINGS).unanswered == 1
    assert states(engine)[0][1] == "sent"
    wrong.close()
    nowhere.close()
