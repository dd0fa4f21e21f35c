"""A reportlab-like canvas that draws on a Pillow bitmap at the thermal head's 203 dpi.

The receipt and shift-report layouts (``pos.sales.receipts``, ``pos.sales.zreport``) measure their content into
blocks that draw on a reportlab Canvas. This class answers the handful of Canvas calls those blocks make, so the
same blocks, measured by the same rules, draw the raster image an ESC/POS printer prints: one place decides what
a receipt says, two renderers draw it. Edges are rounded to whole dots; the layouts size barcode modules and QR
modules in whole dots when they are told the dot size, so bars and modules come out crisp.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

from PIL import Image, ImageDraw, ImageFont

from pos import fonts

DPI = 203  # every cheap thermal head (Xprinter XP-58, XP-80, XP-350B): 8 dots per millimetre
DOT = 72 / DPI  # one dot in points
_THRESHOLD = [0] * 128 + [255] * 128


@cache
def _font(name: str, px: float) -> ImageFont.FreeTypeFont:
    """The shipped TTF at a pixel size (cached: a receipt uses four or five sizes)."""
    return ImageFont.truetype(str(fonts.FONT_DIR / f"{name}.ttf"), px)


@dataclass
class _State:
    matrix: tuple[float, float, float, float, float, float]  # a b c d e f, as in PDF
    font: str
    size: float
    line_width: float
    dash: tuple[float, ...]
    black: bool


class RasterCanvas:
    """Draws the calls a reportlab Canvas gets from our layouts onto a 1-bit image ``width_dots`` wide."""

    def __init__(self, width_dots: int, height_pt: float) -> None:
        self.width_dots = width_dots
        self.height_pt = height_pt
        self.image = Image.new("L", (width_dots, max(1, math.ceil(height_pt / DOT))), 255)
        self._draw = ImageDraw.Draw(self.image)
        self._state = _State((1, 0, 0, 1, 0, 0), fonts.REGULAR, 8, 1, (), True)
        self._saved: list[_State] = []

    # -- state ---------------------------------------------------------------------------------------------
    def saveState(self) -> None:  # noqa: N802 (reportlab's names)
        """Push the graphics state."""
        s = self._state
        self._saved.append(_State(s.matrix, s.font, s.size, s.line_width, s.dash, s.black))

    def restoreState(self) -> None:  # noqa: N802
        """Pop the graphics state."""
        self._state = self._saved.pop()

    def translate(self, dx: float, dy: float) -> None:
        """Move the origin."""
        a, b, c, d, e, f = self._state.matrix
        self._state.matrix = (a, b, c, d, e + a * dx + c * dy, f + b * dx + d * dy)

    def rotate(self, degrees: float) -> None:
        """Turn the axes (the layouts only ever turn by right angles)."""
        t = math.radians(degrees)
        cos, sin = round(math.cos(t), 12), round(math.sin(t), 12)
        a, b, c, d, e, f = self._state.matrix
        self._state.matrix = (a * cos + c * sin, b * cos + d * sin, -a * sin + c * cos, -b * sin + d * cos, e, f)

    def setFont(self, name: str, size: float) -> None:  # noqa: N802
        """Font for the next strings."""
        self._state.font, self._state.size = name, size

    def setLineWidth(self, width: float) -> None:  # noqa: N802
        """Stroke width in points."""
        self._state.line_width = width

    def setDash(self, on: float = 0, off: float | None = None) -> None:  # noqa: N802
        """Dash pattern in points (on, off); no argument for a solid line."""
        self._state.dash = () if not on else (on, off if off is not None else on)

    def setFillGray(self, gray: float) -> None:  # noqa: N802
        """A thermal head has two colours: light grey fills are left white."""
        self._state.black = gray < 0.5

    def setFillColor(self, color: object) -> None:  # noqa: N802
        """Only black is ever asked for."""
        self._state.black = True

    def setStrokeColor(self, color: object) -> None:  # noqa: N802
        """Strokes are black."""

    # -- geometry ------------------------------------------------------------------------------------------
    def _dots(self, x: float, y: float) -> tuple[float, float]:
        """User space (points, y up) to image space (dots, y down)."""
        a, b, c, d, e, f = self._state.matrix
        px, py = a * x + c * y + e, b * x + d * y + f
        return px / DOT, (self.height_pt - py) / DOT

    def rect(self, x: float, y: float, w: float, h: float, stroke: int = 1, fill: int = 0) -> None:
        """A rectangle with its edges on whole dots (a bar of n dots stays n dots wherever it falls)."""
        corners = [self._dots(x, y), self._dots(x + w, y + h)]
        x0, x1 = sorted(round(p[0]) for p in corners)
        y0, y1 = sorted(round(p[1]) for p in corners)
        colour = 0 if self._state.black else 255
        if fill and x1 > x0 and y1 > y0:
            self._draw.rectangle((x0, y0, x1 - 1, y1 - 1), fill=colour)
        if stroke:
            width = max(1, round(self._state.line_width / DOT))
            self._draw.rectangle((x0, y0, x1 - 1, y1 - 1), outline=0, width=width)

    def line(self, x1: float, y1: float, x2: float, y2: float) -> None:
        """A straight line, dashed if a dash is set."""
        (ax, ay), (bx, by) = self._dots(x1, y1), self._dots(x2, y2)
        width = max(1, round(self._state.line_width / DOT))
        if not self._state.dash:
            self._draw.line((round(ax), round(ay), round(bx), round(by)), fill=0, width=width)
            return
        on, off = (v / DOT for v in self._state.dash)
        length = math.hypot(bx - ax, by - ay)
        ux, uy = (bx - ax) / length, (by - ay) / length
        t = 0.0
        while t < length:
            end = min(t + on, length)
            self._draw.line(
                (round(ax + ux * t), round(ay + uy * t), round(ax + ux * end), round(ay + uy * end)),
                fill=0,
                width=width,
            )
            t = end + off

    # -- text ----------------------------------------------------------------------------------------------
    def _text(self, x: float, y: float, text: str, anchor: str) -> None:
        px, py = self._dots(x, y)
        font = _font(self._state.font, self._state.size / DOT)
        self._draw.text((px, py), text, font=font, anchor=anchor, fill=0)

    def drawString(self, x: float, y: float, text: str) -> None:  # noqa: N802
        """Text from its left baseline."""
        self._text(x, y, text, "ls")

    def drawCentredString(self, x: float, y: float, text: str) -> None:  # noqa: N802
        """Text centred on x."""
        self._text(x, y, text, "ms")

    def drawRightString(self, x: float, y: float, text: str) -> None:  # noqa: N802
        """Text ending at x."""
        self._text(x, y, text, "rs")

    # -- result --------------------------------------------------------------------------------------------
    def bitmap(self) -> Image.Image:
        """The drawing as a 1-bit image (1 = white), thresholded so antialiased glyph edges print sharp."""
        return self.image.point(_THRESHOLD, "1")


def mm_to_dots(value_mm: float) -> int:
    """Millimetres to whole dots at 203 dpi."""
    return round(value_mm * DPI / 25.4)
