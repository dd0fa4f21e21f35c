"""OCOP certificates (giấy chứng nhận OCOP): number, issuing authority, issue date, stars, computed validity.

A re-rating is a new certificate; the older ones stay as the product's history. The product keeps the
current certificate's stars, number and end of validity (the fields labels, reports and the central
catalogue read), and stars are shown only while that certificate is valid (shown_stars).
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from sqlmodel import Session, select

from pos.audit import log as audit
from pos.catalog.models import OcopCertificate, Product
from pos.errors import NotFound
from pos.text import nfc

DEFAULT_MONTHS = 36


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the last day of a shorter month: 31/01 + 1 month = 28/02 or 29/02)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def valid_until(issued_on: date, months: int = DEFAULT_MONTHS) -> date:
    """The last day a certificate issued on ``issued_on`` is valid: ``months`` later, less one day."""
    return add_months(issued_on, months) - timedelta(days=1)


def is_valid(product: Product, today: date) -> bool:
    """The product's current certificate is in force today (a product with stars but no date counts as valid)."""
    return product.ocop_cert_expiry is None or product.ocop_cert_expiry >= today


def shown_stars(product: Product, today: date) -> int | None:
    """The stars a label, receipt or page may show: the rating, only while its certificate is valid."""
    if product.ocop_stars not in (3, 4, 5):
        return None
    return product.ocop_stars if is_valid(product, today) else None


DEFAULT_WARNING_DAYS = 90
CERTIFICATE_STATUSES = {
    "valid": "Còn hiệu lực",
    "expiring": "Sắp hết hạn",
    "expired": "Đã hết hạn",
    "none": "Chưa có",
}


def certificate_status(
    stars: int | None, valid_until: date | None, today: date, within_days: int = DEFAULT_WARNING_DAYS
) -> str:
    """'valid', 'expiring' (lapses within ``within_days``), 'expired' or 'none' (no rating), as lists show it."""
    if stars not in (3, 4, 5):
        return "none"
    if valid_until is None:
        return "valid"  # the rule of is_valid: stars without a recorded date count as valid
    if valid_until < today:
        return "expired"
    return "expiring" if valid_until <= today + timedelta(days=within_days) else "valid"


def expiring_soon(product: Product, today: date, within_days: int) -> bool:
    """A rated product whose certificate lapses within ``within_days`` (or has lapsed)."""
    return (
        product.ocop_stars is not None
        and product.ocop_cert_expiry is not None
        and product.ocop_cert_expiry <= today + timedelta(days=within_days)
    )


def record_certificate(
    session: Session,
    product_id: int,
    number: str,
    authority: str,
    issued_on: date | str | None,
    stars: int | str | None,
    *,
    months: int = DEFAULT_MONTHS,
    actor_id: int | None = None,
    today: date | None = None,
) -> OcopCertificate:
    """Record a certificate (a first rating or a re-rating); the newest one becomes the product's current one."""
    from pos.catalog.services import FieldErrors, parse_date, parse_int

    today = today or date.today()
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound("Không tìm thấy sản phẩm.")
    errors = FieldErrors()
    number, authority = nfc(number), nfc(authority)
    if not number:
        errors.add("cert_number", "Nhập số giấy chứng nhận (số quyết định công nhận).")
    elif len(number) > 60:
        errors.add("cert_number", "Số giấy chứng nhận dài tối đa 60 ký tự.")
    if not authority:
        errors.add("cert_authority", "Nhập cơ quan cấp (ví dụ UBND tỉnh Hà Giang).")
    elif len(authority) > 200:
        errors.add("cert_authority", "Tên cơ quan cấp dài tối đa 200 ký tự.")
    day = None
    try:
        day = parse_date(issued_on)
    except ValueError:
        errors.add("cert_issued_on", "Ngày cấp không hợp lệ (dd/mm/yyyy).")
    else:
        if day is None:
            errors.add("cert_issued_on", "Nhập ngày cấp.")
        elif day > today:
            errors.add("cert_issued_on", "Ngày cấp không được sau hôm nay.")
    rating = None
    try:
        rating = parse_int(stars)
    except ValueError:
        rating = None
    if rating not in (3, 4, 5):
        errors.add("cert_stars", "Hạng sao OCOP phải là 3, 4 hoặc 5.")
    errors.raise_if_any()
    assert day is not None and rating is not None
    certificate = OcopCertificate(
        product_id=product_id,
        number=number,
        authority=authority,
        issued_on=day,
        stars=rating,
        valid_until=valid_until(day, months),
        created_by_id=actor_id,
    )
    session.add(certificate)
    session.flush()
    latest = current_certificate(session, product_id)
    if latest is not None and latest.id == certificate.id:
        before = {"ocop_stars": product.ocop_stars, "ocop_cert_number": product.ocop_cert_number}
        product.ocop_stars, product.ocop_cert_number = rating, number
        product.ocop_cert_expiry = certificate.valid_until
        session.add(product)
        audit.record(
            session,
            "product.certificate",
            user_id=actor_id,
            entity="product",
            entity_id=product_id,
            before=before,
            after={
                "ocop_stars": rating,
                "ocop_cert_number": number,
                "authority": authority,
                "issued_on": day.isoformat(),
                "valid_until": certificate.valid_until.isoformat(),
            },
        )
    session.flush()
    return certificate


def certificate_history(session: Session, product_id: int) -> list[OcopCertificate]:
    """A product's certificates, newest first."""
    return list(
        session.exec(
            select(OcopCertificate)
            .where(OcopCertificate.product_id == product_id)
            .order_by(OcopCertificate.issued_on.desc(), OcopCertificate.id.desc())  # type: ignore[attr-defined]
        )
    )


def current_certificate(session: Session, product_id: int) -> OcopCertificate | None:
    """The newest certificate of a product."""
    history = certificate_history(session, product_id)
    return history[0] if history else None


def expiring_certificates(session: Session, today: date, within_days: int) -> list[Product]:
    """Active rated products whose certificate lapses within ``within_days`` or has lapsed, soonest first."""
    horizon = today + timedelta(days=within_days)
    return list(
        session.exec(
            select(Product)
            .where(
                Product.is_active,
                Product.ocop_stars.is_not(None),  # type: ignore[union-attr]
                Product.ocop_cert_expiry.is_not(None),  # type: ignore[union-attr]
                Product.ocop_cert_expiry <= horizon,  # type: ignore[operator]
            )
            .order_by(Product.ocop_cert_expiry, Product.name_search)  # type: ignore[arg-type]
        )
    )
