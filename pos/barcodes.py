"""Retail barcodes (EAN-13, EAN-8, UPC-A): check digits, validation, in-store codes, weighing-scale labels.

Pure functions on strings; the database keeps the never-reused counter behind ``instore_ean13``.

Two kinds of code are made inside the shop, in GS1's restricted-circulation ranges, and must never meet:
- the in-store codes this project assigns to products without a maker's code: prefix 04 (GS1 040–049,
  "restricted circulation within a company"). Until December 2026 they were made in 20–29; those already on
  labels stay valid, as a scan looks a code up among the stored barcodes before anything else.
- the labels a weighing scale prints (tem cân): prefixes 20–29 ("within a geographic region", used for
  variable-measure goods), with the layouts set in config.toml's [[scale.layout]].
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import groupby
from typing import Any, Literal

BarcodeKind = Literal["ean13", "ean8", "upca"]

_KIND_BY_LENGTH: dict[int, BarcodeKind] = {13: "ean13", 12: "upca", 8: "ean8"}

# GS1 "restricted circulation" prefixes 20–29: never issued to a company; the scale's labels live here, and
# in-store codes were made here before they moved to 04.
INSTORE_PREFIXES = tuple(str(p) for p in range(20, 30))
COMPANY_PREFIX = "04"  # GS1 040–049: restricted circulation within a company, where in-store codes are made now
DEFAULT_INSTORE_PREFIX = COMPANY_PREFIX


class BarcodeError(ValueError):
    """A barcode that cannot be used; the message is Vietnamese, ready for the screen."""


def gtin_check_digit(body: str) -> str:
    """The GS1 mod-10 check digit for a GTIN body (every code without its last digit)."""
    if not body or not (body.isascii() and body.isdigit()):
        raise BarcodeError("Mã vạch chỉ gồm chữ số")
    # Weights 3, 1, 3, … counted from the rightmost body digit, the same rule for GTIN-8/12/13/14.
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return str(-total % 10)


def normalize_barcode(raw: str) -> str:
    """Strip whitespace and return the code if it is a valid EAN-13, EAN-8 or UPC-A; else BarcodeError."""
    # Scanners add a trailing newline, people type "893 4563 13816 5": drop every kind of space.
    code = "".join((raw or "").split())
    if not code:
        raise BarcodeError("Chưa nhập mã vạch")
    if not (code.isascii() and code.isdigit()):
        raise BarcodeError("Mã vạch chỉ gồm chữ số")
    if len(code) not in _KIND_BY_LENGTH:
        raise BarcodeError(f"Mã vạch phải có 8, 12 hoặc 13 chữ số (đang có {len(code)})")
    expected = gtin_check_digit(code[:-1])
    if code[-1] != expected:
        raise BarcodeError(f"Mã vạch sai số kiểm tra: số cuối phải là {expected}")
    return code


def barcode_kind(code: str) -> BarcodeKind:
    """'ean13', 'ean8' or 'upca' for a valid code (validated first, so a bad code raises)."""
    return _KIND_BY_LENGTH[len(normalize_barcode(code))]


def gtin14(code: str) -> str:
    """The 14-digit form GS1 compares codes in: a UPC-A scanned as 13 digits ("0…") is the same product."""
    return normalize_barcode(code).zfill(14)


def instore_ean13(number: int, prefix: str = DEFAULT_INSTORE_PREFIX) -> str:
    """The in-store EAN-13 for sequence ``number``: prefix, number zero-padded, check digit."""
    if not (prefix.isascii() and prefix.isdigit() and _is_instore_prefix(prefix) and len(prefix) <= 11):
        raise BarcodeError(f"Tiền tố mã vạch nội bộ phải bắt đầu bằng 04 (hoặc 20–29) (đang là {prefix!r})")
    width = 12 - len(prefix)
    if not 0 <= number < 10**width:
        raise BarcodeError(f"Số thứ tự {number} vượt quá {10**width - 1} — hết mã vạch nội bộ với tiền tố {prefix}")
    body = f"{prefix}{number:0{width}d}"
    return body + gtin_check_digit(body)


def is_instore(code: str) -> bool:
    """True for a valid EAN-13 from the restricted-circulation range 20–29."""
    try:
        code = normalize_barcode(code)
    except BarcodeError:
        return False
    return len(code) == 13 and _is_instore_prefix(code)


def _is_instore_prefix(text: str) -> bool:
    return text[:2] in INSTORE_PREFIXES or text[:2] == COMPANY_PREFIX


# --- Weighing-scale labels --------------------------------------------------------------------------------------

# A layout names each of the 13 digits: P prefix, I item code (the scale's PLU), W weight in grams,
# V price (in units of price_unit_vnd), C the GS1 price/weight check digit of the W or V field, K the EAN check.
SCALE_LETTERS = frozenset("PIWVCK")

# GS1 General Specifications 7.9.3: the weighted products of the price/weight check digit.
_TWO_MINUS = (0, 2, 4, 6, 8, 9, 1, 3, 5, 7)
_THREE = (0, 3, 6, 9, 2, 5, 8, 1, 4, 7)
_FIVE_PLUS = (0, 5, 1, 6, 2, 7, 3, 8, 4, 9)
_FIVE_MINUS = (0, 5, 9, 4, 8, 3, 7, 2, 6, 1)


def price_check_digit(field: str) -> str:
    """The GS1 check digit of a 4- or 5-digit price or weight field embedded in a scale label."""
    if not (field.isascii() and field.isdigit() and len(field) in (4, 5)):
        raise BarcodeError("Trường giá/khối lượng có số kiểm tra phải gồm 4 hoặc 5 chữ số")
    d = [int(c) for c in field]
    if len(d) == 4:
        total = _TWO_MINUS[d[0]] + _TWO_MINUS[d[1]] + _THREE[d[2]] + _FIVE_MINUS[d[3]]
        return str(total * 3 % 10)
    total = _FIVE_PLUS[d[0]] + _TWO_MINUS[d[1]] + _FIVE_MINUS[d[2]] + _FIVE_PLUS[d[3]] + _TWO_MINUS[d[4]]
    return str(_FIVE_MINUS.index(-total % 10))


@dataclass(frozen=True)
class ScaleLayout:
    """One layout of scale labels: the two-digit prefixes it covers and what each of the 13 digits holds."""

    prefixes: tuple[str, ...]
    pattern: str
    price_unit_vnd: int = 1  # a V field counts this many đồng (some scales print the price in hundreds)

    def __post_init__(self) -> None:
        p = self.pattern
        letters = set(p)
        fields = [c for c in "IWV" if c in letters]
        ok = (
            len(p) == 13
            and letters <= SCALE_LETTERS
            and p.startswith("PP")
            and p.endswith("K")
            and p.count("K") == 1
            and "I" in letters
            and len(fields) == 2
            and ("W" in letters) != ("V" in letters)
            and p.count("C") <= 1
            and _runs_are_contiguous(p)
            and self.prefixes
            and all(len(x) == 2 and x in INSTORE_PREFIXES for x in self.prefixes)
            and self.price_unit_vnd in (1, 10, 100, 1000)
        )
        if ok and "C" in letters:
            value = self.value_field
            ok = len(value) in (4, 5)
        if not ok:
            raise BarcodeError(
                f"Cấu hình tem cân không hợp lệ: pattern {p!r}, prefixes {list(self.prefixes)!r} "
                "(13 ký tự P…K: PP tiền tố 20–29, I mã hàng, W khối lượng gam hoặc V giá, C số kiểm tra giá, K)"
            )

    @property
    def embeds(self) -> str:
        """'weight' or 'price': what the label carries beside the item code."""
        return "weight" if "W" in self.pattern else "price"

    @property
    def value_field(self) -> str:
        """The letters of the weight or price field (WWWWW or VVVVV)."""
        letter = "W" if self.embeds == "weight" else "V"
        return letter * self.pattern.count(letter)


def _runs_are_contiguous(pattern: str) -> bool:
    """Each letter of a layout fills one run of digits ('PPIIIIIWWWWWK', never 'PPIIWWIII…')."""
    runs = [letter for letter, _ in groupby(pattern)]
    return len(runs) == len(set(runs))


@dataclass(frozen=True)
class ScaleLabel:
    """What a scale label says: the item code (PLU), and the weight in grams or the price in đồng."""

    code: str
    item_code: int
    grams: int | None
    price_vnd: int | None
    price_unit_vnd: int = 1  # how finely the scale printed the price (its rounding)


def scale_layouts(config: Mapping[str, Any]) -> tuple[ScaleLayout, ...]:
    """The layouts set in config.toml's [[scale.layout]] tables (flattened as SCALE_LAYOUT)."""
    layouts = []
    for table in config.get("SCALE_LAYOUT") or ():
        raw = table.get("prefixes", ())
        prefixes = _prefix_range(raw) if isinstance(raw, str) else tuple(str(x) for x in raw)
        layouts.append(ScaleLayout(prefixes, str(table.get("pattern", "")), int(table.get("price_unit_vnd", 1))))
    seen: set[str] = set()
    for layout in layouts:
        if clash := seen & set(layout.prefixes):
            raise BarcodeError(f"Cấu hình tem cân: tiền tố {sorted(clash)} có ở hai layout")
        seen |= set(layout.prefixes)
    return tuple(layouts)


