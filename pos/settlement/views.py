"""Producer settlement pages: preview a period, close it, print the statement, record payment; goods returned."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlmodel import select

from pos.auth.access import bind_role
from pos.auth.models import User
from pos.catalog.models import Producer, Product
from pos.db import get_session, parse_id, unit_of_work
from pos.errors import PosError, ValidationError
from pos.inventory.models import StockLevel
from pos.reports.period import Period, format_dmy, local_today, parse_dmy, shop_timezone
from pos.settlement import services
from pos.settlement.models import SETTLEMENT_STATUSES, Settlement
from pos.settlement.pdf import StatementMeta, render_statement
from pos.text import nfc

bp = Blueprint("settlement", __name__, url_prefix="/settlements")
bind_role(bp, "manager")
PER_PAGE = 50


def _tz() -> Any:
    return shop_timezone(current_app.config.get("SHOWROOM_TIMEZONE"))


def _today() -> date:
    return local_today(_tz())


def _producers() -> list[Producer]:
    return list(get_session().exec(select(Producer).order_by(Producer.name_search, Producer.id)))


def _producer_id(raw: str | None) -> int:
    producer_id = parse_id(raw or "")
    if producer_id is None:
        raise ValidationError("Chọn nhà sản xuất.", "producer_id")
    return producer_id


def _period(raw_from: str | None, raw_to: str | None) -> Period:
    if not (raw_from or "").strip() or not (raw_to or "").strip():
        raise ValidationError("Nhập đủ ngày bắt đầu và ngày kết thúc kỳ đối soát.", "from")
    return Period(parse_dmy(raw_from or "", "from"), parse_dmy(raw_to or "", "to"), _tz())


def _meta(settlement: Settlement | None) -> StatementMeta:
    cfg = current_app.config
    closed_by = ""
    if settlement is not None and settlement.created_by_id:
        user = get_session().get(User, settlement.created_by_id)
        closed_by = user.full_name if user else ""
    return StatementMeta(
        number=settlement.number if settlement else None,
        closed_on=settlement.created_at.astimezone(_tz()).date() if settlement else None,
        closed_by=closed_by,
        showroom_name=cfg.get("SHOWROOM_NAME", ""),
        showroom_address=cfg.get("SHOWROOM_ADDRESS", ""),
        showroom_tax_code=cfg.get("SHOWROOM_TAX_CODE", ""),
        showroom_phone=cfg.get("SHOWROOM_PHONE", ""),
        status_label=(
            f"Chốt ngày {format_dmy(settlement.created_at.astimezone(_tz()).date())}"
            + (f" – người lập: {closed_by}" if closed_by else "")
            if settlement
            else ""
        ),
    )


def _iso_dmy(iso: str) -> str:
    return format_dmy(date.fromisoformat(iso))


def _pdf_response(body: bytes, filename: str) -> Response:
    return Response(body, mimetype="application/pdf", headers={"Content-Disposition": f'inline; filename="{filename}"'})


@bp.get("/")
def index() -> Any:
    """Settlements so far, newest first and 50 to a page, and the form to prepare the next one."""
    session = get_session()
    raw = request.args.get("producer_id", "")
    producer_id = parse_id(raw)
    producers = _producers()
    names = {p.id: p.name for p in producers}
    defaults: dict[str, str] = {}
    if producer_id:
        start, end = services.next_period_bounds(session, producer_id, _today())
        defaults = {"from": format_dmy(start), "to": format_dmy(end)}
    pages = max(1, -(-services.count_settlements(session, producer_id) // PER_PAGE))
    page = min(parse_id(request.args.get("page", "")) or 1, pages)
    return render_template(
        "settlement/index.html",
        settlements=services.list_settlements(session, producer_id, PER_PAGE, (page - 1) * PER_PAGE),
        page=page,
        pages=pages,
        producers=producers,
        names=names,
        producer_id=producer_id,
        defaults=defaults,
        statuses=SETTLEMENT_STATUSES,
    )


@bp.get("/preview")
def preview() -> Any:
    """The figures of a producer's period, computed now, with the button that closes it."""
    session = get_session()
    try:
        producer_id = _producer_id(request.args.get("producer_id"))
        period = _period(request.args.get("from"), request.args.get("to"))
    except ValidationError as exc:
        flash(exc.message, "error")
        return redirect(url_for("settlement.index", producer_id=request.args.get("producer_id", "")))
    figures = services.compute_settlement(session, producer_id, period)
    last = services.last_settlement(session, producer_id)
    problems = []
    if period.end >= _today():
        problems.append(f"Kỳ chưa kết thúc: chỉ chốt được khi ngày cuối kỳ trước hôm nay ({format_dmy(_today())}).")
    if last is not None and period.start <= last.period_end:
        problems.append(f"Kỳ này trùng với biên bản số {last.number} đã chốt.")
    elif last is not None and period.start != last.period_end + timedelta(days=1):
        problems.append(f"Kỳ phải bắt đầu từ {format_dmy(last.period_end + timedelta(days=1))}, ngay sau kỳ đã chốt.")
    if not figures["reconciles"]:
        problems.append("Số liệu tồn kho không khớp; cần kiểm tra sổ kho trước khi chốt.")
    return render_template(
        "settlement/show.html",
        figures=figures,
        settlement=None,
        period=period,
        form={"producer_id": producer_id, "from": format_dmy(period.start), "to": format_dmy(period.end)},
        problems=problems,
        statuses=SETTLEMENT_STATUSES,
        iso_dmy=_iso_dmy,
    )


