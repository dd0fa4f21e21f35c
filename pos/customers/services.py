"""Customers at the till: find by phone or create in a few keystrokes, attach to a cart, points, privacy.

Points (the rule in config.toml [loyalty]): a sale earns one point per ``earn_per_vnd`` đồng of what the
customer paid other than with points; a point is worth ``point_value_vnd`` đồng when used, as the payment
method "points". A balance is changed only by one UPDATE that adds or takes points where enough remain,
inside the sale's write transaction, and the table refuses a negative balance (CHECK points >= 0): two
tills using the same points at once cannot both succeed.

Personal data is what a receipt, a company invoice and the points need (name, phone, company, tax code,
address). Cashiers see a customer's name, a masked phone and the balance; managers see the rest, can
export one customer's data and erase it (the sales stay, without the person).

The central server receives customers only where config [customers] send_to_central is true (the callers
pass ``to_central``): each save sends a "customer" record (pos/sync/contract.py, no points or purchases),
and an erasure sends the erasure. Otherwise nothing personal enters the outbox.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, text
from sqlmodel import Session, select

from pos.audit import log as audit
from pos.catalog.services import normalize_tax_code
from pos.customers.models import CartCustomer, Customer, LoyaltyEntry, SaleCustomer
from pos.db import utcnow
from pos.errors import Conflict, NotFound, ValidationError
from pos.money import format_vnd
from pos.sync.models import OutboxRecord
from pos.sync.outbox import enqueue
from pos.text import fold, nfc

_PHONE = re.compile(r"^0[35789][0-9]{8}$")  # a Vietnamese mobile, as customers say it
POINTS_METHOD = "points"


@dataclass(frozen=True)
class LoyaltyRule:
    """From config [loyalty]: points earned per đồng paid, and what a point is worth."""

    earn_per_vnd: int = 10_000
    point_value_vnd: int = 100

    def earned(self, paid_vnd: int) -> int:
        """Points a payment of ``paid_vnd`` earns."""
        return paid_vnd // self.earn_per_vnd if self.earn_per_vnd > 0 and paid_vnd > 0 else 0


def normalize_phone(raw: Any) -> str:
    """'0912 345 678', '+84 912345678', '84912345678' -> '0912345678'; ValidationError otherwise."""
    digits = "".join(ch for ch in nfc(str(raw or "")) if ch.isascii() and ch.isdigit())
    if digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    if not _PHONE.match(digits):
        raise ValidationError("Số điện thoại không hợp lệ (10 số, ví dụ 0912 345 678).", "phone")
    return digits


def masked(phone: str | None) -> str:
    """'0912345678' -> '0912 *** 678': enough for a cashier to confirm with the customer."""
    return f"{phone[:4]} *** {phone[-3:]}" if phone else ""


def find_by_phone(session: Session, raw: Any) -> Customer | None:
    """The customer with this phone, if any."""
    return session.exec(select(Customer).where(Customer.phone == normalize_phone(raw))).first()


def save_customer(
    session: Session,
    data: dict[str, Any],
    actor_id: int | None,
    customer_id: int | None = None,
    *,
    to_central: bool = False,
) -> Customer:
    """Create (phone and name are enough) or edit a customer; a company needs its tax code for invoices."""
    errors: dict[str, str] = {}
    try:
        phone = normalize_phone(data.get("phone"))
    except ValidationError as exc:
        errors["phone"], phone = exc.message, ""
    name = nfc(str(data.get("name") or ""))[:120]
    if not name:
        errors["name"] = "Chưa nhập tên khách hàng."
    company = nfc(str(data.get("company_name") or ""))[:200]
    tax_code = ""
    if nfc(str(data.get("tax_code") or "")):
        try:
            tax_code = normalize_tax_code(str(data.get("tax_code")))  # the one tax-code rule (catalog)
        except ValueError:
            errors["tax_code"] = "Mã số thuế gồm 10 số, hoặc 13 số viết dạng 0101234567-001."
    if company and not tax_code and "tax_code" not in errors:
        errors["tax_code"] = "Khách là công ty: cần mã số thuế để xuất hóa đơn."
    customer = session.get(Customer, customer_id) if customer_id else None
    if customer_id and (customer is None or customer.erased_at):
        raise NotFound("Không tìm thấy khách hàng.", "customer_id")
    if phone and not errors.get("phone"):
        owner = session.exec(select(Customer).where(Customer.phone == phone)).first()
        if owner is not None and owner is not customer:
            errors["phone"] = f"Số {phone} đã là của khách “{owner.name}”."
    if errors:
        field, message = next(iter(errors.items()))
        raise ValidationError(message, field, errors=errors)
    customer = customer or Customer()
    customer.phone, customer.name, customer.company_name, customer.tax_code = phone, name, company, tax_code
    customer.address = nfc(str(data.get("address") or ""))[:250]
    session.add(customer)
    session.flush()
    audit.record(session, "customer.save", user_id=actor_id, entity="customer", entity_id=customer.id)
    if to_central:
        _publish(session, customer)
    return customer


def _publish(session: Session, customer: Customer) -> None:
    """The customer's record for the central server (an erased one: the erasure, with nothing personal)."""
    erased = customer.erased_at is not None
    enqueue(
        session,
        "customer",
        customer.uuid,
        {
            "uuid": str(customer.uuid),
            "name": "" if erased else customer.name,
            "phone": "" if erased else customer.phone or "",
            "company_name": "" if erased else customer.company_name,
            "tax_code": "" if erased else customer.tax_code,
            "address": "" if erased else customer.address,
            "erased": erased,
        },
    )


