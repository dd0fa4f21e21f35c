"""The TTF fonts shipped under static/fonts, registered once with reportlab.

reportlab's built-in fonts cannot draw ư, ơ, ạ; DejaVu covers Vietnamese and is freely licensed.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_DIR = Path(__file__).resolve().parent.parent / "static" / "fonts"

REGULAR = "DejaVuSans"
BOLD = "DejaVuSans-Bold"
CONDENSED = "DejaVuSansCondensed"
CONDENSED_BOLD = "DejaVuSansCondensed-Bold"


@cache
def register_fonts() -> None:
    """Register the shipped fonts with reportlab (idempotent)."""
    for name in (REGULAR, BOLD, CONDENSED, CONDENSED_BOLD):
        pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / f"{name}.ttf")))
