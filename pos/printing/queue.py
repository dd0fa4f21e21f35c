"""The print queue: jobs written with the sale (one insert), printed by the worker, never dropped.

A job is ``waiting`` until the printer has taken it, ``printed`` after, ``failed`` with the printer's last
error while the worker retries it. Jobs are retried automatically for RETRY_WINDOW (a printer switched back on
prints what the last customers were owed); older ones stay in the till's list with a button to print them,
rather than surprising the counter with receipts of customers long gone. The drawer opens only when the job
prints within DRAWER_WINDOW of the payment: a drawer springing open minutes later, unattended, is worse than
a cashier opening it by hand.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from pos.audit import log as audit
from pos.db import utcnow
from pos.errors import Conflict, NotFound, ValidationError
from pos.printing.models import JOB_KINDS, PrintJob, Till
from pos.text import nfc

RETRY_WINDOW = timedelta(minutes=15)
DRAWER_WINDOW = timedelta(seconds=90)
MAX_BACKOFF_S = 30
MAX_REASON_LEN = 200


def backoff(attempts: int) -> timedelta:
    """2, 4, 8, 16, 30, 30 ... seconds between tries of a failing job."""
    return timedelta(seconds=min(MAX_BACKOFF_S, 2**attempts))


def get_till(session: Session, till_id: int) -> Till:
    """A till by id, or NotFound."""
    till = session.get(Till, till_id)
    if till is None:
        raise NotFound("Không tìm thấy quầy thu ngân.")
    return till


def list_tills(session: Session, active_only: bool = False) -> list[Till]:
    """The showroom's tills in their order (Quầy 1, Quầy 2 ...)."""
    query = select(Till).order_by(col(Till.id))
    if active_only:
        query = query.where(col(Till.is_active).is_(True))
    return list(session.exec(query).all())


def enqueue(
    session: Session,
    till_id: int | None,
    kind: str,
    ref: str = "",
    *,
    copy_number: int = 0,
    language: str = "",
    open_drawer: bool = False,
    created_by_id: int | None = None,
) -> PrintJob | None:
    """Queue a document for the till's ESC/POS printer (flushes); None where the till prints from the browser."""
    if kind not in JOB_KINDS:
        raise ValueError(f"unknown print job kind {kind!r}")
    till = session.get(Till, till_id) if till_id is not None else None
    if till is None or not till.is_escpos:
        return None
    job = PrintJob(
        till_id=till.id,  # type: ignore[arg-type]
        kind=kind,
        ref=ref,
        copy_number=copy_number,
        language=language,
        open_drawer=open_drawer and till.has_drawer,
        created_by_id=created_by_id,
    )
    session.add(job)
    session.flush()
    return job


def queue_receipt(session: Session, sale_id: int, receipt_number: str, shift_id: int) -> PrintJob | None:
    """In the sale's own transaction: its receipt for the shift's till, opening the drawer if cash was taken."""
    from pos.sales.models import Payment, Shift

    shift = session.get(Shift, shift_id)
    has_cash = session.exec(select(Payment.id).where(Payment.sale_id == sale_id, Payment.method == "cash")).first()
    return enqueue(
        session, shift.till_id if shift else None, "receipt", receipt_number, open_drawer=has_cash is not None
    )


def open_drawer(
    session: Session, till_id: int, reason: str | None, actor_id: int, approver_id: int | None = None
) -> PrintJob:
    """A manager opens the drawer without a sale (change for the float, a stuck note): with a reason, audited.

    ``actor_id`` asked for it; ``approver_id`` is the manager who approved a cashier's request (None when the
    one who asked is the manager). The audit row is the approver's and names both.
    """
    text = nfc(reason)
    if not text:
        raise ValidationError("Vui lòng nhập lý do mở ngăn kéo.", "reason")
    if len(text) > MAX_REASON_LEN:
        raise ValidationError(f"Lý do dài tối đa {MAX_REASON_LEN} ký tự.", "reason")
    till = get_till(session, till_id)
    if not till.is_escpos or not till.has_drawer:
        raise Conflict(f"{till.name} không có ngăn kéo nối với máy in ESC/POS.")
    job = enqueue(session, till.id, "drawer", open_drawer=True, created_by_id=actor_id)
    assert job is not None
    audit.record(
        session,
        "drawer.open",
        user_id=approver_id or actor_id,
        entity="till",
        entity_id=till.id,
        after={"reason": text, "till": till.code, "asked_by": actor_id, "approved_by": approver_id or actor_id},
    )
    return job


def retry(session: Session, job_id: int, till_id: int) -> PrintJob:
    """Print a job that has not printed yet, now (the same document: it was never in the customer's hands)."""
    job = session.get(PrintJob, job_id)
    if job is None or job.till_id != till_id:
        raise NotFound("Không tìm thấy lệnh in này ở quầy.")
    if job.state == "printed":
        raise Conflict("Lệnh in này đã in xong; muốn in thêm hãy bấm “In lại” (bản sao).")
    job.state, job.next_try_at, job.created_at = "waiting", utcnow(), utcnow()
    job.open_drawer = False  # a drawer opens with its payment, not with a retry pressed later
    session.add(job)
    session.flush()
    return job


def recent_jobs(session: Session, till_id: int, limit: int = 10) -> list[PrintJob]:
    """The till's latest jobs, newest first, for the queue at the till."""
    return list(
        session.exec(
            select(PrintJob).where(PrintJob.till_id == till_id).order_by(col(PrintJob.id).desc()).limit(limit)
        ).all()
    )


def unprinted_count(session: Session, till_id: int) -> int:
    """Jobs not printed yet at a till."""
    return len(session.exec(select(PrintJob.id).where(PrintJob.till_id == till_id, PrintJob.state != "printed")).all())


def due_jobs(session: Session, now: datetime) -> list[PrintJob]:
    """Jobs to try now, oldest first: not printed, their next try reached, young enough to print by themselves."""
    return list(
        session.exec(
            select(PrintJob)
            .where(
                col(PrintJob.state).in_(("waiting", "failed")),
                PrintJob.next_try_at <= now,
                PrintJob.created_at >= now - RETRY_WINDOW,
            )
            .order_by(col(PrintJob.id))
            .limit(200)
        ).all()
    )


def mark_printed(session: Session, job: PrintJob, now: datetime) -> None:
    """The printer took the whole job."""
    session.execute(
        update(PrintJob)
        .where(col(PrintJob.id) == job.id)
        .values(state="printed", printed_at=now, attempts=job.attempts + 1, last_error="")
    )
    session.execute(update(Till).where(col(Till.id) == job.till_id).values(last_printed_at=now, last_error=""))


def mark_failed(session: Session, job: PrintJob, error: str, now: datetime) -> None:
    """The printer refused or dropped the job: it stays queued, tried again after a back-off."""
    attempts = job.attempts + 1
    session.execute(
        update(PrintJob)
        .where(col(PrintJob.id) == job.id)
        .values(state="failed", attempts=attempts, last_error=error[:300], next_try_at=now + backoff(attempts))
    )
    session.execute(update(Till).where(col(Till.id) == job.till_id).values(last_error=error[:300], last_error_at=now))
