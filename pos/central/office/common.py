"""What every office report shares: the query, what is counted, the sync freshness, small SQL helpers.

What every sales figure counts (COUNTED): completed sales whose showroom-local day (``sold_on``) falls in
the period, less the goods brought back in the period (``returned_on``, at the amount refunded). Voided
sales count nowhere, nor do returns against them. Discounts are already inside each line's total.

The reports read the summary tables (pos/central/summaries.py), kept in the ingest's transaction, never the
sale lines: a year over a hundred showrooms sums a few hundred thousand rows at most.

The long tables (a row per showroom and day, per shift) are built in SQL a page at a time, with their totals
summed in SQL; their exports take every row, streamed from a server-side cursor (``OfficeQuery.per_page`` None).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, select

from pos.central.models import Showroom
from pos.money import div_round
from pos.reports.period import Period

COMPLETED = "completed"
UNKNOWN = "(chưa rõ)"

COUNTED = (
    "Tính các đơn bán đã hoàn tất trong kỳ (theo ngày giờ Việt Nam tại cửa hàng), trừ hàng khách trả lại "
    "trong kỳ (tính vào ngày trả, theo số tiền đã hoàn). Không tính đơn đã hủy và hàng trả của đơn đã hủy. "
    "Giảm giá đã được trừ vào doanh thu. Chỉ gồm dữ liệu các cửa hàng đã đồng bộ về trung tâm."
)
COUNTED_LINKED = " Sản phẩm của cửa hàng đã liên kết với danh mục chung được cộng vào sản phẩm trong danh mục chung."

SCREEN_ROWS = 500  # a longer table is shown cut, with the whole of it in the CSV
PAGE_ROWS = 100  # rows per page of the long tables (showroom x day, shifts)


@dataclass(frozen=True)
class OfficeQuery:
    """What the office asked for: the period, optionally one showroom, and each report's own settings."""

    period: Period
    showroom_id: int | None = None
    limit: int = 20
    sort: str = "net"  # top products: "net" or "qty"
    status: str = ""  # shifts: "", "ok", "mismatch" or "incomplete"
    now: datetime | None = None  # sync freshness is judged against this instant
    stale_days: int = 2
    page: int = 1  # the long tables: which page, and how many rows a page holds (None: every row, for exports)
    per_page: int | None = PAGE_ROWS


@dataclass(frozen=True)
class Paging:
    """Where a page of a long table stands: its number, its size and the rows of the whole table."""

    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def first_row(self) -> int:
        return (self.page - 1) * self.per_page + 1


def paging(q: OfficeQuery, total: int) -> tuple[Paging | None, str, dict[str, Any]]:
    """The page asked for (kept inside the table), its LIMIT/OFFSET clause and parameters; none for an export."""
    return page_window(q.page, q.per_page, total)


def page_window(page: int, per_page: int | None, total: int) -> tuple[Paging | None, str, dict[str, Any]]:
    """``paging`` for any long list: page ``page`` of ``per_page`` rows (None: every row) among ``total``."""
    if per_page is None:
        return None, "", {}
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    return (
        Paging(page, per_page, total),
        " LIMIT :page_rows OFFSET :page_offset",
        {"page_rows": per_page, "page_offset": (page - 1) * per_page},
    )


def iter_rows(session: Session, sql: str, params: dict[str, Any], chunk: int = 5_000) -> Iterator[Any]:
    """The rows of one SQL statement from a server-side cursor, ``chunk`` at a time (for streamed exports)."""
    yield from session.execute(text(sql).execution_options(yield_per=chunk, stream_results=True), params)


def fetch_rows(session: Session, sql: str, params: dict[str, Any]) -> list[Any]:
    """The rows of one SQL statement."""
    return list(session.execute(text(sql), params))


def period_params(q: OfficeQuery) -> dict[str, Any]:
    """The period (and the showroom, when one is asked for) as SQL parameters."""
    params: dict[str, Any] = {"start": q.period.start, "end": q.period.end, "completed": COMPLETED}
    if q.showroom_id is not None:
        params["showroom"] = q.showroom_id
    return params


