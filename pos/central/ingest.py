"""Store a showroom's pushed outbox records exactly once and materialise them into the office's tables.

``ingest_batch`` runs inside the request's single transaction:

1. the records go into ``sync_record`` through ``insert_new`` (pos/central/bulk.py): the seqs already held
   are looked up (not when every seq is above the showroom's last one), the others COPYed in a savepoint;
   should a concurrent push store one meanwhile, the unique index on (showroom_id, seq) refuses the COPY and
   the rows go through ``INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING seq`` instead. The seqs stored now
   are new; the others the central server already holds, so they are acknowledged and change nothing (a
   replayed or re-sent batch is harmless). The records carry no payload of their own: the body of a push
   that brought anything new is kept once, compressed, in ``sync_batch`` (pos/central/batches.py);
2. only the new records are materialised, kind by kind in dependency order (producers, products, sales,
   voids, returns, shift closes, intakes, stock movements, audit). Sales go the same way as the records
   (keyed by (showroom_id, uuid), the UUIDs held found by the collision check's lookup) and their lines and
   payments by plain COPY (into tables without foreign keys: the ingest keeps those references, see
   ``INGEST_REFERENCES``); the rarer kinds use one multi-row ``INSERT … ON CONFLICT`` each (``insert_once``,
   ``upsert_latest``), the entity's UUID being the second guard against counting anything twice. A producer
   or product a line refers to before its own record has come is created as a stub and filled in when the
   record arrives (its OCOP stars and group are then copied onto the lines that lacked them);
3. the shifts the batch touched are checked against their shift-close totals (``check_shifts``);
4. the summary rows the new records move are recomputed (pos/central/summaries.py);
5. the showroom's last push and the sync log are updated.

Statements that need no answer before the next is written go to PostgreSQL together, in one round trip
(``bulk.pipelined``): on a busy server each round trip waits for the database process to be scheduled again.

Rows are sorted by UUID before each upsert so that concurrent pushes from different showrooms that share
catalogue products lock them in the same order (a deadlock that slips through is retried by the API).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import msgspec
from sqlalchemy import ARRAY, Connection, any_, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlmodel import Session

from pos.central import batches, checks, network_ingest, staff_names, summaries
from pos.central import models as m
from pos.central.batches import Body
from pos.central.bulk import copy_rows, insert_new, pipelined, uuid_array
from pos.db import utcnow
from pos.sync import contract

UNKNOWN_NAME = "(chưa rõ)"

RECORD_COLUMNS = ("showroom_id", "seq", "kind", "entity_uuid", "batch_id", "created_at", "received_at")
SALE_COLUMNS = (
    "uuid",
    "showroom_id",
    "seq",
    "receipt_number",
    "shift_uuid",
    "cashier",
    "created_at",
    "sold_on",
    "status",
    "subtotal_vnd",
    "line_discount_vnd",
    "sale_discount_vnd",
    "total_vnd",
    "vat_vnd",
    "discount_approved_by",
    "void_reason",
    "customer_uuid",
)
LINE_COLUMNS = (
    "sale_id",
    "showroom_id",
    "sold_on",
    "line_no",
    "product_id",
    "producer_id",
    "name",
    "sku",
    "barcode",
    "unit",
    "qty",
    "unit_price_vnd",
    "discount_vnd",
    "total_vnd",
    "vat_rate_bp",
    "vat_vnd",
    "ocop_stars",
    "ocop_group",
    "is_voided",
    "promotion_uuid",
    "promotion_discount_vnd",
    "promotion_borne_by",
)
# What a product record (version 2) tells beside its catalogue fields: how it is sold and its story.
PRODUCT_SHOWN = (
    "sold_by",
    "name_en",
    "description_vi",
    "description_en",
    "origin_commune",
    "origin_district",
    "origin_province",
    "producer_story",
    "trace_url",
)
PAYMENT_COLUMNS = ("sale_id", "showroom_id", "method", "amount_vnd", "tendered_vnd", "change_vnd", "reference")

T_SHOWROOM = m.Showroom.__table__
T_INVOICE = m.Invoice.__table__
T_CUSTOMER = m.Customer.__table__
T_PRODUCER = m.Producer.__table__
T_PRODUCT = m.Product.__table__
T_SHOWROOM_PRODUCT = m.ShowroomProduct.__table__
T_SALE = m.Sale.__table__
T_LINE = m.SaleLine.__table__
T_PAYMENT = m.Payment.__table__
T_VOID = m.SaleVoid.__table__
T_RETURN = m.SaleReturn.__table__
T_RETURN_LINE = m.ReturnLine.__table__
T_SHIFT = m.ShiftClose.__table__
T_INTAKE = m.Intake.__table__
T_INTAKE_LINE = m.IntakeLine.__table__
T_MOVEMENT = m.StockMovement.__table__
T_AUDIT = m.AuditEntry.__table__
T_CATALOG_PRODUCT = m.CatalogProduct.__table__
T_CATALOG_PRODUCER = m.CatalogProducer.__table__
T_ISSUE = m.SyncIssue.__table__

# kind -> (its table, the catalogue table whose UUIDs many showrooms share legitimately)
COLLISION_TABLES: dict[str, tuple[Any, Any]] = {
    "producer": (T_PRODUCER, T_CATALOG_PRODUCER),
    "product": (T_PRODUCT, T_CATALOG_PRODUCT),
    "sale": (T_SALE, None),
    "return": (T_RETURN, None),
    "shift_close": (T_SHIFT, None),
    "intake": (T_INTAKE, None),
    "stock_adjustment": (T_MOVEMENT, None),
    "audit": (T_AUDIT, None),
}


@dataclass(frozen=True)
class IngestResult:
    """What a push achieved: every seq of the batch is acknowledged, ``new`` of them were stored now."""

    acknowledged: list[int]
    new: int
    duplicates: int
    shifts_checked: int


# The line tables have no foreign keys (checking each of millions of lines made the ingest several times slower),
# nor have the sale and record tables on their showroom (a check per row). The ingest keeps those references
# itself: a sale and a record carry the id of the showroom that signed the push (a showroom is never deleted); a
# line or payment is written only for a sale the same statement has just inserted for this showroom
# (``insert_sales``), with the product and producer ids of this showroom's own rows (looked up or created as stubs
# first; a producer or product is never deleted). ``dangling_references`` counts what breaks that rule; the tests
# run it after every kind of push, fault and replay.
INGEST_REFERENCES = {
    "sale.showroom_id": "sale x LEFT JOIN showroom t ON t.id = x.showroom_id",
    "sync_record.showroom_id": "sync_record x LEFT JOIN showroom t ON t.id = x.showroom_id",
    "sale_line.sale_id": "sale_line x LEFT JOIN sale t ON t.id = x.sale_id AND t.showroom_id = x.showroom_id",
    "sale_line.product_id": "sale_line x LEFT JOIN product t ON t.id = x.product_id "
    "AND t.first_showroom_id = x.showroom_id",
    "sale_line.producer_id": "sale_line x LEFT JOIN producer t ON t.id = x.producer_id "
    "AND t.first_showroom_id = x.showroom_id",
    "payment.sale_id": "payment x LEFT JOIN sale t ON t.id = x.sale_id AND t.showroom_id = x.showroom_id",
}


def dangling_references(conn: Connection) -> dict[str, int]:
    """Rows of the line tables whose sale, product or producer is not this showroom's (empty when all hold)."""
    found = {}
    for name, joined in INGEST_REFERENCES.items():
        count = conn.exec_driver_sql(f"SELECT count(*) FROM {joined} WHERE t.id IS NULL").scalar_one()
        if count:
            found[name] = int(count)
    return found


