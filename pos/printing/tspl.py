"""Barcode labels (50×30, 40×30 mm) straight to a TSPL label printer (Xprinter XP-350B, XP-360B and the like).

The label is the PDF label's own drawing (``pos.labels.render._draw_label``) on a 203 dpi raster, sent as one
TSPL BITMAP per label: the printer needs no font for Vietnamese and no driver. Bars come out in whole dots
because the label layout already sizes its modules in dots. The job is plain bytes for port 9100 (or any
transport in ``pos.printing.transports``).
"""

from __future__ import annotations

from PIL import Image

from pos import fonts
from pos.labels import render
from pos.printing.raster import DOT, RasterCanvas
from pos.text import nfc

ROLL_LAYOUTS = ("50x30", "40x30")
GAP_MM = 2  # the gap between labels on the usual die-cut rolls


def label_image(item: render.LabelItem, layout: str, showroom_name: str = "") -> Image.Image:
    """One label as a 1-bit image (1 = white), exactly the label's size in dots."""
    if layout not in ROLL_LAYOUTS:
        raise ValueError(f"TSPL labels are for rolls ({', '.join(ROLL_LAYOUTS)}), not {layout!r}")
    spec = render.LAYOUTS[layout]
    fonts.register_fonts()
    width = round(spec.label_w / DOT)
    canvas = RasterCanvas(width, spec.label_h)
    render._draw_label(canvas, item, 0, 0, spec, nfc(showroom_name))  # type: ignore[arg-type]
    return canvas.bitmap()


def label_job(items: list[tuple[render.LabelItem, int]], layout: str, showroom_name: str = "") -> bytes:
    """A TSPL job: SIZE, GAP, then per product CLS, BITMAP and PRINT with its number of copies."""
    spec = render.LAYOUTS[layout]
    width_mm, height_mm = round(spec.label_w / 72 * 25.4), round(spec.label_h / 72 * 25.4)
    out = bytearray(f"SIZE {width_mm} mm,{height_mm} mm\r\nGAP {GAP_MM} mm,0 mm\r\nDIRECTION 1\r\n".encode("ascii"))
    for item, copies in items:
        if not 1 <= copies <= 1000:
            raise ValueError("copies must be 1 to 1000")
        image = label_image(item, layout, showroom_name)
        width_bytes = (image.width + 7) // 8
        # TSPL BITMAP: a 0 bit prints, a 1 bit is left blank: Pillow's "1" bytes as they are.
        padded = Image.new("1", (width_bytes * 8, image.height), 1)
        padded.paste(image, (0, 0))
        out += f"CLS\r\nBITMAP 0,0,{width_bytes},{image.height},0,".encode("ascii")
        out += padded.tobytes() + f"\r\nPRINT 1,{copies}\r\n".encode("ascii")
    return bytes(out)
