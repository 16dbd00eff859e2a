"""Annotated regions of a slide (polygons and masks) and their labels on any pixel grid.

Geometry is in micrometres from the slide's top-left corner, which every pyramid level
shares, so the same annotations give labels at any spacing. A pixel (c, r) of a grid
covers [origin + c s, origin + (c + 1) s); it takes the label of the region holding its
centre. Regions are painted largest first, so a region drawn inside another wins, as
Song et al. fill outer curves before nested ones.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from inference.errors import AnnotationError
from inference.training.labels import PixelLabel, Unannotated


@dataclass(frozen=True)
class RasterGrid:
    """A pixel grid over the slide: its top-left corner and pixel side in micrometres."""

    origin_x_um: float
    origin_y_um: float
    spacing_um: float
    width: int
    height: int

    def column_centres(self) -> np.ndarray:
        return self.origin_x_um + (np.arange(self.width) + 0.5) * self.spacing_um

    def row_centres(self) -> np.ndarray:
        return self.origin_y_um + (np.arange(self.height) + 0.5) * self.spacing_um


@dataclass(frozen=True)
class LabelledPolygon:
    """A polygon (exterior ring and holes, each (n, 2) x, y in micrometres) with its label."""

    label: PixelLabel
    exterior: np.ndarray
    holes: tuple[np.ndarray, ...] = ()

    def __post_init__(self) -> None:
        for ring in (self.exterior, *self.holes):
            if ring.ndim != 2 or ring.shape[1] != 2 or len(ring) < 3:
                raise AnnotationError(
                    f"a polygon ring needs at least 3 (x, y) points; got shape {ring.shape}"
                )
            if not np.isfinite(ring).all():
                raise AnnotationError("a polygon has coordinates that are not finite numbers")

    @property
    def area_um2(self) -> float:
        return _ring_area(self.exterior) - sum(_ring_area(hole) for hole in self.holes)

    def inside(self, grid: RasterGrid) -> np.ndarray:
        """Pixels of `grid` whose centres lie inside (even-odd rule; holes excluded)."""
        return fill_rings((self.exterior, *self.holes), grid)


@dataclass(frozen=True)
class LabelledMask:
    """A mask (True inside) on its own pixel grid, such as one segment of a DICOM SEG."""

    label: PixelLabel
    mask: np.ndarray
    spacing_um: float
    origin_x_um: float = 0.0
    origin_y_um: float = 0.0

    @property
    def area_um2(self) -> float:
        return float(np.count_nonzero(self.mask)) * self.spacing_um**2

    def inside(self, grid: RasterGrid) -> np.ndarray:
        """The mask sampled at the centres of `grid`'s pixels (False beyond its edges)."""
        return sample_mask(self.mask, self.spacing_um, (self.origin_x_um, self.origin_y_um), grid)


Region = LabelledPolygon | LabelledMask


@dataclass(frozen=True)
class SlideAnnotations:
    """Every labelled region of one slide."""

    regions: tuple[Region, ...]

    def labels_present(self) -> set[PixelLabel]:
        return {region.label for region in self.regions}


def label_raster(
    annotations: SlideAnnotations,
    grid: RasterGrid,
    tissue: LabelledMask,
    unannotated: Unannotated,
) -> np.ndarray:
    """Labels (uint8 PixelLabel values) of `grid`: glass benign, tissue as `unannotated`, then
    the regions, largest first. `tissue` is the tissue mask (its label is not used)."""
    labels = np.full((grid.height, grid.width), unannotated.label.value, dtype=np.uint8)
    labels[~tissue.inside(grid)] = PixelLabel.BENIGN.value  # glass is never malignant
    for region in sorted(annotations.regions, key=lambda region: -region.area_um2):
        labels[region.inside(grid)] = region.label.value
    return labels


def sample_mask(
    mask: np.ndarray, spacing_um: float, origin_um: tuple[float, float], grid: RasterGrid
) -> np.ndarray:
    """Nearest-neighbour sampling of a boolean mask at a grid's pixel centres."""
    rows = np.floor((grid.row_centres() - origin_um[1]) / spacing_um).astype(np.int64)
    cols = np.floor((grid.column_centres() - origin_um[0]) / spacing_um).astype(np.int64)
    row_ok = (rows >= 0) & (rows < mask.shape[0])
    col_ok = (cols >= 0) & (cols < mask.shape[1])
    sampled = np.zeros((grid.height, grid.width), dtype=bool)
    sampled[np.ix_(row_ok, col_ok)] = mask[np.ix_(rows[row_ok], cols[col_ok])]
    return sampled


def fill_rings(rings: Sequence[np.ndarray], grid: RasterGrid) -> np.ndarray:
    """Pixels whose centres are inside an odd number of rings (scanline fill, vectorised).

    A row's centre line crosses an edge from (x0, y0) to (x1, y1) when min(y) <= y < max(y);
    this half-open rule makes every row cross a closed ring an even number of times.
    """
    starts = np.concatenate([np.asarray(ring, dtype=np.float64) for ring in rings])
    ends = np.concatenate([np.roll(np.asarray(ring, dtype=np.float64), -1, 0) for ring in rings])
    # Rows as continuous pixel coordinates of the grid: centre of row r is at r + 0.5.
    s = grid.spacing_um
    y0 = (starts[:, 1] - grid.origin_y_um) / s - 0.5
    y1 = (ends[:, 1] - grid.origin_y_um) / s - 0.5
    low, high = np.minimum(y0, y1), np.maximum(y0, y1)
    first = np.clip(np.ceil(low), 0, grid.height).astype(np.int64)
    stop = np.clip(np.ceil(high), 0, grid.height).astype(np.int64)
    counts = np.maximum(stop - first, 0)
    inside = np.zeros((grid.height, grid.width), dtype=bool)
    if counts.sum() == 0:
        return inside
    edge = np.repeat(np.arange(len(starts)), counts)
    rows = first[edge] + np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    x0 = (starts[edge, 0] - grid.origin_x_um) / s - 0.5
    x1 = (ends[edge, 0] - grid.origin_x_um) / s - 0.5
    t = (rows - y0[edge]) / (y1[edge] - y0[edge])
    xs = x0 + t * (x1 - x0)
    order = np.lexsort((xs, rows))
    rows, xs = rows[order], xs[order]
    # Consecutive crossings of one row pair up: [enter, leave) in column centres.
    enter = np.clip(np.ceil(xs[0::2]), 0, grid.width).astype(np.int64)
    leave = np.clip(np.ceil(xs[1::2]), 0, grid.width).astype(np.int64)
    steps = np.zeros((grid.height, grid.width + 1), dtype=np.int32)
    np.add.at(steps, (rows[0::2], enter), 1)
    np.add.at(steps, (rows[0::2], leave), -1)
    inside[:] = np.cumsum(steps, axis=1)[:, :-1] > 0
    return inside


def _ring_area(ring: np.ndarray) -> float:
    x, y = ring[:, 0], ring[:, 1]
    return abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))) / 2


def grid_for_level(width: int, height: int, spacing_um: float) -> RasterGrid:
    """The grid of a whole pyramid level (origin at the slide's corner)."""
    if width < 1 or height < 1 or not math.isfinite(spacing_um) or spacing_um <= 0:
        raise AnnotationError(f"a label grid of {width}x{height} at {spacing_um} um is invalid")
    return RasterGrid(0.0, 0.0, spacing_um, width, height)