def _prefix_range(text: str) -> tuple[str, ...]:
    """'21' -> ('21',); '21-23' -> ('21', '22', '23')."""
    low, _, high = text.partition("-")
    if not (low.isdigit() and (not high or high.isdigit())):
        raise BarcodeError(f'Cấu hình tem cân: tiền tố {text!r} không hợp lệ (ví dụ "21" hoặc "21-23")')
    return tuple(str(n) for n in range(int(low), int(high or low) + 1))


def check_instore_prefix(prefix: str, layouts: Iterable[ScaleLayout]) -> str:
    """The in-store prefix, refused when scale labels use it too (a code could then name two products)."""
    for layout in layouts:
        if prefix[:2] in layout.prefixes:
            raise BarcodeError(
                f"Tiền tố mã vạch nội bộ {prefix} trùng với tiền tố tem cân {prefix[:2]}: "
                f'đặt [labels] instore_prefix = "{COMPANY_PREFIX}"'
            )
    return prefix


def instore_prefix(config: Mapping[str, Any]) -> str:
    """The in-store prefix set in config.toml ([labels] instore_prefix), checked against the scale layouts."""
    prefix = str(config.get("LABELS_INSTORE_PREFIX") or DEFAULT_INSTORE_PREFIX)
    instore_ean13(0, prefix)  # a prefix no code can be made with is refused here, at start-up
    return check_instore_prefix(prefix, scale_layouts(config))


