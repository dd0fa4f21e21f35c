"""Every table of the showroom, imported in one place for Alembic's metadata."""

from pos.audit.models import AuditEntry
from pos.auth.models import User
from pos.baskets.models import BasketComponent, SaleBasket, SaleBasketLine
from pos.catalog.models import Counter, Producer, Product, VatRate
from pos.customers.models import CartCustomer, Customer, LoyaltyEntry, SaleCustomer
from pos.einvoice.models import Invoice
from pos.inventory.models import Intake, IntakeLine, StockLevel, StockMovement, Transfer, TransferLine
from pos.orders.models import CompanyOrder, OrderLine, OrderPayment
from pos.printing.models import PrintJob, Till
from pos.promotions.models import Promotion, PromotionItem, SalePromotion
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
    "BasketComponent",
    "Cart",
    "CartLine",
    "CartCustomer",
    "CashMovement",
    "CompanyOrder",
    "Counter",
    "Customer",
    "Intake",
    "IntakeLine",
    "Invoice",
    "LoyaltyEntry",
    "OrderLine",
    "OrderPayment",
    "OutboxRecord",
    "Payment",
    "PrintJob",
    "Producer",
    "Promotion",
    "PromotionItem",
    "Product",
    "ReturnLine",
    "Sale",
    "SaleBasket",
    "SaleBasketLine",
    "SaleCustomer",
    "SaleLine",
    "SalePromotion",
    "SaleReturn",
    "Settlement",
    "Shift",
    "StockLevel",
    "StockMovement",
    "Till",
    "Transfer",
    "TransferLine",
    "User",
    "VatRate",
]
