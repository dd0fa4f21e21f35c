"""After a restore: never reuse a sequence number or a receipt number that the central server already holds.

Restoring an older backup puts the outbox sequence (``OutboxRecord.id``) and the receipt and return counters
back in time. The numbers issued since the backup may already be at the central server (which stores each
(showroom, seq) once, so a new record under a reused seq would be dropped there), and printed on receipts.
Offline, nobody can know how far they went, so the rule is:

1. ``pos restore`` marks the restored database (counter ``sync:restored_at`` = the restore's Unix time);
2. while the mark is there, receipts and returns are numbered from a series of the restore's own,
   ``<CODE>-<YEAR>-K<tag>-0001`` and ``<CODE>-<YEAR>-K<tag>-R0001``, the tag being the restore's time in
   base 36: it cannot meet a number of the normal series, nor one of another restore; e-invoices, whose
   symbol is the tax authority's, are held (issued with the sale, not numbered, not sent);
3. the first sync after the restore asks the central server (``GET /api/v1/sync/state``) for the highest seq
   and the highest number of every series it holds (receipts and returns per year, invoices per form and
   symbol), and in one transaction, before anything is pushed: moves the unsent outbox records (in their
   order) to fresh seqs past both its own and the central server's, moves the outbox sequence past them,
   moves every counter past the central server's numbers (audited ``counter.bump``), gives the held
   invoices their numbers and codes in order, and removes the mark. The normal series then goes on with no
   gap filled twice, and no invoice number (nor code) the central server knows is issued again.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from pos import numbering
from pos.audit import log as audit
from pos.catalog.models import Counter
from pos.db import utcnow
from pos.einvoice.issue import number_held_invoices
from pos.inventory.transfers import mark_awaiting_pull
from pos.numbering import RESTORE_MARK


def mark_restored(session: Session, unix_time: int) -> None:
    """Mark the database as restored and not yet reconciled with the central server; hold transfer receipts and
    cancels until the next complete transfer pull (pos/inventory/transfers.py "After a restore")."""
    session.merge(Counter(name=RESTORE_MARK, value=int(unix_time)))
    mark_awaiting_pull(session, unix_time)


def reconcile_after_restore(
    session: Session, showroom_code: str, central: Mapping[str, Any], now: datetime | None = None
) -> dict[str, Any]:
    """Move the outbox sequence and every series' counter past what the central server holds; number the
    invoices held since the restore; remove the mark.

    ``central`` is the answer of GET /api/v1/sync/state (``last_seq`` and ``max_seq``; one ``<kind>_max`` map
    per series of pos/numbering.py ``CENTRAL_SERIES``). Runs in the caller's (write) transaction; returns what
    changed.
    """
    central_seq = max(int(central.get("last_seq") or 0), int(central.get("max_seq") or 0))
    done: dict[str, Any] = {"renumbered": 0, "counters": {}}
    local_seq = int(session.execute(text("SELECT seq FROM sqlite_sequence WHERE name = 'outboxrecord'")).scalar() or 0)
    local_max = int(session.execute(text("SELECT max(id) FROM outboxrecord")).scalar() or 0)
    unsent = [
        int(row[0])
        for row in session.execute(text("SELECT id FROM outboxrecord WHERE sent_at IS NULL ORDER BY id")).all()
    ]
    top = max(local_seq, local_max)
    if unsent and unsent[0] <= central_seq:
        # The central server holds these seqs already (from the days the backup did not see): every unsent
        # record, in its order, gets a fresh seq past both sides so none is dropped there as a duplicate.
        base = max(top, central_seq)
        for offset, old in enumerate(unsent, start=1):
            session.execute(
                text("UPDATE outboxrecord SET id = :new WHERE id = :old"), {"new": base + offset, "old": old}
            )
        top = base + len(unsent)
        done["renumbered"] = len(unsent)
    top = max(top, central_seq)
    if top > local_seq:
        updated = session.execute(
            text("UPDATE sqlite_sequence SET seq = :top WHERE name = 'outboxrecord'"), {"top": top}
        ).rowcount
        if not updated:
            session.execute(text("INSERT INTO sqlite_sequence (name, seq) VALUES ('outboxrecord', :top)"), {"top": top})
    done["outbox_seq"] = top

    for name, highest in numbering.central_counters(showroom_code, central).items():
        counter = session.get(Counter, name)
        before = counter.value if counter is not None else 0
        if highest <= before:
            continue
        session.merge(Counter(name=name, value=highest))
        audit.record(
            session,
            "counter.bump",
            user_id=None,
            entity="counter",
            entity_id=name,
            before={"value": before},
            after={"value": highest, "reason": "restore"},
        )
        done["counters"][name] = highest
    session.flush()
    # The invoices issued since the restore take their real numbers now, in order, past the central server's.
    done["invoices_numbered"] = number_held_invoices(session, numbering.restore_tag(session), now or utcnow())
    mark = session.get(Counter, RESTORE_MARK)
    if mark is not None:
        session.delete(mark)
    session.flush()
    return done
