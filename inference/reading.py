"""Reading one tile's window from the source, padded where it overhangs the slide."""

import numpy as np

from inference.errors import TileReadError
from inference.source import RegionSource
from inference.tiling import Region, Size

# Beyond the scanned area is empty glass, which scanners show white; padding with it
# (rather than mirroring) never invents tissue at the slide's edges.
BACKGROUND = 255


def read_region(source: RegionSource, level: int, region: Region, what: str) -> np.ndarray:
    """The pixels of `region` of `level`; any failure of the reader becomes a TileReadError."""
    x, y, width, height = region.origin.x, region.origin.y, region.size.width, region.size.height
    where = f"{what} ({x}, {y}, {width}x{height} pixels of level {level})"
    try:
        pixels = source.read_region(level, x, y, width, height)
    except TileReadError:
        raise
    except Exception as error:  # any failure of the slide reader, named clearly
        raise TileReadError(f"cannot read {where}: {error}") from error
    if pixels.shape != (height, width, 3) or pixels.dtype != np.uint8:
        raise TileReadError(
            f"the slide returned {pixels.dtype} pixels of shape {pixels.shape} for {where}, "
            "not RGB uint8: the slide reader is faulty"
        )
    return pixels


def read_window_into(
    source: RegionSource, level: int, window: Region, bounds: Size, out: np.ndarray, what: str
) -> None:
    """Fill `out` (height, width, 3 uint8) with `window` of `level`; outside the level is white."""
    inside = window.clipped(bounds)
    if inside is None:
        out[...] = BACKGROUND
        return
    pixels = read_region(source, level, inside, what)
    top, left = inside.origin.y - window.origin.y, inside.origin.x - window.origin.x
    if inside != window:
        out[...] = BACKGROUND
    out[top : top + inside.size.height, left : left + inside.size.width] = pixels
