"""Reading one tile's window from the source, padded where it overhangs the slide."""

import numpy as np

from inference.errors import TileReadError
from inference.source import RegionSource
from inference.tiling import Region, Size

# Beyond the scanned area is empty glass, which scanners show white; padding with it
# (rather than mirroring) never invents tissue at the slide's edges.
BACKGROUND = 255


def read_window_into(
    source: RegionSource, level: int, window: Region, bounds: Size, out: np.ndarray
) -> None:
    """Fill `out` (height, width, 3 uint8) with `window` of `level`; outside the level is white."""
    inside = window.clipped(bounds)
    if inside is None:
        out[...] = BACKGROUND
        return
    pixels = source.read_region(
        level, inside.origin.x, inside.origin.y, inside.size.width, inside.size.height
    )
    expected = (inside.size.height, inside.size.width, 3)
    if pixels.shape != expected or pixels.dtype != np.uint8:
        raise TileReadError(
            f"the slide returned {pixels.dtype} pixels of shape {pixels.shape} for a region of "
            f"level {level}, not uint8 {expected}: the slide reader is faulty"
        )
    top, left = inside.origin.y - window.origin.y, inside.origin.x - window.origin.x
    if inside != window:
        out[...] = BACKGROUND
    out[top : top + inside.size.height, left : left + inside.size.width] = pixels
