"""Out of focus: the fine detail left relative to coarser contrast, on tissue blocks only.

Defocus is a low-pass filter: it removes the finest band of detail (about 1-2 µm, the edges
of nuclei) long before it removes coarse contrast (4-8 µm, nuclei against stroma). The ratio
of the two bands' energies is therefore a focus measure that does not depend on how much
or how dark the stain is. It is measured at a mid pyramid level (about 1 µm per pixel), in
blocks of the thumbnail grid that hold tissue, over their tissue pixels only: glass, blurred
or not, is never measured. The coarse band is filtered on 2 x 2 means (a quarter of the
pixels), and both bands are summed per 2 x 2 cell, so the full-size image is filtered once.
"""

import math
from dataclasses import dataclass

import cv2
import numpy as np

from inference.reading import read_region
from inference.source import ReducingSource, RegionSource
from inference.tiling import Point, Region, Size
from inference.tissue import TissueMask, grey_levels

# A level at most this much coarser than asked for still serves.
_COARSER_TOLERANCE = 1.25
# Side of the regions read at once, in pixels of the focus level (bounds memory, few reads).
_CHUNK_PIXELS = 2048
# Grey-level energy added to the coarse band: a featureless block reads as blurred, noise as sharp.
_ENERGY_FLOOR = 1.0
# The fine band: pixels minus a Gaussian of 1 px (cut at 2 sigma: 5 taps).
_FINE_SIGMA, _TRUNCATE = 1.0, 2.0
# The coarse band, on the 2 x 2 means (half the pixels a side): Gaussians of 1 and 2 of their
# pixels (the second as 1 then sqrt(3)), i.e. 2 and 4 px of the focus level.
_COARSE_SIGMAS = (1.0, math.sqrt(3.0))
# Energies are summed per cell of this many pixels a side (one pixel of the 2 x 2 means).
CELL = 2


@dataclass(frozen=True)
class FocusLevel:
    """Where focus is measured: a level, decoded at 1/reduction, then shrunk by a factor."""

    level: int
    reduction: int
    shrink: int
    spacing_um: float


def focus_level(source: RegionSource, spacing_um: float) -> FocusLevel:
    """The cheapest reading of the slide at about `spacing_um` (never much coarser)."""
    levels = source.levels
    limit = spacing_um * _COARSER_TOLERANCE
    fine = [i for i, level in enumerate(levels) if level.pixel_spacing_um <= limit]
    index = (
        max(fine, key=lambda i: levels[i].pixel_spacing_um)
        if fine
        else min(range(len(levels)), key=lambda i: levels[i].pixel_spacing_um)
    )
    spacing = levels[index].pixel_spacing_um
    reduction = 1
    if isinstance(source, ReducingSource):
        usable = [r for r in source.decode_reductions(index) if spacing * r <= limit]
        reduction = max(usable, default=1)
    shrink = max(1, math.floor(limit / (spacing * reduction)))
    return FocusLevel(index, reduction, shrink, spacing * reduction * shrink)


