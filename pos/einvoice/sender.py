"""Draining the invoice queue to the provider without ever holding up the till.

States: ``waiting`` (not yet handed over), ``sent`` (handed over, no clear answer yet: a timeout, a dropped
connection, garbage), ``accepted`` (the provider holds it, with its number and lookup code, and passes it to
the tax authority), ``rejected`` (refused, with the reason; a manager corrects it and sends it again).

A batch is first marked ``sent`` in one short write, then each invoice goes over the network with no database
lock held, then the answers are written in one more short write. An invoice found ``sent`` is looked up by its
key (transactionUuid) before it is sent again, so a crash, a timeout or a provider answering twice never makes
two invoices. A replacement waits until the invoice it replaces is accepted. No answer: the invoice is tried
again after 30 s, 1, 2, 4… minutes, at most an hour.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, update
from sqlmodel import select

from pos.background import start_with_first_request
from pos.db import ENGINE_KEY, session_scope, utcnow
from pos.einvoice import xml as invoice_xml
from pos.einvoice.issue import enqueue_state
from pos.einvoice.models import Invoice
from pos.einvoice.provider import Accepted, Outgoing, Provider, ProviderRejected, ProviderUnavailable
from pos.einvoice.rules import rules_on
from pos.einvoice.settings import EinvoiceSettings, read_credentials, settings_or_none
from pos.errors import PosError
from pos.sales.models import Sale, SaleReturn

log = logging.getLogger(__name__)

BATCH = 50
FIRST_RETRY_S = 30
MAX_BACKOFF_S = 3600
EXTENSION_KEY = "pos.einvoice.sender"


def backoff(attempts: int) -> timedelta:
    """Wait after ``attempts`` tries without an answer: 30 s, 60 s, 120 s, … at most an hour."""
    return timedelta(seconds=min(MAX_BACKOFF_S, FIRST_RETRY_S * 2 ** max(attempts - 1, 0)))


@dataclass
class DrainResult:
    """What one pass over the queue did."""

    accepted: int = 0
    rejected: int = 0
    unanswered: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def handled(self) -> int:
        """Invoices that got an answer or a try."""
        return self.accepted + self.rejected + self.unanswered


def _due(engine: Engine, now: datetime, limit: int) -> list[Invoice]:
    with session_scope(engine, write=False) as s:
        candidates = s.exec(
            select(Invoice)
            .where(Invoice.state.in_(("waiting", "sent")), Invoice.next_attempt_at <= now)  # type: ignore[attr-defined]
            .order_by(Invoice.id)  # type: ignore[arg-type]
            .limit(limit)
        ).all()
        originals = {i.original_id for i in candidates if i.original_id}
        states: dict[int, tuple[str, Any]] = {}
        if originals:
            query = select(Invoice.id, Invoice.state, Invoice.uuid).where(Invoice.id.in_(originals))  # type: ignore[union-attr]
            states = {row[0]: (row[1], row[2]) for row in s.exec(query).all()}
        ready = []
        for invoice in candidates:
            state, original_uuid = states.get(invoice.original_id or 0, ("", ""))
            if invoice.original_id and state != "accepted":
                continue  # the replaced invoice first
            invoice.__dict__["original_uuid"] = str(original_uuid)
            ready.append(invoice)
        return ready


def drain_once(
    engine: Engine,
    provider: Provider,
    settings: EinvoiceSettings,
    now: Callable[[], datetime] = utcnow,
    limit: int = BATCH,
) -> DrainResult:
    """One batch of due invoices to the provider; what happened to them."""
    result = DrainResult()
    batch = _due(engine, now(), limit)
    if not batch:
        return result
    ids = [i.id for i in batch]
    with session_scope(engine) as s:  # handed over from here on: a crash later means "look it up first"
        s.execute(
            update(Invoice).where(Invoice.id.in_(ids), Invoice.state == "waiting").values(state="sent")  # type: ignore[union-attr]
        )
    answers: list[tuple[Invoice, str, dict[str, Any]]] = []
    for invoice in batch:
        answers.append((invoice, *_hand_over(invoice, provider, settings)))
    with session_scope(engine) as s:
        at = now()
        for invoice, state, values in answers:
            if state == "accepted":
                result.accepted += 1
                values |= {"accepted_at": at, "reason": ""}
            elif state == "rejected":
                result.rejected += 1
            else:
                result.unanswered += 1
                result.errors.append(values.get("reason", ""))
                values["next_attempt_at"] = at + backoff(invoice.attempts + 1)
            s.execute(
                update(Invoice)
                .where(Invoice.id == invoice.id, Invoice.state == "sent")  # a manager's edit meanwhile wins
                .values(
                    state=state, attempts=invoice.attempts + 1, sent_at=invoice.sent_at or at, updated_at=at, **values
                )
            )
        enqueue_states(s, ids)  # the new states travel with the sync
    return result


def enqueue_states(session: Any, ids: list[Any]) -> None:
    """The current state of these invoices into the outbox, the uuids they refer to read in three queries."""
    invoices = list(session.exec(select(Invoice).where(Invoice.id.in_(ids))).all())  # type: ignore[union-attr]
    sale_ids = {i.sale_id for i in invoices}
    sales = dict(session.exec(select(Sale.id, Sale.uuid).where(Sale.id.in_(sale_ids))).all())  # type: ignore[union-attr]
    return_ids = {i.return_id for i in invoices if i.return_id}
    returns: dict[Any, Any] = {}
    if return_ids:
        returns = dict(session.exec(select(SaleReturn.id, SaleReturn.uuid).where(SaleReturn.id.in_(return_ids))).all())  # type: ignore[union-attr]
    original_ids = {i.original_id for i in invoices if i.original_id}
    originals: dict[Any, Any] = {}
    if original_ids:
        originals = dict(session.exec(select(Invoice.id, Invoice.uuid).where(Invoice.id.in_(original_ids))).all())  # type: ignore[union-attr]
    for invoice in invoices:
        enqueue_state(
            session,
            invoice,
            str(sales.get(invoice.sale_id, "")),
            str(returns.get(invoice.return_id, "")) if invoice.return_id else "",
            str(originals.get(invoice.original_id, "")) if invoice.original_id else "",
        )


def _hand_over(invoice: Invoice, provider: Provider, settings: EinvoiceSettings) -> tuple[str, dict[str, Any]]:
    """(state, columns) after one try of one invoice."""
    key = str(invoice.uuid)
    try:
        invoice_xml.validate_bytes(invoice.xml)  # before sending, always
    except invoice_xml.InvalidInvoiceXml as exc:
        return "rejected", {"reason": f"Dữ liệu hóa đơn không đúng định dạng: {exc}"[:500]}
    try:
        found: Accepted | None = None
        if invoice.state == "sent" or invoice.attempts:
            found = provider.find(key)  # never send again what the provider may already hold
        if found is None:
            found = provider.send(
                Outgoing(
                    transaction_uuid=key,
                    xml=invoice.xml.encode("utf-8"),
                    template_code=settings.template_code,
                    kind=invoice.kind,
                    original_transaction_uuid=invoice.__dict__.get("original_uuid", ""),
                )
            )
    except ProviderRejected as exc:
        return "rejected", {"reason": exc.message[:500]}
    except ProviderUnavailable as exc:
        return "sent", {"reason": exc.message[:500]}
    return "accepted", {"provider_number": found.provider_number, "lookup_code": found.lookup_code}


def drain(
    engine: Engine, provider: Provider, settings: EinvoiceSettings, now: Callable[[], datetime] = utcnow
) -> DrainResult:
    """Batches until nothing due is left or a batch gets no answer at all (the network is down: later)."""
    total = DrainResult()
    while True:
        step = drain_once(engine, provider, settings, now)
        total.accepted += step.accepted
        total.rejected += step.rejected
        total.unanswered += step.unanswered
        total.errors += step.errors
        if step.handled == 0 or step.accepted + step.rejected == 0:
            return total


# The manager's side ---------------------------------------------------------------------------------------------


def waiting_too_long(engine_or_session: Any, now: datetime) -> int:
    """Invoices not accepted (waiting, unanswered, rejected) after longer than the rules allow (till warning)."""
    hours = rules_on(now.date()).send_within_hours
    limit = now - timedelta(hours=hours)
    query = (
        select(func.count())
        .select_from(Invoice)
        .where(
            Invoice.state != "accepted",
            Invoice.issued_at < limit,  # type: ignore[attr-defined]
        )
    )
    return int(engine_or_session.exec(query).one())


# The server's thread --------------------------------------------------------------------------------------------


def make_provider(settings: EinvoiceSettings, config: Any) -> Provider | None:
    """The configured provider, or None (no URL or no credentials yet: invoices wait in the queue)."""
    if settings.provider != "viettel" or not settings.provider_url:
        return None
    credentials = read_credentials(config)
    if credentials is None:
        return None
    from pos.einvoice.viettel import SInvoiceClient

    return SInvoiceClient(settings.provider_url, settings.seller_tax_code, credentials, timeout_s=settings.timeout_s)


class Sender(threading.Thread):
    """Looks at the queue every ``send_every_s`` and drains it; never touches the till's requests."""

    def __init__(self, engine: Engine, settings: EinvoiceSettings, config: Any) -> None:
        super().__init__(name="einvoice-sender", daemon=True)
        self.engine, self.settings, self.config = engine, settings, config
        self.wake = threading.Event()

    def run(self) -> None:  # pragma: no cover - exercised by the integration test through the real server
        while True:
            try:
                provider = make_provider(self.settings, self.config)
                if provider is not None:
                    drain(self.engine, provider, self.settings)
            except Exception:
                log.exception("e-invoice sender failed; the invoices stay in the queue")
            self.wake.wait(self.settings.send_every_s)
            self.wake.clear()


def init_app(app: Any) -> None:
    """Start the sender with the app's first request (showroom, e-invoices on, not under test)."""
    if app.config.get("TESTING") or app.config.get("ROLE") == "central":
        return
    try:
        settings = settings_or_none(app.config)
    except PosError as exc:
        log.error("e-invoice settings: %s; invoices are not sent until config.toml is corrected", exc.message)
        return
    if settings is None or not app.config.get("EINVOICE_SEND", True):
        return
    start_with_first_request(app, EXTENSION_KEY, lambda: Sender(app.extensions[ENGINE_KEY], settings, app.config))


def wake(app: Any) -> None:
    """Send now (after a manager's resend)."""
    thread = app.extensions.get(EXTENSION_KEY)
    if thread is not None:
        thread.wake.set()
