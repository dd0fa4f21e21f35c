"""Producers and products: validation, barcodes, in-store codes, search, audit and outbox."""

from __future__ import annotations

import json
import unicodedata

import pytest
from sqlmodel import select

from pos.audit.models import AuditEntry
from pos.barcodes import gtin_check_digit, is_instore
from pos.catalog.models import Producer, Product
from pos.catalog.services import (
    ProducerInput,
    ProductInput,
    count_products,
    create_producer,
    create_product,
    find_by_barcode,
    search_products,
    update_producer,
    update_product,
)
from pos.errors import ValidationError
from pos.inventory.ledger import record_movement
from pos.inventory.models import StockMovement
from pos.sync import contract
from pos.sync.models import OutboxRecord

GOOD_EAN = "8934563138165"  # a GS1 Vietnam code with a correct check digit
assert gtin_check_digit(GOOD_EAN[:-1]) == GOOD_EAN[-1]


def product_input(producer_id: int | None, **fields: object) -> ProductInput:
    values: dict[str, object] = {"name": "Bánh cốm Hà Nội", "price_vnd": "125.000", "producer_id": producer_id}
    values.update(fields)
    return ProductInput(**values)  # type: ignore[arg-type]


def errors_of(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, str]:
    return exc.value.details["errors"]


# --- producers ----------------------------------------------------------------------------------------------


def test_create_producer_normalises_and_enqueues(uow) -> None:
    decomposed = unicodedata.normalize("NFD", "HTX Chè Tân Cương")
    with uow() as s:
        producer = create_producer(
            s,
            ProducerInput(
                name=f"  {decomposed} ",
                kind="htx",
                tax_code="4600123456",
                province="Thái Nguyên",
                phone="0912 345 678",
                commission_percent="12,5",
            ),
        )
    with uow() as s:
        stored = s.get(Producer, producer.id)
        assert stored.name == "HTX Chè Tân Cương"
        assert unicodedata.is_normalized("NFC", stored.name)
        assert stored.name_search == "htx che tan cuong"
        assert stored.commission_bp == 1250
        record = s.exec(select(OutboxRecord).where(OutboxRecord.kind == "producer")).one()
        payload = json.loads(record.payload)
        assert set(payload) == set(contract.ProducerIn.__struct_encode_fields__)
        assert payload["uuid"] == str(stored.uuid) == record.entity_uuid
        assert payload["commission_bp"] == 1250


@pytest.mark.parametrize(
    ("field", "values"),
    [
        ("name", {"name": ""}),
        ("name", {"name": "x" * 201}),
        ("kind", {"kind": "cooperative"}),
        ("tax_code", {"tax_code": "12345"}),
        ("tax_code", {"tax_code": "0101234567-0011"}),
        ("commission_percent", {"commission_percent": "101"}),
        ("commission_percent", {"commission_percent": "-1"}),
        ("commission_percent", {"commission_percent": "hai mươi"}),
        ("phone", {"phone": "gọi tôi"}),
        ("phone", {"phone": "123"}),
    ],
)
def test_producer_refuses_bad_fields(uow, field: str, values: dict[str, str]) -> None:
    data = ProducerInput(name="HTX Thử", **{k: v for k, v in values.items() if k != "name"})
    if "name" in values:
        data.name = values["name"]
    with pytest.raises(ValidationError) as exc, uow() as s:
        create_producer(s, data)
    assert field in errors_of(exc)
    with uow() as s:
        assert s.exec(select(Producer)).all() == []


def test_producer_tax_code_13_digits_and_duplicate(uow) -> None:
    with uow() as s:
        p = create_producer(s, ProducerInput(name="DN A", kind="dn", tax_code="0101234567001"))
    assert p.tax_code == "0101234567-001"
    with pytest.raises(ValidationError) as exc, uow() as s:
        create_producer(s, ProducerInput(name="DN B", kind="dn", tax_code="0101234567-001"))
    assert "đã dùng cho nhà sản xuất" in errors_of(exc)["tax_code"]


def test_commission_change_is_audited(uow, make_producer) -> None:
    producer = make_producer(commission_bp=2000)
    with uow() as s:
        data = ProducerInput.from_producer(s.get(Producer, producer.id))
        data.commission_percent = "25"
        update_producer(s, producer.id, data, actor_id=None)
    with uow() as s:
        entry = s.exec(select(AuditEntry).where(AuditEntry.action == "producer.commission")).one()
        assert json.loads(entry.before) == {"commission_bp": 2000}
        assert json.loads(entry.after) == {"commission_bp": 2500}


