"""The office's stock pages across the network: on hand per showroom and product, lots near expiry or recalled,
OCOP certificates expiring, transfers between showrooms, producer settlements and their lines.

Every figure is what a showroom's own ledger said in its last stock snapshot (kind 'stock_snapshot',
pos/central/network_ingest.py), never recomputed from sales here; each row says when (``as_of``). Each list
is one SQL statement with its filters, ordered, paged with LIMIT/OFFSET (the total comes with the rows) and
whole in the CSV.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from pos.central.models import TRANSFER_STATUSES
from pos.central.office.common import local_text
from pos.quantity import PIECE, Quantity, display_unit, format_qty
from pos.reports.table import DATE, INT, QTY, TEXT, VND, Column, Report
from pos.text import fold

PER_PAGE = 50
STOCK_VIEWS = {"showroom": "Theo cửa hàng", "product": "Theo sản phẩm (cả mạng lưới)"}
SETTLEMENT_STATUSES = {"closed": "Đã chốt, chưa thanh toán", "paid": "Đã thanh toán"}
REASONS = {
    "missing": "Thiếu hàng",
    "damaged": "Hư hỏng khi vận chuyển",
    "surplus": "Thừa hàng",
    "wrong_item": "Giao nhầm hàng",
    "other": "Lý do khác",
}


@dataclass(frozen=True)
class StockFilter:
    """What the office asked for on a stock page."""

    today: date
    showroom_id: int | None = None
    product: str = ""  # name, SKU or barcode, part of it
    producer: str = ""  # producer's name, part of it
    view: str = "showroom"
    days: int = 30  # lots expiring / certificates lapsing within this many days
    status: str = ""  # transfers and settlements
    page: int = 1
    per_page: int | None = PER_PAGE  # None: every row (the CSV)
    tz: tzinfo = UTC  # the office's zone: times are shown in it

    def local(self, moment: datetime | None) -> str:
        """An instant as dd/mm/yyyy HH:MM in the office's zone ('' for none)."""
        return local_text(moment, self.tz)

    def whole(self) -> StockFilter:
        """The same filter without paging (for the CSV)."""
        return replace(self, page=1, per_page=None)


