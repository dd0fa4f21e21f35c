"""Barcode label printing (in tem mã vạch): for chosen products, or for everything received on an intake."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request
from sqlmodel import Session, select

from pos.auth.access import bind_role
from pos.barcodes import BarcodeError, normalize_barcode, scale_layouts
from pos.catalog.certificates import shown_stars
from pos.catalog.models import Producer, Product
from pos.catalog.story import get_story
from pos.db import get_session, parse_id, utcnow
from pos.errors import NotFound, ValidationError
from pos.inventory.ledger import on_hand_many
from pos.inventory.models import Intake, IntakeLine
from pos.inventory.stock import local_today, stock_list
from pos.labels.render import LAYOUTS, LabelItem, render_labels
from pos.labels.weighed import weighed_label
from pos.money import format_vnd
from pos.printing import tspl
from pos.printing.transports import PrinterError, send_network
from pos.quantity import WeightError, is_weighed, parse_weight
from pos.text import fold, nfc
from pos.web import local_time

bp = Blueprint("labels", __name__, url_prefix="/labels")
bind_role(bp, "manager")

# A 5.000-label job is a few hundred A4 sheets or a full thermal roll: past that it is surely a typo,
# and the PDF would take long enough to build that the page seems to hang.
MAX_LABELS = 5000
MAX_LABELS_TEXT = format_vnd(MAX_LABELS, symbol=False)
SEARCH_LIMIT = 100
MAX_CHOICES = 500  # products ticked at once; more is not a label job a person does by hand
GENERIC_PREFIX = ["diem", "gioi", "thieu", "va", "ban", "san", "pham"]  # folded words


@dataclass
class Choice:
    """A product on the label form, with whether it is ticked and how many labels it gets."""

    product: Product
    producer_name: str
    on_hand: int
    checked: bool = False
    count: str = "1"
    error: str = ""
    weight: str = ""  # a weighed product's pack, as typed ("350", "0,35 kg")


def _layout(raw: str | None) -> str:
    """The chosen label stock, or the configured one when none is given."""
    layout = nfc(raw) or current_app.config.get("LABELS_LAYOUT", "50x30")
    if layout not in LAYOUTS:
        raise ValidationError(
            f"Khổ tem “{layout}” không có. Chọn một trong: {', '.join(LAYOUTS)}.",
            "layout",
        )
    return layout


def _parse_count(raw: str) -> int:
    """A label count typed on the form: a whole number from 1 to MAX_LABELS."""
    text = nfc(raw).replace(".", "").replace(" ", "")
    if not text:
        return 1
    if not (text.isascii() and text.isdigit()) or len(text) > 9 or not 1 <= int(text) <= MAX_LABELS:
        raise ValueError(raw)
    return int(text)


def _label_item(product: Product, today: date | None = None, line: IntakeLine | None = None) -> LabelItem:
    """What one label of ``product`` shows (food off an intake ``line``: its lot and expiry too).

    A product without a usable barcode cannot have one.
    """
    if not product.barcode:
        raise ValidationError(f"Sản phẩm “{product.name}” chưa có mã vạch, chưa in tem được.", "product_ids")
    try:
        code = normalize_barcode(product.barcode)
    except BarcodeError as exc:
        raise ValidationError(f"Mã vạch của “{product.name}” không hợp lệ: {exc}", "product_ids") from exc
    stars = shown_stars(
        product, today or local_today(current_app.config.get("SHOWROOM_TIMEZONE", "Asia/Ho_Chi_Minh"))
    )  # only while the OCOP certificate is valid
    food = line is not None and product.is_food
    story = get_story(get_session(), product.id)  # type: ignore[arg-type]
    return LabelItem(
        name=product.name,
        price_vnd=product.price_vnd,
        stars=stars,
        barcode=code,
        sku=product.sku,
        lot_code=(line.lot_code or "") if food else "",  # type: ignore[union-attr]
        expiry=line.expiry_date if food else None,  # type: ignore[union-attr]
        # Both asked for on the form (tem song ngữ, mã QR truy xuất) and printed where the story has them.
        name_en=story.name_en if request.values.get("bilingual") == "1" else "",
        trace_url=story.trace_url if request.values.get("trace_qr") == "1" else "",
    )


def _weighed_item(product: Product, weight: str) -> LabelItem:
    """The label of a weighed pack: weight, price per kg, the pack's price and a scale code the till reads."""
    try:
        grams = parse_weight(weight)
    except WeightError as exc:
        raise ValidationError(f"Khối lượng gói: {exc}", "weight") from exc
    today = local_today(current_app.config.get("SHOWROOM_TIMEZONE", "Asia/Ho_Chi_Minh"))
    return weighed_label(product, grams, scale_layouts(current_app.config), shown_stars(product, today))


