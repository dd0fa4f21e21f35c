"""Whether the till's clock can be trusted to date a sale, and a manager's confirmation when it cannot.

A receipt takes its date, its year's number series and its VAT rate from this PC's clock. A clock set back
(a flat CMOS battery, a wrong time zone, someone's hand) dates a sale before the previous receipt, before
its shift opened, or in another year at another rate. The till notices a clock earlier than the last sale,
earlier than the shift's opening, or far from the central server's time as the last sync saw it, and sells
nothing until the clock is corrected or a manager confirms it (audited "clock.confirm"). A confirmation
holds for the shift, as long as the clock does not go back behind the moment it was given.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from pos.audit import log as audit
from pos.audit.models import AuditEntry
from pos.auth.models import User
from pos.errors import PosError
from pos.sales.models import Sale, Shift
from pos.sales.receipts import SHOP_TZ
from pos.sync.models import SyncState

DEFAULT_TOLERANCE_S = 300  # a clock a few seconds off (NTP corrections) is not a problem; minutes are


class ClockSuspect(PosError):
    """The till's clock looks wrong: no sale until it is corrected or a manager confirms it."""

    status = 409


def _local(moment: datetime) -> str:
    return moment.astimezone(SHOP_TZ).strftime("%H:%M %d/%m/%Y")


def central_time_at_last_sync(state: SyncState | None) -> datetime | None:
    """The central server's time when the last sync succeeded: this PC's time then, plus the offset it learnt."""
    if state is None or state.last_success_at is None:
        return None
    return state.last_success_at + timedelta(seconds=state.clock_offset_s)


def clock_problems(session: Session, shift: Shift | None, now: datetime, tolerance_s: int) -> list[str]:
    """What makes ``now``, this PC's clock, unfit to date a sale (empty when nothing does)."""
    tolerance = timedelta(seconds=tolerance_s)
    problems = []
    last_sale = session.scalar(select(func.max(Sale.created_at)))
    if last_sale is not None and now < last_sale - tolerance:
        problems.append(f"Giờ máy tính ({_local(now)}) sớm hơn hóa đơn gần nhất ({_local(last_sale)}).")
    if shift is not None and now < shift.opened_at - tolerance:
        problems.append(f"Giờ máy tính ({_local(now)}) sớm hơn lúc mở ca ({_local(shift.opened_at)}).")
    state = session.get(SyncState, 1)
    central = central_time_at_last_sync(state)
    if central is not None and now < central - tolerance:
        problems.append(
            f"Giờ máy tính ({_local(now)}) sớm hơn giờ máy chủ trung tâm lúc đồng bộ gần nhất ({_local(central)})."
        )
    elif state is not None and central is not None and abs(state.clock_offset_s) > tolerance_s:
        minutes = abs(state.clock_offset_s) // 60
        way = "chậm" if state.clock_offset_s > 0 else "nhanh"
        problems.append(f"Lần đồng bộ gần nhất, giờ máy tính {way} hơn giờ máy chủ trung tâm {minutes} phút.")
    return problems


def is_confirmed(session: Session, shift: Shift, now: datetime, tolerance_s: int) -> bool:
    """Whether a manager confirmed the clock for this shift, at a clock reading not after ``now``."""
    entries = session.exec(
        select(AuditEntry.after).where(
            AuditEntry.action == "clock.confirm", AuditEntry.entity == "shift", AuditEntry.entity_id == str(shift.id)
        )
    ).all()
    limit = now + timedelta(seconds=tolerance_s)
    return any(datetime.fromisoformat(json.loads(after)["clock"]) <= limit for after in entries)


def check_clock(session: Session, shift: Shift, now: datetime, tolerance_s: int = DEFAULT_TOLERANCE_S) -> None:
    """Refuse to sell while the clock looks wrong and no manager has confirmed it for this shift."""
    problems = clock_problems(session, shift, now, tolerance_s)
    if problems and not is_confirmed(session, shift, now, tolerance_s):
        raise ClockSuspect(
            " ".join(problems)
            + " Chưa bán được: hãy chỉnh lại giờ máy tính, hoặc nhờ quản lý xác nhận ở trang Giờ máy tính.",
            "clock",
        )


def confirm_clock(session: Session, shift: Shift, manager: User, now: datetime, tolerance_s: int) -> list[str]:
    """A manager confirms the till's clock for this shift despite its problems (audited); returns them."""
    problems = clock_problems(session, shift, now, tolerance_s)
    audit.record(
        session,
        "clock.confirm",
        user_id=manager.id,
        entity="shift",
        entity_id=shift.id,
        after={"clock": now.isoformat(), "problems": problems, "cashier_id": shift.cashier_id},
    )
    return problems
