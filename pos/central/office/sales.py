"""Sales and returns per showroom, per day and per showroom-day, from ``summary_showroom_day``."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from pos.central.models import Showroom
from pos.central.office.common import (
    COUNTED,
    OfficeQuery,
    bar_chart,
    fetch_rows,
    iter_rows,
    local_text,
    only_showroom,
    paging,
    period_params,
    share_bp,
    showroom_label,
    sync_state,
)
from pos.money import div_round
from pos.reports.table import DATE, INT, SHARE, VND, Column, Report

FIGURE_KEYS = ("sales", "gross_vnd", "discount_vnd", "sales_vnd", "returns", "refunds_vnd", "voided")

# One row per showroom and day holds the day's completed sales, voids and returns (summaries.SHOWROOM_DAY_SQL).
FIGURE_SUMS = f"""
SELECT {{key}}, {", ".join(f"SUM(d.{k})::bigint AS {k}" for k in FIGURE_KEYS)},
       COUNT(*) FILTER (WHERE d.sales > 0) AS selling
FROM summary_showroom_day d
WHERE d.day BETWEEN :start AND :end{{only}}
GROUP BY {{group}}
"""


def _empty_figures() -> dict[str, int]:
    return dict.fromkeys((*FIGURE_KEYS, "selling"), 0)


def _finish(row: dict[str, Any]) -> dict[str, Any]:
    row["net_vnd"] = row["sales_vnd"] - row["refunds_vnd"]
    row["average_vnd"] = div_round(row["sales_vnd"], row["sales"]) if row["sales"] else 0
    return row


def _figures_by(session: Session, q: OfficeQuery, keys: list[str]) -> dict[tuple, dict]:
    """Sale, void and return figures per key (``showroom_id``, ``day`` or both), keyed by the key's tuple.

    ``selling`` is how many showrooms had a completed sale among the summed days (the per-day report's count).
    """
    names = [f"k{i}" for i in range(len(keys))]
    sql = FIGURE_SUMS.format(
        key=", ".join(f"d.{k} AS {n}" for k, n in zip(keys, names, strict=True)),
        group=", ".join(f"d.{k}" for k in keys),
        only=only_showroom(q, "d"),
    )
    return {
        tuple(getattr(r, n) for n in names): {k: int(getattr(r, k)) for k in (*FIGURE_KEYS, "selling")}
        for r in fetch_rows(session, sql, period_params(q))
    }


def _figure_totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return _finish({k: sum(r[k] for r in rows) for k in FIGURE_KEYS})


FIGURE_COLUMNS = [
    Column("sales", "Số đơn", INT),
    Column("gross_vnd", "Tiền hàng", VND),
    Column("discount_vnd", "Giảm giá", VND),
    Column("sales_vnd", "Doanh thu bán", VND),
    Column("refunds_vnd", "Hoàn tiền trả hàng", VND),
    Column("net_vnd", "Doanh thu thuần", VND),
]


def _shift_counts(session: Session, q: OfficeQuery) -> dict[int, dict[str, int]]:
    sql = f"""
        SELECT sc.showroom_id AS sid,
               COUNT(*) FILTER (WHERE sc.check_status = 'ok') AS ok,
               COUNT(*) FILTER (WHERE sc.check_status = 'mismatch') AS mismatch,
               COUNT(*) FILTER (WHERE sc.check_status = 'incomplete') AS incomplete
        FROM shift_close sc
        WHERE sc.closed_on BETWEEN :start AND :end{only_showroom(q, "sc")}
        GROUP BY sc.showroom_id
    """
    return {
        r.sid: {"shifts_ok": int(r.ok), "shifts_mismatch": int(r.mismatch), "shifts_incomplete": int(r.incomplete)}
        for r in fetch_rows(session, sql, period_params(q))
    }


def sales_by_showroom(session: Session, q: OfficeQuery) -> Report:
    """Every showroom's sales of the period (quiet ones too), its shift checks and its sync freshness."""
    found = _figures_by(session, q, ["showroom_id"])
    shifts = _shift_counts(session, q)
    shops = session.exec(select(Showroom).order_by(Showroom.code)).all()
    if q.showroom_id is not None:
        shops = [s for s in shops if s.id == q.showroom_id]
    rows = []
    for shop in shops:
        flag, state = sync_state(shop, q)
        row = _finish({**found.get((shop.id,), _empty_figures())})
        row.update(shifts.get(shop.id or 0, {"shifts_ok": 0, "shifts_mismatch": 0, "shifts_incomplete": 0}))
        row.update(
            code=shop.code,
            name=shop.name,
            province=shop.province,
            last_sync=local_text(shop.last_push_at, q.period.tz),
            sync_state=state,
            _flag=flag,
            _showroom_id=shop.id,
        )
        rows.append(row)
    rows.sort(key=lambda r: (-r["net_vnd"], r["code"]))
    totals = _figure_totals(rows)
    for key in ("shifts_ok", "shifts_mismatch", "shifts_incomplete"):
        totals[key] = sum(r[key] for r in rows)
    whole = totals["net_vnd"]
    for row in rows:
        row["share_bp"] = share_bp(row["net_vnd"], whole)
    totals["share_bp"] = 10_000 if whole > 0 else 0
    return Report(
        "showrooms",
        "Doanh thu theo cửa hàng",
        COUNTED + " Đối chiếu ca: ca đóng trong kỳ, so số liệu trung tâm nhận được với báo cáo đóng ca (Z).",
        [
            Column("code", "Mã"),
            Column("name", "Cửa hàng"),
            Column("province", "Tỉnh/thành"),
            Column("sales", "Số đơn", INT),
            Column("sales_vnd", "Doanh thu bán", VND),
            Column("refunds_vnd", "Hoàn tiền trả hàng", VND),
            Column("net_vnd", "Doanh thu thuần", VND),
            Column("share_bp", "Tỷ trọng", SHARE),
            Column("average_vnd", "Bình quân mỗi đơn", VND),
            Column("voided", "Đơn đã hủy (không tính)", INT),
            Column("shifts_ok", "Ca khớp", INT),
            Column("shifts_mismatch", "Ca không khớp", INT),
            Column("shifts_incomplete", "Ca chưa đủ dữ liệu", INT),
            Column("last_sync", "Đồng bộ lần cuối"),
            Column("sync_state", "Tình trạng đồng bộ"),
        ],
        rows,
        {"code": "Tổng cộng", **totals, "name": f"{len(rows)} cửa hàng"},
        period=q.period,
        chart=bar_chart("Doanh thu thuần theo cửa hàng", [(f"{r['code']} – {r['name']}", r["net_vnd"]) for r in rows]),
        params={"stale_days": q.stale_days, "hide_columns": ("province", "average_vnd", "sync_state")},
    )


def sales_by_day(session: Session, q: OfficeQuery) -> Report:
    """Each local day of the period (days without sales included), all showrooms or one."""
    found = _figures_by(session, q, ["day"])
    rows = []
    for d in q.period.days:
        figures = dict(found.get((d,), _empty_figures()))
        selling = figures.pop("selling")
        rows.append(_finish({"day": d, **figures, "showrooms": selling}))
    totals = _figure_totals(rows)
    return Report(
        "days",
        "Doanh thu theo ngày",
        COUNTED,
        [
            Column("day", "Ngày", DATE),
            Column("showrooms", "Số cửa hàng có bán", INT),
            *FIGURE_COLUMNS,
            Column("average_vnd", "Bình quân mỗi đơn", VND),
            Column("voided", "Đơn đã hủy (không tính)", INT),
        ],
        rows,
        {"day": "Tổng cộng", **totals},
        period=q.period,
        chart={
            "type": "line",
            "title": f"Doanh thu thuần theo ngày – {showroom_label(q, session)}",
            "unit": "vnd",
            "labels": [d.strftime("%d/%m") for d in q.period.days],
            "values": [r["net_vnd"] for r in rows],
        },
    )


HEATMAP_MAX_DAYS = 93

# The long table, built in SQL: a row per showroom and day that had a sale, a void or a return, by code and day.
SHOWROOM_DAY_ROWS = f"""
SELECT d.day, sr.code, sr.name, d.showroom_id, {", ".join(f"d.{k}" for k in FIGURE_KEYS)}
FROM summary_showroom_day d JOIN showroom sr ON sr.id = d.showroom_id
WHERE d.day BETWEEN :start AND :end{{only}}
ORDER BY sr.code, d.day{{page}}
"""
SHOWROOM_DAY_TOTALS = f"""
SELECT COUNT(*) AS n, {", ".join(f"COALESCE(SUM(d.{k}), 0)::bigint AS {k}" for k in FIGURE_KEYS)}
FROM summary_showroom_day d JOIN showroom sr ON sr.id = d.showroom_id
WHERE d.day BETWEEN :start AND :end{{only}}
"""


def _showroom_day_row(r: Any) -> dict[str, Any]:
    figures = {k: int(getattr(r, k)) for k in FIGURE_KEYS}
    return _finish({"day": r.day, "code": r.code, "name": r.name, **figures, "_showroom_id": r.showroom_id})


def sales_by_showroom_day(session: Session, q: OfficeQuery) -> Report:
    """Net sales of every showroom on every day of the period: a long table (a page of it on screen, every row in
    the exports), and a heat map under 93 days."""
    only = only_showroom(q, "d")
    params = period_params(q)
    found = fetch_rows(session, SHOWROOM_DAY_TOTALS.format(only=only), params)[0]
    pager, clause, page_params = paging(q, int(found.n))
    sql = SHOWROOM_DAY_ROWS.format(only=only, page=clause)
    if pager is None:
        rows: Any = (_showroom_day_row(r) for r in iter_rows(session, sql, params))
    else:
        rows = [_showroom_day_row(r) for r in fetch_rows(session, sql, {**params, **page_params})]
    totals = _finish({k: int(getattr(found, k)) for k in FIGURE_KEYS})
    return Report(
        "showroom_days",
        "Doanh thu theo cửa hàng và ngày",
        COUNTED + " Chỉ liệt kê ngày cửa hàng có bán hoặc có trả hàng.",
        [
            Column("day", "Ngày", DATE),
            Column("code", "Mã"),
            Column("name", "Cửa hàng"),
            *FIGURE_COLUMNS,
            Column("voided", "Đơn đã hủy (không tính)", INT),
        ],
        rows,
        {"day": "Tổng cộng", **totals},
        period=q.period,
        params={"heatmap": showroom_day_heatmap(session, q), "heatmap_max_days": HEATMAP_MAX_DAYS, "paging": pager},
    )


def showroom_day_heatmap(session: Session, q: OfficeQuery) -> dict[str, Any] | None:
    """Net sales of every showroom (quiet ones too) on every day, for periods of up to 93 days (else None)."""
    if len(q.period.days) > HEATMAP_MAX_DAYS:
        return None
    shops = session.exec(select(Showroom).order_by(Showroom.code)).all()
    if q.showroom_id is not None:
        shops = [s for s in shops if s.id == q.showroom_id]
    if not shops:
        return None
    sql = (
        "SELECT d.showroom_id, d.day, (d.sales_vnd - d.refunds_vnd)::bigint AS net_vnd FROM summary_showroom_day d "
        f"WHERE d.day BETWEEN :start AND :end{only_showroom(q, 'd')}"
    )
    net = {(r.showroom_id, r.day): int(r.net_vnd) for r in fetch_rows(session, sql, period_params(q))}
    return {
        "title": "Doanh thu thuần mỗi ngày của từng cửa hàng",
        "unit": "vnd",
        "days": [d.strftime("%d/%m") for d in q.period.days],
        "weekend": [d.weekday() >= 5 for d in q.period.days],
        "rows": [
            {
                "label": f"{s.code} – {s.name}",
                "code": s.code,
                "values": [net.get((s.id, d), 0) for d in q.period.days],
            }
            for s in shops
        ],
    }
