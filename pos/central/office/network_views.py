"""The office's network stock pages (/office/stock…): thin views over pos/central/office/network.py.

Query string: ``showroom`` (code), ``product`` (name, SKU or barcode), ``producer`` (name), ``days``,
``status``, ``view`` and ``page``; an odd value falls back to the default and the page says why. Each page has
a CSV twin (``….csv``, UTF-8 with BOM, every row) with the same filters.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from sqlmodel import Session, select

from pos.auth.access import bind_role
from pos.central.models import TRANSFER_STATUSES, Showroom
from pos.central.office import common, network
from pos.central.office import views as office_views
from pos.db import get_session
from pos.reports.export import to_csv
from pos.reports.period import local_today, shop_timezone
from pos.reports.table import cell_text
from pos.text import nfc

bp = Blueprint("office_network", __name__, url_prefix="/office/stock")
bind_role(bp, "manager")

MAX_DAYS = 3650
KEYS = ("showroom", "product", "producer", "days", "status", "view")


@dataclass(frozen=True)
class NetworkPage:
    """One page: its slug, tab, builder, default ``days`` (None: no such filter) and status choices."""

    slug: str
    tab: str
    build: Callable[[Session, network.StockFilter], network.Paged]
    days: int | None = None
    statuses: dict[str, str] | None = None
    filename: str = ""


PAGES: dict[str, NetworkPage] = {
    p.slug: p
    for p in (
        NetworkPage("levels", "Tồn kho", network.stock_levels, filename="ton-kho"),
        NetworkPage("lots", "Lô sắp hết hạn", network.expiring_lots, days=30, filename="lo-sap-het-han"),
        NetworkPage(
            "certificates", "Chứng nhận OCOP sắp hết hạn", network.expiring_certificates, days=90, filename="chung-nhan"
        ),
        NetworkPage("transfers", "Chuyển kho", network.transfers, statuses=TRANSFER_STATUSES, filename="chuyen-kho"),
        NetworkPage(
            "settlements",
            "Đối soát NSX",
            network.settlements,
            statuses=network.SETTLEMENT_STATUSES,
            filename="doi-soat",
        ),
        NetworkPage(
            "settlement-lines",
            "Dòng đối soát",
            network.settlement_lines,
            statuses=network.SETTLEMENT_STATUSES,
            filename="doi-soat-tung-dong",
        ),
    )
}


def _filter(session: Session, page: NetworkPage) -> tuple[network.StockFilter, dict[str, str], dict[str, str]]:
    """The filter asked for, the form's values and the messages for what could not be used."""
    errors: dict[str, str] = {}
    form = {k: nfc(request.args.get(k, "")).strip()[:60] for k in KEYS}
    showroom_id = None
    if form["showroom"]:
        shop = session.exec(select(Showroom).where(Showroom.code == form["showroom"])).first()
        if shop is None:
            errors["showroom"] = f"Không có cửa hàng mã “{form['showroom'][:20]}”; đang hiển thị tất cả cửa hàng."
            form["showroom"] = ""
        else:
            showroom_id = shop.id
    days = page.days or 0
    if page.days is not None:
        raw = form["days"]
        if raw and (not raw.isdigit() or not 0 <= int(raw) <= MAX_DAYS):
            errors["days"] = f"Số ngày phải là số nguyên từ 0 đến {MAX_DAYS}; đang dùng {page.days} ngày."
        elif raw:
            days = int(raw)
        form["days"] = str(days)
    status = form["status"]
    if status and (page.statuses is None or status not in page.statuses):
        errors["status"] = "Trạng thái không hợp lệ; đang hiển thị tất cả."
        status = form["status"] = ""
    view = form["view"] if form["view"] in network.STOCK_VIEWS else "showroom"
    raw_page = request.args.get("page", "1")
    number = int(raw_page) if raw_page.isascii() and raw_page.isdigit() and 0 < len(raw_page) < 7 else 1
    tz = shop_timezone(current_app.config.get("CENTRAL_TIMEZONE") or current_app.config.get("SHOWROOM_TIMEZONE"))
    f = network.StockFilter(
        today=local_today(tz),
        showroom_id=showroom_id,
        product=form["product"],
        producer=form["producer"],
        view=view,
        days=days,
        status=status,
        page=max(number, 1),
        tz=tz,
    )
    return f, form, errors


def _args(form: dict[str, str], **changes: Any) -> dict[str, str]:
    args = {k: v for k, v in form.items() if v}
    args.update({k: str(v) for k, v in changes.items() if v not in (None, "")})
    return args


@bp.get("/")
def index() -> Any:
    """The first page: on hand per showroom and product."""
    return page("levels")


@bp.get("/<slug>")
def page(slug: str) -> Any:
    """One network stock page: its filters, one page of its table, the pager and the CSV link."""
    spec = PAGES.get(slug) or abort(404)
    session = get_session()
    f, form, errors = _filter(session, spec)
    result = spec.build(session, f)
    args = _args(form)
    return render_template(
        "central/office/network.html",
        spec=spec,
        pages=PAGES.values(),
        office_pages=office_views.PAGES.values(),
        office_args={"showroom": form["showroom"]} if form["showroom"] else {},
        paged=result,
        report=result.report,
        form=form,
        errors=errors,
        showrooms=common.showroom_choices(session),
        views=network.STOCK_VIEWS,
        cell_text=cell_text,
        csv_url=url_for(".export", slug=slug, **args),
        page_url=lambda n: url_for(".page", slug=slug, **_args(form, page=n if n > 1 else None)),
        args=args,
    )


@bp.get("/<slug>.csv")
def export(slug: str) -> Response:
    """Every row of a network stock page as CSV (UTF-8 with BOM), with the page's filters."""
    spec = PAGES.get(slug) or abort(404)
    session = get_session()
    f, form, _errors = _filter(session, spec)
    report = spec.build(session, f.whole()).report
    suffix = f"-{form['showroom']}" if form["showroom"] else ""
    name = f"{spec.filename}{suffix}-{f.today:%Y%m%d}.csv"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(to_csv(report), mimetype="text/csv", headers=headers)