def ingest_batch(
    session: Session,
    showroom: m.Showroom,
    batch: contract.Batch,
    body: Body,
    *,
    tz: ZoneInfo,
    body_bytes: int = 0,
    remote_addr: str = "",
) -> IngestResult:
    """Store the batch's records once each (their payloads in the batch, kept once), materialise the new ones
    and log the push."""
    conn = session.connection()
    now = utcnow()
    showroom_id = showroom.id
    assert showroom_id is not None
    # The push's statements are short; PostgreSQL's JIT would compile some of them (tables growing faster
    # than their statistics look expensive to the planner) at a cost of tens of milliseconds each: off for this
    # transaction, set in the same round trip as the batch's id is drawn.
    batch_id = int(
        conn.exec_driver_sql(
            "SELECT nextval(pg_get_serial_sequence('sync_batch', 'id')), set_config('jit', 'off', true)"
        ).scalar_one()
    )
    seqs = [r.seq for r in batch.records]
    inserted = insert_new(
        conn,
        "sync_record",
        RECORD_COLUMNS,
        [
            (showroom_id, record.seq, record.kind, record.entity_uuid, batch_id, record.created_at, now)
            for record in batch.records
        ],
        conflict=("showroom_id", "seq"),
        returning=("seq",),
        # Seqs above the highest the showroom ever sent are new (unless a push of the same showroom running
        # meanwhile stores them first: then the unique index decides, see insert_new).
        held=set() if min(seqs) > showroom.last_seq else None,
    )
    new_seqs = {seq for (seq,) in inserted}
    fresh = sorted((r for r in batch.records if r.seq in new_seqs), key=lambda r: r.seq)
    materialiser = _Materialiser(conn, showroom_id, tz, now)
    touched_shifts = materialiser.run(fresh)
    stored = summaries.Stored.of(fresh, materialiser.sold_on, materialiser.changed_products)
    summaries.refresh_after_ingest(conn, showroom_id, stored)
    issues = materialiser.issues + resent_differently(
        conn, showroom_id, [r for r in batch.records if r.seq not in new_seqs], body, now
    )
    if issues:
        conn.execute(T_ISSUE.insert(), issues)
    checked = 0
    if touched_shifts:
        checked = check_shifts(conn, showroom_id, touched_shifts, now)

    pushed = {
        "showroom": showroom_id,
        "now": now,
        "first": min(seqs),
        "last": max(seqs),
        "records": len(seqs),
        "new": len(new_seqs),
        "duplicates": len(seqs) - len(new_seqs),
        "body_bytes": body_bytes,
        "remote_addr": remote_addr[:64],
    }
    # The body kept (when the push brought anything new), the showroom's last push and the sync log: one round trip.
    kept = [batches.keep_statement(batch_id, showroom_id, body, seqs, now)] if new_seqs else []
    pipelined(conn, [*kept, (_PUSHED, pushed), (_LOGGED, pushed)])
    return IngestResult(sorted(seqs), len(new_seqs), len(seqs) - len(new_seqs), checked)


_PUSHED = """
    UPDATE showroom SET last_push_at = %(now)s, last_seq = greatest(last_seq, %(last)s),
                        records_received = records_received + %(new)s
     WHERE id = %(showroom)s
    """
_LOGGED = """
    INSERT INTO sync_log (showroom_id, at, first_seq, last_seq, records, new_records, duplicates, body_bytes,
                          remote_addr)
    VALUES (%(showroom)s, %(now)s, %(first)s, %(last)s, %(records)s, %(new)s, %(duplicates)s, %(body_bytes)s,
            %(remote_addr)s)
    """


def _distinct(uuids: Iterable[UUID]) -> Iterable[UUID]:
    """Each UUID once (deduplicated by its number: a UUID's own hash is Python code, slow over every line)."""
    return {uuid.int: uuid for uuid in uuids}.values()


def _latest(records: Iterable[Any]) -> list[Any]:
    """One record per entity UUID, the highest seq winning; sorted by UUID (lock order)."""
    by_uuid: dict[UUID, Any] = {}
    for record in records:
        by_uuid[record.payload.uuid] = record  # records arrive sorted by seq
    return [by_uuid[key] for key in sorted(by_uuid, key=str)]


# Every void of a push in two statements, one round trip: the sales, then their lines (the line table's index on
# sale_id).
_VOID_SALES = """
    UPDATE sale s SET status = 'voided', voided_at = v.at, voided_by = v.by, void_reason = v.reason
      FROM unnest(CAST(%(ids)s AS bigint[]), CAST(%(at)s AS timestamptz[]), CAST(%(by)s AS text[]),
                  CAST(%(reason)s AS text[])) AS v(id, at, by, reason)
     WHERE s.id = v.id
    """
_VOID_LINES = "UPDATE sale_line SET is_voided = true WHERE sale_id = ANY(CAST(%(ids)s AS bigint[]))"
# The lines of the sales returns name, and what earlier returns took back of each: one round trip.
_SOLD_LINES = "SELECT sale_id, line_no, qty, total_vnd FROM sale_line WHERE sale_id = ANY(CAST(%(ids)s AS bigint[]))"
_RETURNED_LINES = """
    SELECT r.sale_id, rl.sale_line_no, sum(rl.qty), sum(rl.amount_vnd)
      FROM sale_return r JOIN return_line rl ON rl.return_id = r.id
     WHERE r.sale_id = ANY(CAST(%(ids)s AS bigint[]))
     GROUP BY r.sale_id, rl.sale_line_no
    """


