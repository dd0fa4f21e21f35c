"""The central office's report pages (/office): every showroom's sales, shift checks, sync freshness, receipts.

Every page takes the same query string: ``from`` and ``to`` (dd/mm/yyyy, local days; empty = this month),
``showroom`` (a showroom code; empty = all), and its own settings. Every table has a CSV (UTF-8 with BOM)
and an XLSX twin at ``<page>.csv`` / ``<page>.xlsx`` with the same query string.
"""

from __future__ import annotations

import io
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from flask import Blueprint, Response, abort, current_app, render_template, request, stream_with_context, url_for
from sqlalchemy import text
from sqlmodel import Session, select

from pos.auth.access import bind_role
from pos.central.models import CHECK_STATUSES, Showroom
from pos.central.office import common, customers, invoices, products, receipts, shifts
from pos.central.office import sales as sale_reports
from pos.central.office.common import OfficeQuery
from pos.central.office.receipts import SaleFilter
from pos.central.views import stale_days
from pos.csv_export import csv_writer
from pos.db import get_session, utcnow
from pos.errors import ValidationError
from pos.reports.export import iter_csv, iter_xlsx, to_csv, to_xlsx
from pos.reports.period import Period, format_dmy, local_today, parse_period, shop_timezone
from pos.reports.table import Report, cell_text, export_value

bp = Blueprint("office_reports", __name__, url_prefix="/office")
bind_role(bp, "manager")

MAX_LIMIT = 500
SALES_PER_PAGE = 50


@dataclass(frozen=True)
class Page:
    """One report page: its URL slug, its tab title, the query that builds it and the filters it shows."""

    slug: str
    tab: str
    build: Callable[[Session, OfficeQuery], Report]
    uses_period: bool = True
    uses_showroom: bool = True
    extra: tuple[str, ...] = ()
    paged: bool = False  # a long table: a page of it on screen, its CSV streamed from the database


PAGES: dict[str, Page] = {
    p.slug: p
    for p in (
        Page("showrooms", "Theo cửa hàng", sale_reports.sales_by_showroom),
        Page("days", "Theo ngày", sale_reports.sales_by_day),
        Page("showroom-days", "Cửa hàng × ngày", sale_reports.sales_by_showroom_day, paged=True),
        Page("producers", "Theo nhà sản xuất", products.sales_by_producer),
        Page("provinces", "Theo tỉnh/thành xuất xứ", products.sales_by_province),
        Page("ocop", "Theo hạng sao và nhóm", products.sales_by_ocop),
        Page("top", "Sản phẩm bán chạy", products.top_products, extra=("limit", "sort")),
        Page("shifts", "Đối chiếu ca", shifts.shift_report, extra=("status",), paged=True),
        Page("sync", "Tình trạng đồng bộ", shifts.sync_report, uses_period=False, uses_showroom=False),
        Page("invoices", "Hóa đơn điện tử", invoices.invoices_by_showroom_day),
        Page("invoice-list", "Bảng kê hóa đơn", invoices.invoice_list, paged=True),
    )
}
QUERY_KEYS = ("from", "to", "showroom", "limit", "sort", "status", "number", "sale_status", "customer")


# Reports summed from the sale lines are the slow ones over many showrooms and long periods; they do not depend
# on the clock, so a result is kept until the data changes (a push, an office action, a catalogue revision).
CACHED_PAGES = {"producers", "provinces", "ocop", "top"}
CACHE_KEY = "office_reports.cache"
CACHE_SIZE = 64


class ReportCache:
    """A small per-app LRU of built reports, keyed by the query and the data's version."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self.entries: OrderedDict[tuple, Report] = OrderedDict()
        self.lock = threading.Lock()

    def get_or_build(self, key: tuple, build: Callable[[], Report]) -> Report:
        with self.lock:
            if key in self.entries:
                self.entries.move_to_end(key)
                return self.entries[key]
        report = build()  # outside the lock: two threads may build the same report once each, harmlessly
        with self.lock:
            self.entries[key] = report
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)
        return report


def _build(page: Page, session: Session, q: OfficeQuery) -> Report:
    """The page's report, from the cache when the data has not changed since it was built."""
    if page.slug not in CACHED_PAGES:
        return page.build(session, q)
    cache = current_app.extensions.setdefault(CACHE_KEY, ReportCache())
    key = (page.slug, q.period.start, q.period.end, q.showroom_id, q.limit, q.sort, common.data_version(session))
    return cache.get_or_build(key, lambda: page.build(session, q))