# --- products -----------------------------------------------------------------------------------------------


def test_create_product_parses_price_and_enqueues(uow, make_producer) -> None:
    producer = make_producer()
    with uow() as s:
        product = create_product(s, product_input(producer.id, barcode=GOOD_EAN, ocop_stars="4"))
    assert product.price_vnd == 125_000
    assert product.barcode == GOOD_EAN
    assert product.ocop_stars == 4
    assert product.sku.startswith("SP") and len(product.sku) == 8
    assert product.is_food  # thực phẩm by default
    with uow() as s:
        record = s.exec(select(OutboxRecord).where(OutboxRecord.kind == "product")).one()
        payload = json.loads(record.payload)
        assert set(payload) == set(contract.ProductIn.__struct_encode_fields__)
        assert payload["producer_uuid"] == str(producer.uuid)
        assert payload["price_vnd"] == 125_000
        assert payload["name"] == "Bánh cốm Hà Nội"


def test_the_product_record_says_how_it_is_sold_and_tells_its_story(uow, make_producer) -> None:
    """Version 2 of a product record: sold by weight (grams, price per kg) and the story, for the central office."""
    producer = make_producer()
    story = {"name_en": "Cao Phong oranges", "origin_province": "Tỉnh Hòa Bình", "trace_url": "https://truyxuat.vn/c"}
    with uow() as s:
        product = create_product(
            s, product_input(producer.id, unit="kg", sold_by="weight", story=story, min_stock="5,5")
        )
        assert product.min_stock == 5_500  # a weighed product's reorder point is typed in kg, kept in grams
        assert ProductInput.from_product(product).min_stock == "5,500"
    with uow() as s:
        record = s.exec(select(OutboxRecord).where(OutboxRecord.kind == "product")).one()
        payload = json.loads(record.payload)
        assert record.version == contract.KIND_VERSIONS["product"] == 2
        assert payload["sold_by"] == "weight" and payload["name_en"] == "Cao Phong oranges"
        assert (payload["origin_province"], payload["trace_url"], payload["description_en"]) == (
            "Tỉnh Hòa Bình",
            "https://truyxuat.vn/c",
            "",
        )
        # An edit of the story alone sends the product again, with the new story.
        update_product(s, product.id, product_input(producer.id, unit="kg", sold_by="weight", story={"name_en": "X"}))
    with uow() as s:
        records = s.exec(select(OutboxRecord).where(OutboxRecord.kind == "product").order_by(OutboxRecord.id)).all()
        assert json.loads(records[-1].payload)["name_en"] == "X"
        assert json.loads(records[-1].payload)["origin_province"] == ""


def test_decomposed_name_is_stored_nfc_and_searchable(uow, make_producer) -> None:
    producer = make_producer()
    with uow() as s:
        create_product(s, product_input(producer.id, name=unicodedata.normalize("NFD", "Mật ong rừng Tây Bắc")))
    with uow() as s:
        stored = s.exec(select(Product)).one()
        assert stored.name == unicodedata.normalize("NFC", "Mật ong rừng Tây Bắc")
        assert [r.product.id for r in search_products(s, "mật ong")] == [stored.id]
        assert [r.product.id for r in search_products(s, unicodedata.normalize("NFD", "Tây Bắc"))] == [stored.id]


@pytest.mark.parametrize(
    ("field", "values", "message"),
    [
        ("name", {"name": "  "}, "Chưa nhập tên"),
        ("price_vnd", {"price_vnd": "mười nghìn"}, "Giá bán phải là số tiền"),
        ("price_vnd", {"price_vnd": "0"}, "lớn hơn 0"),
        ("price_vnd", {"price_vnd": "-5000"}, "Giá bán phải là số tiền"),
        ("price_vnd", {"price_vnd": "1.000.000.001"}, "quá lớn"),
        ("price_vnd", {"price_vnd": ""}, "Chưa nhập giá"),
        ("vat_class", {"vat_class": "ten"}, "thuế"),
        ("ocop_group", {"ocop_group": "xe_may"}, "Nhóm"),
        ("ocop_stars", {"ocop_stars": "2"}, "3, 4 hoặc 5"),
        ("ocop_stars", {"ocop_stars": "6"}, "3, 4 hoặc 5"),
        ("ocop_stars", {"ocop_stars": "bốn"}, "3, 4 hoặc 5"),
        ("ocop_cert_expiry", {"ocop_cert_expiry": "31/02/2026"}, "không hợp lệ"),
        ("unit", {"unit": ""}, "đơn vị"),
        ("producer_id", {"producer_id": 99999}, "nhà sản xuất"),
        ("barcode", {"barcode": "8934563138164"}, "sai số kiểm tra"),
        ("barcode", {"barcode": "12345"}, "8, 12 hoặc 13"),
        ("min_stock", {"min_stock": "-3"}, "Tồn kho tối thiểu"),
    ],
)
def test_product_refuses_bad_fields(uow, make_producer, field: str, values: dict, message: str) -> None:
    producer = make_producer()
    with pytest.raises(ValidationError) as exc, uow() as s:
        create_product(s, product_input(**{"producer_id": producer.id, **values}))
    assert message in errors_of(exc)[field]
    with uow() as s:
        assert s.exec(select(Product)).all() == []
        assert s.exec(select(OutboxRecord).where(OutboxRecord.kind == "product")).all() == []


