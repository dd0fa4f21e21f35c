"""OCOP certificates: validity computed from the issue date, re-rating with history, stars only while valid."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from pos.catalog import certificates as certs
from pos.catalog.models import Product
from pos.errors import ValidationError

TODAY = date(2026, 12, 6)


@pytest.mark.parametrize(
    ("issued", "months", "until"),
    [
        (date(2023, 12, 6), 36, date(2026, 12, 5)),
        (date(2024, 2, 29), 36, date(2027, 2, 27)),  # no 29/02/2027: the last day of February, less one
        (date(2025, 1, 31), 1, date(2025, 2, 27)),
        (date(2026, 3, 1), 24, date(2028, 2, 29)),
    ],
)
def test_validity_is_months_from_the_issue_date_less_a_day(issued, months, until) -> None:
    assert certs.valid_until(issued, months) == until


def test_re_rating_is_a_new_certificate_and_keeps_the_history(uow, make_product) -> None:
    honey = make_product(name="Mật ong bạc hà", ocop_stars=3)
    with uow() as s:
        certs.record_certificate(s, honey.id, "112/QĐ-UBND", "UBND tỉnh Hà Giang", "10/01/2023", "3", today=TODAY)
        certs.record_certificate(s, honey.id, "845/QĐ-UBND", "UBND tỉnh Hà Giang", "02/11/2026", 4, today=TODAY)
        # An older certificate typed in late joins the history without replacing the current one.
        certs.record_certificate(s, honey.id, "9/QĐ-UBND", "UBND huyện Mèo Vạc", "05/05/2020", 3, today=TODAY)
    with uow() as s:
        history = certs.certificate_history(s, honey.id)
        product = s.get(Product, honey.id)
        assert [c.number for c in history] == ["845/QĐ-UBND", "112/QĐ-UBND", "9/QĐ-UBND"]
        assert (product.ocop_stars, product.ocop_cert_number, product.ocop_cert_expiry) == (
            4,
            "845/QĐ-UBND",
            date(2029, 11, 1),
        )


def test_stars_are_shown_only_while_the_certificate_is_valid(uow, make_product) -> None:
    tea = make_product(name="Chè Shan tuyết")
    with uow() as s:
        certs.record_certificate(s, tea.id, "7/QĐ", "UBND tỉnh Yên Bái", "01/12/2023", 5, today=TODAY, months=36)
        product = s.get(Product, tea.id)
        assert certs.shown_stars(product, date(2026, 11, 30)) == 5  # the last valid day
        assert certs.shown_stars(product, date(2026, 12, 1)) is None
        assert certs.expiring_soon(product, date(2026, 10, 1), 90)
        assert [p.id for p in certs.expiring_certificates(s, TODAY, 0)] == [tea.id]


def test_bad_certificates_are_refused_with_every_problem(uow, make_product) -> None:
    tea = make_product(name="Chè Shan tuyết")
    with uow() as s, pytest.raises(ValidationError) as refused:
        certs.record_certificate(s, tea.id, "", "", "31/02/2026", 6, today=TODAY)
    assert set(refused.value.details["errors"]) == {"cert_number", "cert_authority", "cert_issued_on", "cert_stars"}
    with uow() as s, pytest.raises(ValidationError):
        certs.record_certificate(s, tea.id, "1", "UBND", "07/12/2026", 4, today=TODAY)  # issued tomorrow


def test_certificate_status_as_lists_show_it() -> None:
    from pos.catalog.certificates import certificate_status

    today = date(2026, 12, 7)
    assert certificate_status(None, today + timedelta(days=400), today) == "none"
    assert certificate_status(4, None, today) == "valid"
    assert certificate_status(4, today + timedelta(days=91), today) == "valid"
    assert certificate_status(4, today + timedelta(days=90), today) == "expiring"
    assert certificate_status(5, today, today) == "expiring"  # the last valid day
    assert certificate_status(3, today - timedelta(days=1), today) == "expired"
