"""The till (quầy thu ngân): the selling screen and its JSON API, receipts, and the VAT rate table."""

from __future__ import annotations

from contextlib import suppress
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import Blueprint, current_app, flash, jsonify, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func
from sqlmodel import Session, select
from werkzeug.wrappers import Response

from pos.auth.access import bind_role, role_required
from pos.auth.models import User
from pos.auth.services import verify_manager
from pos.barcodes import scale_layouts
from pos.baskets import sale as basket_sale
from pos.catalog.models import VAT_CLASSES, Product
from pos.customers import services as customers
from pos.db import MAX_ID, get_session, unit_of_work, utcnow
from pos.einvoice.buyer import clean_buyer
from pos.einvoice.issue import first_invoice_of_sale
from pos.einvoice.rules import rules_on
from pos.einvoice.sender import waiting_too_long
from pos.einvoice.settings import app_settings
from pos.errors import NotFound, PosError, ValidationError
from pos.inventory.ledger import on_hand_many
from pos.money import BP, parse_vnd
from pos.numbering import peek_receipt_number
from pos.printing import queue as print_queue
from pos.printing import worker as print_worker
from pos.printing.views import current_till
from pos.quantity import WeightError, parse_weight
from pos.sales import cart as carts
from pos.sales import clock, discounts, scanning, stock_rule, vat
from pos.sales.checkout import complete_sale_once, open_shift
from pos.sales.models import PAYMENT_METHODS, CartLine, Payment, Sale, SaleLine
from pos.sales.pricing import Discount, DiscountLimits, PaymentInput
from pos.sales.receipt_data import (
    count_reprint,
    discount_approvals,
    receipt_for_sale,
    transfer_payload,
    vat_breakdown,
)
from pos.sales.receipt_labels import DEFAULT_LANGUAGE, LANGUAGES, check_language, copy_language
from pos.sales.receipts import PAPERS, render_receipt
from pos.sales.till_json import cart_view
from pos.sales.vietqr import qr_svg
from pos.security import verify_manager_credentials
from pos.sync.client import get_state as get_sync_state
from pos.sync.client import unsent_older_than
from pos.text import nfc

bp = Blueprint("till", __name__, url_prefix="/till")
bind_role(bp, "cashier")

RECEIPTS_PAGE = 200


# --- helpers ------------------------------------------------------------------------------------------------


def _tz() -> str:
    return current_app.config.get("SHOWROOM_TIMEZONE", "Asia/Ho_Chi_Minh")


def _today() -> date:
    """Today in the showroom (the VAT day of a sale rung up now)."""
    return vat.local_date(utcnow(), _tz())


def _limits() -> DiscountLimits:
    config = current_app.config
    return DiscountLimits(
        cashier_bp=int(config.get("TILL_CASHIER_DISCOUNT_LIMIT_BP", 1000)),
        manager_bp=int(config.get("TILL_MANAGER_DISCOUNT_LIMIT_BP", 5000)),
    )


def _clock_tolerance_s() -> int:
    return int(float(current_app.config.get("TILL_CLOCK_TOLERANCE_MINUTES", 5)) * 60)


def _allow_negative() -> bool:
    return bool(current_app.config.get("STOCK_ALLOW_NEGATIVE", False))


def _warning_days() -> int:
    """Lots expiring within this many days are warned at the till."""
    return int(current_app.config.get("STOCK_EXPIRY_WARNING_DAYS", 30))


def customers_to_central() -> bool:
    """Config [customers] send_to_central: whether customers, and the sales' reference to them, go to central."""
    return bool(current_app.config.get("CUSTOMERS_SEND_TO_CENTRAL", False))


def loyalty_rule() -> customers.LoyaltyRule:
    """The points rule of config.toml [loyalty]."""
    config = current_app.config
    return customers.LoyaltyRule(
        int(config.get("LOYALTY_EARN_PER_VND", 10_000)), int(config.get("LOYALTY_POINT_VALUE_VND", 100))
    )


def _code() -> str:
    """This showroom's code: promotions set at the central office name the showrooms they apply to."""
    return str(current_app.config.get("SHOWROOM_CODE", ""))


