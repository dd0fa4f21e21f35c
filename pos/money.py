"""Integer đồng: formatting, VAT inside VAT-inclusive prices, discounts.

Money is always an ``int`` of đồng; rates are integer basis points (800 = 8%).
Rounding is half-up to the whole đồng, done in integers so no float ever touches money.
"""

from __future__ import annotations

BP = 10_000  # basis points in 100%


def div_round(numerator: int, denominator: int) -> int:
    """Divide two integers, rounding half away from zero."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    sign = -1 if numerator < 0 else 1
    q, r = divmod(abs(numerator), denominator)
    if 2 * r >= denominator:
        q += 1
    return sign * q


def line_amount_vnd(qty: int, unit_price_vnd: int, qty_per_price_unit: int = 1) -> int:
    """What ``qty`` costs at ``unit_price_vnd``, rounded half-up to the đồng: the one place a line's amount is made.

    ``qty_per_price_unit`` is how many of the quantity's units the price is for: 1 for goods sold by the piece,
    1000 for goods weighed in grams and priced per kg (350 g at 120.000 ₫/kg = 42.000 ₫).
    """
    if qty_per_price_unit == 1:  # by the piece: exact, no rounding (the ingest checks every line of every push)
        return qty * unit_price_vnd
    return div_round(qty * unit_price_vnd, qty_per_price_unit)


def part_sql(amount: str, part: str, whole: str) -> str:
    """``amount`` × ``part`` / ``whole`` rounded half-up to the đồng, as SQL over columns (SQLite and PostgreSQL,
    non-negative values, ``whole`` above zero): what a return of ``part`` of a line's ``whole`` quantity takes
    back of an amount given on the line (its promotion's cost, for the settlement and the office's report)."""
    return f"({amount} * {part} * 2 + {whole}) / (2 * {whole})"


def format_vnd(amount_vnd: int, symbol: bool = True) -> str:
    """1250000 -> '1.250.000 ₫' (dots group thousands, as Vietnamese write it)."""
    digits = f"{abs(int(amount_vnd)):,}".replace(",", ".")
    sign = "-" if amount_vnd < 0 else ""
    return f"{sign}{digits} ₫" if symbol else f"{sign}{digits}"


def parse_vnd(text: str) -> int:
    """'1.250.000 ₫', '1250000', '1 250 000' -> 1250000. Raises ValueError on anything else."""
    cleaned = (text or "").strip().replace("₫", "").replace("đ", "").replace("VND", "").strip()
    cleaned = cleaned.replace(".", "").replace(" ", "").replace("\u00a0", "").replace(",", "")
    if cleaned.startswith("-"):
        raise ValueError("negative amount")
    if not cleaned.isdigit() or not cleaned.isascii():
        raise ValueError(f"not an amount: {text!r}")
    if len(cleaned) > 13:  # 10 000 tỷ đồng is past anything a showroom sees
        raise ValueError("amount too large")
    return int(cleaned)


def vat_included(gross_vnd: int, rate_bp: int) -> int:
    """The VAT contained in a VAT-inclusive amount: gross * r / (1 + r), rounded to the đồng."""
    if rate_bp <= 0:
        return 0
    return div_round(gross_vnd * rate_bp, BP + rate_bp)


def percent_of(amount_vnd: int, percent_bp: int) -> int:
    """A percentage (in basis points) of an amount, rounded to the đồng."""
    return div_round(amount_vnd * percent_bp, BP)


def allocate(total_vnd: int, weights: list[int]) -> list[int]:
    """Split ``total_vnd`` across ``weights`` in proportion, the parts summing exactly to the total.

    Largest-remainder method, so a sale discount spread over lines never loses or invents a đồng.
    """
    if not weights:
        return []
    weight_sum = sum(weights)
    if weight_sum == 0:
        return [0] * len(weights)
    parts = [total_vnd * w // weight_sum for w in weights]
    remainders = [(total_vnd * w % weight_sum, i) for i, w in enumerate(weights)]
    short = total_vnd - sum(parts)
    for _, i in sorted(remainders, key=lambda r: (-r[0], r[1]))[:short]:
        parts[i] += 1
    return parts


def format_bp(rate_bp: int) -> str:
    """800 -> '8%', 1050 -> '10,5%'."""
    whole, frac = divmod(rate_bp, 100)
    return f"{whole}%" if frac == 0 else f"{whole},{frac:02d}".rstrip("0") + "%"
