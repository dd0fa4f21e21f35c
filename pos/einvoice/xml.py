"""The invoice's XML in the tax authority's format (HDon), built with lxml and checked against the schema kept in
pos/einvoice/schema/hdon-mtt.xsd (written from the published format; its sources are named in it).

Only the figures of pos/einvoice/figures.py are drawn here; nothing is computed again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path

from lxml import etree

from pos.einvoice.figures import InvoiceFigures
from pos.einvoice.rules import InvoiceRules

SCHEMA_PATH = Path(__file__).with_name("schema") / "hdon-mtt.xsd"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class InvalidInvoiceXml(ValueError):
    """The XML does not follow the schema (the message names the first problem)."""


@dataclass(frozen=True)
class Party:
    """A seller or buyer as the invoice names them."""

    name: str = ""
    tax_code: str = ""
    address: str = ""
    phone: str = ""
    email: str = ""
    id_number: str = ""
    person: str = ""  # HVTNMHang: the person buying for a company


@dataclass(frozen=True)
class Reference:
    """The invoice a replacement or adjustment corrects (TTHDLQuan)."""

    kind: int  # 1 replacement, 2 adjustment
    form: int
    symbol: str
    number: int
    issued_on: date
    note: str = ""


@dataclass(frozen=True)
class InvoiceHeader:
    """TTChung's values and the code."""

    form: int
    symbol: str
    number: int
    issued_on: date
    mccqt: str
    location: str = ""  # the business location (NĐ 254/2026's new field), in TTKhac
    reference: Reference | None = None


def tsuat(rate_bp: int, mark: str = "") -> str:
    """TSuat as the format spells a rate: 800 -> '8%', 1000 -> '10%', 350 -> 'KHAC:03.50%'; or the mark
    of exempt ('KCT') and undeclared ('KKKNT') goods, which have no rate."""
    if mark:
        return mark
    if rate_bp in (0, 500, 800, 1000):
        return f"{rate_bp // 100}%"
    return f"KHAC:{rate_bp // 100:02d}.{rate_bp % 100:02d}%"


def _clean(text: str) -> str:
    return _CONTROL.sub("", text).strip()


def _sub(parent: etree._Element, tag: str, text: object | None = None) -> etree._Element:
    child = etree.SubElement(parent, tag)
    if text is not None:
        child.text = _clean(str(text))
    return child


def _opt(parent: etree._Element, tag: str, text: str) -> None:
    if text:
        _sub(parent, tag, text)


def _amount(value: int | Decimal) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value != value.to_integral() else str(int(value))
    return str(value)


def _buyer(parent: etree._Element, rules: InvoiceRules, buyer: Party) -> etree._Element:
    buyer_el = _sub(parent, "NMua")
    _opt(buyer_el, "Ten", (buyer.name or rules.consumer_name)[:400])
    _opt(buyer_el, "MST", buyer.tax_code)
    _opt(buyer_el, "DChi", buyer.address[:400])
    _opt(buyer_el, "SDThoai", buyer.phone[:50])
    _opt(buyer_el, "DCTDTu", buyer.email[:50])
    _opt(buyer_el, "CCCDan", buyer.id_number)
    _opt(buyer_el, "HVTNMHang", buyer.person[:400])
    return buyer_el


def replace_buyer(xml: str, rules: InvoiceRules, buyer: Party) -> str:
    """The stored invoice with another buyer (a manager's correction before it was accepted), figures untouched."""
    tree = validate_bytes(xml)
    content = tree.find("DLHDon/NDHDon")
    old = content.find("NMua")
    new = _buyer(etree.Element("tmp"), rules, buyer)
    content.replace(old, new)
    validate(tree)
    return serialize(tree).decode("utf-8")