class _Materialiser:
    """Turns the new records of one batch into rows of the office's tables."""

    def __init__(self, conn: Connection, showroom_id: int, tz: ZoneInfo, now: datetime) -> None:
        self.conn = conn
        self.showroom_id = showroom_id
        self.tz = tz
        self.now = now
        self.producer_ids: dict[UUID, int] = {}
        self.products: dict[UUID, tuple[int, int | None, str | None]] = {}  # uuid -> (id, stars, group)
        self.issues: list[dict[str, Any]] = []
        self.sold_on: set[date] = set()  # the local days of the sales inserted
        self.held_sales: set[UUID] = set()  # the push's sale UUIDs this showroom already holds
        # Held products whose record changed how they are sold, their stars, group or producer (a stub's included)
        self.changed_products: list[UUID] = []

    def local_day(self, at: datetime) -> Any:
        return at.astimezone(self.tz).date()

    def run(self, records: list[Any]) -> set[UUID]:
        """Materialise every kind in dependency order; returns the shift UUIDs touched.

        A record that does not add up, or refers to what this showroom does not hold, is held aside
        (``self.issues``) instead; a UUID another showroom also uses is flagged, never merged.
        """
        self.flag_collisions(records)
        by_kind: dict[str, list[Any]] = defaultdict(list)
        for record in records:
            by_kind[record.kind].append(record)
        by_kind["sale"] = [r for r in by_kind["sale"] if self.sale_adds_up(r)]
        sales = [r.payload for r in by_kind["sale"]]
        returns = [r.payload for r in by_kind["return"]]
        intakes = [r.payload for r in by_kind["intake"]]
        movements = [r.payload for r in by_kind["stock_adjustment"]]

        self.upsert_producers(_latest(by_kind["producer"]))
        self.ensure_producers(
            [p.payload.producer_uuid for p in by_kind["product"]]
            + list(_distinct(line.producer_uuid for sale in sales for line in sale.lines))
            + [intake.producer_uuid for intake in intakes]
            + network_ingest.producer_refs(by_kind)
        )
        real_products = self.upsert_products(_latest(by_kind["product"]))
        self.ensure_products(sales, returns, intakes, movements + network_ingest.product_refs(by_kind))
        if real_products:
            self.backfill_lines(real_products)

        touched: set[UUID] = set()
        touched |= self.insert_sales(by_kind["sale"])
        touched |= self.apply_voids(by_kind["void"])
        touched |= self.insert_returns(by_kind["return"])
        touched |= self.insert_shift_closes(by_kind["shift_close"])
        self.insert_intakes(by_kind["intake"])
        self.insert_movements(by_kind["stock_adjustment"])
        self.upsert_invoices(by_kind["invoice"])
        self.upsert_customers(by_kind["customer"])
        network_ingest.materialise(self, by_kind)
        self.insert_audit(by_kind["audit"])
        staff_names.store_names(self.conn, self.showroom_id, records)
        return touched

    # --- what is held aside or flagged ------------------------------------------------------------------------

    def issue(self, record: Any, problem: str, detail: dict[str, Any] | None = None, other: int | None = None) -> None:
        """Note a problem with ``record`` for the office (held aside when the problem is one of HELD_PROBLEMS)."""
        self.issues.append(
            {
                "showroom_id": self.showroom_id,
                "seq": record.seq,
                "kind": record.kind,
                "entity_uuid": record.entity_uuid,
                "problem": problem,
                "is_held": problem in m.HELD_PROBLEMS,
                "other_showroom_id": other,
                "detail": detail or {},
                "at": self.now,
            }
        )

    def others_holding(
        self, table: Any, column: str, uuids: Iterable[UUID], real_only: bool = False
    ) -> dict[UUID, int]:
        """UUID -> another showroom whose row of ``table`` carries it (stubs left out with ``real_only``)."""
        wanted = list(set(uuids))
        if not wanted:
            return {}
        owner = table.c.first_showroom_id if "first_showroom_id" in table.c else table.c.showroom_id
        query = select(table.c[column], func.min(owner)).where(
            table.c[column] == any_(bindparam("wanted", wanted, type_=ARRAY(table.c[column].type))),
            owner != self.showroom_id,
        )
        if real_only:
            query = query.where(table.c.is_stub.is_(False))
        return dict(self.conn.execute(query.group_by(table.c[column])).all())  # type: ignore[arg-type]

    def flag_collisions(self, records: list[Any]) -> None:
        """A new record whose UUID another showroom already holds is kept apart (each in its own showroom) and
        shown to the office; shared catalogue UUIDs (pulled by many showrooms), and products and producers that came
        to this showroom on a transfer note, are no collision.

        The kinds of the showroom's own (sales, returns, …) are looked up in one round trip, every holder of each
        UUID at once: the sales this showroom already holds are kept (``held_sales``) for ``insert_sales``, which
        then needs no lookup of its own."""
        by_kind: dict[str, list[Any]] = defaultdict(list)
        for record in records:
            if record.kind in COLLISION_TABLES:
                by_kind[record.kind].append(record)
        own_kinds = [kind for kind in by_kind if COLLISION_TABLES[kind][1] is None]
        holders = pipelined(
            self.conn,
            [
                (
                    f"SELECT uuid, showroom_id FROM {COLLISION_TABLES[kind][0].name} "
                    "WHERE uuid = ANY(CAST(%s AS uuid[]))",
                    (uuid_array(r.payload.uuid for r in by_kind[kind]),),
                )
                for kind in own_kinds
            ],
        )
        others: dict[str, dict[UUID, int]] = {}
        for kind, rows in zip(own_kinds, holders, strict=True):
            found: dict[UUID, int] = {}
            for uuid, showroom_id in rows:
                if showroom_id == self.showroom_id:
                    if kind == "sale":
                        self.held_sales.add(uuid)
                elif uuid not in found or showroom_id < found[uuid]:
                    found[uuid] = showroom_id
            others[kind] = found
        for kind, found in by_kind.items():
            table, catalogue = COLLISION_TABLES[kind]
            if catalogue is None:
                held = others[kind]
            else:
                uuids = {r.payload.uuid for r in found}
                uuids -= set(
                    self.conn.execute(select(catalogue.c.uuid).where(catalogue.c.uuid.in_(list(uuids)))).scalars()
                )
                uuids -= network_ingest.received_by_transfer(self, kind, uuids)
                held = self.others_holding(table, "uuid", uuids, real_only=True)
            for record in found:
                if record.payload.uuid in held:
                    self.issue(record, "uuid_collision", {"uuid": str(record.payload.uuid)}, held[record.payload.uuid])

    def missing_reference(self, record: Any, table: Any, column: str, uuid: UUID, what: str) -> None:
        """Hold ``record`` aside: it refers to a ``what`` this showroom does not hold (perhaps another's)."""
        other = self.others_holding(table, column, [uuid]).get(uuid)
        problem = "foreign_reference" if other is not None else "unknown_reference"
        self.issue(record, problem, {what: str(uuid)}, other)

    def sale_adds_up(self, record: Any) -> bool:
        """Whether a sale is consistent (else held aside); a sale dated far from its arrival is flagged."""
        problems = checks.check_sale(record.payload)
        if problems:
            self.issue(record, "inconsistent", {"problems": problems[:20]})
            return False
        late = checks.check_sale_time(record.payload.created_at, self.now)
        if late:
            self.issue(record, "clock", {"problems": late, "why": "far_from_arrival"})
        return True

    # --- producers and products ------------------------------------------------------------------------------

    def upsert_producers(self, records: list[Any]) -> None:
        if not records:
            return
        rows = [
            {
                "uuid": p.uuid,
                "name": p.name,
                "kind": p.kind,
                "tax_code": p.tax_code,
                "province": p.province,
                "district": p.district,
                "phone": p.phone,
                "commission_bp": p.commission_bp,
                "is_active": p.is_active,
                "is_stub": False,
                "first_showroom_id": self.showroom_id,
                "updated_at": self.now,
            }
            for p in (r.payload for r in records)
        ]
        stmt = pg_insert(T_PRODUCER)
        stmt = stmt.on_conflict_do_update(
            index_elements=["first_showroom_id", "uuid"],
            set_={
                key: stmt.excluded[key]
                for key in (
                    "name",
                    "kind",
                    "tax_code",
                    "province",
                    "district",
                    "phone",
                    "commission_bp",
                    "is_active",
                    "is_stub",
                    "updated_at",
                )
            },
        )
        self.conn.execute(stmt, rows)
        uuids = [row["uuid"] for row in rows]
        # A producer pulled from the catalogue keeps the catalogue's UUID: link it.
        self.conn.execute(
            update(T_PRODUCER)
            .where(
                T_PRODUCER.c.first_showroom_id == self.showroom_id,
                T_PRODUCER.c.uuid.in_(uuids),
                T_PRODUCER.c.catalog_producer_id.is_(None),
                T_PRODUCER.c.uuid == T_CATALOG_PRODUCER.c.uuid,
            )
            .values(catalog_producer_id=T_CATALOG_PRODUCER.c.id)
        )
        self._map_producers(uuids)

    def ensure_producers(self, uuids: Iterable[UUID]) -> None:
        missing = sorted({u for u in uuids if u not in self.producer_ids}, key=str)
        if not missing:
            return
        self.conn.execute(
            pg_insert(T_PRODUCER).on_conflict_do_nothing(index_elements=["first_showroom_id", "uuid"]),
            [
                {
                    "uuid": u,
                    "name": UNKNOWN_NAME,
                    "is_stub": True,
                    "first_showroom_id": self.showroom_id,
                    "updated_at": self.now,
                    "kind": "",
                    "province": "",
                    "district": "",
                    "phone": "",
                    "commission_bp": 0,
                    "is_active": True,
                }
                for u in missing
            ],
        )
        self._map_producers(missing)

    def _map_producers(self, uuids: list[UUID]) -> None:
        for pid, uuid in self.conn.execute(
            select(T_PRODUCER.c.id, T_PRODUCER.c.uuid).where(
                T_PRODUCER.c.first_showroom_id == self.showroom_id, T_PRODUCER.c.uuid.in_(uuids)
            )
        ):
            self.producer_ids[uuid] = pid

    def upsert_products(self, records: list[Any]) -> list[int]:
        if not records:
            return []
        payloads = [r.payload for r in records]
        # What each held product's figures were summed with: a record that changes none of it moves no summary row.
        # Locked (in UUID order, as the upsert below locks them) so that a push running meanwhile reads it after.
        summed_with = {
            uuid: tuple(figures)
            for uuid, *figures in self.conn.exec_driver_sql(
                "SELECT uuid, sold_by, ocop_stars, ocop_group, producer_id FROM product "
                "WHERE first_showroom_id = %s AND uuid = ANY(CAST(%s AS uuid[])) ORDER BY uuid FOR UPDATE",
                (self.showroom_id, uuid_array([p.uuid for p in payloads])),
            )
        }
        wanted = {p.uuid for p in payloads} | {p.central_uuid for p in payloads if p.central_uuid}
        catalog_ids = dict(
            (uuid, cid)
            for cid, uuid in self.conn.execute(
                select(T_CATALOG_PRODUCT.c.id, T_CATALOG_PRODUCT.c.uuid).where(T_CATALOG_PRODUCT.c.uuid.in_(wanted))
            )
        )
        rows = [
            {
                "uuid": p.uuid,
                "producer_id": self.producer_ids[p.producer_uuid],
                "sku": p.sku,
                "barcode": p.barcode,
                "name": p.name,
                "unit": p.unit,
                "vat_class": p.vat_class,
                "ocop_group": p.ocop_group,
                "ocop_stars": p.ocop_stars,
                "ocop_cert_number": p.ocop_cert_number,
                "ocop_cert_expiry": p.ocop_cert_expiry,
                "is_active": p.is_active,
                "is_stub": False,
                **{key: getattr(p, key) for key in PRODUCT_SHOWN},
                "catalog_product_id": catalog_ids.get(p.central_uuid) or catalog_ids.get(p.uuid),
                "link_revision": 0,
                "first_showroom_id": self.showroom_id,
                "updated_at": self.now,
            }
            for p in payloads
        ]
        stmt = pg_insert(T_PRODUCT)
        set_ = {
            key: stmt.excluded[key]
            for key in (
                "producer_id",
                "sku",
                "barcode",
                "name",
                "unit",
                "vat_class",
                "ocop_group",
                "ocop_stars",
                "ocop_cert_number",
                "ocop_cert_expiry",
                "is_active",
                "is_stub",
                *PRODUCT_SHOWN,
                "updated_at",
            )
        }
        # A link the office made wins over the showroom's idea of it.
        set_["catalog_product_id"] = func.coalesce(T_PRODUCT.c.catalog_product_id, stmt.excluded.catalog_product_id)
        stmt = stmt.on_conflict_do_update(index_elements=["first_showroom_id", "uuid"], set_=set_).returning(
            T_PRODUCT.c.id, T_PRODUCT.c.uuid, T_PRODUCT.c.ocop_stars, T_PRODUCT.c.ocop_group
        )
        self.changed_products += [
            row["uuid"]
            for row in rows
            if row["uuid"] in summed_with
            and summed_with[row["uuid"]] != (row["sold_by"], row["ocop_stars"], row["ocop_group"], row["producer_id"])
        ]
        ids = []
        for pid, uuid, stars, group in self.conn.execute(stmt, rows):
            self.products[uuid] = (pid, stars, group)
            ids.append(pid)
        sp = pg_insert(T_SHOWROOM_PRODUCT)
        self.conn.execute(
            sp.on_conflict_do_update(
                index_elements=["showroom_id", "product_id"],
                set_={k: sp.excluded[k] for k in ("sku", "name", "price_vnd", "is_active", "updated_at")},
            ),
            [
                {
                    "showroom_id": self.showroom_id,
                    "product_id": self.products[p.uuid][0],
                    "sku": p.sku,
                    "name": p.name,
                    "price_vnd": p.price_vnd,
                    "is_active": p.is_active,
                    "updated_at": self.now,
                }
                for p in payloads
            ],
        )
        return ids

    def ensure_products(self, sales: list[Any], returns: list[Any], intakes: list[Any], movements: list[Any]) -> None:
        first: dict[int, Any] = {}  # the first and the last line of each product sold, by the UUID's number
        last: dict[int, Any] = {}
        for sale in sales:
            for line in sale.lines:
                key = line.product_uuid.int
                last[key] = line
                if key not in first:
                    first[key] = line
        sold: dict[UUID, Any] = {line.product_uuid: line for line in last.values()}
        stubs: dict[UUID, dict[str, Any]] = {}  # what each product not yet known here would be stubbed with
        for line in first.values():
            if line.product_uuid not in self.products:
                stubs[line.product_uuid] = self._stub(
                    line.product_uuid,
                    self.producer_ids[line.producer_uuid],
                    line.name,
                    line.sku,
                    line.barcode,
                    line.unit,
                    line.sold_by,
                )
        for intake in intakes:
            for il in intake.lines:
                if il.product_uuid not in self.products and il.product_uuid not in stubs:
                    stubs[il.product_uuid] = self._stub(il.product_uuid, self.producer_ids[intake.producer_uuid])
        others = [rl.product_uuid for r in returns for rl in r.lines if rl.product_uuid] + [
            mv.product_uuid for mv in movements
        ]
        for uuid in others:
            if uuid not in self.products and uuid not in stubs:
                stubs[uuid] = self._stub(uuid, None)
        if stubs:
            # Most are held already (a product sold every day, every product of a stock snapshot): looked up with
            # one array parameter, and only the others stubbed.
            self._look_up_products(list(stubs))
            missing = [stubs[key] for key in sorted(stubs, key=str) if key not in self.products]
            if missing:
                self.conn.execute(
                    pg_insert(T_PRODUCT).on_conflict_do_nothing(index_elements=["first_showroom_id", "uuid"]), missing
                )
                self._look_up_products([stub["uuid"] for stub in missing])  # a concurrent push may have stubbed one
        if sold:
            # The showroom carries what it sells, even before its product record arrives.
            self.conn.execute(
                pg_insert(T_SHOWROOM_PRODUCT).on_conflict_do_nothing(index_elements=["showroom_id", "product_id"]),
                [
                    {
                        "showroom_id": self.showroom_id,
                        "product_id": self.products[uuid][0],
                        "sku": line.sku,
                        "name": line.name,
                        "price_vnd": line.unit_price_vnd,
                        "is_active": True,
                        "updated_at": self.now,
                    }
                    for uuid, line in sorted(sold.items(), key=lambda item: str(item[0]))
                ],
            )

    def _look_up_products(self, uuids: list[UUID]) -> None:
        """This showroom's products among ``uuids``, into ``self.products``."""
        for pid, uuid, stars, group in self.conn.exec_driver_sql(
            "SELECT id, uuid, ocop_stars, ocop_group FROM product "
            "WHERE first_showroom_id = %s AND uuid = ANY(CAST(%s AS uuid[]))",
            (self.showroom_id, uuid_array(uuids)),
        ):
            self.products[uuid] = (pid, stars, group)

    def _stub(
        self,
        uuid: UUID,
        producer_id: int | None,
        name: str = UNKNOWN_NAME,
        sku: str = "",
        barcode: str | None = None,
        unit: str = "",
        sold_by: str = "piece",
    ) -> dict[str, Any]:
        return {
            "uuid": uuid,
            "producer_id": producer_id,
            "sku": sku,
            "barcode": barcode,
            "name": name,
            "unit": unit,
            "vat_class": "",
            "ocop_group": None,
            "ocop_stars": None,
            "ocop_cert_number": "",
            "ocop_cert_expiry": None,
            "is_active": True,
            "is_stub": True,
            "sold_by": sold_by,  # as its lines say (sale v3), until its own record comes
            **{key: "" for key in PRODUCT_SHOWN if key != "sold_by"},
            "catalog_product_id": None,
            "link_revision": 0,
            "first_showroom_id": self.showroom_id,
            "updated_at": self.now,
        }

    def backfill_lines(self, product_ids: list[int]) -> None:
        """Lines that arrived before their product's record get its OCOP stars and group now."""
        self.conn.execute(
            update(T_LINE)
            .where(
                T_LINE.c.product_id.in_(product_ids),
                T_LINE.c.ocop_group.is_(None),
                T_LINE.c.product_id == T_PRODUCT.c.id,
                T_PRODUCT.c.ocop_group.is_not(None),
            )
            .values(ocop_stars=T_PRODUCT.c.ocop_stars, ocop_group=T_PRODUCT.c.ocop_group)
        )

    # --- sales, voids, returns, shifts ---------------------------------------------------------------------------

    def insert_sales(self, records: list[Any]) -> set[UUID]:
        if not records:
            return set()
        days = [self.local_day(r.payload.created_at) for r in records]  # each sale's local day worked out once
        # Keyed by the UUID's number: a UUID's own hash is Python code.
        by_uuid = {r.payload.uuid.int: (r.payload, day) for r, day in zip(records, days, strict=True)}
        inserted = insert_new(
            self.conn,
            "sale",
            SALE_COLUMNS,
            [
                (
                    sale.uuid,
                    self.showroom_id,
                    record.seq,
                    sale.receipt_number,
                    sale.shift_uuid,
                    sale.cashier,
                    sale.created_at,
                    sold_on,
                    "completed",
                    sale.subtotal_vnd,
                    sale.line_discount_vnd,
                    sale.sale_discount_vnd,
                    sale.total_vnd,
                    sale.vat_vnd,
                    sale.discount_approved_by,
                    "",
                    sale.customer_uuid,
                )
                for record, sold_on in zip(records, days, strict=True)
                for sale in (record.payload,)
            ],
            conflict=("showroom_id", "uuid"),
            returning=("id", "uuid"),
            held={(self.showroom_id, uuid) for uuid in self.held_sales},
        )
        lines: list[tuple[Any, ...]] = []
        payments: list[tuple[Any, ...]] = []
        touched: dict[int, UUID] = {}
        # Looked up by the UUID's number: a UUID's own hash is Python code, run for every line otherwise.
        products = {uuid.int: found for uuid, found in self.products.items()}
        producer_ids = {uuid.int: found for uuid, found in self.producer_ids.items()}
        for sale_id, uuid in inserted:
            sale, sold_on = by_uuid[uuid.int]
            touched[sale.shift_uuid.int] = sale.shift_uuid
            self.sold_on.add(sold_on)
            for line in sale.lines:
                product_id, stars, group = products[line.product_uuid.int]
                promotion = line.promotion  # the central promotion that priced it (sale version 5), else None
                lines.append(
                    (
                        sale_id,
                        self.showroom_id,
                        sold_on,
                        line.line_no,
                        product_id,
                        producer_ids[line.producer_uuid.int],
                        line.name,
                        line.sku,
                        line.barcode,
                        line.unit,
                        line.qty,
                        line.unit_price_vnd,
                        line.discount_vnd,
                        line.total_vnd,
                        line.vat_rate_bp,
                        line.vat_vnd,
                        stars,
                        group,
                        False,
                        promotion and promotion.uuid,
                        promotion and promotion.discount_vnd,
                        promotion and promotion.borne_by,
                    )
                )
            for payment in sale.payments:
                payments.append(
                    (
                        sale_id,
                        self.showroom_id,
                        payment.method,
                        payment.amount_vnd,
                        payment.tendered_vnd,
                        payment.change_vnd,
                        payment.reference,
                    )
                )
        if lines:
            copy_rows(self.conn, "sale_line", LINE_COLUMNS, lines)
        if payments:
            copy_rows(self.conn, "payment", PAYMENT_COLUMNS, payments)
        return set(touched.values())

    def own_sales(self, uuids: Iterable[UUID]) -> dict[UUID, Any]:
        """This showroom's sales among ``uuids``: id, shift, status."""
        wanted = list(set(uuids))
        if not wanted:
            return {}
        return {
            row.uuid: row
            for row in self.conn.execute(
                select(T_SALE.c.id, T_SALE.c.uuid, T_SALE.c.shift_uuid, T_SALE.c.status).where(
                    T_SALE.c.showroom_id == self.showroom_id, T_SALE.c.uuid.in_(wanted)
                )
            )
        }

    def apply_voids(self, records: list[Any]) -> set[UUID]:
        if not records:
            return set()
        own = self.own_sales(r.payload.sale_uuid for r in records)
        accepted = []
        for record in records:
            if record.payload.sale_uuid in own:
                accepted.append(record)
            else:
                self.missing_reference(record, T_SALE, "uuid", record.payload.sale_uuid, "sale_uuid")
        if not accepted:
            return set()
        inserted = {
            row.sale_uuid
            for row in self.conn.execute(
                pg_insert(T_VOID)
                .on_conflict_do_nothing(index_elements=["showroom_id", "sale_uuid"])
                .returning(T_VOID.c.sale_uuid),
                [
                    {
                        "sale_uuid": r.payload.sale_uuid,
                        "showroom_id": self.showroom_id,
                        "seq": r.seq,
                        "receipt_number": r.payload.receipt_number,
                        "voided_at": r.payload.voided_at,
                        "voided_by": r.payload.voided_by,
                        "reason": r.payload.reason,
                    }
                    for r in sorted(accepted, key=lambda r: str(r.payload.sale_uuid))
                ],
            )
        }
        voids = {r.payload.sale_uuid: r.payload for r in accepted if r.payload.sale_uuid in inserted}
        if not voids:
            return set()
        params = {
            "ids": [own[uuid].id for uuid in voids],
            "at": [v.voided_at for v in voids.values()],
            "by": [v.voided_by for v in voids.values()],
            "reason": [v.reason for v in voids.values()],
        }
        pipelined(self.conn, [(_VOID_SALES, params), (_VOID_LINES, params)])
        return {own[uuid].shift_uuid for uuid in voids}

    def insert_returns(self, records: list[Any]) -> set[UUID]:
        if not records:
            return set()
        own = self.own_sales(r.payload.sale_uuid for r in records)
        sale_ids = [sale.id for sale in own.values()]
        sold: dict[int, dict[int, tuple[int, int]]] = defaultdict(dict)
        returned: dict[int, dict[int, tuple[int, int]]] = defaultdict(dict)
        if sale_ids:
            lines_sold, lines_returned = pipelined(
                self.conn, [(_SOLD_LINES, {"ids": sale_ids}), (_RETURNED_LINES, {"ids": sale_ids})]
            )
            for sale_id, line_no, qty, total in lines_sold:
                sold[sale_id][line_no] = (qty, total)
            for sale_id, line_no, qty, amount in lines_returned:
                returned[sale_id][line_no] = (int(qty), int(amount))
        accepted: dict[UUID, Any] = {}
        for record in records:
            p = record.payload
            sale = own.get(p.sale_uuid)
            if sale is None:
                self.missing_reference(record, T_SALE, "uuid", p.sale_uuid, "sale_uuid")
                continue
            problems = checks.check_return(p, sold[sale.id], returned[sale.id])
            if sale.status == "voided":
                problems.append({"field": "sale_uuid", "showroom": str(p.sale_uuid), "central": "đơn đã hủy"})
            if problems:
                self.issue(record, "inconsistent", {"problems": problems[:20]})
                continue
            for line in p.lines:  # a later return of the same batch counts this one as already back
                qty, amount = returned[sale.id].get(line.sale_line_no, (0, 0))
                returned[sale.id][line.sale_line_no] = (qty + line.qty, amount + line.amount_vnd)
            accepted[p.uuid] = record
        inserted = self.insert_once(
            T_RETURN,
            list(accepted.values()),
            lambda p: {
                "return_number": p.return_number,
                "sale_uuid": p.sale_uuid,
                "sale_id": own[p.sale_uuid].id,
                "shift_uuid": p.shift_uuid,
                "cashier": p.cashier,
                "created_at": p.created_at,
                "returned_on": self.local_day(p.created_at),
                "refund_method": p.refund_method,
                "total_vnd": p.total_vnd,
                "reason": p.reason,
            },
            returning=(T_RETURN.c.id, T_RETURN.c.uuid),
        )
        lines = []
        touched: set[UUID] = set()
        for return_id, uuid in inserted:
            payload = accepted[uuid].payload
            touched.add(payload.shift_uuid)
            for line in payload.lines:
                lines.append(
                    {
                        "return_id": return_id,
                        "sale_line_no": line.sale_line_no,
                        "product_id": self.products[line.product_uuid][0] if line.product_uuid else None,
                        "qty": line.qty,
                        "amount_vnd": line.amount_vnd,
                    }
                )
        if lines:
            self.conn.execute(T_RETURN_LINE.insert(), lines)
        return touched

    def insert_shift_closes(self, records: list[Any]) -> set[UUID]:
        inserted = self.insert_once(
            T_SHIFT,
            records,
            lambda p: {
                "cashier": p.cashier,
                "till": p.till,
                "opened_at": p.opened_at,
                "closed_at": p.closed_at,
                "closed_on": self.local_day(p.closed_at),
                "opening_float_vnd": p.opening_float_vnd,
                "sales_count": p.sales_count,
                "sales_total_vnd": p.sales_total_vnd,
                "refunds_total_vnd": p.refunds_total_vnd,
                "voids_count": p.voids_count,
                "discounts_vnd": p.discounts_vnd,
                "payments_by_method": dict(p.payments_by_method),
                "cash_in_vnd": p.cash_in_vnd,
                "cash_out_vnd": p.cash_out_vnd,
                "expected_cash_vnd": p.expected_cash_vnd,
                "counted_cash_vnd": p.counted_cash_vnd,
                "difference_vnd": p.difference_vnd,
                "sale_uuids": [str(u) for u in p.sale_uuids],
                "return_uuids": [str(u) for u in p.return_uuids],
                "check_status": "incomplete",
                "check_detail": {},
                "checked_at": None,
            },
            returning=(T_SHIFT.c.uuid,),
        )
        return {uuid for (uuid,) in inserted}

    # --- stock and audit ------------------------------------------------------------------------------------------

    def insert_intakes(self, records: list[Any]) -> None:
        latest = {r.payload.uuid: r for r in records}  # one record per intake (its UUID), the last one winning
        inserted = self.insert_once(
            T_INTAKE,
            list(latest.values()),
            lambda p: {
                "producer_id": self.producer_ids[p.producer_uuid],
                "received_on": p.received_on,
                "delivery_note_number": p.delivery_note_number,
                "created_by": p.created_by,
                "created_at": p.created_at,
            },
            returning=(T_INTAKE.c.id, T_INTAKE.c.uuid),
        )
        lines = [
            {
                "intake_id": intake_id,
                "line_no": n,
                "product_id": self.products[line.product_uuid][0],
                "qty": line.qty,
                "unit_cost_vnd": line.unit_cost_vnd,
                "lot_code": line.lot_code,
                "expiry_date": line.expiry_date,
            }
            for intake_id, uuid in inserted
            for n, line in enumerate(latest[uuid].payload.lines, start=1)
        ]
        if lines:
            self.conn.execute(T_INTAKE_LINE.insert(), lines)

    def insert_movements(self, records: list[Any]) -> None:
        self.insert_once(
            T_MOVEMENT,
            records,
            lambda p: {
                "product_id": self.products[p.product_uuid][0],
                "kind": p.kind,
                "qty_delta": p.qty_delta,
                "reason": p.reason,
                "note": p.note,
                "created_by": p.created_by,
                "created_at": p.created_at,
            },
        )

    def upsert_invoices(self, records: list[Any]) -> None:
        """Each invoice once, its latest state winning (a later record never loses to an earlier one)."""
        self.upsert_latest(
            T_INVOICE,
            records,
            lambda r: {
                "sale_uuid": r.payload.sale_uuid,
                "return_uuid": r.payload.return_uuid,
                "original_uuid": r.payload.original_uuid,
                "kind": r.payload.kind,
                "form": r.payload.form,
                "symbol": r.payload.symbol,
                "number": r.payload.number,
                "mccqt": r.payload.mccqt,
                "issued_at": r.payload.issued_at,
                "issued_on": r.payload.issued_on,
                "total_vnd": r.payload.total_vnd,
                "vat_vnd": r.payload.vat_vnd,
                "payment_code": r.payload.payment_code,
                "buyer_name": r.payload.buyer_name,
                "buyer_tax_code": r.payload.buyer_tax_code,
                "state": r.payload.state,
                "reason": r.payload.reason,
                "provider_number": r.payload.provider_number,
                "lookup_code": r.payload.lookup_code,
                "updated_at": r.payload.updated_at,
            },
            changing=(
                "buyer_name",
                "buyer_tax_code",
                "state",
                "reason",
                "provider_number",
                "lookup_code",
                "updated_at",
            ),
        )

    def upsert_customers(self, records: list[Any]) -> None:
        """Each customer once, its latest record winning; an erasure blanks the person and stays erased."""

        def row(r: Any) -> dict[str, Any]:
            p = r.payload
            return {
                "name": "" if p.erased else p.name,
                "phone": "" if p.erased else p.phone,
                "company_name": "" if p.erased else p.company_name,
                "tax_code": "" if p.erased else p.tax_code,
                "address": "" if p.erased else p.address,
                "erased_at": r.created_at if p.erased else None,
                "updated_at": r.created_at,
            }

        self.upsert_latest(
            T_CUSTOMER,
            records,
            row,
            changing=("name", "phone", "company_name", "tax_code", "address", "erased_at", "updated_at"),
            # Nothing wins after an erasure.
            also=T_CUSTOMER.c.erased_at.is_(None),
        )

    def insert_audit(self, records: list[Any]) -> None:
        self.insert_once(
            T_AUDIT,
            records,
            lambda p: {
                "at": p.at,
                "username": p.user,
                "action": p.action,
                "entity": p.entity,
                "entity_id": p.entity_id,
                "before": p.before,
                "after": p.after,
            },
        )

    # --- the two ways a record of a kind keyed (showroom, uuid) is stored -------------------------------------

    def insert_once(
        self,
        table: Any,
        records: list[Any],
        row: Callable[[Any], dict[str, Any]],
        returning: tuple[Any, ...] = (),
    ) -> list[tuple[Any, ...]]:
        """Each record's row once per (showroom, UUID): a row already held is left as it is. Returns the
        ``returning`` columns of the rows inserted now.

        ``row(payload)`` gives the kind's own columns; the UUID, the showroom and the seq are added here.
        """
        if not records:
            return []
        stmt = pg_insert(table).on_conflict_do_nothing(index_elements=["showroom_id", "uuid"])
        if returning:
            stmt = stmt.returning(*returning)
        result = self.conn.execute(
            stmt,
            [
                {"uuid": r.payload.uuid, "showroom_id": self.showroom_id, "seq": r.seq, **row(r.payload)}
                for r in records
            ],
        )
        return [tuple(found) for found in result] if returning else []

    def upsert_latest(
        self,
        table: Any,
        records: list[Any],
        row: Callable[[Any], dict[str, Any]],
        changing: Iterable[str],
        also: Any = None,
    ) -> None:
        """Each entity's latest record (the highest seq) as one row per (showroom, UUID): a row already held takes
        the ``changing`` columns, and its seq, only from a record of a higher seq (and where ``also`` holds), so a
        record applied late never moves a row back.

        ``row(record)`` gives the kind's own columns; the UUID, the showroom and the seq are added here.
        """
        latest = _latest(records)
        if not latest:
            return
        stmt = pg_insert(table)
        where = table.c.seq < stmt.excluded.seq
        if also is not None:
            where = where & also
        self.conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["showroom_id", "uuid"],
                set_={key: stmt.excluded[key] for key in ("seq", *changing)},
                where=where,
            ),
            [{"uuid": r.payload.uuid, "showroom_id": self.showroom_id, "seq": r.seq, **row(r)} for r in latest],
        )