def _is_manager() -> bool:
    return bool(current_user.has_role("manager"))


def _cart_json(
    session: Session, cart: Any, items: list[carts.CartItem] | None = None, grew: bool = False, **extra: Any
) -> Response:
    """The priced cart as the till page draws it (from ``items`` when the change just read them).

    ``grew``: the change added to the line ``last_line_id``, so its stock is checked now (stock_rule), before
    the customer is at the payment: refused, rolling the change back, or let through with a warning.
    """
    view = cart_view(session, cart, _today(), _limits(), _allow_negative(), items, _warning_days(), _code())
    view["customer"] = customers.till_view(customers.cart_customer(session, cart.id), loyalty_rule())
    view.update(extra)
    if grew:
        line = next((line for line in view["lines"] if line["id"] == extra.get("last_line_id")), None)
        warning = _scan_stock_warning(session, line) if line else None
        if warning:
            view["warning"] = warning
    return jsonify(view)


def _scan_stock_warning(session: Session, line: dict[str, Any]) -> str | None:
    """The stock rule for the line a scan grew; a basket counts what is assembled and what its components make."""
    if not line["is_basket"]:
        return stock_rule.check_line(line, _allow_negative())
    if not _allow_negative():
        basket_sale.check_stock(session, [(session.get(Product, line["product_id"]), int(line["qty"]))])
    return None


def _body() -> dict[str, Any]:
    """The JSON object a fetch() sent; anything else is a 422."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ValidationError("Dữ liệu gửi lên không hợp lệ. Hãy tải lại trang.", "body")
    return data


def _weight(value: Any) -> int:
    """A weight typed at the till ("350" g, "0,35" kg), in grams; 422 with the cashier's words otherwise."""
    try:
        return parse_weight(str(value))
    except WeightError as exc:
        raise ValidationError(str(exc), "qty") from exc


def _int(value: Any, field: str, label: str) -> int:
    """An integer sent as a number or as digits ('1.500.000' too); 422 otherwise."""
    if isinstance(value, bool):
        raise ValidationError(f"{label} không hợp lệ.", field)
    if isinstance(value, int):
        if abs(value) > MAX_ID:  # JSON has no limit; the database has
            raise ValidationError(f"{label} quá lớn.", field)
        return value
    if isinstance(value, str):
        text = nfc(value)
        digits = text[1:].replace(".", "")
        if text.startswith("-") and digits.isascii() and digits.isdigit() and len(digits) <= 13:
            return -int(digits)
        try:
            return parse_vnd(text)
        except ValueError:
            pass
    raise ValidationError(f"{label} phải là số nguyên.", field)


def _percent_bp(value: Any) -> int:
    """'10' -> 1000, '12,5' -> 1250 (a discount typed as a percentage)."""
    text = nfc(str(value)).replace("%", "").replace(",", ".").strip()
    whole, _, frac = text.partition(".")
    if not (whole.isascii() and whole.isdigit()) or (
        frac and not (frac.isascii() and frac.isdigit() and len(frac) <= 2)
    ):
        raise ValidationError("Phần trăm giảm giá phải là số, ví dụ 10 hoặc 12,5.", "discount_value")
    if len(whole.lstrip("0")) > 3:  # over 100% (and int() refuses a number of more than 4300 digits)
        raise ValidationError("Giảm giá không thể vượt quá 100%.", "discount_value")
    return int(whole.lstrip("0") or "0") * 100 + int(frac.ljust(2, "0") or 0)


def _discount(data: dict[str, Any]) -> Discount | None:
    """The discount typed in a dialog; an empty or zero value removes it."""
    kind = data.get("kind") or ""
    raw = data.get("value")
    if kind == "" or raw in (None, "", 0, "0"):
        return None
    if kind == "percent":
        value = _percent_bp(raw)
        if value > BP:
            raise ValidationError("Giảm giá không thể vượt quá 100%.", "discount_value")
    elif kind == "amount":
        value = _int(raw, "discount_value", "Số tiền giảm")
    else:
        raise ValidationError("Loại giảm giá không hợp lệ.", "discount_kind")
    return Discount(kind, value) if value else None


