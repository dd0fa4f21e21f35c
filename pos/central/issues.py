"""What the ingest held aside or flagged, as the central office reads it (pos/central/ingest.py writes it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from pos.central.models import ISSUE_PROBLEMS, Showroom, SyncIssue
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
}


@dataclass(frozen=True)
class IssueRow:
    """One issue with the showrooms' codes."""

    issue: SyncIssue
    showroom_code: str
    other_code: str | None

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
            f"{p['field']}: cửa hàng {_shown(p['field'], p['showroom'])}, trung tâm {_shown(p['field'], p['central'])}"
            for p in detail.get("problems", [])
        ]
        lines += [
            f"{key}: {value}" for key, value in detail.items() if key not in ("problems", "sent") and value is not None
        ]
        return lines


def _shown(field: str, value: Any) -> Any:
    """An amount in đồng as the office reads amounts (1.250.000 ₫); anything else as it is."""
    if "vnd" in field and isinstance(value, int) and not isinstance(value, bool):
        return format_vnd(value)
    return value


def list_issues(
    session: Session, showroom_id: int | None = None, problem: str = "", limit: int = 200
) -> list[IssueRow]:
    """The newest issues, optionally of one showroom or one problem."""
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
    return [IssueRow(issue, code, other_code) for issue, code, other_code in rows]


def count_issues(session: Session, showroom_id: int | None = None) -> dict[str, int]:
    """How many issues there are by problem (all showrooms, or one)."""
    stmt = select(SyncIssue.problem, func.count()).group_by(SyncIssue.problem)
    if showroom_id is not None:
        stmt = stmt.where(SyncIssue.showroom_id == showroom_id)
    return {problem: int(n) for problem, n in session.exec(stmt).all()}
