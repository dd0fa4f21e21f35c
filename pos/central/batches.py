"""Each accepted push body, kept once: the records' payloads as the showroom sent them.

A push used to store every record a second time as JSONB (a fifth of the ingest's time). Now the body is
kept once in ``sync_batch``, as the gzip bytes the showroom signed and sent (or gzipped here when it came
uncompressed), and each ``sync_record`` row names its batch. The few readers of a stored payload (a re-sent
seq whose content differs, the office's look at a record) decompress that batch and pick the record out;
rows stored before batches were kept still carry their JSONB payload, and are read from there.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import Connection, select

from pos.central import models as m

T_BATCH = m.SyncBatch.__table__
T_RECORD = m.SyncRecord.__table__


class _RawRecord(msgspec.Struct):
    seq: int
    payload: msgspec.Raw


class _RawBatch(msgspec.Struct):
    records: list[_RawRecord]


_raw_decoder = msgspec.json.Decoder(_RawBatch)


def raw_payloads(data: bytes) -> dict[int, bytes]:
    """Seq -> the payload's JSON bytes exactly as they stand in a (valid) batch body; nothing is built."""
    return {r.seq: bytes(r.payload) for r in _raw_decoder.decode(data).records}


def inflate(body: bytes) -> bytes:
    """The JSON bytes of a kept (gzip) body: its first gzip member, as the API reads a pushed body."""
    return zlib.decompressobj(wbits=31).decompress(body)


@dataclass
class Body:
    """A push body: its JSON bytes and, when it came gzip-compressed, the bytes as sent."""

    data: bytes
    sent_gzip: bytes | None = None
    _payloads: dict[int, bytes] | None = field(default=None, repr=False)

    def kept(self) -> bytes:
        """The bytes to keep: what was sent when it was gzip (nothing to redo), else gzip made here (fast)."""
        if self.sent_gzip is not None:
            return self.sent_gzip
        return gzip.compress(self.data, compresslevel=1, mtime=0)

    def payload(self, seq: int) -> bytes:
        """The JSON bytes of one record's payload (decoded on first use: only re-sent records need it)."""
        if self._payloads is None:
            self._payloads = raw_payloads(self.data)
        return self._payloads[seq]


def keep_statement(
    batch_id: int, showroom_id: int, body: Body, seqs: list[int], now: datetime
) -> tuple[str, dict[str, Any]]:
    """The statement (psycopg style, with its parameters) that keeps the body of a push that brought something
    new, under the id its records name (drawn first, so the records can name it in their COPY)."""
    return (
        "INSERT INTO sync_batch (id, showroom_id, received_at, first_seq, last_seq, records, body) "
        "VALUES (%(id)s, %(showroom)s, %(at)s, %(first)s, %(last)s, %(records)s, %(body)s)",
        {
            "id": batch_id,
            "showroom": showroom_id,
            "at": now,
            "first": min(seqs),
            "last": max(seqs),
            "records": len(seqs),
            "body": body.kept(),
        },
    )


@dataclass(frozen=True)
class StoredRecord:
    """A record as the central server holds it: kind, entity and the payload's JSON bytes as first sent."""

    seq: int
    kind: str
    entity_uuid: Any
    payload: bytes

    def decoded(self) -> Any:
        return msgspec.json.decode(self.payload)


def stored_records(conn: Connection, showroom_id: int, seqs: Iterable[int]) -> dict[int, StoredRecord]:
    """The showroom's stored records among ``seqs``, with their payloads (from their batches, or JSONB)."""
    wanted = sorted(set(seqs))
    if not wanted:
        return {}
    rows = conn.execute(
        select(T_RECORD.c.seq, T_RECORD.c.kind, T_RECORD.c.entity_uuid, T_RECORD.c.payload, T_RECORD.c.batch_id).where(
            T_RECORD.c.showroom_id == showroom_id, T_RECORD.c.seq.in_(wanted)
        )
    ).all()
    batch_ids = sorted({row.batch_id for row in rows if row.batch_id is not None})
    in_batches: dict[int, dict[int, bytes]] = {}
    if batch_ids:
        for batch_id, body in conn.execute(select(T_BATCH.c.id, T_BATCH.c.body).where(T_BATCH.c.id.in_(batch_ids))):
            in_batches[batch_id] = raw_payloads(inflate(body))
    found = {}
    for row in rows:
        kept = in_batches[row.batch_id][row.seq] if row.batch_id is not None else msgspec.json.encode(row.payload)
        found[row.seq] = StoredRecord(row.seq, row.kind, row.entity_uuid, kept)
    return found
