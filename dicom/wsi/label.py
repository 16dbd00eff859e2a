"""The synthetic slide label: large "SYNTHETIC", the fake case and slide, and a barcode-like
strip; nothing on it comes from a real patient."""

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from dicom.wsi.identity import SlideIdentity

LABEL_SIZE = 512
_MARGIN = 24
_BAR_HEIGHT = 96
_NARROW_BAR = 2


def label_text(identity: SlideIdentity) -> str:
    """The text the label shows, as the Slide Label module records it."""
    return f"SYNTHETIC CASE {identity.case} SLIDE {identity.seed}"


def barcode_value(identity: SlideIdentity) -> str:
    """The value the barcode-like strip stands for (the fake container identifier)."""
    return identity.container_id


def make_label_image(identity: SlideIdentity) -> np.ndarray:
    """The label as RGB uint8 (LABEL_SIZE, LABEL_SIZE, 3): black print on white."""
    image = Image.new("RGB", (LABEL_SIZE, LABEL_SIZE), "white")
    draw = ImageDraw.Draw(image)
    draw.text((_MARGIN, _MARGIN), "SYNTHETIC", fill="black", font=_font(64))
    lines = (f"CASE {identity.case}", f"SLIDE {identity.seed}", identity.container_id)
    for row, line in enumerate(lines):
        draw.text((_MARGIN, 130 + 56 * row), line, fill="black", font=_font(36))
    _draw_bars(draw, barcode_value(identity), top=LABEL_SIZE - _MARGIN - _BAR_HEIGHT)
    return np.asarray(image, dtype=np.uint8)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    # Pillow's bundled font: the same glyphs everywhere, nothing read from the system.
    return ImageFont.load_default(size=size)


def _draw_bars(draw: ImageDraw.ImageDraw, value: str, top: int) -> None:
    """Bars whose widths spell the bits of `value` (looks like a barcode; no scanner reads it)."""
    x = _MARGIN
    bits = "".join(f"{byte:08b}" for byte in value.encode("ascii"))
    for position, bit in enumerate(bits):
        width = _NARROW_BAR * (2 if bit == "1" else 1)
        if position % 2 == 0:
            draw.rectangle((x, top, x + width - 1, top + _BAR_HEIGHT - 1), fill="black")
        x += width
        if x >= LABEL_SIZE - _MARGIN:
            break
