"""Every table of the showroom, imported in one place for Alembic's metadata."""

from pos.audit.models import AuditEntry
from pos.auth.models import User
from pos.catalog.models import Counter, Producer, Product, VatRate
from pos.einvoice.models import Invoice
from pos.inventory.models import Intake, IntakeLine, StockLevel, StockMovement
from pos.printing.models import PrintJob, Till
from pos.sales.models import (
    Cart,
    CartLine,
    CashMovement,
    Payment,
    ReturnLine,
    Sale,
    SaleLine,
    SaleReturn,
    Shift,
)
from pos.settlement.models import Settlement
from pos.sync.models import OutboxRecord

__all__ = [
    "AuditEntry",
    "Cart",
    "CartLine",
    "CashMovement",
    "Counter",
    "Intake",
    "IntakeLine",
    "Invoice",
    "OutboxRecord",
    "Payment",
    "PrintJob",
    "Producer",
    "Product",
    "ReturnLine",
    "Sale",
    "SaleLine",
    "SaleReturn",
    "Settlement",
    "Shift",
    "StockLevel",
    "StockMovement",
    "Till",
    "User",
    "VatRate",
]
