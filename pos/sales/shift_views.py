"""Shift pages (ca làm việc): open, cash in/out, X report, blind close with sign-off, Z report; returns and void."""

from __future__ import annotations

import json
import uuid
from typing import Any

from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from sqlmodel import select
from werkzeug.wrappers import Response

from pos.auth.access import bind_role
from pos.auth.models import User
from pos.auth.services import verify_manager
from pos.db import get_session, parse_id, unit_of_work
from pos.einvoice.settings import app_settings
from pos.errors import PosError, ValidationError
from pos.money import parse_vnd
from pos.printing import queue as print_queue
from pos.printing import worker as print_worker
from pos.printing.views import current_till
from pos.sales import returns, shifts
from pos.sales.models import PAYMENT_METHODS, CashMovement, Sale, SaleLine, Shift
from pos.sales.receipts import PAPERS as RECEIPT_PAPERS
from pos.sales.receipts import render_receipt
from pos.sales.zreport import PAPERS as REPORT_PAPERS
from pos.sales.zreport import render_z_report, showroom_snapshot
from pos.security import verify_manager_credentials
from pos.text import nfc

bp = Blueprint("shifts", __name__, url_prefix="/shifts")
bind_role(bp, "cashier")

PAGE_SIZE = 50


# --- helpers ------------------------------------------------------------------------------------------------


def _is_manager() -> bool:
    return bool(current_user.has_role("manager"))


def _my_shift() -> Shift | None:
    """The logged-in user's open shift."""
    return shifts.current_shift(get_session(), current_user.id)


def _visible_shift(shift_id: int) -> Shift:
    """A shift the user may see: their own, or any for a manager."""
    shift = shifts.get_shift(get_session(), shift_id)
    if shift.cashier_id != current_user.id and not _is_manager():
        abort(403)
    return shift


def _money(raw: str | None, field: str, label: str) -> int:
    """A typed amount such as '1.500.000' as int đồng, or a Vietnamese refusal."""
    try:
        return parse_vnd(raw or "")
    except ValueError:
        raise ValidationError(f"{label}: số tiền không hợp lệ (ví dụ 1.500.000).", field) from None


def _paper(default: str, allowed: tuple[str, ...] | dict[str, Any]) -> str:
    """The paper asked for in ?paper=, else the configured one."""
    paper = request.args.get("paper") or default
    if paper not in allowed:
        raise ValidationError("Khổ giấy không hợp lệ.", "paper")
    return paper


def _pdf(data: bytes, filename: str) -> Response:
    """A PDF that opens in the browser, ready to print."""
    response = make_response(data)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _report_paper() -> str:
    configured = current_app.config.get("RECEIPT_PAPER", "80mm")
    return _paper(configured if configured in REPORT_PAPERS else "80mm", REPORT_PAPERS)


def _parse_counts(form: Any) -> tuple[dict[int, int], dict[str, str], dict[str, str]]:
    """Counts per note from the form (blank = 0), the raw values to show again, and per-field errors."""
    counts: dict[int, int] = {}
    raw: dict[str, str] = {}
    errors: dict[str, str] = {}
    for note in shifts.NOTES:
        name = f"note_{note}"
        value = nfc(form.get(name, "")).replace(".", "")
        raw[name] = form.get(name, "")
        if value == "":
            counts[note] = 0
        elif value.isascii() and value.isdigit() and len(value) <= 7:
            counts[note] = int(value)
        else:
            errors[name] = "Nhập số tờ là số nguyên từ 0."
    return counts, raw, errors


# --- shifts -------------------------------------------------------------------------------------------------


