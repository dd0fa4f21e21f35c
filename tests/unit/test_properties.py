"""Properties that must hold for ANY input (hypothesis): money, VAT by date, discounts, change, barcodes, VietQR.

What already has property tests elsewhere is not repeated: in-store barcodes and single-digit errors
(test_barcodes.py), any amount and purpose giving a payload whose CRC verifies (test_vietqr.py), refunds in
steps (test_returns.py), amounts in words (test_vnwords.py). Here: the rest, and hostile text for each parser.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from sqlmodel import Session, delete

from pos.barcodes import BarcodeError, barcode_kind, gtin14, gtin_check_digit, normalize_barcode
from pos.catalog.models import VatRate
from pos.db import MAX_ID, make_engine, parse_id
from pos.errors import ValidationError
from pos.migrate import upgrade
from pos.money import BP, allocate, div_round, format_bp, format_vnd, parse_vnd, percent_of, vat_included
from pos.sales.pricing import (
    LARGEST_NOTE_VND,
    MAX_AMOUNT_VND,
    Discount,
    DiscountLimits,
    LineInput,
    PaymentInput,
    change_due,
    discount_amount,
    needs_approval,
    price_sale,
    settle_payments,
)
from pos.sales.vat import local_date, parse_rate_percent, rate_on, rates_on
from pos.sales.vietqr import _tlv, build_vietqr_payload, crc16_ccitt, parse_tlv, verify_crc
from pos.text import nfc

amounts = st.integers(min_value=0, max_value=10**13 - 1)  # parse_vnd takes up to 13 digits
rates = st.integers(min_value=0, max_value=BP)
hostile_text = st.text(
    st.characters(codec="utf-8") | st.sampled_from(["\x00", "₫", "đ", ".", ",", "-", " ", "\u00a0", "٣", "５"]),
    max_size=40,
)


# --- money ---------------------------------------------------------------------------------------------------


@given(amounts)
def test_format_then_parse_gives_the_amount_back(amount: int) -> None:
    assert parse_vnd(format_vnd(amount)) == amount
    assert parse_vnd(format_vnd(amount, symbol=False)) == amount
    assert parse_vnd(str(amount)) == amount


@given(st.integers(min_value=1, max_value=10**15))
def test_negative_amounts_format_with_a_sign_and_never_parse(amount: int) -> None:
    text = format_vnd(-amount)
    assert text.startswith("-") and text.removeprefix("-") == format_vnd(amount)
    with pytest.raises(ValueError):
        parse_vnd(text)


@given(hostile_text)
def test_parse_vnd_gives_an_int_or_a_value_error_never_anything_else(text: str) -> None:
    try:
        value = parse_vnd(text)
    except ValueError:
        return
    assert isinstance(value, int) and 0 <= value < 10**13
    assert parse_vnd(format_vnd(value)) == value


@given(
    st.integers(min_value=-(10**15), max_value=10**15), st.lists(st.integers(min_value=0, max_value=10**9), max_size=30)
)
def test_allocate_sums_exactly_and_each_part_is_within_a_dong_of_its_share(total: int, weights: list[int]) -> None:
    parts = allocate(total, weights)
    assert len(parts) == len(weights)
    if not weights:
        return
    weight_sum = sum(weights)
    if weight_sum == 0:
        assert parts == [0] * len(weights)
        return
    assert sum(parts) == total
    for part, weight in zip(parts, weights, strict=True):
        exact = total * weight / weight_sum
        assert exact - 1 < part < exact + 1
        if weight == 0:
            assert part == 0


@given(amounts, rates)
def test_vat_included_lies_between_zero_and_the_gross_and_matches_the_net(gross: int, rate: int) -> None:
    vat = vat_included(gross, rate)
    assert 0 <= vat <= gross
    # The VAT is the net (gross − VAT) times the rate, to within the rounding of one đồng.
    assert abs(vat * BP - (gross - vat) * rate) <= BP + rate
    assert vat_included(gross, 0) == 0


@given(amounts, amounts, rates)
def test_vat_included_never_falls_as_the_gross_rises(a: int, b: int, rate: int) -> None:
    low, high = sorted((a, b))
    assert vat_included(low, rate) <= vat_included(high, rate)


@given(amounts, rates)
def test_percent_of_stays_within_the_amount(amount: int, rate: int) -> None:
    part = percent_of(amount, rate)
    assert 0 <= part <= amount
    assert percent_of(amount, BP) == amount


@given(st.integers(min_value=-(10**15), max_value=10**15), st.integers(min_value=1, max_value=10**9))
def test_div_round_is_within_half_and_symmetric(numerator: int, denominator: int) -> None:
    q = div_round(numerator, denominator)
    assert abs(q * denominator - numerator) * 2 <= denominator
    assert div_round(-numerator, denominator) == -q


@given(rates)
def test_a_rate_formatted_and_typed_back_is_the_same_rate(rate: int) -> None:
    assert parse_rate_percent(format_bp(rate)) == rate


@given(hostile_text)
def test_a_typed_rate_is_a_rate_or_a_validation_error(text: str) -> None:
    try:
        rate = parse_rate_percent(text)
    except ValidationError:
        return
    assert 0 <= rate <= BP


# --- ids and text from outside -------------------------------------------------------------------------------


@given(st.one_of(hostile_text, st.integers(), st.booleans(), st.none(), st.floats()))
def test_an_id_from_outside_is_a_storable_positive_int_or_none(raw: Any) -> None:
    value = parse_id(raw)
    assert value is None or (type(value) is int and 0 < value <= MAX_ID)
    if value is not None and isinstance(raw, str):
        assert str(value) == raw.strip().lstrip("0")


@given(st.integers(min_value=1, max_value=MAX_ID))
def test_every_storable_id_reads_back_from_its_digits(value: int) -> None:
    assert parse_id(str(value)) == parse_id(f" {value} ") == parse_id(value) == value
    assert parse_id(value + MAX_ID) is None


@given(st.lists(st.characters() | st.sampled_from(["\ud800", "\udbff", "\udc80", "\udfff"]), max_size=30).map("".join))
def test_incoming_text_is_nfc_and_always_encodable(raw: str) -> None:
    text = nfc(raw)
    text.encode("utf-8")  # never a lone surrogate: SQLite and every page must be able to take it
    assert text == nfc(text)


# --- VAT by date ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def vat_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A migrated database whose VAT table each example rewrites inside a rolled-back transaction."""
    path: Path = tmp_path_factory.mktemp("vat") / "vat.db"
    upgrade(f"sqlite:///{path.as_posix()}")
    engine = make_engine(f"sqlite:///{path.as_posix()}")
    yield engine
    engine.dispose()


days = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))


@given(
    table=st.dictionaries(days, rates, min_size=1, max_size=8),
    other=st.dictionaries(days, rates, max_size=4),
    asked=st.lists(days, min_size=1, max_size=10),
)
def test_the_rate_on_a_day_is_the_latest_one_in_force(
    vat_engine: Any, table: dict[date, int], other: dict[date, int], asked: list[date]
) -> None:
    with Session(vat_engine) as s:
        s.exec(delete(VatRate))  # type: ignore[call-overload]
        s.add_all(VatRate(vat_class="standard", valid_from=d, rate_bp=r, note="") for d, r in table.items())
        s.add_all(VatRate(vat_class="reduced", valid_from=d, rate_bp=r, note="") for d, r in other.items())
        s.flush()
        for day in asked:
            in_force = [d for d in table if d <= day]
            if not in_force:
                with pytest.raises(Exception, match="Chưa có thuế suất"):
                    rate_on(s, "standard", day)
                assert "standard" not in rates_on(s, day)
                continue
            expected = table[max(in_force)]
            assert rate_on(s, "standard", day) == expected
            assert rates_on(s, day)["standard"] == expected
        s.rollback()


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)))
def test_the_vat_day_is_the_day_in_ha_noi(at: datetime) -> None:
    assert local_date(at, "Asia/Ho_Chi_Minh") == (at + timedelta(hours=7)).date()
    assert local_date(at.replace(tzinfo=None), "Asia/Ho_Chi_Minh") == (at + timedelta(hours=7)).date()


# --- discounts and pricing -----------------------------------------------------------------------------------

prices = st.integers(min_value=1, max_value=10**8)
discounts = st.one_of(
    st.none(),
    st.builds(Discount, st.just("percent"), rates),
    st.builds(Discount, st.just("amount"), st.integers(min_value=0, max_value=10**9)),
)