def _approver(data: dict[str, Any]) -> User | None:
    """The manager who typed their credentials into the approval prompt, if they did (throttled, audited)."""
    username = nfc(str(data.get("manager_username") or ""))
    if not username:
        return None
    return verify_manager_credentials(_discount_approver, username, str(data.get("manager_password") or ""), "discount")


def _discount_approver(session: Session, username: str, password: str) -> User:
    """The manager check, its refusals pointing at the discount dialog's approval box."""
    return verify_manager(session, username, password, field="approval")


def _pdf(data: bytes, filename: str) -> Response:
    """A PDF that opens in the browser, ready to print."""
    response = make_response(data)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _paper() -> str:
    paper = request.args.get("paper") or request.form.get("paper") or current_app.config.get("RECEIPT_PAPER", "80mm")
    if paper not in PAPERS:
        raise ValidationError("Khổ giấy không hợp lệ (80mm, 58mm hoặc a4).", "paper")
    return paper


def _receipt_language() -> str:
    """The receipt language a sale gets unless the cashier picks another: [receipt] language, else Vietnamese."""
    return check_language(current_app.config.get("RECEIPT_LANGUAGE")) or DEFAULT_LANGUAGE


def _sale(session: Session, number: str) -> Sale:
    sale = session.exec(select(Sale).where(Sale.receipt_number == nfc(number).upper())).first()
    if sale is None:
        raise NotFound(f"Không tìm thấy hóa đơn số {nfc(number)[:40]}.", "receipt")
    return sale


def _local(moment: datetime) -> datetime:
    return moment.astimezone(vat.showroom_tz(_tz()))


# --- the till screen ---------------------------------------------------------------------------------------

# Cart changes (scan, quantity, remove, clear) commit with durable=False: no fsync, so a scan answers at once;
# they survive an app or browser crash, and a power cut can lose at most the last few scans, never a sale.
# Discounts (audited approvals), park and resume stay durable: they are rare and worth the fsync.


@bp.get("/")
def index() -> Any:
    """The selling screen; without an open shift, a prompt to open one."""
    session = get_session()
    shift = open_shift(session, current_user.id)
    # Only here, on the page itself (never on a scan): a quiet word that the sync has been stuck for a day.
    unsent_old = unsent_older_than(session, hours=24)
    einvoice = app_settings(current_app)
    now = utcnow()
    rules = rules_on(vat.local_date(now, _tz()))
    problems = clock.clock_problems(session, shift, utcnow(), _clock_tolerance_s()) if shift else []
    if problems and clock.is_confirmed(session, shift, utcnow(), _clock_tolerance_s()):  # type: ignore[arg-type]
        problems = []
    return render_template(
        "till/index.html",
        shift=shift,
        limits=_limits(),
        unsent_old=unsent_old,
        till=current_till(session),
        clock_problems=problems,
        einvoice_on=einvoice is not None,
        consumer_name=rules.consumer_name,
        einvoice_late=waiting_too_long(session, now) if einvoice is not None else 0,
        einvoice_hours=rules.send_within_hours,
        receipt_languages=LANGUAGES,
        receipt_language=_receipt_language(),
    )


@bp.get("/api/cart")
def api_cart() -> Any:
    """The cashier's active cart (created empty if there is none)."""
    with unit_of_work(durable=False) as session:
        cart = carts.get_or_create_active_cart(session, current_user.id)
        return _cart_json(session, cart)


def _scan(session: Session, typed: str) -> tuple[Any, CartLine, list[Any]]:
    """Add a scanned code to the cashier's cart; 'n*code' adds n ('350*code' or '0,35*code': a weight)."""
    raw = nfc(typed)
    qty, weight = 1, None
    if "*" in raw:
        qty_text, _, raw = raw.partition("*")
        weight = qty_text.strip()  # for goods sold by weight: grams, or kg with a comma
        if weight.isascii() and weight.isdigit():
            qty = _int(weight or "0", "qty", "Số lượng")
    cart = carts.get_or_create_active_cart(session, current_user.id)
    line, items = scanning.scan_items(
        session, cart, raw, qty, _today(), weight=weight, layouts=scale_layouts(current_app.config)
    )
    return cart, line, items


