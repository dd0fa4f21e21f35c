"""The office's promotions (/office/promotions): set one for every showroom or a chosen list, edit it, end it.

The terms are the showrooms' own (pos/promotions/terms.py); the products are the central catalogue's; every
save and end goes in the office log and reaches the showrooms with their next catalogue pull.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user
from sqlmodel import select

from pos.auth.access import bind_role
from pos.central import catalog as catalog_services
from pos.central import promotions
from pos.central.models import Showroom
from pos.central.office import promotion_results
from pos.central.office import views as office_views
from pos.db import get_session, unit_of_work, utcnow
from pos.errors import ValidationError
from pos.promotions import terms
from pos.promotions.models import BORNE_BY
from pos.reports.export import iter_csv, iter_xlsx
from pos.reports.table import cell_text
from pos.sales.vat import local_date

bp = Blueprint("office_promotions", __name__, url_prefix="/office/promotions")
bind_role(bp, "manager")

ITEM_ROWS = 8


def _tz() -> str:
    config = current_app.config
    return str(config.get("CENTRAL_TIMEZONE") or config.get("SHOWROOM_TIMEZONE") or "Asia/Ho_Chi_Minh")


@bp.get("/")
def index() -> Any:
    """Every central promotion: its terms, period in local time, who bears the cost, its showrooms, its status."""
    return render_template(
        "central/promotions/index.html",
        rows=promotions.list_promotions(get_session(), utcnow()),
        statuses=promotions.STATUSES,
        borne=BORNE_BY,
        local=lambda at: terms.format_local(at, _tz()),
    )


def _input() -> promotions.CentralPromotionInput:
    f = request.form
    return terms.input_from_form(
        f,
        ITEM_ROWS,
        promotions.CentralPromotionInput,
        for_all=f.get("for", "all") != "chosen",
        showroom_codes=f.getlist("showroom"),
    )


def _form(
    data: promotions.CentralPromotionInput, errors: dict[str, str], promotion_id: int | None, status: int = 200
) -> Any:
    session = get_session()
    return render_template(
        "central/promotions/form.html",
        **terms.form_context(data, ITEM_ROWS),
        errors=errors,
        promotion_id=promotion_id,
        producers=[(str(p.uuid), p.name) for p in catalog_services.list_catalog_producers(session)],
        showrooms=list(session.exec(select(Showroom).where(Showroom.is_active).order_by(Showroom.code))),  # type: ignore[arg-type]
        chosen={c.upper() for c in data.showroom_codes},
    ), status


def _save(promotion_id: int | None) -> Any:
    data = _input()
    try:
        with unit_of_work() as session:
            promotion = promotions.save_promotion(
                session, data, tz_name=_tz(), actor=current_user.username, promotion_id=promotion_id
            )
    except ValidationError as exc:
        return _form(data, exc.details.get("errors") or {exc.field or "form": exc.message}, promotion_id, 422)
    flash(
        f"Đã lưu chương trình khuyến mãi “{promotion.name}”; các cửa hàng được chọn nhận ở lần đồng bộ sau.", "success"
    )
    return redirect(url_for("office_promotions.index"))


@bp.route("/new", methods=["GET", "POST"])
def new() -> Any:
    """Set a promotion: kind, what it covers, its period to the minute in local time, who bears it, its showrooms."""
    if request.method == "POST":
        return _save(None)
    today = local_date(utcnow(), _tz())
    data = promotions.CentralPromotionInput(starts=f"{today:%d/%m/%Y} 00:00", ends=f"{today:%d/%m/%Y} 23:59")
    return _form(data, {}, None)


@bp.route("/<int:promotion_id>/edit", methods=["GET", "POST"])
def edit(promotion_id: int) -> Any:
    """Change a promotion (sales already made keep what they got); the showrooms take it at their next pull."""
    if request.method == "POST":
        return _save(promotion_id)
    p, items, codes = promotions.get_promotion(get_session(), promotion_id)
    if p.ended_at is not None:
        flash("Chương trình đã kết thúc, không sửa được nữa; hãy tạo chương trình mới.", "warning")
        return redirect(url_for("office_promotions.index"))
    data = promotions.CentralPromotionInput(
        name=p.name,
        kind=p.kind,
        target=p.target,
        target_value=p.target_value,
        percent=terms.percent_text(p.percent_bp),
        price_vnd=str(p.price_vnd or ""),
        buy_qty=str(p.buy_qty or ""),
        get_qty=str(p.get_qty or ""),
        starts=terms.format_local(p.starts_at, _tz()),
        ends=terms.format_local(p.ends_at, _tz()),
        borne_by=p.borne_by,
        items=[(prod.barcode or prod.sku, qty) for prod, qty in items],
        for_all=p.all_showrooms,
        showroom_codes=codes,
    )
    return _form(data, {}, promotion_id)


@bp.post("/<int:promotion_id>/end")
def end(promotion_id: int) -> Any:
    """End a promotion now, everywhere (the showrooms stop applying it at their next pull)."""
    with unit_of_work() as session:
        promotion = promotions.end_promotion(session, promotion_id, actor=current_user.username)
    flash(f"Đã kết thúc “{promotion.name}”; các cửa hàng ngừng áp dụng ở lần đồng bộ sau.", "success")
    return redirect(url_for("office_promotions.index"))


def _page_arg() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < len(raw) < 7 else 1


@bp.get("/<int:promotion_id>/results")
def results(promotion_id: int) -> Any:
    """What the promotion did in each showroom over its period: sales, pieces and kg, revenue, discount, who bore it."""
    session = office_views.report_session()
    promotion, _items, _codes = promotions.get_promotion(session, promotion_id)
    report = promotion_results.results(session, promotion, _page_arg())
    return render_template(
        "central/promotions/results.html",
        p=promotion,
        report=report,
        pager=report.params["paging"],
        what=terms.describe(promotion),
        status=promotions.status(promotion, utcnow()),
        statuses=promotions.STATUSES,
        borne=BORNE_BY,
        local=lambda at: terms.format_local(at, _tz()),
        cell_text=cell_text,
        here=lambda **changes: url_for(".results", promotion_id=promotion_id, page=changes.get("page") or None),
    )


@bp.get("/<int:promotion_id>/results.<fmt>")
def results_export(promotion_id: int, fmt: str) -> Response:
    """The promotion's figures for every showroom as CSV (UTF-8 with BOM) or XLSX, streamed."""
    if fmt not in office_views.EXPORTS:
        abort(404)
    promotion, _items, _codes = promotions.get_promotion(office_views.report_session(), promotion_id)
    stem = f"khuyen-mai-{promotion.uuid.hex[:8]}-{local_date(promotion.starts_at, _tz()):%Y%m%d}"
    title = office_views.xlsx_title()

    def generate() -> Any:
        # The view's session is closed once the view returns; the stream opens (and closes) its own.
        session = office_views.report_session()
        again, _items, _codes = promotions.get_promotion(session, promotion_id)
        report = promotion_results.results(session, again, per_page=None)
        yield from iter_csv(report) if fmt == "csv" else iter_xlsx(report, title)

    response = Response(stream_with_context(generate()), mimetype=office_views.EXPORTS[fmt])
    return office_views.attachment(response, stem, fmt)
