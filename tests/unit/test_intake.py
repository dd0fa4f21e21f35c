"""Receiving a delivery: stock rises in one transaction, a bad line leaves nothing written."""

from __future__ import annotations

import json
from datetime import date, timedelta
from uuid import uuid4

import pytest
from sqlmodel import select

from pos.catalog.models import Product
from pos.errors import NotFound, ValidationError
from pos.inventory.intake import (
    IntakeLineInput,
    count_intakes,
    get_intake,
    intake_warnings,
    list_intakes,
    receive_stock,
)
from pos.inventory.ledger import ledger_mismatches, on_hand
from pos.inventory.models import Intake, IntakeLine, StockMovement
from pos.sync import contract
from pos.sync.models import OutboxRecord

TODAY = date(2026, 3, 10)


@pytest.fixture
def delivery(make_producer, make_product, make_user):
    """A producer with a food product (needs expiry) and a handicraft (does not)."""
    producer = make_producer(name="HTX Mật ong Tam Đảo")
    honey = make_product(name="Mật ong rừng", producer_id=producer.id, is_food=True, barcode="8934563138165")
    basket = make_product(name="Giỏ mây tre", producer_id=producer.id, is_food=False, ocop_group="luu_niem")
    user = make_user("kho", "manager")
    return producer, honey, basket, user


def everything_count(s) -> tuple[int, int, int, int]:
    return (
        len(s.exec(select(Intake)).all()),
        len(s.exec(select(IntakeLine)).all()),
        len(s.exec(select(StockMovement)).all()),
        len(s.exec(select(OutboxRecord).where(OutboxRecord.kind == "intake")).all()),
    )


def test_intake_raises_stock_and_writes_everything(uow, delivery) -> None:
    producer, honey, basket, user = delivery
    with uow() as s:
        intake = receive_stock(
            s,
            producer.id,
            "09/03/2026",
            "PGH-0012",
            [
                IntakeLineInput(
                    product_id=honey.id, qty="24", unit_cost_vnd="85.000", lot_code="L01", expiry_date="31/12/2026"
                ),
                IntakeLineInput(
                    code="8934563138165", qty=6, unit_cost_vnd=85_000, lot_code="L02", expiry_date="2027-01-31"
                ),
                IntakeLineInput(product_id=basket.id, qty="10", unit_cost_vnd="120000"),
            ],
            actor_id=user.id,
            today=TODAY,
        )
    with uow() as s:
        assert on_hand(s, honey.id) == 30
        assert on_hand(s, basket.id) == 10
        assert ledger_mismatches(s) == []
        assert s.get(Product, honey.id).cost_vnd == 85_000
        assert s.get(Product, basket.id).cost_vnd == 120_000
        movements = s.exec(select(StockMovement).order_by(StockMovement.id)).all()
        assert [(m.kind, m.qty_delta) for m in movements] == [("intake", 24), ("intake", 6), ("intake", 10)]
        assert all(m.intake_line_id is not None and m.created_by_id == user.id for m in movements)

        detail = get_intake(s, intake.id)
        assert detail.intake.received_on == date(2026, 3, 9)
        assert detail.intake.delivery_note_number == "PGH-0012"
        assert [line.line_no for line, _ in detail.lines] == [1, 2, 3]
        assert detail.total_qty == 40
        assert detail.total_cost_vnd == 30 * 85_000 + 10 * 120_000
        assert detail.on_hand[honey.id] == 30

        record = s.exec(select(OutboxRecord).where(OutboxRecord.kind == "intake")).one()
        payload = json.loads(record.payload)
        assert set(payload) == set(contract.IntakeIn.__struct_encode_fields__)
        assert set(payload["lines"][0]) == set(contract.IntakeLineIn.__struct_encode_fields__)
        assert payload["uuid"] == str(intake.uuid) == record.entity_uuid
        assert payload["producer_uuid"] == str(producer.uuid)
        assert payload["created_by"] == "kho"
        assert payload["received_on"] == "2026-03-09"
        assert payload["lines"][0] == {
            "product_uuid": str(honey.uuid),
            "qty": 24,
            "unit_cost_vnd": 85_000,
            "lot_code": "L01",
            "expiry_date": "2026-12-31",
        }


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ({"qty": "0"}, "số lượng phải từ 1 đến 100.000"),
        ({"qty": "100001"}, "số lượng phải từ 1 đến 100.000"),
        ({"qty": "-2"}, "số lượng phải từ 1 đến 100.000"),
        ({"qty": "hai"}, "số lượng phải là số nguyên"),
        ({"qty": ""}, "chưa nhập số lượng"),
        ({"unit_cost_vnd": "-1"}, "giá nhập phải là số tiền không âm"),
        ({"unit_cost_vnd": "abc"}, "giá nhập phải là số tiền không âm"),
        ({"expiry_date": ""}, "cần nhập hạn sử dụng"),
        ({"expiry_date": "32/01/2027"}, "hạn sử dụng không phải ngày hợp lệ"),
        ({"expiry_date": "01/03/2026"}, "trước ngày nhập kho"),
        ({"lot_code": "L" * 61}, "số lô dài quá 60 ký tự"),
    ],
)
def test_a_bad_line_leaves_nothing_written(uow, delivery, line: dict, message: str) -> None:
    producer, honey, basket, user = delivery
    good = IntakeLineInput(product_id=basket.id, qty=5)
    bad = IntakeLineInput(**{"product_id": honey.id, "qty": "3", "expiry_date": "31/12/2026", **line})
    with pytest.raises(ValidationError) as exc, uow() as s:
        receive_stock(s, producer.id, TODAY, "", [good, good, bad], actor_id=user.id, today=TODAY)
    assert exc.value.message.startswith("Dòng 3: ")
    assert message in exc.value.message
    with uow() as s:
        assert everything_count(s) == (0, 0, 0, 0)
        assert on_hand(s, basket.id) == 0


