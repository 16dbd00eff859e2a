"""Reading one tile's window from the source, padded where it overhangs the slide."""

from collections.abc import Sequence

import numpy as np

from inference.errors import TileReadError
from inference.source import AnnouncedReadsSource, ReducingSource, RegionBox, RegionSource
from inference.tiling import AnalysisGrid, Region, Size, Tile, TileLayout, read_window

# Beyond the scanned area is empty glass, which scanners show white; padding with it
# (rather than mirroring) never invents tissue at the slide's edges.
BACKGROUND = 255


def read_region(
    source: RegionSource, level: int, region: Region, what: str, reduction: int = 1
) -> np.ndarray:
    """The pixels of `region` of `level` (decoded at 1/`reduction` size); any failure of the
    reader becomes a TileReadError."""
    x, y, width, height = region.origin.x, region.origin.y, region.size.width, region.size.height
    where = f"{what} ({x}, {y}, {width}x{height} pixels of level {level})"
    try:
        if reduction == 1:
            pixels = source.read_region(level, x, y, width, height)
        elif isinstance(source, ReducingSource):
            pixels = source.read_region_reduced(level, reduction, x, y, width, height)
        else:
            raise TileReadError(f"the slide cannot decode level {level} at 1/{reduction} size")
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
    source: RegionSource,
    level: int,
    window: Region,
    bounds: Size,
    out: np.ndarray,
    what: str,
    reduction: int = 1,
) -> None:
    """Fill `out` (height, width, 3 uint8) with `window` of `level`; outside the level is white."""
    inside = window.clipped(bounds)
    if inside is None:
        out[...] = BACKGROUND
        return
    pixels = read_region(source, level, inside, what, reduction)
    top, left = inside.origin.y - window.origin.y, inside.origin.x - window.origin.x
    if inside != window:
        out[...] = BACKGROUND
    out[top : top + inside.size.height, left : left + inside.size.width] = pixels


def announce_reads(
    source: RegionSource, grid: AnalysisGrid, layout: TileLayout, tiles: Sequence[Tile]
) -> None:
    """Tell a source that can use it which regions the tiles will read ([] tiles: none more)."""
    if isinstance(source, AnnouncedReadsSource):
        boxes = read_boxes(source, grid, layout, tiles)
        source.expect_regions(grid.level, grid.reduction, boxes)


def read_boxes(
    source: RegionSource, grid: AnalysisGrid, layout: TileLayout, tiles: Sequence[Tile]
) -> list[RegionBox]:
    """The regions of the grid's level (as decoded) that the tiles read, clipped to it."""
    bounds = grid.read_bounds(source.levels[grid.level])
    boxes = []
    for tile in tiles:
        inside = read_window(grid, layout, tile).region.clipped(bounds)
        if inside is not None:
            boxes.append((inside.origin.x, inside.origin.y, inside.size.width, inside.size.height))
    return boxes
