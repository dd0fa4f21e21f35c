"""The sync API's refusals: a Vietnamese message, the field at fault and a stable machine code."""

from __future__ import annotations

from typing import Any

from pos.errors import PosError

# Machine codes the showroom's client acts on (see static/openapi/sync-v1.json, Error.code).
BAD_CREDENTIALS = "bad_credentials"
REVOKED = "revoked"
STALE_TIMESTAMP = "stale_timestamp"
REPLAY = "replay"
SHOWROOM_MISMATCH = "showroom_mismatch"
INVALID_BODY = "invalid_body"
TOO_LARGE = "too_large"
UNSUPPORTED = "unsupported"


class SyncApiError(PosError):
    """A refused API request; ``code`` tells a program what happened, ``message`` tells a person."""

    def __init__(self, message: str, status: int, code: str, field: str | None = None, **details: Any) -> None:
        super().__init__(message, field, **details)
        self.status = status
        self.code = code

    def body(self) -> dict[str, Any]:
        """The JSON error body: error, code, field (when one is at fault) and any details."""
        out: dict[str, Any] = {"error": self.message, "code": self.code}
        if self.field:
            out["field"] = self.field
        out.update(self.details)
        return out
