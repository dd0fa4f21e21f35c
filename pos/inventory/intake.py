"""Receiving a producer's delivery (phiếu nhập kho): one intake, its lines, their stock movements."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import case, func
from sqlmodel import Session, select

from pos.audit import log as audit
from pos.auth.models import User
from pos.catalog.certificates import expiring_soon
from pos.catalog.models import Producer, Product
from pos.catalog.services import FieldErrors, find_by_code, get_producer, parse_date, parse_int, parse_money
from pos.db import parse_id
from pos.errors import NotFound
from pos.inventory.ledger import on_hand_many, record_movement
from pos.inventory.lots import lot_for_intake, recalled_lot
from pos.inventory.models import Intake, IntakeLine, StockMovement
from pos.quantity import GRAMS_PER_KG, WEIGHT, WeightError, amount_column, is_weighed, line_amount, read_weight
from pos.sync.contract import Fields
from pos.sync.outbox import enqueue
from pos.text import nfc

MAX_QTY = 100_000
MAX_WEIGHT_KG = 10_000  # one line of a delivery of goods sold by weight: ten tonnes, in grams well inside the contract
MAX_UNIT_COST_VND = 1_000_000_000
MAX_LINES = 500
MAX_BACKDATE_DAYS = 366  # a delivery note older than a year is a typo, not a late entry


@dataclass
class IntakeLineInput:
    """One line as typed: the product (by id, or by the barcode/SKU typed in), qty, cost, lot, expiry."""

    product_id: int | str | None = None
    qty: int | str = ""
    unit_cost_vnd: int | str | None = 0
    lot_code: str = ""
    expiry_date: date | str | None = None
    manufactured_on: date | str | None = None
    code: str = ""  # barcode or SKU, for a line whose product was typed rather than picked
    line_no: int | None = None  # the line's number on screen, used in messages


def _resolve_product(session: Session, line: IntakeLineInput) -> Product | None:
    if line.product_id not in (None, "") and str(line.product_id).strip().isdigit():
        wanted = parse_id(str(line.product_id))
        return session.get(Product, wanted) if wanted else None
    return find_by_code(session, line.code) if nfc(line.code) else None


def _is_blank(line: IntakeLineInput) -> bool:
    return not any(
        nfc(str(v)) if v is not None else ""
        for v in (line.product_id, line.code, line.qty, line.lot_code, line.expiry_date)
    )


@dataclass
class _CheckedLine:
    product: Product
    qty: int
    unit_cost_vnd: int
    lot_code: str
    expiry_date: date | None
    manufactured_on: date | None


def _weighed_qty(raw: object) -> tuple[int | None, str]:
    """The grams of a weighed product's line, typed as at the till ('12500' grams, '12,5' or '12,5 kg'), or why
    not; a delivery may pass a counter scale's range, up to MAX_WEIGHT_KG."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        grams = raw
    else:
        text = nfc(str(raw or "")).strip()
        if not text:
            return None, "chưa nhập khối lượng"
        try:
            grams = read_weight(text)
        except WeightError as exc:
            return None, str(exc).rstrip(".")
    if not 1 <= grams <= MAX_WEIGHT_KG * GRAMS_PER_KG:
        return None, f"khối lượng phải lớn hơn 0 và không quá {MAX_WEIGHT_KG:,} kg".replace(",", ".")
    return grams, ""


