"""Blueprints, template filters and response headers for the showroom's pages."""

from __future__ import annotations

import importlib
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Flask, redirect, render_template, url_for
from flask.json.provider import DefaultJSONProvider
from flask_login import current_user, login_required
from werkzeug.routing import IntegerConverter
from werkzeug.wrappers import Response

from pos.db import MAX_ID
from pos.money import format_bp, format_vnd
from pos.quantity import format_qty, format_unit_price, is_weighed, line_amount, qty_number

main = Blueprint("main", __name__)


@main.get("/")
@login_required
def index() -> Any:
    """The home page: the till for a cashier, the back office for a manager."""
    from flask import current_app

    if current_user.role == "cashier" and "till.index" in current_app.view_functions:
        return redirect(url_for("till.index"))
    from pos.catalog.certificates import expiring_certificates
    from pos.db import get_session

    today = datetime.now(ZoneInfo(current_app.config.get("SHOWROOM_TIMEZONE", "Asia/Ho_Chi_Minh"))).date()
    lapsing = []
    if current_user.has_role("manager"):
        days = int(current_app.config.get("OCOP_CERTIFICATE_WARNING_DAYS", 90))
        lapsing = expiring_certificates(get_session(), today, days)
    return render_template("main/index.html", lapsing=lapsing, today=today)


@main.get("/healthz")
def healthz() -> dict[str, str]:
    """A liveness probe for scripts and the crash bench."""
    return {"status": "ok"}


def local_time(value: datetime | None, tz: str) -> datetime | None:
    """An aware UTC datetime in the showroom's time zone."""
    return None if value is None else value.astimezone(ZoneInfo(tz))


class DatabaseIdConverter(IntegerConverter):
    """``<int:...>`` in a URL: no larger than a database INTEGER, so /stock/99999999999999999999 is a 404."""

    def __init__(self, map: Any, fixed_digits: int = 0, min: int | None = None, max: int | None = None) -> None:
        super().__init__(map, fixed_digits, min, MAX_ID if max is None else max)


class SafeJSONProvider(DefaultJSONProvider):
    """Flask's JSON, except that a body nested too deep to parse ("[[[[..." ) is bad JSON, not a crash."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError as exc:  # request.get_json() turns a ValueError into "not JSON"
            raise ValueError("JSON nested too deeply") from exc


def register_web(app: Flask, blueprints: bool = True) -> None:
    """Attach filters, headers and every blueprint that exists in this build (the central server: none)."""
    tz = app.config.get("SHOWROOM_TIMEZONE", "Asia/Ho_Chi_Minh")
    app.url_map.converters["int"] = DatabaseIdConverter  # before any blueprint adds its routes
    app.json = SafeJSONProvider(app)

    @app.template_filter("valid_stars")
    def _valid_stars(product: Any) -> int | None:
        """The product's stars while its OCOP certificate is valid (stars on a lapsed certificate are not shown)."""
        from pos.catalog.certificates import shown_stars

        return shown_stars(product, datetime.now(ZoneInfo(tz)).date())

    @app.template_filter("vnd")
    def _vnd(amount: int | None) -> str:
        return "" if amount is None else format_vnd(amount)

    @app.template_filter("qty")
    def _qty(qty: int | None, sold_by: str | None = None, unit: str = "", signed: bool = False) -> str:
        """A quantity in display units: '0,350 kg' for grams of goods sold by weight, '2 hộp' for pieces; with
        ``signed`` a change ('+2', '-0,100 kg')."""
        return "" if qty is None else format_qty(qty, sold_by, "" if is_weighed(sold_by) else unit, signed)

    @app.template_filter("unit_price")
    def _unit_price(amount: int | None, sold_by: str | None = None) -> str:
        """'120.000 ₫/kg' for goods sold by weight, '45.000 ₫' for a piece."""
        return "" if amount is None else format_unit_price(amount, sold_by)

    @app.template_filter("line_amount")
    def _line_amount(qty: int, unit_price_vnd: int, sold_by: str | None = None) -> int:
        """qty × unit price, grams × price per kg rounded half-up (pos/quantity.py's one rule)."""
        return line_amount(qty, unit_price_vnd, sold_by)

    @app.template_filter("qty_number")
    def _qty_number(qty: int | None, sold_by: str | None = None) -> str:
        """A quantity under a unit (ĐVT) column: '1.250' pieces, '1,250' kg; nothing is '0' either way."""
        return "" if qty is None else qty_number(qty, sold_by) if qty else "0"

    @app.template_filter("bp")
    def _bp(rate: int | None) -> str:
        return "" if rate is None else format_bp(rate)

    @app.template_filter("dmy")
    def _dmy(value: date | datetime | None) -> str:
        if value is None:
            return ""
        if isinstance(value, datetime):
            value = local_time(value, tz)
        return value.strftime("%d/%m/%Y")  # type: ignore[union-attr]

    @app.template_filter("dmyhm")
    def _dmyhm(value: datetime | None) -> str:
        local = local_time(value, tz)
        return "" if local is None else local.strftime("%d/%m/%Y %H:%M")

    @app.context_processor
    def _globals() -> dict[str, Any]:
        return {
            "showroom_name": app.config.get("SHOWROOM_NAME", ""),
            "showroom_code": app.config.get("SHOWROOM_CODE", ""),
            "has_view": lambda name: name in app.view_functions,
        }

    @app.after_request
    def _security_headers(response: Response) -> Response:
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
            "object-src 'none'; frame-src 'self'; frame-ancestors 'self'; base-uri 'self'; form-action 'self'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    if not blueprints:
        return
    from pos.auth.views import bp as auth_bp

    app.register_blueprint(main)
    app.register_blueprint(auth_bp)
    for module in FEATURE_BLUEPRINTS:
        app.register_blueprint(importlib.import_module(module).bp)


# Each feature's blueprint (the module's ``bp``), in menu order.
FEATURE_BLUEPRINTS = [
    "pos.catalog.views",
    "pos.baskets.views",
    "pos.promotions.views",
    "pos.customers.views",
    "pos.orders.views",
    "pos.orders.delivery_views",
    "pos.inventory.views",
    "pos.inventory.stock_views",
    "pos.inventory.transfer_views",
    "pos.inventory.stocktake_views",
    "pos.labels.views",
    "pos.sales.views",
    "pos.sales.shift_views",
    "pos.printing.views",
    "pos.sync.views",
    "pos.einvoice.views",
    "pos.reports.views",
    "pos.audit.views",
    "pos.settlement.views",
    "pos.staff.views",
]