@bp.post("/api/scan")
def api_scan() -> Any:
    """Add a scanned code; a bad code changes nothing."""
    with unit_of_work(durable=False) as session:
        cart, line, items = _scan(session, str(_body().get("code") or ""))
        return _cart_json(session, cart, items, grew=True, last_line_id=line.id)


@bp.post("/scan")
def scan_page() -> Response:
    """The scan form posted by the browser itself, when the page's script did not take it: a scan typed while
    the page loads, or while the browser prints a receipt from its hidden frame (which pauses the page's
    scripts). The code still reaches the cart, never lost; the till page shows it again."""
    try:
        with unit_of_work(durable=False) as session:
            _scan(session, str(request.form.get("code") or "")[:60])
    except PosError as exc:
        flash(exc.message, "error")
    return redirect(url_for("till.index"))


@bp.post("/api/lines")
def api_add() -> Any:
    """Add a product picked in the name search (with its weight typed, "350" g or "0,35" kg, if sold by weight)."""
    data = _body()
    product_id = _int(data.get("product_id"), "product_id", "Sản phẩm")
    weight = data.get("weight")
    with unit_of_work(durable=False) as session:
        cart = carts.get_or_create_active_cart(session, current_user.id)
        line = scanning.add_product(
            session, cart, product_id, today=_today(), weight=None if weight is None else str(weight)
        )
        return _cart_json(session, cart, grew=True, last_line_id=line.id)


@bp.post("/api/lines/<int:line_id>/lot")
def api_lot(line_id: int) -> Any:
    """Sell a line from the lot its pack's label names (lot_id null: back to first expiry first)."""
    raw = _body().get("lot_id")
    lot_id = None if raw is None else _int(raw, "lot_id", "Lô hàng")
    with unit_of_work(durable=False) as session:
        cart = carts.get_or_create_active_cart(session, current_user.id)
        scanning.choose_lot(session, cart, line_id, lot_id, _today())
        return _cart_json(session, cart, last_line_id=line_id)


@bp.post("/api/lines/<int:line_id>/qty")
def api_qty(line_id: int) -> Any:
    """Change a line's quantity (grams, or {"weight": "0,35"} in kg as typed, for goods sold by weight)."""
    data = _body()
    qty = _weight(data["weight"]) if data.get("weight") is not None else _int(data.get("qty"), "qty", "Số lượng")
    with unit_of_work(durable=False) as session:
        cart = carts.get_or_create_active_cart(session, current_user.id)
        known = session.get(CartLine, line_id)
        before = known.qty if known is not None else 0
        carts.set_qty(session, cart, line_id, qty)
        return _cart_json(session, cart, grew=qty > before, last_line_id=line_id)


@bp.post("/api/lines/<int:line_id>/remove")
def api_remove(line_id: int) -> Any:
    """Take a line off the sale."""
    with unit_of_work(durable=False) as session:
        cart = carts.get_or_create_active_cart(session, current_user.id)
        carts.remove_line(session, cart, line_id)
        return _cart_json(session, cart)


@bp.post("/api/lines/<int:line_id>/discount")
def api_line_discount(line_id: int) -> Any:
    """Set a line's discount; above the cashier's limit, with a manager's credentials."""
    data = _body()
    discount = _discount(data)
    approver = _approver(data)  # before the write transaction: a failed attempt is recorded in its own
    with unit_of_work() as session:
        cart = carts.get_or_create_active_cart(session, current_user.id)
        discounts.set_line_discount(
            session,
            cart,
            line_id,
            discount,
            limits=_limits(),
            actor_id=current_user.id,
            actor_is_manager=_is_manager(),
            approver=approver,
        )
        return _cart_json(session, cart, last_line_id=line_id)