def build_invoice_tree(
    rules: InvoiceRules, header: InvoiceHeader, seller: Party, buyer: Party, figures: InvoiceFigures
) -> etree._Element:
    """The HDon element of one invoice."""
    root = etree.Element("HDon")
    data = etree.SubElement(root, "DLHDon", Id="data")
    general = _sub(data, "TTChung")
    _sub(general, "PBan", rules.pban)
    _sub(general, "THDon", rules.titles[header.form])
    _sub(general, "KHMSHDon", header.form)
    _sub(general, "KHHDon", header.symbol)
    _sub(general, "SHDon", header.number)
    _sub(general, "NLap", header.issued_on.isoformat())
    _sub(general, "DVTTe", "VND")
    _sub(general, "TGia", "1")
    _sub(general, "HTTToan", figures.payment_code)
    ref = header.reference
    if ref is not None:
        related = _sub(general, "TTHDLQuan")
        _sub(related, "TCHDon", ref.kind)
        _sub(related, "LHDCLQuan", "1")  # 1: an e-invoice under NĐ 123/2020 and its successors
        _sub(related, "KHMSHDCLQuan", ref.form)
        _sub(related, "KHHDCLQuan", ref.symbol)
        _sub(related, "SHDCLQuan", ref.number)
        _sub(related, "NLHDCLQuan", ref.issued_on.isoformat())
        _opt(related, "GChu", ref.note[:400])

    content = _sub(data, "NDHDon")
    seller_el = _sub(content, "NBan")
    _sub(seller_el, "Ten", seller.name[:400])
    _sub(seller_el, "MST", seller.tax_code)
    _sub(seller_el, "DChi", seller.address[:400])
    _opt(seller_el, "SDThoai", seller.phone[:50])
    if header.location:
        extra = _sub(seller_el, "TTKhac")
        info = _sub(extra, "TTin")
        _sub(info, "TTruong", "Địa điểm kinh doanh")
        _sub(info, "KDLieu", "string")
        _sub(info, "DLieu", header.location[:400])

    _buyer(content, rules, buyer)

    goods = _sub(content, "DSHHDVu")
    for line in figures.lines:
        item = _sub(goods, "HHDVu")
        _sub(item, "TChat", "1")
        _sub(item, "STT", line.line_no)
        _opt(item, "MHHDVu", line.code[:50])
        _sub(item, "THHDVu", line.name[:400])
        _opt(item, "DVTinh", line.unit[:50])
        _sub(item, "SLuong", line.qty)
        _sub(item, "DGia", _amount(line.unit_price))
        if line.discount_vnd:
            _sub(item, "STCKhau", line.discount_vnd)
        _sub(item, "ThTien", line.amount_vnd)
        if figures.form == 1:
            _sub(item, "TSuat", tsuat(line.rate_bp, line.mark))
    if not figures.lines:  # every good returned: the replacement says so in a note line
        item = _sub(goods, "HHDVu")
        _sub(item, "TChat", "4")
        _sub(item, "STT", 1)
        _sub(item, "THHDVu", "Người mua đã trả lại toàn bộ hàng hóa")

    totals = _sub(content, "TToan")
    if figures.form == 1:
        by_rate = _sub(totals, "THTTLTSuat")
        for part in figures.rates:
            row = _sub(by_rate, "LTSuat")
            _sub(row, "TSuat", tsuat(part.rate_bp, part.mark))
            _sub(row, "ThTien", part.net_vnd)
            _sub(row, "TThue", part.vat_vnd)
        if not figures.rates:
            by_rate.getparent().remove(by_rate)
        _sub(totals, "TgTCThue", figures.net_vnd)
        _sub(totals, "TgTThue", figures.vat_vnd)
    if figures.discount_vnd:
        _sub(totals, "TTCKTMai", figures.discount_vnd)
    _sub(totals, "TgTTTBSo", figures.total_vnd)
    _sub(totals, "TgTTTBChu", figures.words)

    _sub(root, "MCCQT", header.mccqt)
    _sub(root, "DSCKS")  # a cash-register invoice needs no digital signature (NĐ 70/2025 Art. 1 cl. 8)
    return root


@dataclass(frozen=True)
class Renamed:
    """A held invoice that another one corrects, now numbered: its number, and its name before and after."""

    number: int
    held_ref: str
    ref: str


def renumber(tree: etree._Element, number: int, mccqt: str, corrected: Renamed | None = None) -> str:
    """A held invoice's XML with its real SHDon and MCCQT (and those of the held invoice it corrects), checked."""
    general = tree.find("DLHDon/TTChung")
    general.find("SHDon").text = str(number)
    tree.find("MCCQT").text = mccqt
    related = general.find("TTHDLQuan")
    if corrected is not None and related is not None:
        related.find("SHDCLQuan").text = str(corrected.number)
        note = related.find("GChu")
        if note is not None and note.text:
            note.text = note.text.replace(corrected.held_ref, corrected.ref)[:400]
    validate(tree)
    return serialize(tree).decode("utf-8")


def serialize(tree: etree._Element) -> bytes:
    """The tree as UTF-8 bytes with an XML declaration."""
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


@cache
def schema() -> etree.XMLSchema:
    """The schema, parsed once per process."""
    return etree.XMLSchema(etree.parse(str(SCHEMA_PATH)))


def validate(tree: etree._Element) -> None:
    """InvalidInvoiceXml unless the tree follows the schema."""
    checker = schema()
    if not checker.validate(tree):
        error = checker.error_log.last_error
        raise InvalidInvoiceXml(f"{error.message} (line {error.line})" if error else "invalid invoice XML")


def validate_bytes(xml: bytes | str) -> etree._Element:
    """Parse and validate stored XML (before sending); the tree, or InvalidInvoiceXml."""
    raw = xml.encode("utf-8") if isinstance(xml, str) else xml
    try:
        tree = etree.fromstring(raw, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        raise InvalidInvoiceXml(str(exc)) from exc
    validate(tree)
    return tree