def _check_total(total: int) -> None:
    if total > MAX_LABELS:
        raise ValidationError(
            f"Tổng cộng {format_vnd(total, symbol=False)} tem, vượt quá {MAX_LABELS_TEXT} tem mỗi lần in. "
            "Hãy giảm số tem hoặc in làm nhiều lần.",
            "count",
        )
    if total == 0:
        raise ValidationError("Chưa chọn tem nào để in.", "count")


def shop_line(showroom_name: str) -> str | None:
    """The showroom as a label's small top line: 'OCOP Hoàn Kiếm' rather than the full official name.

    Every showroom's name starts with the same 'Điểm giới thiệu và bán sản phẩm'; on a 40 mm label that
    phrase alone fills the line and the part that tells showrooms apart is cut off.
    """
    words = nfc(showroom_name).split()
    if [fold(word) for word in words[: len(GENERIC_PREFIX)]] == GENERIC_PREFIX:
        words = words[len(GENERIC_PREFIX) :]
    return " ".join(words) or None


def _pdf(items: list[LabelItem], layout: str, filename: str) -> Response:
    """The label PDF, shown in the browser (inline) so it can be printed straight away."""
    pdf = render_labels(items, layout=layout, showroom_name=shop_line(current_app.config.get("SHOWROOM_NAME", "")))
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _stamp() -> str:
    local = local_time(utcnow(), current_app.config.get("SHOWROOM_TIMEZONE", "Asia/Ho_Chi_Minh"))
    return local.strftime("%Y%m%d-%H%M") if local else ""


def _ids(values: list[str]) -> list[int]:
    """Product ids from the form or the query string, in order, duplicates and junk dropped."""
    seen: dict[int, None] = {}
    for value in values[:MAX_CHOICES]:
        value = value.strip()
        if value.isascii() and value.isdigit() and len(value) <= 9:
            seen.setdefault(int(value), None)
    return list(seen)


def _choices_for(session: Session, ids: list[int]) -> list[Choice]:
    """The given products (in the given order), with their producer and stock, for the form."""
    if not ids:
        return []
    rows = session.exec(
        select(Product, Producer.name)
        .join(Producer, Producer.id == Product.producer_id)  # type: ignore[arg-type]
        .where(Product.id.in_(ids))  # type: ignore[union-attr]
    ).all()
    by_id = {product.id: (product, name) for product, name in rows}
    levels = on_hand_many(session, by_id)
    return [Choice(by_id[i][0], by_id[i][1], levels[i], checked=True) for i in ids if i in by_id]


def _render_index(chosen: list[Choice], layout: str, error: str = "", status: int = 200, notice: str = "") -> Any:
    """The label form: the chosen products first, then the search results."""
    session = get_session()
    q = nfc(request.args.get("q", ""))[:100]
    producer_raw = request.args.get("producer", "")
    producer_id = parse_id(producer_raw)
    listing = stock_list(session, q=q, producer_id=producer_id, limit=SEARCH_LIMIT)
    taken = {choice.product.id for choice in chosen}
    results = [Choice(r.product, r.producer_name, r.on_hand) for r in listing.rows if r.product.id not in taken]
    producers = session.exec(select(Producer).order_by(Producer.name_search, Producer.id)).all()  # type: ignore[arg-type]
    body = render_template(
        "labels/index.html",
        choices=chosen + results,
        chosen_count=len(chosen),
        total_found=listing.total,
        shown=len(listing.rows),
        q=q,
        producer_id=producer_id,
        producers=producers,
        layouts=LAYOUTS,
        layout=layout,
        error=error,
        notice=notice,
        label_printer=current_app.config.get("LABELS_PRINTER", ""),
        max_labels=MAX_LABELS,
        max_labels_text=MAX_LABELS_TEXT,
    )
    return body, status


