"""What a print job prints: the receipt, refund receipt, X or Z report or test page, as ESC/POS bytes.

Drawn when the job is printed, from the records (the same ``receipt_for_sale`` the PDF uses), so a job written
in the sale's own transaction costs the sale one small insert, and a reprint shows the sale as it is now.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PIL import Image
from sqlmodel import Session, select

from pos.auth.models import User
from pos.db import utcnow
from pos.errors import NotFound
from pos.printing import escpos_job
from pos.printing.models import PrintJob, Till
from pos.sales.models import Sale, SaleReturn
from pos.sales.receipt_data import receipt_for_sale, transfer_payload
from pos.sales.receipts import ReceiptData, ReceiptLine, ReceiptPayment, render_receipt_raster
from pos.sales.zreport import render_z_report_raster

DEFAULT_DOTS = {"80mm": 576, "58mm": 384}  # 72 mm and 48 mm printable at 203 dpi (XP-80, XP-58)
TEST_LINE = "Tiếng Việt có dấu: Mật ong bạc hà Mèo Vạc, chè Shan tuyết, nước mắm Phú Quốc – ư ơ ạ ễ ỹ đ"
TEST_NUMBER = "IN-THU-0001"


def dots_per_line(till: Till, config: Mapping[str, Any]) -> int:
    """The till's own dots per line, else the [printer] default for its paper."""
    if till.dots_per_line:
        return till.dots_per_line
    key = "PRINTER_DOTS_80MM" if till.paper == "80mm" else "PRINTER_DOTS_58MM"
    return int(config.get(key) or DEFAULT_DOTS.get(till.paper, 576))


def test_receipt(till: Till, config: Mapping[str, Any]) -> ReceiptData:
    """The test page: a Vietnamese line, a QR and a barcode, as a receipt would print them."""
    return ReceiptData(
        showroom_name=str(config.get("SHOWROOM_NAME", "")),
        showroom_address=str(config.get("SHOWROOM_ADDRESS", "")),
        showroom_tax_code=str(config.get("SHOWROOM_TAX_CODE", "")),
        showroom_phone=None,
        receipt_number=TEST_NUMBER,
        issued_at=utcnow(),
        cashier_name=till.name,
        lines=[ReceiptLine(TEST_LINE, 1, "hộp", 125_000, 0, 125_000, 800)],
        subtotal_vnd=125_000,
        discount_vnd=0,
        total_vnd=125_000,
        vat=[],
        payments=[ReceiptPayment("cash", 125_000, tendered_vnd=200_000, change_vnd=75_000)],
        footer=f"{till.name}: khổ giấy {till.paper}, {dots_per_line(till, config)} điểm mỗi dòng.",
        vietqr_payload=transfer_payload(config, 125_000, TEST_NUMBER) or f"{TEST_NUMBER} {till.code}",
        kind="test",
        note="Trang in thử: không phải hóa đơn.",
    )


def _image(session: Session, job: PrintJob, till: Till, config: Mapping[str, Any]) -> Image.Image | None:
    """The bitmap for a job (None for a drawer kick alone)."""
    from pos.sales import returns, shifts

    paper, dots = till.paper, dots_per_line(till, config)
    if job.kind == "receipt":
        sale = session.exec(select(Sale).where(Sale.receipt_number == job.ref)).first()
        if sale is None:
            raise NotFound(f"Không tìm thấy hóa đơn số {job.ref}.")
        return render_receipt_raster(
            receipt_for_sale(session, sale, config, job.copy_number, language=job.language or None), paper, dots
        )
    if job.kind == "refund":
        sale_return = session.exec(select(SaleReturn).where(SaleReturn.return_number == job.ref)).first()
        if sale_return is None:
            raise NotFound(f"Không tìm thấy phiếu hoàn tiền số {job.ref}.")
        return render_receipt_raster(returns.refund_receipt_data(session, sale_return, config), paper, dots)
    if job.kind in ("x_report", "z_report"):
        shift = shifts.get_shift(session, int(job.ref))
        if shift.status == "closed":
            report = shifts.z_report(shift)
        else:
            report = shifts.x_report(session, shift)
            author = session.get(User, job.created_by_id) if job.created_by_id else None
            if author is None or not author.has_role("manager"):
                report.pop("expected_cash_vnd")  # a cashier counts the drawer blind
        return render_z_report_raster(report, config, paper, dots)
    if job.kind == "test":
        return render_receipt_raster(test_receipt(till, config), paper, dots)
    return None


def job_bytes(session: Session, job: PrintJob, till: Till, config: Mapping[str, Any], open_drawer: bool) -> bytes:
    """The whole ESC/POS job, with the drawer pulse first when it is to open."""
    pulse = open_drawer and till.has_drawer
    return escpos_job.document(_image(session, job, till, config), open_drawer=pulse, drawer_pin=till.drawer_pin)
