"""Rendering any pixel region of a synthetic slide at any pixel spacing, and its ground truth."""

import math
import operator

import numpy as np
from numpy.typing import NDArray

from inference.synthetic.cell_layers import add_cell_layers, stamps_drawn
from inference.synthetic.epithelium import draw_glands
from inference.synthetic.geometry import SampleGrid
from inference.synthetic.layout import SlideLayout, SyntheticSlideError
from inference.synthetic.noise import noise_grid
from inference.synthetic.staining import BAND_ROWS, StainLayers, to_rgb
from inference.synthetic.stroma import (
    EDGE_REACH_UM,
    Mix,
    add_stroma,
    desmoplasia_weight,
    stroma_mix,
)

F32 = NDArray[np.float32]

MIN_SPACING_UM = 0.05
MAX_SPACING_UM = 1000.0
MAX_REGION_PIXELS = 1_000_000_000
GLASS_GRAIN_UM = 1.5
CHUNK_SIDE_SAMPLES = 1024  # rendered at once; keeps the working set small and bounded
CELL_SAMPLE_UM = 2.0  # up to this pixel size, and ...
CELLS_SUPERSAMPLED_UM = 6.0  # ... up to this one with smaller samples, cells are drawn one by one
SAMPLE_STEP_UM = 6.0  # coarser pixels: cells as averages, samples about this size


def supersampling(spacing_um: float) -> int:
    """Samples per pixel side: 1 at scanning resolutions, more for coarse levels (anti-aliasing)."""
    if spacing_um <= CELL_SAMPLE_UM:
        return 1
    if spacing_um <= CELLS_SUPERSAMPLED_UM:
        return math.ceil(spacing_um / CELL_SAMPLE_UM)
    return min(3, math.ceil(spacing_um / SAMPLE_STEP_UM))