@bp.get("/")
def index() -> Any:
    """Choose products, a count for each and a label stock."""
    chosen = _choices_for(get_session(), _ids(request.args.getlist("product_id")))
    for choice in chosen:  # counts typed before a new search are carried over by static/js/labels.js
        choice.count = nfc(request.args.get(f"count_{choice.product.id}", "1"))[:9] or "1"
    try:
        layout = _layout(request.args.get("layout"))
    except ValidationError:
        layout = current_app.config.get("LABELS_LAYOUT", "50x30")
    return _render_index(chosen, layout)


@bp.post("/")
def print_chosen() -> Any:
    """The label PDF for the ticked products, each as many times as asked."""
    session = get_session()
    ids = _ids(request.form.getlist("product_ids"))
    chosen = _choices_for(session, ids)
    raw_layout = request.form.get("layout", "")
    try:
        layout = _layout(raw_layout)
    except ValidationError as exc:
        return _render_index(chosen, current_app.config.get("LABELS_LAYOUT", "50x30"), exc.message, 422)
    if not chosen:
        return _render_index([], layout, "Chưa chọn sản phẩm nào: đánh dấu sản phẩm cần in tem.", 422)
    items: list[LabelItem] = []
    bad = False
    for choice in chosen:
        choice.count = nfc(request.form.get(f"count_{choice.product.id}", ""))
        try:
            count = _parse_count(choice.count)
        except ValueError:
            choice.error = f"Số tem từ 1 đến {MAX_LABELS_TEXT}."
            bad = True
            continue
        try:
            if is_weighed(choice.product.sold_by):
                choice.weight = nfc(request.form.get(f"weight_{choice.product.id}", ""))[:20]
                items.extend([_weighed_item(choice.product, choice.weight)] * count)
            else:
                items.extend([_label_item(choice.product)] * count)
        except ValidationError as exc:
            choice.error = exc.message
            bad = True
    if bad:
        return _render_index(chosen, layout, "Có sản phẩm chưa in tem được, xem dòng báo lỗi bên dưới.", 422)
    try:
        _check_total(len(items))
    except ValidationError as exc:
        return _render_index(chosen, layout, exc.message, 422)
    if request.form.get("send") == "printer":
        return _to_label_printer(chosen, items, layout)
    return _pdf(items, layout, f"tem-ma-vach-{_stamp()}.pdf")


def _runs(items: list[LabelItem]) -> list[tuple[LabelItem, int]]:
    """Consecutive equal labels as (label, copies): one bitmap per product, the printer repeats it."""
    runs: list[tuple[LabelItem, int]] = []
    for item in items:
        if runs and runs[-1][0] == item:
            runs[-1] = (item, runs[-1][1] + 1)
        else:
            runs.append((item, 1))
    return runs