def report_session() -> Session:
    """The request's read session, set for the reports' queries: no JIT compilation (PostgreSQL compiles a
    query it guesses costly, and a year's long table spent 0.48 s of its 0.58 s compiling on the bench)."""
    session = get_session()
    if not session.info.get("office_settings") and session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL jit = off"))  # for this read transaction, which the request's close ends
        session.info["office_settings"] = True
    return session


def _timezone() -> Any:
    return shop_timezone(current_app.config.get("CENTRAL_TIMEZONE") or current_app.config.get("SHOWROOM_TIMEZONE"))


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    """A whole-number query parameter; anything odd falls back to the default rather than failing."""
    raw = request.args.get(name, "").strip()
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 6:
        return default
    return min(max(int(raw), low), high)


def _showroom_arg(session: Session, errors: dict[str, str]) -> Showroom | None:
    code = request.args.get("showroom", "").strip()
    if not code:
        return None
    shop = session.exec(select(Showroom).where(Showroom.code == code)).first()
    if shop is None:
        errors["showroom"] = f"Không có cửa hàng mã “{code[:20]}”; đang hiển thị tất cả cửa hàng."
    return shop


def _period(errors: dict[str, str]) -> tuple[Period, date]:
    """The asked period; a bad date keeps the default one (this month) and says why."""
    tz = _timezone()
    today = local_today(tz)
    try:
        return parse_period(request.args.get("from"), request.args.get("to"), tz, today), today
    except ValidationError as exc:
        errors[exc.field or "from"] = exc.message + " Đang hiển thị tháng này."
        return parse_period(None, None, tz, today), today


def _query(session: Session) -> tuple[OfficeQuery, Showroom | None, dict[str, str], date]:
    errors: dict[str, str] = {}
    period, today = _period(errors)
    shop = _showroom_arg(session, errors)
    status = request.args.get("status", "")
    q = OfficeQuery(
        period=period,
        showroom_id=shop.id if shop else None,
        limit=_int_arg("limit", 20, 1, MAX_LIMIT),
        sort="qty" if request.args.get("sort") == "qty" else "net",
        status=status if status in CHECK_STATUSES else "",
        now=utcnow(),
        stale_days=stale_days(),
        page=_int_arg("page", 1, 1, 1_000_000),
        per_page=common.PAGE_ROWS,
    )
    return q, shop, errors, today


def _form(q: OfficeQuery, shop: Showroom | None) -> dict[str, Any]:
    return {
        "from": request.args.get("from") or format_dmy(q.period.start),
        "to": request.args.get("to") or format_dmy(q.period.end),
        "showroom": shop.code if shop else "",
        "limit": q.limit,
        "sort": q.sort,
        "status": q.status,
    }


def _args(**changes: Any) -> dict[str, str]:
    """The current query string with some keys changed (None drops a key), for links that keep the filters."""
    args = {k: v for k, v in request.args.items() if k in QUERY_KEYS and v}
    if "page" in changes and changes["page"] == 1:
        changes["page"] = None
    for key, value in changes.items():
        if value is None or value == "":
            args.pop(key, None)
        else:
            args[key] = str(value)
    return args


@bp.context_processor
def _helpers() -> dict[str, Any]:
    def here(**changes: Any) -> str:
        """This page's URL with some query keys changed (the page number is dropped unless given)."""
        return url_for(request.endpoint or ".index", **(request.view_args or {}), **_args(**changes))

    return {"here": here}