def test_all_field_errors_are_reported_together(uow, make_producer) -> None:
    with pytest.raises(ValidationError) as exc, uow() as s:
        create_product(s, ProductInput(name="", price_vnd="abc", ocop_stars="9", barcode="123"))
    assert {"name", "price_vnd", "ocop_stars", "barcode", "producer_id"} <= set(errors_of(exc))


def test_duplicate_barcode_is_refused_with_owner(uow, make_product) -> None:
    owner = make_product(name="Nước mắm Phú Quốc", barcode=GOOD_EAN)
    with pytest.raises(ValidationError) as exc, uow() as s:
        create_product(s, product_input(owner.producer_id, barcode=f" {GOOD_EAN}\n"))
    message = errors_of(exc)["barcode"]
    assert f"Mã vạch {GOOD_EAN} đã dùng cho sản phẩm" in message
    assert "Nước mắm Phú Quốc" in message


def test_upca_and_its_ean13_form_are_the_same_barcode(uow, make_product) -> None:
    upc = "036000291452"
    make_product(barcode=upc)
    with pytest.raises(ValidationError), uow() as s:
        create_product(s, product_input(make_product().producer_id, barcode="0" + upc))
    with uow() as s:
        assert find_by_barcode(s, "0" + upc).barcode == upc


def test_duplicate_sku_is_refused(uow, make_product) -> None:
    make_product(sku="CHE-01")
    with pytest.raises(ValidationError) as exc, uow() as s:
        create_product(s, product_input(make_product().producer_id, sku="che-01"))
    assert "CHE-01" in errors_of(exc)["sku"] or "che-01" in errors_of(exc)["sku"]


def test_blank_barcode_gets_unique_valid_instore_code(uow, make_producer) -> None:
    producer = make_producer()
    codes = []
    with uow() as s:
        for i in range(5):
            codes.append(
                create_product(s, product_input(producer.id, name=f"Khăn lụa {i}"), instore_prefix="21").barcode
            )
    assert len(set(codes)) == 5
    for code in codes:
        assert is_instore(code) and code.startswith("21") and len(code) == 13


def test_instore_code_is_never_reused_after_delete(uow, make_producer) -> None:
    producer = make_producer()
    with uow() as s:
        first = create_product(s, product_input(producer.id, name="Nón lá"))
    with uow() as s:
        s.delete(s.get(Product, first.id))
    with uow() as s:
        second = create_product(s, product_input(producer.id, name="Nón lá Huế"))
    assert second.barcode != first.barcode
    assert is_instore(second.barcode)


def test_instore_code_skips_one_typed_by_hand(uow, make_producer) -> None:
    from pos.barcodes import instore_ean13

    producer = make_producer()
    taken = instore_ean13(1)
    with uow() as s:
        create_product(s, product_input(producer.id, name="Đã có mã", barcode=taken))
        fresh = create_product(s, product_input(producer.id, name="Chưa có mã"))
    assert fresh.barcode != taken and is_instore(fresh.barcode)


def test_price_change_is_audited_and_enqueued(uow, make_product) -> None:
    product = make_product(price_vnd=100_000)
    with uow() as s:
        data = ProductInput.from_product(s.get(Product, product.id))
        data.price_vnd = "120.000"
        update_product(s, product.id, data, actor_id=None)
    with uow() as s:
        entry = s.exec(select(AuditEntry).where(AuditEntry.action == "product.price")).one()
        assert json.loads(entry.before) == {"price_vnd": 100_000}
        assert json.loads(entry.after) == {"price_vnd": 120_000}
        assert entry.entity_id == str(product.id)
        records = s.exec(select(OutboxRecord).where(OutboxRecord.kind == "product")).all()
        assert json.loads(records[-1].payload)["price_vnd"] == 120_000


