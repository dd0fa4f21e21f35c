"""Tills and printers: the managers' settings page, the till's print queue, reprints, the drawer, browser printing."""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from sqlmodel import Session, select

from pos.auth.access import role_required
from pos.auth.services import verify_manager
from pos.db import get_session, parse_id, unit_of_work
from pos.errors import Conflict, NotFound, PosError
from pos.printing import documents, queue, tills, worker
from pos.printing.models import JOB_KINDS, JOB_STATES, PRINTER_KINDS, PrintJob, Till
from pos.sales.models import Sale
from pos.sales.receipt_data import count_reprint, receipt_for_sale
from pos.sales.receipt_labels import copy_language
from pos.sales.receipts import render_receipt_raster
from pos.security import verify_manager_credentials
from pos.text import nfc

bp = Blueprint("printing", __name__, url_prefix="/printing")


@bp.before_request
@login_required
def _logged_in() -> None:
    """Every page here needs a login."""


def current_till(session: Session) -> Till:
    """The till this browser stands at (its cookie, else the first till)."""
    return tills.till_from_cookie(session, current_app.secret_key, request.cookies.get(tills.COOKIE))  # type: ignore[arg-type]


def queued(job: PrintJob | None) -> None:
    """After the commit of a job: wake the worker so it prints now."""
    if job is not None:
        worker.notify(current_app)


def _job_json(job: PrintJob) -> dict[str, Any]:
    return {
        "id": job.id,
        "kind": JOB_KINDS.get(job.kind, job.kind),
        "ref": job.ref,
        "copy": job.copy_number,
        "state": job.state,
        "state_label": JOB_STATES.get(job.state, job.state),
        "error": job.last_error,
        "attempts": job.attempts,
        "created_at": job.created_at.isoformat(),
        "can_reprint": job.kind == "receipt" and job.state == "printed",
        "can_retry": job.state != "printed",
    }


# --- the managers' page --------------------------------------------------------------------------------


@bp.get("/")
@role_required("manager")
def index() -> Any:
    """Every till with its printer: settings, the last error, a test print, and "use this PC as this till"."""
    session = get_session()
    here = current_till(session)
    rows = [(till, queue.unprinted_count(session, till.id)) for till in queue.list_tills(session)]  # type: ignore[arg-type]
    return render_template(
        "printing/index.html",
        rows=rows,
        here=here,
        has_cookie=bool(request.cookies.get(tills.COOKIE)),
        kinds=PRINTER_KINDS,
        defaults=documents.DEFAULT_DOTS,
        errors={},
        form={},
    )


def _settings_error(exc: PosError, till_id: int | None) -> Any:
    session = get_session()
    rows = [(till, queue.unprinted_count(session, till.id)) for till in queue.list_tills(session)]  # type: ignore[arg-type]
    return (
        render_template(
            "printing/index.html",
            rows=rows,
            here=current_till(session),
            has_cookie=bool(request.cookies.get(tills.COOKIE)),
            kinds=PRINTER_KINDS,
            defaults=documents.DEFAULT_DOTS,
            errors={(till_id or "new", exc.field): exc.message},
            form={till_id or "new": request.form},
        ),
        exc.status,
    )


@bp.post("/tills")
@bp.post("/tills/<int:till_id>")
@role_required("manager")
def save(till_id: int | None = None) -> Any:
    """Add a till, or save one's printer settings."""
    try:
        with unit_of_work() as session:
            till = tills.save_till(session, till_id, request.form, current_user.id)
    except PosError as exc:
        return _settings_error(exc, till_id)
    flash(f"Đã lưu {till.name}.", "success")
    return redirect(url_for("printing.index"))


@bp.post("/tills/<int:till_id>/use")
@role_required("manager")
def use_here(till_id: int) -> Any:
    """Mark this PC's browser as standing at a till (a cookie kept for years)."""
    till = queue.get_till(get_session(), till_id)
    response = redirect(url_for("printing.index"))
    response.set_cookie(
        tills.COOKIE,
        tills.till_cookie(current_app.secret_key, till.id),  # type: ignore[arg-type]
        max_age=tills.COOKIE_MAX_AGE_S,
        httponly=True,
        samesite="Lax",
    )
    flash(f"Máy tính này từ giờ là {till.name}.", "success")
    return response


@bp.post("/tills/<int:till_id>/test")
@role_required("manager")
def test_print(till_id: int) -> Any:
    """A test page (Vietnamese line, QR, barcode) and a drawer kick on the till's printer."""
    with unit_of_work() as session:
        till = queue.get_till(session, till_id)
        job = queue.enqueue(session, till.id, "test", open_drawer=True, created_by_id=current_user.id)
    queued(job)
    if job is None:
        return redirect(url_for("printing.browser_test", till_id=till_id))
    flash(f"Đã gửi trang in thử tới {till.name}; kết quả hiện ở cột Lỗi gần nhất.", "success")
    return redirect(url_for("printing.index"))


@bp.get("/tills/<int:till_id>/test")
@role_required("manager")
def browser_test(till_id: int) -> Any:
    """The test page printed by this browser (a till without an ESC/POS printer)."""
    till = queue.get_till(get_session(), till_id)
    return render_template("printing/print.html", image_url=url_for("printing.test_png", till_id=till.id), till=till)


@bp.get("/tills/<int:till_id>/test.png")
@role_required("manager")
def test_png(till_id: int) -> Any:
    """The test page as the printer's raster."""
    till = queue.get_till(get_session(), till_id)
    data = documents.test_receipt(till, current_app.config)
    return _png(render_receipt_raster(data, till.paper, documents.dots_per_line(till, current_app.config)))