def _to_label_printer(chosen: list[Choice], items: list[LabelItem], layout: str) -> Any:
    """The labels as a TSPL raster job to the configured label printer; the page says whether they went."""
    address = nfc(current_app.config.get("LABELS_PRINTER", "")).strip()
    if not address:
        message = (
            'Chưa cài máy in tem: đặt địa chỉ máy in tem ([labels] printer = "192.168.1.60:9100") trong '
            "config.toml, hoặc tạo tệp PDF để in."
        )
        return _render_index(chosen, layout, message, 422)
    if layout not in tspl.ROLL_LAYOUTS:
        return _render_index(
            chosen, layout, "Máy in tem chỉ in khổ cuộn 50×30 hoặc 40×30 mm; khổ A4 hãy tạo tệp PDF.", 422
        )
    job = tspl.label_job(_runs(items), layout, shop_line(current_app.config.get("SHOWROOM_NAME", "")) or "")
    try:
        send_network(address, job, ask_status=False)
    except PrinterError as exc:
        return _render_index(
            chosen, layout, f"Tem chưa in: {exc.message} Các sản phẩm đã chọn vẫn còn trên trang.", 503
        )
    count = format_vnd(len(items), symbol=False)
    return _render_index(chosen, layout, notice=f"Đã gửi {count} tem tới máy in tem {address}.")


def _intake_lines(session: Session, intake_id: int) -> tuple[Intake, list[tuple[IntakeLine, Product]]]:
    intake = session.get(Intake, intake_id)
    if intake is None:
        raise NotFound(f"Không tìm thấy phiếu nhập kho số {intake_id}.")
    lines = session.exec(
        select(IntakeLine, Product)
        .join(Product, Product.id == IntakeLine.product_id)  # type: ignore[arg-type]
        .where(IntakeLine.intake_id == intake_id)
        .order_by(IntakeLine.line_no, IntakeLine.id)  # type: ignore[arg-type]
    ).all()
    return intake, [(line, product) for line, product in lines]


@bp.get("/intake/<int:intake_id>")
def for_intake(intake_id: int) -> Any:
    """The label PDF for an intake: exactly one label per unit received."""
    session = get_session()
    layout = _layout(request.args.get("layout"))
    _intake, lines = _intake_lines(session, intake_id)
    _check_total(sum(max(line.qty, 0) for line, _ in lines))
    items = [item for line, product in lines if line.qty > 0 for item in [_label_item(product, line=line)] * line.qty]
    return _pdf(items, layout, f"tem-ma-vach-phieu-nhap-{intake_id}.pdf")


@bp.route("/intake/<int:intake_id>/choose", methods=["GET", "POST"])
def choose_for_intake(intake_id: int) -> Any:
    """Labels for an intake with chosen counts (e.g. fewer when part of the delivery is already labelled)."""
    session = get_session()
    intake, lines = _intake_lines(session, intake_id)
    producer = session.get(Producer, intake.producer_id)
    counts = {line.id: str(max(line.qty, 0)) for line, _ in lines}
    errors: dict[int, str] = {}
    message = ""
    layout = current_app.config.get("LABELS_LAYOUT", "50x30")
    if request.method == "POST":
        try:
            layout = _layout(request.form.get("layout"))
        except ValidationError as exc:
            message = exc.message
        items: list[LabelItem] = []
        for line, product in lines:
            raw = nfc(request.form.get(f"count_{line.id}", ""))
            counts[line.id] = raw
            text = raw.replace(".", "").replace(" ", "") or "0"
            if not (text.isascii() and text.isdigit()) or len(text) > 9 or int(text) > MAX_LABELS:
                errors[line.id] = f"Số tem từ 0 đến {MAX_LABELS_TEXT}."
                continue
            if int(text):
                try:
                    items.extend([_label_item(product, line=line)] * int(text))
                except ValidationError as exc:
                    errors[line.id] = exc.message
        if errors and not message:
            message = "Có dòng chưa in tem được, xem báo lỗi bên dưới."
        if not message:
            try:
                _check_total(len(items))
            except ValidationError as exc:
                message = exc.message
        if not message:
            return _pdf(items, layout, f"tem-ma-vach-phieu-nhap-{intake_id}.pdf")
    body = render_template(
        "labels/intake.html",
        intake=intake,
        producer=producer,
        lines=lines,
        counts=counts,
        errors=errors,
        message=message,
        layouts=LAYOUTS,
        layout=layout,
        max_labels=MAX_LABELS,
        max_labels_text=MAX_LABELS_TEXT,
    )
    return body, 422 if message else 200