@bp.post("/api/discount")
def api_sale_discount() -> Any:
    """Set the discount on the whole sale; above the cashier's limit, with a manager's credentials."""
    data = _body()
    discount = _discount(data)
    approver = _approver(data)  # before the write transaction: a failed attempt is recorded in its own
    with unit_of_work() as session:
        cart = carts.get_or_create_active_cart(session, current_user.id)
        discounts.set_sale_discount(
            session,
            cart,
            discount,
            limits=_limits(),
            actor_id=current_user.id,
            actor_is_manager=_is_manager(),
            approver=approver,
        )
        return _cart_json(session, cart)


@bp.post("/api/clear")
def api_clear() -> Any:
    """Empty the sale on screen."""
    with unit_of_work(durable=False) as session:
        cart = carts.get_or_create_active_cart(session, current_user.id)
        carts.clear_cart(session, cart)
        return _cart_json(session, cart)


@bp.post("/api/park")
def api_park() -> Any:
    """Park the sale on screen and start a new one."""
    label = nfc(str(_body().get("label") or ""))
    with unit_of_work() as session:
        cart = carts.get_or_create_active_cart(session, current_user.id)
        fresh = carts.park(session, cart, label)
        return _cart_json(session, fresh)


@bp.get("/api/parked")
def api_parked() -> Any:
    """The cashier's parked sales."""
    parked = carts.list_parked(get_session(), current_user.id, _today(), _code())
    for item in parked:
        item["parked_at"] = _local(datetime.fromisoformat(item["parked_at"])).strftime("%H:%M %d/%m")
    return jsonify({"parked": parked})


@bp.post("/api/parked/<int:cart_id>/resume")
def api_resume(cart_id: int) -> Any:
    """Bring a parked sale back to the screen."""
    with unit_of_work() as session:
        cart = carts.resume(session, current_user.id, cart_id)
        return _cart_json(session, cart)


@bp.get("/api/search")
def api_search() -> Any:
    """Products by name (with or without diacritics), SKU or barcode, for goods without a label."""
    session = get_session()
    products = scanning.search_products(session, request.args.get("q", "")[:100])
    stock = on_hand_many(session, [p.id for p in products])  # type: ignore[misc]
    return jsonify(
        {
            "products": [
                {
                    "id": p.id,
                    "name": p.name,
                    "sku": p.sku,
                    "barcode": p.barcode,
                    "unit": p.unit,
                    "price_vnd": p.price_vnd,
                    "on_hand": stock.get(p.id, 0),  # type: ignore[arg-type]
                }
                for p in products
            ]
        }
    )


@bp.get("/api/vietqr")
def api_vietqr() -> Any:
    """The VietQR for a transfer of ``amount`` with the receipt number this sale will most likely get."""
    amount = _int(request.args.get("amount", ""), "amount", "Số tiền chuyển khoản")
    if amount <= 0:
        raise ValidationError("Số tiền chuyển khoản phải lớn hơn 0.", "amount")
    number = peek_receipt_number(get_session(), current_app.config.get("SHOWROOM_CODE", "SR01"), _today().year)
    payload = transfer_payload(current_app.config, amount, number)
    if payload is None:
        raise PosError("Chưa cấu hình tài khoản ngân hàng (bank.bin, bank.account) trong config.toml.", "bank")
    return jsonify(
        {
            "amount_vnd": amount,
            "receipt_number": number,
            "payload": payload,
            "svg": qr_svg(payload),
            "account": current_app.config.get("BANK_ACCOUNT", ""),
            "account_name": current_app.config.get("BANK_ACCOUNT_NAME", ""),
        }
    )


def _payments(raw: Any) -> list[PaymentInput]:
    if not isinstance(raw, list) or len(raw) > 10:
        raise ValidationError("Danh sách thanh toán không hợp lệ.", "payments")
    payments = []
    for item in raw:
        if not isinstance(item, dict):
            raise ValidationError("Danh sách thanh toán không hợp lệ.", "payments")
        method = str(item.get("method") or "")
        label = PAYMENT_METHODS.get(method, "Số tiền")
        amount = _int(item.get("amount_vnd"), "payments", f"Số tiền {label.lower()}")
        payments.append(PaymentInput(method, amount, nfc(str(item.get("reference") or ""))))
    return payments


