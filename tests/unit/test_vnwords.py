"""Amounts read out in Vietnamese words, checked by hand and by reading them back."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos.vnwords import MAX_AMOUNT_VND, amount_in_words

HAND_CHECKED = [
    (0, "Không đồng"),
    (1, "Một đồng"),
    (4, "Bốn đồng"),
    (5, "Năm đồng"),
    (10, "Mười đồng"),
    (11, "Mười một đồng"),
    (14, "Mười bốn đồng"),
    (15, "Mười lăm đồng"),
    (19, "Mười chín đồng"),
    (20, "Hai mươi đồng"),
    (21, "Hai mươi mốt đồng"),
    (24, "Hai mươi tư đồng"),
    (25, "Hai mươi lăm đồng"),
    (55, "Năm mươi lăm đồng"),
    (91, "Chín mươi mốt đồng"),
    (100, "Một trăm đồng"),
    (101, "Một trăm linh một đồng"),
    (104, "Một trăm linh bốn đồng"),
    (105, "Một trăm linh năm đồng"),
    (110, "Một trăm mười đồng"),
    (111, "Một trăm mười một đồng"),
    (115, "Một trăm mười lăm đồng"),
    (121, "Một trăm hai mươi mốt đồng"),
    (999, "Chín trăm chín mươi chín đồng"),
    (1_000, "Một nghìn đồng"),
    (1_005, "Một nghìn không trăm linh năm đồng"),
    (1_015, "Một nghìn không trăm mười lăm đồng"),
    (1_100, "Một nghìn một trăm đồng"),
    (2_021, "Hai nghìn không trăm hai mươi mốt đồng"),
    (15_000, "Mười lăm nghìn đồng"),
    (45_500, "Bốn mươi lăm nghìn năm trăm đồng"),
    (185_000, "Một trăm tám mươi lăm nghìn đồng"),
    (1_000_000, "Một triệu đồng"),
    (1_000_005, "Một triệu không trăm linh năm đồng"),
    (1_005_000, "Một triệu không trăm linh năm nghìn đồng"),
    (1_250_000, "Một triệu hai trăm năm mươi nghìn đồng"),
    (1_300_000, "Một triệu ba trăm nghìn đồng"),
    (21_540_000, "Hai mươi mốt triệu năm trăm bốn mươi nghìn đồng"),
    (1_000_000_000, "Một tỷ đồng"),
    (1_000_000_001, "Một tỷ không trăm linh một đồng"),
    (2_021_000_000, "Hai tỷ không trăm hai mươi mốt triệu đồng"),
    (10_000_000_000, "Mười tỷ đồng"),
    (1_000_000_000_000, "Một nghìn tỷ đồng"),
    (5_000_100_000_000, "Năm nghìn tỷ một trăm triệu đồng"),
    (
        999_999_999_999_999,
        "Chín trăm chín mươi chín nghìn chín trăm chín mươi chín tỷ chín trăm chín mươi chín triệu "
        "chín trăm chín mươi chín nghìn chín trăm chín mươi chín đồng",
    ),
    (-1_500, "Âm một nghìn năm trăm đồng"),
    (-25, "Âm hai mươi lăm đồng"),
]


@pytest.mark.parametrize(("amount", "words"), HAND_CHECKED)
def test_hand_checked_readings(amount: int, words: str) -> None:
    assert amount_in_words(amount) == words


@pytest.mark.parametrize("amount", [MAX_AMOUNT_VND + 1, -MAX_AMOUNT_VND - 1])
def test_out_of_range_is_refused(amount: int) -> None:
    with pytest.raises(ValueError):
        amount_in_words(amount)


@pytest.mark.parametrize("amount", [1.5, "100", True, None])
def test_only_ints_are_read(amount: object) -> None:
    with pytest.raises(TypeError):
        amount_in_words(amount)  # type: ignore[arg-type]


_UNITS = {
    "không": 0,
    "một": 1,
    "mốt": 1,
    "hai": 2,
    "ba": 3,
    "bốn": 4,
    "tư": 4,
    "năm": 5,
    "lăm": 5,
    "sáu": 6,
    "bảy": 7,
    "tám": 8,
    "chín": 9,
}


def _words_to_int(text: str) -> int:
    """An independent reader of the words back to a number (lenient about conventions)."""
    assert text.endswith(" đồng")
    words = text.removesuffix(" đồng").lower().split()
    sign = 1
    if words[0] == "âm":
        sign, words = -1, words[1:]
    billions = below_billion = group = last = 0
    for word in words:
        if word in _UNITS:
            last = _UNITS[word]
            group += last
        elif word == "mười":
            group += 10
        elif word == "mươi":
            group += last * 9
        elif word == "trăm":
            group += last * 99
        elif word == "linh":
            pass
        elif word == "nghìn":
            below_billion += group * 1_000
            group = 0
        elif word == "triệu":
            below_billion += group * 1_000_000
            group = 0
        elif word == "tỷ":
            billions += below_billion + group
            below_billion = group = 0
        else:
            raise AssertionError(f"unexpected word {word!r} in {text!r}")
    return sign * (billions * 1_000_000_000 + below_billion + group)


@given(st.integers(min_value=-MAX_AMOUNT_VND, max_value=MAX_AMOUNT_VND))
def test_words_read_back_to_the_amount(amount: int) -> None:
    words = amount_in_words(amount)
    assert _words_to_int(words) == amount
    assert words[0].isupper() and words[1:] == words[1:].lower()
    assert "  " not in words


@given(st.integers(min_value=1, max_value=MAX_AMOUNT_VND))
def test_special_words_appear_only_where_they_belong(amount: int) -> None:
    words = amount_in_words(amount).lower().split()
    for before, word in zip(words, words[1:], strict=False):
        if word == "linh":
            assert before == "trăm"
        if word in ("mốt", "tư"):
            assert before == "mươi"
        if word == "lăm":
            assert before in ("mười", "mươi")
        if before == "không":
            assert word == "trăm"
