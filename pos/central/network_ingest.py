"""Materialise the network's stock records: snapshots of on hand and lots, transfer notes, their receipts and
cancels, and closed settlements (kinds 'stock_snapshot', 'transfer', 'transfer_receipt', 'transfer_cancel',
'settlement').

Called by the ingest's materialiser (pos/central/ingest.py) in the push's one transaction, for new records
only (a replayed seq never comes here). Each table keeps the ``seq`` of the record that last set a row and
an update only wins with a higher seq, so records applied out of order, or a snapshot older than one already
held, never move a figure back. On hand is never recomputed here: it is what the showroom's ledger says.

Transfers: the sender's record creates the note ``in_transit``; the receiver's receipt closes it
(``received`` or ``differences``) once, and only a receipt from the showroom the note was addressed to: a
second receipt of a closed note (a showroom restored from a backup older than its first receipt, say) is held
aside with the issue ``second_receipt`` and changes nothing, while the same receipt sent again is ignored. The
sender's cancel marks a note still in transit ``cancelled``; a receipt that counted goods in stands over a
cancel whichever reaches this server first (the goods are where the receipt says; the sender's pull then undoes
its cancel), and a receipt of nothing at all leaves a cancelled note cancelled.
Each change takes the next ``revision`` under a transaction-scoped advisory lock, so that the showrooms'
pulls (pos/central/transfers.py), which ask for changes after the last revision they saw, never skip a
change that commits after a higher one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from pos.central import models as m
from pos.central.bulk import pipelined, uuid_array

if TYPE_CHECKING:
    from pos.central.ingest import _Materialiser

KINDS = ("stock_snapshot", "transfer", "transfer_receipt", "transfer_cancel", "settlement")
T_LEVEL = m.StockLevel.__table__
T_LOT = m.StockLot.__table__
T_TRANSFER = m.Transfer.__table__
T_SETTLEMENT = m.Settlement.__table__
T_SETTLEMENT_LINE = m.SettlementLine.__table__
T_SHOWROOM = m.Showroom.__table__
TRANSFER_LOCK = 0x7472616E  # pg_advisory_xact_lock key of transfer revisions ("tran")


def product_refs(by_kind: dict[str, list[Any]]) -> list[Any]:
    """Everything in these records that names a product (each has ``product_uuid``), for stubs."""
    refs: list[Any] = []
    for record in by_kind.get("stock_snapshot", []):
        refs += record.payload.levels
        refs += record.payload.lots
    for record in by_kind.get("transfer", []):
        refs += record.payload.lines
    return refs


def producer_refs(by_kind: dict[str, list[Any]]) -> list[Any]:
    """The producer UUIDs these records name."""
    return [line.producer_uuid for r in by_kind.get("transfer", []) for line in r.payload.lines] + [
        r.payload.producer_uuid for r in by_kind.get("settlement", [])
    ]


def received_by_transfer(mat: _Materialiser, kind: str, uuids: set[Any]) -> set[Any]:
    """The product (or producer) UUIDs among ``uuids`` that reached this showroom on a transfer note: the receiver
    carries the sender's product under its UUID, which is no collision."""
    if kind not in ("product", "producer") or not uuids:
        return set()
    key = "product_uuid" if kind == "product" else "producer_uuid"
    found = mat.conn.execute(
        text(
            "SELECT DISTINCT (e->>:key)::uuid FROM transfer t CROSS JOIN LATERAL jsonb_array_elements(t.lines) AS e "
            "WHERE t.to_showroom_code = :code AND e->>:key = ANY(:uuids)"
        ),
        {"key": key, "code": _code(mat), "uuids": [str(u) for u in uuids]},
    )
    return set(found.scalars())


def materialise(mat: _Materialiser, by_kind: dict[str, list[Any]]) -> None:
    """Apply the network records of one batch (after products and producers exist)."""
    apply_snapshots(mat, by_kind.get("stock_snapshot", []))
    insert_transfers(mat, by_kind.get("transfer", []))
    apply_cancels(mat, by_kind.get("transfer_cancel", []))
    apply_receipts(mat, by_kind.get("transfer_receipt", []))
    upsert_settlements(mat, by_kind.get("settlement", []))


def _code(mat: _Materialiser) -> str:
    """The pushing showroom's code (transfers are addressed by code)."""
    code = getattr(mat, "_showroom_code", None)
    if code is None:
        code = mat.conn.execute(select(T_SHOWROOM.c.code).where(T_SHOWROOM.c.id == mat.showroom_id)).scalar_one()
        mat._showroom_code = code  # type: ignore[attr-defined]
    return str(code)


