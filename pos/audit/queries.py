"""Reading the audit log (nhật ký thao tác): filters, pages, and before/after made readable.

Nothing here writes: the log is appended to by pos.audit.log.record and never edited or deleted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, or_
from sqlmodel import Session, select

from pos.audit.models import AuditEntry
from pos.auth.models import ROLES, User
from pos.catalog.models import VAT_CLASSES
from pos.inventory.models import ADJUSTMENT_REASONS
from pos.money import format_bp, format_vnd
from pos.sales.models import PAYMENT_METHODS
from pos.sales.receipt_labels import LANGUAGES

ACTION_LABELS: dict[str, str] = {
    "login": "Đăng nhập",
    "login.failed": "Đăng nhập thất bại",
    "logout": "Đăng xuất",
    "user.create": "Tạo người dùng",
    "user.update": "Sửa người dùng",
    "user.role": "Đổi vai trò người dùng",
    "user.password": "Đổi mật khẩu",
    "user.deactivate": "Khóa người dùng",
    "user.activate": "Mở khóa người dùng",
    "product.create": "Thêm sản phẩm",
    "product.update": "Sửa sản phẩm",
    "product.price": "Đổi giá bán",
    "producer.commission": "Đổi hoa hồng nhà sản xuất",
    "vat_rate.create": "Thêm thuế suất GTGT",
    "discount.approve": "Duyệt giảm giá",
    "discount.approval.lapsed": "Duyệt giảm giá hết hiệu lực (đơn đã thay đổi)",
    "sale.discount.approved": "Bán với giảm giá đã duyệt",
    "clock.confirm": "Quản lý xác nhận giờ máy tính",
    "approval.failed": "Quản lý xác nhận sai mật khẩu",
    "sale.void": "Hủy đơn",
    "refund": "Trả hàng / hoàn tiền",
    "order.quote": "Lập / sửa báo giá",
    "order.confirm": "Đặt hàng (giữ hàng cho đơn)",
    "order.payment": "Ghi nhận chuyển khoản cho đơn hàng",
    "order.fulfil": "Giao đơn hàng (lập hóa đơn)",
    "order.cancel": "Hủy báo giá / đơn hàng",
    "customer.points.short": "Trả hàng: khách đã dùng điểm, không thu hồi đủ điểm tích lũy",
    "intake.create": "Nhập kho",
    "stock.adjust": "Điều chỉnh tồn kho",
    "stock.count": "Kiểm kê",
    "cash.in": "Nộp tiền vào két",
    "cash.out": "Rút tiền khỏi két",
    "shift.open": "Mở ca",
    "shift.count": "Đếm tiền cuối ca",
    "shift.close": "Đóng ca",
    "shift.signoff": "Duyệt chênh lệch tiền cuối ca",
    "receipt.reprint": "In lại hóa đơn (BẢN SAO)",
    "settlement.create": "Lập biên bản đối soát",
    "settlement.pay": "Thanh toán cho nhà sản xuất",
    "backup": "Sao lưu dữ liệu",
    "restore": "Khôi phục dữ liệu",
    "sync.push": "Đồng bộ dữ liệu",
    "settlement_close": "Chốt biên bản đối soát",
    "settlement_paid": "Ghi nhận đã thanh toán cho nhà sản xuất",
    "return_to_producer": "Trả hàng cho nhà sản xuất",
    "product.story": "Sửa câu chuyện sản phẩm",
    "product.certificate": "Cập nhật giấy chứng nhận OCOP",
    "invoice.correct_buyer": "Sửa người mua trên hóa đơn điện tử",
    "invoice.resend": "Gửi lại hóa đơn điện tử",
    "order.deliver": "Giao một phần đơn hàng",
    "customer.save": "Lưu thông tin khách hàng",
    "customer.erase": "Xóa dữ liệu cá nhân của khách",
    "basket.save": "Lưu giỏ quà",
    "basket.assemble": "Đóng giỏ quà",
    "basket.disassemble": "Tháo giỏ quà",
    "lot.recall": "Thu hồi lô hàng",
    "stocktake.open": "Mở phiên kiểm kê",
    "stocktake.correct": "Sửa số đếm kiểm kê",
    "stocktake.approve": "Duyệt kiểm kê",
    "stocktake.cancel": "Hủy phiên kiểm kê",
    "transfer_out": "Lập phiếu chuyển kho đi",
    "transfer_in": "Nhận hàng chuyển kho",
    "transfer_cancel": "Hủy phiếu chuyển kho",
    "transfer_cancelled_by_sender": "Phiếu chuyển đến bị bên gửi hủy",
    "transfer_cancel_overruled": "Hủy phiếu chuyển kho không được chấp nhận (đã nhận hàng)",
    "transfer_receipt_restored": "Ghi lại biên nhận chuyển kho sau khôi phục (theo máy chủ trung tâm)",
    "transfer_receipt_replaced": "Biên nhận chuyển kho thứ hai bị trung tâm từ chối: kho theo biên nhận đã ghi",
    "transfer_out_restored": "Ghi lại phiếu chuyển kho đi sau khôi phục (theo máy chủ trung tâm)",
    "transfer_cancel_restored": "Ghi lại lệnh hủy phiếu chuyển kho sau khôi phục (theo máy chủ trung tâm)",
    "promotion.save": "Lưu khuyến mãi",
    "promotion.central": "Nhận khuyến mãi từ văn phòng trung tâm",
    "counter.bump": "Nâng số chứng từ sau khôi phục",
    "till.add": "Thêm quầy thu ngân",
    "till.settings": "Sửa cài đặt quầy và máy in",
    "drawer.open": "Mở ngăn kéo tiền không bán hàng",
}

ENTITY_LABELS: dict[str, str] = {
    "user": "Người dùng",
    "product": "Sản phẩm",
    "producer": "Nhà sản xuất",
    "vatrate": "Thuế suất GTGT",
    "cart": "Đơn đang bán",
    "sale": "Đơn bán hàng",
    "salereturn": "Phiếu trả hàng",
    "companyorder": "Đơn hàng công ty",
    "shift": "Ca làm việc",
    "cashmovement": "Tiền vào/ra két",
    "intake": "Phiếu nhập kho",
    "settlement": "Biên bản đối soát",
    "database": "Cơ sở dữ liệu",
    "invoice": "Hóa đơn điện tử",
    "customer": "Khách hàng",
    "lot": "Lô hàng",
    "stocktake": "Phiên kiểm kê",
    "transfer": "Phiếu chuyển kho",
    "promotion": "Khuyến mãi",
    "counter": "Bộ đếm số chứng từ",
    "till": "Quầy thu ngân",
}

FIELD_LABELS: dict[str, str] = {
    "username": "Tên đăng nhập",
    "sku": "Mã SKU",
    "barcode": "Mã vạch",
    "producer": "Nhà sản xuất",
    "delivery_note_number": "Số phiếu giao hàng",
    "lines": "Số dòng hàng",
    "reset": "Đặt lại",
    "full_name": "Họ tên",
    "role": "Vai trò",
    "is_active": "Đang hoạt động",
    "price_vnd": "Giá bán",
    "cost_vnd": "Giá vốn",
    "commission_bp": "Hoa hồng",
    "rate_bp": "Thuế suất",
    "vat_class": "Nhóm thuế",
    "valid_from": "Áp dụng từ",
    "on": "Áp dụng cho",
    "kind": "Loại",
    "value": "Mức",
    "amount_vnd": "Số tiền",
    "base_vnd": "Trên số tiền",
    "cashier_id": "Thu ngân",
    "status": "Trạng thái",
    "reason": "Lý do",
    "note": "Ghi chú",
    "on_hand": "Tồn kho",
    "qty": "Số lượng",
    "qty_delta": "Thay đổi số lượng",
    "receipt_number": "Số hóa đơn",
    "return_number": "Số phiếu trả hàng",
    "refund_method": "Hình thức hoàn tiền",
    "total_vnd": "Tổng tiền",
    "opening_float_vnd": "Tiền đầu ca",
    "counted_cash_vnd": "Tiền đếm thực tế",
    "expected_cash_vnd": "Tiền theo sổ",
    "difference_vnd": "Chênh lệch",
    "threshold_vnd": "Ngưỡng chênh lệch",
    "closed_by": "Người đóng ca",
    "requested_by": "Người yêu cầu",
    "copy": "Lần in",
    "file": "Tệp",
    "previous": "Dữ liệu cũ giữ tại",
    "purpose": "Việc cần duyệt",
    "manager_username": "Tên đăng nhập của quản lý",
    "approved_by": "Quản lý duyệt",
    "approved_by_id": "Quản lý duyệt",
    "name": "Tên",
    "clock": "Giờ máy tính lúc xác nhận",
    "problems": "Điều bất thường",
    "number": "Số chứng từ",
    "period": "Kỳ",
    "net_sales_vnd": "Doanh thu thuần",
    "commission_vnd": "Hoa hồng cửa hàng",
    "amount_owed_vnd": "Phải thanh toán cho nhà sản xuất",
    "reference": "Chứng từ / mã giao dịch",
    "till": "Quầy",
    "till_id": "Quầy (mã nội bộ)",
    "asked_by": "Người yêu cầu",
    "authority": "Cơ quan cấp",
    "issued_on": "Ngày cấp",
    "valid_until": "Hiệu lực đến",
    "ocop_cert_number": "Số giấy chứng nhận OCOP",
    "ocop_stars": "Hạng sao OCOP",
    "components": "Thành phần giỏ quà",
    "packaging": "Bao bì",
    "items": "Sản phẩm áp dụng",
    "discount_bp": "Chiết khấu",
    "counts": "Số tờ theo mệnh giá",
    "counted": "Số đếm",
    "counted_lines": "Số dòng đã đếm",
    "frozen_lines": "Số dòng chốt sổ",
    "frozen_movement_id": "Chốt sổ đến bút toán kho số",
    "lines_changed": "Số dòng điều chỉnh",
    "cost_difference_vnd": "Chênh lệch theo giá vốn",
    "retail_difference_vnd": "Chênh lệch theo giá bán",
    "lot_code": "Số lô",
    "lot_id": "Lô hàng (mã nội bộ)",
    "product_id": "Sản phẩm (mã nội bộ)",
    "sale_id": "Đơn bán (mã nội bộ)",
    "return_id": "Phiếu trả hàng (mã nội bộ)",
    "movement_uuid": "Mã bút toán kho",
    "from": "Từ cửa hàng",
    "to": "Đến cửa hàng",
    "state": "Trạng thái",
    "due": "Điểm phải trừ",
    "taken": "Điểm đã trừ",
    "forgiven": "Điểm bỏ qua (khách đã dùng)",
    "points_taken": "Điểm đã trừ",
    "points_forgiven": "Điểm bỏ qua (khách đã dùng)",
    "code": "Mã",
    "printer_kind": "Loại máy in",
    "printer_address": "Địa chỉ máy in",
    "paper": "Khổ giấy",
    "dots_per_line": "Điểm mỗi dòng",
    "has_drawer": "Có ngăn kéo tiền",
    "drawer_pin": "Chân ngăn kéo",
    "name_en": "Tên tiếng Anh",
    "description_vi": "Mô tả ngắn (tiếng Việt)",
    "description_en": "Mô tả ngắn (tiếng Anh)",
    "origin_commune": "Xã / phường",
    "origin_district": "Huyện / quận",
    "origin_province": "Tỉnh / thành phố",
    "producer_story": "Câu chuyện của nhà sản xuất",
    "trace_url": "Đường dẫn truy xuất nguồn gốc",
    "target": "Áp dụng cho",
    "target_value": "Đối tượng áp dụng",
    "starts_at": "Bắt đầu",
    "ends_at": "Kết thúc",
    "borne_by": "Bên chịu chi phí",
    "showrooms": "Cửa hàng áp dụng",
    "buyer_name": "Người mua",
    "buyer_company": "Tên công ty",
    "buyer_tax_code": "Mã số thuế",
    "shift_id": "Ca làm việc số",
    "exceeds_expected_cash": "Vượt số tiền theo sổ",
    "percent_bp": "Phần trăm giảm",
    "language": "Ngôn ngữ hóa đơn",
    "buy_qty": "Mua",
    "get_qty": "Tặng",
    "delivery": "Lần giao",
    "prepaid_vnd": "Đã trả trước",
    "paid_at_till_vnd": "Trả tại quầy",
    "completes": "Giao đủ đơn",
    "cancelled_at": "Hủy lúc",
    "received_at": "Nhận lúc",
    "received_by": "Người nhận",
    "unknown_here": "Sản phẩm chưa có ở cửa hàng này",
    "central_uuid": "Mã của văn phòng trung tâm",
}
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)?")
SHOWROOM_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

# Codes shown in Vietnamese, per field: "admin" is a role in "role" but a username in "username".
VALUE_LABELS: dict[str, dict[str, str]] = {
    "role": ROLES,
    "method": PAYMENT_METHODS,
    "refund_method": PAYMENT_METHODS,
    "reason": ADJUSTMENT_REASONS,
    "vat_class": VAT_CLASSES,
    "language": LANGUAGES,
    "kind": {"percent": "Theo phần trăm", "amount": "Theo số tiền", "in": "Nộp vào két", "out": "Rút khỏi két"},
    "status": {"completed": "Hoàn tất", "voided": "Đã hủy", "open": "Đang mở", "closed": "Đã đóng"},
    "on": {"sale": "Cả đơn"},
    "purpose": {
        "discount": "Giảm giá",
        "shift.signoff": "Chênh lệch tiền cuối ca",
        "void": "Hủy đơn",
        "clock": "Giờ máy tính",
    },
}
USER_ID_FIELDS = {"cashier_id", "user_id", "actor_id", "approved_by_id", "manager_id", "created_by_id"}


def action_label(action: str) -> str:
    """The Vietnamese name of an action; an action without one shows its code."""
    return ACTION_LABELS.get(action, action)


def entity_label(entity: str) -> str:
    """The Vietnamese name of a kind of record."""
    return ENTITY_LABELS.get(entity, entity)


@dataclass(frozen=True)
class AuditFilter:
    """What the manager asked for; ``start``/``end`` are UTC instants, ``end`` excluded."""

    action: str = ""
    user_id: int | None = None
    start: datetime | None = None
    end: datetime | None = None
    entity: str = ""
    q: str = ""


def _like(text: str) -> str:
    """A LIKE pattern that matches ``text`` literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _conditions(flt: AuditFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if flt.action:
        conditions.append(AuditEntry.action == flt.action)
    if flt.user_id is not None:
        conditions.append(AuditEntry.user_id == flt.user_id)
    if flt.start is not None:
        conditions.append(AuditEntry.at >= flt.start)
    if flt.end is not None:
        conditions.append(AuditEntry.at < flt.end)
    if flt.entity:
        conditions.append(AuditEntry.entity == flt.entity)
    if flt.q:
        pattern = _like(flt.q)
        conditions.append(
            or_(
                AuditEntry.action.like(pattern, escape="\\"),
                AuditEntry.entity_id.like(pattern, escape="\\"),
                AuditEntry.before.like(pattern, escape="\\"),
                AuditEntry.after.like(pattern, escape="\\"),
                User.username.like(pattern, escape="\\"),
                User.full_name.like(pattern, escape="\\"),
            )
        )
    return conditions


def count_entries(session: Session, flt: AuditFilter) -> int:
    """How many entries match."""
    query = select(func.count(AuditEntry.id)).select_from(AuditEntry).outerjoin(User, AuditEntry.user_id == User.id)
    return int(session.scalar(query.where(*_conditions(flt))) or 0)


def list_entries(
    session: Session, flt: AuditFilter, limit: int, offset: int = 0
) -> list[tuple[AuditEntry, User | None]]:
    """Matching entries with who made them, newest first."""
    query = (
        select(AuditEntry, User)
        .outerjoin(User, AuditEntry.user_id == User.id)
        .where(*_conditions(flt))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [(entry, user) for entry, user in session.exec(query)]


def iter_entries(session: Session, flt: AuditFilter, batch: int = 500) -> Iterator[tuple[AuditEntry, User | None]]:
    """Every matching entry, newest first, read a batch at a time (for the CSV export)."""
    last: tuple[datetime, int] | None = None
    while True:
        query = select(AuditEntry, User).outerjoin(User, AuditEntry.user_id == User.id).where(*_conditions(flt))
        if last is not None:
            # Keyset paging: entries written while exporting never shift or repeat rows.
            query = query.where(or_(AuditEntry.at < last[0], (AuditEntry.at == last[0]) & (AuditEntry.id < last[1])))
        rows = list(session.exec(query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(batch)))
        yield from rows
        if len(rows) < batch:
            return
        entry = rows[-1][0]
        last = (entry.at, int(entry.id or 0))


def get_entry(session: Session, entry_id: int) -> tuple[AuditEntry, User | None] | None:
    """One entry and its author."""
    row = session.exec(
        select(AuditEntry, User).outerjoin(User, AuditEntry.user_id == User.id).where(AuditEntry.id == entry_id)
    ).first()
    return None if row is None else (row[0], row[1])


def action_choices(session: Session) -> list[tuple[str, str]]:
    """Actions to filter by: those with a label and any other found in the log, by label."""
    found = set(session.exec(select(AuditEntry.action).distinct()))
    codes = set(ACTION_LABELS) | {a for a in found if a}
    return sorted(((code, action_label(code)) for code in codes), key=lambda pair: (pair[1].lower(), pair[0]))


def entity_choices(session: Session) -> list[tuple[str, str]]:
    """Kinds of record found in the log."""
    found = {e for e in session.exec(select(AuditEntry.entity).distinct()) if e}
    return sorted(((code, entity_label(code)) for code in found), key=lambda pair: pair[1].lower())


def user_choices(session: Session) -> list[tuple[int, str]]:
    """Staff, for the 'who' filter."""
    users = session.exec(select(User).order_by(User.full_name, User.username))
    return [(int(u.id or 0), f"{u.full_name} ({u.username})") for u in users]


# --- before and after, readable ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One field of an entry: its label, the value before and after (formatted), and whether it changed."""

    field: str
    label: str
    before: str
    after: str
    changed: bool


def parse_json(text: str) -> Any:
    """The stored JSON, or the text itself when it is not JSON (older or hand-written entries)."""
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def pretty_json(text: str) -> str:
    """Indented JSON with Vietnamese left as written; the raw text when it is not JSON."""
    value = parse_json(text)
    if value is None:
        return ""
    if isinstance(value, str) and value == text:
        return text
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True)


def _dmy(iso: str) -> str:
    """'2026-11-30' -> '30/11/2026'."""
    year, month, day = iso.split("-")
    return f"{day}/{month}/{year}"


def format_value(
    field: str,
    value: Any,
    siblings: dict[str, Any] | None = None,
    users: dict[int, str] | None = None,
    tz: tzinfo = SHOWROOM_TZ,
) -> str:
    """A value as a person reads it: money in đồng, rates in %, yes/no, codes and staff ids by name."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "Có" if value else "Không"
    if isinstance(value, int):
        kind = (siblings or {}).get("kind")
        if field.endswith("_vnd") or (field == "value" and kind == "amount"):
            return format_vnd(value)
        if field.endswith("_bp") or (field == "value" and kind == "percent"):
            return format_bp(value)
        if field in USER_ID_FIELDS and users and value in users:
            return users[value]
    if isinstance(value, dict) and set(value) == {"start", "end"}:
        value = [value["start"], value["end"]]
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) and ISO_DAY.fullmatch(v) for v in value):
        return f"{_dmy(value[0])} – {_dmy(value[1])}"  # a period
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    text = str(value)
    if ISO_DAY.fullmatch(text):
        return _dmy(text)
    if ISO_MOMENT.fullmatch(text):  # an instant (promotion start, clock): the showroom's local time
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return (moment.astimezone(tz) if moment.tzinfo else moment).strftime("%d/%m/%Y %H:%M")
    if field == "on" and text.startswith("line:"):
        return f"Dòng {text.removeprefix('line:')}"
    return VALUE_LABELS.get(field, {}).get(text, text)


def describe_changes(
    before: str, after: str, users: dict[int, str] | None = None, tz: tzinfo = SHOWROOM_TZ
) -> list[Change]:
    """The fields of before/after side by side; fields that changed come first."""
    old, new = parse_json(before), parse_json(after)
    if not isinstance(old, dict | type(None)) or not isinstance(new, dict | type(None)):
        return [Change("", "Giá trị", format_value("", old), format_value("", new), old != new)]
    old, new = old or {}, new or {}
    fields = list(dict.fromkeys([*old, *new]))
    changes = [
        Change(
            field=name,
            label=FIELD_LABELS.get(name, name),
            before=format_value(name, old[name], old, users, tz) if name in old else "",
            after=format_value(name, new[name], new, users, tz) if name in new else "",
            changed=name in old and name in new and old[name] != new[name],
        )
        for name in fields
    ]
    return sorted(changes, key=lambda c: not c.changed)


def user_label(user: User | None) -> str:
    """'Full name (username)', or a dash when nobody was logged in."""
    return "—" if user is None else f"{user.full_name} ({user.username})"