def test_every_bad_line_is_named(uow, delivery) -> None:
    producer, honey, basket, user = delivery
    lines = [
        IntakeLineInput(product_id=honey.id, qty="0"),
        IntakeLineInput(),  # a blank row of the form is skipped, but keeps its number
        IntakeLineInput(product_id=basket.id, qty="5"),
        IntakeLineInput(code="0000000000000", qty="1"),
    ]
    with pytest.raises(ValidationError) as exc, uow() as s:
        receive_stock(s, producer.id, TODAY, "", lines, actor_id=user.id, today=TODAY)
    errors = exc.value.details["errors"]
    assert set(errors) == {"line-1", "line-4"}
    assert "số lượng" in errors["line-1"] and "hạn sử dụng" in errors["line-1"]
    assert "không có sản phẩm mã “0000000000000”" in errors["line-4"]


def test_product_of_another_producer_is_refused(uow, delivery, make_product) -> None:
    producer, _, basket, user = delivery
    stranger = make_product(name="Nước mắm Cát Hải")
    with pytest.raises(ValidationError) as exc, uow() as s:
        receive_stock(
            s,
            producer.id,
            TODAY,
            "",
            [IntakeLineInput(product_id=basket.id, qty=1), IntakeLineInput(product_id=stranger.id, qty=1)],
            actor_id=user.id,
            today=TODAY,
        )
    assert "Dòng 2" in exc.value.message and "không thuộc nhà sản xuất" in exc.value.message
    with uow() as s:
        assert everything_count(s) == (0, 0, 0, 0)


@pytest.mark.parametrize(
    ("producer", "received_on", "lines", "field"),
    [
        (None, TODAY, True, "producer_id"),
        ("x", TODAY, True, "producer_id"),
        (True, "", True, "received_on"),
        (True, "hôm qua", True, "received_on"),
        (True, TODAY + timedelta(days=1), True, "received_on"),
        (True, TODAY - timedelta(days=400), True, "received_on"),
        (True, TODAY, False, "lines"),
    ],
)
def test_header_problems(uow, delivery, producer, received_on, lines, field) -> None:
    real_producer, _, basket, user = delivery
    producer_id = real_producer.id if producer is True else producer
    items = [IntakeLineInput(product_id=basket.id, qty=1)] if lines else [IntakeLineInput()]
    with pytest.raises(ValidationError) as exc, uow() as s:
        receive_stock(s, producer_id, received_on, "", items, actor_id=user.id, today=TODAY)
    assert field in exc.value.details["errors"]


def test_same_delivery_note_twice_is_refused(uow, delivery) -> None:
    producer, _, basket, user = delivery
    with uow() as s:
        receive_stock(
            s, producer.id, TODAY, "PGH-7", [IntakeLineInput(product_id=basket.id, qty=1)], user.id, today=TODAY
        )
    with pytest.raises(ValidationError) as exc, uow() as s:
        receive_stock(
            s, producer.id, TODAY, "PGH-7", [IntakeLineInput(product_id=basket.id, qty=1)], user.id, today=TODAY
        )
    assert "đã nhập kho ngày 10/03/2026" in exc.value.details["errors"]["delivery_note_number"]


def test_intake_keeps_the_uuid_of_its_form(uow, delivery) -> None:
    producer, _, basket, user = delivery
    form_uuid = uuid4()
    with uow() as s:
        intake = receive_stock(
            s,
            producer.id,
            TODAY,
            "",
            [IntakeLineInput(product_id=basket.id, qty=2)],
            user.id,
            today=TODAY,
            intake_uuid=form_uuid,
        )
    assert intake.uuid == form_uuid


def test_expired_and_expiring_lots_are_warned(uow, delivery) -> None:
    producer, honey, _, user = delivery
    with uow() as s:
        intake = receive_stock(
            s,
            producer.id,
            "01/03/2026",
            "",
            [
                IntakeLineInput(product_id=honey.id, qty=1, expiry_date="05/03/2026"),  # fine on the day, past today
                IntakeLineInput(product_id=honey.id, qty=1, expiry_date="20/03/2026"),
                IntakeLineInput(product_id=honey.id, qty=1, expiry_date="20/12/2026"),
            ],
            user.id,
            today=TODAY,
        )
        warnings = intake_warnings(get_intake(s, intake.id).lines, TODAY, 30)
    assert len(warnings) == 2
    assert warnings[0].startswith("Dòng 1") and "đã hết hạn" in warnings[0]
    assert warnings[1].startswith("Dòng 2") and "sắp hết hạn" in warnings[1]


def test_list_and_get(uow, session, delivery) -> None:
    producer, _, basket, user = delivery
    with uow() as s:
        for n in range(3):
            receive_stock(
                s,
                producer.id,
                TODAY - timedelta(days=n),
                f"P{n}",
                [IntakeLineInput(product_id=basket.id, qty=n + 1, unit_cost_vnd=1000)],
                user.id,
                today=TODAY,
            )
    rows = list_intakes(session)
    assert [r.intake.delivery_note_number for r in rows] == ["P0", "P1", "P2"]
    assert [r.total_qty for r in rows] == [1, 2, 3]
    assert rows[2].total_cost_vnd == 3000
    assert rows[0].producer_name == producer.name
    assert count_intakes(session, producer_id=producer.id) == 3
    with pytest.raises(NotFound):
        get_intake(session, 999)
