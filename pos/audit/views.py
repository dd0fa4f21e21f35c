"""The audit log for managers: read, filter, export. There is no route that edits or deletes an entry."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, current_app, render_template, request, stream_with_context
from werkzeug.exceptions import NotFound

from pos.audit import queries
from pos.audit.queries import AuditFilter
from pos.auth.access import bind_role
from pos.csv_export import csv_writer
from pos.db import get_session, parse_id
from pos.text import nfc

bp = Blueprint("audit", __name__, url_prefix="/audit")
bind_role(bp, "manager")

PER_PAGE = 50
MAX_PAGE = 100_000


def _tz() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("SHOWROOM_TIMEZONE", "Asia/Ho_Chi_Minh"))


def _parse_day(raw: str) -> date:
    """dd/mm/yyyy (or the ISO form a date picker sends) -> date; ValueError otherwise."""
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            day = datetime.strptime(raw, pattern).date()
        except ValueError:
            continue
        if 2000 <= day.year <= 2100:
            return day
    raise ValueError(raw)


def _read_filter() -> tuple[AuditFilter, dict[str, str], dict[str, str]]:
    """The filter from the query string, what was typed (to show it back), and errors by field."""
    args = request.args
    form = {key: nfc(args.get(key, ""))[:100].strip() for key in ("action", "user", "from", "to", "entity", "q")}
    errors: dict[str, str] = {}
    days: dict[str, date | None] = {"from": None, "to": None}
    for key in days:
        if form[key]:
            try:
                days[key] = _parse_day(form[key])
            except ValueError:
                errors[key] = "Ngày không hợp lệ; nhập theo dạng ngày/tháng/năm, ví dụ 05/03/2026."
    if days["from"] and days["to"] and days["to"] < days["from"]:
        errors["to"] = "Đến ngày phải sau hoặc bằng từ ngày."
    user_id = parse_id(form["user"])
    tz = _tz()
    start = datetime.combine(days["from"], time(), tz).astimezone(UTC) if days["from"] else None
    end = datetime.combine(days["to"] + timedelta(days=1), time(), tz).astimezone(UTC) if days["to"] else None
    flt = AuditFilter(
        action=form["action"][:40],
        user_id=user_id,
        start=start,
        end=end,
        entity=form["entity"][:40],
        q=form["q"],
    )
    return flt, form, errors


def _page() -> int:
    raw = request.args.get("page", "")
    return min(int(raw), MAX_PAGE) if raw.isascii() and raw.isdigit() and 0 < len(raw) < 7 and int(raw) > 0 else 1


@bp.get("/")
def index() -> Any:
    """The audit log, newest first, filtered by action, person, dates, kind of record or text."""
    session = get_session()
    flt, form, errors = _read_filter()
    page = _page()
    users = queries.user_choices(session)
    names = dict(users)
    if errors:
        total, rows = 0, []
    else:
        total = queries.count_entries(session, flt)
        rows = queries.list_entries(session, flt, PER_PAGE, (page - 1) * PER_PAGE)
    entries = [
        {
            "entry": entry,
            "user": queries.user_label(user),
            "action": queries.action_label(entry.action),
            "entity": queries.entity_label(entry.entity),
            "changes": queries.describe_changes(entry.before, entry.after, names, _tz()),
        }
        for entry, user in rows
    ]
    filters = {key: value for key, value in form.items() if value}
    return render_template(
        "audit/index.html",
        entries=entries,
        total=total,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        form=form,
        filters=filters,
        errors=errors,
        actions=queries.action_choices(session),
        entities=queries.entity_choices(session),
        users=users,
    ), (422 if errors else 200)


@bp.get("/<int:entry_id>")
def show(entry_id: int) -> Any:
    """One entry in full: who, when, what, and the values before and after."""
    session = get_session()
    found = queries.get_entry(session, entry_id)
    if found is None:
        raise NotFound()
    entry, user = found
    return render_template(
        "audit/show.html",
        entry=entry,
        user=queries.user_label(user),
        action=queries.action_label(entry.action),
        entity=queries.entity_label(entry.entity),
        changes=queries.describe_changes(entry.before, entry.after, dict(queries.user_choices(session)), _tz()),
        before=queries.pretty_json(entry.before),
        after=queries.pretty_json(entry.after),
    )


CSV_HEADER = [
    "Thời gian",
    "Người thực hiện",
    "Thao tác",
    "Mã thao tác",
    "Đối tượng",
    "Mã đối tượng",
    "Trước",
    "Sau",
    "Mã nhật ký (UUID)",
]


@bp.get("/export.csv")
def export_csv() -> Any:
    """The filtered audit log as CSV (UTF-8 with BOM so Excel shows Vietnamese)."""
    flt, _form, errors = _read_filter()
    if errors:
        from pos.errors import ValidationError

        field, message = next(iter(errors.items()))
        raise ValidationError(message, field)
    tz = _tz()

    def rows() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv_writer(buffer)
        writer.writerow(CSV_HEADER)
        for entry, user in queries.iter_entries(get_session(), flt):
            writer.writerow(
                [
                    entry.at.astimezone(tz).strftime("%d/%m/%Y %H:%M:%S"),
                    queries.user_label(user),
                    queries.action_label(entry.action),
                    entry.action,
                    queries.entity_label(entry.entity),
                    entry.entity_id,
                    entry.before,
                    entry.after,
                    str(entry.uuid),
                ]
            )
            if buffer.tell() > 64_000:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    code = current_app.config.get("SHOWROOM_CODE", "")
    name = f"nhat-ky-{code}-{datetime.now(tz).strftime('%Y%m%d-%H%M')}.csv"
    return Response(
        stream_with_context(rows()),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )
