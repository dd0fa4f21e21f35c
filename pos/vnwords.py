"""Amounts of đồng read out in Vietnamese words, for the "Bằng chữ" line on receipts.

Follows the accounting convention: groups of three digits, "linh" for a zero tens digit, and a full
"không trăm ..." reading of any group that follows a larger one (1 005 000 -> "một triệu không trăm
linh năm nghìn").
"""

from __future__ import annotations

MAX_AMOUNT_VND = 999_999_999_999_999

_DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
_BILLION = 1_000_000_000
# Scales below a billion; billions are read recursively so that "nghìn tỷ" comes out on its own.
_SCALES = ((1_000_000, "triệu"), (1_000, "nghìn"), (1, ""))


def _read_group(n: int, is_leading: bool) -> list[str]:
    """Words for 0 < n < 1000; a group after a larger one reads its zero hundreds ("không trăm")."""
    hundreds, rest = divmod(n, 100)
    tens, units = divmod(rest, 10)
    words: list[str] = []
    if hundreds or not is_leading:
        words += [_DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units:
            # "linh" only bridges a hundreds word to the units; a bare 5 is just "năm".
            if words:
                words.append("linh")
            words.append(_DIGITS[units])
        return words
    if tens == 1:
        words.append("mười")
    else:
        words += [_DIGITS[tens], "mươi"]
    if units == 1:
        words.append("mốt" if tens > 1 else "một")  # "hai mươi mốt", but "mười một"
    elif units == 4:
        words.append("tư" if tens > 1 else "bốn")  # "hai mươi tư", but "mười bốn"
    elif units == 5:
        words.append("lăm")  # "mười lăm", "hai mươi lăm"
    elif units:
        words.append(_DIGITS[units])
    return words


def _read(n: int, is_leading: bool) -> list[str]:
    """Words for 0 < n <= MAX_AMOUNT_VND."""
    words: list[str] = []
    if n >= _BILLION:
        high, n = divmod(n, _BILLION)
        words += _read(high, is_leading) + ["tỷ"]
        is_leading = False
    for scale, name in _SCALES:
        group, n = divmod(n, scale)
        if group:
            words += _read_group(group, is_leading and not words)
            if name:
                words.append(name)
    return words


def amount_in_words(amount_vnd: int) -> str:
    """1_250_000 -> 'Một triệu hai trăm năm mươi nghìn đồng'."""
    if isinstance(amount_vnd, bool) or not isinstance(amount_vnd, int):
        raise TypeError(f"amount must be an int of đồng, not {type(amount_vnd).__name__}")
    if abs(amount_vnd) > MAX_AMOUNT_VND:
        raise ValueError(f"amount out of range: {amount_vnd}")
    words = _read(abs(amount_vnd), is_leading=True) if amount_vnd else ["không"]
    if amount_vnd < 0:
        words.insert(0, "âm")
    text = " ".join(words) + " đồng"
    return text[0].upper() + text[1:]