def _product_id(mat: _Materialiser, uuid: Any) -> int:
    return mat.products[uuid][0]


# A complete snapshot zeroes what it no longer lists; then every level and lot it lists is set, unless a later
# snapshot already set it. Each statement takes its rows as arrays (one parameter per column, not per value).
_ZERO_LEVELS = """
    UPDATE stock_level SET qty = 0, seq = %(seq)s, as_of = %(at)s
     WHERE showroom_id = %(showroom)s AND seq < %(seq)s AND product_id <> ALL(CAST(%(products)s AS integer[]))
    """
_ZERO_LOTS = """
    UPDATE stock_lot SET qty = 0, seq = %(seq)s, as_of = %(at)s
     WHERE showroom_id = %(showroom)s AND seq < %(seq)s AND uuid <> ALL(CAST(%(lots)s AS uuid[]))
    """
_SET_LEVELS = """
    INSERT INTO stock_level (showroom_id, product_id, qty, seq, as_of)
    SELECT %(showroom)s, v.product_id, v.qty, %(seq)s, %(at)s
      FROM unnest(CAST(%(products)s AS integer[]), CAST(%(qtys)s AS integer[])) AS v(product_id, qty)
     ORDER BY v.product_id
    ON CONFLICT (showroom_id, product_id) DO UPDATE SET qty = excluded.qty, seq = excluded.seq, as_of = excluded.as_of
     WHERE stock_level.seq < excluded.seq
    """
_SET_LOTS = """
    INSERT INTO stock_lot (uuid, showroom_id, product_id, lot_code, expiry_date, manufactured_on, qty, recalled_at,
                           recall_reason, seq, as_of)
    SELECT v.uuid, %(showroom)s, v.product_id, v.lot_code, v.expiry_date, v.manufactured_on, v.qty, v.recalled_at,
           v.recall_reason, %(seq)s, %(at)s
      FROM unnest(CAST(%(lots)s AS uuid[]), CAST(%(products)s AS integer[]), CAST(%(codes)s AS text[]),
                  CAST(%(expiry)s AS date[]), CAST(%(made)s AS date[]), CAST(%(qtys)s AS integer[]),
                  CAST(%(recalled)s AS timestamptz[]), CAST(%(reasons)s AS text[]))
           AS v(uuid, product_id, lot_code, expiry_date, manufactured_on, qty, recalled_at, recall_reason)
     ORDER BY v.uuid
    ON CONFLICT (showroom_id, uuid) DO UPDATE
       SET product_id = excluded.product_id, lot_code = excluded.lot_code, expiry_date = excluded.expiry_date,
           manufactured_on = excluded.manufactured_on, qty = excluded.qty, recalled_at = excluded.recalled_at,
           recall_reason = excluded.recall_reason, seq = excluded.seq, as_of = excluded.as_of
     WHERE stock_lot.seq < excluded.seq
    """


def apply_snapshots(mat: _Materialiser, records: list[Any]) -> None:
    """Set on hand and lots from each snapshot; a complete one also zeroes what it no longer lists."""
    statements: list[tuple[str, dict[str, Any]]] = []
    for record in records:  # in seq order
        p = record.payload
        at = {"showroom": mat.showroom_id, "seq": record.seq, "at": p.taken_at}
        levels = dict(sorted({_product_id(mat, level.product_uuid): level.qty for level in p.levels}.items()))
        lots = [lot for _, lot in sorted({lot.uuid.int: lot for lot in p.lots}.items())]  # once each, index order
        if p.complete:
            statements.append((_ZERO_LEVELS, {**at, "products": list(levels)}))
            statements.append((_ZERO_LOTS, {**at, "lots": uuid_array(lot.uuid for lot in lots)}))
        if levels:
            statements.append((_SET_LEVELS, {**at, "products": list(levels), "qtys": list(levels.values())}))
        if lots:
            statements.append(
                (
                    _SET_LOTS,
                    {
                        **at,
                        "lots": uuid_array(lot.uuid for lot in lots),
                        "products": [_product_id(mat, lot.product_uuid) for lot in lots],
                        "codes": [lot.lot_code for lot in lots],
                        "expiry": [lot.expiry_date for lot in lots],
                        "made": [lot.manufactured_on for lot in lots],
                        "qtys": [lot.qty for lot in lots],
                        "recalled": [lot.recalled_at for lot in lots],
                        "reasons": [lot.recall_reason for lot in lots],
                    },
                )
            )
    pipelined(mat.conn, statements)


