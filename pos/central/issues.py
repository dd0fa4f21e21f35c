"""What the ingest held aside or flagged, as the central office reads it (pos/central/ingest.py writes it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

from sqlalchemy import func
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from pos.central.models import ISSUE_PROBLEMS, Showroom, SyncIssue
from pos.central.office.common import local_text
from pos.money import format_vnd

KIND_NAMES = {
    "producer": "Nhà sản xuất",
    "product": "Sản phẩm",
    "sale": "Đơn bán",
    "return": "Trả hàng",
    "void": "Hủy đơn",
    "shift_close": "Đóng ca",
    "intake": "Nhập hàng",
    "stock_adjustment": "Điều chỉnh kho",
    "audit": "Nhật ký",
    "transfer": "Phiếu chuyển kho",
    "transfer_receipt": "Biên nhận chuyển kho",
    "transfer_cancel": "Hủy phiếu chuyển kho",
}
# The detail's keys and reasons as the office reads them; a key not named here is shown as the ingest wrote it.
FIELD_NAMES = {
    "created_at": "Thời điểm bán",
    "shift_opened_at": "Ca mở lúc",
    "shift_closed_at": "Ca đóng lúc",
    "why": "Lý do",
    "uuid": "Mã UUID",
    "payments": "Thanh toán",
    "payments.amount_vnd": "Tổng các khoản thanh toán",
    "lines.line_no": "Số thứ tự dòng",
    "subtotal_vnd": "Tiền hàng",
    "total_vnd": "Tổng thanh toán",
    "total_vnd (tạm tính − giảm giá)": "Tổng thanh toán (tiền hàng − giảm giá)",
    "line_discount_vnd + sale_discount_vnd": "Giảm giá (các dòng và cả đơn)",
    "vat_vnd": "Thuế GTGT",
    "transfer_number": "Phiếu",
    "received_at": "Biên nhận đã ghi lập lúc",
    "received_by": "Người nhận (biên nhận đã ghi)",
    "second_received_at": "Biên nhận bị từ chối lập lúc",
    "second_received_by": "Người nhận (biên nhận bị từ chối)",
}
REASONS = {
    "far_from_arrival": "ngày bán cách quá xa lúc trung tâm nhận (đồng hồ máy thu ngân có thể sai)",
    "outside_shift": "thời điểm bán nằm ngoài giờ mở và đóng của ca",
}


@dataclass(frozen=True)
class IssueRow:
    """One issue with the showrooms' codes."""

    issue: SyncIssue
    showroom_code: str
    other_code: str | None
    tz: tzinfo = UTC  # the office's zone: the detail's instants are shown in it

    @property
    def problem_text(self) -> str:
        return ISSUE_PROBLEMS.get(self.issue.problem, self.issue.problem)

    @property
    def kind_text(self) -> str:
        return KIND_NAMES.get(self.issue.kind, self.issue.kind)

    @property
    def details(self) -> list[str]:
        """The detail as short lines: each figure that disagrees with both values, else the keys given."""
        detail: dict[str, Any] = self.issue.detail or {}
        lines = [
            f"{FIELD_NAMES.get(p['field'], p['field'])}: cửa hàng {self._shown(p['field'], p['showroom'])}, "
            f"trung tâm {self._shown(p['field'], p['central'])}"
            for p in detail.get("problems", [])
        ]
        lines += [
            f"{FIELD_NAMES.get(key, key)}: {self._shown(key, value)}"
            for key, value in detail.items()
            if key not in ("problems", "sent") and value is not None
        ]
        return lines

    def _shown(self, field: str, value: Any) -> Any:
        """An amount in đồng as the office reads amounts (1.250.000 ₫), an instant as dd/mm/yyyy HH:MM in the
        office's zone, a reason in words; anything else as it is."""
        if "vnd" in field and isinstance(value, int) and not isinstance(value, bool):
            return format_vnd(value)
        if field == "why":
            return REASONS.get(value, value)
        if field.endswith("_at") and isinstance(value, str):
            try:
                return local_text(datetime.fromisoformat(value), self.tz)
            except ValueError:  # not an instant after all: as it was written
                return value
        return value


def list_issues(
    session: Session, showroom_id: int | None = None, problem: str = "", limit: int = 200, tz: tzinfo = UTC
) -> list[IssueRow]:
    """The newest issues, optionally of one showroom or one problem (their instants shown in ``tz``)."""
    other = aliased(Showroom)
    stmt = (
        select(SyncIssue, Showroom.code, other.code)
        .join(Showroom, Showroom.id == SyncIssue.showroom_id)  # type: ignore[arg-type]
        .join(other, other.id == SyncIssue.other_showroom_id, isouter=True)  # type: ignore[arg-type]
    )
    if showroom_id is not None:
        stmt = stmt.where(SyncIssue.showroom_id == showroom_id)
    if problem:
        stmt = stmt.where(SyncIssue.problem == problem)
    rows = session.exec(stmt.order_by(col(SyncIssue.id).desc()).limit(limit)).all()
    return [IssueRow(issue, code, other_code, tz) for issue, code, other_code in rows]


def count_issues(session: Session, showroom_id: int | None = None) -> dict[str, int]:
    """How many issues there are by problem (all showrooms, or one)."""
    stmt = select(SyncIssue.problem, func.count()).group_by(SyncIssue.problem)
    if showroom_id is not None:
        stmt = stmt.where(SyncIssue.showroom_id == showroom_id)
    return {problem: int(n) for problem, n in session.exec(stmt).all()}