def only_showroom(q: OfficeQuery, alias: str) -> str:
    """The showroom filter on one table alias (empty when all showrooms are asked for)."""
    return f" AND {alias}.showroom_id = :showroom" if q.showroom_id is not None else ""


def share_bp(part: int, whole: int) -> int:
    """``part`` as basis points of ``whole`` (0 when there is no whole)."""
    return div_round(part * 10_000, whole) if whole > 0 else 0


def local_text(moment: datetime | None, tz: tzinfo) -> str:
    """An aware instant as dd/mm/yyyy HH:MM in the office's zone ('' for none)."""
    return "" if moment is None else moment.astimezone(tz).strftime("%d/%m/%Y %H:%M")


def local_text_sql(column: str, tz: tzinfo) -> tuple[str, dict[str, Any]]:
    """``local_text`` written by PostgreSQL (for the long exports: far cheaper than in Python row by row), and its
    parameter: the zone by name, or a fixed offset (the UTC+7 fallback where no tz database is installed)."""
    name = getattr(tz, "key", None)
    if name:
        zone, value = "CAST(:office_tz AS text)", name
    else:
        offset = tz.utcoffset(None) or timedelta(0)
        zone, value = "CAST(:office_tz AS interval)", f"{int(offset.total_seconds() // 60)} minutes"
    return f"coalesce(to_char({column} AT TIME ZONE {zone}, 'DD/MM/YYYY HH24:MI'), '')", {"office_tz": value}


def data_version(session: Session) -> tuple[int, int, int]:
    """Changes whenever report figures can: a push arrived, the office changed something, the catalogue moved."""
    row = session.execute(
        text(
            "SELECT (SELECT COALESCE(MAX(id), 0) FROM sync_log), (SELECT COALESCE(MAX(id), 0) FROM office_audit), "
            "(SELECT COALESCE(MAX(revision), 0) FROM catalog_state)"
        )
    ).one()
    return int(row[0]), int(row[1]), int(row[2])


def showroom_choices(session: Session) -> list[tuple[str, str]]:
    """(code, 'CODE – name') of every showroom, for the filter's select."""
    return [(s.code, f"{s.code} – {s.name}") for s in session.exec(select(Showroom).order_by(Showroom.code))]


def showroom_label(q: OfficeQuery, session: Session) -> str:
    """The asked showroom as 'CODE – name', or all showrooms."""
    if q.showroom_id is None:
        return "Tất cả cửa hàng"
    shop = session.get(Showroom, q.showroom_id)
    return f"{shop.code} – {shop.name}" if shop else "Tất cả cửa hàng"


def _stale_cutoff(q: OfficeQuery) -> datetime:
    now = q.now or datetime.now().astimezone()
    return now - timedelta(days=q.stale_days)


def sync_state(shop: Showroom, q: OfficeQuery) -> tuple[str, str]:
    """(flag, Vietnamese text) of a showroom's sync freshness: flag 'stale' when it has gone quiet too long."""
    if not shop.is_active:
        return "", "Ngừng hoạt động"
    if shop.last_push_at is None:
        return "stale", "Chưa đồng bộ lần nào"
    if shop.last_push_at < _stale_cutoff(q):
        now = q.now or datetime.now().astimezone()
        return "stale", f"Quá hạn ({(now - shop.last_push_at).days} ngày chưa đồng bộ)"
    return "", "Bình thường"


def bar_chart(title: str, items: list[tuple[str, int]], top: int = 15) -> dict[str, Any]:
    """A bar chart of the ``top`` largest values, the rest summed as 'Khác'."""
    items = sorted(items, key=lambda item: -item[1])
    head, tail = items[:top], items[top:]
    labels = [label for label, _ in head]
    values = [value for _, value in head]
    if tail:
        labels.append(f"Khác ({len(tail)})")
        values.append(sum(value for _, value in tail))
    return {"type": "bars", "title": title, "unit": "vnd", "labels": labels, "values": values}
