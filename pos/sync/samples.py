"""Synthetic outbox records shaped as pos/sync/payloads.py says, for the sync's tests and bench/sync.py.

Nothing here is used by the running app. A ``SampleShowroom`` has producers and products; ``day`` produces a
realistic day's records (about 3.75 lines per sale, split payments now and then, a few returns and voids,
two shifts closed with totals that add up the way the Z report does).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from pos.money import vat_included

VAT_BP = {"standard": 800, "reduced": 500, "zero": 0, "exempt": 0}
GROUPS = ["thuc_pham", "do_uong", "thao_duoc", "vai_may_mac", "luu_niem"]
PROVINCES = ["Hà Nội", "Hòa Bình", "Sơn La", "Lào Cai", "Thái Nguyên", "Bắc Giang", "Nam Định", "Ninh Bình"]
LINE_COUNTS = [1, 2, 3, 4, 5, 6, 7]
LINE_WEIGHTS = [12, 18, 22, 18, 14, 10, 6]  # mean ≈ 3.75 lines per sale
# The staff's full names travel beside their usernames (the office shows them); the showroom demo's people.
STAFF_NAMES = {
    "thungan": "Nguyễn Thị Thu Ngân",
    "thungan1": "Nguyễn Thị Thu Ngân",
    "thungan2": "Phạm Thị Hoa",
    "quanly": "Trần Văn Quản Lý",
}


@dataclass
class Record:
    """One outbox record: kind, entity UUID, payload, when it was written."""

    kind: str
    entity_uuid: str
    payload: dict[str, Any]
    created_at: datetime


@dataclass
class SampleShowroom:
    """A showroom's producers and products, and a generator of its days."""

    code: str = "SR01"
    seed: int = 1
    producers: list[dict[str, Any]] = field(default_factory=list)
    products: list[dict[str, Any]] = field(default_factory=list)
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Ho_Chi_Minh"))

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.receipts = 0
        self.returns = 0
        if not self.producers:
            self.producers = [self.producer(i) for i in range(8)]
        if not self.products:
            self.products = [self.product(i) for i in range(60)]

    # --- catalogue --------------------------------------------------------------------------------------------

    def producer(self, n: int) -> dict[str, Any]:
        return {
            "uuid": str(self._uuid()),
            "name": f"HTX Sản xuất thử {self.code}-{n}",
            "kind": self.rng.choice(["htx", "hkd", "dn"]),
            "tax_code": None,
            "province": self.rng.choice(PROVINCES),
            "district": "",
            "phone": "",
            "commission_bp": 2000,
            "is_active": True,
        }

    def product(self, n: int, producer: dict[str, Any] | None = None) -> dict[str, Any]:
        producer = producer or self.rng.choice(self.producers)
        vat_class = self.rng.choice(["standard", "standard", "standard", "reduced", "exempt"])
        return {
            "uuid": str(self._uuid()),
            "producer_uuid": producer["uuid"],
            "sku": f"SP{n:05d}",
            "barcode": None,
            "name": f"Sản phẩm OCOP thử {self.code}-{n}",
            "unit": "hộp",
            "price_vnd": self.rng.choice([35_000, 45_000, 60_000, 85_000, 120_000, 150_000, 250_000]),
            "vat_class": vat_class,
            "ocop_group": self.rng.choice(GROUPS),
            "ocop_stars": self.rng.choice([3, 3, 4, 4, 5]),
            "ocop_cert_number": f"QĐ-{n}",
            "ocop_cert_expiry": "2027-12-31",
            "central_uuid": None,
            "is_active": True,
        }

    def catalogue_records(self, at: datetime) -> list[Record]:
        """The producers and products as outbox records."""
        return [Record("producer", p["uuid"], p, at) for p in self.producers] + [
            Record("product", p["uuid"], p, at) for p in self.products
        ]

    def _uuid(self) -> UUID:
        return UUID(int=self.rng.getrandbits(128), version=4)

    # --- sales -----------------------------------------------------------------------------------------------

    def sale(self, at: datetime, shift_uuid: str, cashier: str = "thungan", lines: int | None = None) -> dict[str, Any]:
        """A completed sale with lines and payments whose sums agree."""
        self.receipts += 1
        count = lines or self.rng.choices(LINE_COUNTS, LINE_WEIGHTS)[0]
        chosen = self.rng.sample(self.products, min(count, len(self.products)))
        payload_lines = []
        for n, product in enumerate(chosen, start=1):
            qty = self.rng.choice([1, 1, 1, 2, 2, 3])
            gross = product["price_vnd"] * qty
            discount = 5_000 if self.rng.random() < 0.1 else 0
            total = gross - discount
            rate = VAT_BP[product["vat_class"]]
            payload_lines.append(
                {
                    "line_no": n,
                    "product_uuid": product["uuid"],
                    "producer_uuid": product["producer_uuid"],
                    "name": product["name"],
                    "sku": product["sku"],
                    "barcode": product["barcode"],
                    "unit": product["unit"],
                    "qty": qty,
                    "unit_price_vnd": product["price_vnd"],
                    "discount_vnd": discount,
                    "total_vnd": total,
                    "vat_rate_bp": rate,
                    "vat_vnd": vat_included(total, rate),
                }
            )
        subtotal = sum(line["unit_price_vnd"] * line["qty"] for line in payload_lines)
        line_discount = sum(line["discount_vnd"] for line in payload_lines)
        total = subtotal - line_discount
        return {
            "uuid": str(self._uuid()),
            "receipt_number": f"{self.code}-{at.year}-{self.receipts:06d}",
            "shift_uuid": shift_uuid,
            "cashier": cashier,
            "cashier_name": STAFF_NAMES.get(cashier, ""),
            "created_at": at.isoformat(),
            "subtotal_vnd": subtotal,
            "line_discount_vnd": line_discount,
            "sale_discount_vnd": 0,
            "total_vnd": total,
            "vat_vnd": sum(line["vat_vnd"] for line in payload_lines),
            "discount_approved_by": None,
            "lines": payload_lines,
            "payments": self._payments(total),
        }

    def _payments(self, total: int) -> list[dict[str, Any]]:
        roll = self.rng.random()
        if roll < 0.55:
            tendered = -(-total // 10_000) * 10_000
            return [
                {
                    "method": "cash",
                    "amount_vnd": total,
                    "tendered_vnd": tendered,
                    "change_vnd": tendered - total,
                    "reference": "",
                }
            ]
        if roll < 0.9:
            method = "card" if roll < 0.7 else "transfer"
            return [{"method": method, "amount_vnd": total, "tendered_vnd": None, "change_vnd": None, "reference": ""}]
        cash = total // 2
        return [
            {"method": "cash", "amount_vnd": cash, "tendered_vnd": cash, "change_vnd": 0, "reference": ""},
            {
                "method": "transfer",
                "amount_vnd": total - cash,
                "tendered_vnd": None,
                "change_vnd": None,
                "reference": "",
            },
        ]

    def sale_return(self, sale: dict[str, Any], at: datetime, shift_uuid: str) -> dict[str, Any]:
        """Give back one unit of the sale's first line, refunded in cash."""
        self.returns += 1
        line = sale["lines"][0]
        amount = line["total_vnd"] // line["qty"]
        return {
            "uuid": str(self._uuid()),
            "return_number": f"{self.code}-{at.year}-R{self.returns:06d}",
            "sale_uuid": sale["uuid"],
            "shift_uuid": shift_uuid,
            "cashier": sale["cashier"],
            "cashier_name": sale.get("cashier_name", ""),
            "created_at": at.isoformat(),
            "refund_method": "cash",
            "total_vnd": amount,
            "reason": "Khách đổi ý",
            "lines": [{"sale_line_no": 1, "product_uuid": line["product_uuid"], "qty": 1, "amount_vnd": amount}],
        }

    @staticmethod
    def void(sale: dict[str, Any], at: datetime, by: str = "quanly") -> dict[str, Any]:
        """Cancel a sale."""
        return {
            "sale_uuid": sale["uuid"],
            "receipt_number": sale["receipt_number"],
            "voided_at": at.isoformat(),
            "voided_by": by,
            "voided_by_name": STAFF_NAMES.get(by, ""),
            "reason": "Khách không mua nữa",
        }

    @staticmethod
    def shift_close(
        shift_uuid: str,
        cashier: str,
        opened_at: datetime,
        closed_at: datetime,
        sales: list[dict[str, Any]],
        voided: set[str],
        returns: list[dict[str, Any]],
        opening_float_vnd: int = 1_000_000,
    ) -> dict[str, Any]:
        """The Z report's figures, computed as the showroom does (voided sales excluded, refunds netted)."""
        completed = [s for s in sales if s["uuid"] not in voided]
        by_method: dict[str, int] = {"cash": 0, "card": 0, "transfer": 0}
        for sale in completed:
            for payment in sale["payments"]:
                by_method[payment["method"]] = by_method.get(payment["method"], 0) + payment["amount_vnd"]
        refunds = sum(r["total_vnd"] for r in returns)
        for ret in returns:
            by_method[ret["refund_method"]] = by_method.get(ret["refund_method"], 0) - ret["total_vnd"]
        expected = opening_float_vnd + by_method["cash"]
        return {
            "uuid": shift_uuid,
            "cashier": cashier,
            "cashier_name": STAFF_NAMES.get(cashier, ""),
            "opened_at": opened_at.isoformat(),
            "closed_at": closed_at.isoformat(),
            "opening_float_vnd": opening_float_vnd,
            "sales_count": len(completed),
            "sales_total_vnd": sum(s["total_vnd"] for s in completed),
            "refunds_total_vnd": refunds,
            "voids_count": len(sales) - len(completed),
            "discounts_vnd": sum(s["line_discount_vnd"] + s["sale_discount_vnd"] for s in completed),
            "payments_by_method": by_method,
            "cash_in_vnd": 0,
            "cash_out_vnd": 0,
            "expected_cash_vnd": expected,
            "counted_cash_vnd": expected,
            "difference_vnd": 0,
            "sale_uuids": [s["uuid"] for s in sales],
            "return_uuids": [r["uuid"] for r in returns],
        }

    def day(self, on: date, sales: int = 800, shifts: int = 2) -> list[Record]:
        """A day's records in the order the till writes them: sales (with returns and voids), shift closes."""
        out: list[Record] = []
        opening = datetime.combine(on, time(8, 0), self.tz).astimezone(UTC)
        span = timedelta(hours=13) / shifts
        per_shift = [sales // shifts + (1 if i < sales % shifts else 0) for i in range(shifts)]
        for index in range(shifts):
            shift_uuid = str(self._uuid())
            cashier = f"thungan{index + 1}"
            opened_at = opening + span * index
            closed_at = opened_at + span - timedelta(minutes=1)
            step = (span - timedelta(minutes=2)) / max(per_shift[index], 1)
            shift_sales: list[dict[str, Any]] = []
            shift_returns: list[dict[str, Any]] = []
            voided: set[str] = set()
            for n in range(per_shift[index]):
                at = opened_at + step * n + timedelta(seconds=30)
                sale = self.sale(at, shift_uuid, cashier)
                shift_sales.append(sale)
                out.append(Record("sale", sale["uuid"], sale, at))
                if n % 97 == 50:
                    # Only the last sale of an open shift can be voided, straight after it.
                    void_at = at + timedelta(seconds=10)
                    voided.add(sale["uuid"])
                    out.append(Record("void", sale["uuid"], self.void(sale, void_at), void_at))
                elif n % 61 == 30 and shift_sales:
                    ret_at = at + timedelta(seconds=20)
                    earlier = shift_sales[n // 2]
                    if earlier["uuid"] not in voided:
                        ret = self.sale_return(earlier, ret_at, shift_uuid)
                        shift_returns.append(ret)
                        out.append(Record("return", ret["uuid"], ret, ret_at))
            close = self.shift_close(shift_uuid, cashier, opened_at, closed_at, shift_sales, voided, shift_returns)
            out.append(Record("shift_close", shift_uuid, close, closed_at))
        return out

    @staticmethod
    def audit(at: datetime, action: str = "login", user: str | None = "quanly") -> Record:
        """An audit entry."""
        uuid = str(uuid4())
        payload = {
            "uuid": uuid,
            "at": at.isoformat(),
            "user": user,
            "action": action,
            "entity": "user",
            "entity_id": user or "",
            "before": "",
            "after": "",
        }
        return Record("audit", uuid, payload, at)


def line_count(records: list[Record]) -> int:
    """How many sale lines the records hold."""
    return sum(len(r.payload["lines"]) for r in records if r.kind == "sale")


def batch_document(code: str, records: list[Record], first_seq: int = 1) -> dict[str, Any]:
    """A push body (as a dict) carrying ``records`` numbered from ``first_seq``."""
    return {
        "showroom": code,
        "payload_version": 1,
        "records": [
            {
                "seq": first_seq + n,
                "kind": r.kind,
                "entity_uuid": r.entity_uuid,
                "created_at": r.created_at.isoformat(),
                "payload": r.payload,
            }
            for n, r in enumerate(records)
        ],
    }


def enqueue_records(session: Any, records: list[Record]) -> None:
    """Write sample records to a showroom's outbox (in the caller's transaction), keeping their times."""
    from pos.sync.outbox import enqueue

    for r in records:
        enqueue(session, r.kind, r.entity_uuid, r.payload).created_at = r.created_at