@dataclass
class Paged:
    """One page of a report: the report (its rows are this page's), the page number and how many rows in all."""

    report: Report
    page: int
    total: int
    per_page: int | None

    @property
    def pages(self) -> int:
        if not self.per_page:
            return 1
        return max(1, -(-self.total // self.per_page))


def _like(value: str) -> str:
    return "%" + value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _folded(value: str) -> str:
    """A LIKE pattern of ``value`` folded (pos.text.fold), to compare with a name folded by ``fold_text``: accents
    ignored, so "nuoc mam" finds "Nước mắm" (fold_text is the same folding in SQL, migration 0013_central_fold_text;
    the names are folded once, when written, into ``name_folded`` columns: migration 0022_central_folded_names)."""
    return _like(fold(value))


def _where(
    f: StockFilter, showroom: str, *, product: str | None = "p", producer: str = "pr"
) -> tuple[str, dict[str, Any]]:
    """The filters as SQL conditions on the given aliases (no product condition when ``product`` is None)."""
    parts, params = [], {}
    if f.showroom_id is not None:
        parts.append(f"{showroom} = :showroom")
        params["showroom"] = f.showroom_id
    if f.product and product is not None:
        parts.append(
            f"({product}.name_folded LIKE :folded OR {product}.sku ILIKE :product OR {product}.barcode = :code)"
        )
        params["folded"], params["product"], params["code"] = _folded(f.product), _like(f.product), f.product
    if f.producer:
        parts.append(f"{producer}.name_folded LIKE :producer")
        params["producer"] = _folded(f.producer)
    return "".join(f" AND {p}" for p in parts), params


def _paged(session: Session, sql: str, params: dict[str, Any], f: StockFilter) -> tuple[list[dict[str, Any]], int]:
    """Rows of one page (``count(*) OVER ()`` AS _total in the SELECT gives the total)."""
    if f.per_page:
        sql += " LIMIT :limit OFFSET :offset"
        params = {**params, "limit": f.per_page, "offset": (f.page - 1) * f.per_page}
    rows = [dict(r._mapping) for r in session.execute(text(sql), params)]
    total = int(rows[0]["_total"]) if rows else 0
    if not rows and f.page > 1:  # past the last page: say how many there are all the same
        count = session.execute(text(f"SELECT count(*) FROM ({sql.split(' LIMIT ')[0]}) t"), params).scalar()
        total = int(count or 0)
    return rows, total


def _in_own_unit(row: dict[str, Any], *keys: str) -> None:
    """A row's quantities as the product counts them (grams shown in kg), its unit 'kg' for weighed goods."""
    sold_by = row.get("sold_by") or PIECE
    for key in keys:
        if key in row:
            row[key] = Quantity(int(row[key] or 0), sold_by)
    if "unit" in row:
        row["unit"] = display_unit(sold_by, row["unit"] or "")


def stock_levels(session: Session, f: StockFilter) -> Paged:
    """On hand per showroom and product (or per product across the network), as last reported."""
    where, params = _where(f, "l.showroom_id")
    if f.view == "product":
        # One product across the network: the catalogue's, else its UUID (a transfer carries the goods under it).
        key = "coalesce('c' || p.catalog_product_id::text, 'u' || p.uuid::text)"
        sql = f"""
            SELECT min(coalesce(cp.sku, p.sku)) AS sku, min(coalesce(cp.name, p.name)) AS name,
                   min(pr.name) AS producer, min(p.unit) AS unit, p.sold_by,
                   count(DISTINCT l.showroom_id) AS showrooms,
                   sum(l.qty) AS qty, min(l.as_of) AS as_of, count(*) OVER () AS _total
              FROM stock_level l JOIN product p ON p.id = l.product_id
              LEFT JOIN catalog_product cp ON cp.id = p.catalog_product_id
              LEFT JOIN producer pr ON pr.id = p.producer_id
             WHERE l.qty <> 0{where}
             GROUP BY {key}, p.sold_by ORDER BY name, sku"""  # by how it is sold: grams never added to pieces
        columns = [
            Column("sku", "Mã hàng"),
            Column("name", "Sản phẩm"),
            Column("producer", "Nhà sản xuất"),
            Column("unit", "Đơn vị"),
            Column("showrooms", "Số cửa hàng có hàng", INT),
            Column("qty", "Tồn kho", QTY),
            Column("as_of_text", "Số liệu cũ nhất lúc"),
        ]
    else:
        sql = f"""
            WITH shops AS MATERIALIZED (SELECT id, code, name FROM showroom),  -- see below
                 transit AS (
                SELECT t.from_showroom_id AS showroom_id, e->>'product_uuid' AS uuid, sum((e->>'qty')::int) AS qty
                  FROM transfer t CROSS JOIN LATERAL jsonb_array_elements(t.lines) AS e
                 WHERE t.status = 'in_transit' GROUP BY 1, 2)
            SELECT s.code, s.name AS showroom_name, p.sku, p.name, pr.name AS producer, p.unit, p.sold_by, l.qty,
                   coalesce(tr.qty, 0) AS in_transit, l.as_of, count(*) OVER () AS _total
              FROM stock_level l JOIN shops s ON s.id = l.showroom_id JOIN product p ON p.id = l.product_id
              LEFT JOIN producer pr ON pr.id = p.producer_id
              LEFT JOIN transit tr ON tr.showroom_id = l.showroom_id AND tr.uuid = p.uuid::text
             WHERE (l.qty <> 0 OR tr.qty > 0){where}
             ORDER BY s.code, p.name, p.sku"""
        columns = [
            Column("code", "Mã CH"),
            Column("showroom_name", "Cửa hàng"),
            Column("sku", "Mã hàng"),
            Column("name", "Sản phẩm"),
            Column("producer", "Nhà sản xuất"),
            Column("unit", "Đơn vị"),
            Column("qty", "Tồn kho", QTY),
            Column("in_transit", "Đang chuyển đi", QTY),
            Column("as_of_text", "Số liệu lúc"),
        ]
    # ``shops`` is materialised so that the planner sorts the rows once: read through the index on the code, the
    # showrooms came presorted and it joined every showroom to all 200,000 levels of 100 showrooms (1,5 s, not 0,4).
    rows, total = _paged(session, sql, params, f)
    for row in rows:
        row["as_of_text"] = f.local(row.get("as_of"))
        row["_flag"] = "negative" if int(row["qty"]) < 0 else ""
        _in_own_unit(row, "qty", "in_transit")
    report = Report(
        "network_stock",
        "Tồn kho toàn mạng lưới",
        "Tồn kho theo sổ kho của từng cửa hàng, tại lần đồng bộ gần nhất (cửa hàng gửi phần thay đổi sau mỗi lần "
        "đồng bộ và toàn bộ mỗi ngày một lần); không tính lại ở trung tâm. Hàng đang chuyển đi (theo phiếu chuyển kho "
        "chưa nhận) đã ra khỏi kho nơi gửi và chưa vào kho nơi nhận. Chỉ liệt kê dòng có tồn hoặc hàng đang chuyển.",
        columns,
        rows,
        as_of=f.today,
    )
    return Paged(report, f.page, total, f.per_page)


def expiring_lots(session: Session, f: StockFilter) -> Paged:
    """Lots still on a shelf that expire within ``days`` (or have expired), and recalled lots, soonest first."""
    where, params = _where(f, "l.showroom_id")
    params["horizon"] = f.today + timedelta(days=f.days)
    sql = f"""
        SELECT s.code, p.sku, p.name, pr.name AS producer, p.sold_by, l.lot_code, l.expiry_date, l.qty, l.recalled_at,
               l.recall_reason, l.as_of, count(*) OVER () AS _total
          FROM stock_lot l JOIN showroom s ON s.id = l.showroom_id JOIN product p ON p.id = l.product_id
          LEFT JOIN producer pr ON pr.id = p.producer_id
         WHERE l.qty > 0 AND (l.expiry_date <= :horizon OR l.recalled_at IS NOT NULL){where}
         ORDER BY l.expiry_date NULLS LAST, s.code, p.name"""
    rows, total = _paged(session, sql, params, f)
    for row in rows:
        _in_own_unit(row, "qty")
        expiry = row["expiry_date"]
        if row["recalled_at"] is not None:
            row["state"], row["_flag"] = f"Đang thu hồi: {row['recall_reason']}".strip(": "), "recalled"
        elif expiry is not None and expiry < f.today:
            row["state"], row["_flag"] = f"Đã hết hạn {(f.today - expiry).days} ngày", "expired"
        elif expiry is not None:
            left = (expiry - f.today).days
            row["state"], row["_flag"] = ("Hết hạn hôm nay" if left == 0 else f"Còn {left} ngày"), "soon"
        else:
            row["state"], row["_flag"] = "", ""
    report = Report(
        "network_lots",
        f"Lô hàng hết hạn trong {f.days} ngày, đã hết hạn hoặc đang thu hồi",
        "Các lô còn hàng trên kệ theo lần đồng bộ gần nhất của từng cửa hàng, hạn sử dụng gần nhất trước.",
        [
            Column("code", "Mã CH"),
            Column("sku", "Mã hàng"),
            Column("name", "Sản phẩm"),
            Column("producer", "Nhà sản xuất"),
            Column("lot_code", "Số lô"),
            Column("expiry_date", "Hạn sử dụng", DATE),
            Column("qty", "Còn lại", QTY),
            Column("state", "Tình trạng", TEXT),
        ],
        rows,
        as_of=f.today,
    )
    return Paged(report, f.page, total, f.per_page)


def expiring_certificates(session: Session, f: StockFilter) -> Paged:
    """Rated products the showrooms carry whose OCOP certificate lapses within ``days`` (or has lapsed)."""
    where, params = _where(f, "sp.showroom_id")
    params["horizon"] = f.today + timedelta(days=f.days)
    sql = f"""
        SELECT s.code, p.sku, p.name, pr.name AS producer, p.sold_by, p.ocop_stars, p.ocop_cert_number,
               p.ocop_cert_expiry, coalesce(l.qty, 0) AS qty, count(*) OVER () AS _total
          FROM showroom_product sp JOIN showroom s ON s.id = sp.showroom_id JOIN product p ON p.id = sp.product_id
          LEFT JOIN producer pr ON pr.id = p.producer_id
          LEFT JOIN stock_level l ON l.showroom_id = sp.showroom_id AND l.product_id = sp.product_id
         WHERE sp.is_active AND p.ocop_stars IS NOT NULL AND p.ocop_cert_expiry <= :horizon{where}
         ORDER BY p.ocop_cert_expiry, s.code, p.name"""
    rows, total = _paged(session, sql, params, f)
    for row in rows:
        _in_own_unit(row, "qty")
        left = (row["ocop_cert_expiry"] - f.today).days
        row["stars"] = f"{row['ocop_stars']} sao"
        if left < 0:
            row["state"], row["_flag"] = f"Đã hết hiệu lực {-left} ngày (không in sao)", "expired"
        else:
            row["state"], row["_flag"] = ("Hết hiệu lực hôm nay" if left == 0 else f"Còn {left} ngày"), "soon"
    report = Report(
        "network_certificates",
        f"Giấy chứng nhận OCOP hết hiệu lực trong {f.days} ngày hoặc đã hết",
        "Sản phẩm có hạng sao mà cửa hàng đang bán, theo giấy chứng nhận hiện hành cửa hàng đã đồng bộ; tồn kho "
        "theo lần đồng bộ gần nhất. Hết hiệu lực thì nhãn, hóa đơn và báo cáo không in hạng sao.",
        [
            Column("code", "Mã CH"),
            Column("sku", "Mã hàng"),
            Column("name", "Sản phẩm"),
            Column("producer", "Nhà sản xuất"),
            Column("stars", "Hạng sao"),
            Column("ocop_cert_number", "Số giấy chứng nhận"),
            Column("ocop_cert_expiry", "Hiệu lực đến", DATE),
            Column("qty", "Tồn kho", QTY),
            Column("state", "Tình trạng"),
        ],
        rows,
        as_of=f.today,
    )
    return Paged(report, f.page, total, f.per_page)


def transfers(session: Session, f: StockFilter) -> Paged:
    """Transfer notes between showrooms, newest first: in transit, received, received with differences."""
    params: dict[str, Any] = {}
    where = ""
    if f.showroom_id is not None:
        where += " AND (t.from_showroom_id = :showroom OR t.to_showroom_code = (SELECT code FROM showroom "
        where += "WHERE id = :showroom))"
        params["showroom"] = f.showroom_id
    if f.status in TRANSFER_STATUSES:
        where += " AND t.status = :status"
        params["status"] = f.status
    if f.product:
        where += " AND t.lines_folded LIKE :product"
        params["product"] = _folded(f.product)
    sql = f"""
        SELECT t.number, a.code AS from_code, t.to_showroom_code AS to_code, b.name AS to_name, t.created_at,
               t.created_by, t.status, t.qty_sent, t.qty_received, t.received_at, t.received_by, t.lines,
               t.cancelled_at, t.cancelled_by, t.cancel_reason,
               jsonb_array_length(t.lines) AS line_count, count(*) OVER () AS _total
          FROM transfer t JOIN showroom a ON a.id = t.from_showroom_id
          LEFT JOIN showroom b ON b.code = t.to_showroom_code
         WHERE true{where}
         ORDER BY t.created_at DESC, t.number"""
    rows, total = _paged(session, sql, params, f)
    for row in rows:
        row["status_text"] = TRANSFER_STATUSES.get(row["status"], row["status"])
        if row["to_name"] is None:  # addressed to a code no showroom has registered (yet): it waits
            row["to_code"] = f"{row['to_code']} (chưa đăng ký)"
        row["_flag"] = {"in_transit": "soon", "differences": "expired"}.get(row["status"], "")
        row["created_text"] = f.local(row["created_at"])
        row["received_text"] = f.local(row["received_at"])
        row["cancel_text"] = (
            " · ".join(x for x in (f.local(row["cancelled_at"]), row["cancelled_by"], row["cancel_reason"]) if x)
            + (" (không hiệu lực: cửa hàng nhận đã nhận hàng)" if row["status"] != "cancelled" else "")
            if row["cancelled_at"]
            else ""
        )
        row["differences"] = "; ".join(
            f"{line['name']}: gửi {format_qty(line['qty'], line.get('sold_by'))}, "
            f"nhận {format_qty(line.get('qty_received', 0), line.get('sold_by'))}"
            + (f" ({REASONS.get(line.get('reason') or '', line.get('reason'))})" if line.get("reason") else "")
            for line in row["lines"]
            if "qty_received" in line and line["qty_received"] != line["qty"]
        )
    report = Report(
        "network_transfers",
        "Phiếu chuyển kho giữa các cửa hàng",
        "Phiếu do cửa hàng gửi lập và đồng bộ; cửa hàng nhận nhận hàng (đủ hoặc có chênh lệch kèm lý do) và "
        "đồng bộ lại. Hàng đang chuyển: đã trừ kho nơi gửi, chưa cộng kho nơi nhận. Nhà sản xuất vẫn là chủ hàng "
        "ký gửi; cửa hàng nào bán thì đối soát và thanh toán cho nhà sản xuất phần đã bán.",
        [
            Column("number", "Số phiếu"),
            Column("from_code", "Từ cửa hàng"),
            Column("to_code", "Đến cửa hàng"),
            Column("created_text", "Lập lúc"),
            Column("line_count", "Số dòng", INT),
            Column("qty_sent", "SL gửi", INT),
            Column("qty_received", "SL nhận", INT),
            Column("status_text", "Trạng thái"),
            Column("received_text", "Nhận lúc"),
            Column("differences", "Chênh lệch"),
            Column("cancel_text", "Hủy phiếu"),
        ],
        rows,
        as_of=f.today,
    )
    return Paged(report, f.page, total, f.per_page)


def settlements(session: Session, f: StockFilter) -> Paged:
    """Producer settlements the showrooms closed, newest period first, with the amounts owed."""
    where, params = _where(f, "st.showroom_id", product=None)  # a settlement is per producer, not per product
    if f.status in SETTLEMENT_STATUSES:
        where += " AND st.status = :status"
        params["status"] = f.status
    sql = f"""
        SELECT st.number, s.code, pr.name AS producer, st.period_start, st.period_end, st.status,
               st.is_consignment, st.commission_bp, st.net_sales_vnd, st.commission_vnd, st.amount_owed_vnd,
               st.closed_at, st.paid_at, st.paid_reference,
               count(*) OVER () AS _total, sum(st.net_sales_vnd) OVER () AS _net,
               sum(st.commission_vnd) OVER () AS _commission, sum(st.amount_owed_vnd) OVER () AS _owed,
               sum(st.amount_owed_vnd) FILTER (WHERE st.status = 'closed') OVER () AS _unpaid
          FROM settlement st JOIN showroom s ON s.id = st.showroom_id JOIN producer pr ON pr.id = st.producer_id
         WHERE true{where}
         ORDER BY st.period_end DESC, s.code, st.number"""
    rows, total = _paged(session, sql, params, f)
    for row in rows:
        row["period"] = f"{row['period_start']:%d/%m/%Y} – {row['period_end']:%d/%m/%Y}"
        row["terms"] = "Ký gửi" if row["is_consignment"] else "Mua đứt"
        row["status_text"] = SETTLEMENT_STATUSES.get(row["status"], row["status"])
        row["paid_text"] = f.local(row["paid_at"])[:10]
        row["_flag"] = "soon" if row["status"] == "closed" else ""
    first = rows[0] if rows else {}
    totals = {
        "number": "Tổng cộng (mọi trang)",
        "net_sales_vnd": int(first.get("_net") or 0),
        "commission_vnd": int(first.get("_commission") or 0),
        "amount_owed_vnd": int(first.get("_owed") or 0),
    }
    report = Report(
        "network_settlements",
        "Biên bản đối soát với nhà sản xuất",
        "Biên bản cửa hàng đã chốt (số liệu đóng băng lúc chốt) và đã đồng bộ; trạng thái thanh toán theo lần "
        "đồng bộ gần nhất. Hàng chuyển giữa các cửa hàng do cửa hàng bán đối soát.",
        [
            Column("number", "Số biên bản"),
            Column("code", "Mã CH"),
            Column("producer", "Nhà sản xuất"),
            Column("period", "Kỳ đối soát"),
            Column("terms", "Hình thức"),
            Column("net_sales_vnd", "Doanh thu thuần", VND),
            Column("commission_vnd", "Hoa hồng", VND),
            Column("amount_owed_vnd", "Phải trả NSX", VND),
            Column("status_text", "Trạng thái"),
            Column("paid_text", "Ngày thanh toán"),
        ],
        rows,
        totals if rows else None,
        as_of=f.today,
        params={"unpaid_vnd": int(first.get("_unpaid") or 0)},
    )
    return Paged(report, f.page, total, f.per_page)


def settlement_lines(session: Session, f: StockFilter) -> Paged:
    """Each settlement's lines, per producer across the showrooms: what each product sold, net, in the period,
    its share of the commission and the promotion cost by who bears it (as the showroom froze it)."""
    where, params = _where(f, "st.showroom_id", product=None)
    if f.product:
        where += " AND (sl.name_folded LIKE :folded OR sl.sku ILIKE :product)"
        params |= {"folded": _folded(f.product), "product": _like(f.product)}
    if f.status in SETTLEMENT_STATUSES:
        where += " AND st.status = :status"
        params["status"] = f.status
    sums = ("qty", "amount_vnd", "commission_vnd", "promo_showroom_vnd", "promo_producer_vnd")
    sql = f"""
        SELECT pr.name AS producer, st.number, s.code, st.period_start, st.period_end, st.status, sl.line_no,
               sl.sku, sl.name, {", ".join(f"sl.{k}" for k in sums)}, count(*) OVER () AS _total,
               {", ".join(f"sum(sl.{k}) OVER () AS _{k}" for k in sums)}
          FROM settlement_line sl JOIN settlement st ON st.id = sl.settlement_id
          JOIN showroom s ON s.id = st.showroom_id JOIN producer pr ON pr.id = st.producer_id
         WHERE true{where}
         ORDER BY pr.name, st.period_end DESC, s.code, st.number, sl.line_no"""
    rows, total = _paged(session, sql, params, f)
    for row in rows:
        row["period"] = f"{row['period_start']:%d/%m/%Y} – {row['period_end']:%d/%m/%Y}"
        row["status_text"] = SETTLEMENT_STATUSES.get(row["status"], row["status"])  # the settlements page's words
    first = rows[0] if rows else {}
    totals: dict[str, Any] = {"producer": "Tổng cộng (mọi trang)"}
    totals |= {k: int(first.get(f"_{k}") or 0) for k in sums}
    report = Report(
        "network_settlement_lines",
        "Dòng biên bản đối soát theo nhà sản xuất",
        "Mỗi dòng là một sản phẩm trong biên bản cửa hàng đã chốt: số lượng và doanh thu thuần trong kỳ (đã trừ "
        "hàng khách trả và đơn hủy muộn), phần hoa hồng của sản phẩm (cộng lại bằng hoa hồng của biên bản) và "
        "chi phí khuyến mãi theo bên chịu. Biên bản từ cửa hàng chưa cập nhật phần mềm không có dòng.",
        [
            Column("producer", "Nhà sản xuất"),
            Column("number", "Số biên bản"),
            Column("code", "Mã CH"),
            Column("period", "Kỳ đối soát"),
            Column("status_text", "Trạng thái"),
            Column("sku", "Mã hàng"),
            Column("name", "Sản phẩm"),
            Column("qty", "Số lượng", INT),
            Column("amount_vnd", "Doanh thu thuần", VND),
            Column("commission_vnd", "Hoa hồng", VND),
            Column("promo_showroom_vnd", "KM cửa hàng chịu", VND),
            Column("promo_producer_vnd", "KM NSX chịu", VND),
        ],
        rows,
        totals=totals if rows else None,
        as_of=f.today,
        params={"hide_columns": ("code", "sku")},  # on screen: the number names the showroom; the CSV has both
    )
    return Paged(report, f.page, total, f.per_page)
