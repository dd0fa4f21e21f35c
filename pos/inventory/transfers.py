"""Transfers between showrooms (phiếu chuyển kho): out from here, in transit, received at the other end.

- Out: a manager makes a note to another showroom (products, lots, quantities). In that one transaction the
  goods leave this ledger (kind ``transfer_out``, from the chosen lot or first-expiry-first, never an expired or
  recalled lot) and the note is published to the outbox (kind 'transfer'); it travels when the sync next
  runs, however long this showroom stays offline.
- In transit: the central server holds the note for the receiving showroom, which pulls it with its next sync
  (``apply_pulled``, idempotent by the note's UUID: a pull repeated or cut off half-way adds nothing twice).
- Received: the receiving manager counts what arrived, line by line, in part if need be, each difference with
  a reason. In that one transaction the goods enter this ledger (``transfer_in``; a food lot keeps its code
  and expiry date here) and the receipt is published (kind 'transfer_receipt'). A product this showroom does
  not carry yet is created from the sender's description, under the same UUID, with its producer.
- Closed: the receipt reaches the central server, which closes the note; the sender's next pull shows it
  received, or received with differences.
- Cancelled: while its note is in transit (as far as it knows), the sending manager can call it back
  (``cancel_transfer``): in that one transaction the goods come back into this ledger, into the lots they left
  (``transfer_cancel``), and the cancel is published (kind 'transfer_cancel'). The central server marks the note
  cancelled; the receiver's next pull does too, and it refuses to receive it from then on. A receiver that was
  offline may have counted the goods in before it heard of the cancel: the goods are then where its receipt says,
  so that receipt stands (a receipt of nothing at all leaves the cancel standing) and the sender's next pull
  undoes its cancel, taking the goods out of its ledger again (``transfer_out``), with an audit entry.
- Restored: a showroom restored from an older backup gets back, from its next pull, its own receipts, notes and
  cancels taken since that backup, exactly as they were and without queueing them again; it receives and cancels
  nothing before that pull (see "After a restore" below).

Ownership: consigned goods stay their producer's whichever showroom holds them; each showroom's settlement
shows transfers as quantities (column "Chuyển kho") and pays the producer for what it sold itself, so the
producer is settled by the showroom that sells. Goods bought outright are not paid for again on receipt.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlmodel import Session, select

from pos.audit.log import record as audit
from pos.auth.models import User
from pos.catalog.models import Counter, Producer, Product
from pos.catalog.services import enqueue_product, free_sku, producer_payload
from pos.db import utcnow
from pos.errors import Conflict, NotFound, ValidationError
from pos.inventory.ledger import on_hand, record_movements
from pos.inventory.lots import Want, allocate, is_lot_kept
from pos.inventory.models import TRANSFER_REASONS, Lot, StockMovement, Transfer, TransferLine
from pos.numbering import take_transfer_number
from pos.reports.period import shop_timezone
from pos.sync.outbox import enqueue
from pos.text import fold, nfc

MAX_LINES = 200
MAX_QTY = 100_000
NOTE_MAX = 500
SHOWROOM_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,20}$")
RECEIVED = ("received", "differences")
# Counter set by ``pos restore`` (pos/sync/restore.py) and removed by the first complete transfer pull after it:
# until then this database may not know what the central server holds of its notes (see "After a restore").
AWAITING_PULL = "transfers:restored_at"
AWAITING_PULL_MESSAGE = (
    "Dữ liệu cửa hàng vừa được khôi phục từ bản sao lưu: hãy đồng bộ dữ liệu với máy chủ trung tâm trước khi "
    "nhận hoặc hủy phiếu chuyển kho (phiếu có thể đã được nhận hoặc hủy sau ngày sao lưu)."
)


@dataclass
class TransferLineInput:
    """One line as typed: the product, the quantity and, for food, the lot (None: first expiry first)."""

    product_id: int | str | None
    qty: int | str
    lot_id: int | str | None = None


@dataclass
class ReceivedLine:
    """What was counted in for one line of the note, and why it differs (a TRANSFER_REASONS key)."""

    line_no: int
    qty: int | str
    reason: str = ""
    note: str = ""


def _int(value: int | str | None) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value or "").strip().replace(".", "")
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None


def _username(session: Session, user_id: int | None) -> str | None:
    user = session.get(User, user_id) if user_id else None
    return user.username if user else None


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


# --- Out ---------------------------------------------------------------------------------------------------------


def create_transfer(
    session: Session,
    to_showroom: str,
    lines: list[TransferLineInput],
    actor_id: int | None,
    *,
    showroom_code: str,
    today: date,
    note: str = "",
    now: datetime | None = None,
) -> Transfer:
    """Make a transfer note to another showroom: the goods leave this ledger now and the note is queued."""
    to_code = nfc(to_showroom or "").strip().upper()
    if not SHOWROOM_CODE.match(to_code):
        raise ValidationError("Nhập mã cửa hàng nhận (ví dụ SR02): chữ, số, dấu chấm hoặc gạch, tối đa 20 ký tự.", "to")
    if to_code == showroom_code.upper():
        raise ValidationError("Không thể chuyển kho cho chính cửa hàng này.", "to")
    note = nfc(note or "").strip()
    if len(note) > NOTE_MAX:
        raise ValidationError(f"Ghi chú dài tối đa {NOTE_MAX} ký tự.", "note")
    wants: list[Want] = []
    errors: dict[str, str] = {}
    for n, line in enumerate(lines, start=1):
        if line.product_id in (None, "") and str(line.qty or "").strip() == "":
            continue  # a blank row of the form
        product_id, qty = _int(line.product_id), _int(line.qty)
        product = session.get(Product, product_id) if product_id else None
        if product is None:
            errors[f"line-{n}"] = f"Dòng {n}: chọn sản phẩm."
        elif qty is None or not 0 < qty <= MAX_QTY:
            errors[f"line-{n}"] = f"Dòng {n}: số lượng phải là số nguyên dương (tối đa {MAX_QTY:,}).".replace(",", ".")
        else:
            lot_id = _int(line.lot_id) if line.lot_id not in (None, "") else None
            if line.lot_id not in (None, "") and lot_id is None:
                errors[f"line-{n}"] = f"Dòng {n}: lô hàng không hợp lệ."
                continue
            wants.append(Want(product, qty, lot_id))
    if errors:
        first = next(iter(errors))
        raise ValidationError(errors[first], first, errors=errors)
    if not wants:
        raise ValidationError("Phiếu chuyển kho cần ít nhất một sản phẩm.", "line-1")
    if len(wants) > MAX_LINES:
        raise ValidationError(f"Một phiếu chuyển kho có tối đa {MAX_LINES} dòng.", "line-1")
    # An expired or recalled lot is not sent on to be sold elsewhere (for_sale refuses it, naming it).
    parts = allocate(session, wants, today, for_sale=True)
    for want in wants:
        if not is_lot_kept(want.product):
            held = on_hand(session, want.product.id)  # type: ignore[arg-type]
            asked = sum(w.qty for w in wants if w.product.id == want.product.id)
            if asked > held:
                raise Conflict(
                    f"Chỉ còn {held} {want.product.unit} “{want.product.name}” trong kho; không thể chuyển {asked}.",
                    "qty",
                )

    now = now or utcnow()
    transfer = Transfer(
        number=take_transfer_number(session, showroom_code, today.year),
        direction="out",
        other_showroom=to_code,
        note=note,
        created_by=_username(session, actor_id),
        created_at=now,
    )
    session.add(transfer)
    session.flush()
    movements, wire, line_no = [], [], 0
    for want, taken in zip(wants, parts, strict=True):
        producer = session.get(Producer, want.product.producer_id)
        assert producer is not None
        for lot_id, qty in taken:
            line_no += 1
            lot = session.get(Lot, lot_id) if lot_id else None
            line = TransferLine(
                transfer_id=transfer.id,  # type: ignore[arg-type]
                line_no=line_no,
                product_id=want.product.id,
                lot_id=lot_id,
                name=want.product.name,
                unit=want.product.unit,
                lot_code=lot.lot_code if lot else "",
                expiry_date=lot.expiry_date if lot else None,
                qty=qty,
            )
            payload = _wire_line(line_no, want.product, producer, qty, lot)
            line.wire = json.dumps(payload, ensure_ascii=False)
            session.add(line)
            wire.append(payload)
            movements.append(
                StockMovement(
                    product_id=want.product.id,  # type: ignore[arg-type]
                    kind="transfer_out",
                    qty_delta=-qty,
                    unit_cost_vnd=want.product.cost_vnd,
                    lot_id=lot_id,
                    note=f"{transfer.number} → {to_code}",
                    created_by_id=actor_id,
                    created_at=now,
                )
            )
    record_movements(session, movements)
    enqueue(
        session,
        "transfer",
        transfer.uuid,
        {
            "uuid": str(transfer.uuid),
            "number": transfer.number,
            "to_showroom": to_code,
            "created_at": now.isoformat(),
            "created_by": transfer.created_by,
            "note": note,
            "lines": wire,
        },
    )
    audit(
        session,
        "transfer_out",
        user_id=actor_id,
        entity="transfer",
        entity_id=transfer.id,
        after={"number": transfer.number, "to": to_code, "lines": [[w["name"], w["qty"], w["lot_code"]] for w in wire]},
    )
    return transfer


def _wire_line(line_no: int, product: Product, producer: Producer, qty: int, lot: Lot | None) -> dict[str, Any]:
    """A line of the note as the contract describes it: enough for the receiver to carry a product it lacks."""
    return {
        "line_no": line_no,
        "product_uuid": str(product.uuid),
        "producer_uuid": str(producer.uuid),
        "sku": product.sku,
        "name": product.name,
        "unit": product.unit,
        "qty": qty,
        "price_vnd": product.price_vnd,
        "unit_cost_vnd": product.cost_vnd,
        "producer_name": producer.name,
        "producer_kind": producer.kind,
        "producer_province": producer.province,
        "barcode": product.barcode,
        "vat_class": product.vat_class,
        "ocop_group": product.ocop_group,
        "ocop_stars": product.ocop_stars,
        "ocop_cert_number": product.ocop_cert_number,
        "ocop_cert_expiry": _day(product.ocop_cert_expiry),
        "central_uuid": str(product.central_uuid) if product.central_uuid else "",
        "lot_uuid": str(lot.uuid) if lot else "",
        "lot_code": lot.lot_code if lot else "",
        "expiry_date": _day(lot.expiry_date if lot else None),
        "manufactured_on": _day(lot.manufactured_on if lot else None),
        "is_food": bool(product.is_food),
        "sold_by": product.sold_by,
    }


# --- Cancel (sender) ----------------------------------------------------------------------------------------------


def cancel_transfer(
    session: Session, transfer_id: int, actor_id: int | None, *, reason: str = "", now: datetime | None = None
) -> Transfer:
    """Call back a note sent from here that is still in transit: its goods return to the lots they left; queued."""
    transfer = get_transfer(session, transfer_id)
    if is_awaiting_pull(session):
        raise Conflict(AWAITING_PULL_MESSAGE)
    if transfer.direction != "out":
        raise Conflict("Chỉ cửa hàng gửi mới hủy được phiếu chuyển kho; phiếu này chuyển đến cửa hàng này.")
    if transfer.status == "cancelled":
        raise Conflict(f"Phiếu {transfer.number} đã được hủy lúc {_local(transfer.cancelled_at)}.")
    if transfer.status != "in_transit":
        raise Conflict(
            f"Không thể hủy phiếu {transfer.number}: cửa hàng {transfer.other_showroom} đã nhận hàng lúc "
            f"{_local(transfer.received_at)}."
        )
    reason = nfc(reason or "").strip()
    if not reason:
        raise ValidationError("Nhập lý do hủy phiếu (ví dụ: xe không đi, hàng chưa xuất kho).", "reason")
    if len(reason) > NOTE_MAX:
        raise ValidationError(f"Lý do hủy dài tối đa {NOTE_MAX} ký tự.", "reason")
    now = now or utcnow()
    lines = transfer_lines(session, transfer_id)
    record_movements(session, _back_movements(transfer, lines, +1, actor_id, now, f"Hủy {transfer.number}"))
    transfer.status = "cancelled"
    transfer.cancelled_at = now
    transfer.cancelled_by = _username(session, actor_id)
    transfer.cancel_reason = reason
    session.add(transfer)
    enqueue(
        session,
        "transfer_cancel",
        transfer.uuid,
        {
            "uuid": str(transfer.uuid),
            "number": transfer.number,
            "to_showroom": transfer.other_showroom,
            "cancelled_at": now.isoformat(),
            "cancelled_by": transfer.cancelled_by,
            "reason": reason,
        },
    )
    audit(
        session,
        "transfer_cancel",
        user_id=actor_id,
        entity="transfer",
        entity_id=transfer.id,
        before={"status": "in_transit"},
        after={"number": transfer.number, "to": transfer.other_showroom, "status": "cancelled", "reason": reason,
               "lines": [[line.name, line.qty, line.lot_code] for line in lines]},
    )  # fmt: skip
    return transfer


def _back_movements(
    transfer: Transfer, lines: list[TransferLine], sign: int, actor_id: int | None, now: datetime, note: str
) -> list[StockMovement]:
    """The movements that put a cancelled note's goods back (``sign`` +1), or take them out again (-1)."""
    return [
        StockMovement(
            product_id=line.product_id,  # type: ignore[arg-type]
            kind="transfer_cancel" if sign > 0 else "transfer_out",
            qty_delta=sign * line.qty,
            unit_cost_vnd=int(json.loads(line.wire or "{}").get("unit_cost_vnd") or 0),
            lot_id=line.lot_id,
            note=f"{note} → {transfer.other_showroom}",
            created_by_id=actor_id,
            created_at=now,
        )
        for line in lines
        if line.product_id is not None
    ]


