"""Receipt printing speed: a 10-line 80 mm receipt job (raster, QR, Code128, ESC/POS bytes) against Pillow drawing
the same text alone, and the print queue through a printer that goes off and comes back (jobs lost must be 0).

    python bench/print.py [--runs 200] [--queue-sales 30]

The ratio is job time over the time Pillow takes to draw the receipt's text lines on a bitmap of the same size,
in the same run: the cost of the layout, the symbols and the ESC/POS encoding on top of drawing the words.
Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image, ImageDraw, ImageFont  # noqa: E402
from sqlmodel import func, select  # noqa: E402

from pos import fonts  # noqa: E402
from pos.printing import escpos_job, queue, worker  # noqa: E402
from pos.sales.receipts import ReceiptData, ReceiptLine, ReceiptPayment, VatBreakdown, render_receipt_raster  # noqa: E402
from pos.sales.vietqr import build_vietqr_payload  # noqa: E402

NAMES = [
    "Mật ong bạc hà Mèo Vạc 500ml",
    "Chè Shan tuyết cổ thụ Suối Giàng 200g",
    "Bánh cốm làng Vòng",
    "Nước mắm Phú Quốc 40 độ đạm",
    "Miến dong Bình Liêu 500g",
    "Tương ớt Mường Khương",
    "Gạo ST25 Sóc Trăng 5kg",
    "Cà phê Buôn Ma Thuột rang xay",
    "Mứt gừng Huế hộp quà",
    "Rượu táo mèo Yên Bái",
]


def receipt(number: str = "SR01-2026-000123") -> ReceiptData:
    """Ten lines, cash, with a QR (the worst case: a QR on the paper) and the Code128 of its number."""
    lines = [
        ReceiptLine(name, 1 + i % 3, "hộp", 45_000 + 5_000 * i, 0, (1 + i % 3) * (45_000 + 5_000 * i), 800)
        for i, name in enumerate(NAMES)
    ]
    total = sum(line.total_vnd for line in lines)
    return ReceiptData(
        showroom_name="Điểm giới thiệu và bán sản phẩm OCOP Hoàn Kiếm",
        showroom_address="12 Hàng Bạc, phường Hoàn Kiếm, Hà Nội",
        showroom_tax_code="0101234567",
        showroom_phone="024 3826 1234",
        receipt_number=number,
        issued_at=datetime(2026, 12, 6, 3, 5, tzinfo=UTC),
        cashier_name="Nguyễn Thị Thu Ngân",
        lines=lines,
        subtotal_vnd=total,
        discount_vnd=0,
        total_vnd=total,
        vat=[VatBreakdown(800, total, total * 8 // 108)],
        payments=[ReceiptPayment("cash", total, tendered_vnd=total + 50_000, change_vnd=50_000)],
        footer="Cảm ơn quý khách! Hàng OCOP – tinh hoa làng nghề Việt.",
        vietqr_payload=build_vietqr_payload("970436", "0011004123456", total, number),
    )


def bilingual(data: ReceiptData) -> ReceiptData:
    """The same receipt for a foreign visitor: Vietnamese and English, every product with an English name."""
    lines = [dataclasses.replace(line, name_en=f"OCOP gift no. {i}: {line.name}") for i, line in enumerate(data.lines)]
    return dataclasses.replace(data, language="vi+en", lines=lines)


def job_once(data: ReceiptData) -> bytes:
    """What the worker does for a receipt: draw the raster, wrap it as an ESC/POS job with drawer and cut."""
    return escpos_job.document(render_receipt_raster(data, "80mm", 576), open_drawer=True)


def text_alone(data: ReceiptData, height: int) -> Image.Image:
    """Pillow drawing the receipt's words alone (no layout rules, no symbols) on a bitmap of the same size."""
    image = Image.new("L", (576, height), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(fonts.FONT_DIR / "DejaVuSans.ttf"), 22.5)
    bold = ImageFont.truetype(str(fonts.FONT_DIR / "DejaVuSans-Bold.ttf"), 22.5)
    texts = [data.showroom_name, data.showroom_address, "HÓA ĐƠN BÁN LẺ", data.receipt_number, data.cashier_name]
    for line in data.lines:
        texts += [line.name, f"{line.qty} {line.unit} × {line.unit_price_vnd}", str(line.total_vnd)]
    texts += ["Tổng thanh toán", str(data.total_vnd), data.footer]
    y = 10
    for i, text in enumerate(texts):
        draw.text((0, y), text, font=bold if i % 3 == 0 else font, fill=0)
        y += 30
    return image.point(lambda v: 255 if v >= 128 else 0).convert("1")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def bench_jobs(runs: int) -> dict[str, float]:
    data = receipt()
    height = render_receipt_raster(data, "80mm", 576).height
    for _ in range(5):  # warm the font cache and the QR encoder
        job_once(data)
        text_alone(data, height)
    both = bilingual(data)
    jobs, texts, bilinguals = [], [], []
    for _ in range(runs):
        t = time.perf_counter()
        job_once(data)
        jobs.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        text_alone(data, height)
        texts.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        job_once(both)
        bilinguals.append((time.perf_counter() - t) * 1000)
    size = len(job_once(data))
    return {
        "receipt_job_p50_ms": round(statistics.median(jobs), 2),
        "receipt_job_p95_ms": round(pct(jobs, 0.95), 2),
        "pillow_text_p50_ms": round(statistics.median(texts), 2),
        "pillow_text_p95_ms": round(pct(texts, 0.95), 2),
        "raster_ratio": round(statistics.median(jobs) / statistics.median(texts), 2),
        # A bilingual receipt is longer (an English line under each name and title): its job against the Vietnamese.
        "bilingual_job_p50_ms": round(statistics.median(bilinguals), 2),
        "bilingual_vs_vietnamese_ratio": round(statistics.median(bilinguals) / statistics.median(jobs), 2),
        "job_bytes": size,
        "image_height_dots": height,
    }