@given(amounts, discounts)
def test_a_discount_is_never_negative_and_never_above_the_amount(base: int, discount: Discount | None) -> None:
    try:
        taken = discount_amount(base, discount)
    except ValidationError:
        assert discount is not None and discount.kind == "amount" and discount.value > base
        return
    assert 0 <= taken <= base


@given(
    st.sampled_from(["percent", "amount", "", "PERCENT", "free"]), st.integers(min_value=-(10**15), max_value=10**15)
)
def test_a_discount_outside_the_rules_cannot_even_be_made(kind: str, value: int) -> None:
    try:
        discount = Discount(kind, value)
    except ValidationError:
        return
    assert discount.kind in ("percent", "amount") and value >= 0
    assert value <= (BP if kind == "percent" else MAX_AMOUNT_VND)


lines = st.lists(
    st.builds(
        LineInput,
        qty=st.integers(min_value=1, max_value=9999),
        unit_price_vnd=prices,
        vat_rate_bp=st.sampled_from([0, 500, 800, 1000]),
        discount=discounts,
    ),
    min_size=1,
    max_size=12,
)


@given(lines, discounts)
def test_a_priced_sale_adds_up_to_the_dong(items: list[LineInput], sale_discount: Discount | None) -> None:
    try:
        sale = price_sale(items, sale_discount)
    except ValidationError:
        return  # an amount discount larger than what it applies to is refused, never clipped
    assert sale.total_vnd == sale.subtotal_vnd - sale.line_discount_vnd - sale.sale_discount_vnd
    assert sale.total_vnd == sum(line.total_vnd for line in sale.lines)
    assert sale.vat_vnd == sum(line.vat_vnd for line in sale.lines)
    assert 0 <= sale.vat_vnd <= sale.total_vnd
    for line in sale.lines:
        assert line.gross_vnd == line.qty * line.unit_price_vnd
        assert 0 <= line.line_discount_vnd <= line.gross_vnd
        assert 0 <= line.sale_discount_vnd <= line.gross_vnd - line.line_discount_vnd
        assert line.total_vnd >= 0 and 0 <= line.vat_vnd <= line.total_vnd
    for part in sale.vat:
        assert part.vat_vnd == vat_included(part.gross_vnd, part.rate_bp)


@given(amounts, discounts, rates, rates)
def test_approval_is_needed_exactly_above_the_cashier_limit_and_refused_above_the_managers(
    base: int, discount: Discount | None, a: int, b: int
) -> None:
    assume(discount is not None)
    assert discount is not None
    cashier, manager = sorted((a, b))
    # The discount's effective share of what it applies to, as an exact fraction.
    share = Fraction(discount.value, BP) if discount.kind == "percent" else Fraction(discount.value, base or 1)
    try:
        needed = needs_approval(discount, base, DiscountLimits(cashier_bp=cashier, manager_bp=manager))
    except ValidationError:
        assert (discount.kind == "amount" and discount.value > base) or share > Fraction(manager, BP)
        return
    assert share <= Fraction(manager, BP)
    assert needed == (share > Fraction(cashier, BP))


# --- change due and payments ---------------------------------------------------------------------------------


@given(amounts, amounts)
def test_change_is_what_was_handed_over_beyond_the_amount_due(tendered: int, due: int) -> None:
    try:
        change = change_due(tendered, due)
    except ValidationError:
        assert tendered < due
        return
    assert change >= 0 and tendered == due + change


@given(
    total=st.integers(min_value=0, max_value=10**9),
    cash=st.one_of(st.none(), st.integers(min_value=-(10**6), max_value=10**10)),
    card=st.one_of(st.none(), st.integers(min_value=-(10**6), max_value=10**10)),
    transfer=st.one_of(st.none(), st.integers(min_value=-(10**6), max_value=10**10)),
    method=st.sampled_from(["cash", "card", "transfer", "bitcoin", ""]),
)
def test_settled_payments_cover_the_total_exactly_and_change_comes_from_cash_only(
    total: int, cash: int | None, card: int | None, transfer: int | None, method: str
) -> None:
    given_payments = [PaymentInput(method, cash)] if cash is not None else []
    given_payments += [PaymentInput("card", card, "AUTH1")] if card is not None else []
    given_payments += [PaymentInput("transfer", transfer)] if transfer is not None else []
    try:
        settled = settle_payments(given_payments, total)
    except ValidationError:
        return
    assert sum(p.amount_vnd for p in settled) == total
    for p in settled:
        assert p.amount_vnd > 0
        if p.method == "cash":
            assert p.tendered_vnd == p.amount_vnd + (p.change_vnd or 0)
            assert 0 <= (p.change_vnd or 0) < LARGEST_NOTE_VND
        else:
            assert p.change_vnd is None