@bp.get("/")
def index() -> Any:
    """The manager's list of shifts with their figures; a cashier goes to their own shift."""
    if not _is_manager():
        return redirect(url_for("shifts.current"))
    session = get_session()
    pages = max(1, -(-shifts.count_shifts(session) // PAGE_SIZE))
    page = min(parse_id(request.args.get("page", "")) or 1, pages)
    rows = []
    for shift, cashier in shifts.list_shifts(session, PAGE_SIZE, (page - 1) * PAGE_SIZE):
        figures = json.loads(shift.z_report) if shift.z_report else shifts.x_report(session, shift)
        signer = session.get(User, shift.signed_off_by_id) if shift.signed_off_by_id else None
        rows.append({"shift": shift, "cashier": cashier, "figures": figures, "signer": signer})
    threshold = current_app.config.get("TILL_CASH_VARIANCE_THRESHOLD_VND", 0)
    return render_template(
        "shifts/index.html",
        rows=rows,
        page=page,
        pages=pages,
        threshold=threshold,
    )


@bp.route("/open", methods=["GET", "POST"], endpoint="open_shift")
def open_shift_view() -> Any:
    """Open a shift with the opening cash float (tiền đầu ca)."""
    if _my_shift() is not None:
        flash("Bạn đang có ca làm việc mở.", "info")
        return redirect(url_for("shifts.current"))
    error = None
    raw = ""
    if request.method == "POST":
        raw = request.form.get("opening_float", "")
        try:
            amount = _money(raw, "opening_float", "Tiền đầu ca")
            with unit_of_work() as session:
                shifts.open_shift(session, current_user.id, amount, current_till(session).id)
        except PosError as exc:
            error = exc.message
        else:
            flash("Đã mở ca làm việc.", "success")
            return redirect(
                url_for("till.index") if "till.index" in current_app.view_functions else url_for("shifts.current")
            )
    return render_template("shifts/open.html", error=error, raw=raw), (422 if error else 200)


@bp.get("/current")
def current() -> Any:
    """The open shift: cash in and out, the X report so far, the way to close."""
    shift = _my_shift()
    if shift is None:
        flash("Bạn chưa mở ca làm việc.", "info")
        return redirect(url_for("shifts.open_shift"))
    session = get_session()
    movements = session.exec(
        select(CashMovement).where(CashMovement.shift_id == shift.id).order_by(CashMovement.id)  # type: ignore[arg-type]
    ).all()
    return render_template(
        "shifts/current.html",
        shift=shift,
        report=shifts.report_for(session, shift, _is_manager()),
        movements=movements,
        last_sale=returns.last_sale(session, shift),
    )


@bp.post("/current/cash")
def cash_movement() -> Any:
    """Put cash into or take cash out of the drawer, with a reason."""
    shift = _my_shift()
    if shift is None:
        raise ValidationError("Bạn chưa mở ca làm việc.")
    kind = request.form.get("kind")
    if kind not in ("in", "out"):
        raise ValidationError("Thao tác không hợp lệ.", "kind")
    label = "Nộp tiền vào két" if kind == "in" else "Rút tiền khỏi két"
    amount = _money(request.form.get("amount"), "amount", label)
    with unit_of_work() as session:
        locked = session.get(Shift, shift.id)
        action = shifts.cash_in if kind == "in" else shifts.cash_out
        action(session, locked, amount, request.form.get("reason", ""), current_user.id)  # type: ignore[arg-type]
        job = print_queue.enqueue(session, locked.till_id, "drawer", open_drawer=True, created_by_id=current_user.id)  # type: ignore[union-attr]
    if job is not None:
        print_worker.notify(current_app)
    flash(f"Đã ghi {label.lower()}.", "success")
    return redirect(url_for("shifts.current"))


@bp.get("/<int:shift_id>")
def detail(shift_id: int) -> Any:
    """One shift: the frozen Z figures once closed, the X figures while open."""
    shift = _visible_shift(shift_id)
    session = get_session()
    return render_template(
        "shifts/detail.html",
        shift=shift,
        report=shifts.report_for(session, shift, _is_manager()),
        methods=PAYMENT_METHODS,
        notes=shifts.NOTES,
    )


@bp.get("/<int:shift_id>/x.pdf")
def x_pdf(shift_id: int) -> Any:
    """The mid-shift report (X) as a PDF; cash figures are for managers until the drawer is counted."""
    shift = _visible_shift(shift_id)
    if shift.status == "closed":
        return redirect(url_for("shifts.z_pdf", shift_id=shift.id))
    report = shifts.report_for(get_session(), shift, _is_manager())
    return _pdf(render_z_report(report, current_app.config, _report_paper()), f"bao-cao-X-ca-{shift.id}.pdf")


@bp.get("/<int:shift_id>/z.pdf")
def z_pdf(shift_id: int) -> Any:
    """The closing report (Z), drawn from the figures frozen at close."""
    shift = _visible_shift(shift_id)
    return _pdf(
        render_z_report(shifts.z_report(shift), current_app.config, _report_paper()), f"bao-cao-Z-ca-{shift.id}.pdf"
    )


@bp.route("/close", methods=["GET", "POST"], endpoint="close")
@bp.route("/<int:shift_id>/close", methods=["GET", "POST"], endpoint="close_other")
def close(shift_id: int | None = None) -> Any:
    """Count the drawer note by note without seeing the book figure; a manager signs off a large difference."""
    if shift_id is None:
        shift = _my_shift()
        if shift is None:
            flash("Bạn chưa mở ca làm việc.", "info")
            return redirect(url_for("shifts.open_shift"))
    else:
        shift = _visible_shift(shift_id)
        if shift.status == "closed":
            return redirect(url_for("shifts.detail", shift_id=shift.id))
    context: dict[str, Any] = {"shift": shift, "notes": shifts.NOTES, "raw": {}, "errors": {}, "error": None}
    if request.method == "GET":
        return render_template("shifts/close.html", **context)

    counts, raw, errors = _parse_counts(request.form)
    context.update(raw=raw, errors=errors)
    if not errors:
        try:
            counts = shifts.parse_counts(counts)
        except ValidationError as exc:
            errors[exc.field or "counts"] = exc.message
    if errors:
        context["error"] = "Số tờ đếm được không hợp lệ; vui lòng kiểm tra các ô được đánh dấu."
        return render_template("shifts/close.html", **context), 422
    threshold = int(current_app.config.get("TILL_CASH_VARIANCE_THRESHOLD_VND", 0))
    signing = "manager_username" in request.form
    try:
        signer_id = None
        if signing:  # before the write transaction: a failed attempt is counted and audited in its own
            signer_id = verify_manager_credentials(
                verify_manager,
                request.form.get("manager_username"),
                request.form.get("manager_password"),
                "shift.signoff",
            ).id
        with unit_of_work() as session:
            locked = session.get(Shift, shift.id)
            shifts.close_shift(
                session,
                locked,  # type: ignore[arg-type]
                counts,
                current_user.id,
                signer_id,
                threshold,
                showroom_snapshot(current_app.config),
            )
            job = print_queue.enqueue(session, locked.till_id, "z_report", str(shift.id), created_by_id=current_user.id)  # type: ignore[union-attr]
    except shifts.SignOffRequired as exc:
        with unit_of_work() as session:
            shifts.record_count_attempt(session, session.get(Shift, shift.id), counts, current_user.id)  # type: ignore[arg-type]
        return _signoff_page(shift, counts, exc.details["difference_vnd"], threshold, None)
    except PosError as exc:
        if signing:
            difference = shifts.counted_total(counts) - shifts.expected_cash(get_session(), shift)
            return _signoff_page(shift, counts, difference, threshold, exc.message, exc.status)
        context["error"] = exc.message
        return render_template("shifts/close.html", **context), exc.status
    if job is not None:
        print_worker.notify(current_app)
    flash("Đã đóng ca làm việc.", "success")
    return redirect(url_for("shifts.detail", shift_id=shift.id))


def _signoff_page(
    shift: Shift, counts: dict[int, int], difference: int, threshold: int, error: str | None, status: int = 200
) -> Any:
    """The difference, now shown, and the manager's credentials to accept it."""
    return render_template(
        "shifts/signoff.html",
        shift=shift,
        counts=counts,
        notes=shifts.NOTES,
        counted=shifts.counted_total(counts),
        difference=difference,
        threshold=threshold,
        error=error,
        action=url_for("shifts.close")
        if shift.cashier_id == current_user.id
        else url_for("shifts.close_other", shift_id=shift.id),
    ), status


# --- returns ------------------------------------------------------------------------------------------------


def _return_lines_from(form: Any, sale: Sale) -> tuple[dict[int, int], dict[str, str]]:
    """{sale_line_id: qty} for the lines with a quantity typed; blank or 0 means not returned."""
    wanted: dict[int, int] = {}
    raw: dict[str, str] = {}
    for key, value in form.items():
        if not key.startswith("qty_"):
            continue
        raw[key] = value
        text = nfc(value)
        if text in ("", "0"):
            continue
        if not (text.isascii() and text.lstrip("-").isdigit()) or len(text) > 9:
            raise ValidationError("Số lượng trả phải là số nguyên.", key)
        wanted[parse_id(key[4:]) or -1] = int(text)
    return wanted, raw


@bp.get("/returns/new")
def new_return() -> Any:
    """Type or scan a receipt number, then choose what comes back."""
    shift = _my_shift()
    number = request.args.get("receipt", "")
    context: dict[str, Any] = {"shift": shift, "number": number, "sale": None, "rows": [], "error": None}
    if number:
        session = get_session()
        try:
            sale = returns.find_sale(session, number)
        except PosError as exc:
            context["error"] = exc.message
            return render_template("shifts/return_new.html", **context), exc.status
        context.update(
            sale=sale,
            number=sale.receipt_number,
            rows=returns.returnable_lines(session, sale),
            methods=PAYMENT_METHODS,
            default_method=returns.default_refund_method(session, sale),
            raw={},
            reason="",
        )
    return render_template("shifts/return_new.html", **context)


@bp.post("/returns/new")
def review_return() -> Any:
    """Check the chosen lines and show the refund to confirm (nothing written yet)."""
    session = get_session()
    sale = returns.find_sale(session, request.form.get("receipt_number"))
    raw: dict[str, str] = {}
    method = request.form.get("refund_method") or None
    reason = request.form.get("reason", "")
    try:
        wanted, raw = _return_lines_from(request.form, sale)
        plan = returns.plan_return(session, sale.receipt_number, wanted, method, reason)
    except PosError as exc:
        return render_template(
            "shifts/return_new.html",
            shift=_my_shift(),
            number=sale.receipt_number,
            sale=sale,
            rows=returns.returnable_lines(session, sale),
            methods=PAYMENT_METHODS,
            default_method=method or returns.default_refund_method(session, sale),
            raw=raw,
            reason=reason,
            error=exc.message,
            error_field=exc.field,
        ), exc.status
    return render_template(
        "shifts/return_confirm.html",
        plan=plan,
        methods=PAYMENT_METHODS,
        idempotency_key=uuid.uuid4().hex,
        shift=_my_shift(),
    )


@bp.post("/returns")
def create_return() -> Any:
    """Record the confirmed return: stock back, refund recorded, refund receipt."""
    shift = _my_shift()
    wanted: dict[int, int] = {}
    for key, value in request.form.items():
        line_id = parse_id(key[4:]) if key.startswith("qty_") else None
        if line_id is not None and value.isascii() and value.isdigit() and len(value) <= 9:
            wanted[line_id] = int(value)
    with unit_of_work() as session:
        made = returns.create_return(
            session,
            request.form.get("receipt_number", ""),
            wanted,
            request.form.get("refund_method") or None,
            request.form.get("reason", ""),
            current_user.id,
            session.get(Shift, shift.id) if shift else None,
            request.form.get("idempotency_key", ""),
            current_app.config.get("SHOWROOM_CODE", "SR01"),
            einvoice=app_settings(current_app),
        )
        # The refund receipt on the till's printer; a cash refund opens its drawer.
        job = print_queue.enqueue(
            session,
            shift.till_id if shift else None,
            "refund",
            made.return_number,
            open_drawer=made.refund_method == "cash",
            created_by_id=current_user.id,
        )
    if job is not None:
        print_worker.notify(current_app)
    flash(f"Đã trả hàng, hoàn tiền theo phiếu {made.return_number}.", "success")
    return redirect(url_for("shifts.return_done", number=made.return_number))


@bp.get("/returns/<number>")
def return_done(number: str) -> Any:
    """A recorded return with its refund receipt."""
    session = get_session()
    made = returns.get_return(session, number)
    data = returns.refund_receipt_data(session, made, current_app.config)
    return render_template("shifts/return_done.html", made=made, data=data, methods=PAYMENT_METHODS)


@bp.get("/returns/<number>.pdf")
def return_pdf(number: str) -> Any:
    """The refund receipt (phiếu hoàn tiền) PDF."""
    session = get_session()
    made = returns.get_return(session, number)
    configured = current_app.config.get("RECEIPT_PAPER", "80mm")
    paper = _paper(configured if configured in RECEIPT_PAPERS else "80mm", RECEIPT_PAPERS)
    data = returns.refund_receipt_data(session, made, current_app.config)
    return _pdf(render_receipt(data, paper), f"phieu-hoan-tien-{made.return_number}.pdf")


# --- void ---------------------------------------------------------------------------------------------------


@bp.route("/void-last", methods=["GET", "POST"])
def void_last() -> Any:
    """A manager cancels the last sale of the open shift with their own credentials and a reason."""
    shift = _my_shift()
    session = get_session()
    sale = returns.last_sale(session, shift) if shift else None
    lines = (
        session.exec(select(SaleLine).where(SaleLine.sale_id == sale.id).order_by(SaleLine.line_no)).all()
        if sale
        else []
    )
    context: dict[str, Any] = {"shift": shift, "sale": sale, "lines": lines, "error": None, "reason": ""}
    if request.method == "GET":
        return render_template("shifts/void.html", **context)
    if shift is None:
        raise ValidationError("Bạn chưa mở ca làm việc.")
    context["reason"] = request.form.get("reason", "")
    expected_number = request.form.get("receipt_number", "")
    try:
        # Checked first and throttled; void_last_sale checks the same credentials again inside its transaction.
        verify_manager_credentials(
            verify_manager,
            request.form.get("manager_username"),
            request.form.get("manager_password"),
            "void",
        )
        with unit_of_work() as write:
            locked = write.get(Shift, shift.id)
            # The page named one sale; if another was rung up meanwhile, it is not the one the manager saw.
            latest = returns.last_sale(write, locked)  # type: ignore[arg-type]
            if latest is None or latest.receipt_number != expected_number:
                raise ValidationError("Đơn cuối của ca vừa thay đổi; vui lòng kiểm tra lại.", "receipt_number")
            voided = returns.void_last_sale(
                write,
                locked,  # type: ignore[arg-type]
                request.form.get("manager_username"),
                request.form.get("manager_password"),
                context["reason"],
                current_user.id,
                einvoice=app_settings(current_app),
            )
    except PosError as exc:
        context["error"] = exc.message
        return render_template("shifts/void.html", **context), exc.status
    flash(f"Đã hủy đơn {voided.receipt_number}; hàng đã được nhập lại kho.", "success")
    return redirect(url_for("shifts.current"))
