"""Cash shifts (ca làm việc): opening float, cash in and out, the X report and the blind close with its Z report.

Expected cash = opening float + cash taken for sales (tendered − change) − cash refunds + cash in − cash out.
A Payment with method "cash" stores in amount_vnd the cash kept for the sale; tendered and change are kept
beside it for the receipt. Voided sales are left out of every figure except the count of voids.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import case, func
from sqlmodel import Session, select

from pos.audit import log as audit
from pos.audit.models import AuditEntry
from pos.auth.models import User
from pos.db import utcnow
from pos.errors import Conflict, Forbidden, NotFound, PosError, ValidationError
from pos.money import format_vnd
from pos.printing.models import Till
from pos.sales.models import PAYMENT_METHODS, CashMovement, Payment, Sale, SaleReturn, Shift
from pos.sales.receipts import SHOP_TZ
from pos.sync.contract import Fields
from pos.sync.outbox import enqueue
from pos.text import nfc

NOTES: tuple[int, ...] = (500_000, 200_000, 100_000, 50_000, 20_000, 10_000, 5_000, 2_000, 1_000)
MAX_OPENING_FLOAT_VND = 50_000_000
MAX_CASH_MOVEMENT_VND = 1_000_000_000
MAX_NOTE_COUNT = 100_000
MAX_REASON_LEN = 200


class SignOffRequired(PosError):
    """The counted drawer is further from the book figure than the threshold: a manager must sign off."""

    status = 403


def _local(value: datetime) -> str:
    """dd/mm/yyyy HH:MM in Vietnam time, for messages."""
    return value.astimezone(SHOP_TZ).strftime("%d/%m/%Y %H:%M")


def _int_amount(value: object, field: str, low: int, high: int, label: str) -> int:
    """An int amount within bounds (bool is not an amount), else a Vietnamese refusal."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{label} phải là số tiền nguyên (đồng).", field)
    if value < low or value > high:
        raise ValidationError(f"{label} phải từ {format_vnd(low)} đến {format_vnd(high)}.", field)
    return value


def _reason(value: str | None, field: str = "reason") -> str:
    """A required free-text reason, NFC, at most 200 characters."""
    text = nfc(value)
    if not text:
        raise ValidationError("Vui lòng nhập lý do.", field)
    if len(text) > MAX_REASON_LEN:
        raise ValidationError(f"Lý do dài tối đa {MAX_REASON_LEN} ký tự.", field)
    return text


def _require_open(shift: Shift) -> None:
    """Refuse work on a closed shift."""
    if shift.status != "open":
        raise Conflict("Ca làm việc này đã đóng.")


def current_shift(session: Session, cashier_id: int) -> Shift | None:
    """The cashier's open shift, if any."""
    return session.exec(
        select(Shift).where(Shift.cashier_id == cashier_id, Shift.status == "open").order_by(Shift.id.desc())  # type: ignore[union-attr]
    ).first()


def get_shift(session: Session, shift_id: int) -> Shift:
    """A shift by id, or NotFound."""
    shift = session.get(Shift, shift_id)
    if shift is None:
        raise NotFound("Không tìm thấy ca làm việc.")
    return shift


def open_shift(session: Session, cashier_id: int, opening_float_vnd: int, till_id: int | None = None) -> Shift:
    """Open a shift for a cashier at a till with the cash counted into its drawer.

    One open shift per cashier, and one per till: a drawer is counted for one cashier at a time.
    """
    amount = _int_amount(opening_float_vnd, "opening_float", 0, MAX_OPENING_FLOAT_VND, "Tiền đầu ca")
    cashier = session.get(User, cashier_id)
    if cashier is None or not cashier.is_active:
        raise NotFound("Không tìm thấy thu ngân.")
    existing = current_shift(session, cashier_id)
    if existing is not None:
        raise Conflict(f"Bạn đang có ca mở từ {_local(existing.opened_at)}; hãy đóng ca đó trước khi mở ca mới.")
    if till_id is not None:
        other = session.exec(select(Shift).where(Shift.till_id == till_id, Shift.status == "open")).first()
        if other is not None:
            holder = session.get(User, other.cashier_id)
            raise Conflict(
                f"Quầy này đang có ca mở của {holder.full_name if holder else 'thu ngân khác'} "
                f"từ {_local(other.opened_at)}; hãy đóng ca đó hoặc dùng quầy khác."
            )
    shift = Shift(cashier_id=cashier_id, opening_float_vnd=amount, till_id=till_id)
    session.add(shift)
    session.flush()
    audit.record(
        session,
        "shift.open",
        user_id=cashier_id,
        entity="shift",
        entity_id=shift.id,
        after={"opening_float_vnd": amount, "till_id": till_id},
    )
    return shift