# --- The per-shift check ---------------------------------------------------------------------------------------

FIGURES = ("sales_count", "sales_total_vnd", "discounts_vnd", "voids_count", "refunds_total_vnd")

# A sale voided by the time its shift closed: the Z report counts it as a void, not a sale.
_VOIDED_BY_CLOSE = "(s.status = 'voided' AND s.voided_at <= c.closed_at)"
# A shift's sales and returns are read through the shift UUID's index alone, shift by shift (the OFFSET 0 keeps
# each lateral subquery apart), and only then kept to the close's showroom: a join over the whole table would make
# the planner scan every sale of the network at each push while the statistics lag behind the table, and the
# showroom's condition inside the subquery made it AND the shift's index with the (showroom, uuid) one, reading
# every sale the showroom ever sent for each shift checked.
_SHIFT_SALES = (
    "FROM shift_close c JOIN LATERAL (SELECT * FROM sale x WHERE x.shift_uuid = c.uuid OFFSET 0) s "
    "ON s.showroom_id = c.showroom_id"
)
_SHIFT_RETURNS = (
    "FROM shift_close c JOIN LATERAL (SELECT * FROM sale_return x WHERE x.shift_uuid = c.uuid OFFSET 0) r "
    "ON r.showroom_id = c.showroom_id"
)
# The closes to check: the push's showroom's, among the shifts it touched.
_CLOSES = "c.showroom_id = %(showroom)s AND c.uuid = ANY(%(shifts)s)"
CLOSE_COLUMNS = ("id", *FIGURES, "payments_by_method")
CHECK_QUERIES = {
    "closes": f"SELECT {', '.join(f'c.{k}' for k in CLOSE_COLUMNS)} FROM shift_close c WHERE {_CLOSES}",
    "sales": f"""
        SELECT c.id,
               count(*) FILTER (WHERE NOT {_VOIDED_BY_CLOSE}),
               coalesce(sum(s.total_vnd) FILTER (WHERE NOT {_VOIDED_BY_CLOSE}), 0),
               coalesce(sum(s.line_discount_vnd + s.sale_discount_vnd) FILTER (WHERE NOT {_VOIDED_BY_CLOSE}), 0),
               count(*) FILTER (WHERE {_VOIDED_BY_CLOSE})
        {_SHIFT_SALES} WHERE {_CLOSES} GROUP BY c.id""",
    "paid": f"""
        SELECT c.id, p.method, sum(p.amount_vnd)
        {_SHIFT_SALES} JOIN payment p ON p.sale_id = s.id
        WHERE {_CLOSES} AND NOT {_VOIDED_BY_CLOSE} GROUP BY c.id, p.method""",
    "refunds": f"""
        SELECT c.id, r.refund_method, sum(r.total_vnd)
        {_SHIFT_RETURNS} WHERE {_CLOSES} GROUP BY c.id, r.refund_method""",
    # What a close lists against what the central server holds for its shift, both read once: a listed sale or
    # return not held under the shift is missing unless the showroom holds it at all (probed only for those few);
    # one held under the shift that the close does not list is unexpected (set differences, hashed).
    "listed": f"""
        WITH c AS MATERIALIZED (
            SELECT c.id, c.showroom_id, c.uuid, c.sale_uuids, c.return_uuids FROM shift_close c WHERE {_CLOSES}),
        held_sales AS MATERIALIZED (
            SELECT c.id, s.uuid AS u FROM c JOIN LATERAL (SELECT uuid, showroom_id FROM sale x
                                                         WHERE x.shift_uuid = c.uuid OFFSET 0) s
                                          ON s.showroom_id = c.showroom_id),
        listed_sales AS MATERIALIZED (
            SELECT c.id, e.u::uuid AS u FROM c CROSS JOIN LATERAL jsonb_array_elements_text(c.sale_uuids) e(u)),
        held_returns AS MATERIALIZED (
            SELECT c.id, r.uuid AS u FROM c JOIN LATERAL (SELECT uuid, showroom_id FROM sale_return x
                                                         WHERE x.shift_uuid = c.uuid OFFSET 0) r
                                          ON r.showroom_id = c.showroom_id),
        listed_returns AS MATERIALIZED (
            SELECT c.id, e.u::uuid AS u FROM c CROSS JOIN LATERAL jsonb_array_elements_text(c.return_uuids) e(u))
        SELECT 'missing_sales', m.id, m.u::text
          FROM (SELECT id, u FROM listed_sales EXCEPT ALL SELECT id, u FROM held_sales) m JOIN c ON c.id = m.id
         WHERE NOT EXISTS (SELECT 1 FROM sale s WHERE s.showroom_id = c.showroom_id AND s.uuid = m.u)
        UNION ALL
        SELECT 'missing_returns', m.id, m.u::text
          FROM (SELECT id, u FROM listed_returns EXCEPT ALL SELECT id, u FROM held_returns) m JOIN c ON c.id = m.id
         WHERE NOT EXISTS (SELECT 1 FROM sale_return r WHERE r.showroom_id = c.showroom_id AND r.uuid = m.u)
        UNION ALL
        SELECT 'unexpected', id, u::text FROM (SELECT id, u FROM held_sales EXCEPT SELECT id, u FROM listed_sales) a
        UNION ALL
        SELECT 'unexpected', id, u::text
          FROM (SELECT id, u FROM held_returns EXCEPT SELECT id, u FROM listed_returns) b""",
}


