"""A producer's price list from CSV: every bad row with all its reasons; nothing written until clean."""

from __future__ import annotations

import pytest
from sqlmodel import select

from pos.audit.models import AuditEntry
from pos.barcodes import is_instore
from pos.catalog.models import Product
from pos.catalog.price_list import MAX_ROWS, apply_price_list, preview_price_list, read_csv
from pos.errors import ValidationError
from pos.sync.models import OutboxRecord

HEADER = "sku,barcode,name,unit,price_vnd,vat_class,ocop_group,ocop_stars,cert_number,cert_expiry\n"


def csv_bytes(*rows: str, header: str = HEADER, bom: bool = False) -> bytes:
    data = (header + "\n".join(rows) + "\n").encode("utf-8")
    return (b"\xef\xbb\xbf" + data) if bom else data


def test_clean_file_previews_then_applies_in_one_go(uow, session, make_producer, make_product) -> None:
    producer = make_producer()
    existing = make_product(name="Chè Tân Cương", sku="CHE-01", price_vnd=100_000, producer_id=producer.id)
    data = csv_bytes(
        "CHE-01,,Chè Tân Cương,hộp,120.000,standard,thuc_pham,4,QĐ-12,31/12/2027",
        ',8934563138165,"Bánh cốm, hộp 500g",hộp,85000,8%,Thực phẩm,3 sao,,',
        ",,Khăn lụa tơ tằm,chiếc,350000,,vai_may_mac,,,",
        bom=True,
    )
    with uow() as s:
        preview = preview_price_list(s, producer.id, data)
    assert preview.is_clean, [r.errors for r in preview.rows]
    assert [r.status for r in preview.rows] == ["update", "new", "new"]
    assert [r.line_no for r in preview.rows] == [2, 3, 4]
    assert "Giá bán: 100.000 ₫ → 120.000 ₫" in preview.rows[0].changes
    with uow() as s:
        assert s.exec(select(Product)).all() != []  # only the existing one
        assert len(s.exec(select(Product)).all()) == 1

    with uow() as s:
        apply_price_list(s, producer.id, data, actor_id=None, instore_prefix="20")
    with uow() as s:
        products = {p.name: p for p in s.exec(select(Product)).all()}
        assert products["Chè Tân Cương"].id == existing.id
        assert products["Chè Tân Cương"].price_vnd == 120_000
        assert products["Chè Tân Cương"].unit == "hộp"
        assert products["Bánh cốm, hộp 500g"].barcode == "8934563138165"
        assert products["Bánh cốm, hộp 500g"].ocop_stars == 3
        assert products["Bánh cốm, hộp 500g"].vat_class == "standard"
        assert is_instore(products["Khăn lụa tơ tằm"].barcode)
        assert products["Khăn lụa tơ tằm"].ocop_group == "vai_may_mac"
        assert len(s.exec(select(AuditEntry).where(AuditEntry.action == "product.price")).all()) == 1
        assert len(s.exec(select(OutboxRecord).where(OutboxRecord.kind == "product")).all()) == 3


def test_every_bad_row_lists_all_its_reasons_and_nothing_is_written(uow, session, make_producer, make_product) -> None:
    producer = make_producer()
    other = make_product(name="Nước mắm Cát Hải", barcode="8935049500667")
    data = csv_bytes(
        ",8934563138164,Bánh cốm,hộp,mười nghìn,,,7,,31/02/2027",  # check digit, price, stars, date
        ",,,hộp,50000,,,,,",  # no name
        ",8935049500667,Mắm giả,chai,50000,,,,,",  # another producer's barcode
        ",8934563138165,Kẹo lạc,gói,20000,,,,,",
        ",8934563138165,Kẹo vừng,gói,20000,,,,,",  # same barcode twice in the file
        ",,<script>alert(1)</script>,cái,10000,,,,,",  # markup is just a name
        ",,Trà sen,hộp,20000,20%,do_choi,,,",  # bad VAT class and group
    )
    with uow() as s:
        preview = preview_price_list(s, producer.id, data)
    assert not preview.is_clean
    rows = {r.line_no: r for r in preview.rows}
    assert [r.status for r in preview.rows] == ["error", "error", "error", "error", "error", "new", "error"]
    first = " | ".join(rows[2].errors)
    assert "sai số kiểm tra" in first
    assert "Giá bán phải là số tiền" in first
    assert "Hạng sao OCOP" in first
    assert "Ngày hết hạn giấy chứng nhận" in first
    assert len(rows[2].errors) == 4
    assert rows[3].errors == ["Chưa nhập tên sản phẩm."]
    assert rows[4].errors == [f"Mã vạch 8935049500667 đã dùng cho sản phẩm “{other.name}” của nhà sản xuất khác."]
    assert rows[5].errors == ["Mã vạch 8934563138165 trùng với dòng 6 trong tệp."]
    assert rows[6].errors == ["Mã vạch 8934563138165 trùng với dòng 5 trong tệp."]
    assert rows[7].values["name"] == "<script>alert(1)</script>"
    assert len(rows[8].errors) == 2

    with pytest.raises(ValidationError) as exc, uow() as s:
        apply_price_list(s, producer.id, data)
    assert "6 dòng lỗi" in exc.value.message
    with uow() as s:
        assert len(s.exec(select(Product)).all()) == 1
        assert s.exec(select(OutboxRecord).where(OutboxRecord.kind == "product")).all() == []