@bp.post("/drawer")
def open_drawer() -> Any:
    """This till's drawer opened without a sale, with a reason (audited): by a manager, or by a cashier with a
    manager's credentials typed into the till's dialog (the same throttled check as a discount approval)."""
    approver_id = None
    if not current_user.has_role("manager"):
        approver = verify_manager_credentials(
            verify_manager, request.form.get("manager_username"), request.form.get("manager_password"), "drawer"
        )
        approver_id = approver.id
    with unit_of_work() as session:
        till_id = current_till(session).id
        job = queue.open_drawer(session, till_id, request.form.get("reason"), current_user.id, approver_id)  # type: ignore[arg-type]
    queued(job)
    if request.accept_mimetypes.best == "application/json":
        return jsonify({"ok": True, "job": job.id})
    flash("Đã gửi lệnh mở ngăn kéo.", "success")
    return redirect(request.referrer or url_for("printing.index"))


# --- at the till ---------------------------------------------------------------------------------------


@bp.get("/queue")
def queue_json() -> Any:
    """This till's printer and its latest jobs, for the till screen (polled while something is unprinted)."""
    session = get_session()
    till = current_till(session)
    jobs = queue.recent_jobs(session, till.id)  # type: ignore[arg-type]
    return jsonify(
        {
            "till": {"id": till.id, "code": till.code, "name": till.name, "escpos": till.is_escpos},
            "last_error": till.last_error,
            "jobs": [_job_json(job) for job in jobs],
            "unprinted": sum(1 for job in jobs if job.state != "printed"),
        }
    )


def _job_at_till(session: Session, job_id: int) -> tuple[PrintJob, Till]:
    till = current_till(session)
    job = session.get(PrintJob, job_id)
    if job is None or job.till_id != till.id:
        raise NotFound("Không tìm thấy lệnh in này ở quầy.")
    return job, till


@bp.post("/x-report")
def x_report() -> Any:
    """The cashier's mid-shift report (X) on the till's printer (blind for a cashier: no book cash figure)."""
    from pos.sales.shifts import current_shift

    with unit_of_work() as session:
        shift = current_shift(session, current_user.id)
        if shift is None:
            raise NotFound("Bạn chưa mở ca làm việc.")
        job = queue.enqueue(session, shift.till_id, "x_report", str(shift.id), created_by_id=current_user.id)
    if job is None:
        raise Conflict("Quầy này in bằng trình duyệt: mở báo cáo X (PDF) ở trang Ca làm việc để in.")
    queued(job)
    return jsonify({"ok": True, "job": job.id})


@bp.post("/jobs/<int:job_id>/retry")
def retry(job_id: int) -> Any:
    """Print now a job that has not printed (the original, not a copy)."""
    with unit_of_work() as session:
        _, till = _job_at_till(session, job_id)
        job = queue.retry(session, job_id, till.id)  # type: ignore[arg-type]
    queued(job)
    return jsonify({"ok": True, "job": _job_json(job)})


@bp.post("/jobs/<int:job_id>/reprint")
def reprint(job_id: int) -> Any:
    """Print a printed receipt again, as a counted, audited copy (BẢN SAO)."""
    with unit_of_work() as session:
        job, till = _job_at_till(session, job_id)
        sale = session.exec(select(Sale).where(Sale.receipt_number == job.ref)).first()
        if job.kind != "receipt" or sale is None:
            raise NotFound("Chỉ in lại được hóa đơn bán hàng.")
        copy = count_reprint(session, sale, current_user.id, job.language or None)
        new = queue.enqueue(  # the copy of a printed job in that job's language
            session,
            till.id,
            "receipt",
            sale.receipt_number,
            copy_number=copy,
            language=job.language,
            created_by_id=current_user.id,
        )
    queued(new)
    return jsonify({"ok": True, "copy": copy})


# --- browser printing (no ESC/POS printer at this till) --------------------------------------------------


def _png(image: Any) -> Any:
    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=False)
    buf.seek(0)
    response = send_file(buf, mimetype="image/png")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/receipts/<number>.png")
def receipt_png(number: str) -> Any:
    """A receipt as the raster the thermal printer would print (?copy=n for a counted reprint, ?language=en)."""
    session = get_session()
    sale = session.exec(select(Sale).where(Sale.receipt_number == nfc(number).upper())).first()
    copy = parse_id(request.args.get("copy")) or 0
    if sale is None or copy > sale.reprint_count:
        raise NotFound(f"Không tìm thấy hóa đơn số {nfc(number)[:40]}.", "receipt")
    till = current_till(session)
    language = copy_language(request.args.get("language"))
    data = receipt_for_sale(session, sale, current_app.config, copy_number=copy, language=language)
    return _png(render_receipt_raster(data, till.paper, documents.dots_per_line(till, current_app.config)))


@bp.get("/receipts/<number>/print")
def receipt_print(number: str) -> Any:
    """The page the till loads in a hidden frame and prints: the receipt image at the roll's width, nothing else."""
    till = current_till(get_session())
    copy = parse_id(request.args.get("copy")) or 0
    language = copy_language(request.args.get("language"))
    image_url = url_for("printing.receipt_png", number=number, copy=copy or None, language=language)
    return render_template("printing/print.html", image_url=image_url, till=till)


@bp.get("/customer")
def customer_screen() -> Any:
    """The customer-facing screen for a second monitor: lines, total, the VietQR to pay, thanks."""
    return render_template("printing/customer.html")