def render_region(
    layout: SlideLayout, spacing_um: float, x: int, y: int, width: int, height: int
) -> np.ndarray:
    """RGB uint8 (height, width, 3) of the pixels [x, x + width) x [y, y + height) at spacing_um.

    Pixel (r, c) covers [(x + c) s, (x + c + 1) s) x [(y + r) s, (y + r + 1) s) micrometres
    from the slide's top-left corner (s = spacing_um); outside the slide is glass. Large
    regions are rendered in chunks, which gives the same pixels (rendering is seamless).
    """
    x, y, width, height = _check_region(spacing_um, x, y, width, height)
    out = np.empty((height, width, 3), np.uint8)
    supersample = supersampling(spacing_um)
    side = max(64, CHUNK_SIDE_SAMPLES // supersample)
    for top in range(0, height, side):
        for left in range(0, width, side):
            rows, cols = min(side, height - top), min(side, width - left)
            grid = SampleGrid(spacing_um, x + left, y + top, cols, rows, supersample)
            out[top : top + rows, left : left + cols] = _render_chunk(grid, layout)
    return out


def _render_chunk(grid: SampleGrid, layout: SlideLayout) -> np.ndarray:
    """RGB uint8 pixels of one chunk: samples rendered, then optics and pixel box filter."""
    taps = optical_blur(grid.spacing_um) if grid.supersample == 1 else ()
    if taps:
        m = len(taps) // 2
        wider = SampleGrid(
            grid.spacing_um, grid.x - m, grid.y - m, grid.width + 2 * m, grid.height + 2 * m
        )
        light = _blur(_transmitted_light(wider, layout), taps)
    else:
        light = _transmitted_light(grid, layout)
    s = grid.supersample
    if s > 1:
        # A fixed summation order: the same pixel sums the same way in every region.
        total = np.zeros((3, grid.height, grid.width), np.float32)
        for i in range(s):
            for j in range(s):
                total += light[:, i::s, j::s]
        light = total * np.float32(1.0 / (s * s))
    planes = [np.clip(np.rint(plane), 0, 255).astype(np.uint8) for plane in light]
    return np.stack(planes, axis=-1)


def optical_blur(spacing_um: float) -> tuple[float, ...]:
    """Binomial taps imitating the scanner's point spread (about 0.25 um); none when unresolved."""
    if spacing_um < 0.35:
        return (1 / 16, 4 / 16, 6 / 16, 4 / 16, 1 / 16)
    if spacing_um < 0.7:
        return (1 / 4, 2 / 4, 1 / 4)
    return ()


def _blur(light: F32, taps: tuple[float, ...]) -> F32:
    """Separable symmetric blur of (3, H, W) planes; drops len(taps) // 2 samples at borders."""
    m = len(taps) // 2
    rows, cols = light.shape[1] - 2 * m, light.shape[2] - 2 * m
    result = np.empty((3, rows, cols), np.float32)
    # Bands of rows (with their halo) keep the temporaries in cache.
    for top in range(0, rows, BAND_ROWS):
        band = min(BAND_ROWS, rows - top)
        source = light[:, top : top + band + 2 * m]
        across = source[:, :, m : m + cols] * np.float32(taps[m])
        pair = np.empty_like(across)
        for k in range(1, m + 1):
            np.add(source[:, :, m - k : m - k + cols], source[:, :, m + k : m + k + cols], out=pair)
            pair *= np.float32(taps[m + k])
            across += pair
        out = result[:, top : top + band]
        np.multiply(across[:, m : m + band], np.float32(taps[m]), out=out)
        pair = pair[:, :band]
        for k in range(1, m + 1):
            np.add(across[:, m - k : m - k + band], across[:, m + k : m + k + band], out=pair)
            pair *= np.float32(taps[m + k])
            out += pair
    return result


def render_labels(
    layout: SlideLayout, spacing_um: float, x: int, y: int, width: int, height: int
) -> np.ndarray:
    """uint8 (height, width): 0 glass, 1 benign tissue, 2 malignant tissue, at pixel centres."""
    x, y, width, height = _check_region(spacing_um, x, y, width, height)
    grid = SampleGrid(spacing_um, x, y, width, height, 1)
    if width == 0 or height == 0:
        return np.zeros((height, width), np.uint8)
    margin = _margin(grid)
    tissue = layout.tissue_grid(grid.xs, grid.ys, margin) > 0.0
    labels = tissue.astype(np.uint8)
    if layout.lesions:
        labels[tissue & (layout.lesion_grid(grid.xs, grid.ys, margin) > 0.0)] = 2
    return labels


def _margin(grid: SampleGrid) -> float:
    """Beyond this distance from an outline, only the side of it matters (see grid_depth)."""
    return 4.0 * grid.step_um + 20.0


def _check_region(
    spacing_um: float, x: int, y: int, width: int, height: int
) -> tuple[int, int, int, int]:
    """The region as plain ints; refuses ones that cannot be rendered, saying what to change."""
    x, y, width, height = (operator.index(value) for value in (x, y, width, height))
    if not MIN_SPACING_UM <= spacing_um <= MAX_SPACING_UM:
        raise SyntheticSlideError(
            f"spacing_um={spacing_um} is out of range: give {MIN_SPACING_UM} to {MAX_SPACING_UM}"
        )
    if width < 0 or height < 0:
        raise SyntheticSlideError(f"region size {width}x{height} is negative")
    if width * height > MAX_REGION_PIXELS:
        raise SyntheticSlideError(
            f"region {width}x{height} is too large: render at most {MAX_REGION_PIXELS} pixels "
            "at a time (render the slide in strips or tiles)"
        )
    return x, y, width, height


def _transmitted_light(grid: SampleGrid, layout: SlideLayout) -> F32:
    """Light (0..255) at every sample: glass, and stained tissue where there is tissue."""
    rows, cols = grid.ys.size, grid.xs.size
    glass_od = _glass(grid, layout.seed)
    stains = StainLayers.empty(rows, cols)
    margin = _margin(grid)
    tissue_depth = layout.tissue_grid(grid.xs, grid.ys, margin)
    footprint = grid.step_um
    if tissue_depth.max() <= -footprint:
        return to_rgb(stains, np.zeros((rows, cols), np.float32), glass_od, layout.stain)
    tissue = np.clip(tissue_depth / footprint + 0.5, 0.0, 1.0).astype(np.float32)
    add_stroma(grid, stains, layout.seed, lambda g: _stroma_mix(layout, g))
    gland_cover = draw_glands(grid, layout.glands, stains, layout.seed, not stamps_drawn(grid))
    add_cell_layers(grid, layout, stains, gland_cover)
    return to_rgb(stains, tissue, glass_od, layout.stain)


def _stroma_mix(layout: SlideLayout, grid: SampleGrid) -> list[Mix]:
    """Which stroma each sample shows: its wall layer's, or desmoplasia in and around lesions."""
    layers = layout.layer_parts(grid.xs, grid.ys)
    if not layout.lesions:
        return stroma_mix(layers, None)
    depth = layout.lesion_grid(grid.xs, grid.ys, _margin(grid) + EDGE_REACH_UM)
    if depth.max() <= 0.0:
        return stroma_mix(layers, None)
    return stroma_mix(layers, desmoplasia_weight(depth, grid.xs, grid.ys, layout.seed))


def _glass(grid: SampleGrid, seed: int) -> F32:
    """Faint optical density of the glass and mounting medium: smooth blotches plus grain."""
    blotches = noise_grid(grid.xs, grid.ys, 600.0, seed, 900) * np.float32(0.006)
    # The grain averages to its mean where samples are larger than it.
    if grid.step_um < GLASS_GRAIN_UM:
        blotches += noise_grid(grid.xs, grid.ys, GLASS_GRAIN_UM, seed, 901) * np.float32(0.008)
    else:
        blotches += np.float32(0.004)
    return blotches
