"""Manager report pages (báo cáo) and their CSV / XLSX exports."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request

from pos.auth.access import bind_role
from pos.db import get_session
from pos.errors import ValidationError
from pos.reports.export import to_csv, to_xlsx
from pos.reports.period import Period, format_dmy, local_today, parse_period, shop_timezone
from pos.reports.queries import REPORTS, ReportQuery, ReportSpec, build_report
from pos.reports.table import cell_text, display_rows

bp = Blueprint("reports", __name__, url_prefix="/reports")
bind_role(bp, "manager")

MAX_DAYS = 3650
MAX_LIMIT = 500


def _spec(name: str) -> ReportSpec:
    spec = REPORTS.get(name)
    if spec is None:
        abort(404)
    return spec


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    """A whole-number query parameter; anything odd falls back to the default rather than failing."""
    raw = request.args.get(name, "").strip()
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 6:
        return default
    return min(max(int(raw), low), high)


def _query(spec: ReportSpec) -> tuple[ReportQuery, dict[str, str]]:
    """The report's settings from the query string; a bad date keeps the default period and says why."""
    tz = shop_timezone(current_app.config.get("SHOWROOM_TIMEZONE"))
    today = local_today(tz)
    errors: dict[str, str] = {}
    try:
        period = parse_period(request.args.get("from"), request.args.get("to"), tz, today)
    except ValidationError as exc:
        errors[exc.field or "from"] = exc.message
        period = parse_period(None, None, tz, today)
    q = ReportQuery(
        period=period,
        today=today,
        days=_int_arg("days", spec.default_days, 1, MAX_DAYS),
        limit=_int_arg("limit", 20, 1, MAX_LIMIT),
        sort="qty" if request.args.get("sort") == "qty" else "net",
        group="producer" if request.args.get("group") == "producer" else "product",
        low_stock_default=int(current_app.config.get("STOCK_LOW_STOCK_DEFAULT", 5)),
    )
    return q, errors


def _form_values(q: ReportQuery) -> dict[str, Any]:
    return {
        "from": request.args.get("from") or format_dmy(q.period.start),
        "to": request.args.get("to") or format_dmy(q.period.end),
        "days": q.days,
        "limit": q.limit,
        "sort": q.sort,
        "group": q.group,
    }


def quick_periods(today: date) -> list[tuple[str, str, str]]:
    """Shortcuts a manager clicks more often than typing dates."""
    month_start = today.replace(day=1)
    last_month_end = month_start - timedelta(days=1)
    yesterday = today - timedelta(days=1)
    spans = [
        ("Hôm nay", today, today),
        ("Hôm qua", yesterday, yesterday),
        ("7 ngày qua", today - timedelta(days=6), today),
        ("Tháng này", month_start, today),
        ("Tháng trước", last_month_end.replace(day=1), last_month_end),
        ("Năm nay", today.replace(month=1, day=1), today),
    ]
    return [(label, format_dmy(a), format_dmy(b)) for label, a, b in spans]


@bp.get("/")
def index() -> Any:
    """The list of reports, with the default period."""
    tz = shop_timezone(current_app.config.get("SHOWROOM_TIMEZONE"))
    period: Period = parse_period(None, None, tz)
    return render_template("reports/index.html", reports=REPORTS.values(), period=period)


@bp.get("/<name>")
def show(name: str) -> Any:
    """One report on screen, with its chart and export links."""
    spec = _spec(name)
    q, errors = _query(spec)
    report = build_report(get_session(), name, q)
    chart_json = json.dumps(report.chart, ensure_ascii=False) if report.chart else ""
    export_args = {k: v for k, v in request.args.items() if k in ("from", "to", "days", "limit", "sort", "group")}
    return render_template(
        "reports/show.html",
        spec=spec,
        report=report,
        form=_form_values(q),
        errors=errors,
        chart_json=chart_json,
        cell_text=cell_text,
        display_rows=display_rows,
        export_args=export_args,
        reports=REPORTS.values(),
        quick_periods=quick_periods(q.today),
    )


@bp.get("/<name>/export.<fmt>")
def export(name: str, fmt: str) -> Response:
    """The same report as a CSV (UTF-8 with BOM) or XLSX download."""
    spec = _spec(name)
    if fmt not in ("csv", "xlsx"):
        abort(404)
    q, errors = _query(spec)
    if errors:
        raise ValidationError(next(iter(errors.values())))
    report = build_report(get_session(), name, q)
    stamp = q.period.slug() if spec.uses_period else f"{q.today:%Y%m%d}"
    filename = f"bao-cao-{name.replace('_', '-')}-{stamp}.{fmt}"
    if fmt == "csv":
        body, mimetype = to_csv(report), "text/csv"
    else:
        body = to_xlsx(report, current_app.config.get("SHOWROOM_NAME", ""))
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'})