def bench_queue(sales: int) -> dict[str, float]:
    """Receipts queued while the printer is off, then printed when it is back: none may be lost or doubled."""
    from pos.db import make_engine, session_scope, utcnow
    from pos.migrate import upgrade
    from pos.printing.models import PrintJob, Till
    from tests.fakeprinter import FakePrinter  # a real TCP listener on a loopback port

    folder = Path(tempfile.mkdtemp(prefix="bench-print-"))
    try:
        url = f"sqlite:///{(folder / 'showroom.db').as_posix()}"
        upgrade(url)
        engine = make_engine(url)
        with session_scope(engine) as s:
            till = s.get(Till, 1)
            till.printer_kind, till.printer_address = "network", "127.0.0.1:1"  # off: nothing listens there
        # Receipts are drawn from a sale; the bench's own jobs are test pages (same raster, QR and barcode).
        t = time.perf_counter()
        for _ in range(sales):
            with session_scope(engine) as s:
                queue.enqueue(s, 1, "test", open_drawer=True)
        enqueue_ms = (time.perf_counter() - t) * 1000 / sales
        worker.run_once(engine, {})  # the printer is off: the first job fails, the rest wait behind it
        printer = FakePrinter()
        with session_scope(engine) as s:
            s.get(Till, 1).printer_address = printer.address
            for job in s.exec(select(PrintJob)):
                job.next_try_at = utcnow() - timedelta(seconds=1)
        t = time.perf_counter()
        printed = worker.run_once(engine, {})
        drain_s = time.perf_counter() - t
        printer.close()
        with session_scope(engine, write=False) as s:
            left = s.scalar(select(func.count()).select_from(PrintJob).where(PrintJob.state != "printed"))
        engine.dispose()
        received = len(printer.printed())
        return {
            "queue_jobs": sales,
            "queue_enqueue_ms": round(enqueue_ms, 2),
            "queue_printed": printed,
            "queue_received_by_printer": received,
            "queue_lost_jobs": sales - received + int(left or 0),
            "queue_drain_jobs_per_s": round(printed / drain_s, 1) if drain_s else 0,
        }
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200, help="receipt jobs timed (default 200)")
    parser.add_argument("--queue-sales", type=int, default=30, help="jobs queued while the printer is off")
    args = parser.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    figures = bench_jobs(args.runs)
    print(
        f"10-line 80 mm receipt job (raster + QR + Code128 + ESC/POS): p50 {figures['receipt_job_p50_ms']} ms, "
        f"p95 {figures['receipt_job_p95_ms']} ms, "
        f"{figures['job_bytes']} bytes, {figures['image_height_dots']} dots tall"
    )
    print(
        f"Pillow drawing the same text alone: p50 {figures['pillow_text_p50_ms']} ms, "
        f"p95 {figures['pillow_text_p95_ms']} ms; ratio (p50) {figures['raster_ratio']}"
    )
    print(
        f"the same receipt bilingual (Vietnamese + English): p50 {figures['bilingual_job_p50_ms']} ms, "
        f"{figures['bilingual_vs_vietnamese_ratio']}× the Vietnamese one"
    )
    figures |= bench_queue(args.queue_sales)
    print(
        f"queue: {figures['queue_jobs']} jobs queued with the printer off ({figures['queue_enqueue_ms']} ms each), "
        f"{figures['queue_received_by_printer']} received once it was on, lost {figures['queue_lost_jobs']}"
    )
    figures["load_average_1m"] = round(load, 2)
    print(f"machine load average during the run: {load:.2f} (2 cores shared with other work)")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
