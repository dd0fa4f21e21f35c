"""When the showroom syncs by itself: nightly, at start-up when overdue, and again after a failure."""

from __future__ import annotations

from typing import Any


def init_app(app: Any) -> None:
    """Arrange the sync thread for a showroom that is not under test (filled in below)."""
    return None