def quick_periods(today: date) -> list[tuple[str, str, str]]:
    """Shortcuts clicked more often than dates are typed."""
    month_start = today.replace(day=1)
    last_month_end = month_start - timedelta(days=1)
    spans = [
        ("Hôm nay", today, today),
        ("Hôm qua", today - timedelta(days=1), today - timedelta(days=1)),
        ("7 ngày qua", today - timedelta(days=6), today),
        ("Tháng này", month_start, today),
        ("Tháng trước", last_month_end.replace(day=1), last_month_end),
        ("Năm nay", today.replace(month=1, day=1), today),
    ]
    return [(label, format_dmy(a), format_dmy(b)) for label, a, b in spans]


def _links(report: Report) -> dict[int, dict[str, str]]:
    """Per row index, the cells that open a more detailed page (drill-down keeps the period)."""
    links: dict[int, dict[str, str]] = {}
    has_showroom_page = "office.showroom" in current_app.view_functions
    for i, row in enumerate(report.rows):
        cells: dict[str, str] = {}
        code = row.get("code")
        if report.name == "showrooms" and code:
            cells["name"] = url_for(".report", slug="days", **_args(showroom=code))
            cells["sales"] = url_for(".sales", **_args(showroom=code))
            for key, status in (
                ("shifts_ok", "ok"),
                ("shifts_mismatch", "mismatch"),
                ("shifts_incomplete", "incomplete"),
            ):
                if row.get(key):
                    cells[key] = url_for(".report", slug="shifts", **_args(showroom=code, status=status))
        elif report.name == "showroom_days" and code:
            day = format_dmy(row["day"])
            cells["sales"] = url_for(".sales", **_args(showroom=code, **{"from": day, "to": day}))
            cells["name"] = url_for(".report", slug="days", **_args(showroom=code))
        elif report.name == "days" and row.get("sales"):
            day = format_dmy(row["day"])
            cells["sales"] = url_for(".sales", **_args(**{"from": day, "to": day}))
        elif report.name == "sync" and code and has_showroom_page:
            cells["code"] = url_for("office.showroom", code=code)
        elif report.name == "shifts" and code and has_showroom_page:
            cells["name"] = url_for("office.showroom", code=code)
        if cells:
            links[i] = cells
    return links


def _with_links(heatmap: dict[str, Any] | None) -> dict[str, Any] | None:
    """The heat map with each showroom's row opening its sales by day for the same period."""
    if heatmap:
        for row in heatmap["rows"]:
            row["href"] = url_for(".report", slug="days", **_args(showroom=row["code"]))
    return heatmap


@bp.get("/")
def index() -> Any:
    """The office's overview: the period's totals, sales per day and per showroom, showrooms gone quiet."""
    session = report_session()
    q, shop, errors, today = _query(session)
    by_showroom = sale_reports.sales_by_showroom(session, q)
    by_day = sale_reports.sales_by_day(session, q)
    heatmap = sale_reports.showroom_day_heatmap(session, q)  # for periods of up to 93 days
    sync = shifts.sync_report(session, q)
    totals = by_showroom.totals or {}
    return render_template(
        "central/office/index.html",
        q=q,
        form=_form(q, shop),
        errors=errors,
        showrooms=common.showroom_choices(session),
        quick_periods=quick_periods(today),
        totals=totals,
        selling=sum(1 for r in by_showroom.rows if r["sales"]),
        shop_count=len(by_showroom.rows),
        problem_shifts=totals.get("shifts_mismatch", 0) + totals.get("shifts_incomplete", 0),
        stale=[r for r in sync.rows if r["_flag"] == "stale"],
        day_chart=json.dumps(by_day.chart, ensure_ascii=False),
        showroom_chart=json.dumps(by_showroom.chart, ensure_ascii=False),
        heatmap=json.dumps(_with_links(heatmap), ensure_ascii=False) if heatmap else "",
        counted=common.COUNTED,
        pages=PAGES.values(),
        args=_args(),
    )


