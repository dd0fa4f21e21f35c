"""VAT rates from the dated table, in the showroom's local day."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlmodel import select

from pos.audit.models import AuditEntry
from pos.errors import Conflict, PosError, ValidationError
from pos.sales.vat import add_rate, local_date, parse_rate_percent, rate_on, rates_on


def test_the_reduced_rate_ends_on_31_december_2026(uow) -> None:
    with uow() as s:
        assert rate_on(s, "standard", date(2025, 6, 30)) == 1000
        assert rate_on(s, "standard", date(2025, 7, 1)) == 800
        assert rate_on(s, "standard", date(2026, 12, 31)) == 800
        assert rate_on(s, "standard", date(2027, 1, 1)) == 1000
        assert rate_on(s, "reduced", date(2026, 12, 31)) == 500
        assert rate_on(s, "zero", date(2026, 12, 31)) == 0
        assert rate_on(s, "exempt", date(2027, 1, 1)) == 0
        assert rates_on(s, date(2026, 12, 31)) == {
            "standard": 800,
            "reduced": 500,
            "zero": 0,
            "exempt": 0,
            "untaxed": 0,
        }
        assert rates_on(s, date(2027, 1, 1))["standard"] == 1000


def test_no_rate_before_the_table_starts_is_a_clear_error(uow) -> None:
    with uow() as s, pytest.raises(PosError, match="Chưa có thuế suất GTGT"):
        rate_on(s, "standard", date(1999, 12, 31))


def test_the_sale_day_is_the_local_day_in_vietnam() -> None:
    # 00:30 on 01/01/2027 in Hà Nội is still 31/12/2026 in UTC.
    just_after_midnight = datetime(2026, 12, 31, 17, 30, tzinfo=UTC)
    assert local_date(just_after_midnight, "Asia/Ho_Chi_Minh") == date(2027, 1, 1)
    assert local_date(datetime(2026, 12, 31, 16, 59, tzinfo=UTC), "Asia/Ho_Chi_Minh") == date(2026, 12, 31)


def test_a_manager_adds_a_dated_rate_and_it_is_audited(uow) -> None:
    with uow() as s:
        add_rate(s, "standard", date(2028, 1, 1), 900, "Thử", actor_id=None)
    with uow() as s:
        assert rate_on(s, "standard", date(2027, 12, 31)) == 1000
        assert rate_on(s, "standard", date(2028, 1, 1)) == 900
        entry = s.exec(select(AuditEntry).where(AuditEntry.action == "vat_rate.create")).one()
        assert '"rate_bp": 900' in entry.after
    with uow() as s, pytest.raises(Conflict):
        add_rate(s, "standard", date(2028, 1, 1), 800, "", actor_id=None)
    with uow() as s, pytest.raises(ValidationError):
        add_rate(s, "luxury", date(2028, 1, 1), 800, "", actor_id=None)


@pytest.mark.parametrize(("text", "bp"), [("8", 800), ("8,5", 850), ("8.5", 850), ("10%", 1000), ("0", 0)])
def test_rate_typed_as_percent(text, bp) -> None:
    assert parse_rate_percent(text) == bp


@pytest.mark.parametrize("text", ["", "abc", "-1", "101", "8,555", "٨"])
def test_bad_rate_typed(text) -> None:
    with pytest.raises(ValidationError):
        parse_rate_percent(text)