@bp.post("/api/checkout")
def api_checkout() -> Any:
    """Complete the sale: re-priced here, one transaction, at most once per idempotency key."""
    data = _body()
    expected = data.get("expected_total_vnd")
    config = current_app.config
    einvoice = app_settings(current_app)
    after: dict[str, Any] = {}

    def _next_cart(session: Session, sale: Sale) -> None:
        """In the sale's own transaction: its payments and the next customer's cart, read and priced once."""
        after["payments"] = session.exec(select(Payment).where(Payment.sale_id == sale.id)).all()
        after["print_job"] = print_queue.queue_receipt(session, sale.id, sale.receipt_number, sale.shift_id)  # type: ignore[arg-type]
        cart, items = carts.active_cart_items(session, current_user.id)
        # Never undo the sale for the next cart's sake: a cart that cannot be priced is priced again below.
        with suppress(PosError):
            after["cart"] = cart_view(
                session, cart, _today(), _limits(), _allow_negative(), items, _warning_days(), _code()
            )
            after["cart"]["customer"] = None

    sale = complete_sale_once(
        unit_of_work,
        _next_cart,
        cart_id=_int(data.get("cart_id"), "cart", "Mã đơn"),
        payments=_payments(data.get("payments")),
        cashier_id=current_user.id,
        idempotency_key=data.get("idempotency_key"),
        showroom_code=config.get("SHOWROOM_CODE", "SR01"),
        allow_negative=_allow_negative(),
        now=utcnow(),
        tz_name=_tz(),
        limits=_limits(),
        expected_total_vnd=None if expected is None else _int(expected, "total", "Tổng tiền"),
        clock_tolerance_s=_clock_tolerance_s(),
        einvoice=einvoice,
        buyer=clean_buyer(data.get("buyer")) if einvoice and isinstance(data.get("buyer"), dict) else None,
        loyalty=loyalty_rule(),
        customer_to_central=customers_to_central(),
        receipt_language=data.get("receipt_language") or _receipt_language(),
    )
    payments, fresh = after["payments"], after.get("cart")
    job = after.get("print_job")
    if job is not None:
        print_worker.notify(current_app)
    if fresh is None:  # the cart on screen could not be priced (a VAT rate missing): say so now, sale kept
        with unit_of_work(durable=False) as write:
            fresh = cart_view(
                write,
                carts.get_or_create_active_cart(write, current_user.id),
                _today(),
                _limits(),
                _allow_negative(),
                warning_days=_warning_days(),
                showroom_code=_code(),
            )
    return jsonify(
        {
            "receipt_number": sale.receipt_number,
            "receipt_url": url_for("till.receipt_pdf", number=sale.receipt_number),
            "detail_url": url_for("till.receipt", number=sale.receipt_number),
            "total_vnd": sale.total_vnd,
            "change_vnd": sum(p.change_vnd or 0 for p in payments),
            "tendered_vnd": sum(p.tendered_vnd or 0 for p in payments),
            "cart": fresh,
            # The till's ESC/POS printer prints it from the queue; else this browser prints it in a hidden frame.
            "print": {"mode": "escpos", "job": job.id}
            if job is not None
            else {"mode": "browser", "url": url_for("printing.receipt_print", number=sale.receipt_number)},
        }
    )


# --- the PC's clock --------------------------------------------------------------------------------------------


@bp.route("/clock", methods=["GET", "POST"])
def clock_page() -> Any:
    """The PC's clock against the last sale, the shift's opening and the central server; a manager confirms it."""
    shift = open_shift(get_session(), current_user.id)
    error, status = "", 200
    if request.method == "POST" and shift is not None:
        try:
            manager = verify_manager_credentials(
                verify_manager, request.form.get("manager_username"), request.form.get("manager_password"), "clock"
            )
            with unit_of_work() as session:
                clock.confirm_clock(session, shift, manager, utcnow(), _clock_tolerance_s())
        except PosError as exc:
            error, status = exc.message, exc.status
        else:
            flash(f"Quản lý {manager.full_name} đã xác nhận giờ máy tính cho ca này; có thể bán tiếp.", "success")
            return redirect(url_for("till.index"))
    session = get_session()
    now = utcnow()
    page = render_template(
        "till/clock.html",
        now=now,
        shift=shift,
        problems=clock.clock_problems(session, shift, now, _clock_tolerance_s()),
        last_sale=session.scalar(select(func.max(Sale.created_at))),
        central=clock.central_time_at_last_sync(get_sync_state(session)),
        error=error,
    )
    return page, status


