"""Out of focus: the fine detail left relative to coarser contrast, on tissue blocks only.

Defocus is a low-pass filter: it removes the finest band of detail (about 1-2 µm, the edges
of nuclei) long before it removes coarse contrast (4-8 µm, nuclei against stroma). The ratio
of the two bands' energies is therefore a focus measure that does not depend on how much
or how dark the stain is. It is measured at a mid pyramid level (about 1 µm per pixel), in
blocks of the thumbnail grid that hold tissue, over their tissue pixels only: glass, blurred
or not, is never measured.
"""

import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

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


def sharpness(grey: np.ndarray, weights: np.ndarray, blocks: np.ndarray, count: int) -> np.ndarray:
    """Fine-band over coarse-band energy per block (`blocks`: block index of each pixel)."""
    g = grey.astype(np.float32)
    g1 = ndimage.gaussian_filter(g, 1.0, truncate=3.0)
    g2 = ndimage.gaussian_filter(g1, math.sqrt(3.0), truncate=3.0)
    g4 = ndimage.gaussian_filter(g2, math.sqrt(12.0), truncate=3.0)
    fine = np.bincount(blocks.ravel(), ((g - g1) ** 2 * weights).ravel(), count)
    coarse = np.bincount(blocks.ravel(), ((g2 - g4) ** 2 * weights).ravel(), count)
    pixels = np.bincount(blocks.ravel(), weights.ravel(), count)
    with np.errstate(invalid="ignore", divide="ignore"):
        return fine / (coarse + _ENERGY_FLOOR * pixels)


def blurred_blocks(
    source: RegionSource, tissue: TissueMask, block: int, min_sharpness: float, spacing_um: float
) -> np.ndarray:
    """Per block of `block` x `block` thumbnail pixels: True where tissue is out of focus."""
    where = focus_level(source, spacing_um)
    rows, cols = (math.ceil(side / block) for side in tissue.mask.shape)
    on_tissue = _block_any(tissue.mask, block, rows, cols)
    blurred = np.zeros((rows, cols), dtype=bool)
    scale = tissue.spacing_um / where.spacing_um  # focus pixels per thumbnail pixel
    step = max(1, math.floor(_CHUNK_PIXELS / (scale * block)))
    for top in range(0, rows, step):
        for left in range(0, cols, step):
            chunk = on_tissue[top : top + step, left : left + step]
            if chunk.any():
                found = _chunk_blurred(source, tissue, where, block, (top, left), chunk.shape)
                blurred[top : top + step, left : left + step] = found < min_sharpness
    return np.asarray(blurred & on_tissue, dtype=bool)


def _chunk_blurred(
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
    thumb_rows = np.minimum(((np.arange(y0, y1) + 0.5) / ratio).astype(np.int64), height - 1)
    thumb_cols = np.minimum(((np.arange(x0, x1) + 0.5) / ratio).astype(np.int64), width - 1)
    weights = tissue.mask[np.ix_(thumb_rows, thumb_cols)].astype(np.float32)
    block_rows = (thumb_rows // block - corner[0])[:, None]
    block_cols = (thumb_cols // block - corner[1])[None, :]
    blocks = block_rows * shape[1] + block_cols
    return sharpness(grey, weights, blocks, shape[0] * shape[1]).reshape(shape)


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