def layout_for(code: str, layouts: Iterable[ScaleLayout]) -> ScaleLayout | None:
    """The scale layout a 13-digit code's prefix falls in, if any."""
    if len(code) != 13:
        return None
    return next((layout for layout in layouts if code[:2] in layout.prefixes), None)


def parse_scale_label(raw: str, layouts: Iterable[ScaleLayout]) -> ScaleLabel | None:
    """A scale label read by its layout; None when no layout covers the code's prefix.

    The EAN check digit and, where the layout has one, the price/weight check digit are verified: a wrong one
    raises BarcodeError with words for the cashier (the label is misprinted or misread: scan again or weigh again).
    """
    code = "".join((raw or "").split())
    if not (code.isascii() and code.isdigit()) or len(code) != 13:
        return None
    layout = layout_for(code, layouts)
    if layout is None:
        return None
    expected = gtin_check_digit(code[:-1])
    if code[-1] != expected:
        raise BarcodeError(f"Tem cân {code} sai số kiểm tra (số cuối phải là {expected}): quét lại hoặc cân lại")
    fields: dict[str, str] = {}
    for letter, digit in zip(layout.pattern, code, strict=True):
        fields[letter] = fields.get(letter, "") + digit
    value = fields["W" if layout.embeds == "weight" else "V"]
    if "C" in fields and fields["C"] != price_check_digit(value):
        raise BarcodeError(
            f"Tem cân {code} sai số kiểm tra của {'khối lượng' if layout.embeds == 'weight' else 'giá'}: "
            "tem in lỗi hoặc quét sai, hãy cân lại"
        )
    if layout.embeds == "weight":
        return ScaleLabel(code, int(fields["I"]), int(value), None)
    return ScaleLabel(code, int(fields["I"]), None, int(value) * layout.price_unit_vnd, layout.price_unit_vnd)


def make_scale_label(layout: ScaleLayout, prefix: str, item_code: int, value: int) -> str:
    """The code a scale would print: ``value`` is grams or đồng (a multiple of the layout's price unit)."""
    width_i = layout.pattern.count("I")
    field = layout.value_field
    if layout.embeds == "price":
        if value % layout.price_unit_vnd:
            raise BarcodeError(f"Giá {value} không chia hết cho {layout.price_unit_vnd} đồng")
        value //= layout.price_unit_vnd
    if prefix not in layout.prefixes or not 0 <= item_code < 10**width_i or not 0 <= value < 10 ** len(field):
        raise BarcodeError("Mã hàng hoặc giá/khối lượng vượt quá số chữ số của tem cân")
    parts = {"P": prefix, "I": f"{item_code:0{width_i}d}", field[0]: f"{value:0{len(field)}d}"}
    if "C" in layout.pattern:
        parts["C"] = price_check_digit(parts[field[0]])
    taken = {letter: 0 for letter in parts}
    body = ""
    for letter in layout.pattern[:-1]:
        body += parts[letter][taken[letter]]
        taken[letter] += 1
    return body + gtin_check_digit(body)
