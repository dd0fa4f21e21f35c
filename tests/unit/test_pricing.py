"""The till's arithmetic, checked against figures worked out by hand."""

from __future__ import annotations

import pytest

from pos.errors import ValidationError
from pos.sales.pricing import (
    Discount,
    DiscountLimits,
    LineInput,
    PaymentInput,
    SettledPayment,
    cash_suggestions,
    change_due,
    discount_amount,
    exceeds_limit,
    needs_approval,
    price_sale,
    settle_payments,
)

LIMITS = DiscountLimits(cashier_bp=1000, manager_bp=5000)


def test_vat_is_the_part_of_an_inclusive_price_belonging_to_the_state() -> None:
    # 108.000 at 8%: 108.000 × 8/108 = 8.000; 110.000 at 10%: 10.000; exempt: nothing.
    sale = price_sale([LineInput(1, 108_000, 800), LineInput(2, 55_000, 1000), LineInput(1, 20_000, 0)])
    assert sale.total_vnd == 238_000
    assert [(p.rate_bp, p.gross_vnd, p.vat_vnd) for p in sale.vat] == [
        (1000, 110_000, 10_000),
        (800, 108_000, 8_000),
        (0, 20_000, 0),
    ]
    assert sale.vat_vnd == 18_000
    assert [line.vat_vnd for line in sale.lines] == [8_000, 10_000, 0]


def test_a_mixed_sale_with_line_and_sale_discounts() -> None:
    lines = [
        LineInput(2, 45_000, 800),  # 90.000
        LineInput(1, 120_000, 800, Discount("percent", 1000)),  # 120.000 − 12.000 = 108.000
        LineInput(3, 35_000, 500),  # 105.000
    ]
    sale = price_sale(lines, Discount("percent", 500))
    # Sale discount: 5% of 303.000 = 15.150, spread as 4.500 / 5.400 / 5.250 (exact shares).
    assert sale.subtotal_vnd == 315_000
    assert sale.line_discount_vnd == 12_000
    assert sale.sale_discount_vnd == 15_150
    assert [line.sale_discount_vnd for line in sale.lines] == [4_500, 5_400, 5_250]
    assert [line.total_vnd for line in sale.lines] == [85_500, 102_600, 99_750]
    assert [line.discount_vnd for line in sale.lines] == [4_500, 17_400, 5_250]
    assert sale.total_vnd == 287_850
    # 8%: 188.100 × 8/108 = 13.933,33 → 13.933, spread 6.333 / 7.600 (largest remainder to the second line).
    # 5%: 99.750 × 5/105 = 4.750.
    assert [(p.rate_bp, p.gross_vnd, p.vat_vnd) for p in sale.vat] == [(800, 188_100, 13_933), (500, 99_750, 4_750)]
    assert [line.vat_vnd for line in sale.lines] == [6_333, 7_600, 4_750]
    assert sale.vat_vnd == 18_683


def test_a_sale_discount_amount_is_spread_without_losing_a_dong() -> None:
    sale = price_sale([LineInput(1, 10_000, 800)] * 3, Discount("amount", 100))
    assert [line.sale_discount_vnd for line in sale.lines] == [34, 33, 33]
    assert [line.total_vnd for line in sale.lines] == [9_966, 9_967, 9_967]
    assert sale.total_vnd == 29_900
    assert sum(line.vat_vnd for line in sale.lines) == sale.vat_vnd == 2_215  # 29.900 × 8/108 = 2.214,8


def test_line_discount_as_an_amount_and_percent_rounding() -> None:
    assert discount_amount(90_000, Discount("amount", 15_000)) == 15_000
    assert discount_amount(33_333, Discount("percent", 1000)) == 3_333  # 3.333,3 → 3.333
    assert discount_amount(33_335, Discount("percent", 1000)) == 3_334  # 3.333,5 → half up
    assert discount_amount(50_000, Discount("percent", 10_000)) == 50_000  # 100% is the whole line


def test_a_discount_can_never_exceed_the_amount() -> None:
    with pytest.raises(ValidationError, match="không được lớn hơn"):
        price_sale([LineInput(1, 50_000, 800, Discount("amount", 50_001))])
    with pytest.raises(ValidationError, match="không được lớn hơn"):
        price_sale([LineInput(1, 50_000, 800)], Discount("amount", 60_000))
    with pytest.raises(ValidationError):
        Discount("percent", 10_001)
    with pytest.raises(ValidationError):
        Discount("amount", -1)
    with pytest.raises(ValidationError):
        Discount("bogus", 1)


