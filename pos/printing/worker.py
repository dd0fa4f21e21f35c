"""The print worker: one background thread that prints the queue, till by till, so no request waits on a printer.

A till whose printer fails keeps its remaining jobs in order (the next receipt never prints before the one it
follows) while the other tills' printers go on. Connections time out in seconds, so one printer that is off
delays the others by at most that, and never a sale.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine

from pos.background import start_with_first_request
from pos.db import ENGINE_KEY, session_scope, utcnow
from pos.printing import documents, queue
from pos.printing.models import PrintJob, Till
from pos.printing.transports import PrinterError, PrinterTarget, send

log = logging.getLogger(__name__)
EXTENSION_KEY = "pos.print_worker"
IDLE_WAIT_S = 2.0


def print_job(engine: Engine, config: Mapping[str, Any], job_id: int) -> str | None:
    """Render and send one job; returns the error shown at the till, or None once it has printed."""
    now = utcnow()
    with session_scope(engine, write=False) as session:
        job = session.get(PrintJob, job_id)
        till = session.get(Till, job.till_id) if job else None
        if job is None or till is None or job.state == "printed":
            return None
        target = PrinterTarget(till.printer_kind, till.printer_address)
        try:
            data = documents.job_bytes(
                session, job, till, config, job.open_drawer and now - job.created_at < queue.DRAWER_WINDOW
            )
        except Exception as exc:  # a document that cannot be drawn must not stop the queue behind it
            log.exception("print job %s could not be drawn", job_id)
            error: str | None = f"Không tạo được nội dung in: {exc}"
            data = b""
    if data:
        try:
            send(target, data)
            error = None
        except PrinterError as exc:
            error = exc.message
    with session_scope(engine) as session:
        if error is None:
            queue.mark_printed(session, job, utcnow())
        else:
            queue.mark_failed(session, job, error, utcnow())
    return error


def run_once(engine: Engine, config: Mapping[str, Any]) -> int:
    """Try every due job once, in order per till, a till stopping at its first failure; returns jobs printed."""
    with session_scope(engine, write=False) as session:
        due = [(job.id, job.till_id) for job in queue.due_jobs(session, utcnow())]
    printed = 0
    stopped: set[int] = set()
    for job_id, till_id in due:
        if till_id in stopped:
            continue
        if print_job(engine, config, job_id) is None:  # type: ignore[arg-type]
            printed += 1
        else:
            stopped.add(till_id)
    return printed


class PrintWorker(threading.Thread):
    """Prints the queue in the background; woken at once when a job is queued."""

    def __init__(self, engine: Engine, config: Mapping[str, Any]) -> None:
        super().__init__(name="pos-print", daemon=True)
        self.engine = engine
        self.config = config
        self.wake = threading.Event()
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                run_once(self.engine, self.config)
            except Exception:  # the thread must outlive a database hiccup
                log.exception("print worker")
            self.wake.wait(IDLE_WAIT_S)
            self.wake.clear()


def is_enabled(config: Mapping[str, Any]) -> bool:
    """The worker runs in the showroom server; tests start it themselves (or set PRINTING_WORKER)."""
    value = config.get("PRINTING_WORKER")
    if value is not None:
        return str(value).strip().lower() in {"1", "true", "yes", "on"}
    return not config.get("TESTING") and config.get("ROLE", "showroom") == "showroom"


def init_app(app: Any) -> None:
    """Start the worker with the app's first request (as the sync thread is)."""
    if not is_enabled(app.config):
        return
    start_with_first_request(app, EXTENSION_KEY, lambda: PrintWorker(app.extensions[ENGINE_KEY], app.config))


def notify(app: Any) -> None:
    """A job was committed: print it now rather than at the next look."""
    worker = app.extensions.get(EXTENSION_KEY)
    if worker is not None:
        worker.wake.set()