def test_edit_without_price_change_writes_no_audit(uow, make_product) -> None:
    product = make_product(price_vnd=100_000, barcode=GOOD_EAN)
    with uow() as s:
        data = ProductInput.from_product(s.get(Product, product.id))
        data.name = "Tên mới"
        updated = update_product(s, product.id, data)
    assert updated.barcode == GOOD_EAN  # its own barcode is not "taken"
    with uow() as s:
        assert s.exec(select(AuditEntry).where(AuditEntry.action == "product.price")).all() == []


# --- search ---------------------------------------------------------------------------------------------------


@pytest.fixture
def catalogue(make_producer, make_product):
    a = make_producer(name="HTX Cốm Vòng")
    b = make_producer(name="HTX Chè Thái")
    items = {
        "com": make_product(name="Bánh cốm Vòng", producer_id=a.id, barcode=GOOD_EAN, sku="COM-01", ocop_stars=4),
        "che": make_product(name="Chè Tân Cương", producer_id=b.id, sku="CHE-01", ocop_stars=5, min_stock=10),
        "lua": make_product(name="Khăn lụa 100% tơ_tằm", producer_id=b.id, sku="LUA-01", ocop_group="vai_may_mac"),
    }
    return a, b, items


def test_search_with_and_without_diacritics(session, catalogue) -> None:
    _, _, items = catalogue
    for q in ("banh com", "Bánh cốm", "BANH COM", "cốm", "com vong"):
        assert [r.product.id for r in search_products(session, q)] == [items["com"].id], q


def test_search_by_barcode_and_sku_prefix(session, catalogue) -> None:
    _, _, items = catalogue
    assert [r.product.id for r in search_products(session, GOOD_EAN)] == [items["com"].id]
    assert [r.product.id for r in search_products(session, "che-")] == [items["che"].id]
    assert search_products(session, GOOD_EAN[:6]) == []  # barcode is exact, not a prefix


def test_search_wildcards_are_literal(session, catalogue) -> None:
    _, _, items = catalogue
    assert [r.product.id for r in search_products(session, "100%")] == [items["lua"].id]
    assert [r.product.id for r in search_products(session, "to_tam")] == [items["lua"].id]
    assert search_products(session, "b%c") == []  # would match "Bánh cốm" if % were a wildcard


def test_search_filters(session, catalogue) -> None:
    a, b, items = catalogue
    assert {r.product.id for r in search_products(session, producer_id=b.id)} == {items["che"].id, items["lua"].id}
    assert [r.product.id for r in search_products(session, stars=5)] == [items["che"].id]
    assert [r.product.id for r in search_products(session, group="vai_may_mac")] == [items["lua"].id]
    assert count_products(session, producer_id=b.id) == 2


def test_low_stock_uses_product_minimum_or_default(uow, session, catalogue) -> None:
    _, _, items = catalogue
    with uow() as s:
        record_movement(s, StockMovement(product_id=items["com"].id, kind="intake", qty_delta=6))  # > default 5
        record_movement(s, StockMovement(product_id=items["che"].id, kind="intake", qty_delta=8))  # ≤ its own 10
        record_movement(s, StockMovement(product_id=items["lua"].id, kind="intake", qty_delta=5))  # ≤ default 5
    rows = search_products(session, low_stock=True, low_stock_default=5)
    assert {r.product.id for r in rows} == {items["che"].id, items["lua"].id}
    assert all(r.is_low for r in rows)
    on_hand = {r.product.id: r.on_hand for r in search_products(session)}
    assert on_hand == {items["com"].id: 6, items["che"].id: 8, items["lua"].id: 5}


def test_inactive_products_hidden_by_default(session, make_product) -> None:
    gone = make_product(name="Hàng ngừng bán", is_active=False)
    assert search_products(session, "hang ngung") == []
    assert [r.product.id for r in search_products(session, "hang ngung", active=None)] == [gone.id]


@pytest.mark.parametrize(
    ("form", "is_food"),
    [
        ({"ocop_group": "thuc_pham", "is_food": ""}, True),
        ({"ocop_group": "luu_niem", "is_food": ""}, False),
        ({"ocop_group": "thuc_pham", "is_food": "0"}, False),
        ({"ocop_group": "luu_niem", "is_food": "1"}, True),
    ],
)
def test_food_flag_follows_the_group_unless_chosen(uow, make_producer, form, is_food) -> None:
    producer = make_producer()
    data = ProductInput.from_mapping({"name": "Sản phẩm", "price_vnd": "1000", "producer_id": producer.id, **form})
    with uow() as s:
        assert create_product(s, data).is_food is is_food