def _cash_movement(
    session: Session, shift: Shift, kind: str, amount_vnd: int, reason: str, actor_id: int
) -> CashMovement:
    """Record cash put into or taken out of the drawer, audited."""
    _require_open(shift)
    label = "Số tiền nộp vào két" if kind == "in" else "Số tiền rút khỏi két"
    amount = _int_amount(amount_vnd, "amount", 1, MAX_CASH_MOVEMENT_VND, label)
    text = _reason(reason)
    # Taking out more than the book says is in the drawer is allowed (the book may be what is wrong),
    # but it is flagged in the audit log for the manager.
    exceeds = kind == "out" and amount > expected_cash(session, shift)
    movement = CashMovement(shift_id=shift.id, kind=kind, amount_vnd=amount, reason=text, created_by_id=actor_id)  # type: ignore[arg-type]
    session.add(movement)
    session.flush()
    after: dict[str, Any] = {"shift_id": shift.id, "amount_vnd": amount, "reason": text}
    if exceeds:
        after["exceeds_expected_cash"] = True
    audit.record(session, f"cash.{kind}", user_id=actor_id, entity="cashmovement", entity_id=movement.id, after=after)
    return movement


def cash_in(session: Session, shift: Shift, amount_vnd: int, reason: str, actor_id: int) -> CashMovement:
    """Put cash into the drawer (nộp tiền vào két), with a reason."""
    return _cash_movement(session, shift, "in", amount_vnd, reason, actor_id)


def cash_out(session: Session, shift: Shift, amount_vnd: int, reason: str, actor_id: int) -> CashMovement:
    """Take cash out of the drawer (rút tiền khỏi két), with a reason."""
    return _cash_movement(session, shift, "out", amount_vnd, reason, actor_id)