def test_discount_limits_by_effective_percentage() -> None:
    assert not needs_approval(Discount("percent", 1000), 100_000, LIMITS)  # exactly 10%: the cashier may
    assert needs_approval(Discount("percent", 1001), 100_000, LIMITS)
    assert not needs_approval(Discount("amount", 10_000), 100_000, LIMITS)
    assert needs_approval(Discount("amount", 10_001), 100_000, LIMITS)  # 10,001%
    assert needs_approval(Discount("amount", 50_000), 100_000, LIMITS)  # 50%: a manager may
    with pytest.raises(ValidationError, match="tối đa 50%"):
        needs_approval(Discount("amount", 50_001), 100_000, LIMITS)
    with pytest.raises(ValidationError, match="tối đa 50%"):
        needs_approval(Discount("percent", 5001), 100_000, LIMITS)
    with pytest.raises(ValidationError, match="không được lớn hơn"):
        needs_approval(Discount("amount", 100_001), 100_000, LIMITS)
    # The percentage is judged as typed, not after rounding: 10% of 5 đồng rounds to 1 đồng (20%).
    assert not exceeds_limit(Discount("percent", 1000), 5, 1000)


def test_change_for_cash() -> None:
    assert change_due(500_000, 287_850) == 212_150
    assert change_due(287_850, 287_850) == 0
    with pytest.raises(ValidationError, match="Số tiền khách đưa chưa đủ"):
        change_due(287_000, 287_850)


def test_cash_only_and_exact_card_or_transfer() -> None:
    assert settle_payments([PaymentInput("cash", 500_000)], 287_850) == [
        SettledPayment("cash", 287_850, tendered_vnd=500_000, change_vnd=212_150)
    ]
    assert settle_payments([PaymentInput("transfer", 287_850)], 287_850) == [SettledPayment("transfer", 287_850)]
    assert settle_payments([PaymentInput("card", 287_850, " 123456 ")], 287_850) == [
        SettledPayment("card", 287_850, reference="123456")
    ]
    with pytest.raises(ValidationError, match="Số tiền khách đưa chưa đủ"):
        settle_payments([PaymentInput("cash", 287_000)], 287_850)
    with pytest.raises(ValidationError, match="Số tiền khách đưa chưa đủ"):
        settle_payments([PaymentInput("transfer", 287_000)], 287_850)
    with pytest.raises(ValidationError, match="vượt quá"):
        settle_payments([PaymentInput("card", 300_000, "1")], 287_850)
    with pytest.raises(ValidationError, match="mã giao dịch"):
        settle_payments([PaymentInput("card", 287_850)], 287_850)


def test_split_payment_gives_change_from_cash_only() -> None:
    settled = settle_payments([PaymentInput("card", 200_000, "A1"), PaymentInput("cash", 100_000)], 287_850)
    assert settled == [
        SettledPayment("cash", 87_850, tendered_vnd=100_000, change_vnd=12_150),
        SettledPayment("card", 200_000, reference="A1"),
    ]
    assert sum(p.amount_vnd for p in settled) == 287_850
    three = settle_payments(
        [PaymentInput("card", 100_000, "A1"), PaymentInput("transfer", 100_000), PaymentInput("cash", 87_850)], 287_850
    )
    assert [p.amount_vnd for p in three] == [87_850, 100_000, 100_000]
    with pytest.raises(ValidationError, match="còn thiếu 850"):
        settle_payments([PaymentInput("card", 200_000, "A1"), PaymentInput("cash", 87_000)], 287_850)
    with pytest.raises(ValidationError, match="bỏ khoản tiền mặt"):
        settle_payments([PaymentInput("transfer", 287_850), PaymentInput("cash", 10_000)], 287_850)
    with pytest.raises(ValidationError, match="một khoản tiền mặt"):
        settle_payments([PaymentInput("cash", 100_000), PaymentInput("cash", 200_000)], 287_850)


def test_change_of_a_whole_large_note_or_more_is_a_typo() -> None:
    assert settle_payments([PaymentInput("cash", 500_000)], 10_000)[0].change_vnd == 490_000
    with pytest.raises(ValidationError, match="quá nhiều"):
        settle_payments([PaymentInput("cash", 1_000_000)], 287_850)  # 712.150 back: one 500.000 note too many
    with pytest.raises(ValidationError, match="quá nhiều"):
        settle_payments([PaymentInput("cash", 89_345_678)], 287_850)  # an EAN-8 scanned into the cash field


@pytest.mark.parametrize("amount", [0, -5, True, 1.5, 10**13])
def test_absurd_payment_amounts_are_refused(amount) -> None:
    with pytest.raises(ValidationError):
        settle_payments([PaymentInput("cash", amount)], 10_000)


def test_unknown_method_and_missing_payment() -> None:
    with pytest.raises(ValidationError, match="Hình thức"):
        settle_payments([PaymentInput("cheque", 10_000)], 10_000)
    with pytest.raises(ValidationError, match="Chưa nhập"):
        settle_payments([], 10_000)
    assert settle_payments([], 0) == []


def test_quick_cash_buttons() -> None:
    assert cash_suggestions(287_850) == [287_850, 290_000, 300_000, 500_000]
    assert cash_suggestions(45_000) == [45_000, 50_000, 100_000, 200_000, 500_000]
    assert cash_suggestions(1_234_000) == [1_234_000, 1_240_000, 1_250_000, 1_300_000, 1_500_000]
    assert cash_suggestions(600_000) == [600_000, 1_000_000]
    assert cash_suggestions(0) == []
