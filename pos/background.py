"""Background threads of the showroom server (sync, backups, e-invoices, printing), started with the first request.

Started lazily rather than in create_app so that CLI commands and tests that build an app start no thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


def start_with_first_request(app: Any, key: str, make: Callable[[], threading.Thread]) -> None:
    """Start ``make()`` once, at the app's first request, and keep it in ``app.extensions[key]``."""
    started = threading.Lock()

    def _start() -> None:
        if key in app.extensions:
            return
        with started:
            if key not in app.extensions:
                thread = make()
                app.extensions[key] = thread
                thread.start()

    app.before_request(_start)
