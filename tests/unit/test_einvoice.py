"""E-invoices at checkout (pos/einvoice): number and MCCQT in the sale's transaction, XML valid against the
schema kept in the repository, figures exactly the sale's, buyer details checked."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from lxml import etree
from sqlmodel import select

from pos.barcodes import instore_ean13
from pos.einvoice import xml as invoice_xml
from pos.einvoice.buyer import clean_buyer
from pos.einvoice.models import Invoice
from pos.einvoice.rules import rules_on
from pos.einvoice.settings import read_settings
from pos.einvoice.taxcode import normalize_tax_code
from pos.errors import ValidationError
from pos.inventory.ledger import record_movement
from pos.inventory.models import StockMovement
from pos.sales import cart as carts
from pos.sales import discounts, scanning, vat
from pos.sales.checkout import complete_sale
from pos.sales.models import Sale, SaleLine, Shift
from pos.sales.pricing import Discount, DiscountLimits, PaymentInput

NOW = datetime(2026, 11, 24, 3, 15, tzinfo=UTC)
CONFIG: dict[str, Any] = {
    "EINVOICE_ENABLED": True,
    "SHOWROOM_NAME": "Điểm OCOP Hoàn Kiếm",
    "SHOWROOM_ADDRESS": "12 Hàng Bạc, Hà Nội",
    "SHOWROOM_TAX_CODE": "0101243150",
    "EINVOICE_VAT_METHOD": "deduction",
    "EINVOICE_TAX_AUTHORITY_CODE": "AB12C",
    "EINVOICE_LETTERS": "AB",
    "EINVOICE_ISSUER": 7,
    "EINVOICE_TILL": [{"code": "T2", "letters": "AC", "issuer": 8}],
}


@pytest.fixture
def shop(uow: Any, make_user: Any, make_product: Any) -> dict[str, Any]:
    """A cashier with an open shift; tea at 8 %, honey at 10 % (a rate row added for the test's year)."""
    cashier = make_user("thungan", "cashier", "Nguyễn Thị Thu Ngân")
    tea = make_product(name="Chè Shan tuyết <Hà Giang>", barcode=instore_ean13(1), price_vnd=120_000)
    honey = make_product(name="Mật ong bạc hà", barcode=instore_ean13(2), price_vnd=99_999, vat_class="reduced")
    with uow() as s:
        vat.add_rate(s, "reduced", date(2026, 1, 1), 1000, "test: 10%", None)
        s.add(Shift(cashier_id=cashier.id, opening_float_vnd=1_000_000))
        for product in (tea, honey):
            record_movement(s, StockMovement(product_id=product.id, kind="intake", qty_delta=100))
    return {"cashier": cashier, "tea": tea, "honey": honey, "n": 0}


def sell(uow: Any, shop: dict[str, Any], payments: list[PaymentInput], config: dict[str, Any] = CONFIG, **kw: Any):
    shop["n"] += 1
    with uow() as s:
        cart = carts.get_or_create_active_cart(s, shop["cashier"].id)
        scanning.scan(s, cart, shop["tea"].barcode, qty=3)
        line = scanning.scan(s, cart, shop["honey"].barcode, qty=2)
        if kw.pop("discounts", False):
            limits = DiscountLimits(cashier_bp=5000)
            discounts.set_line_discount(s, cart, line.id, Discount("percent", 1000), limits=limits, actor_id=1)
            discounts.set_sale_discount(s, cart, Discount("amount", 7_777), limits=limits, actor_id=1)
        sale = complete_sale(
            s,
            cart_id=cart.id,
            payments=payments,
            cashier_id=shop["cashier"].id,
            idempotency_key=f"key-{shop['n']:08d}",
            showroom_code="SR01",
            allow_negative=False,
            now=kw.pop("now", NOW),
            einvoice=read_settings(config),
            **kw,
        )
        return sale, s.exec(select(Invoice).where(Invoice.sale_id == sale.id)).one()


def texts(tree: etree._Element, path: str) -> list[str]:
    return [el.text for el in tree.findall(path)]


def test_a_sale_with_two_rates_discounts_split_payment_and_a_company_buyer(uow: Any, shop: dict[str, Any]) -> None:
    buyer = clean_buyer(
        {"company": "Công ty TNHH Quà Việt", "tax_code": "0104359717", "address": "5 Lý Thái Tổ", "name": "Lan"}
    )
    sale, invoice = sell(
        uow,
        shop,
        [PaymentInput("transfer", 300_000), PaymentInput("cash", 300_000)],
        discounts=True,
        buyer=buyer,
    )
    tree = invoice_xml.validate_bytes(invoice.xml)  # the schema kept in the repository
    assert (invoice.symbol, invoice.number, invoice.state) == ("C26MAB", 1, "waiting")
    assert invoice.mccqt == "M1-26-AB12C-00700000001"
    assert texts(tree, "DLHDon/TTChung/KHMSHDon") == ["1"] and texts(tree, "DLHDon/TTChung/HTTToan") == ["TM/CK"]
    assert texts(tree, "DLHDon/TTChung/THDon") == ["Hóa đơn giá trị gia tăng khởi tạo từ máy tính tiền"]
    assert texts(tree, "DLHDon/NDHDon/NMua/Ten") == ["Công ty TNHH Quà Việt"]
    assert texts(tree, "DLHDon/NDHDon/NMua/MST") == ["0104359717"]
    assert texts(tree, "DLHDon/NDHDon/NMua/HVTNMHang") == ["Lan"]
    assert texts(tree, "DLHDon/NDHDon/DSHHDVu/HHDVu/THHDVu")[0] == "Chè Shan tuyết <Hà Giang>"  # escaped by lxml
    rates = tree.findall("DLHDon/NDHDon/TToan/THTTLTSuat/LTSuat")
    assert [r.findtext("TSuat") for r in rates] == ["10%", "8%"]  # one per rate
    toan = tree.find("DLHDon/NDHDon/TToan")
    net, tax, total = (int(toan.findtext(t)) for t in ("TgTCThue", "TgTThue", "TgTTTBSo"))
    assert total == sale.total_vnd and tax == sale.vat_vnd and net + tax == total
    assert sum(int(r.findtext("ThTien")) for r in rates) == net
    assert sum(int(r.findtext("TThue")) for r in rates) == tax
    items = tree.findall("DLHDon/NDHDon/DSHHDVu/HHDVu")
    assert sum(int(i.findtext("ThTien")) for i in items) == net
    for item in items:  # quantity × price before VAT less the discount is the line's amount, to the đồng
        gross = Decimal(item.findtext("SLuong")) * Decimal(item.findtext("DGia"))
        assert abs(gross - int(item.findtext("STCKhau") or 0) - int(item.findtext("ThTien"))) <= 1
    assert toan.findtext("TgTTTBChu").endswith("đồng")
    assert tree.findtext("MCCQT") == invoice.mccqt


def test_a_consumer_gets_the_prescribed_wording_and_form_2_has_totals_only(uow: Any, shop: dict[str, Any]) -> None:
    _sale, invoice = sell(uow, shop, [PaymentInput("cash", 10**6)], config={**CONFIG, "EINVOICE_VAT_METHOD": "direct"})
    tree = invoice_xml.validate_bytes(invoice.xml)
    assert texts(tree, "DLHDon/NDHDon/NMua/Ten") == [rules_on(NOW.date()).consumer_name] == ["Bán cho người tiêu dùng"]
    assert invoice.mccqt.startswith("M2-26-AB12C-") and texts(tree, "DLHDon/TTChung/HTTToan") == ["TM"]
    assert tree.find("DLHDon/NDHDon/TToan/THTTLTSuat") is None and tree.find(".//TSuat") is None
    assert tree.find("DLHDon/NDHDon/TToan/TgTThue") is None


def test_numbers_are_gapless_per_symbol_and_restart_at_local_new_year(uow: Any, shop: dict[str, Any]) -> None:
    pay = [PaymentInput("cash", 10**6)]
    numbers = [sell(uow, shop, pay)[1] for _ in range(3)]
    other_till = sell(uow, shop, pay, till_code="T2")[1]
    assert [(i.symbol, i.number) for i in numbers] == [("C26MAB", 1), ("C26MAB", 2), ("C26MAB", 3)]
    assert (other_till.symbol, other_till.number, other_till.mccqt) == ("C26MAC", 1, "M1-26-AB12C-00800000001")
    late = sell(uow, shop, pay, now=datetime(2026, 12, 31, 16, 59, 59, tzinfo=UTC))[1]  # 23:59:59 in Hà Nội
    new_year = sell(uow, shop, pay, now=datetime(2026, 12, 31, 17, 0, 0, tzinfo=UTC))[1]  # 00:00 on 01/01/2027
    assert (late.symbol, late.number) == ("C26MAB", 4)
    assert (new_year.symbol, new_year.number, new_year.issued_on) == ("C27MAB", 1, date(2027, 1, 1))
    assert new_year.mccqt == "M1-27-AB12C-00700000001"
    codes = [i.mccqt for i in [*numbers, other_till, late, new_year]]
    assert len(set(codes)) == len(codes) and all(len(c) == 23 for c in codes)


def test_a_failed_sale_takes_no_invoice_number(uow: Any, shop: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        sell(uow, shop, [PaymentInput("cash", 1)])  # not enough money: the whole transaction is rolled back
    _sale, invoice = sell(uow, shop, [PaymentInput("cash", 10**6)])
    assert invoice.number == 1
    with uow() as s:
        assert len(s.exec(select(Sale)).all()) == 1


@pytest.mark.parametrize(
    ("raw", "ok"),
    [
        ("0100109106", "0100109106"),
        ("0101243150", "0101243150"),
        (" 0104359717-001 ", "0104359717-001"),
        ("001099012345", "001099012345"),
        ("0100109107", None),
        ("010010910", None),
        ("0100109106-01", None),
        ("01001O9106", None),
    ],
)
def test_tax_codes(raw: str, ok: str | None) -> None:
    if ok is None:
        with pytest.raises(ValidationError):
            normalize_tax_code(raw)
    else:
        assert normalize_tax_code(raw) == ok


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"company": "Công ty A", "tax_code": "0100109107", "address": "Hà Nội"}, "buyer_tax_code"),
        ({"company": "Công ty A", "address": "Hà Nội"}, "buyer_tax_code"),
        ({"company": "Công ty A", "tax_code": "0100109106"}, "buyer_address"),
        ({"name": "<script>alert(1)</script>"}, "buyer_name"),
        ({"name": "Nguyễn " * 60}, "buyer_name"),
        ({"id_number": "12345"}, "buyer_id_number"),
        ({"phone": "abc"}, "buyer_phone"),
    ],
)
def test_bad_buyer_details_are_refused_clearly(raw: dict[str, str], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        clean_buyer(raw)
    assert caught.value.field == field and caught.value.message


def test_settings_are_checked() -> None:
    with pytest.raises(ValidationError):
        read_settings({**CONFIG, "SHOWROOM_TAX_CODE": "0101234567"})  # wrong check digit
    with pytest.raises(ValidationError):
        read_settings({**CONFIG, "EINVOICE_TAX_AUTHORITY_CODE": "AB1"})
    with pytest.raises(ValidationError):
        read_settings({**CONFIG, "EINVOICE_TILL": [{"code": "T2", "letters": "AC", "issuer": 7}]})  # issuer twice
    assert read_settings({**CONFIG, "SHOWROOM_TAX_CODE": "0101243150-002"}).seller_tax_code == "0101243150-002"
    assert read_settings({**CONFIG, "SHOWROOM_TAX_CODE": "001099012345"}).form == 1


# Returns, voids and the paper copy -----------------------------------------------------------------------------


def give_back(uow: Any, shop: dict[str, Any], sale: Sale, qty_by_line_qty: dict[int, int], key: str) -> Any:
    """A cash return of ``{sold qty: qty back}`` of a sale's lines; the return and the invoice it issued."""
    from pos.sales import returns

    with uow() as s:
        lines = {line.line.qty: line.line for line in returns.returnable_lines(s, sale)}
        shift = s.exec(select(Shift)).one()
        made = returns.create_return(
            s,
            sale.receipt_number,
            {lines[sold].id: back for sold, back in qty_by_line_qty.items()},
            "cash",
            "Hỏng",
            shop["cashier"].id,
            shift,
            key,
            einvoice=read_settings(CONFIG),
        )
        return made, s.exec(select(Invoice).where(Invoice.return_id == made.id)).one()


def related(tree: etree._Element) -> list[str]:
    found = tree.find("DLHDon/TTChung/TTHDLQuan")
    return [found.findtext(t) for t in ("TCHDon", "KHMSHDCLQuan", "KHHDCLQuan", "SHDCLQuan", "NLHDCLQuan")]


def test_a_partial_return_issues_an_adjustment_decreasing_the_original(uow: Any, shop: dict[str, Any]) -> None:
    from pos.sales import returns

    sale, original = sell(uow, shop, [PaymentInput("cash", 10**6)])
    made, adjustment = give_back(uow, shop, sale, {3: 1}, "ret-00000001")  # one tea of three
    assert (adjustment.kind, adjustment.original_id, adjustment.number) == ("adjustment", original.id, 2)
    assert adjustment.mccqt != original.mccqt and adjustment.state == "waiting"
    assert adjustment.total_vnd == -made.total_vnd == -120_000  # the invoice less what came back
    tree = invoice_xml.validate_bytes(adjustment.xml)  # negative amounts follow the schema
    assert related(tree) == ["2", "1", "C26MAB", "1", "2026-11-24"]  # 2: adjustment of 1C26MAB no. 1
    assert tree.findtext("DLHDon/TTChung/TTHDLQuan/GChu").startswith(
        "Điều chỉnh giảm cho hóa đơn Mẫu số 1 ký hiệu C26MAB số 00000001 ngày 24/11/2026"
    )
    items = tree.findall("DLHDon/NDHDon/DSHHDVu/HHDVu")
    assert [(i.findtext("THHDVu"), i.findtext("SLuong"), i.findtext("TSuat")) for i in items] == [
        ("Chè Shan tuyết <Hà Giang>", "-1", "8%")
    ]
    toan = tree.find("DLHDon/NDHDon/TToan")
    net, tax, total = (int(toan.findtext(t)) for t in ("TgTCThue", "TgTThue", "TgTTTBSo"))
    assert total == -120_000 and net + tax == total and tax < 0
    assert int(items[0].findtext("ThTien")) == net
    assert toan.findtext("TgTTTBChu") == "Âm một trăm hai mươi nghìn đồng"
    with uow() as s:
        data = returns.refund_receipt_data(s, made, {"SHOWROOM_TAX_CODE": "0101243150"})
    assert data.invoice is not None and "điều chỉnh giảm cho hóa đơn Mẫu số 1 ký hiệu C26MAB số 00000001" in (
        data.invoice.corrects or ""
    )

    # The rest comes back later: the sale was corrected by adjustment, so it goes on that way.
    _made, second = give_back(uow, shop, sale, {3: 2, 2: 2}, "ret-00000002")
    assert (second.kind, second.original_id, second.number) == ("adjustment", original.id, 3)
    assert original.total_vnd + adjustment.total_vnd + second.total_vnd == 0
    assert related(invoice_xml.validate_bytes(second.xml))[3] == "1"


def test_a_return_of_everything_issues_a_replacement_referring_to_the_original(uow: Any, shop: dict[str, Any]) -> None:
    sale, original = sell(uow, shop, [PaymentInput("cash", 10**6)])
    _made, replacement = give_back(uow, shop, sale, {3: 3, 2: 2}, "ret-00000001")
    assert (replacement.kind, replacement.original_id, replacement.number) == ("replacement", original.id, 2)
    assert replacement.total_vnd == 0
    tree = invoice_xml.validate_bytes(replacement.xml)
    assert related(tree) == ["1", "1", "C26MAB", "1", "2026-11-24"]
    assert tree.findtext("DLHDon/NDHDon/DSHHDVu/HHDVu/TChat") == "4"  # the note: everything came back


def test_a_void_issues_an_empty_replacement_and_deletes_nothing(uow: Any, shop: dict[str, Any], make_user: Any) -> None:
    from pos.sales import returns

    make_user("quanly", "manager")
    _sale, original = sell(uow, shop, [PaymentInput("cash", 10**6)])
    with uow() as s:
        shift = s.exec(select(Shift)).one()
        returns.void_last_sale(s, shift, "quanly", "quanly-pass", "Khách đổi ý", einvoice=read_settings(CONFIG))
    with uow() as s:
        both = s.exec(select(Invoice).order_by(Invoice.id)).all()
    assert [(i.kind, i.number, i.state) for i in both] == [("original", 1, "waiting"), ("replacement", 2, "waiting")]
    tree = invoice_xml.validate_bytes(both[1].xml)
    assert tree.findtext("DLHDon/NDHDon/TToan/TgTTTBSo") == "0"
    assert tree.findtext("DLHDon/NDHDon/DSHHDVu/HHDVu/TChat") == "4"
    assert both[1].original_id == original.id


@pytest.mark.skipif(__import__("shutil").which("pdftoppm") is None, reason="pdftoppm (poppler-utils) is not installed")
@pytest.mark.parametrize("paper", ["80mm", "a4"])
def test_the_receipt_is_the_invoice_paper_copy(uow: Any, shop: dict[str, Any], tmp_path: Any, paper: str) -> None:
    import zxingcpp

    from pos.sales.receipt_data import receipt_for_sale
    from pos.sales.receipts import render_receipt
    from tests.unit.test_receipts import pdf_text, rasterise, squash

    buyer = clean_buyer({"company": "Công ty TNHH Quà Việt", "tax_code": "0104359717", "address": "5 Lý Thái Tổ"})
    sale, invoice = sell(uow, shop, [PaymentInput("cash", 10**6)], buyer=buyer)
    with uow() as s:
        data = receipt_for_sale(s, sale, {**CONFIG, "SHOWROOM_TAX_CODE": "0101243150"})
    pdf = render_receipt(data, paper)
    text = pdf_text(pdf)
    for expected in (
        "HÓA ĐƠN GIÁ TRỊ GIA TĂNG",
        "(Khởi tạo từ máy tính tiền)",
        "Ký hiệu: 1C26MAB",
        "Số: 00000001",
        f"Mã CQT: {invoice.mccqt}",
        "Tên đơn vị: Công ty TNHH Quà Việt",
        "Mã số thuế: 0104359717",
        "Cộng tiền hàng chưa thuế",
        "Tra cứu hóa đơn tại hoadondientu.gdt.gov.vn",
        sale.receipt_number,
    ):
        assert squash(expected) in text, expected
    assert squash("HÓA ĐƠN BÁN LẺ") not in text
    pages = rasterise(pdf, tmp_path)
    found = [
        r.text for page in pages for r in zxingcpp.read_barcodes(page) if r.format == zxingcpp.BarcodeFormat.QRCode
    ]
    lookup = [t for t in found if t.startswith("https://hoadondientu.gdt.gov.vn|")]
    assert lookup == [
        f"https://hoadondientu.gdt.gov.vn|0101243150|1C26MAB|00000001|20261124|{sale.total_vnd}|{invoice.mccqt}"
    ]


def test_the_provider_is_told_an_adjustment_decreases_the_original(uow: Any, shop: dict[str, Any]) -> None:
    from pos.einvoice.provider import Outgoing
    from pos.einvoice.viettel import invoice_json

    sale, original = sell(uow, shop, [PaymentInput("cash", 10**6)])
    _made, adjustment = give_back(uow, shop, sale, {3: 1}, "ret-00000001")
    body = invoice_json(
        Outgoing(
            transaction_uuid=str(adjustment.uuid),
            xml=adjustment.xml.encode("utf-8"),
            template_code="1/001",
            kind="adjustment",
            original_transaction_uuid=str(original.uuid),
        )
    )
    info = body["generalInvoiceInfo"]
    assert (info["adjustmentType"], info["adjustmentInvoiceType"], info["originalInvoiceId"]) == (
        "5",
        "1",
        str(original.uuid),
    )
    assert [(i["quantity"], i["isIncreaseItem"]) for i in body["itemInfo"]] == [(-1, False)]
    assert body["summarizeInfo"]["totalAmountWithTax"] == -120_000


def test_exempt_goods_are_kct_not_zero_per_cent_on_the_invoice_and_the_receipt(
    uow: Any, shop: dict[str, Any], make_product: Any
) -> None:
    from pos.sales.receipt_data import receipt_for_sale
    from pos.sales.receipts import render_receipt
    from tests.unit.test_receipts import pdf_text, squash

    rice = make_product(name="Gạo ST25 chưa chế biến", barcode=instore_ean13(3), price_vnd=50_000, vat_class="exempt")
    seeds = make_product(name="Hạt giống rau", barcode=instore_ean13(4), price_vnd=30_000, vat_class="zero")
    with uow() as s:
        for product in (rice, seeds):
            record_movement(s, StockMovement(product_id=product.id, kind="intake", qty_delta=10))
        cart = carts.get_or_create_active_cart(s, shop["cashier"].id)
        scanning.scan(s, cart, shop["tea"].barcode, qty=1)
        scanning.scan(s, cart, rice.barcode, qty=2)
        scanning.scan(s, cart, seeds.barcode, qty=1)
        sale = complete_sale(
            s,
            cart_id=cart.id,
            payments=[PaymentInput("cash", 300_000)],
            cashier_id=shop["cashier"].id,
            idempotency_key="key-kct-0001",
            showroom_code="SR01",
            allow_negative=False,
            now=NOW,
            einvoice=read_settings(CONFIG),
        )
        invoice = s.exec(select(Invoice).where(Invoice.sale_id == sale.id)).one()
        classes = [line.vat_class for line in s.exec(select(SaleLine).where(SaleLine.sale_id == sale.id))]
        data = receipt_for_sale(s, sale, {**CONFIG, "SHOWROOM_TAX_CODE": "0101243150"})
    assert classes == ["standard", "exempt", "zero"]
    tree = invoice_xml.validate_bytes(invoice.xml)
    assert texts(tree, "DLHDon/NDHDon/DSHHDVu/HHDVu/TSuat") == ["8%", "KCT", "0%"]
    rows = tree.findall("DLHDon/NDHDon/TToan/THTTLTSuat/LTSuat")
    assert [(r.findtext("TSuat"), r.findtext("ThTien"), r.findtext("TThue")) for r in rows] == [
        ("8%", "111111", "8889"),
        ("0%", "30000", "0"),
        ("KCT", "100000", "0"),  # apart from 0 %: the tax return lists exempt sales on their own
    ]
    assert [(v.mark, v.gross_vnd) for v in data.vat] == [("", 120_000), ("", 30_000), ("KCT", 100_000)]
    assert [line.vat_class for line in data.lines] == ["standard", "exempt", "zero"]
    text = pdf_text(render_receipt(data, "80mm"))
    assert squash("Không chịu thuế GTGT (KCT)") in text and squash("Thuế GTGT 0%") in text
