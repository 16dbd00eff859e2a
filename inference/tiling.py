"""Geometry of an analysis: which level is read, at what spacing, in which tiles.

Coordinates are pixels of the analysis grid unless a name says otherwise. Every level of
a slide shares its top-left corner, so a pixel (x, y) of a level with spacing s covers
[x s, (x + 1) s) micrometres from that corner; the analysis grid and the map follow suit.
"""

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from inference.errors import SlideGeometryError
from inference.source import SourceLevel

# Resampling averages this many source pixels per side first, when shrinking by >= 1.5x,
# so that the bilinear samples that follow do not alias.
_PREFILTER_FROM = 1.5


@dataclass(frozen=True)
class Point:
    """A pixel position (x right, y down)."""

    x: int
    y: int


@dataclass(frozen=True)
class Size:
    """A size in pixels."""

    width: int
    height: int

    @property
    def area(self) -> int:
        return self.width * self.height


@dataclass(frozen=True)
class Region:
    """A rectangle of pixels: its top-left corner and its size."""

    origin: Point
    size: Size

    @property
    def right(self) -> int:
        return self.origin.x + self.size.width

    @property
    def bottom(self) -> int:
        return self.origin.y + self.size.height

    def clipped(self, bounds: Size) -> "Region | None":
        """The part of this region inside (0, 0, bounds), or None if nothing is."""
        left, top = max(self.origin.x, 0), max(self.origin.y, 0)
        right, bottom = min(self.right, bounds.width), min(self.bottom, bounds.height)
        if right <= left or bottom <= top:
            return None
        return Region(Point(left, top), Size(right - left, bottom - top))


@dataclass(frozen=True)
class TileLayout:
    """Input tiles of `size` pixels of which only the central `keep` are kept (Song et al.)."""

    size: int = 2200
    keep: int = 2000

    def __post_init__(self) -> None:
        if not 0 < self.keep <= self.size or (self.size - self.keep) % 2:
            raise SlideGeometryError(
                f"tile keep {self.keep} must be positive, at most the tile size {self.size}, "
                "and differ from it by an even number of pixels"
            )

    @property
    def margin(self) -> int:
        """Context pixels on each side of the kept area."""
        return (self.size - self.keep) // 2


