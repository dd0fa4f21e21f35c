"""Showrooms of a test network: each its own real SQLite file, syncing with the real client to a real central app."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
from flask import Flask
from sqlmodel import select

from pos.catalog.models import Producer, Product
from pos.central import credentials
from pos.db import ENGINE_KEY, session_scope
from pos.inventory.intake import IntakeLineInput, receive_stock
from pos.inventory.ledger import ledger_mismatches, lot_mismatches, on_hand
from pos.inventory.models import Transfer
from pos.reports.period import local_today, shop_timezone
from pos.sync.client import SyncResult, SyncSettings, run_sync
from pos.text import fold

TODAY = local_today(shop_timezone())  # the showrooms' and the office's day (Vietnam)


class Offline(httpx.BaseTransport):
    """No network at all."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("network unreachable", request=request)


class Showroom:
    """A showroom registered with the central app: its engine, its sync settings, a few builders."""

    def __init__(self, code: str, engine: Any, central: Flask) -> None:
        self.code, self.engine, self.central = code, engine, central
        self.notes = 0
        with session_scope(central.extensions[ENGINE_KEY]) as s:
            issued = credentials.register_showroom(s, code, f"Cửa hàng {code}", "Hà Nội")
        self.settings = SyncSettings(
            central_url="http://central.test", showroom_code=code, secret=issued.secret, retry_base_s=0
        )

    def sync(self, online: bool = True) -> SyncResult:
        """One sync run, through the central app (or with no network at all)."""
        transport = httpx.WSGITransport(app=self.central) if online else Offline()
        return run_sync(self.engine, self.settings, transport=transport, sleep=lambda _s: None)

    def product(self, name: str, producer: str, **fields: Any) -> Product:
        """A product of a producer of its own."""
        with session_scope(self.engine) as s:
            maker = Producer(name=producer, name_search=fold(producer), province="Hà Nội", commission_bp=1500)
            s.add(maker)
            s.flush()
            product = Product(producer_id=maker.id, name=name, name_search=fold(name), price_vnd=100_000, **fields)
            s.add(product)
        return product

    def receive(self, product: Product, qty: int, on: date = TODAY, **lot: Any) -> None:
        """An intake of one line (its own delivery note)."""
        with session_scope(self.engine) as s:
            self.notes += 1
            line = IntakeLineInput(product.id, qty, **lot)
            receive_stock(s, product.producer_id, on, f"GH-{self.notes}", [line], None, today=TODAY)

    def on_hand(self, product_uuid: Any) -> int:
        """On hand here of the product with this UUID (0 when this showroom does not carry it)."""
        with session_scope(self.engine, write=False) as s:
            product = s.exec(select(Product).where(Product.uuid == product_uuid)).first()
            return on_hand(s, product.id) if product else 0

    def transfer(self, number: str) -> Transfer:
        """This showroom's copy of a transfer note."""
        with session_scope(self.engine, write=False) as s:
            return s.exec(select(Transfer).where(Transfer.number == number)).one()

    def ledger_ok(self) -> None:
        """On hand and lots agree with the ledger."""
        with session_scope(self.engine, write=False) as s:
            assert ledger_mismatches(s) == [] and lot_mismatches(s) == []
