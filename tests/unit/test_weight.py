"""Goods sold by weight: grams and prices per kg, the one rounding rule, weights typed at the till, scale labels."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import create_engine, text

from pos.barcodes import (
    BarcodeError,
    ScaleLayout,
    check_instore_prefix,
    gtin_check_digit,
    instore_ean13,
    instore_prefix,
    make_scale_label,
    parse_scale_label,
    price_check_digit,
    scale_layouts,
)
from pos.config import load_config
from pos.money import div_round, line_amount_vnd
from pos.quantity import (
    PIECE,
    WEIGHT,
    WeightError,
    amount_sql,
    format_line,
    format_qty,
    line_amount,
    parse_weight,
    qty_decimal,
)
from pos.sales.pricing import LineInput, price_sale

LAYOUTS = scale_layouts(load_config())  # the layouts config.toml ships with, each tested below


def test_a_weighed_line_is_grams_times_the_price_per_kg_rounded_half_up() -> None:
    assert line_amount(350, 120_000, WEIGHT) == 42_000
    assert line_amount(333, 99_999, WEIGHT) == 33_300  # 33 299,667
    assert line_amount(1, 500, WEIGHT) == 1  # 0,5 đồng rounds up
    assert line_amount(1, 499, WEIGHT) == 0
    assert line_amount(3, 45_000, PIECE) == 135_000
    assert line_amount_vnd(7, 1_000, 1) == 7_000


@given(qty=st.integers(0, 50_000), price=st.integers(0, 5_000_000))
def test_the_sql_rule_is_the_python_rule(qty: int, price: int) -> None:
    engine = create_engine("sqlite://")
    with engine.connect() as conn:
        expr = amount_sql(":q", ":p", ":s")
        for sold_by in (PIECE, WEIGHT):
            got = conn.execute(text(f"SELECT {expr}"), {"q": qty, "p": price, "s": sold_by}).scalar()
            assert got == line_amount(qty, price, sold_by)


def test_quantities_in_display_units() -> None:
    assert format_qty(350, WEIGHT) == "0,350 kg"
    assert format_qty(12_345, WEIGHT) == "12,345 kg"
    assert format_qty(2, PIECE) == "2" and format_qty(1_200, PIECE, "hộp") == "1.200 hộp"
    assert format_line(350, 120_000, WEIGHT) == "0,350 kg × 120.000 ₫/kg"
    assert format_line(2, 45_000, PIECE) == "2 × 45.000 ₫"
    assert qty_decimal(350, WEIGHT) == Decimal("0.350") and str(qty_decimal(350, WEIGHT)) == "0.350"
    assert qty_decimal(2, PIECE) == 2


@pytest.mark.parametrize(
    ("typed", "grams"),
    [
        ("350", 350),
        ("350 g", 350),
        ("350g", 350),
        ("0,35", 350),
        ("0.350", 350),
        ("0,35 kg", 350),
        ("1,5", 1_500),
        ("1.500", 1_500),  # a dot grouping grams and a kg point agree: 1.500 g = 1,500 kg
        ("2 kg", 2_000),
        ("2KG", 2_000),
        (" 12,345 ", 12_345),
    ],
)
def test_a_weight_is_typed_in_grams_or_kg(typed: str, grams: int) -> None:
    assert parse_weight(typed) == grams


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("0", "lớn hơn 0"),
        ("0,000", "lớn hơn 0"),
        ("2", "quá nhỏ"),  # "2" meant 2 kg
        ("51 kg", "vượt quá 50 kg"),
        ("0,3505", "không đọc được"),  # a fraction of a gram
        ("350,5 g", "phần lẻ của gam"),
        ("-350", "không đọc được"),
        ("abc", "không đọc được"),
        ("", "không đọc được"),
    ],
)
def test_zero_and_absurd_weights_are_refused(typed: str, message: str) -> None:
    with pytest.raises(WeightError, match=message):
        parse_weight(typed)


def test_the_gs1_price_check_digit() -> None:
    # The worked examples of GS1 General Specifications 7.9.3 (4- and 5-digit price fields).
    assert price_check_digit("2875") == "9"
    assert price_check_digit("14685") == "6"
    with pytest.raises(BarcodeError):
        price_check_digit("123")


def _with_ean_check(body12: str) -> str:
    return body12 + gtin_check_digit(body12)


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda layout: layout.pattern)
def test_each_configured_layout_reads_back_and_refuses_wrong_check_digits(layout: ScaleLayout) -> None:
    prefix = layout.prefixes[-1]
    value = 350 if layout.embeds == "weight" else 42_000
    code = make_scale_label(layout, prefix, 42, value)
    assert len(code) == 13 and code.startswith(prefix)
    label = parse_scale_label(code, LAYOUTS)
    assert label is not None and label.item_code == 42
    assert (label.grams, label.price_vnd) == ((350, None) if layout.embeds == "weight" else (None, 42_000))

    wrong_ean = code[:-1] + str((int(code[-1]) + 1) % 10)
    with pytest.raises(BarcodeError, match="sai số kiểm tra"):
        parse_scale_label(wrong_ean, LAYOUTS)
    if "C" in layout.pattern:
        at = layout.pattern.index("C")
        wrong_price = _with_ean_check(code[:at] + str((int(code[at]) + 1) % 10) + code[at + 1 : 12])
        with pytest.raises(BarcodeError, match="sai số kiểm tra của"):
            parse_scale_label(wrong_price, LAYOUTS)
        # A misread price digit (check digits left as printed, the EAN one made right) is caught too.
        field = layout.pattern.index(layout.value_field[0])
        misread = _with_ean_check(code[:field] + str((int(code[field]) + 1) % 10) + code[field + 1 : 12])
        with pytest.raises(BarcodeError, match="sai số kiểm tra của"):
            parse_scale_label(misread, LAYOUTS)


def test_a_layout_with_a_price_check_before_a_weight() -> None:
    layout = ScaleLayout(("28",), "PPIIIICWWWWWK")
    code = make_scale_label(layout, "28", 7, 1_234)
    assert code[6] == price_check_digit("01234")
    assert parse_scale_label(code, [layout]).grams == 1_234  # type: ignore[union-attr]


def test_codes_outside_the_scale_prefixes_are_not_scale_labels() -> None:
    assert parse_scale_label(instore_ean13(1), LAYOUTS) is None  # in-store codes: 04
    assert parse_scale_label("8934563138165", LAYOUTS) is None
    assert parse_scale_label(instore_ean13(1, prefix="20"), LAYOUTS) is None  # 20 is left to the old codes


@pytest.mark.parametrize(
    "pattern",
    [
        "PPIIIIIWWWWW",
        "PPIIIIIWWWWWKK",
        "PIIIIIIWWWWWK",
        "PPIIIIIVVWWWK",
        "PPIIWWWWWIIIK",
        "PPIIIICCWWWWK",
        "PPCIIIWWWWWWK",
    ],
)
def test_bad_layouts_are_refused(pattern: str) -> None:
    with pytest.raises(BarcodeError, match="Cấu hình tem cân"):
        ScaleLayout(("21",), pattern)


def test_layouts_from_config_and_their_clashes() -> None:
    assert {p for layout in LAYOUTS for p in layout.prefixes} == {"21", "22", "23", "24"}
    assert instore_prefix(load_config()) == "04"
    config = {"SCALE_LAYOUT": [{"prefixes": "20-22", "pattern": "PPIIIIIWWWWWK"}], "LABELS_INSTORE_PREFIX": "21"}
    with pytest.raises(BarcodeError, match="trùng với tiền tố tem cân 21"):
        instore_prefix(config)
    with pytest.raises(BarcodeError, match="có ở hai layout"):
        scale_layouts({"SCALE_LAYOUT": [{"prefixes": "21", "pattern": "PPIIIIIWWWWWK"}] * 2})
    assert check_instore_prefix("29", scale_layouts(config)) == "29"


def test_a_weighed_sale_prices_vat_exactly() -> None:
    # 350 g of tea at 120.000 ₫/kg (8%) and 1,275 kg of oranges at 35.000 ₫/kg (5%), a 10% sale discount.
    from pos.sales.pricing import Discount

    sale = price_sale(
        [LineInput(350, 120_000, 800, sold_by=WEIGHT), LineInput(1_275, 35_000, 500, sold_by=WEIGHT)],
        Discount("percent", 1_000),
    )
    assert [line.gross_vnd for line in sale.lines] == [42_000, 44_625]
    assert sale.subtotal_vnd == 86_625
    assert sale.sale_discount_vnd == div_round(86_625 * 1_000, 10_000) == 8_663
    assert sale.total_vnd == 86_625 - 8_663
    assert [(p.rate_bp, p.gross_vnd, p.vat_vnd) for p in sale.vat] == [
        (800, 42_000 - 4_200, div_round(37_800 * 800, 10_800)),
        (500, 44_625 - 4_463, div_round(40_162 * 500, 10_500)),
    ]


def test_the_central_check_reads_a_weighed_line_per_kg_and_an_old_line_as_pieces() -> None:
    import msgspec

    from pos.central.checks import check_sale
    from pos.sync.contract import SaleLineIn

    base = {
        "line_no": 1,
        "product_uuid": "6f1c1f6e-0000-4000-8000-000000000001",
        "producer_uuid": "6f1c1f6e-0000-4000-8000-000000000002",
        "name": "Cam Cao Phong",
        "sku": "SP1",
        "unit": "kg",
        "qty": 1_275,
        "unit_price_vnd": 35_000,
        "discount_vnd": 0,
        "total_vnd": 44_625,
        "vat_rate_bp": 500,
        "vat_vnd": 2_125,
    }
    weighed = msgspec.convert(base | {"sold_by": "weight"}, SaleLineIn)
    old = msgspec.convert(base, SaleLineIn)  # a showroom before version 3 sent no sold_by: pieces
    assert old.sold_by == "piece"

    class Sale:
        lines = [weighed]
        subtotal_vnd = total_vnd = 44_625
        line_discount_vnd = sale_discount_vnd = 0
        vat_vnd = 2_125
        payments: list = []

    problems = [p["field"] for p in check_sale(Sale())]
    assert not [f for f in problems if f.startswith("lines") or f == "subtotal_vnd"], problems