@dataclass
class HeldForShift:
    """What the central server holds for one shift, summed the way the Z report sums it."""

    figures: dict[str, int]
    by_method: dict[str, int]
    missing_sales: list[str]
    missing_returns: list[str]
    unexpected: list[str]


def resent_differently(
    conn: Connection, showroom_id: int, resent: list[Any], body: Body, now: datetime
) -> list[dict[str, Any]]:
    """Issues for re-sent records (a seq already held) whose content differs from what was stored: the stored
    one stands, the office sees both (each seq flagged once)."""
    if not resent:
        return []
    seqs = [record.seq for record in resent]
    stored = batches.stored_records(conn, showroom_id, seqs)
    flagged = set(
        conn.execute(
            select(T_ISSUE.c.seq).where(
                T_ISSUE.c.showroom_id == showroom_id, T_ISSUE.c.problem == "resent_differs", T_ISSUE.c.seq.in_(seqs)
            )
        ).scalars()
    )
    issues = []
    for record in resent:
        held = stored.get(record.seq)
        if held is None or record.seq in flagged:
            continue
        sent = body.payload(record.seq)
        if (held.kind, held.entity_uuid) == (record.kind, record.entity_uuid) and (
            held.payload == sent or held.decoded() == msgspec.json.decode(sent)
        ):
            continue
        issues.append(
            {
                "showroom_id": showroom_id,
                "seq": record.seq,
                "kind": record.kind,
                "entity_uuid": record.entity_uuid,
                "problem": "resent_differs",
                "is_held": False,
                "other_showroom_id": None,
                "detail": {
                    "stored_kind": held.kind,
                    "stored_uuid": str(held.entity_uuid),
                    "sent": msgspec.json.decode(sent),
                },
                "at": now,
            }
        )
    return issues