def shift_figures(session: Session, opening_floats: Mapping[int, int]) -> dict[int, dict[str, Any]]:
    """Every sum of each shift (id -> its opening float), from a handful of aggregate queries grouped by shift.

    One shift at the till, or a year of them at once for the demo's history: the same figures either way.
    """
    ids = list(opening_floats)
    completed = Sale.status == "completed"
    sums: dict[int, tuple[int, int, int, int, int]] = {}
    for shift_id, *values in session.execute(
        select(
            Sale.shift_id,
            func.coalesce(func.sum(case((completed, 1), else_=0)), 0),
            func.coalesce(func.sum(case((completed, Sale.total_vnd), else_=0)), 0),
            func.coalesce(func.sum(case((completed, Sale.line_discount_vnd + Sale.sale_discount_vnd), else_=0)), 0),
            func.coalesce(func.sum(case((Sale.status == "voided", 1), else_=0)), 0),
            func.coalesce(func.sum(case((Sale.status == "voided", Sale.total_vnd), else_=0)), 0),
        )
        .where(Sale.shift_id.in_(ids))  # type: ignore[union-attr]
        .group_by(Sale.shift_id)
    ):
        sums[shift_id] = tuple(int(v) for v in values)  # type: ignore[assignment]

    by_method: dict[int, dict[str, int]] = {i: dict.fromkeys(PAYMENT_METHODS, 0) for i in ids}
    cash_tendered = dict.fromkeys(ids, 0)
    for shift_id, method, amount, tendered in session.execute(
        select(
            Sale.shift_id,
            Payment.method,
            func.coalesce(func.sum(Payment.amount_vnd), 0),
            func.coalesce(func.sum(func.coalesce(Payment.tendered_vnd, Payment.amount_vnd)), 0),
        )
        .join(Sale, Sale.id == Payment.sale_id)  # type: ignore[arg-type]
        .where(Sale.shift_id.in_(ids), completed)  # type: ignore[union-attr]
        .group_by(Sale.shift_id, Payment.method)
    ):
        by_method[shift_id][method] = by_method[shift_id].get(method, 0) + int(amount)
        if method == "cash":
            cash_tendered[shift_id] = int(tendered)

    refunds: dict[int, dict[str, int]] = {i: dict.fromkeys(PAYMENT_METHODS, 0) for i in ids}
    refunds_count = dict.fromkeys(ids, 0)
    for shift_id, method, count, amount in session.execute(
        select(
            SaleReturn.shift_id,
            SaleReturn.refund_method,
            func.count(),
            func.coalesce(func.sum(SaleReturn.total_vnd), 0),
        )
        .where(SaleReturn.shift_id.in_(ids))  # type: ignore[attr-defined]
        .group_by(SaleReturn.shift_id, SaleReturn.refund_method)
    ):
        refunds[shift_id][method] = refunds[shift_id].get(method, 0) + int(amount)
        refunds_count[shift_id] += int(count)

    moves: dict[int, dict[str, tuple[int, int]]] = {i: {"in": (0, 0), "out": (0, 0)} for i in ids}
    for shift_id, kind, count, amount in session.execute(
        select(
            CashMovement.shift_id, CashMovement.kind, func.count(), func.coalesce(func.sum(CashMovement.amount_vnd), 0)
        )
        .where(CashMovement.shift_id.in_(ids))  # type: ignore[attr-defined]
        .group_by(CashMovement.shift_id, CashMovement.kind)
    ):
        moves[shift_id][kind] = (int(count), int(amount))

    return {
        i: _assemble(
            opening_floats[i],
            sums.get(i, (0, 0, 0, 0, 0)),
            by_method[i],
            cash_tendered[i],
            refunds[i],
            refunds_count[i],
            moves[i],
        )
        for i in ids
    }


def _assemble(
    opening_float_vnd: int,
    sums: tuple[int, int, int, int, int],
    by_method: dict[str, int],
    cash_tendered: int,
    refunds_by_method: dict[str, int],
    refunds_count: int,
    moves: dict[str, tuple[int, int]],
) -> dict[str, Any]:
    """A shift's figures from its sums: the expected drawer and every line the X and Z reports print."""
    sales_count, sales_total, discounts, voids_count, voids_total = sums
    cash_kept = by_method.get("cash", 0)
    # Change is what was handed back: tendered − kept, so the printed lines always add up.
    change_given = cash_tendered - cash_kept
    expected = (
        opening_float_vnd
        + cash_tendered
        - change_given
        - refunds_by_method.get("cash", 0)
        + moves["in"][1]
        - moves["out"][1]
    )
    return {
        "opening_float_vnd": opening_float_vnd,
        "sales_count": sales_count,
        "sales_total_vnd": sales_total,
        "discounts_vnd": discounts,
        "voids_count": voids_count,
        "voids_total_vnd": voids_total,
        "payments_by_method": by_method,
        "refunds_count": refunds_count,
        "refunds_total_vnd": sum(refunds_by_method.values()),
        "refunds_by_method": refunds_by_method,
        "net_by_method": {m: by_method.get(m, 0) - refunds_by_method.get(m, 0) for m in by_method | refunds_by_method},
        "cash_tendered_vnd": cash_tendered,
        "change_given_vnd": change_given,
        "cash_sales_vnd": cash_kept,
        "cash_refunds_vnd": refunds_by_method.get("cash", 0),
        "cash_in_count": moves["in"][0],
        "cash_in_vnd": moves["in"][1],
        "cash_out_count": moves["out"][0],
        "cash_out_vnd": moves["out"][1],
        "expected_cash_vnd": expected,
    }


