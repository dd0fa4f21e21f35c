"""ESC/POS byte streams: a raster image (GS v 0), the drawer pulse (ESC p) and the cut (GS V).

Cheap printers cannot compose Vietnamese letters from a code page, so every document goes as a bitmap drawn
with the shipped font; python-escpos writes the commands into a Dummy printer (the raster bands are packed
here, see ``raster``) and the bytes are sent by a transport (``pos.printing.transports``).
"""

from __future__ import annotations

from escpos.printer import Dummy
from PIL import Image


def _printer(width_dots: int) -> Dummy:
    printer = Dummy()
    printer.profile.profile_data.setdefault("media", {}).setdefault("width", {})["pixels"] = width_dots
    return printer


def drawer_pulse(pin: int = 2) -> bytes:
    """ESC p m t1 t2: the pulse that opens a cash drawer plugged into the printer (pin 2 or pin 5)."""
    printer = _printer(576)
    printer.cashdraw(5 if pin == 5 else 2)
    return bytes(printer.output)


FRAGMENT_ROWS = 960  # rows per GS v 0 command: cheap printers' buffers take a receipt in a few bands
_INVERT = bytes(255 - i for i in range(256))


def raster(image: Image.Image) -> bytes:
    """GS v 0: the 1-bit image as raster bands, 1 bits printed black.

    Written here rather than through python-escpos's image(), which converts the image through several modes
    and took three quarters of a receipt job's time; the bytes are the same command.
    """
    bitmap = image if image.mode == "1" else image.convert("1")
    width_bytes = (bitmap.width + 7) // 8
    out = bytearray()
    for top in range(0, bitmap.height, FRAGMENT_ROWS):
        band = bitmap.crop((0, top, width_bytes * 8, min(top + FRAGMENT_ROWS, bitmap.height)))
        rows = band.height
        # Pillow packs "1" images MSB first with 1 = white; the printer wants 1 = black.
        out += b"\x1dv0\x00" + bytes((width_bytes & 255, width_bytes >> 8, rows & 255, rows >> 8))
        out += band.tobytes().translate(_INVERT)
    return bytes(out)


def document(image: Image.Image | None, *, open_drawer: bool = False, drawer_pin: int = 2, cut: bool = True) -> bytes:
    """One job: initialise, open the drawer first (the cashier counts change while it prints), image, cut."""
    width = image.width if image is not None else 576
    printer = _printer(width)
    printer.hw("INIT")
    if open_drawer:
        printer.cashdraw(5 if drawer_pin == 5 else 2)
    if image is not None:
        printer._raw(raster(image))
        if cut:
            printer.cut(mode="PART")  # feeds six lines first: the cutter sits above the head
    return bytes(printer.output)