# --- receipts -----------------------------------------------------------------------------------------------


def _day_range(day: date) -> tuple[datetime, datetime]:
    """The UTC instants bounding a local calendar day."""
    tz = vat.showroom_tz(_tz())
    start = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    return start, end


def _parse_day(raw: str, field: str = "date") -> date | None:
    """'24/11/2026' as typed (or '2026-11-24' from a date picker); None when blank."""
    raw = nfc(raw)
    if not raw:
        return None
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            day = datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
        if 2000 <= day.year <= 2100:  # 31/12/9999 has no next day to end a search at
            return day
        break
    raise ValidationError("Ngày không hợp lệ; nhập theo dạng dd/mm/yyyy, ví dụ 01/01/2027.", field)


@bp.get("/receipts")
def receipts() -> Any:
    """Find a past receipt by number (typed or scanned from its barcode) or by day."""
    session = get_session()
    query = nfc(request.args.get("q", ""))[:40].upper()
    error = None
    try:
        day = _parse_day(request.args.get("date", "")) or (None if query else _today())
    except ValidationError as exc:
        error, day = exc.message, _today()
    statement = select(Sale, User).join(User, User.id == Sale.cashier_id)  # type: ignore[arg-type]
    if query:
        exact = session.exec(select(Sale).where(Sale.receipt_number == query)).first()
        if exact is not None:
            return redirect(url_for("till.receipt", number=exact.receipt_number))
        statement = statement.where(Sale.receipt_number.contains(query))  # type: ignore[attr-defined]
    if day is not None:
        start, end = _day_range(day)
        statement = statement.where(Sale.created_at >= start, Sale.created_at < end)
    rows = session.exec(statement.order_by(Sale.created_at.desc()).limit(RECEIPTS_PAGE)).all()  # type: ignore[attr-defined]
    sale_ids = [sale.id for sale, _ in rows]
    methods: dict[int, set[str]] = {}
    for sale_id, method in session.exec(select(Payment.sale_id, Payment.method).where(Payment.sale_id.in_(sale_ids))):  # type: ignore[attr-defined]
        methods.setdefault(sale_id, set()).add(method)
    items = dict(
        session.exec(
            select(SaleLine.sale_id, func.sum(SaleLine.qty))
            .where(SaleLine.sale_id.in_(sale_ids))
            .group_by(SaleLine.sale_id)  # type: ignore[attr-defined]
        ).all()
    )
    return render_template(
        "till/receipts.html",
        rows=rows,
        methods=methods,
        items=items,
        query=query,
        day=day,
        error=error,
        method_names=PAYMENT_METHODS,
        limit=RECEIPTS_PAGE,
    )


@bp.get("/receipts/<number>")
def receipt(number: str) -> Any:
    """One past receipt: its lines and payments, reprint and return."""
    session = get_session()
    sale = _sale(session, number)
    lines = session.exec(select(SaleLine).where(SaleLine.sale_id == sale.id).order_by(SaleLine.line_no)).all()
    payments = session.exec(select(Payment).where(Payment.sale_id == sale.id)).all()
    return render_template(
        "till/receipt.html",
        sale=sale,
        lines=lines,
        payments=payments,
        vat=vat_breakdown(list(lines)),
        approvals=discount_approvals(session, sale, list(lines)),
        cashier=session.get(User, sale.cashier_id),
        method_names=PAYMENT_METHODS,
        papers=PAPERS,
        paper=current_app.config.get("RECEIPT_PAPER", "80mm"),
        receipt_languages=LANGUAGES,
        is_invoice=first_invoice_of_sale(session, sale.id) is not None,  # type: ignore[arg-type]
    )


