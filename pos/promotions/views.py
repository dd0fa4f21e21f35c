"""Managers' pages for promotions: the list, the form, and the report of what each one sold and cost."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from pos.auth.access import bind_role
from pos.catalog.services import list_producers, parse_date
from pos.db import get_session, unit_of_work, utcnow
from pos.errors import ValidationError
from pos.promotions import central, terms
from pos.promotions import services as promotions
from pos.promotions.models import BORNE_BY, PROMOTION_KINDS
from pos.sales.vat import local_date, showroom_tz

bp = Blueprint("promotions", __name__, url_prefix="/promotions")
bind_role(bp, "manager")

ITEM_ROWS = 8


def _tz() -> str:
    return str(current_app.config.get("SHOWROOM_TIMEZONE", "Asia/Ho_Chi_Minh"))


def _local(at: datetime) -> str:
    return terms.format_local(at, _tz())


@bp.get("/")
def index() -> Any:
    """Every promotion, with its period in local time and whether it is in force now."""
    now = utcnow()
    rows = promotions.list_promotions(get_session())
    return render_template(
        "promotions/index.html",
        rows=[
            (p, promotions.describe(p), _local(p.starts_at), _local(p.ends_at), promotions.is_in_force(p, now))
            for p in rows
        ],
        kinds=PROMOTION_KINDS,
        borne=BORNE_BY,
    )


def _input() -> promotions.PromotionInput:
    f = request.form
    return terms.input_from_form(f, ITEM_ROWS, showrooms=f.get("showrooms", ""), is_active="is_active" in f)


def _form(
    data: promotions.PromotionInput,
    errors: dict[str, str],
    promotion_id: int | None,
    status: int = 200,
    read_only: bool = False,
) -> Any:
    return render_template(
        "promotions/form.html",
        **terms.form_context(data, len(data.items) if read_only else ITEM_ROWS),
        errors=errors,
        promotion_id=promotion_id,
        read_only=read_only,
        producers=[(p.id, p.name) for p in list_producers(get_session(), active_only=True)],
    ), status


def _save(promotion_id: int | None) -> Any:
    data = _input()
    try:
        with unit_of_work() as session:
            promotion = promotions.save_promotion(
                session, data, tz_name=_tz(), actor_id=current_user.id, promotion_id=promotion_id
            )
    except ValidationError as exc:
        return _form(data, exc.details.get("errors") or {exc.field or "form": exc.message}, promotion_id, 422)
    flash(f"Đã lưu chương trình khuyến mãi “{promotion.name}”.", "success")
    return redirect(url_for("promotions.index"))


@bp.route("/new", methods=["GET", "POST"])
def new() -> Any:
    """Set a promotion: kind, what it covers, its period to the minute in local time, who bears its cost."""
    if request.method == "POST":
        return _save(None)
    today = local_date(utcnow(), _tz())
    return _form(promotions.PromotionInput(starts=f"{today:%d/%m/%Y} 00:00", ends=f"{today:%d/%m/%Y} 23:59"), {}, None)


@bp.route("/<int:promotion_id>/edit", methods=["GET", "POST"])
def edit(promotion_id: int) -> Any:
    """Change a promotion (sales already made keep what they got); one set at the central office is only shown."""
    if request.method == "POST":
        return _save(promotion_id)
    p, items = promotions.get_promotion(get_session(), promotion_id)
    if p.central_uuid is not None:
        return _form(central.as_input(get_session(), p, _tz()), {}, promotion_id, read_only=True)
    data = promotions.PromotionInput(
        name=p.name,
        kind=p.kind,
        target=p.target,
        target_value=p.target_value,
        percent=terms.percent_text(p.percent_bp),
        price_vnd=str(p.price_vnd or ""),
        buy_qty=str(p.buy_qty or ""),
        get_qty=str(p.get_qty or ""),
        starts=_local(p.starts_at),
        ends=_local(p.ends_at),
        borne_by=p.borne_by,
        showrooms=p.showrooms,
        items=[(prod.barcode or prod.sku, qty) for prod, qty in items],
        is_active=p.is_active,
    )
    return _form(data, {}, promotion_id)


@bp.get("/report")
def report() -> Any:
    """What each promotion sold and cost in a period (local days), and who bore the cost."""
    today = local_date(utcnow(), _tz())
    errors: dict[str, str] = {}
    try:
        start = parse_date(request.args.get("from", "")) or today.replace(day=1)
        end = parse_date(request.args.get("to", "")) or today
    except ValueError:
        start, end = today.replace(day=1), today
        errors["from"] = "Ngày không hợp lệ (dd/mm/yyyy); đang xem tháng này."
    tz = showroom_tz(_tz())
    utc_start = datetime.combine(start, datetime.min.time(), tzinfo=tz)
    utc_end = datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    rows = promotions.promotion_report(get_session(), utc_start, utc_end)
    totals = {key: sum(r.cost_vnd for r in rows if r.borne_by == key) for key in BORNE_BY}
    return render_template(
        "promotions/report.html",
        rows=rows,
        start=start,
        end=end,
        errors=errors,
        borne=BORNE_BY,
        totals=totals,
        sold=sum(r.sold_vnd for r in rows),
    )