def _figures(session: Session, shift: Shift) -> dict[str, Any]:
    """Every sum of one shift."""
    return shift_figures(session, {shift.id: shift.opening_float_vnd})[shift.id]  # type: ignore[dict-item,index]


def expected_cash(session: Session, shift: Shift) -> int:
    """The cash the book says is in the drawer now (tiền theo sổ)."""
    return int(_figures(session, shift)["expected_cash_vnd"])


def x_report(session: Session, shift: Shift) -> dict[str, Any]:
    """The shift's figures so far (báo cáo giữa ca, X); nothing is written."""
    till = session.get(Till, shift.till_id) if shift.till_id else None
    return report_of(shift, session.get(User, shift.cashier_id), till, _figures(session, shift))


def report_of(shift: Shift, cashier: User | None, till: Till | None, figures: Mapping[str, Any]) -> dict[str, Any]:
    """The X report of a shift from its figures (shift_figures): who, where, since when, and every sum."""
    report: dict[str, Any] = {
        "kind": "X" if shift.status == "open" else "Z",
        "shift_id": shift.id,
        "shift_uuid": str(shift.uuid),
        "cashier": cashier.username if cashier else "",
        "cashier_name": cashier.full_name if cashier else "",
        "till": till.code if till else "",
        "till_name": till.name if till else "",
        "opened_at": shift.opened_at.isoformat(),
        "generated_at": utcnow().isoformat(),
    }
    report.update(figures)
    return report


# What a cashier may not see before the drawer is counted: any of these, added up, gives the book cash.
CASH_FIGURES = (
    "opening_float_vnd",
    "sales_total_vnd",
    "refunds_total_vnd",
    "cash_tendered_vnd",
    "change_given_vnd",
    "cash_sales_vnd",
    "cash_refunds_vnd",
    "cash_in_vnd",
    "cash_out_vnd",
    "expected_cash_vnd",
)


def blind_report(report: Mapping[str, Any]) -> dict[str, Any]:
    """An X report for the cashier's eyes: counts and non-cash totals only, so the drawer is counted blind.

    The sales total less card and transfer is the cash taken, so totals that include cash go as well as the
    drawer lines; card and transfer amounts, counts, discounts and voids stay.
    """
    blind = {key: value for key, value in report.items() if key not in CASH_FIGURES}
    for key in ("payments_by_method", "refunds_by_method", "net_by_method"):
        if key in blind:
            blind[key] = {method: amount for method, amount in blind[key].items() if method != "cash"}
    blind["blind"] = True
    return blind


def report_for(session: Session, shift: Shift, is_manager: bool) -> dict[str, Any]:
    """The figures a user may see of a shift: frozen Z once closed; X so far, blind unless a manager."""
    if shift.status == "closed":
        return z_report(shift)
    report = x_report(session, shift)
    return report if is_manager else blind_report(report)


def z_report(shift: Shift) -> dict[str, Any]:
    """The Z report frozen at close (never recomputed)."""
    if shift.status != "closed" or not shift.z_report:
        raise Conflict("Ca làm việc chưa đóng nên chưa có báo cáo đóng ca (Z).")
    return json.loads(shift.z_report)


def parse_counts(counts: Mapping[Any, Any]) -> dict[int, int]:
    """Note -> count for every note 500.000 down to 1.000; missing notes count 0; anything odd is refused."""
    result = dict.fromkeys(NOTES, 0)
    for key, value in counts.items():
        try:
            note = int(key)
        except (TypeError, ValueError):
            note = -1
        if note not in result or isinstance(key, bool):
            raise ValidationError(f"Mệnh giá không hợp lệ: {key}.", "counts")
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_NOTE_COUNT:
            raise ValidationError(
                f"Số tờ {format_vnd(note)} phải là số nguyên từ 0 đến {MAX_NOTE_COUNT:,}.".replace(",", "."),
                f"note_{note}",
            )
        result[note] = value
    return result