def _check_line(
    session: Session, n: int, line: IntakeLineInput, producer: Producer | None, received_on: date | None
) -> tuple[_CheckedLine | None, str]:
    """The line checked, or its problems in one message starting 'Dòng n: '."""
    problems: list[str] = []
    product = _resolve_product(session, line)
    if product is None:
        typed = nfc(line.code)
        problems.append(f"không có sản phẩm mã “{typed}”" if typed else "chưa chọn sản phẩm")
    elif producer is not None and product.producer_id != producer.id:
        problems.append(f"sản phẩm “{product.name}” không thuộc nhà sản xuất {producer.name}")
    elif not product.is_active:
        problems.append(f"sản phẩm “{product.name}” đã ngừng kinh doanh")

    if product is not None and is_weighed(product.sold_by):
        qty, problem = _weighed_qty(line.qty)
        if problem:
            problems.append(problem)
    else:
        try:
            qty = parse_int(line.qty)
        except ValueError:
            qty = None
            problems.append("số lượng phải là số nguyên")
        else:
            if qty is None:
                problems.append("chưa nhập số lượng")
            elif not 1 <= qty <= MAX_QTY:
                problems.append("số lượng phải từ 1 đến 100.000")

    try:
        cost = parse_money(line.unit_cost_vnd)
    except ValueError:
        cost = None
        problems.append("giá nhập phải là số tiền không âm, ví dụ 85.000")
    else:
        cost = cost or 0
        if cost > MAX_UNIT_COST_VND:
            problems.append("giá nhập quá lớn")

    lot_code = nfc(line.lot_code)
    if len(lot_code) > 60:
        problems.append("số lô dài quá 60 ký tự")

    expiry = manufactured = None
    try:
        expiry = parse_date(line.expiry_date)
    except ValueError:
        problems.append("hạn sử dụng không phải ngày hợp lệ (dd/mm/yyyy)")
    else:
        if expiry is None and product is not None and product.is_food:
            problems.append(f"“{product.name}” là thực phẩm, cần nhập hạn sử dụng")
        elif expiry is not None and received_on is not None and expiry < received_on:
            problems.append(f"hạn sử dụng {expiry:%d/%m/%Y} trước ngày nhập kho — lô đã hết hạn, không nhận")
    try:
        manufactured = parse_date(line.manufactured_on)
    except ValueError:
        problems.append("ngày sản xuất không hợp lệ (dd/mm/yyyy)")
    else:
        if manufactured and received_on and manufactured > received_on:
            problems.append("ngày sản xuất sau ngày nhập kho")
        if manufactured and expiry and manufactured > expiry:
            problems.append("ngày sản xuất sau hạn sử dụng")

    if product is not None and (recalled := recalled_lot(session, product.id, lot_code, expiry)) is not None:  # type: ignore[arg-type]
        problems.append(f"lô {recalled.lot_code} của “{product.name}” đang bị thu hồi, không nhận lại")

    if problems or product is None or qty is None or cost is None:
        return None, f"Dòng {n}: " + "; ".join(problems) + "."
    return _CheckedLine(product, qty, cost, lot_code, expiry, manufactured), ""


def intake_payload(
    intake: Intake, producer: Producer, lines: list[tuple[IntakeLine, Product]], actor: str | None
) -> Fields:
    """The outbox record of an intake (kind 'intake')."""
    return {
        "uuid": str(intake.uuid),
        "producer_uuid": str(producer.uuid),
        "received_on": intake.received_on.isoformat(),
        "delivery_note_number": intake.delivery_note_number,
        "created_by": actor,
        "created_at": intake.created_at.isoformat(),
        "lines": [
            {
                "product_uuid": str(product.uuid),
                "qty": line.qty,
                "unit_cost_vnd": line.unit_cost_vnd,
                "lot_code": line.lot_code,
                "expiry_date": line.expiry_date.isoformat() if line.expiry_date else None,
            }
            for line, product in lines
        ],
    }