def band_energies(grey: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per cell of `CELL` x `CELL` pixels: the energy of the finest band (1-2 px) and of a
    coarser one (4-8 px), as sums over its pixels. `grey`'s sides are multiples of `CELL`."""
    fine = grey - _gaussian(grey, _FINE_SIGMA)
    means = 0.25 * _sums(grey)
    coarse_2 = _gaussian(means, _COARSE_SIGMAS[0])
    coarse_4 = _gaussian(coarse_2, _COARSE_SIGMAS[1])
    return _sums(fine * fine), (coarse_2 - coarse_4) ** 2 * CELL**2


def _gaussian(image: np.ndarray, sigma: float) -> np.ndarray:
    """A Gaussian of `sigma` pixels cut at `_TRUNCATE` sigma, mirrored at the borders (as
    scipy.ndimage.gaussian_filter by default), in float32 with OpenCV (about 20x faster)."""
    radius = int(_TRUNCATE * sigma + 0.5)
    kernel = cv2.getGaussianKernel(2 * radius + 1, sigma, cv2.CV_32F)
    return np.asarray(
        cv2.sepFilter2D(image, cv2.CV_32F, kernel, kernel, borderType=cv2.BORDER_REFLECT)
    )


def sharpness(
    grey: np.ndarray,
    weights: np.ndarray,
    blocks: tuple[np.ndarray, np.ndarray],
    shape: tuple[int, int],
) -> np.ndarray:
    """Fine-band over coarse-band energy per block of a `shape` grid (`weights`: the tissue
    share of each cell of `CELL` x `CELL` pixels; `blocks`: the block row of each row of
    cells and the block column of each column, both non-decreasing)."""
    fine, coarse = band_energies(grey)
    fine_sum = _block_sums(fine * weights, blocks, shape)
    coarse_sum = _block_sums(coarse * weights, blocks, shape)
    pixels = _block_sums(weights, blocks, shape) * CELL**2
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(fine_sum / (coarse_sum + _ENERGY_FLOOR * pixels))


def _block_sums(
    values: np.ndarray, blocks: tuple[np.ndarray, np.ndarray], shape: tuple[int, int]
) -> np.ndarray:
    """Sums of `values` per block (float64; 0 for a block without cells)."""
    starts = [np.flatnonzero(np.diff(index, prepend=-1)) for index in blocks]
    sums = np.add.reduceat(values, starts[0], axis=0, dtype=np.float64)
    sums = np.add.reduceat(sums, starts[1], axis=1)
    found = np.zeros(shape)
    found[np.ix_(blocks[0][starts[0]], blocks[1][starts[1]])] = sums
    return found


def _sums(a: np.ndarray) -> np.ndarray:
    """Sums of 2 x 2 pixels (sides even)."""
    height, width = a.shape
    means = cv2.resize(a, (width // 2, height // 2), interpolation=cv2.INTER_AREA)
    return np.asarray(4 * means)


def blurred_blocks(
    source: RegionSource, tissue: TissueMask, block: int, min_sharpness: float, spacing_um: float
) -> np.ndarray:
    """Per block of `block` x `block` thumbnail pixels: True where tissue is out of focus."""
    return np.asarray(block_sharpness(source, tissue, block, spacing_um) < min_sharpness)


def block_sharpness(
    source: RegionSource, tissue: TissueMask, block: int, spacing_um: float
) -> np.ndarray:
    """Per block of `block` x `block` thumbnail pixels: its sharpness (NaN off tissue)."""
    where = focus_level(source, spacing_um)
    rows, cols = (math.ceil(side / block) for side in tissue.mask.shape)
    on_tissue = _block_any(tissue.mask, block, rows, cols)
    found = np.full((rows, cols), np.nan)
    scale = tissue.spacing_um / where.spacing_um  # focus pixels per thumbnail pixel
    step = max(1, math.floor(_CHUNK_PIXELS / (scale * block)))
    for top in range(0, rows, step):
        for left in range(0, cols, step):
            chunk = on_tissue[top : top + step, left : left + step]
            if chunk.any():
                found[top : top + step, left : left + step] = _chunk_sharpness(
                    source, tissue, where, block, (top, left), chunk.shape
                )
    found[~on_tissue] = np.nan
    return found


def _chunk_sharpness(
    source: RegionSource,
    tissue: TissueMask,
    where: FocusLevel,
    block: int,
    corner: tuple[int, int],
    shape: tuple[int, int],
) -> np.ndarray:
    """Sharpness of the blocks of one chunk (NaN where a block has no tissue pixel read)."""
    ratio = tissue.spacing_um / where.spacing_um
    height, width = tissue.mask.shape
    thumb_top, thumb_left = corner[0] * block, corner[1] * block
    thumb_bottom = min(height, (corner[0] + shape[0]) * block)
    thumb_right = min(width, (corner[1] + shape[1]) * block)
    level = source.levels[where.level]
    bounds = Size(
        level.width // (where.reduction * where.shrink),
        level.height // (where.reduction * where.shrink),
    )
    y0, x0 = math.floor(thumb_top * ratio), math.floor(thumb_left * ratio)
    y1 = min(bounds.height, math.floor(thumb_bottom * ratio))
    x1 = min(bounds.width, math.floor(thumb_right * ratio))
    if y1 <= y0 or x1 <= x0:
        return np.full(shape, np.nan)
    grey = _read_grey(source, where, Region(Point(x0, y0), Size(x1 - x0, y1 - y0)))
    rows, cols = math.ceil((y1 - y0) / CELL), math.ceil((x1 - x0) / CELL)
    grey = np.pad(
        grey, ((0, rows * CELL - grey.shape[0]), (0, cols * CELL - grey.shape[1])), "edge"
    )
    centre_rows = y0 + CELL * np.arange(rows) + CELL / 2
    centre_cols = x0 + CELL * np.arange(cols) + CELL / 2
    thumb_rows = np.minimum((centre_rows / ratio).astype(np.int64), height - 1)
    thumb_cols = np.minimum((centre_cols / ratio).astype(np.int64), width - 1)
    read = (centre_rows < y1)[:, None] & (centre_cols < x1)[None, :]
    weights = (tissue.mask[np.ix_(thumb_rows, thumb_cols)] & read).astype(np.float32)
    # Cells past the end of the read carry no weight: clipped into the chunk, they add nothing.
    blocks = (
        np.clip(thumb_rows // block - corner[0], 0, shape[0] - 1),
        np.clip(thumb_cols // block - corner[1], 0, shape[1] - 1),
    )
    return sharpness(grey, weights, blocks, shape)


def _read_grey(source: RegionSource, where: FocusLevel, region: Region) -> np.ndarray:
    """Grey levels of `region` (coordinates after reduction and shrinking)."""
    s = where.shrink
    wide = Region(
        Point(region.origin.x * s, region.origin.y * s),
        Size(region.size.width * s, region.size.height * s),
    )
    rgb = read_region(source, where.level, wide, "the focus check", where.reduction)
    grey = grey_levels(rgb).astype(np.float32)
    if s > 1:
        grey = grey.reshape(region.size.height, s, region.size.width, s).mean(axis=(1, 3))
    return grey


def _block_any(mask: np.ndarray, block: int, rows: int, cols: int) -> np.ndarray:
    padded = np.zeros((rows * block, cols * block), dtype=bool)
    padded[: mask.shape[0], : mask.shape[1]] = mask
    return np.asarray(padded.reshape(rows, block, cols, block).any(axis=(1, 3)), dtype=bool)
