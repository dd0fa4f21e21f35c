"""Signed sync requests, shared by the showroom (signs) and the central server (verifies).

The scheme (HMAC-SHA256, no third-party crypto):

* The central office registers a showroom and is shown a random secret ONCE (256 bits, ``ocop1.…``). The
  showroom keeps it in its instance folder (or ``POS_SYNC_SECRET``); the central server keeps only the
  derived key ``K = HMAC-SHA256(key=secret, msg="ocop-sync-v1|" + showroom_code)``, never the secret.
  Deriving with the code binds the key to one showroom.
* Every request carries four headers: the showroom code, a Unix timestamp, a random nonce and
  ``signature = hex HMAC-SHA256(K, "OCOP-SYNC-1\\n" METHOD "\\n" PATH?QUERY "\\n" CODE "\\n" TIMESTAMP "\\n"
  NONCE "\\n" hex SHA-256(body bytes as sent))``. So the body, the path, the code and the time are all
  bound to the credential: change one byte and the signature fails.
* The central server refuses a timestamp more than five minutes from its clock, a nonce it has already
  seen for that showroom (it remembers nonces for twice that window), a revoked credential, and a body
  whose showroom code is not the credential's.

Why not keep "only a hash" in the password sense: HMAC needs the verifier to hold the signing key, so K is
what the central server stores. A copy of the central database would let someone sign as a showroom until
its credential is rotated, but it never yields the secret typed at the showroom; a public-key scheme
(Ed25519) would avoid even that but needs a crypto library the project does not ship. The secret never
travels, so a captured request gives nothing that can be altered or replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Mapping

SCHEME = "OCOP-SYNC-1"
HEADER_SHOWROOM = "X-Ocop-Showroom"
HEADER_TIMESTAMP = "X-Ocop-Timestamp"
HEADER_NONCE = "X-Ocop-Nonce"
HEADER_SIGNATURE = "X-Ocop-Signature"
SECRET_PREFIX = "ocop1."
MAX_SKEW_S = 300

_NONCE_RE = re.compile(r"^[0-9a-f]{32}$")
_SIGNATURE_RE = re.compile(r"^[0-9a-f]{64}$")
_CODE_RE = re.compile(r"^[A-Za-z0-9_.-]{1,20}$")


def new_secret() -> str:
    """A fresh showroom secret: shown once to the central office, then typed or pasted at the showroom."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def is_valid_code(code: str) -> bool:
    """A showroom code that can travel in a header: letters, digits, ``_ . -``, at most 20."""
    return bool(_CODE_RE.match(code))


def derive_key(secret: str, showroom_code: str) -> bytes:
    """K, the signing key both sides use; the central server stores only this."""
    return hmac.new(secret.strip().encode(), f"ocop-sync-v1|{showroom_code}".encode(), hashlib.sha256).digest()


def key_id(key: bytes) -> str:
    """A short fingerprint of a key to tell credentials apart on screen (too short to help forge anything)."""
    return hashlib.sha256(b"ocop-key-id|" + key).hexdigest()[:12]


def body_digest(body: bytes) -> str:
    """Hex SHA-256 of the body bytes exactly as sent."""
    return hashlib.sha256(body).hexdigest()


def canonical_request(method: str, path: str, showroom_code: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    """The text that is signed: every part of the request that matters, one per line."""
    return "\n".join([SCHEME, method.upper(), path, showroom_code, timestamp, nonce, body_digest(body)]).encode()


def signature(key: bytes, method: str, path: str, showroom_code: str, timestamp: str, nonce: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of the canonical request."""
    message = canonical_request(method, path, showroom_code, timestamp, nonce, body)
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def signed_headers(
    key: bytes,
    showroom_code: str,
    method: str,
    path: str,
    body: bytes,
    *,
    now: float | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """The four authentication headers of one request (``path`` includes its query string, if any)."""
    timestamp = str(int(time.time() if now is None else now))
    nonce = nonce or secrets.token_hex(16)
    return {
        HEADER_SHOWROOM: showroom_code,
        HEADER_TIMESTAMP: timestamp,
        HEADER_NONCE: nonce,
        HEADER_SIGNATURE: signature(key, method, path, showroom_code, timestamp, nonce, body),
    }


def parse_headers(headers: Mapping[str, str]) -> tuple[str, int, str, str] | None:
    """(code, timestamp, nonce, signature) when all four headers are present and well-formed, else None."""
    code = headers.get(HEADER_SHOWROOM, "")
    raw_ts = headers.get(HEADER_TIMESTAMP, "")
    nonce = headers.get(HEADER_NONCE, "")
    sig = headers.get(HEADER_SIGNATURE, "").lower()
    if not (is_valid_code(code) and raw_ts.isascii() and raw_ts.isdigit() and len(raw_ts) <= 12):
        return None
    if not (_NONCE_RE.match(nonce) and _SIGNATURE_RE.match(sig)):
        return None
    return code, int(raw_ts), nonce, sig


def verify(
    key: bytes, sig: str, method: str, path: str, showroom_code: str, timestamp: int, nonce: str, body: bytes
) -> bool:
    """Whether ``sig`` is this request's signature under ``key`` (constant-time comparison)."""
    expected = signature(key, method, path, showroom_code, str(timestamp), nonce, body)
    return hmac.compare_digest(expected, sig)


def is_fresh(timestamp: int, now: float, max_skew_s: int = MAX_SKEW_S) -> bool:
    """Whether a request's timestamp is within ``max_skew_s`` of the server's clock, either way."""
    return abs(now - timestamp) <= max_skew_s