def receive_stock(
    session: Session,
    producer_id: int | str | None,
    received_on: date | str | None,
    delivery_note_number: str,
    lines: list[IntakeLineInput],
    actor_id: int | None,
    *,
    note: str = "",
    today: date | None = None,
    intake_uuid: UUID | None = None,
) -> Intake:
    """Record a delivery: the intake, its lines, one stock movement per line, and its outbox record.

    Everything is checked first and every problem raised together (ValidationError, details["errors"]:
    field or 'line-n' -> message), so a bad line leaves nothing written.
    """
    today = today or date.today()
    errors = FieldErrors()
    producer: Producer | None = None
    try:
        producer = get_producer(session, producer_id)
    except NotFound:
        errors.add("producer_id", "Chưa chọn nhà sản xuất.")

    day: date | None = None
    try:
        day = parse_date(received_on)
    except ValueError:
        errors.add("received_on", "Ngày nhập kho không hợp lệ (dd/mm/yyyy).")
    else:
        if day is None:
            errors.add("received_on", "Chưa nhập ngày nhập kho.")
        elif day > today:
            errors.add("received_on", "Ngày nhập kho không được sau hôm nay.")
        elif day < today - timedelta(days=MAX_BACKDATE_DAYS):
            errors.add("received_on", "Ngày nhập kho cách đây hơn một năm — kiểm tra lại ngày.")
            day = None

    note_number = nfc(delivery_note_number)
    if len(note_number) > 60:
        errors.add("delivery_note_number", "Số phiếu giao hàng dài quá 60 ký tự.")
    elif note_number and producer is not None:
        earlier = session.exec(
            select(Intake).where(Intake.producer_id == producer.id, Intake.delivery_note_number == note_number)
        ).first()
        if earlier is not None:
            errors.add(
                "delivery_note_number",
                f"Phiếu giao hàng số {note_number} của nhà sản xuất này đã nhập kho ngày "
                f"{earlier.received_on:%d/%m/%Y} (phiếu nhập số {earlier.id}).",
            )
    note = nfc(note)
    if len(note) > 500:
        errors.add("note", "Ghi chú dài quá 500 ký tự.")

    filled = [line for line in lines if not _is_blank(line)]
    if not filled:
        errors.add("lines", "Phiếu nhập chưa có dòng hàng nào.")
    elif len(filled) > MAX_LINES:
        errors.add("lines", f"Một phiếu nhập tối đa {MAX_LINES} dòng; hãy tách thành nhiều phiếu.")

    checked: list[_CheckedLine] = []
    for index, line in enumerate(lines, start=1):
        if _is_blank(line):
            continue
        n = line.line_no or index
        good, problem = _check_line(session, n, line, producer, day)
        if good is not None:
            checked.append(good)
        else:
            errors.add(f"line-{n}", problem)
    errors.raise_if_any()
    assert producer is not None and day is not None

    intake = Intake(
        producer_id=producer.id,  # type: ignore[arg-type]
        received_on=day,
        delivery_note_number=note_number,
        note=note,
        created_by_id=actor_id,
    )
    if intake_uuid is not None:
        intake.uuid = intake_uuid
    session.add(intake)
    session.flush()
    written: list[tuple[IntakeLine, Product]] = []
    for line_no, item in enumerate(checked, start=1):
        line = IntakeLine(
            intake_id=intake.id,  # type: ignore[arg-type]
            line_no=line_no,
            product_id=item.product.id,  # type: ignore[arg-type]
            qty=item.qty,
            unit_cost_vnd=item.unit_cost_vnd,
            lot_code=item.lot_code,
            manufactured_on=item.manufactured_on,
            expiry_date=item.expiry_date,
        )
        session.add(line)
        session.flush()
        lot = lot_for_intake(session, item.product, line)
        record_movement(
            session,
            StockMovement(
                product_id=item.product.id,  # type: ignore[arg-type]
                kind="intake",
                qty_delta=item.qty,
                unit_cost_vnd=item.unit_cost_vnd,
                intake_line_id=line.id,
                lot_id=lot.id if lot else None,
                created_by_id=actor_id,
                note=f"Phiếu nhập {intake.id}",
            ),
        )
        if item.unit_cost_vnd:
            item.product.cost_vnd = item.unit_cost_vnd
            session.add(item.product)
        written.append((line, item.product))
    actor = session.get(User, actor_id) if actor_id is not None else None
    enqueue(
        session,
        "intake",
        intake.uuid,
        dict(intake_payload(intake, producer, written, actor.username if actor else None)),
    )
    audit.record(
        session,
        "intake.create",
        user_id=actor_id,
        entity="intake",
        entity_id=intake.id,
        after={
            "producer": producer.name,
            "delivery_note_number": intake.delivery_note_number,
            "lines": len(written),
            "qty": sum(line.qty for line, _ in written),
        },
    )
    session.flush()
    return intake


def intake_warnings(
    lines: list[tuple[IntakeLine, Product]], today: date, warning_days: int, cert_warning_days: int = 90
) -> list[str]:
    """Lots received past or near their expiry date, and OCOP certificates lapsing (accepted, but worth a look)."""
    warnings = []
    warned: set[int] = set()
    for line, product in lines:
        if product.id not in warned and expiring_soon(product, today, cert_warning_days):
            warned.add(product.id)  # type: ignore[arg-type]
            lapsed = product.ocop_cert_expiry < today  # type: ignore[operator]
            warnings.append(
                f"“{product.name}”: giấy chứng nhận OCOP {'đã hết hạn' if lapsed else 'sắp hết hạn'} "
                f"({product.ocop_cert_expiry:%d/%m/%Y}); tem in ra sẽ không có sao OCOP khi đã hết hạn."
            )
        if line.expiry_date is None:
            continue
        if line.expiry_date < today:
            warnings.append(f"Dòng {line.line_no}: “{product.name}” đã hết hạn sử dụng ({line.expiry_date:%d/%m/%Y}).")
        elif line.expiry_date <= today + timedelta(days=warning_days):
            warnings.append(f"Dòng {line.line_no}: “{product.name}” sắp hết hạn sử dụng ({line.expiry_date:%d/%m/%Y}).")
    return warnings