# A sale of a closed shift dated before the shift opened or after it closed: the till's clock jumped.
_OUTSIDE_SHIFT = f"""
    INSERT INTO sync_issue (showroom_id, seq, kind, entity_uuid, problem, is_held, detail, at)
    SELECT s.showroom_id, s.seq, 'sale', s.uuid, 'clock', false,
           jsonb_build_object('why', 'outside_shift', 'created_at', s.created_at,
                              'shift_opened_at', c.opened_at, 'shift_closed_at', c.closed_at), %(now)s
      {_SHIFT_SALES}
     WHERE {_CLOSES}
       AND (s.created_at < c.opened_at OR s.created_at > c.closed_at)
       AND NOT EXISTS (SELECT 1 FROM sync_issue i WHERE i.showroom_id = s.showroom_id AND i.seq = s.seq
                                                    AND i.problem = 'clock')
    """
_SET_CHECKS = """
    UPDATE shift_close c SET check_status = v.status, check_detail = CAST(v.detail AS jsonb), checked_at = %(now)s
      FROM unnest(CAST(%(ids)s AS integer[]), CAST(%(statuses)s AS text[]), CAST(%(details)s AS text[]))
           AS v(id, status, detail)
     WHERE c.id = v.id
    """


def check_shifts(conn: Connection, showroom_id: int, shift_uuids: Iterable[UUID], now: datetime) -> int:
    """Recompute the check of every closed shift among ``shift_uuids``, and flag (once each) their sales dated
    outside the shift's opening and closing; returns how many shifts were checked.

    The sums are made by PostgreSQL (a shift may hold thousands of sales), all the reads in one round trip and the
    results in one statement. The showroom's Z report counts a sale as completed unless it was voided by the close
    (voids are only possible while a shift is open).
    """
    params = {"showroom": showroom_id, "shifts": sorted(set(shift_uuids)), "now": now}
    names = list(CHECK_QUERIES)
    *results, _flagged = pipelined(conn, [*((CHECK_QUERIES[name], params) for name in names), (_OUTSIDE_SHIFT, params)])
    found = dict(zip(names, results, strict=True))
    closes = [dict(zip(CLOSE_COLUMNS, row, strict=True)) for row in found["closes"]]
    if not closes:
        return 0
    held = {c["id"]: HeldForShift(dict.fromkeys(FIGURES, 0), defaultdict(int), [], [], []) for c in closes}
    for shift_id, count, total, discounts, voids in found["sales"]:
        held[shift_id].figures.update(
            sales_count=int(count), sales_total_vnd=int(total), discounts_vnd=int(discounts), voids_count=int(voids)
        )
    for shift_id, method, amount in found["paid"]:
        held[shift_id].by_method[method] += int(amount)
    for shift_id, method, amount in found["refunds"]:
        held[shift_id].figures["refunds_total_vnd"] += int(amount)
        held[shift_id].by_method[method] -= int(amount)
    for name, shift_id, uuid in found["listed"]:
        getattr(held[shift_id], name).append(uuid)
    checks = [shift_check(close, held[close["id"]]) for close in closes]
    pipelined(
        conn,
        [
            (
                _SET_CHECKS,
                {
                    "ids": [close["id"] for close in closes],
                    "statuses": [status for status, _ in checks],
                    "details": [json.dumps(detail, ensure_ascii=False) for _, detail in checks],
                    "now": utcnow(),
                },
            )
        ],
    )
    return len(closes)


