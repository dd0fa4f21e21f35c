"""A gift basket on an English or bilingual receipt: the basket, its contents and the approval notes named as the
receipt names its lines (the product story's English name), read back from the PDF with pypdf."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from pos.auth.services import verify_manager
from pos.baskets.receipt import sold_baskets
from pos.catalog.story import Story, save_story
from pos.printing import queue
from pos.sales import cart as carts
from pos.sales import discounts, returns, scanning, shifts
from pos.sales.models import Sale
from pos.sales.pricing import Discount, DiscountLimits
from pos.sales.receipt_data import receipt_for_sale
from pos.sales.receipts import render_receipt, render_receipt_raster
from tests.unit.test_baskets import sell as sell_codes
from tests.unit.test_baskets import shop  # noqa: F401  (the fixture: three producers' goods and a basket)
from tests.unit.test_receipt_language import printed_page, same
from tests.unit.test_receipts import pdf_text, squash

ENGLISH = {"honey": "Longan-flower honey", "tea": "Tan Cuong green tea", "basket": "An Khang Tet gift basket"}
PAPERS = ["80mm", "58mm", "a4"]
CONFIG = {"SHOWROOM_NAME": "Điểm OCOP Hoàn Kiếm"}


@pytest.fixture
def told(uow: Any, shop: dict[str, Any]) -> dict[str, Any]:  # noqa: F811
    """The honey, the tea and the basket have English names; the rattan box (packaging) has none."""
    with uow() as s:
        for key, name_en in ENGLISH.items():
            save_story(s, shop[key].id, Story(name_en=name_en))
    return shop


def sell(uow: Any, shop: dict[str, Any], language: str, key: str) -> Sale:  # noqa: F811
    """One basket and one honey with 20 % off approved by the manager, the receipt asked for in ``language``."""
    with uow() as s:
        cart = carts.get_or_create_active_cart(s, shop["cashier"].id)
        scanning.scan(s, cart, shop["basket"].barcode)
        honey = scanning.scan(s, cart, shop["honey"].barcode)
        approver = verify_manager(s, "quanly", "quanly-pass")
        limits, cashier_id = DiscountLimits(), shop["cashier"].id
        discounts.set_line_discount(
            s, cart, honey.id, Discount("percent", 2000), limits=limits, actor_id=cashier_id, approver=approver
        )
    return sell_codes(uow, shop, [], key, receipt_language=language)


def printed(uow: Any, sale: Sale, paper: str) -> str:
    with uow() as s:
        data = receipt_for_sale(s, s.get(Sale, sale.id), {"SHOWROOM_NAME": "Điểm OCOP Hoàn Kiếm"}, show_contents=True)
    return pdf_text(render_receipt(data, paper))


@pytest.mark.parametrize("paper", PAPERS)
def test_an_english_receipt_names_the_basket_and_its_contents_in_english(uow: Any, told: Any, paper: str) -> None:
    text = printed(uow, sell(uow, told, "en", f"k-bsk-en-{paper}"), paper)
    for phrase in (
        "An Khang Tet gift basket",
        "1 Longan-flower honey",
        "2 Tan Cuong green tea",
        "1 Giỏ mây",  # no English name told: the Vietnamese one
        "Discount on line 2 (Longan-flower honey) approved by Quanly",  # the basket is line 1 on paper
    ):
        assert squash(phrase) in text, phrase
    for vietnamese in ("Giỏ quà Tết An Khang", "Mật ong hoa nhãn", "Chè Tân Cương", "duyệt"):
        assert squash(vietnamese) not in text, vietnamese


@pytest.mark.parametrize("paper", PAPERS)
def test_a_bilingual_receipt_names_the_contents_in_both_languages(uow: Any, told: Any, paper: str) -> None:
    text = printed(uow, sell(uow, told, "vi+en", f"k-bsk-bi-{paper}"), paper)
    for phrase in (
        "Giỏ quà Tết An Khang",
        "An Khang Tet gift basket",
        "1 Mật ong hoa nhãn (Longan-flower honey)",
        "2 Chè Tân Cương (Tan Cuong green tea)",
        "1 Giỏ mây",
        "Giảm giá dòng 2 (Mật ong hoa nhãn): Quanly duyệt",
        "(Discount on line 2 (Longan-flower honey) approved by Quanly)",
    ):
        assert squash(phrase) in text, phrase


def test_a_vietnamese_receipt_keeps_the_vietnamese_names(uow: Any, told: Any) -> None:
    text = printed(uow, sell(uow, told, "vi", "k-bsk-vi-0001"), "80mm")
    assert squash("2 Chè Tân Cương") in text and squash("Giảm giá dòng 2 (Mật ong hoa nhãn): Quanly duyệt") in text
    assert not any(squash(name) in text for name in ENGLISH.values())


def refund_of_one_basket(uow: Any, shop: dict[str, Any], sale: Sale) -> str:  # noqa: F811
    """One of the sale's baskets brought back whole: each of its components, as the till's return takes them."""
    with uow() as s:
        row = s.get(Sale, sale.id)
        _baskets, link = sold_baskets(s, row.id)  # the honey sold on its own stays with the customer
        basket_lines = {r.line.id: r.line.qty for r in returns.returnable_lines(s, row) if r.line.id in link}
        made = returns.create_return(
            s, row.receipt_number, basket_lines, "cash", "Khách đổi ý", shop["cashier"].id,
            shifts.current_shift(s, shop["cashier"].id), f"return-{sale.receipt_number}",
        )  # fmt: skip
        return made.return_number


@pytest.mark.parametrize("paper", PAPERS)
def test_the_refund_of_a_basket_sold_in_english_names_its_contents_in_english(uow: Any, told: Any, paper: str) -> None:
    """The refund receipt follows the sale's language: each component of the basket brought back is named in
    English, at the price it was sold for inside the basket."""
    number = refund_of_one_basket(uow, told, sell(uow, told, "en", f"k-bsk-rf-{paper}"))
    with uow() as s:
        text = pdf_text(render_receipt(returns.refund_receipt_data(s, returns.get_return(s, number), CONFIG), paper))
    for phrase in (
        "REFUND RECEIPT",
        "Longan-flower honey",
        "Tan Cuong green tea",
        "135.000 ₫",
        "Giỏ mây",  # no English name told: the Vietnamese one
        "Refund 495.000 ₫",
        "Reason for return: Khách đổi ý",
    ):
        assert squash(phrase) in text, phrase
    for vietnamese in ("PHIẾU HOÀN TIỀN", "Mật ong hoa nhãn", "Chè Tân Cương", "Hoàn tiền"):
        assert squash(vietnamese) not in text, vietnamese


def test_the_thermal_printer_prints_the_english_refund_of_a_basket(uow: Any, engine: Any, told: Any) -> None:
    """The refund job's ESC/POS bytes, parsed back, are dot for dot the English refund receipt, not the
    Vietnamese one."""
    number = refund_of_one_basket(uow, told, sell(uow, told, "en", "k-bsk-rf-escpos"))
    page = printed_page(uow, engine, CONFIG, lambda s, till: queue.enqueue(s, till.id, "refund", number))
    with uow() as s:
        data = returns.refund_receipt_data(s, returns.get_return(s, number), CONFIG)
    assert [line.name_en for line in data.lines] == ["Longan-flower honey", "Tan Cuong green tea", ""]
    assert same(page, render_receipt_raster(data, "80mm", 576))
    assert not same(page, render_receipt_raster(dataclasses.replace(data, language="vi"), "80mm", 576))
