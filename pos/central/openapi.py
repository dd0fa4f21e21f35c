"""The OpenAPI 3.1 document of the sync API (static/openapi/sync-v1.json).

The request body schemas come from the sync contract the server validates with (pos/sync/contract.py); the
paths, answers and errors are written here. ``python -m pos.central.openapi`` rewrites the file;
tests/http/test_sync_api.py checks that the file is current and that real requests and answers match it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec

from pos.central import errors
from pos.sync import contract, signing

DOCUMENT = Path(__file__).resolve().parent.parent.parent / "static" / "openapi" / "sync-v1.json"
REF = "#/components/schemas/{name}"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}


def _ok(description: str, schema: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


SECURITY = [{"showroomCode": [], "timestamp": [], "nonce": [], "signature": []}]
AUTH_ERRORS = {
    "401": _error(
        "Not authenticated: unknown showroom or bad signature (bad_credentials), revoked key (revoked), "
        "timestamp more than five minutes off (stale_timestamp, with server_time)."
    ),
    "409": _error("The nonce was already used: a replayed request (replay)."),
}

UUID_ = {"type": "string", "format": "uuid"}
DATE_TIME = {"type": "string", "format": "date-time"}

RESPONSE_SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error", "code"],
        "properties": {
            "error": {"type": "string", "description": "What went wrong, in Vietnamese, for a person."},
            "code": {
                "type": "string",
                "enum": [
                    errors.BAD_CREDENTIALS,
                    errors.REVOKED,
                    errors.STALE_TIMESTAMP,
                    errors.REPLAY,
                    errors.SHOWROOM_MISMATCH,
                    errors.INVALID_BODY,
                    errors.TOO_LARGE,
                    errors.UNSUPPORTED,
                ],
            },
            "field": {"type": "string", "description": "The field at fault, e.g. records[3].payload.lines[0].qty"},
            "problems": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["field", "problem"],
                    "properties": {
                        "field": {"type": "string"},
                        "problem": {"type": "string"},
                        "detail": {"type": "string"},
                    },
                },
            },
            "server_time": {"type": "integer", "description": "The central server's Unix time (stale_timestamp)."},
            "max_bytes": {"type": "integer", "description": "The largest body accepted (too_large)."},
        },
        "additionalProperties": False,
    },
    "PushResult": {
        "type": "object",
        "required": ["showroom", "acknowledged", "received", "new", "duplicates", "shifts_checked", "server_time"],
        "properties": {
            "showroom": {"type": "string"},
            "acknowledged": {
                "type": "array",
                "items": {"type": "integer", "minimum": 1},
                "description": "Every seq of the batch: each is now held exactly once; mark exactly these sent.",
            },
            "received": {"type": "integer", "minimum": 1},
            "new": {"type": "integer", "minimum": 0, "description": "Stored by this request."},
            "duplicates": {"type": "integer", "minimum": 0, "description": "Already held: acknowledged, unchanged."},
            "shifts_checked": {"type": "integer", "minimum": 0},
            "server_time": {"type": "integer"},
        },
        "additionalProperties": False,
    },
    "SyncState": {
        "type": "object",
        "required": [
            "showroom",
            "name",
            "last_seq",
            "records_received",
            "last_push_at",
            "max_seq",
            "receipt_max",
            "return_max",
            "invoice_max",
            "settlement_max",
            "transfer_max",
            "server_time",
        ],
        "properties": {
            "showroom": {"type": "string"},
            "name": {"type": "string"},
            "last_seq": {"type": "integer", "minimum": 0},
            "records_received": {"type": "integer", "minimum": 0},
            "last_push_at": {"anyOf": [DATE_TIME, {"type": "null"}]},
            "max_seq": {
                "type": "integer",
                "minimum": 0,
                "description": "The highest sequence number held for the showroom; a restored showroom numbers "
                "its outbox past it.",
            },
            "receipt_max": {
                "type": "object",
                "description": 'Per year ("2026"), the highest receipt number held (SR01-2026-000123 → 123); '
                "a restored showroom's counter goes past it.",
                "additionalProperties": {"type": "integer", "minimum": 0},
            },
            "return_max": {
                "type": "object",
                "description": "Per year, the highest return number held (SR01-2026-R000012 → 12).",
                "additionalProperties": {"type": "integer", "minimum": 0},
            },
            "invoice_max": {
                "type": "object",
                "description": 'Per form and symbol ("1C26MAB"), the highest e-invoice number held; a restored '
                "showroom numbers its invoices past it.",
                "additionalProperties": {"type": "integer", "minimum": 0},
            },
            "settlement_max": {
                "type": "object",
                "description": "Per year, the highest producer settlement number held (DS-SR01-2026-0007 → 7).",
                "additionalProperties": {"type": "integer", "minimum": 0},
            },
            "transfer_max": {
                "type": "object",
                "description": "Per year, the highest transfer note number this showroom sent "
                "(CK-SR01-2026-0042 → 42).",
                "additionalProperties": {"type": "integer", "minimum": 0},
            },
            "server_time": {"type": "integer"},
        },
        "additionalProperties": False,
    },
    "CatalogProducer": {
        "type": "object",
        "required": [
            "uuid",
            "name",
            "kind",
            "tax_code",
            "province",
            "district",
            "address",
            "phone",
            "is_active",
            "revision",
        ],
        "properties": {
            "uuid": UUID_,
            "name": {"type": "string"},
            "kind": {"type": "string"},
            "tax_code": {"type": ["string", "null"]},
            "province": {"type": "string"},
            "district": {"type": "string"},
            "address": {"type": "string"},
            "phone": {"type": "string"},
            "is_active": {"type": "boolean"},
            "revision": {"type": "integer"},
        },
        "additionalProperties": False,
    },
    "CatalogProduct": {
        "type": "object",
        "required": [
            "uuid",
            "producer_uuid",
            "sku",
            "barcode",
            "name",
            "unit",
            "vat_class",
            "ocop_group",
            "ocop_stars",
            "ocop_cert_number",
            "ocop_cert_expiry",
            "suggested_price_vnd",
            "is_food",
            "is_active",
            "revision",
        ],
        "properties": {
            "uuid": UUID_,
            "producer_uuid": UUID_,
            "sku": {"type": "string"},
            "barcode": {"type": ["string", "null"]},
            "name": {"type": "string"},
            "unit": {"type": "string"},
            "vat_class": {"type": "string"},
            "ocop_group": {"type": "string"},
            "ocop_stars": {"type": ["integer", "null"], "minimum": 1, "maximum": 5},
            "ocop_cert_number": {"type": "string"},
            "ocop_cert_expiry": {"anyOf": [{"type": "string", "format": "date"}, {"type": "null"}]},
            "suggested_price_vnd": {"type": "integer", "minimum": 0},
            "is_food": {"type": "boolean"},
            "is_active": {"type": "boolean"},
            "revision": {"type": "integer"},
        },
        "additionalProperties": False,
    },
    "CatalogLink": {
        "type": "object",
        "required": ["product_uuid", "catalog_uuid"],
        "properties": {"product_uuid": UUID_, "catalog_uuid": {"anyOf": [UUID_, {"type": "null"}]}},
        "additionalProperties": False,
    },
    "CatalogChanges": {
        "type": "object",
        "required": ["revision", "since", "producers", "products", "links"],
        "properties": {
            "revision": {
                "type": "integer",
                "minimum": 0,
                "description": "Send it as ?since= next time (after the last page), and as ?until= for the next page.",
            },
            "next": {
                "anyOf": [{"type": "string", "pattern": "^[0123]\\.[0-9]{1,18}\\.[0-9]{1,18}$"}, {"type": "null"}],
                "description": "Where the next page starts (send it as ?after=); null or absent on the last page.",
            },
            "since": {"type": "integer", "minimum": 0},
            "producers": {"type": "array", "items": _ref("CatalogProducer")},
            "products": {"type": "array", "items": _ref("CatalogProduct")},
            "links": {
                "type": "array",
                "items": _ref("CatalogLink"),
                "description": "This showroom's own products the office linked to (or unlinked from) the catalogue.",
            },
            "promotions": {
                "type": "array",
                "items": _ref("CentralPromotionOut"),
                "description": "Promotions the office set for this showroom (or took it off), after the links.",
            },
        },
        "additionalProperties": False,
    },
    "TransferNote": {
        "type": "object",
        "required": ["uuid", "number", "from_showroom", "to_showroom", "status", "created_at", "lines", "revision"],
        "properties": {
            "uuid": {"type": "string", "format": "uuid"},
            "number": {"type": "string"},
            "from_showroom": {"type": "string"},
            "to_showroom": {"type": "string"},
            "status": {"enum": ["in_transit", "received", "differences", "cancelled"]},
            "created_at": DATE_TIME,
            "created_by": {"type": ["string", "null"]},
            "note": {"type": "string"},
            "lines": {
                "type": "array",
                "items": {"type": "object"},
                "description": "The lines as the sender described them (TransferLineIn), and once received "
                "``qty_received``, ``reason`` and ``receipt_note``.",
            },
            "received_at": {"anyOf": [DATE_TIME, {"type": "null"}]},
            "received_by": {"type": ["string", "null"]},
            "receipt_note": {"type": "string"},
            "cancelled_at": {
                "anyOf": [DATE_TIME, {"type": "null"}],
                "description": "When the sender cancelled the note (kind transfer_cancel); with status cancelled "
                "the receiver must not receive it. Set with another status when a receipt came first and stands.",
            },
            "cancelled_by": {"type": ["string", "null"]},
            "cancel_reason": {"type": "string"},
            "revision": {"type": "integer", "minimum": 1},
        },
        "additionalProperties": False,
    },
    "TransferChanges": {
        "type": "object",
        "required": ["revision", "more", "transfers"],
        "properties": {
            "revision": {
                "type": "integer",
                "minimum": 0,
                "description": "The last change included: send it as ?since= next time.",
            },
            "more": {"type": "boolean", "description": "Another page follows: ask again at once."},
            "transfers": {"type": "array", "items": _ref("TransferNote")},
        },
        "additionalProperties": False,
    },
}

DESCRIPTION = f"""The API between OCOP showrooms and the central server.