@dataclass(frozen=True)
class AnalysisGrid:
    """The pixel grid the model sees, and the source level it is read from.

    With `reduction` > 1 the level is decoded at 1/reduction of its size (inside the JPEG
    decoder); `level_spacing_um` is then the spacing of the decoded pixels.
    """

    level: int
    level_spacing_um: float
    spacing_um: float
    size: Size
    reduction: int = 1

    @property
    def scale(self) -> float:
        """Level pixels per analysis pixel (1 when a level is used as it is)."""
        return self.spacing_um / self.level_spacing_um

    @property
    def resampled(self) -> bool:
        return self.spacing_um != self.level_spacing_um

    def read_bounds(self, level: SourceLevel) -> Size:
        """The size of the level as it is read (decoded at 1/reduction size)."""
        return Size(level.width // self.reduction, level.height // self.reduction)

    @property
    def prefilter(self) -> int:
        """Side of the box filter applied before bilinear resampling (1: none)."""
        return round(self.scale) if self.scale >= _PREFILTER_FROM else 1


@dataclass(frozen=True)
class MapGrid:
    """The output probability map: exactly the pixel grid of one source level."""

    level: int
    spacing_um: float
    size: Size


@dataclass(frozen=True)
class Tile:
    """One inference tile: its place in the grid and its kept area (clipped to the image)."""

    index: int
    kept: Region

    def input_region(self, layout: TileLayout) -> Region:
        """The model's input: the kept area's full square plus the context margin."""
        origin = Point(self.kept.origin.x - layout.margin, self.kept.origin.y - layout.margin)
        return Region(origin, Size(layout.size, layout.size))


@dataclass(frozen=True)
class ReadWindow:
    """Where a tile's input lies in its source level, and the resampling offset inside it.

    `offset` is the position, in (box-filtered) window pixels, of the first input pixel's
    centre; input pixel j then lies at offset + j * scale. It is (0, 0) without resampling.
    """

    region: Region
    offset: tuple[float, float]


def choose_analysis_grid(
    levels: Sequence[SourceLevel], spacing_um: float, tolerance: float
) -> AnalysisGrid:
    """The level to analyse and the grid on it.

    A level whose spacing is within `tolerance` (relative) of `spacing_um` is used as it
    is, with its own spacing (no resampling: the common case of a 40x scan's second
    level). Otherwise the coarsest level finer than `spacing_um` is read and shrunk to
    exactly `spacing_um` (least data read without losing detail); a slide scanned
    coarser than that is read at its finest level and enlarged.
    """
    spacings = _spacings(levels)
    matching = [i for i, s in enumerate(spacings) if abs(s / spacing_um - 1) <= tolerance]
    if matching:
        index = min(matching, key=lambda i: abs(spacings[i] / spacing_um - 1))
        level = levels[index]
        return AnalysisGrid(index, spacings[index], spacings[index], _size(level))
    finer = [i for i, s in enumerate(spacings) if s < spacing_um]
    index = max(finer, key=lambda i: spacings[i]) if finer else spacings.index(min(spacings))
    level = levels[index]
    factor = spacings[index] / spacing_um
    size = Size(max(1, math.floor(level.width * factor)), max(1, math.floor(level.height * factor)))
    return AnalysisGrid(index, spacings[index], spacing_um, size)


def reduce_in_decoder(
    grid: AnalysisGrid,
    level: SourceLevel,
    reductions: Sequence[int],
    spacing_um: float,
    tolerance: float,
) -> AnalysisGrid:
    """The grid read from its level decoded at the largest offered reduction not coarser than
    `spacing_um` (within `tolerance`): a 40x level decoded at half size is a 20x level."""
    if not grid.resampled or grid.scale <= 1:
        return grid
    limit = spacing_um * (1 + tolerance)
    usable = [r for r in reductions if r > 1 and grid.level_spacing_um * r <= limit]
    if not usable:
        return grid
    reduction = max(usable)
    decoded = AnalysisGrid(grid.level, grid.level_spacing_um * reduction, 0.0, grid.size, reduction)
    bounds = decoded.read_bounds(level)
    if bounds.width < 1 or bounds.height < 1:
        return grid
    if abs(decoded.level_spacing_um / spacing_um - 1) <= tolerance:
        return dataclasses.replace(decoded, spacing_um=decoded.level_spacing_um, size=bounds)
    factor = decoded.level_spacing_um / spacing_um
    width, height = (max(1, math.floor(side * factor)) for side in (bounds.width, bounds.height))
    return dataclasses.replace(decoded, spacing_um=spacing_um, size=Size(width, height))


def choose_map_level(
    levels: Sequence[SourceLevel], analysis_spacing_um: float, spacing_um: float
) -> MapGrid:
    """The level whose grid the map takes: not finer than the analysis, nearest `spacing_um`."""
    spacings = _spacings(levels)
    coarse = [i for i, s in enumerate(spacings) if s >= analysis_spacing_um * 0.999]
    if coarse:
        index = min(coarse, key=lambda i: abs(math.log(spacings[i] / spacing_um)))
    else:
        index = spacings.index(max(spacings))
    return MapGrid(index, spacings[index], _size(levels[index]))


def tile_grid(size: Size, layout: TileLayout) -> list[Tile]:
    """Tiles whose kept areas cover the image exactly once, row by row."""
    tiles: list[Tile] = []
    bounds = Size(size.width, size.height)
    for top in range(0, size.height, layout.keep):
        for left in range(0, size.width, layout.keep):
            kept = Region(Point(left, top), Size(layout.keep, layout.keep)).clipped(bounds)
            assert kept is not None  # the origin lies inside the image by construction
            tiles.append(Tile(len(tiles), kept))
    return tiles


def tiles_on_tissue(
    tiles: Sequence[Tile], mask: np.ndarray, mask_spacing_um: float, spacing_um: float
) -> list[Tile]:
    """The tiles whose kept area touches a tissue pixel of `mask` (a thumbnail's mask)."""
    # Summed-area table: any tissue in a rectangle in constant time.
    table = np.zeros((mask.shape[0] + 1, mask.shape[1] + 1), dtype=np.int64)
    table[1:, 1:] = mask.astype(np.int64).cumsum(0).cumsum(1)
    ratio = spacing_um / mask_spacing_um
    return [tile for tile in tiles if _tissue_in(table, tile.kept, ratio)]


def read_window(grid: AnalysisGrid, layout: TileLayout, tile: Tile) -> ReadWindow:
    """The window of the grid's level that holds a tile's input (it may overhang the level)."""
    region = tile.input_region(layout)
    if not grid.resampled:
        return ReadWindow(region, (0.0, 0.0))
    side = read_side(grid, layout)
    x, offset_x = _window_start(region.origin.x, grid)
    y, offset_y = _window_start(region.origin.y, grid)
    return ReadWindow(Region(Point(x, y), Size(side, side)), (offset_x, offset_y))


def read_side(grid: AnalysisGrid, layout: TileLayout) -> int:
    """The side of every read window: the same for all tiles, so they batch."""
    if not grid.resampled:
        return layout.size
    # Bilinear needs one pixel past the last sample, plus the box filter's reach, plus
    # one because the window starts up to a pixel before the first sample.
    return math.ceil((layout.size - 1) * grid.scale) + 2 + grid.prefilter


def _window_start(first: int, grid: AnalysisGrid) -> tuple[int, float]:
    centre = (first + 0.5) * grid.scale - 0.5 - (grid.prefilter - 1) / 2
    start = math.floor(centre)
    return start, centre - start


def _tissue_in(table: np.ndarray, kept: Region, ratio: float) -> bool:
    rows, cols = table.shape[0] - 1, table.shape[1] - 1
    top, left = (
        min(math.floor(kept.origin.y * ratio), rows),
        min(math.floor(kept.origin.x * ratio), cols),
    )
    bottom = min(max(math.ceil(kept.bottom * ratio), top + 1), rows)
    right = min(max(math.ceil(kept.right * ratio), left + 1), cols)
    total = table[bottom, right] - table[top, right] - table[bottom, left] + table[top, left]
    return bool(total > 0)


def _spacings(levels: Sequence[SourceLevel]) -> list[float]:
    if not levels:
        raise SlideGeometryError("the slide has no pyramid levels to analyse")
    spacings = [float(level.pixel_spacing_um) for level in levels]
    if any(not math.isfinite(s) or s <= 0 for s in spacings):
        raise SlideGeometryError(f"the slide's pixel spacings {spacings} are not all positive")
    return spacings


def _size(level: SourceLevel) -> Size:
    if level.width < 1 or level.height < 1:
        raise SlideGeometryError(f"a slide level has no pixels ({level.width}x{level.height})")
    return Size(level.width, level.height)