# --- barcodes: whatever a scanner or a keyboard sends ----------------------------------------------------------


@given(st.text(st.sampled_from("0123456789 \t\n\r٣５x-"), max_size=20) | hostile_text)
def test_any_scanned_text_is_a_valid_code_or_a_barcode_error(raw: str) -> None:
    try:
        code = normalize_barcode(raw)
    except BarcodeError as exc:
        assert str(exc)  # a message for the screen
        return
    assert code.isascii() and code.isdigit() and len(code) in (8, 12, 13)
    assert normalize_barcode(code) == code
    assert code[-1] == gtin_check_digit(code[:-1])
    assert barcode_kind(code) in ("ean8", "upca", "ean13")
    assert len(gtin14(code)) == 14


@given(st.text(alphabet="0123456789", min_size=11, max_size=11))
def test_a_upc_a_and_its_ean_13_form_name_the_same_product(body: str) -> None:
    upc = body + gtin_check_digit(body)
    assert normalize_barcode("0" + upc) == "0" + upc  # the same check digit with a leading zero
    assert gtin14(upc) == gtin14("0" + upc)


# --- VietQR -------------------------------------------------------------------------------------------------------

banks = st.text(alphabet="0123456789", min_size=6, max_size=6)
accounts = st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", min_size=1, max_size=19)


def encode(fields: dict[str, str]) -> str:
    return "".join(_tlv(tag, value) for tag, value in fields.items())


@given(banks, accounts, st.one_of(st.none(), st.integers(min_value=1, max_value=10**13 - 1)), st.text(max_size=60))
def test_the_payload_parses_and_encodes_back_to_itself(
    bank: str, account: str, amount: int | None, purpose: str
) -> None:
    payload = build_vietqr_payload(bank, account, amount, purpose)
    fields = parse_tlv(payload)
    assert encode(fields) == payload  # TLV round trip, the CRC field included
    assert verify_crc(payload)
    assert list(fields)[-1] == "63" and fields["63"] == f"{crc16_ccitt(payload[:-4].encode()):04X}"
    merchant = parse_tlv(fields["38"])
    assert encode(merchant) == fields["38"]
    assert parse_tlv(merchant["01"]) == {"00": bank, "01": account}
    assert fields["01"] == ("11" if amount is None else "12")
    assert ("54" in fields) == (amount is not None)


@given(banks, accounts, st.integers(min_value=1, max_value=10**9), st.data())
def test_changing_any_one_character_breaks_the_crc(bank: str, account: str, amount: int, data: st.DataObject) -> None:
    payload = build_vietqr_payload(bank, account, amount, "Don SR01-2026-000123")
    at = data.draw(st.integers(min_value=0, max_value=len(payload) - 5))  # any character before the CRC itself
    new = data.draw(st.sampled_from([c for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ -" if c != payload[at]]))
    assert not verify_crc(payload[:at] + new + payload[at + 1 :])


@given(hostile_text)
def test_parse_tlv_and_verify_crc_refuse_garbage_calmly(text: str) -> None:
    try:
        fields = parse_tlv(text)
    except ValueError:
        pass
    else:
        assert sum(4 + len(value) for value in fields.values()) <= len(text)  # a repeated tag keeps its last value
    assert verify_crc(text) in (True, False)


@given(banks, accounts, st.integers(min_value=-(10**15), max_value=0) | st.integers(min_value=10**13, max_value=10**20))
def test_an_impossible_amount_is_refused_not_encoded(bank: str, account: str, amount: int) -> None:
    with pytest.raises(ValueError):
        build_vietqr_payload(bank, account, amount, "x")
