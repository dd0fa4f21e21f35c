"""ESC/POS byte streams: a raster image (GS v 0), the drawer pulse (ESC p) and the cut (GS V).

Cheap printers cannot compose Vietnamese letters from a code page, so every document goes as a bitmap drawn
with the shipped font; python-escpos writes the commands into a Dummy printer and the bytes are sent by a
transport of their own (``pos.printing.transports``).
"""

from __future__ import annotations

import logging

from escpos.printer import Dummy
from PIL import Image

# python-escpos logs that the default profile has no paper width each time it prints an image; we size the
# image ourselves, so the notice says nothing useful.
logging.getLogger("escpos.escpos").setLevel(logging.ERROR)


def _printer(width_dots: int) -> Dummy:
    printer = Dummy()
    printer.profile.profile_data.setdefault("media", {}).setdefault("width", {})["pixels"] = width_dots
    return printer


def drawer_pulse(pin: int = 2) -> bytes:
    """ESC p m t1 t2: the pulse that opens a cash drawer plugged into the printer (pin 2 or pin 5)."""
    printer = _printer(576)
    printer.cashdraw(5 if pin == 5 else 2)
    return bytes(printer.output)


def document(image: Image.Image | None, *, open_drawer: bool = False, drawer_pin: int = 2, cut: bool = True) -> bytes:
    """One job: initialise, open the drawer first (the cashier counts change while it prints), image, cut."""
    width = image.width if image is not None else 576
    printer = _printer(width)
    printer.hw("INIT")
    if open_drawer:
        printer.cashdraw(5 if drawer_pin == 5 else 2)
    if image is not None:
        printer.image(image, impl="bitImageRaster", fragment_height=960)
        if cut:
            printer.cut(mode="PART")  # feeds six lines first: the cutter sits above the head
    return bytes(printer.output)