def _local(moment: datetime | None) -> str:
    """An instant as the showroom reads it (dd/mm/yyyy HH:MM, Vietnam time)."""
    return moment.astimezone(shop_timezone()).strftime("%d/%m/%Y %H:%M") if moment else "—"


# --- What the central server tells (pulled) ---------------------------------------------------------------------


def apply_pulled(session: Session, items: list[dict[str, Any]], showroom_code: str) -> tuple[int, int, int]:
    """Store the notes addressed here that are new, the receipts of notes sent from here, and the cancels; put
    back what a restore lost of this showroom's own steps (``_restore_*``, see "After a restore" below).

    Returns (notes added, notes closed: received at the other end or cancelled by their sender, steps of this
    showroom's own put back). Idempotent: each note is stored once by its UUID, and a status already applied is
    not applied again.
    """
    added = closed = restored = 0
    for item in items:
        uuid = UUID(str(item["uuid"]))
        held = session.exec(select(Transfer).where(Transfer.uuid == uuid)).first()
        status = item.get("status")
        if item.get("to_showroom") == showroom_code and item.get("from_showroom") != showroom_code:
            if held is None:
                held = _add_incoming(session, uuid, item)
                added += 1
            if held.direction != "in":
                continue
            if status == "cancelled" and _cancel_incoming(session, held, item):
                closed += 1
            elif status in RECEIVED and (
                held.status in ("in_transit", "cancelled") or held.received_at != _when(item.get("received_at"))
            ):
                _restore_receipt(session, held, item)
                restored += 1
        elif item.get("from_showroom") == showroom_code:
            if held is None:
                held = _restore_note(session, uuid, item)
                restored += 1
            if held.direction != "out":
                continue
            if status in RECEIVED and held.status in ("in_transit", "cancelled"):
                if held.status == "cancelled":
                    _undo_cancel(session, held, item)
                _close_outgoing(session, held, item)
                closed += 1
            elif status == "cancelled" and held.status == "in_transit":
                _restore_cancel(session, held, item)
                restored += 1
    return added, closed, restored


