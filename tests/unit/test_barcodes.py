"""Check digits, validation and in-store codes of pos.barcodes."""

from __future__ import annotations

import barcode
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos.barcodes import (
    INSTORE_PREFIXES,
    BarcodeError,
    barcode_kind,
    gtin14,
    gtin_check_digit,
    instore_ean13,
    is_instore,
    normalize_barcode,
)

# Published examples (GS1, Wikipedia) and two Vietnamese 893 codes whose check digits were worked by hand:
# 893456313816 -> 6·3+1+8·3+3+1·3+3+6·3+5+4·3+3+9·3+8 = 125 -> 5.
VALID = {
    "8934563138165": "ean13",
    "8936041234567": "ean13",
    "4006381333931": "ean13",
    "5901234123457": "ean13",
    "036000291452": "upca",
    "96385074": "ean8",
    "73513537": "ean8",
}


@pytest.mark.parametrize("code", VALID)
def test_check_digit_of_known_codes(code: str) -> None:
    assert gtin_check_digit(code[:-1]) == code[-1]


@pytest.mark.parametrize(("code", "kind"), VALID.items())
def test_known_codes_are_accepted_with_their_kind(code: str, kind: str) -> None:
    assert normalize_barcode(code) == code
    assert barcode_kind(code) == kind


def test_whitespace_from_scanner_or_typing_is_dropped() -> None:
    assert normalize_barcode(" 893 4563 13816 5\r\n") == "8934563138165"
    assert normalize_barcode("\t96385074\n") == "96385074"


def test_wrong_check_digit_names_the_right_one() -> None:
    with pytest.raises(BarcodeError, match="sai số kiểm tra: số cuối phải là 5"):
        normalize_barcode("8934563138166")


@pytest.mark.parametrize("raw", ["89345631381A5", "893-4563138165", "８９３４５６３１３８１６５", "٨٩٣٤٥٦٣١٣٨١٦٥"])
def test_anything_but_ascii_digits_is_refused(raw: str) -> None:
    with pytest.raises(BarcodeError, match="chỉ gồm chữ số"):
        normalize_barcode(raw)


@pytest.mark.parametrize("raw", ["1234567", "123456789", "12345678901", "12345678901231", "0"])
def test_wrong_length_is_refused(raw: str) -> None:
    with pytest.raises(BarcodeError, match="8, 12 hoặc 13 chữ số"):
        normalize_barcode(raw)


@pytest.mark.parametrize("raw", ["", "   ", None])
def test_empty_input_is_refused(raw: str | None) -> None:
    with pytest.raises(BarcodeError, match="Chưa nhập mã vạch"):
        normalize_barcode(raw)  # type: ignore[arg-type]


def test_barcode_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        barcode_kind("8934563138166")


def test_upca_and_its_13_digit_scan_share_a_gtin14() -> None:
    assert gtin14("036000291452") == gtin14("0036000291452") == "00036000291452"
    assert gtin14("96385074") == "00000096385074"


def test_instore_code_is_prefix_number_and_check_digit() -> None:
    # In-store codes are made in 04 (GS1 040–049, within a company), out of the scale labels' 20–29.
    assert instore_ean13(1) == "0400000000015"
    assert instore_ean13(1, prefix="20") == "2000000000015"  # the range codes were made in before: still valid
    # 290000001234: 4·3+3+2·3+1+9·3+2 = 51 -> 9
    assert instore_ean13(1234, prefix="29") == "2900000012349"
    assert instore_ean13(7, prefix="250") == "2500000000072"


def test_instore_codes_over_a_range_are_unique_and_valid() -> None:
    codes = [instore_ean13(n) for n in range(1, 5001)]
    assert len(set(codes)) == len(codes)
    assert all(normalize_barcode(c) == c and is_instore(c) for c in codes)


def test_instore_number_that_overflows_the_digits_is_refused() -> None:
    # 209999999999: 5·(9·3) + 5·9 + 2 = 182 -> 8
    assert instore_ean13(10**10 - 1, prefix="20") == "2099999999998"
    with pytest.raises(BarcodeError, match="hết mã vạch nội bộ"):
        instore_ean13(10**10)
    with pytest.raises(BarcodeError, match="hết mã vạch nội bộ"):
        instore_ean13(10**9, prefix="250")
    with pytest.raises(BarcodeError):
        instore_ean13(-1)


@pytest.mark.parametrize("prefix", ["19", "30", "2", "2a", "893", "２０"])
def test_instore_prefix_outside_20_to_29_is_refused(prefix: str) -> None:
    with pytest.raises(BarcodeError, match="20–29"):
        instore_ean13(1, prefix=prefix)


@pytest.mark.parametrize("code", ["8934563138165", "036000291452", "96385074", "2000000000016", "20000", ""])
def test_codes_outside_the_instore_range_or_invalid_are_not_instore(code: str) -> None:
    assert not is_instore(code)


@given(number=st.integers(min_value=0, max_value=10**10 - 1), prefix=st.sampled_from(INSTORE_PREFIXES))
def test_every_instore_code_validates_and_gives_its_number_back(number: int, prefix: str) -> None:
    code = instore_ean13(number, prefix=prefix)
    assert normalize_barcode(code) == code
    assert barcode_kind(code) == "ean13"
    assert is_instore(code)
    assert (code[:2], int(code[2:12])) == (prefix, number)  # one code per number: never reused


@given(body=st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_check_digit_agrees_with_python_barcode(body: str) -> None:
    assert body + gtin_check_digit(body) == barcode.get_barcode_class("ean13")(body).get_fullcode()


@st.composite
def valid_codes(draw: st.DrawFn) -> str:
    """A valid EAN-8, UPC-A or EAN-13."""
    length = draw(st.sampled_from([8, 12, 13]))
    body = draw(st.text(alphabet="0123456789", min_size=length - 1, max_size=length - 1))
    return body + gtin_check_digit(body)


@given(code=valid_codes(), data=st.data())
def test_changing_any_one_digit_makes_a_code_invalid(code: str, data: st.DataObject) -> None:
    position = data.draw(st.integers(min_value=0, max_value=len(code) - 1))
    digit = data.draw(st.sampled_from([d for d in "0123456789" if d != code[position]]))
    changed = code[:position] + digit + code[position + 1 :]
    assert normalize_barcode(code) == code
    with pytest.raises(BarcodeError, match="sai số kiểm tra"):
        normalize_barcode(changed)