def ensure_published(session: Session, customer: Customer) -> None:
    """A customer saved while sending was off is sent with its first sale once it is on (a sale's reference
    to a customer central never heard of would name nobody there)."""
    sent = session.exec(
        select(OutboxRecord.id).where(OutboxRecord.kind == "customer", OutboxRecord.entity_uuid == str(customer.uuid))
    ).first()
    if sent is None:
        _publish(session, customer)


def get_customer(session: Session, customer_id: Any) -> Customer:
    """A customer not erased, or NotFound."""
    customer = session.get(Customer, customer_id) if isinstance(customer_id, int) else None
    if customer is None or customer.erased_at is not None:
        raise NotFound("Không tìm thấy khách hàng.", "customer_id")
    return customer


def search(session: Session, q: str, limit: int = 50) -> list[Customer]:
    """Customers whose phone, name or company holds the text (erased ones never)."""
    words = fold(q).split()
    rows = session.exec(select(Customer).where(Customer.erased_at.is_(None)).order_by(Customer.id.desc())).all()  # type: ignore[union-attr]
    digits = "".join(ch for ch in q if ch.isdigit())
    found = [
        c
        for c in rows
        if not words
        or (digits and digits in (c.phone or ""))
        or all(w in fold(f"{c.name} {c.company_name}") for w in words)
    ]
    return found[:limit]


# --- at the till ----------------------------------------------------------------------------------------


def attach(session: Session, cart_id: int, customer: Customer) -> None:
    """Make a cart a customer's (replacing any other)."""
    session.execute(delete(CartCustomer).where(CartCustomer.cart_id == cart_id))  # type: ignore[arg-type]
    session.add(CartCustomer(cart_id=cart_id, customer_id=customer.id))  # type: ignore[arg-type]
    session.flush()


def detach(session: Session, cart_id: int) -> None:
    """The cart is for no one in particular."""
    session.execute(delete(CartCustomer).where(CartCustomer.cart_id == cart_id))  # type: ignore[arg-type]
    session.flush()


def cart_customer(session: Session, cart_id: int) -> Customer | None:
    """The customer a cart is for."""
    link = session.get(CartCustomer, cart_id)
    return session.get(Customer, link.customer_id) if link else None


