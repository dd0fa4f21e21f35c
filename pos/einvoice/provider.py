"""The one small interface every e-invoice provider is used through, and what it answers.

``send`` hands an invoice over under its idempotency key (our invoice's uuid, Viettel's transactionUuid);
``find`` looks an invoice up by that key, which the sender always does before sending again an invoice whose
earlier attempt ended without a clear answer (a timeout, a dropped connection, garbage), so a retry can never
make two invoices at the provider.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from pos.errors import PosError


@dataclass(frozen=True)
class Outgoing:
    """An invoice as handed to a provider: its key, the XML as issued and what the provider asks on top."""

    transaction_uuid: str
    xml: bytes
    template_code: str
    kind: str  # original, replacement, adjustment
    original_transaction_uuid: str = ""


@dataclass(frozen=True)
class Accepted:
    """The provider has the invoice (and passes it to the tax authority)."""

    provider_number: str
    lookup_code: str


class ProviderUnavailable(PosError):
    """No usable answer (network, timeout, 5xx, HTML or garbage): try again later, looking up first."""


class ProviderRejected(PosError):
    """The provider refused the invoice, with its reason: a manager must correct it before it is sent again."""


class Provider(Protocol):
    """An e-invoice service provider."""

    def send(self, invoice: Outgoing) -> Accepted:
        """Hand the invoice over; Accepted, or ProviderRejected / ProviderUnavailable."""
        ...

    def find(self, transaction_uuid: str) -> Accepted | None:
        """The invoice the provider holds under this key, or None; ProviderUnavailable if it cannot say."""
        ...