@bp.get("/sales")
def sales() -> Any:
    """Sales of the period, newest first, filtered by showroom, receipt number and status; each opens its receipt."""
    session = report_session()
    f, shop, errors, today = _sale_filter(session)
    page = receipts.list_sales(session, f, _int_arg("page", 1, 1, 1_000_000), SALES_PER_PAGE)
    return render_template(
        "central/office/sales.html",
        page=page,
        f=f,
        form={
            "from": request.args.get("from") or format_dmy(f.period.start),
            "to": request.args.get("to") or format_dmy(f.period.end),
            "showroom": shop.code if shop else "",
            "number": f.number,
            "sale_status": f.status,
            "customer": request.args.get("customer", "").strip()[:40],
        },
        errors=errors,
        customer_page=customers.find_customer(session, f.customer) if f.customer else None,
        showrooms=common.showroom_choices(session),
        statuses=receipts.SALE_STATUSES,
        quick_periods=quick_periods(today),
        columns=[c for c in receipts.SALE_LIST_COLUMNS if c.key not in ("code", "subtotal_vnd")],  # both in the CSV
        cell_text=cell_text,
        pages=PAGES.values(),
        args=_args(),
        counted=common.COUNTED,
    )


def _sale_filter(session: Session) -> tuple[SaleFilter, Showroom | None, dict[str, str], date]:
    errors: dict[str, str] = {}
    period, today = _period(errors)
    shop = _showroom_arg(session, errors)
    status = request.args.get("sale_status", "")
    f = SaleFilter(
        period=period,
        showroom_id=shop.id if shop else None,
        number=request.args.get("number", "").strip()[:40],
        status=status if status in receipts.SALE_STATUSES else "",
        customer=receipts.customer_key(request.args.get("customer", "")[:40]),
    )
    if request.args.get("customer", "").strip() and not f.customer:
        errors["customer"] = "Khách hàng: nhập số điện thoại hoặc mã số thuế (10–13 số); đang hiển thị mọi khách."
    return f, shop, errors, today