def counted_total(counts: Mapping[int, int]) -> int:
    """Σ note × count."""
    return sum(note * count for note, count in counts.items())


def record_count_attempt(session: Session, shift: Shift, counts: Mapping[Any, Any], actor_id: int) -> int:
    """Keep in the audit log a count that was refused for want of a sign-off; returns its difference."""
    parsed = parse_counts(counts)
    counted = counted_total(parsed)
    difference = counted - expected_cash(session, shift)
    audit.record(
        session,
        "shift.count",
        user_id=actor_id,
        entity="shift",
        entity_id=shift.id,
        after={
            "counted_cash_vnd": counted,
            "difference_vnd": difference,
            "counts": {str(k): v for k, v in parsed.items()},
        },
    )
    return difference


def _count_attempts(session: Session, shift: Shift) -> int:
    """Counts refused earlier for this shift (a recount after seeing the difference stays visible)."""
    return int(
        session.scalar(
            select(func.count()).where(
                AuditEntry.action == "shift.count", AuditEntry.entity == "shift", AuditEntry.entity_id == str(shift.id)
            )
        )
        or 0
    )


def close_shift(
    session: Session,
    shift: Shift,
    counts: Mapping[Any, Any],
    actor_id: int,
    manager_signoff_user_id: int | None = None,
    threshold_vnd: int = 0,
    showroom: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> Shift:
    """Close a shift from the counted drawer, freezing its Z report; beyond the threshold a manager signs off.

    ``now`` is the moment of closing (the demo's history closes its shifts when they ended).
    """
    _require_open(shift)
    actor = session.get(User, actor_id)
    if actor is None or (actor.id != shift.cashier_id and not actor.has_role("manager")):
        raise Forbidden("Chỉ thu ngân của ca hoặc quản lý cửa hàng được đóng ca này.")
    parsed = parse_counts(counts)
    counted = counted_total(parsed)
    report = x_report(session, shift)
    expected = int(report["expected_cash_vnd"])
    difference = counted - expected

    signer: User | None = None
    if manager_signoff_user_id is not None:
        signer = session.get(User, manager_signoff_user_id)
        if signer is None or not signer.is_active or not signer.has_role("manager"):
            raise Forbidden("Người xác nhận chênh lệch phải là quản lý cửa hàng.", "manager_username")
    if abs(difference) > threshold_vnd and signer is None:
        raise SignOffRequired(
            f"Chênh lệch {format_vnd(difference)} vượt ngưỡng {format_vnd(threshold_vnd)}: "
            "cần quản lý cửa hàng xác nhận để đóng ca.",
            "manager_username",
            difference_vnd=difference,
            counted_cash_vnd=counted,
        )

    closed_at = now or utcnow()
    cashier = session.get(User, shift.cashier_id)
    entries = freeze_close(
        shift,
        report,
        parsed,
        actor=actor,
        signer=signer,
        threshold_vnd=threshold_vnd,
        attempts=_count_attempts(session, shift) + 1,
        showroom=showroom,
        closed_at=closed_at,
    )
    session.add(shift)

    # Every sale rung up in the shift, voided ones included (they arrive as 'void' records of their own).
    sale_uuids = [str(u) for u in session.exec(select(Sale.uuid).where(Sale.shift_id == shift.id).order_by(Sale.id))]
    return_uuids = [
        str(u)
        for u in session.exec(select(SaleReturn.uuid).where(SaleReturn.shift_id == shift.id).order_by(SaleReturn.id))
    ]
    payload: Fields = {
        "uuid": str(shift.uuid),
        "cashier": cashier.username if cashier else "",
        "cashier_name": cashier.full_name if cashier else "",
        "till": _till_code(session, shift),
        "opened_at": shift.opened_at.isoformat(),
        "closed_at": closed_at.isoformat(),
        "opening_float_vnd": shift.opening_float_vnd,
        "sales_count": report["sales_count"],
        "sales_total_vnd": report["sales_total_vnd"],
        "refunds_total_vnd": report["refunds_total_vnd"],
        "voids_count": report["voids_count"],
        "discounts_vnd": report["discounts_vnd"],
        "payments_by_method": report["net_by_method"],
        "cash_in_vnd": report["cash_in_vnd"],
        "cash_out_vnd": report["cash_out_vnd"],
        "expected_cash_vnd": expected,
        "counted_cash_vnd": counted,
        "difference_vnd": difference,
        "sale_uuids": sale_uuids,
        "return_uuids": return_uuids,
    }
    enqueue(session, "shift_close", shift.uuid, dict(payload))
    audit.record_many(session, entries)
    session.flush()
    return shift


def freeze_close(
    shift: Shift,
    report: dict[str, Any],
    parsed: Mapping[int, int],
    *,
    actor: User,
    signer: User | None,
    threshold_vnd: int,
    attempts: int,
    showroom: Mapping[str, Any] | None,
    closed_at: datetime,
) -> list[dict[str, Any]]:
    """Write a counted drawer into the shift (closed, its Z report frozen); returns the close's audit entries.

    ``report`` is the shift's X report (it becomes the Z report in place); nothing is checked or flushed here:
    close_shift checks first, and the demo's history closes a year of shifts through this at once.
    """
    counted = counted_total(parsed)
    expected = int(report["expected_cash_vnd"])
    difference = counted - expected
    report.update(
        {
            "kind": "Z",
            "closed_at": closed_at.isoformat(),
            "closed_by": actor.username,
            "closed_by_name": actor.full_name,
            "counts": {str(note): parsed[note] for note in NOTES},
            "counted_cash_vnd": counted,
            "difference_vnd": difference,
            "threshold_vnd": threshold_vnd,
            "signed_off_by": signer.username if signer else None,
            "signed_off_by_name": signer.full_name if signer else None,
            "count_attempts": attempts,
            "showroom": dict(showroom) if showroom else None,
        }
    )
    report.pop("generated_at", None)
    shift.status = "closed"
    shift.closed_at = closed_at
    shift.counted_cash_vnd = counted
    shift.count_detail = json.dumps({str(note): parsed[note] for note in NOTES}, separators=(",", ":"))
    shift.expected_cash_vnd = expected
    shift.difference_vnd = difference
    shift.signed_off_by_id = signer.id if signer else None
    shift.z_report = json.dumps(report, ensure_ascii=False, separators=(",", ":"))
    entries = [
        audit.entry(
            "shift.close",
            user_id=actor.id,
            entity="shift",
            entity_id=shift.id,
            after={"expected_cash_vnd": expected, "counted_cash_vnd": counted, "difference_vnd": difference},
            at=closed_at,
        )
    ]
    if signer is not None:
        entries.append(
            audit.entry(
                "shift.signoff",
                user_id=signer.id,
                entity="shift",
                entity_id=shift.id,
                after={"difference_vnd": difference, "threshold_vnd": threshold_vnd, "closed_by": actor.username},
                at=closed_at,
            )
        )
    return entries


def _till_code(session: Session, shift: Shift) -> str:
    """The code of the shift's till (Q1 ...), sent with its close so the central server checks drawer by drawer."""
    till = session.get(Till, shift.till_id) if shift.till_id else None
    return till.code if till else ""


def _till_name(session: Session, shift: Shift) -> str:
    till = session.get(Till, shift.till_id) if shift.till_id else None
    return till.name if till else ""


def list_shifts(session: Session, limit: int = 100, offset: int = 0) -> list[tuple[Shift, User]]:
    """Shifts, newest first, with their cashier."""
    rows = session.exec(
        select(Shift, User)
        .join(User, User.id == Shift.cashier_id)  # type: ignore[arg-type]
        .order_by(Shift.id.desc())  # type: ignore[union-attr]
        .limit(limit)
        .offset(offset)
    )
    return list(rows.all())


def count_shifts(session: Session) -> int:
    """How many shifts list_shifts pages through."""
    return int(session.scalar(select(func.count()).select_from(Shift)) or 0)