def next_revision(mat: _Materialiser) -> int:
    """The next transfer revision; the lock is held until this push commits (revisions commit in order)."""
    mat.conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": TRANSFER_LOCK})
    return int(mat.conn.execute(select(func.coalesce(func.max(T_TRANSFER.c.revision), 0) + 1)).scalar_one())


def _line(line: Any) -> dict[str, Any]:
    """A transfer line as the receiving showroom pulls it (the payload's own wire names)."""
    import msgspec

    return msgspec.to_builtins(line)


def insert_transfers(mat: _Materialiser, records: Iterable[Any]) -> None:
    """A transfer note, once (its UUID is the guard); addressed to a showroom code, registered or not yet."""
    rows = []
    for record in records:
        p = record.payload
        if p.to_showroom == _code(mat):
            mat.issue(record, "inconsistent", {"problems": ["transfer_to_itself"]})
            continue
        rows.append(
            {
                "uuid": p.uuid,
                "number": p.number,
                "from_showroom_id": mat.showroom_id,
                "to_showroom_code": p.to_showroom,
                "seq": record.seq,
                "status": "in_transit",
                "created_at": p.created_at,
                "created_by": p.created_by,
                "note": p.note,
                "lines": [_line(line) for line in p.lines],
                "qty_sent": sum(line.qty for line in p.lines),
                "receipt_note": "",
            }
        )
    if not rows:
        return
    revision = next_revision(mat)
    for offset, row in enumerate(rows):
        row["revision"] = revision + offset
    inserted = mat.conn.execute(
        pg_insert(T_TRANSFER).on_conflict_do_nothing(index_elements=["uuid"]).returning(T_TRANSFER.c.uuid), rows
    )
    taken = {row.uuid for row in inserted}
    missed = [r for r in records if r.payload.uuid not in taken and r.payload.to_showroom != _code(mat)]
    if not missed:
        return
    # This showroom's own note sent again (renumbered after a restore) is the same note, no collision.
    ours = set(
        mat.conn.execute(
            select(T_TRANSFER.c.uuid).where(
                T_TRANSFER.c.uuid.in_([r.payload.uuid for r in missed]),
                T_TRANSFER.c.from_showroom_id == mat.showroom_id,
            )
        ).scalars()
    )
    for record in missed:
        if record.payload.uuid not in ours:
            mat.issue(record, "uuid_collision", {"uuid": str(record.payload.uuid)})


def apply_receipts(mat: _Materialiser, records: list[Any]) -> None:
    """Close each transfer the receipt names, if it was addressed to this showroom and is still in transit."""
    for record in records:
        p = record.payload
        held = mat.conn.execute(
            select(
                T_TRANSFER.c.id,
                T_TRANSFER.c.number,
                T_TRANSFER.c.lines,
                T_TRANSFER.c.status,
                T_TRANSFER.c.received_at,
                T_TRANSFER.c.received_by,
            )
            .select_from(T_TRANSFER.join(T_SHOWROOM, T_SHOWROOM.c.id == T_TRANSFER.c.from_showroom_id))
            .where(
                and_(T_TRANSFER.c.uuid == p.uuid, T_TRANSFER.c.to_showroom_code == _code(mat)),
                T_SHOWROOM.c.code == p.from_showroom,
            )
            .with_for_update()
        ).first()
        if held is None:
            mat.issue(record, "unknown_reference", {"transfer": str(p.uuid)})
            continue
        if held.status not in ("in_transit", "cancelled"):
            if held.received_at != p.received_at:  # the same receipt sent again (after a restore) is no second one
                mat.issue(record, "second_receipt", _second_receipt(held, p))
            continue  # closed by an earlier receipt, which stands
        if held.status == "cancelled" and not any(line.qty_received for line in p.lines):
            continue  # nothing arrived: the cancel stands
        received = {line.line_no: line for line in p.lines}
        lines, differs = [], False
        for line in held.lines:
            got = received.get(line["line_no"])
            qty = got.qty_received if got is not None else 0
            differs |= qty != line["qty"]
            lines.append(
                {
                    **line,
                    "qty_received": qty,
                    "reason": got.reason if got else "",
                    "receipt_note": got.note if got else "",
                }
            )
        differs |= bool(set(received) - {line["line_no"] for line in held.lines})
        mat.conn.execute(
            update(T_TRANSFER)
            .where(T_TRANSFER.c.id == held.id)
            .values(
                status="differences" if differs else "received",
                lines=lines,
                qty_received=sum(line["qty_received"] for line in lines),
                received_at=p.received_at,
                received_by=p.received_by,
                receipt_note=p.note,
                revision=next_revision(mat),
            )
        )