Every request except this document is signed by a showroom with HMAC-SHA256 under its key
K = HMAC-SHA256(key=secret, msg="ocop-sync-v1|" + showroom code). The signature is the hex HMAC of the lines
"{signing.SCHEME}", METHOD, PATH (with ?query when there is one), showroom code, timestamp, nonce and the hex
SHA-256 of the body bytes as sent, joined by newlines. A timestamp more than {signing.MAX_SKEW_S} s from the
server's clock, a nonce already used, a revoked key or a body naming another showroom is refused.
Request bodies may be gzip-compressed (Content-Encoding: gzip; the signature covers the compressed bytes).
"""


def _with_offsets(node: Any) -> Any:
    """RFC 3339 times carry their offset; say so with a pattern too (format checks are optional in JSON Schema)."""
    if isinstance(node, dict):
        if node.get("format") == "date-time":
            node.setdefault("pattern", TIME_WITH_OFFSET)
        for value in node.values():
            _with_offsets(value)
    elif isinstance(node, list):
        for value in node:
            _with_offsets(value)
    return node


TIME_WITH_OFFSET = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"


def build_document() -> dict[str, Any]:
    """The whole OpenAPI document."""
    (_batch, _promotion), found = msgspec.json.schema_components(
        [contract.Batch, contract.CentralPromotionOut], ref_template=REF
    )
    schemas: dict[str, Any] = _with_offsets(found)
    schemas.update(RESPONSE_SCHEMAS)
    return {
        "openapi": "3.1.0",
        "info": {"title": "OCOP showroom sync API", "version": "1", "description": DESCRIPTION},
        "servers": [{"url": "/"}],
        "paths": {
            "/api/v1/sync/batches": {
                "post": {
                    "operationId": "pushBatch",
                    "summary": "Push a batch of outbox records; every seq held is acknowledged.",
                    "security": SECURITY,
                    "parameters": [
                        {
                            "name": "Content-Encoding",
                            "in": "header",
                            "required": False,
                            "schema": {"type": "string", "enum": ["gzip", "identity"]},
                        }
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref("Batch")}},
                    },
                    "responses": {
                        "200": _ok("Stored (or already held) and acknowledged.", "PushResult"),
                        "400": _error("Not JSON, or broken gzip (invalid_body)."),
                        **AUTH_ERRORS,
                        "403": _error("The body names another showroom than the key's (showroom_mismatch)."),
                        "413": _error("The body is over the configured size (too_large, with max_bytes)."),
                        "415": _error("A Content-Encoding other than gzip (unsupported)."),
                        "422": _error("A field is missing or wrong (invalid_body, with field and problems)."),
                    },
                }
            },
            "/api/v1/sync/state": {
                "get": {
                    "operationId": "syncState",
                    "summary": "What the central server holds for the calling showroom.",
                    "security": SECURITY,
                    "responses": {"200": _ok("The showroom's sync state.", "SyncState"), **AUTH_ERRORS},
                }
            },
            "/api/v1/catalog": {
                "get": {
                    "operationId": "catalogChanges",
                    "summary": "The shared catalogue's changes after a revision, and this showroom's links.",
                    "security": SECURITY,
                    "parameters": [
                        {
                            "name": "since",
                            "in": "query",
                            "required": False,
                            # 18 digits, as the server reads it: a catalogue revision fits a bigint long before that
                            "schema": {"type": "integer", "minimum": 0, "maximum": 10**18 - 1, "default": 0},
                        },
                        {
                            "name": "limit",
                            "in": "query",
                            "required": False,
                            "description": "At most this many rows (producers, then products, then links) per "
                            "page; without it, every change in one answer.",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 5000},
                        },
                        {
                            "name": "until",
                            "in": "query",
                            "required": False,
                            "description": "The first page's ``revision``: every page of a pull is of that snapshot.",
                            "schema": {"type": "integer", "minimum": 0, "maximum": 10**18 - 1},
                        },
                        {
                            "name": "after",
                            "in": "query",
                            "required": False,
                            "description": "The previous page's ``next``.",
                            "schema": {"type": "string", "pattern": "^[0123]\\.[0-9]{1,18}\\.[0-9]{1,18}$"},
                        },
                    ],
                    "responses": {
                        "200": _ok("Changes after ``since``, up to ``revision``.", "CatalogChanges"),
                        **AUTH_ERRORS,
                        "422": _error("``since``, ``until``, ``limit`` or ``after`` is not valid (invalid_body)."),
                    },
                }
            },
            "/api/v1/transfers": {
                "get": {
                    "operationId": "transferChanges",
                    "summary": "Transfer notes addressed to this showroom, and its own notes once received.",
                    "security": SECURITY,
                    "parameters": [
                        {
                            "name": "since",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "integer", "minimum": 0, "maximum": 10**18 - 1, "default": 0},
                        }
                    ],
                    "responses": {
                        "200": _ok("Changes after ``since``, oldest first, up to ``revision``.", "TransferChanges"),
                        **AUTH_ERRORS,
                        "422": _error("``since`` is not valid (invalid_body)."),
                    },
                }
            },
            "/api/v1/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document.",
                    "security": [],
                    "responses": {
                        "200": {
                            "description": "OpenAPI 3.1",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        }
                    },
                }
            },
        },
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "showroomCode": {"type": "apiKey", "in": "header", "name": signing.HEADER_SHOWROOM},
                "timestamp": {"type": "apiKey", "in": "header", "name": signing.HEADER_TIMESTAMP},
                "nonce": {"type": "apiKey", "in": "header", "name": signing.HEADER_NONCE},
                "signature": {"type": "apiKey", "in": "header", "name": signing.HEADER_SIGNATURE},
            },
        },
    }


def render() -> str:
    """The document as the file holds it."""
    return json.dumps(build_document(), ensure_ascii=False, indent=2, sort_keys=False) + "\n"


if __name__ == "__main__":
    DOCUMENT.parent.mkdir(parents=True, exist_ok=True)
    DOCUMENT.write_text(render(), encoding="utf-8")
    print(f"wrote {DOCUMENT}")