def till_view(customer: Customer | None, rule: LoyaltyRule) -> dict[str, Any] | None:
    """What the till shows of a customer: name, masked phone, company, points and their value."""
    if customer is None:
        return None
    return {
        "id": customer.id,
        "name": customer.name,
        "phone": masked(customer.phone),
        "company_name": customer.company_name,
        "has_tax_code": bool(customer.tax_code),
        "points": customer.points,
        "points_vnd": customer.points * rule.point_value_vnd,
    }


def _change_points(session: Session, customer_id: int, delta: int) -> bool:
    """Add (or with delta < 0 take) points in one statement, only where enough remain."""
    result = session.execute(
        text("UPDATE customer SET points = points + :d WHERE id = :id AND points + :d >= 0"),
        {"d": delta, "id": customer_id},
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def at_checkout(
    session: Session, cart_id: int, sale_id: int, payments: list[Any], rule: LoyaltyRule, now: datetime
) -> Customer | None:
    """In the sale's transaction: link the sale to the cart's customer, take the points used, add those earned;
    the customer, if any."""
    customer = cart_customer(session, cart_id)
    used_vnd = sum(p.amount_vnd for p in payments if p.method == POINTS_METHOD)
    if customer is None:
        if used_vnd:
            raise ValidationError("Chọn khách hàng (theo số điện thoại) trước khi trả bằng điểm tích lũy.", "payments")
        return None
    session.add(SaleCustomer(sale_id=sale_id, customer_id=customer.id))  # type: ignore[arg-type]
    if used_vnd:
        if rule.point_value_vnd <= 0 or used_vnd % rule.point_value_vnd:
            raise ValidationError(
                f"Số tiền trả bằng điểm phải là bội số của {format_vnd(rule.point_value_vnd)} (giá trị 1 điểm).",
                "payments",
            )
        used = used_vnd // rule.point_value_vnd
        if not _change_points(session, customer.id, -used):  # type: ignore[arg-type]
            session.refresh(customer)
            raise Conflict(
                f"Khách chỉ còn {customer.points} điểm ({format_vnd(customer.points * rule.point_value_vnd)}).",
                "payments",
            )
        session.add(LoyaltyEntry(customer_id=customer.id, sale_id=sale_id, kind="redeem", points=-used, created_at=now))  # type: ignore[arg-type]
    earned = rule.earned(sum(p.amount_vnd for p in payments if p.method != POINTS_METHOD))
    if earned:
        _change_points(session, customer.id, earned)  # type: ignore[arg-type]
        session.add(LoyaltyEntry(customer_id=customer.id, sale_id=sale_id, kind="earn", points=earned, created_at=now))  # type: ignore[arg-type]
    session.flush()
    session.expire(customer, ["points"])
    return customer


def points_back_due(earned: int, sale_total_vnd: int, refunded_before_vnd: int, refunded_vnd: int) -> int:
    """Points a refund takes back: the sale's earned points × refunded / total, on the running refund.

    Computed on the running total (as refunds are), so returning a sale in any number of steps takes back
    exactly what it earned.
    """
    if earned <= 0 or sale_total_vnd <= 0:
        return 0
    after = min(refunded_before_vnd + refunded_vnd, sale_total_vnd)
    return earned * after // sale_total_vnd - earned * min(refunded_before_vnd, sale_total_vnd) // sale_total_vnd


def at_return(
    session: Session,
    sale_id: int,
    return_id: int,
    refunded_before_vnd: int,
    refunded_vnd: int,
    now: datetime,
    actor_id: int | None = None,
) -> tuple[int, int]:
    """In the return's transaction: take back the points the refunded part of the sale earned.

    Returns (points taken, points that could not be taken). The balance never goes negative: where the
    customer has already spent the points, what is left is taken (down to 0) and the rest is forgiven (the
    refund itself is not cut); the shortfall is in the audit log for the manager. Taken through the same
    conditional UPDATE as a sale's, retried on the balance as it then stands, so a sale at another till at the
    same moment cannot make it negative either.
    """
    from pos.sales.models import Sale

    link = session.get(SaleCustomer, sale_id)
    sale = session.get(Sale, sale_id)
    if link is None or sale is None:
        return 0, 0
    earned = int(
        session.scalar(
            select(func.coalesce(func.sum(LoyaltyEntry.points), 0)).where(
                LoyaltyEntry.sale_id == sale_id, LoyaltyEntry.kind == "earn"
            )
        )
        or 0
    )
    due = points_back_due(earned, sale.total_vnd, refunded_before_vnd, refunded_vnd)
    taken, want = 0, due
    customer = session.get(Customer, link.customer_id)
    while want > 0 and customer is not None:
        if _change_points(session, customer.id, -want):  # type: ignore[arg-type]
            taken = want
            break
        session.refresh(customer, ["points"])
        want = min(want, customer.points)
    if taken:
        session.add(
            LoyaltyEntry(
                customer_id=link.customer_id,
                sale_id=sale_id,
                return_id=return_id,
                kind="return",
                points=-taken,
                created_at=now,
            )
        )
    if due > taken:
        audit.record(
            session,
            "customer.points.short",
            user_id=actor_id,
            entity="customer",
            entity_id=link.customer_id,
            after={"sale_id": sale_id, "return_id": return_id, "due": due, "taken": taken, "forgiven": due - taken},
        )
    session.flush()
    if customer is not None:
        session.expire(customer, ["points"])
    return taken, due - taken


# --- managers: history, export, erasure -----------------------------------------------------------------------


def history(session: Session, customer_id: int) -> list[Any]:
    """The customer's sales, newest first: receipt number, time, total, status."""
    from pos.sales.models import Sale

    return list(
        session.exec(
            select(Sale)
            .join(SaleCustomer, SaleCustomer.sale_id == Sale.id)  # type: ignore[arg-type]
            .where(SaleCustomer.customer_id == customer_id)
            .order_by(Sale.created_at.desc())  # type: ignore[attr-defined]
        ).all()
    )


def export(session: Session, customer_id: int) -> dict[str, Any]:
    """Everything kept about one customer, for a request to see it (JSON-ready)."""
    c = get_customer(session, customer_id)
    entries = session.exec(select(LoyaltyEntry).where(LoyaltyEntry.customer_id == c.id).order_by(LoyaltyEntry.id)).all()  # type: ignore[arg-type]
    return {
        "customer": {
            "uuid": str(c.uuid),
            "name": c.name,
            "phone": c.phone,
            "company_name": c.company_name,
            "tax_code": c.tax_code,
            "address": c.address,
            "points": c.points,
            "created_at": c.created_at.isoformat(),
        },
        "purchases": [
            {
                "receipt_number": s.receipt_number,
                "at": s.created_at.isoformat(),
                "total_vnd": s.total_vnd,
                "status": s.status,
            }
            for s in history(session, c.id)  # type: ignore[arg-type]
        ],
        "points": [{"kind": e.kind, "points": e.points, "at": e.created_at.isoformat()} for e in entries],
    }


def erase(session: Session, customer_id: int, actor_id: int | None, *, to_central: bool = False) -> None:
    """Forget the person on request: personal data blanked, points dropped; the sales stay (anonymous).

    With ``to_central`` the erasure is sent too, even for a customer saved while sending was off (central
    then holds only a blank, erased row for it).
    """
    c = get_customer(session, customer_id)
    c.phone, c.name, c.company_name, c.tax_code, c.address = None, "", "", "", ""
    c.points, c.erased_at = 0, utcnow()
    session.execute(delete(CartCustomer).where(CartCustomer.customer_id == c.id))  # type: ignore[arg-type]
    session.flush()
    audit.record(session, "customer.erase", user_id=actor_id, entity="customer", entity_id=c.id)
    if to_central:
        _publish(session, c)


def count_customers(session: Session) -> int:
    """Customers not erased."""
    return int(session.scalar(select(func.count()).where(Customer.erased_at.is_(None))) or 0)  # type: ignore[union-attr]