@bp.get("/preview.pdf")
def preview_pdf() -> Response:
    """A draft statement PDF (marked BẢN NHÁP) for checking with the producer before closing."""
    producer_id = _producer_id(request.args.get("producer_id"))
    period = _period(request.args.get("from"), request.args.get("to"))
    figures = services.compute_settlement(get_session(), producer_id, period)
    return _pdf_response(render_statement(figures, _meta(None)), f"doi-soat-nhap-{period.slug()}.pdf")


@bp.post("/")
def close() -> Any:
    """Close the period: the figures are frozen and the period can no longer change."""
    producer_id = _producer_id(request.form.get("producer_id"))
    period = _period(request.form.get("from"), request.form.get("to"))
    with unit_of_work() as session:
        settlement = services.close_settlement(
            session,
            producer_id,
            period,
            current_user.id,
            today=_today(),
            showroom_code=current_app.config.get("SHOWROOM_CODE", "SR"),
            note=nfc(request.form.get("note", "")),
        )
    flash(f"Đã chốt biên bản đối soát số {settlement.number}.", "success")
    return redirect(url_for("settlement.show", settlement_id=settlement.id))


@bp.get("/<int:settlement_id>")
def show(settlement_id: int) -> Any:
    """A closed settlement, exactly as frozen."""
    settlement = services.get_settlement(get_session(), settlement_id)
    figures = services.frozen_figures(settlement)
    return render_template(
        "settlement/show.html",
        figures=figures,
        settlement=settlement,
        period=None,
        form=None,
        problems=[],
        statuses=SETTLEMENT_STATUSES,
        iso_dmy=_iso_dmy,
    )


@bp.get("/<int:settlement_id>/pdf")
def pdf(settlement_id: int) -> Response:
    """The signed-off statement PDF."""
    settlement = services.get_settlement(get_session(), settlement_id)
    body = render_statement(services.frozen_figures(settlement), _meta(settlement))
    return _pdf_response(body, f"{settlement.number}.pdf")


@bp.post("/<int:settlement_id>/paid")
def paid(settlement_id: int) -> Any:
    """Record that the amount owed has been paid to the producer."""
    with unit_of_work() as session:
        settlement = services.mark_paid(session, settlement_id, current_user.id, request.form.get("reference", ""))
    flash(f"Đã ghi nhận thanh toán biên bản {settlement.number}.", "success")
    return redirect(url_for("settlement.show", settlement_id=settlement_id))


@bp.route("/return-to-producer", methods=["GET", "POST"])
def return_goods() -> Any:
    """Hand goods back to their producer: a stock movement of its own (trả hàng cho nhà sản xuất)."""
    session = get_session()
    errors: dict[str, str] = {}
    values = request.form if request.method == "POST" else request.args
    raw_producer = values.get("producer_id", "")
    producer_id = parse_id(raw_producer)
    if request.method == "POST":
        raw_product, raw_qty = request.form.get("product_id", ""), request.form.get("qty", "").strip()
        if parse_id(raw_product) is None:
            errors["product_id"] = "Chọn sản phẩm."
        if not (raw_qty.isascii() and raw_qty.isdigit()) or len(raw_qty) > 6 or int(raw_qty) <= 0:
            errors["qty"] = "Số lượng trả phải là số nguyên dương."
        if not errors:
            try:
                with unit_of_work() as write:
                    services.return_to_producer(
                        write, int(raw_product), int(raw_qty), nfc(request.form.get("note", "")), current_user.id
                    )
            except PosError as exc:
                errors[exc.field or "qty"] = exc.message
            else:
                flash("Đã ghi nhận trả hàng cho nhà sản xuất.", "success")
                return redirect(url_for("settlement.return_goods", producer_id=producer_id or ""))
    products: list[tuple[Product, int]] = []
    if producer_id:
        products = [
            (p, qty)
            for p, qty in session.execute(
                select(Product, StockLevel.qty)
                .join(StockLevel, StockLevel.product_id == Product.id)
                .where(Product.producer_id == producer_id, StockLevel.qty > 0)
                .order_by(Product.name_search, Product.id)
            )
        ]
    status = 422 if errors else 200
    return (
        render_template(
            "settlement/return.html",
            producers=_producers(),
            producer_id=producer_id,
            products=products,
            errors=errors,
            form=request.form,
            recent=services.recent_returns_to_producer(session),
        ),
        status,
    )
