"""Labels for weighed packs (tem hàng cân): the weight, the price per kg and the pack's price, and a scale code.

A pack weighed in the back room gets the same EAN-13 a counter scale would print (the first weight-embedded
layout of config.toml's [[scale.layout]], or a price-embedded one), so the till reads it like a scale label.
"""

from __future__ import annotations

from collections.abc import Sequence

from pos.barcodes import BarcodeError, ScaleLayout, make_scale_label
from pos.catalog.models import Product
from pos.errors import ValidationError
from pos.labels.render import LabelItem
from pos.quantity import is_weighed, line_amount


def weighed_label(product: Product, grams: int, layouts: Sequence[ScaleLayout], stars: int | None) -> LabelItem:
    """The label of one pack of ``grams`` of a product sold by weight; refused when no scale code can carry it."""
    if not is_weighed(product.sold_by):
        raise ValidationError(f"“{product.name}” bán theo cái: tem hàng cân chỉ dành cho hàng bán theo cân.", "weight")
    if product.scale_plu is None:
        raise ValidationError(f"“{product.name}” chưa có mã cân (PLU): đặt mã cân ở trang sản phẩm.", "weight")
    price = line_amount(grams, product.price_vnd, product.sold_by)
    ordered = sorted(layouts, key=lambda layout: layout.embeds != "weight")  # weight first: exact to the gram
    for layout in ordered:
        value = grams if layout.embeds == "weight" else price
        try:
            code = make_scale_label(layout, layout.prefixes[0], product.scale_plu, value)
        except BarcodeError:
            continue  # item code or value too wide for this layout, or a price not in its unit
        return LabelItem(
            name=product.name,
            price_vnd=price,
            stars=stars,
            barcode=code,
            sku=product.sku,
            grams=grams,
            price_per_kg_vnd=product.price_vnd,
        )
    raise ValidationError(
        "Không có kiểu tem cân nào trong config.toml ([[scale.layout]]) ghi được mã cân và khối lượng này.", "weight"
    )
