"""Labels for a TSPL label printer, read back from the job as the printer would: size, gap, bitmap, copies."""

from __future__ import annotations

import re

import pytest
import zxingcpp
from PIL import Image

from pos.barcodes import instore_ean13
from pos.labels.render import LabelItem
from pos.printing import tspl


def parse_tspl(job: bytes) -> tuple[list[str], list[tuple[Image.Image, int]]]:
    """The text commands, and each label's bitmap with its copies."""
    commands, labels, i = [], [], 0
    pending = None
    while i < len(job):
        end = job.index(b"\r\n", i)
        line = job[i:end].decode("ascii", "replace")
        m = re.match(r"BITMAP (\d+),(\d+),(\d+),(\d+),(\d+),", line)
        if m:
            width_bytes, height = int(m[3]), int(m[4])
            start = i + m.end()
            data = job[start : start + width_bytes * height]
            pending = Image.frombytes("1", (width_bytes * 8, height), data)
            i = start + width_bytes * height + 2
            commands.append("BITMAP")
            continue
        if line.startswith("PRINT"):
            labels.append((pending, int(line.split(",")[1])))
        commands.append(line)
        i = end + 2
    return commands, labels


@pytest.mark.parametrize(("layout", "size"), [("50x30", "SIZE 50 mm,30 mm"), ("40x30", "SIZE 40 mm,30 mm")])
def test_a_label_job_prints_back_with_a_scannable_barcode(layout: str, size: str) -> None:
    code = instore_ean13(42)
    item = LabelItem("Mật ong bạc hà Mèo Vạc 500ml", 185_000, 4, code, "SP00042")
    commands, labels = parse_tspl(tspl.label_job([(item, 3)], layout, "OCOP Hoàn Kiếm"))
    assert commands[0] == size and commands[1].startswith("GAP 2 mm")
    [(image, copies)] = labels
    assert copies == 3
    assert image.height == 240 and image.width >= (400 if layout == "50x30" else 320)  # 30 mm at 8 dots/mm
    found = {r.format: r.text for r in zxingcpp.read_barcodes(image.convert("L"))}
    assert found[zxingcpp.BarcodeFormat.EAN13] == code


def test_sheet_layouts_stay_pdf() -> None:
    with pytest.raises(ValueError):
        tspl.label_image(LabelItem("Chè", 1000, None, instore_ean13(1)), "a4")