def _second_receipt(held: Any, p: Any) -> dict[str, Any]:
    """What the office reads of a receipt refused because the note already has one (pos/central/issues.py names
    the keys)."""
    return {
        "transfer_number": held.number,
        "received_at": held.received_at.isoformat() if held.received_at else None,
        "received_by": held.received_by,
        "second_received_at": p.received_at.isoformat(),
        "second_received_by": p.received_by,
    }


def apply_cancels(mat: _Materialiser, records: list[Any]) -> None:
    """The sender's cancel of each note it names: ``cancelled`` if still in transit; after a receipt, only noted."""
    for record in records:
        p = record.payload
        held = mat.conn.execute(
            select(T_TRANSFER.c.id, T_TRANSFER.c.status)
            .where(T_TRANSFER.c.uuid == p.uuid, T_TRANSFER.c.from_showroom_id == mat.showroom_id)
            .with_for_update()
        ).first()
        if held is None:
            mat.issue(record, "unknown_reference", {"transfer": str(p.uuid)})
            continue
        if held.status == "cancelled":
            continue
        values: dict[str, Any] = {"cancelled_at": p.cancelled_at, "cancelled_by": p.cancelled_by,
                                  "cancel_reason": p.reason}  # fmt: skip
        if held.status == "in_transit":
            values |= {"status": "cancelled", "revision": next_revision(mat)}
        mat.conn.execute(update(T_TRANSFER).where(T_TRANSFER.c.id == held.id).values(**values))


def upsert_settlements(mat: _Materialiser, records: list[Any]) -> None:
    """Each settlement once per showroom, its latest state (closed, then paid) winning."""
    mat.upsert_latest(
        T_SETTLEMENT,
        records,
        lambda r: {
            "number": r.payload.number,
            "producer_id": mat.producer_ids[r.payload.producer_uuid],
            "period_start": r.payload.period_start,
            "period_end": r.payload.period_end,
            "status": r.payload.status,
            "is_consignment": r.payload.is_consignment,
            "commission_bp": r.payload.commission_bp,
            "net_sales_vnd": r.payload.net_sales_vnd,
            "commission_vnd": r.payload.commission_vnd,
            "amount_owed_vnd": r.payload.amount_owed_vnd,
            "closed_at": r.payload.closed_at,
            "closed_by": r.payload.closed_by,
            "paid_at": r.payload.paid_at,
            "paid_reference": r.payload.paid_reference,
            "quantities": dict(r.payload.quantities),
        },
        changing=("status", "paid_at", "paid_reference"),
    )
    store_settlement_lines(mat, records)


def store_settlement_lines(mat: _Materialiser, records: list[Any]) -> None:
    """The lines of each settlement whose row this batch's latest record set (its seq is the row's), as that
    record gives them: frozen, so the same each time; a record of version 1, without lines, leaves those held."""
    latest = {r.payload.uuid: r for r in records if r.payload.lines}  # records arrive sorted by seq
    if not latest:
        return
    written = mat.conn.execute(
        select(T_SETTLEMENT.c.id, T_SETTLEMENT.c.uuid, T_SETTLEMENT.c.seq).where(
            T_SETTLEMENT.c.showroom_id == mat.showroom_id, T_SETTLEMENT.c.uuid.in_(list(latest))
        )
    ).all()
    payloads = {row.id: latest[row.uuid].payload for row in written if row.seq == latest[row.uuid].seq}
    if not payloads:
        return
    mat.conn.execute(T_SETTLEMENT_LINE.delete().where(T_SETTLEMENT_LINE.c.settlement_id.in_(list(payloads))))
    mat.conn.execute(
        T_SETTLEMENT_LINE.insert(),
        [
            {
                "settlement_id": sid,
                "line_no": line.line_no,
                "product_uuid": line.product_uuid,
                "sku": line.sku,
                "name": line.name,
                "qty": line.qty,
                "amount_vnd": line.amount_vnd,
                "commission_vnd": line.commission_vnd,
                "promo_showroom_vnd": line.promo_showroom_vnd,
                "promo_producer_vnd": line.promo_producer_vnd,
            }
            for sid in sorted(payloads)
            for line in {line.line_no: line for line in payloads[sid].lines}.values()  # a line_no once
        ],
    )