def test_semicolon_delimiter_and_vietnamese_headers(session, make_producer) -> None:
    producer = make_producer()
    data = "Mã SKU;Tên sản phẩm;Đơn vị tính;Giá bán;Hạng sao\r\nAB-1;Nón lá;chiếc;45.000;4\r\n".encode()
    preview = preview_price_list(session, producer.id, data)
    assert preview.is_clean
    assert preview.rows[0].values["name"] == "Nón lá"
    assert preview.rows[0].values["price_vnd"] == "45.000"


def test_rows_matched_by_name_when_no_code_and_unchanged_rows(session, make_producer, make_product) -> None:
    producer = make_producer()
    make_product(name="Giỏ mây", price_vnd=90_000, producer_id=producer.id, unit="cái")
    preview = preview_price_list(session, producer.id, csv_bytes(",,giỏ mây,,90000,,,,,"))
    # Name matched ignoring case; its recorded name differs only in case, so that is the one change.
    assert preview.rows[0].status == "update"
    preview = preview_price_list(session, producer.id, csv_bytes(",,Giỏ mây,,90000,,,,,"))
    assert preview.rows[0].status == "unchanged"


def test_sku_of_another_producer_is_refused(session, make_producer, make_product) -> None:
    make_product(sku="X-1", name="Của người khác")
    preview = preview_price_list(session, make_producer().id, csv_bytes("X-1,,Sản phẩm,,1000,,,,,"))
    assert preview.rows[0].errors == ["Mã SKU X-1 đã dùng cho sản phẩm “Của người khác” của nhà sản xuất khác."]


def test_decomposed_text_is_normalised(session, make_producer) -> None:
    import unicodedata

    producer = make_producer()
    data = csv_bytes(unicodedata.normalize("NFD", ",,Bánh đậu xanh,hộp,30000,,,,,"))
    preview = preview_price_list(session, producer.id, data)
    assert preview.rows[0].values["name"] == unicodedata.normalize("NFC", "Bánh đậu xanh")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "Tệp trống"),
        (b"   \n\n", "Tệp trống"),
        (b"PK\x03\x04\x14\x00\x06\x00binary", "tệp Excel"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "nhị phân"),
        ("name,price_vnd\nBánh,1000\n".encode("utf-16"), "nhị phân"),
        ("name,price_vnd\nBánh,1000\n".encode("latin-1"), "UTF-8"),  # e.g. a Windows-1252 export
        (b"foo,bar\n1,2\n", "dòng tiêu đề"),
        (b"Banh com,1000\nKeo,2000\n", "dòng tiêu đề"),
        (HEADER.encode(), "không có sản phẩm"),
        (b'name,price_vnd\n"unterminated,1000\n', "lỗi định dạng"),
        (b"name,name,price_vnd\na,b,1\n", "hai lần"),
    ],
)
def test_malformed_files_get_a_clear_message(data: bytes, message: str) -> None:
    with pytest.raises(ValidationError) as exc:
        read_csv(data)
    assert message in exc.value.message


def test_too_many_rows(session, make_producer) -> None:
    rows = [f",,Sản phẩm {n},,1000,,,,," for n in range(MAX_ROWS + 1)]
    with pytest.raises(ValidationError) as exc:
        read_csv(csv_bytes(*rows))
    assert "hơn 5.000 dòng" in exc.value.message
    columns, _, parsed = read_csv(csv_bytes(*rows[:MAX_ROWS]))
    assert len(parsed) == MAX_ROWS


def test_extra_cells_are_a_row_error(session, make_producer) -> None:
    producer = make_producer()
    preview = preview_price_list(session, producer.id, b"name,price_vnd\nB\xc3\xa1nh,1000,extra\n")
    assert "nhiều ô hơn" in preview.rows[0].errors[0]