@dataclass(frozen=True)
class IntakeSummary:
    """An intake as listed: its producer, who recorded it and its totals."""

    intake: Intake
    producer_name: str
    created_by: str
    line_count: int
    total_qty: int  # pieces of the goods sold by the piece
    total_cost_vnd: int
    total_grams: int = 0  # of the goods sold by weight, never added to the pieces


def _intake_query(producer_id: int | None) -> Any:
    totals = (
        select(
            IntakeLine.intake_id,
            func.count().label("n"),
            func.sum(case((Product.sold_by == WEIGHT, 0), else_=IntakeLine.qty)).label("qty"),
            func.sum(amount_column(IntakeLine.qty, IntakeLine.unit_cost_vnd, Product.sold_by)).label("cost"),
            func.sum(case((Product.sold_by == WEIGHT, IntakeLine.qty), else_=0)).label("grams"),
        )
        .join(Product, Product.id == IntakeLine.product_id)  # type: ignore[arg-type]
        .group_by(IntakeLine.intake_id)
        .subquery()
    )
    query = (
        select(Intake, Producer.name, User.full_name, totals.c.n, totals.c.qty, totals.c.cost, totals.c.grams)
        .join(Producer, Producer.id == Intake.producer_id)  # type: ignore[arg-type]
        .outerjoin(User, User.id == Intake.created_by_id)  # type: ignore[arg-type]
        .outerjoin(totals, totals.c.intake_id == Intake.id)
    )
    if producer_id:
        query = query.where(Intake.producer_id == producer_id)
    return query


def list_intakes(
    session: Session, producer_id: int | None = None, limit: int = 50, offset: int = 0
) -> list[IntakeSummary]:
    """Intakes, newest first."""
    query = _intake_query(producer_id).order_by(Intake.received_on.desc(), Intake.id.desc()).limit(limit).offset(offset)  # type: ignore[attr-defined]
    return [
        IntakeSummary(intake, producer, user or "", int(n or 0), int(qty or 0), int(cost or 0), int(grams or 0))
        for intake, producer, user, n, qty, cost, grams in session.exec(query)
    ]


def count_intakes(session: Session, producer_id: int | None = None) -> int:
    """How many intakes list_intakes would list without paging."""
    query = select(func.count()).select_from(Intake)
    if producer_id:
        query = query.where(Intake.producer_id == producer_id)
    return int(session.exec(query).one())


@dataclass(frozen=True)
class IntakeDetail:
    """An intake with its producer, lines (and their products) and today's stock of each product."""

    intake: Intake
    producer: Producer
    created_by: str
    lines: list[tuple[IntakeLine, Product]]
    on_hand: dict[int, int]

    @property
    def total_qty(self) -> int:
        """Pieces received (of the goods sold by the piece: one label each)."""
        return sum(line.qty for line, product in self.lines if not is_weighed(product.sold_by))

    @property
    def total_grams(self) -> int:
        """Grams received of the goods sold by weight (never added to the pieces)."""
        return sum(line.qty for line, product in self.lines if is_weighed(product.sold_by))

    @property
    def total_cost_vnd(self) -> int:
        """Value of the delivery at its unit costs (per kg for weighed goods, each line rounded half-up)."""
        return sum(line_amount(line.qty, line.unit_cost_vnd, product.sold_by) for line, product in self.lines)


def get_intake(session: Session, intake_id: int) -> IntakeDetail:
    """One intake with everything its page shows, or NotFound."""
    intake = session.get(Intake, intake_id)
    if intake is None:
        raise NotFound("Không tìm thấy phiếu nhập kho.")
    producer = session.get(Producer, intake.producer_id)
    assert producer is not None
    user = session.get(User, intake.created_by_id) if intake.created_by_id else None
    lines = list(
        session.exec(
            select(IntakeLine, Product)
            .join(Product, Product.id == IntakeLine.product_id)  # type: ignore[arg-type]
            .where(IntakeLine.intake_id == intake.id)
            .order_by(IntakeLine.line_no)
        )
    )
    stock = on_hand_many(session, {product.id for _, product in lines})  # type: ignore[misc]
    return IntakeDetail(intake, producer, user.full_name if user else "", [tuple(r) for r in lines], stock)  # type: ignore[misc]


def intake_by_uuid(session: Session, intake_uuid: UUID) -> Intake | None:
    """The intake saved under this uuid (a form submitted twice carries the same one)."""
    return session.exec(select(Intake).where(Intake.uuid == intake_uuid)).first()