@bp.get("/sales.csv")
def sales_csv() -> Response:
    """Every sale matching the list's filters as CSV (UTF-8 with BOM), streamed."""
    session = report_session()
    f, _shop, errors, _today = _sale_filter(session)
    if errors:
        raise ValidationError(next(iter(errors.values())))
    columns = receipts.SALE_LIST_COLUMNS

    def generate() -> Iterator[str]:
        out = io.StringIO()
        writer = csv_writer(out)
        writer.writerow([c.header for c in columns])
        # The view's session is closed once the view returns; the stream opens (and closes) its own.
        for n, row in enumerate(receipts.iter_sales(report_session(), f), start=1):
            writer.writerow([export_value(row.get(c.key), c.kind) for c in columns])
            if n % 1000 == 0:
                yield out.getvalue()
                out.seek(0)
                out.truncate()
        yield out.getvalue()

    filename = f"don-ban-hang-{f.period.slug()}.csv"
    return Response(
        stream_with_context(chunk.encode("utf-8") for chunk in generate()),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/customers/<uuid:customer_uuid>")
def customer(customer_uuid: UUID) -> Any:
    """One customer: who they are as central holds them, their totals per showroom and their purchases, paged."""
    session = report_session()
    view = customers.get_customer(session, customer_uuid)
    by_showroom = customers.per_showroom(session, view)
    listed = sum(r["_listed"] for r in by_showroom.rows)
    bought = customers.purchases(session, view, listed, _int_arg("page", 1, 1, 1_000_000))
    return render_template(
        "central/office/customer.html",
        c=view,
        by_showroom=by_showroom,
        bought=bought,
        pager=bought.params["paging"],
        cell_text=cell_text,
        back=url_for(".sales", **_args(page=None)),
        pages=PAGES.values(),
        args=_args(),
    )


@bp.get("/customers/<uuid:customer_uuid>.csv")
def customer_csv(customer_uuid: UUID) -> Response:
    """Every purchase of the customer at every showroom as CSV (UTF-8 with BOM), streamed."""
    view = customers.get_customer(report_session(), customer_uuid)
    stem = f"khach-hang-{view.uuid.hex[:8]}"  # no phone or tax code in a file name left in Downloads

    @stream_with_context
    def generate() -> Iterator[bytes]:
        # The view's session is closed once the view returns; the stream opens (and closes) its own.
        session = report_session()
        yield from iter_csv(customers.purchases(session, view, 0, per_page=None))

    return attachment(Response(generate(), mimetype=EXPORTS["csv"]), stem, "csv")


@bp.get("/sales/<uuid:sale_uuid>")
def receipt(sale_uuid: UUID) -> Any:
    """One receipt as the showroom issued it, with its returns and void, and its shift's check."""
    session = get_session()
    view = receipts.get_receipt(session, sale_uuid)
    uuid = view.sale.customer_uuid
    return render_template(
        "central/office/receipt.html",
        r=view,
        customer=customers.customer_record(session, uuid) if uuid else None,
        back=url_for(".sales", **_args()),
        check_statuses=CHECK_STATUSES,
        check_text=shifts.check_text,
        methods=shifts.PAYMENT_METHODS,
        has_showroom_page="office.showroom" in current_app.view_functions,
        args=_args(),
    )


@bp.get("/sales/<uuid:sale_uuid>.<fmt>")
def receipt_export(sale_uuid: UUID, fmt: str) -> Response:
    """The receipt's lines as CSV (UTF-8 with BOM) or XLSX."""
    view = receipts.get_receipt(get_session(), sale_uuid)
    return _download(receipts.receipt_report(view), f"hoa-don-{view.sale.receipt_number}", fmt, view.showroom.name)


@bp.get("/<slug>")
def report(slug: str) -> Any:
    """One report on screen: filters, what is counted, a chart where one helps, the table, export links."""
    page = PAGES.get(slug) or abort(404)
    session = report_session()
    q, shop, errors, today = _query(session)
    result = _build(page, session, q)
    heatmap = _with_links(result.params.get("heatmap"))
    return render_template(
        "central/office/report.html",
        page=page,
        report=result,
        form=_form(q, shop),
        errors=errors,
        showrooms=common.showroom_choices(session),
        statuses=CHECK_STATUSES,
        quick_periods=quick_periods(today),
        chart_json=json.dumps(result.chart, ensure_ascii=False) if result.chart else "",
        heatmap_json=json.dumps(heatmap, ensure_ascii=False) if heatmap else "",
        links=_links(result),
        cell_text=cell_text,
        shown_rows=result.rows[: common.SCREEN_ROWS],
        pages=PAGES.values(),
        args=_args(),
    )


@bp.get("/<slug>.<fmt>")
def export(slug: str, fmt: str) -> Response:
    """A report's table as CSV (UTF-8 with BOM) or XLSX, with the same filters as the page."""
    page = PAGES.get(slug) or abort(404)
    session = report_session()
    q, shop, errors, today = _query(session)
    if errors:
        raise ValidationError(next(iter(errors.values())))
    stamp = q.period.slug() if page.uses_period else f"{today:%Y%m%d}"
    suffix = f"-{shop.code}" if shop and page.uses_showroom else ""
    stem = f"bao-cao-{slug}{suffix}-{stamp}"
    whole = replace(q, per_page=None)  # every row of a long table, from a server-side cursor
    if page.paged and fmt in EXPORTS:
        name = xlsx_title()

        @stream_with_context
        def generate() -> Iterator[bytes]:
            # The view's session is closed once the view returns; the stream opens (and closes) its own.
            report = page.build(report_session(), whole)
            yield from iter_csv(report) if fmt == "csv" else iter_xlsx(report, name)

        return attachment(Response(generate(), mimetype=EXPORTS[fmt]), stem, fmt)
    return _download(_build(page, session, whole), stem, fmt)


EXPORTS = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def xlsx_title() -> str:
    """The name heading an office XLSX sheet."""
    return current_app.config.get("CENTRAL_NAME") or "Văn phòng trung tâm OCOP"


def attachment(response: Response, stem: str, fmt: str) -> Response:
    """``response`` as a download named ``stem.fmt`` (only letters, digits, '-' and '_' kept in the name)."""
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in stem)
    response.headers["Content-Disposition"] = f'attachment; filename="{safe}.{fmt}"'
    return response


def _download(report: Report, stem: str, fmt: str, title: str = "") -> Response:
    if fmt == "csv":
        body = to_csv(report)
    elif fmt == "xlsx":
        body = to_xlsx(report, title or xlsx_title())
    else:
        abort(404)
    return attachment(Response(body, mimetype=EXPORTS[fmt]), stem, fmt)