def shift_check(close: Any, held: HeldForShift) -> tuple[str, dict[str, Any]]:
    """(status, detail) of one shift: ok, mismatch (a figure differs) or incomplete (something is missing)."""
    differences: dict[str, dict[str, int]] = {}
    for name in FIGURES:
        if int(close[name]) != held.figures[name]:
            differences[name] = {"showroom": int(close[name]), "central": held.figures[name]}
    showroom_methods = {k: int(v) for k, v in (close["payments_by_method"] or {}).items()}
    for method in sorted(set(showroom_methods) | set(held.by_method)):
        theirs, ours = showroom_methods.get(method, 0), held.by_method.get(method, 0)
        if theirs != ours:
            differences[f"payments_by_method.{method}"] = {"showroom": theirs, "central": ours}

    detail: dict[str, Any] = {}
    if held.missing_sales:
        detail["missing_sales"] = sorted(held.missing_sales)[:50]
        detail["missing_sales_count"] = len(held.missing_sales)
    if held.missing_returns:
        detail["missing_returns"] = sorted(held.missing_returns)[:50]
        detail["missing_returns_count"] = len(held.missing_returns)
    if held.unexpected:
        detail["unexpected"] = sorted(held.unexpected)[:50]
    if differences:
        detail["differences"] = differences
    if held.missing_sales or held.missing_returns:
        return "incomplete", detail
    if differences or held.unexpected:
        return "mismatch", detail
    return "ok", detail