@bp.get("/receipts/<number>.pdf")
def receipt_pdf(number: str) -> Any:
    """The receipt PDF; ?copy=n draws the n-th reprint, marked BẢN SAO; ?language=en a copy in English."""
    session = get_session()
    sale = _sale(session, number)
    copy = _int(request.args.get("copy", "0"), "copy", "Lần in")
    if not 0 <= copy <= sale.reprint_count:
        raise NotFound("Không có bản in lại này; hãy bấm “In lại” trên trang hóa đơn.", "copy")
    contents = request.args.get("contents") == "1"  # gift baskets' contents, when the customer asks
    language = copy_language(request.args.get("language"))
    data = receipt_for_sale(
        session, sale, current_app.config, copy_number=copy, show_contents=contents, language=language
    )
    suffix = f"-ban-sao-{copy}" if copy else ""
    return _pdf(render_receipt(data, _paper()), f"{sale.receipt_number}{suffix}.pdf")


@bp.post("/receipts/<number>/reprint")
def reprint(number: str) -> Any:
    """Print a receipt again: counted, audited, and marked as a copy (BẢN SAO); in another language if asked."""
    paper = _paper()
    language = copy_language(request.form.get("language"))
    with unit_of_work() as session:
        sale = _sale(session, number)
        if language == sale.receipt_language:
            language = None  # the sale's own: the copy follows the sale
        copy = count_reprint(session, sale, current_user.id, language)  # type: ignore[arg-type]
        till = current_till(session)
        job = print_queue.enqueue(
            session,
            till.id,
            "receipt",
            sale.receipt_number,
            copy_number=copy,
            language=language or "",
            created_by_id=current_user.id,
        )
    if job is not None:  # the till's own printer prints the copy; the cashier stays on the page
        print_worker.notify(current_app)
        flash(f"Đã gửi bản sao hóa đơn {sale.receipt_number} tới máy in {till.name}.", "success")
        return redirect(url_for("till.receipt", number=sale.receipt_number))
    return redirect(url_for("till.receipt_pdf", number=sale.receipt_number, copy=copy, paper=paper, language=language))


# --- VAT rates (managers) -----------------------------------------------------------------------------------


@bp.route("/vat-rates", methods=["GET", "POST"])
@role_required("manager")
def vat_rates() -> Any:
    """The dated VAT table: see which rate applies when, and add a rate from a date on."""
    errors: dict[str, str] = {}
    form = {"vat_class": "standard", "valid_from": "", "rate": "", "note": ""}
    status = 200
    if request.method == "POST":
        form = {key: nfc(request.form.get(key, "")) for key in form}
        try:
            valid_from = _parse_day(form["valid_from"], "valid_from")
            if valid_from is None:
                raise ValidationError("Chọn ngày bắt đầu áp dụng.", "valid_from")
            rate_bp = vat.parse_rate_percent(form["rate"])
            with unit_of_work() as session:
                vat.add_rate(session, form["vat_class"], valid_from, rate_bp, form["note"], current_user.id)
        except PosError as exc:
            errors[exc.field if exc.field in form else "form"] = exc.message
            status = exc.status
        else:
            flash(f"Đã thêm thuế suất {form['rate']}% từ ngày {valid_from:%d/%m/%Y}.", "success")
            return redirect(url_for("till.vat_rates"))
    session = get_session()
    today = _today()
    current = vat.rates_on(session, today)
    order = list(VAT_CLASSES)
    rows = sorted(
        vat.list_rates(session), key=lambda r: (order.index(r.vat_class) if r.vat_class in order else 99, r.valid_from)
    )
    in_force = {}
    for row in rows:  # the row in force per class is the latest one not after today
        if row.valid_from <= today:
            in_force[row.vat_class] = row.id
    return (
        render_template(
            "till/vat_rates.html",
            rows=rows,
            in_force=in_force,
            current=current,
            today=today,
            classes=VAT_CLASSES,
            form=form,
            errors=errors,
        ),
        status,
    )