def _when(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _add_incoming(session: Session, uuid: UUID, item: dict[str, Any]) -> Transfer:
    return _store_pulled(session, uuid, item, "in")[0]


def _store_pulled(
    session: Session, uuid: UUID, item: dict[str, Any], direction: str
) -> tuple[Transfer, list[TransferLine]]:
    """A note as the central server gives it, stored here with its lines as sent (``in``: addressed here; ``out``:
    sent from here, each line's lot this showroom's own by its UUID). No stock moves."""
    transfer = Transfer(
        uuid=uuid,
        number=str(item["number"])[:40],
        direction=direction,
        other_showroom=str(item["from_showroom" if direction == "in" else "to_showroom"])[:20],
        note=str(item.get("note") or "")[:NOTE_MAX],
        created_by=(item.get("created_by") or None),
        created_at=_when(item["created_at"]) or utcnow(),
    )
    session.add(transfer)
    session.flush()
    lines = []
    for wire in item["lines"]:
        product = _local_product(session, wire)
        lot = None
        if direction == "out" and wire.get("lot_uuid"):
            lot = session.exec(select(Lot).where(Lot.uuid == UUID(wire["lot_uuid"]))).first()
        expiry = wire.get("expiry_date") or None
        sent = {key: value for key, value in wire.items() if key not in ("qty_received", "reason", "receipt_note")}
        line = TransferLine(
            transfer_id=transfer.id,  # type: ignore[arg-type]
            line_no=int(wire["line_no"]),
            product_id=product.id if product else None,
            lot_id=lot.id if lot else None,
            name=str(wire["name"])[:200],
            unit=str(wire.get("unit") or "")[:20],
            lot_code=str(wire.get("lot_code") or "")[:60],
            expiry_date=date.fromisoformat(expiry) if expiry else None,
            qty=int(wire["qty"]),
            wire=json.dumps(sent, ensure_ascii=False),
        )
        session.add(line)
        lines.append(line)
    session.flush()
    return transfer, lines


def _cancel_incoming(session: Session, transfer: Transfer, item: dict[str, Any]) -> bool:
    """Mark a note addressed here cancelled by its sender, if nothing was counted in yet; True when it changed.

    A note already received here with goods counted in stays received: the receipt travels to the central server,
    where it stands over the cancel (the goods are here).
    """
    if transfer.status == "cancelled":
        return False
    if transfer.status != "in_transit":
        counted = session.exec(select(TransferLine.qty_received).where(TransferLine.transfer_id == transfer.id))
        if any(qty for qty in counted):
            return False
    _cancelled_as_pulled(session, transfer, item)
    audit(
        session,
        "transfer_cancelled_by_sender",
        user_id=None,
        entity="transfer",
        entity_id=transfer.id,
        after={"number": transfer.number, "from": transfer.other_showroom, "reason": transfer.cancel_reason},
    )
    return True


def _cancelled_as_pulled(session: Session, transfer: Transfer, item: dict[str, Any]) -> None:
    """The note cancelled as the central server holds the sender's cancel (when, by whom, why)."""
    transfer.status = "cancelled"
    transfer.cancelled_at = _when(item.get("cancelled_at")) or utcnow()
    transfer.cancelled_by = item.get("cancelled_by") or None
    transfer.cancel_reason = str(item.get("cancel_reason") or "")[:NOTE_MAX]
    session.add(transfer)


def _undo_cancel(session: Session, transfer: Transfer, item: dict[str, Any]) -> None:
    """The receiver counted the goods in before it knew of our cancel: they are there, so they leave here again."""
    now = utcnow()
    lines = transfer_lines(session, transfer.id)  # type: ignore[arg-type]
    record_movements(session, _back_movements(transfer, lines, -1, None, now, f"{transfer.number} (đã được nhận)"))
    audit(
        session,
        "transfer_cancel_overruled",
        user_id=None,
        entity="transfer",
        entity_id=transfer.id,
        before={"status": "cancelled", "cancelled_at": transfer.cancelled_at.isoformat() if transfer.cancelled_at
                else None},
        after={"number": transfer.number, "to": transfer.other_showroom, "status": item.get("status"),
               "received_at": item.get("received_at"), "received_by": item.get("received_by")},
    )  # fmt: skip


def _close_outgoing(session: Session, transfer: Transfer, item: dict[str, Any]) -> None:
    transfer.status = str(item["status"])[:12]
    transfer.received_at = _when(item.get("received_at"))
    transfer.received_by = item.get("received_by") or None
    transfer.receipt_note = str(item.get("receipt_note") or "")[:NOTE_MAX]
    session.add(transfer)
    received = {int(line["line_no"]): line for line in item["lines"]}
    for line in session.exec(select(TransferLine).where(TransferLine.transfer_id == transfer.id)):
        got = received.get(line.line_no)
        if got is not None and "qty_received" in got:
            line.qty_received = int(got["qty_received"])
            line.reason = str(got.get("reason") or "")[:20]
            line.note = str(got.get("receipt_note") or "")[:200]
            session.add(line)


def _local_product(session: Session, line: dict[str, Any]) -> Product | None:
    """This showroom's product for a line: the same UUID, the same catalogue product, or the same barcode."""
    uuid = UUID(line["product_uuid"])
    product = session.exec(select(Product).where(Product.uuid == uuid)).first()
    central = UUID(line["central_uuid"]) if line.get("central_uuid") else None
    if product is None and central is not None:
        product = session.exec(
            select(Product).where((Product.central_uuid == central) | (Product.uuid == central))
        ).first()
    if product is None and line.get("barcode"):
        product = session.exec(select(Product).where(Product.barcode == line["barcode"])).first()
    return product


# --- After a restore ------------------------------------------------------------------------------------------
#
# The central server's copy of a note is the truth of every step a showroom took on it: each step reached it
# from that showroom's own outbox. A restored database may have lost its steps taken after the backup. Its
# transfer pull then starts again from the backup's revision, so every note changed since comes again, and the
# step this database lacks is put back here exactly as it was taken (same quantities, lots, differences, times
# and names), without queueing it again (the central server holds it): a receipt of a note addressed here, or
# a note sent from here, or its cancel. Until that pull has run to its end, receiving and cancelling are refused
# (``AWAITING_PULL``), so nobody receives or cancels a second time what was already received or cancelled.
# A second receipt made here all the same (a database copied back by hand holds nobody back) is refused by the
# central server, and the pull then brings this ledger back to the first receipt, line by line.


def is_awaiting_pull(session: Session) -> bool:
    """True from ``pos restore`` until the first transfer pull after it has run to its end."""
    return session.get(Counter, AWAITING_PULL) is not None


def mark_awaiting_pull(session: Session, unix_time: int) -> None:
    """Hold receiving and cancelling until the next complete transfer pull (called by ``pos restore``)."""
    session.merge(Counter(name=AWAITING_PULL, value=int(unix_time)))


def end_awaiting_pull(session: Session) -> None:
    """The pull has run to its end: this database knows again what the central server holds of its notes."""
    mark = session.get(Counter, AWAITING_PULL)
    if mark is not None:
        session.delete(mark)


def _restore_receipt(session: Session, transfer: Transfer, item: dict[str, Any]) -> None:
    """Our receipt of a note, held by the central server and lost here by a restore: its goods in again. Or, after
    a database put back by hand (no ``pos restore``, so no hold), a second receipt made here that the central
    server refused (``second_receipt``): the first one stands, and this ledger moves by the difference."""
    lines = {line.line_no: line for line in transfer_lines(session, transfer.id)}  # type: ignore[arg-type]
    replaced = [[n, line.qty_received, line.reason] for n, line in sorted(lines.items())]
    receipt_lines = [
        {"line_no": int(line["line_no"]), "qty_received": int(line.get("qty_received") or 0),
         "reason": line.get("reason") or "", "note": line.get("receipt_note") or ""}
        for line in item["lines"]
    ]  # fmt: skip
    before = transfer.status
    _count_in(session, transfer, lines, receipt_lines, None, _when(item.get("received_at")) or utcnow())
    transfer.received_by = item.get("received_by") or None
    transfer.receipt_note = str(item.get("receipt_note") or "")[:NOTE_MAX]
    session.add(transfer)
    audit(
        session,
        "transfer_receipt_restored" if before not in RECEIVED else "transfer_receipt_replaced",
        user_id=None,
        entity="transfer",
        entity_id=transfer.id,
        before={"status": before} | ({"lines": replaced} if before in RECEIVED else {}),
        after={"number": transfer.number, "from": transfer.other_showroom, "status": transfer.status,
               "received_at": item.get("received_at"), "received_by": transfer.received_by,
               "lines": [[r["line_no"], r["qty_received"], r["reason"]] for r in receipt_lines]},
    )  # fmt: skip


def _restore_note(session: Session, uuid: UUID, item: dict[str, Any]) -> Transfer:
    """A note sent from here that a restore lost: its goods leave this ledger again, from the lots they left."""
    transfer, lines = _store_pulled(session, uuid, item, "out")
    record_movements(session, _back_movements(transfer, lines, -1, None, transfer.created_at, transfer.number))
    audit(
        session,
        "transfer_out_restored",
        user_id=None,
        entity="transfer",
        entity_id=transfer.id,
        after={"number": transfer.number, "to": transfer.other_showroom,
               "lines": [[line.name, line.qty, line.lot_code] for line in lines],
               "unknown_here": [line.name for line in lines if line.product_id is None]},
    )  # fmt: skip
    return transfer


def _restore_cancel(session: Session, transfer: Transfer, item: dict[str, Any]) -> None:
    """Our cancel of a note, held by the central server and lost here by a restore: its goods back again."""
    _cancelled_as_pulled(session, transfer, item)
    lines = transfer_lines(session, transfer.id)  # type: ignore[arg-type]
    record_movements(
        session, _back_movements(transfer, lines, +1, None, transfer.cancelled_at or utcnow(), f"Hủy {transfer.number}")
    )
    audit(
        session,
        "transfer_cancel_restored",
        user_id=None,
        entity="transfer",
        entity_id=transfer.id,
        before={"status": "in_transit"},
        after={"number": transfer.number, "to": transfer.other_showroom, "status": "cancelled",
               "cancelled_at": item.get("cancelled_at"), "reason": transfer.cancel_reason},
    )  # fmt: skip


# --- In ------------------------------------------------------------------------------------------------------------


def receive_transfer(
    session: Session,
    transfer_id: int,
    counted: list[ReceivedLine],
    actor_id: int | None,
    *,
    note: str = "",
    now: datetime | None = None,
) -> Transfer:
    """Receive an incoming note: what was counted enters this ledger, differences with their reasons; queued."""
    transfer = get_transfer(session, transfer_id)
    if is_awaiting_pull(session):
        raise Conflict(AWAITING_PULL_MESSAGE)
    if transfer.direction != "in":
        raise Conflict("Chỉ nhận được phiếu chuyển đến cửa hàng này.")
    if transfer.status == "cancelled":
        raise Conflict(
            f"Phiếu {transfer.number} đã bị cửa hàng {transfer.other_showroom} hủy lúc "
            f"{_local(transfer.cancelled_at)}"
            + (f" ({transfer.cancel_reason})" if transfer.cancel_reason else "")
            + ": không nhận hàng theo phiếu này. Nếu hàng đã đến, liên hệ cửa hàng gửi để lập phiếu mới."
        )
    if transfer.status != "in_transit":
        raise Conflict(f"Phiếu {transfer.number} đã được nhận lúc {_local(transfer.received_at)}.")
    note = nfc(note or "").strip()
    if len(note) > NOTE_MAX:
        raise ValidationError(f"Ghi chú dài tối đa {NOTE_MAX} ký tự.", "note")
    lines = {
        line.line_no: line for line in session.exec(select(TransferLine).where(TransferLine.transfer_id == transfer_id))
    }
    given = {c.line_no: c for c in counted}
    errors: dict[str, str] = {}
    quantities: dict[int, int] = {}
    for line_no, line in sorted(lines.items()):
        got = given.get(line_no)
        qty = _int(got.qty) if got is not None else None
        if qty is None or qty > MAX_QTY:
            errors[f"qty-{line_no}"] = (
                f"Dòng {line_no} ({line.name}): nhập số lượng thực nhận (số nguyên, 0 nếu không nhận được)."
            )
            continue
        quantities[line_no] = qty
        reason = (got.reason or "").strip() if got else ""
        if qty != line.qty and reason not in TRANSFER_REASONS:
            errors[f"reason-{line_no}"] = (
                f"Dòng {line_no} ({line.name}): nhận {qty}, phiếu ghi {line.qty} — chọn lý do chênh lệch."
            )
        if got is not None and len(nfc(got.note or "")) > 200:
            errors[f"note-{line_no}"] = f"Dòng {line_no}: ghi chú chênh lệch dài tối đa 200 ký tự."
    if errors:
        first = next(iter(errors))
        raise ValidationError(errors[first], first, errors=errors)

    now = now or utcnow()
    receipt_lines = [
        {"line_no": n, "qty_received": quantities[n], "reason": given[n].reason if quantities[n] != line.qty else "",
         "note": nfc(given[n].note or "").strip()[:200]}
        for n, line in sorted(lines.items())
    ]  # fmt: skip
    _count_in(session, transfer, lines, receipt_lines, actor_id, now)
    transfer.received_by = _username(session, actor_id)
    transfer.receipt_note = note
    session.add(transfer)
    enqueue(
        session,
        "transfer_receipt",
        transfer.uuid,
        {
            "uuid": str(transfer.uuid),
            "number": transfer.number,
            "from_showroom": transfer.other_showroom,
            "received_at": now.isoformat(),
            "received_by": transfer.received_by,
            "note": note,
            "lines": receipt_lines,
        },
    )
    audit(
        session,
        "transfer_in",
        user_id=actor_id,
        entity="transfer",
        entity_id=transfer.id,
        after={"number": transfer.number, "from": transfer.other_showroom, "status": transfer.status,
               "lines": [[r["line_no"], r["qty_received"], r["reason"]] for r in receipt_lines]},
    )  # fmt: skip
    return transfer


def _count_in(
    session: Session,
    transfer: Transfer,
    lines: dict[int, TransferLine],
    receipt_lines: list[dict[str, Any]],
    actor_id: int | None,
    now: datetime,
) -> None:
    """Put a receipt's quantities into this ledger (``transfer_in``; a food lot keeps its code and expiry date) and
    close the note ``received`` or ``differences``; a line the receipt leaves out was received as 0. A receipt that
    replaces an earlier one here moves only the difference, in the lot the earlier one filled."""
    given = {int(r["line_no"]): r for r in receipt_lines}
    movements = []
    for line_no, line in sorted(lines.items()):
        got = given.get(line_no, {})
        qty = int(got.get("qty_received") or 0)
        delta = qty - (line.qty_received or 0)
        line.qty_received = qty
        line.reason = str(got.get("reason") or "")[:20] if qty != line.qty else ""
        line.note = str(got.get("note") or "")[:200]
        wire = json.loads(line.wire)
        if delta:
            product = session.get(Product, line.product_id) if line.product_id else None
            if product is None:
                product = _local_product(session, wire) or _carry_product(session, wire)
                line.product_id = product.id
            if line.lot_id is None and is_lot_kept(product):
                line.lot_id = _receiving_lot(session, product, wire).id
            movements.append(
                StockMovement(
                    product_id=product.id,  # type: ignore[arg-type]
                    kind="transfer_in",
                    qty_delta=delta,
                    unit_cost_vnd=int(wire.get("unit_cost_vnd") or 0),
                    lot_id=line.lot_id,
                    note=f"{transfer.number} ← {transfer.other_showroom}",
                    created_by_id=actor_id,
                    created_at=now,
                )
            )
        session.add(line)
    record_movements(session, movements)
    differs = any(line.qty_received != line.qty for line in lines.values())
    transfer.status = "differences" if differs else "received"
    transfer.received_at = now


def _carry_product(session: Session, wire: dict[str, Any]) -> Product:
    """Create the sender's product here (same UUID), with its producer, and tell the central server."""
    producer = session.exec(select(Producer).where(Producer.uuid == UUID(wire["producer_uuid"]))).first()
    if producer is None:
        name = wire.get("producer_name") or "(chưa rõ)"
        producer = Producer(
            uuid=UUID(wire["producer_uuid"]),
            name=name,
            name_search=fold(name)[:200],
            kind=wire.get("producer_kind") or "htx",
            province=wire.get("producer_province") or "",
        )
        session.add(producer)
        session.flush()
        enqueue(session, "producer", producer.uuid, dict(producer_payload(producer)))
    barcode = wire.get("barcode") or None
    if barcode and session.exec(select(Product.id).where(Product.barcode == barcode)).first() is not None:
        barcode = None
    expiry = wire.get("ocop_cert_expiry") or None
    product = Product(
        uuid=UUID(wire["product_uuid"]),
        sku=free_sku(session, wire.get("sku") or "CK"),
        barcode=barcode,
        name=wire["name"],
        name_search=fold(wire["name"])[:200],
        unit=wire.get("unit") or "cái",
        sold_by=wire.get("sold_by") or "piece",  # grams and a price per kg stay so here
        price_vnd=int(wire.get("price_vnd") or 0),
        cost_vnd=int(wire.get("unit_cost_vnd") or 0),
        vat_class=wire.get("vat_class") or "standard",
        ocop_group=wire.get("ocop_group") or "thuc_pham",
        ocop_stars=wire.get("ocop_stars"),
        ocop_cert_number=wire.get("ocop_cert_number") or "",
        ocop_cert_expiry=date.fromisoformat(expiry) if expiry else None,
        producer_id=producer.id,  # type: ignore[arg-type]
        is_food=bool(wire.get("is_food") or wire.get("lot_code") or wire.get("expiry_date")),
        central_uuid=UUID(wire["central_uuid"]) if wire.get("central_uuid") else None,
    )
    session.add(product)
    session.flush()
    enqueue_product(session, product)
    return product


def _receiving_lot(session: Session, product: Product, wire: dict[str, Any]) -> Lot:
    """The lot here that receives a food line: the same code and expiry date as at the sender."""
    expiry = date.fromisoformat(wire["expiry_date"]) if wire.get("expiry_date") else None
    made = date.fromisoformat(wire["manufactured_on"]) if wire.get("manufactured_on") else None
    code = wire.get("lot_code") or ""
    lot = session.exec(
        select(Lot).where(Lot.product_id == product.id, Lot.lot_code == code, Lot.expiry_date == expiry)
    ).first()
    if lot is None or lot.recalled_at is not None:
        lot = Lot(product_id=product.id, lot_code=code, expiry_date=expiry, manufactured_on=made)  # type: ignore[arg-type]
        session.add(lot)
        session.flush()
    return lot


# --- Queries -------------------------------------------------------------------------------------------------------


def get_transfer(session: Session, transfer_id: int) -> Transfer:
    """One note, or NotFound."""
    transfer = session.get(Transfer, transfer_id)
    if transfer is None:
        raise NotFound("Không tìm thấy phiếu chuyển kho.")
    return transfer


def transfer_lines(session: Session, transfer_id: int) -> list[TransferLine]:
    """A note's lines in order."""
    return list(
        session.exec(select(TransferLine).where(TransferLine.transfer_id == transfer_id).order_by(TransferLine.line_no))
    )


def list_transfers(session: Session, limit: int = 100) -> list[Transfer]:
    """The latest notes, in transit first (what needs doing), then newest first."""
    return list(
        session.exec(
            select(Transfer)
            .order_by((Transfer.status != "in_transit"), Transfer.created_at.desc())  # type: ignore[attr-defined]
            .limit(limit)
        )
    )
